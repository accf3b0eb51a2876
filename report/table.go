package report

import (
	"bufio"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/qrunhq/qrun/result"
)

// ANSI styles of the table format; used only with Options.Color.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// statusStyle is the colour of a status.
func statusStyle(s result.Status) string {
	switch s {
	case result.StatusOK:
		return ansiGreen
	case result.StatusError, result.StatusTimeout:
		return ansiRed
	case result.StatusSkipped, result.StatusNotRun, result.StatusCancelled:
		return ansiYellow
	case result.StatusPlanned:
		return ansiCyan
	}
	return ""
}

// paint wraps s in style when colour is on.
func paint(on bool, style, s string) string {
	if !on || style == "" || s == "" {
		return s
	}
	return style + s + ansiReset
}

// newTable returns a tablewriter table in qrun's style: light box lines, headers as
// given, no wrapping, columns aligned as aligns says.
func newTable(w io.Writer, aligns []tw.Align) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{Global: tw.AlignLeft, PerColumn: aligns}),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
	)
}

const (
	left  = tw.AlignLeft
	right = tw.AlignRight
)

// unitName is a unit's name in the table, marked when it is a transaction block.
func unitName(q *result.Query) string {
	name := OneLine(q.Name)
	if n := len(q.Statements); n > 0 {
		name += " (tx, " + strconv.Itoa(n) + " statements)"
	}
	return name
}

// statusCell is the status column: the status, or for repeated runs of which some did
// not end ok, how many failed and how: "error in 2 of 3 runs".
func statusCell(q *result.Query, color bool) string {
	s := string(q.Status)
	style := statusStyle(q.Status)
	if st := q.Stats; st != nil && st.Errors > 0 {
		failed := q.Status
		for k := len(q.RunsStatus) - 1; k >= 0; k-- {
			if q.RunsStatus[k] != result.StatusOK {
				failed = q.RunsStatus[k]
				break
			}
		}
		s = string(failed) + " in " + strconv.Itoa(st.Errors) + " of " + strconv.Itoa(st.N+st.Errors) + " runs"
		style = statusStyle(failed)
	}
	return paint(color, style, s)
}

// noValue stands for a statistic the samples cannot give: no run ended ok, or a spread
// of one sample.
const noValue = "—"

// The statistics of a repeated unit, over the runs that ended ok: its median (for a
// unit without statistics, its time), p95, ±stddev and min…max cells, "—" where there
// are too few of those runs.
func medianCell(q *result.Query) string {
	switch s := q.Stats; {
	case s == nil:
		return Duration(q.WallMs)
	case s.N == 0:
		return noValue
	default:
		return Duration(s.P50Ms)
	}
}

func p95Cell(q *result.Query) string {
	switch s := q.Stats; {
	case s == nil:
		return ""
	case s.N == 0:
		return noValue
	default:
		return Duration(s.P95Ms)
	}
}

func stddevCell(q *result.Query) string {
	switch s := q.Stats; {
	case s == nil:
		return ""
	case s.N < 2:
		return noValue
	default:
		return "±" + Duration(s.StddevMs)
	}
}

func minMaxCell(q *result.Query) string {
	switch s := q.Stats; {
	case s == nil:
		return ""
	case s.N == 0:
		return noValue
	case s.N == 1:
		return Duration(s.MinMs)
	default:
		return Duration(s.MinMs) + "…" + Duration(s.MaxMs)
	}
}

func writeTable(w io.Writer, r *result.Report, opts Options) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	v := newView(r)
	if v.several {
		if err := writeSideBySide(bw, v, opts); err != nil {
			return err
		}
		writeScanTable(bw, r) // --scan (scan.go)
		one := opts
		one.axisEndMs = commonEnd(r) // the targets' timelines on one scale
		for i := range v.sections {
			s := &v.sections[i]
			bw.WriteString("\n" + paint(opts.Color, ansiBold, "== "+s.label+" ==") + "\n")
			if err := serverTable(bw, s.r); err != nil { // --server-stats, beside the targets' table
				return err
			}
			writeSection(bw, s, one)
			writeWarnings(bw, s.r.Warnings, opts)
		}
	} else {
		if err := statementsTable(bw, &v.sections[0], opts); err != nil {
			return err
		}
		writeSection(bw, &v.sections[0], opts)
	}
	for _, c := range v.comparisons {
		bw.WriteByte('\n')
		if err := comparisonTable(bw, c, opts); err != nil {
			return err
		}
	}
	writeWarnings(bw, r.Warnings, opts)
	return bw.Flush()
}

// writeSection renders one target's report after its statements: errors, summary and
// timeline.
func writeSection(w *bufio.Writer, s *section, opts Options) {
	writeProblems(w, s, opts)
	writeSummary(w, s)
	if !s.dry {
		writeTimeline(w, s, opts)
	}
}

// statementsTable renders the section's statements in its columns; under a plan, why
// units wait.
func statementsTable(w *bufio.Writer, s *section, opts Options) error {
	if len(s.r.Queries) == 0 {
		return nil // a file of comments alone: the summary says "no statements"
	}
	cols := s.columns()
	t := gridOf(cols)
	t.rows = make([][]string, len(s.r.Queries))
	for i := range s.r.Queries {
		q := &s.r.Queries[i]
		row := make([]string, len(cols))
		for k := range cols {
			row[k] = cols[k].cell(i, q, opts.Color)
			if cols[k].text {
				row[k] = OneLine(row[k])
			}
		}
		t.rows[i] = row
	}
	if s.repeated {
		// Eight columns do not fit a terminal of 80: leave out what says least (no wait, the
		// spread beside min…max, the rows), then shorten long names. JSON has them all.
		t.fit(opts.width(), []gridDrop{{"WAIT", true}, {"±STDDEV", false}, {"ROWS", false}, {"WAIT", false}}, 0, 16)
	}
	addServerColumns(t, s.r) // --server-stats
	if err := t.render(w); err != nil {
		return err
	}
	if why := s.why(); len(why) > 0 {
		w.WriteString("\nWhy units wait:\n")
		for _, l := range why {
			w.WriteString("  " + l + "\n")
		}
	}
	return nil
}

// timeCell is a unit's time, or a dash when it never ran.
func timeCell(q *result.Query) string {
	if neverRan(q.Status) {
		return "-"
	}
	return Duration(q.WallMs)
}

func rowsCell(q *result.Query) string {
	if neverRan(q.Status) {
		return "-"
	}
	return strconv.FormatInt(q.Rows, 10)
}

// writeProblems lists errors, timeouts, skips and units not run under the table, one a
// line: file:line:col: name: SQLSTATE message.
func writeProblems(w *bufio.Writer, s *section, opts Options) {
	for k, p := range s.problems() {
		if k == 0 {
			w.WriteByte('\n')
		}
		w.WriteString(position(p.q))
		w.WriteString(": ")
		w.WriteString(OneLine(p.q.Name))
		w.WriteString(": ")
		w.WriteString(paint(opts.Color, statusStyle(p.q.Status), OneLine(p.msg)))
		w.WriteByte('\n')
	}
}

// summaryLines returns the section's summary as lines of "key value" pairs, shared by
// the table, markdown and html formats.
func summaryLines(s *section) []string {
	r := s.r
	var lines []string
	if s.dry {
		return []string{"mode dry-run · " + plural(len(r.Queries), "unit") + " · " + plural(len(s.stages()), "stage") + " · nothing was run"}
	}
	l := "mode " + r.Mode + " · concurrency " + strconv.Itoa(r.Concurrency) + " · connect " + Duration(r.ConnectMs)
	if r.Context.Target != "" {
		l += " · target " + r.Context.Target
	}
	if r.Context.ServerVersion != "" {
		l += " · server " + r.Context.ServerVersion
	}
	if e := r.Context.Engine; e != "" && e != "PostgreSQL" {
		l += " · engine " + e
	}
	if p := r.Context.Protocol; p != "" && p != "simple" {
		l += " · protocol " + p // --protocol; simple, psql's, goes without saying
	}
	if r.Context.Pipeline {
		l += " · pipeline"
	}
	if addrs := distinct(r.Context.Connections); len(addrs) > 1 {
		l += " · reached " + strings.Join(addrs, ", ")
	}
	lines = append(lines, l)
	total := "total " + Duration(r.TotalWallMs)
	if r.Runs > 1 {
		total = "total " + Duration(r.TotalWallMs) + " (median)"
	}
	if r.SumMs > 0 {
		total += " · sum " + Duration(r.SumMs) + " · speedup " + ratio(r.Speedup)
	}
	lines = append(lines, total)
	if len(r.CriticalPath) > 0 {
		l := "critical path " + strings.Join(r.CriticalPath, " → ") + " " +
			Duration(r.CriticalPathMs) + " · efficiency " + pct(r.Efficiency)
		if r.Mode == "sequential" {
			// One connection cannot overlap anything: the critical path is what
			// --parallel could reach, not what this run missed.
			l += " (the best --parallel could reach)"
		}
		lines = append(lines, l)
		for i, why := range r.CriticalPathWhy {
			if i > 0 && i < len(r.CriticalPath) && why != "" {
				lines = append(lines, "  "+r.CriticalPath[i]+" waited for "+r.CriticalPath[i-1]+": "+why)
			}
		}
	}
	if r.Runs > 1 || r.PartialRunMs > 0 {
		l := "runs " + strconv.Itoa(r.Runs)
		if r.Warmup > 0 {
			l += " (+" + strconv.Itoa(r.Warmup) + " warmup)"
		}
		if r.PartialRunMs > 0 {
			l += " + 1 partial (" + Duration(r.PartialRunMs) + ", left out)"
		}
		if s := r.TotalStats; s != nil {
			l += " · total p50 " + Duration(s.P50Ms) + " p95 " + Duration(s.P95Ms)
			if s.N > 1 {
				l += " ±" + Duration(s.StddevMs) + " · " + Duration(s.MinMs) + "…" + Duration(s.MaxMs)
			}
			switch {
			case s.Errors == 0:
			case s.Errors >= r.Runs:
				l += " · every run had a failure"
			default:
				l += " · over the " + plural(s.N, "run") + " without a failure"
			}
		}
		lines = append(lines, l)
	}
	if l := serverLine(r); l != "" { // --server-stats
		lines = append(lines, l)
	}
	l = countsLine(r.Summary, r.Interrupted)
	if n := flakyUnits(r); n > 0 {
		// Ok in the last run, which Summary counts, but not in every run.
		l += " · " + strconv.Itoa(n) + " of them failed in another run"
	}
	lines = append(lines, l)
	return lines
}

// flakyUnits counts the units that ended ok in the last run but failed in another.
func flakyUnits(r *result.Report) int {
	n := 0
	for i := range r.Queries {
		if q := &r.Queries[i]; q.Status == result.StatusOK && q.FailedRuns() > 0 {
			n++
		}
	}
	return n
}

func countsLine(c result.Counts, interrupted bool) string {
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, strconv.Itoa(n)+" "+what)
		}
	}
	add(c.OK, "ok")
	add(c.Error, "error")
	add(c.Timeout, "timeout")
	add(c.Cancelled, "cancelled")
	add(c.Skipped, "skipped")
	add(c.NotRun, "not run")
	if len(parts) == 0 {
		parts = append(parts, "no statements")
	}
	l := strings.Join(parts, " · ")
	if interrupted {
		l += " · INTERRUPTED"
	}
	return l
}

// plural is result.Plural of a noun whose plural takes an s: "1 unit", "3 units".
func plural(n int, noun string) string { return result.Plural(n, noun, noun+"s") }

func writeSummary(w *bufio.Writer, s *section) {
	w.WriteByte('\n')
	for _, l := range summaryLines(s) {
		w.WriteString(l)
		w.WriteByte('\n')
	}
}

func writeWarnings(w *bufio.Writer, warnings []string, opts Options) {
	if len(warnings) == 0 {
		return
	}
	w.WriteByte('\n')
	for _, s := range warnings {
		w.WriteString(paint(opts.Color, ansiYellow, "warning: "))
		w.WriteString(OneLine(s))
		w.WriteByte('\n')
	}
}

// verdictCell colours a verdict.
func verdictCell(row *result.ComparisonRow, color bool) string {
	v := string(row.Verdict)
	style := ""
	switch row.Verdict {
	case result.VerdictSlower:
		style = ansiRed
		if !row.Regression {
			style = ansiYellow
		}
	case result.VerdictFaster:
		style = ansiGreen
	case result.VerdictFailedNew:
		style = ansiRed
	case result.VerdictFailedBase:
		style = ansiYellow
	}
	if row.Regression {
		v += " (regression)"
	}
	return paint(color, style, v)
}

// comparisonCells formats a comparison row's base and new medians, change and verdict
// (with its note) for every format: a statement only in one report has "-" where the
// other side would be.
func comparisonCells(row *result.ComparisonRow, color bool) (base, nw, delta, p, verdict string) {
	base, nw, delta, p = Duration(row.BaseMs), Duration(row.NewMs), percent(row.DeltaPct), pvalue(row.P)
	switch row.Verdict {
	case result.VerdictAdded:
		base, delta, p = "-", "-", "-"
	case result.VerdictGone:
		nw, delta, p = "-", "-", "-"
	case result.VerdictFailedNew, result.VerdictFailedBase:
		// A failed side has no time worth a change or a test.
		delta, p = "-", "-"
		if row.BaseN == 0 && row.BaseMs == 0 {
			base = "-"
		}
		if row.NewN == 0 {
			nw = "-"
		}
	}
	verdict = verdictCell(row, color)
	switch {
	case row.Note == "":
	case row.Verdict == result.VerdictSame:
		verdict += " " + row.Note
	default:
		verdict += ": " + row.Note
	}
	return base, nw, delta, p, verdict
}

// comparisonTable renders one comparison: base, new, delta, p and verdict per
// statement, the total, and the gate line.
func comparisonTable(w *bufio.Writer, c *result.Comparison, opts Options) error {
	w.WriteString("comparison: " + c.Base + " → " + c.New + "\n")
	t := newGrid([]tw.Align{left, right, right, right, right, left}, "NAME", "BASE", "NEW", "DELTA", "P", "VERDICT")
	add := func(row *result.ComparisonRow, name string) {
		base, nw, delta, p, v := comparisonCells(row, opts.Color)
		t.add(name, base, nw, delta, p, v)
	}
	for i := range c.Rows {
		add(&c.Rows[i], OneLine(c.Rows[i].Name))
	}
	if c.Total != nil {
		add(c.Total, "(total)")
	}
	addPlanColumns(t, c) // --server-stats
	if err := t.render(w); err != nil {
		return err
	}
	line, pass := gate(c)
	style := ansiGreen
	if !pass {
		style = ansiRed
	}
	if c.ThresholdPct <= 0 && pass {
		style = ""
	}
	w.WriteString(paint(opts.Color, style, line))
	w.WriteByte('\n')
	return nil
}

// gridOf is an empty grid headed by cols.
func gridOf(cols []column) *grid {
	aligns := make([]tw.Align, len(cols))
	headers := make([]string, len(cols))
	for k := range cols {
		aligns[k], headers[k] = left, cols[k].header()
		if cols[k].right {
			aligns[k] = right
		}
	}
	return newGrid(aligns, headers...)
}

// writeSideBySide renders the statements of several targets side by side, with each
// other target's ratio to the first and the verdict.
func writeSideBySide(w *bufio.Writer, v *view, opts Options) error {
	t := gridOf(v.sideColumns())
	t.rows = v.sideRows(opts.Color)
	return t.render(w)
}

// targetCell is one target's time for a statement, or its status when it did not
// finish ok.
func targetCell(q *result.Query, color bool) string {
	if q.Status != result.StatusOK {
		return paint(color, statusStyle(q.Status), string(q.Status))
	}
	return Duration(q.WallMs)
}

// writeComparisonsTable renders qrun compare's output.
func writeComparisonsTable(w io.Writer, cs []result.Comparison, opts Options) error {
	bw := bufio.NewWriter(w)
	for i := range cs {
		if i > 0 {
			bw.WriteByte('\n')
		}
		if err := comparisonTable(bw, &cs[i], opts); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// distinct returns the distinct strings of ss in their first order.
func distinct(ss []string) []string {
	var out []string
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
