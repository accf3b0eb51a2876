package report

import (
	"bufio"
	"fmt"
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
	name := oneLine(q.Name)
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

// statCells are a repeated unit's median, p95, ±stddev and min…max cells, over the runs
// that ended ok: "—" where there are too few of them.
func statCells(q *result.Query) (median, p95, sd, minMax string) {
	s := q.Stats
	if s == nil {
		return Duration(q.WallMs), "", "", ""
	}
	switch s.N {
	case 0:
		return noValue, noValue, noValue, noValue
	case 1:
		return Duration(s.P50Ms), Duration(s.P95Ms), noValue, Duration(s.MinMs)
	}
	return Duration(s.P50Ms), Duration(s.P95Ms), "±" + Duration(s.StddevMs), Duration(s.MinMs) + "…" + Duration(s.MaxMs)
}

func writeTable(w io.Writer, r *result.Report, opts Options) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if len(r.Targets) > 0 {
		if err := writeTargetsTable(bw, r, opts); err != nil {
			return err
		}
	} else if err := writeOneTable(bw, r, opts, true); err != nil {
		return err
	}
	return bw.Flush()
}

// writeOneTable renders one target's report: statements, errors, summary, timeline,
// baseline comparison and warnings. withStatements is false under a several-target
// table, which already shows the statements side by side.
func writeOneTable(w *bufio.Writer, r *result.Report, opts Options, withStatements bool) error {
	if withStatements {
		if err := statementsTable(w, r, opts); err != nil {
			return err
		}
	} else if err := serverTable(w, r); err != nil { // --server-stats, beside the targets' table
		return err
	}
	writeProblems(w, r, opts)
	writeSummary(w, r, opts)
	if !isDryRun(r) {
		writeTimeline(w, r, opts)
	}
	return writeComparisonsAndWarnings(w, r, opts)
}

func statementsTable(w io.Writer, r *result.Report, opts Options) error {
	var t *grid
	switch {
	case isDryRun(r):
		t = newGrid([]tw.Align{right, left, left, left, left}, "#", "NAME", "STAGE", "AFTER", "POSITION")
		for i := range r.Queries {
			q := &r.Queries[i]
			t.add(strconv.Itoa(i+1), unitName(q), oneLine(q.Stage),
				afterNames(q), q.File+":"+strconv.Itoa(q.Line)+":"+strconv.Itoa(q.Col))
		}
		if err := t.render(w); err != nil {
			return err
		}
		writeWhy(w, r)
		return nil
	case r.Runs > 1:
		t = newGrid([]tw.Align{left, left, right, right, right, right, right, right},
			"NAME", "STATUS", "MEDIAN", "P95", "±STDDEV", "MIN…MAX", "ROWS", "WAIT")
		for i := range r.Queries {
			q := &r.Queries[i]
			med, p95, sd, mm := statCells(q)
			t.add(unitName(q), statusCell(q, opts.Color), med, p95, sd, mm, rowsCell(q), waitCell(q.WaitMs))
		}
		// Eight columns do not fit a terminal of 80: leave out what says least (no wait, the
		// spread beside min…max, the rows), then shorten long names. JSON has them all.
		t.fit(opts.width(), []gridDrop{{"WAIT", true}, {"±STDDEV", false}, {"ROWS", false}, {"WAIT", false}}, 0, 16)
	default:
		t = newGrid([]tw.Align{left, left, right, right, right}, "NAME", "STATUS", "TIME", "ROWS", "WAIT")
		for i := range r.Queries {
			q := &r.Queries[i]
			t.add(unitName(q), statusCell(q, opts.Color), timeCell(q), rowsCell(q), waitCell(q.WaitMs))
		}
	}
	addServerColumns(t, r) // --server-stats
	addTargetColumn(t, r)
	return t.render(w)
}

// addTargetColumn adds a TARGET column when a \connect ran some units on another
// server or database than the run's: there, the target they ran on; "-" on the run's.
func addTargetColumn(t *grid, r *result.Report) {
	if !slices.ContainsFunc(r.Queries, func(q result.Query) bool { return q.Target != "" }) {
		return
	}
	t.headers = append(t.headers, "TARGET")
	t.aligns = append(t.aligns, left)
	for i := range t.rows {
		cell := "-"
		if tg := r.Queries[i].Target; tg != "" {
			cell = oneLine(tg)
		}
		t.rows[i] = append(t.rows[i], cell)
	}
}

// timeCell is a unit's time, or a dash when it never ran.
func timeCell(q *result.Query) string {
	switch q.Status {
	case result.StatusSkipped, result.StatusNotRun, result.StatusPlanned:
		return "-"
	}
	return Duration(q.WallMs)
}

func rowsCell(q *result.Query) string {
	switch q.Status {
	case result.StatusSkipped, result.StatusNotRun, result.StatusPlanned:
		return "-"
	}
	return strconv.FormatInt(q.Rows, 10)
}

// writeWhy lists, under a dry run's table, why each unit waits for the ones it waits
// for: one line per dependency, "NAME waits for AFTER: REASON".
func writeWhy(w io.Writer, r *result.Report) {
	first := true
	for i := range r.Queries {
		q := &r.Queries[i]
		for _, d := range q.Deps {
			if first {
				fmt.Fprintln(w, "\nWhy units wait:")
				first = false
			}
			fmt.Fprintf(w, "  %s waits for %s: %s\n", unitName(q), oneLine(d.After), oneLine(d.Reason))
		}
	}
}

// writeProblems lists errors, timeouts, skips and units not run under the table, one a
// line: file:line:col: name: SQLSTATE message.
func writeProblems(w *bufio.Writer, r *result.Report, opts Options) {
	first := true
	for i := range r.Queries {
		q := &r.Queries[i]
		msg, ok := problem(q)
		if !ok && q.Status == result.StatusPlanned && q.Reason != "" {
			msg, ok = q.Reason, true // --dry-run: "dynamic: ..." (completed at run time)
		}
		if !ok {
			continue
		}
		if first {
			w.WriteByte('\n')
			first = false
		}
		w.WriteString(position(q))
		w.WriteString(": ")
		w.WriteString(oneLine(q.Name))
		w.WriteString(": ")
		w.WriteString(paint(opts.Color, statusStyle(q.Status), oneLine(msg)))
		w.WriteByte('\n')
	}
}

// summaryLines returns the run's summary as lines of "key value" pairs, shared by the
// table, markdown and html formats.
func summaryLines(r *result.Report) []string {
	var lines []string
	if isDryRun(r) {
		stages := map[string]bool{}
		for i := range r.Queries {
			stages[r.Queries[i].Stage] = true
		}
		return []string{"mode dry-run · " + plural(len(r.Queries), "unit") + " · " + plural(len(stages), "stage") + " · nothing was run"}
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
	if addrs := distinct(r.Context.Connections); len(addrs) > 1 {
		l += " · reached " + strings.Join(addrs, ", ")
	}
	lines = append(lines, l)
	total := "total " + Duration(r.TotalWallMs)
	if r.Runs > 1 {
		total = "total " + Duration(r.TotalWallMs) + " (median)"
	}
	lines = append(lines, total+" · sum "+Duration(r.SumMs)+" · speedup "+ratio(r.Speedup))
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

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func writeSummary(w *bufio.Writer, r *result.Report, opts Options) {
	w.WriteByte('\n')
	for _, l := range summaryLines(r) {
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
		w.WriteString(oneLine(s))
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

// writeComparisonsAndWarnings ends a table report: its comparisons, then its warnings.
func writeComparisonsAndWarnings(w *bufio.Writer, r *result.Report, opts Options) error {
	for i := range r.Comparison {
		w.WriteByte('\n')
		if err := comparisonTable(w, &r.Comparison[i], opts); err != nil {
			return err
		}
	}
	writeWarnings(w, r.Warnings, opts)
	return nil
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
		add(&c.Rows[i], oneLine(c.Rows[i].Name))
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

// writeTargetsTable renders a several-target report: the statements side by side with
// each other target's ratio to the first and the verdict, then each target's summary,
// errors and timeline, then the gates.
func writeTargetsTable(w *bufio.Writer, r *result.Report, opts Options) error {
	v := newView(r)
	headers := []string{"NAME"}
	aligns := []tw.Align{left}
	for i := range r.Targets {
		headers = append(headers, label(&r.Targets[i], i))
		aligns = append(aligns, right)
		if i > 0 {
			headers = append(headers, "RATIO", "VERDICT")
			aligns = append(aligns, right, left)
		}
	}
	t := newGrid(aligns, headers...)
	idx := make([]map[string]*result.ComparisonRow, len(r.Targets))
	byName := make([]map[string]*result.Query, len(r.Targets))
	for i := range r.Targets {
		idx[i] = rowIndex(v.sections[i].vsFirst)
		if i > 0 {
			byName[i] = make(map[string]*result.Query, len(r.Targets[i].Queries))
			for j := range r.Targets[i].Queries {
				q := &r.Targets[i].Queries[j]
				byName[i][q.Name] = q
			}
		}
	}
	first := &r.Targets[0]
	for j := range first.Queries {
		q0 := &first.Queries[j]
		row := make([]string, 0, len(headers))
		row = append(row, unitName(q0), targetCell(q0, opts.Color))
		for i := 1; i < len(r.Targets); i++ {
			q := byName[i][q0.Name]
			if q == nil {
				row = append(row, "-", "", "")
				continue
			}
			row = append(row, targetCell(q, opts.Color))
			if c := idx[i][q0.Name]; c != nil {
				row = append(row, ratio(c.Ratio), verdictCell(c, opts.Color))
			} else {
				row = append(row, "", "")
			}
		}
		t.add(row...)
	}
	if err := t.render(w); err != nil {
		return err
	}
	one := opts
	one.axisEndMs = commonEnd(r) // the targets' timelines on one scale
	for i := range r.Targets {
		tr := &r.Targets[i]
		w.WriteString("\n" + paint(opts.Color, ansiBold, "== "+label(tr, i)+" ==") + "\n")
		c := *tr
		c.Comparison = nil // the comparisons follow, once
		if err := writeOneTable(w, &c, one, false); err != nil {
			return err
		}
	}
	return writeComparisonsAndWarnings(w, r, opts)
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
