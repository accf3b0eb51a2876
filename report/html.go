package report

import (
	_ "embed"
	"html"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/qrunhq/qrun/result"
)

//go:embed html.tmpl
var htmlSource string

// htmlTemplate is the page of the html format: one self-contained file, with inline CSS
// and inline SVG, no script and no network asset.
var htmlTemplate = template.Must(template.New("page").Parse(htmlSource))

// Geometry of the SVG timeline, in pixels.
const (
	svgWidth   = 1000
	svgLabelW  = 200 // the names on the left
	svgRightW  = 70  // the times on the right
	svgTop     = 44  // stage labels and the axis
	svgRowH    = 22
	svgBarH    = 14
	distWidth  = 160
	distHeight = 36  // the strip (22) and its axis
	maxDots    = 400 // a distribution plot shows at most this many runs
)

type htmlPage struct {
	Title       string
	Headline    string
	Sections    []htmlSection
	Comparisons []htmlComparison
	Warnings    []string
	// ScanTable and ScanChart are a --scan's scaling summary and chart (scan.go).
	ScanTable, ScanChart template.HTML
}

type htmlSection struct {
	Label    string
	Summary  []string
	DryRun   bool
	Headers  []string // the statements table's columns
	Timeline *svgTimeline
	RowsHTML template.HTML // the statements' table rows, escaped by htmlWriter
	Why      []string
	Problems []htmlProblem
	Warnings []string
	// ServerHTML is the --server-stats table (server.go), escaped by htmlWriter.
	ServerHTML template.HTML
}

type htmlProblem struct{ Position, Name, Status, Message string }

type svgTimeline struct {
	ID            string
	Width, Height int
	AxisX0        float64 // where time 0 is
	AxisX1        float64 // where the axis ends
	Bottom        int
	Ticks         []svgTick
	Stages        []svgTick
	BarsHTML      template.HTML // one <g class="row"> per unit, escaped by htmlWriter
}

type svgTick struct {
	X     float64
	Label string
}

type svgBar struct {
	Name, Status, Label, Title, Time string
	Y, TextY                         float64
	X, W                             float64
	WaitX, WaitW                     float64
	TimeX                            float64
}

type svgDist struct {
	Title            string
	Dots             []float64
	Median, P95      float64
	Lo, Hi           float64
	Width, Height, Y int
	// The axis under the strip: its ends' values, min and max.
	LoLabel, HiLabel string
}

type htmlComparison struct {
	Base, New, Gate string
	Gated, Pass     bool
	Rows            []htmlCompRow
	// PlanHTML is the server verdicts, plan column and plan diffs (--server-stats).
	PlanHTML template.HTML
}

type htmlCompRow struct {
	Name, Base, New, Delta, P, Verdict, Class string
}

// px rounds a coordinate to a tenth of a pixel, to keep the file small and stable.
func px(v float64) float64 { return math.Round(v*10) / 10 }

func writeHTML(w io.Writer, r *result.Report) error {
	page := htmlPage{Title: "qrun report", Headline: headline(r), ScanTable: scanTableHTML(r), ScanChart: scanChartHTML(r)}
	v := newView(r)
	if v.several {
		page.Warnings = r.Warnings // a single report's are in its section
	}
	for i := range v.sections {
		s := &v.sections[i]
		switch {
		case !v.several:
			page.Sections = append(page.Sections, htmlSectionOf(s, "", "timeline", 0))
		case i == 0:
			page.Sections = append(page.Sections, htmlSectionOf(s, s.label, "timeline", commonEnd(r))) // one scale
		default:
			page.Sections = append(page.Sections, htmlSectionOf(s, s.label, "timeline-"+strconv.Itoa(i+1), commonEnd(r)))
		}
	}
	for _, c := range v.comparisons {
		page.Comparisons = append(page.Comparisons, htmlComparisonOf(c))
	}
	return execute(w, &page)
}

func writeComparisonsHTML(w io.Writer, cs []result.Comparison) error {
	page := htmlPage{Title: "qrun compare", Headline: "comparison"}
	for i := range cs {
		page.Comparisons = append(page.Comparisons, htmlComparisonOf(&cs[i]))
	}
	if len(cs) > 0 {
		line, _ := gate(&cs[0])
		page.Headline = line
	}
	return execute(w, &page)
}

func execute(w io.Writer, page *htmlPage) error {
	bw := newBufWriter(w)
	if err := htmlTemplate.Execute(bw, page); err != nil {
		return err
	}
	return bw.Flush()
}

func htmlSectionOf(sec *section, lbl, id string, axisEndMs float64) htmlSection {
	r := sec.r
	cols := sec.columns()
	s := htmlSection{Label: lbl, Summary: summaryLines(sec), DryRun: sec.dry, Why: sec.why(), Warnings: r.Warnings}
	for k := range cols {
		s.Headers = append(s.Headers, cols[k].name)
	}
	if sec.repeated {
		s.Headers = append(s.Headers, "distribution")
	}
	if len(r.Queries) == 0 {
		s.Headers = nil // a file of comments alone: no table, no timeline
	} else if !s.DryRun {
		s.Timeline = svgTimelineOf(sec, id, axisEndMs)
	}
	var hw htmlWriter
	per := 300 // a row's bytes; growing a builder of many megabytes costs more than rendering
	if sec.repeated {
		per = 800 + 40*min(maxDots, r.Runs)
	}
	hw.b.Grow(per * len(r.Queries))
	for i := range r.Queries {
		q := &r.Queries[i]
		hw.raw("<tr>")
		for k := range cols {
			c := &cols[k]
			switch {
			case c.name == "status":
				hw.raw(`<td class="status `)
				hw.text(string(q.Status))
				hw.raw(`">`)
				hw.text(c.cell(i, q, false))
				hw.raw("</td>")
			case c.name == "name":
				hw.td("name", c.cell(i, q, false))
			case c.right:
				hw.td("n", c.cell(i, q, false))
			default:
				hw.td("", c.cell(i, q, false))
			}
		}
		if sec.repeated {
			hw.raw("<td>")
			if d := distOf(q); d != nil {
				hw.dist(d)
			}
			hw.raw("</td>")
		}
		hw.raw("</tr>\n")
	}
	for _, p := range sec.problems() {
		s.Problems = append(s.Problems, htmlProblem{Position: position(p.q), Name: p.q.Name, Status: string(p.q.Status), Message: p.msg})
	}
	s.RowsHTML = template.HTML(hw.b.String())
	s.ServerHTML = htmlServer(r)
	return s
}

// svgTimelineOf lays out the run on a time axis: one bar per unit, its wait as a
// lighter segment before it, stage boundaries as vertical lines, and ticks.
func svgTimelineOf(sec *section, id string, axisEndMs float64) *svgTimeline {
	r := sec.r
	x0, x1 := float64(svgLabelW), float64(svgWidth-svgRightW)
	ax, ok := newAxis(r, x1-x0, axisEndMs)
	if !ok {
		ax = axis{endMs: 1, size: x1 - x0}
	}
	t := &svgTimeline{ID: id, Width: svgWidth, AxisX0: x0, AxisX1: x1}
	t.Bottom = svgTop + len(r.Queries)*svgRowH
	t.Height = t.Bottom + 8
	step := niceStep(ax.endMs, 10)
	for v := 0.0; v <= ax.endMs+step/1e6; v += step {
		lbl := Duration(v)
		if v == 0 {
			lbl = "0"
		}
		t.Ticks = append(t.Ticks, svgTick{X: px(x0 + ax.at(v)), Label: lbl})
	}
	sts := drawnStages(sec.stages())
	for _, st := range sts {
		t.Stages = append(t.Stages, svgTick{X: px(x0 + ax.at(st.openMs)), Label: st.name})
	}
	var hw htmlWriter
	hw.b.Grow(600 * len(r.Queries))
	si := 0 // the stage of unit i
	var b strings.Builder
	for i := range r.Queries {
		q := &r.Queries[i]
		for si+1 < len(sts) && sts[si+1].first <= i {
			si++
		}
		y := float64(svgTop + i*svgRowH)
		bar := svgBar{Name: q.Name, Status: string(q.Status), Label: shorten(q.Name, 28),
			Y: px(y + (svgRowH-svgBarH)/2), TextY: px(y + svgRowH/2 + 4)}
		b.Reset()
		b.WriteString(q.Name)
		b.WriteString(" — ")
		b.WriteString(string(q.Status))
		if ran(q) {
			start, end := ax.at(q.StartMs), ax.at(q.EndMs)
			bar.X, bar.W = px(x0+start), px(math.Max(1, end-start))
			if q.WaitMs > 0 {
				ws := ax.at(q.StartMs - q.WaitMs)
				bar.WaitX, bar.WaitW = px(x0+ws), px(start-ws)
			}
			bar.Time = Duration(runTime(r, q))
			b.WriteString(", " + bar.Time + " (" + Duration(q.StartMs) + " → " + Duration(q.EndMs) + ")")
			if q.WaitMs > 0 {
				b.WriteString(", waited " + waitCell(q.WaitMs))
			}
			if q.Rows > 0 {
				b.WriteString(", " + plural(int(q.Rows), "row"))
			}
		} else {
			// A unit that never ran gets a small marker where its stage opened.
			open := 0.0
			if si < len(sts) {
				open = sts[si].openMs
			}
			bar.X, bar.W = px(x0+ax.at(open)), 6
			bar.Time = string(q.Status)
		}
		if msg, ok := problem(q); ok {
			b.WriteString(": " + msg)
		}
		if len(q.Deps) > 0 {
			b.WriteString("; waited for " + afterWhy(q))
		}
		bar.TimeX = px(math.Min(x1, bar.X+bar.W) + 6)
		bar.Title = b.String()
		hw.bar(&bar)
	}
	t.BarsHTML = template.HTML(hw.b.String())
	return t
}

// distOf draws a statement's runs as a strip plot: one dot per run, the median as a
// line and the 95th percentile as a tick.
func distOf(q *result.Query) *svgDist {
	st := q.Stats
	if st == nil || st.N == 0 {
		return nil // no run ended ok: nothing to draw
	}
	lo, hi := st.MinMs, st.MaxMs
	if hi <= lo {
		hi = lo + 1
	}
	d := &svgDist{Width: distWidth, Height: distHeight, Y: 11, LoLabel: Duration(st.MinMs), HiLabel: Duration(st.MaxMs),
		Title: "n=" + strconv.Itoa(st.N) + " min " + Duration(st.MinMs) + " p50 " + Duration(st.P50Ms) +
			" p95 " + Duration(st.P95Ms) + " max " + Duration(st.MaxMs) + " ±" + Duration(st.StddevMs)}
	const pad = 4
	x := func(v float64) float64 { return px(pad + (v-lo)/(hi-lo)*(distWidth-2*pad)) }
	d.Lo, d.Hi = x(st.MinMs), x(st.MaxMs)
	d.Median, d.P95 = x(st.P50Ms), x(st.P95Ms)
	samples := q.Samples() // failed runs are no samples
	stride := max(1, len(samples)/maxDots)
	for i := 0; i < len(samples); i += stride {
		d.Dots = append(d.Dots, x(samples[i]))
	}
	return d
}

func htmlComparisonOf(c *result.Comparison) htmlComparison {
	line, pass := gate(c)
	hc := htmlComparison{Base: c.Base, New: c.New, Gate: line, Gated: c.ThresholdPct > 0 || !pass, Pass: pass}
	add := func(row *result.ComparisonRow, name string) {
		base, nw, delta, p, v := comparisonCells(row, false)
		class := string(row.Verdict)
		switch row.Verdict {
		case result.VerdictSame:
			class = "same"
		case result.VerdictFailedNew, result.VerdictFailedBase:
			class = "failed"
		}
		if row.Regression {
			class = "regression"
		}
		hc.Rows = append(hc.Rows, htmlCompRow{Name: name, Base: base, New: nw, Delta: delta, P: p, Verdict: v, Class: class})
	}
	for i := range c.Rows {
		add(&c.Rows[i], c.Rows[i].Name)
	}
	if c.Total != nil {
		add(c.Total, "(total)")
	}
	hc.PlanHTML = htmlPlans(c)
	return hc
}

// shorten cuts s to n runes with an ellipsis.
func shorten(s string, n int) string {
	s = OneLine(s)
	if len(s) <= n {
		return s
	}
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n-1]) + "…"
}

// htmlWriter writes the long repeated parts of the page — a bar and a table row per
// unit — faster than html/template would, escaping every value it is given with
// html.EscapeString, which is safe in text and in double-quoted attributes.
type htmlWriter struct{ b strings.Builder }

func (h *htmlWriter) raw(s string)  { h.b.WriteString(s) }
func (h *htmlWriter) text(s string) { h.b.WriteString(html.EscapeString(s)) }
func (h *htmlWriter) num(v float64) {
	var buf [24]byte
	h.b.Write(strconv.AppendFloat(buf[:0], v, 'f', -1, 64))
}

// bar writes one unit's row of the timeline.
func (h *htmlWriter) bar(b *svgBar) {
	h.raw(`<g class="row"><text class="label" x="192" y="`)
	h.num(b.TextY)
	h.raw(`" text-anchor="end">`)
	h.text(b.Label)
	h.raw(`</text>`)
	if b.WaitW > 0 {
		h.raw(`<rect class="wait st-`)
		h.text(b.Status)
		h.raw(`" x="`)
		h.num(b.WaitX)
		h.raw(`" y="`)
		h.num(b.Y)
		h.raw(`" width="`)
		h.num(b.WaitW)
		h.raw(`" height="14"><title>waiting for a connection</title></rect>`)
	}
	h.raw(`<rect class="bar st-`)
	h.text(b.Status)
	h.raw(`" data-name="`)
	h.text(b.Name)
	h.raw(`" data-status="`)
	h.text(b.Status)
	h.raw(`" x="`)
	h.num(b.X)
	h.raw(`" y="`)
	h.num(b.Y)
	h.raw(`" width="`)
	h.num(b.W)
	h.raw(`" height="14" rx="2"><title>`)
	h.text(b.Title)
	h.raw(`</title></rect><text class="time" x="`)
	h.num(b.TimeX)
	h.raw(`" y="`)
	h.num(b.TextY)
	h.raw(`">`)
	h.text(b.Time)
	h.raw("</text></g>\n")
}

func (h *htmlWriter) td(class, s string) {
	if class == "" {
		h.raw("<td>")
	} else {
		h.raw(`<td class="`)
		h.raw(class)
		h.raw(`">`)
	}
	h.text(s)
	h.raw("</td>")
}

// dist writes a distribution plot.
func (h *htmlWriter) dist(d *svgDist) {
	h.raw(`<svg class="dist" xmlns="http://www.w3.org/2000/svg" width="`)
	h.num(float64(d.Width))
	h.raw(`" height="`)
	h.num(float64(d.Height))
	h.raw(`" viewBox="0 0 `)
	h.num(float64(d.Width))
	h.raw(" ")
	h.num(float64(d.Height))
	h.raw(`"><title>`)
	h.text(d.Title)
	h.raw(`</title><line class="range" x1="`)
	h.num(d.Lo)
	h.raw(`" y1="`)
	h.num(float64(d.Y))
	h.raw(`" x2="`)
	h.num(d.Hi)
	h.raw(`" y2="`)
	h.num(float64(d.Y))
	h.raw(`"/>`)
	for _, x := range d.Dots {
		h.raw(`<circle cx="`)
		h.num(x)
		h.raw(`" cy="`)
		h.num(float64(d.Y))
		h.raw(`" r="2.5"/>`)
	}
	h.raw(`<line class="median" x1="`)
	h.num(d.Median)
	h.raw(`" y1="3" x2="`)
	h.num(d.Median)
	h.raw(`" y2="19"/><line class="p95" x1="`)
	h.num(d.P95)
	h.raw(`" y1="6" x2="`)
	h.num(d.P95)
	h.raw(`" y2="16"/>`)
	// The axis: a line from min to max with a tick at each end, and their values.
	h.raw(`<g class="axis"><line x1="`)
	h.num(d.Lo)
	h.raw(`" y1="24" x2="`)
	h.num(d.Hi)
	h.raw(`" y2="24"/><line x1="`)
	h.num(d.Lo)
	h.raw(`" y1="22" x2="`)
	h.num(d.Lo)
	h.raw(`" y2="26"/><line x1="`)
	h.num(d.Hi)
	h.raw(`" y1="22" x2="`)
	h.num(d.Hi)
	h.raw(`" y2="26"/><text x="`)
	h.num(d.Lo)
	h.raw(`" y="34">`)
	h.text(d.LoLabel)
	h.raw(`</text><text x="`)
	h.num(d.Hi)
	h.raw(`" y="34" text-anchor="end">`)
	h.text(d.HiLabel)
	h.raw(`</text></g></svg>`)
}
