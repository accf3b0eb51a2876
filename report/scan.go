package report

import (
	"bufio"
	"fmt"
	"html"
	"html/template"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/qrunhq/qrun/result"
	"github.com/qrunhq/qrun/stats"
)

// A parameter scan (qrun --scan) is a several-target report whose targets carry
// Context.Scan, the combination of values each ran with. Beside the statements side by
// side, it gets a scaling summary: per combination the run's median wall time, the
// throughput and the latency percentiles of its statements; and in the HTML a chart of
// throughput and latency against the pool size (c).

// scanPoint is one combination's figures.
type scanPoint struct {
	Label      string  // the combination, as the scan wrote it ("c=2 rows=10")
	Series     string  // the target and the values other than c: one line of the chart
	Conc       int     // c, or 0 when the scan does not set it
	TotalMs    float64 // median wall time of a run
	Throughput float64 // statements ended ok per second of a run (median run)
	P50, P95   float64 // over every ok execution of every statement
	P99        float64
	N          int // executions counted in the percentiles
}

// scanPoints returns the figures of each target of r, in order, or nil when r is no scan.
func scanPoints(r *result.Report) []scanPoint {
	if len(r.Targets) == 0 || r.Targets[0].Context.Scan == nil {
		return nil
	}
	out := make([]scanPoint, 0, len(r.Targets))
	for i := range r.Targets {
		t := &r.Targets[i]
		sc := t.Context.Scan
		keys := make([]string, 0, len(sc))
		for k := range sc {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var label, others []string
		for _, k := range keys {
			label = append(label, k+"="+sc[k])
			if k != "c" {
				others = append(others, k+"="+sc[k])
			}
		}
		p := scanPoint{Label: strings.Join(label, " "), TotalMs: t.TotalWallMs}
		base := strings.TrimSpace(strings.TrimSuffix(t.Context.Target, scanSuffix(t)))
		p.Series = strings.TrimSpace(base + " " + strings.Join(others, " "))
		p.Conc, _ = strconv.Atoi(sc["c"])
		if t.TotalWallMs > 0 {
			p.Throughput = float64(t.Summary.OK) / (t.TotalWallMs / 1000)
		}
		var all []float64
		for j := range t.Queries {
			all = append(all, t.Queries[j].Samples()...)
		}
		slices.Sort(all)
		p.N = len(all)
		if len(all) > 0 {
			p.P50, p.P95, p.P99 = stats.Percentile(all, 50), stats.Percentile(all, 95), stats.Percentile(all, 99)
		}
		out = append(out, p)
	}
	return out
}

// scanSuffix is what qrun appended to a scan target's label: its combination in the
// order of the scan's flags, which the label ends with.
func scanSuffix(t *result.Report) string {
	words := strings.Fields(t.Context.Target)
	n := 0
	for i := len(words) - 1; i >= 0; i-- {
		k, v, ok := strings.Cut(words[i], "=")
		if !ok || t.Context.Scan[k] != v {
			break
		}
		n++
	}
	return strings.Join(words[len(words)-n:], " ")
}

// writeScanTable writes the scaling summary under the side-by-side table.
func writeScanTable(w *bufio.Writer, r *result.Report) {
	pts := scanPoints(r)
	if pts == nil {
		return
	}
	w.WriteString("\nscan: per combination, the median run, statements ok per second, and latency over every execution\n")
	rows := [][]string{{"COMBINATION", "TARGET", "RUN", "STATEMENTS/S", "P50", "P95", "P99"}}
	for _, p := range pts {
		rows = append(rows, []string{p.Label, strings.TrimSpace(strings.TrimSuffix(p.Series, otherValues(p))), Duration(p.TotalMs),
			strconv.FormatFloat(p.Throughput, 'f', 1, 64), Duration(p.P50), Duration(p.P95), Duration(p.P99)})
	}
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for _, row := range rows {
		for i, c := range row {
			if i > 0 {
				w.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
			if i >= 2 {
				w.WriteString(pad + c)
			} else {
				w.WriteString(c + pad)
			}
		}
		w.WriteByte('\n')
	}
}

// otherValues is the part of p.Series that names scan values.
func otherValues(p scanPoint) string {
	var out []string
	for _, f := range strings.Fields(p.Label) {
		if !strings.HasPrefix(f, "c=") {
			out = append(out, f)
		}
	}
	return strings.Join(out, " ")
}

// scanChartHTML draws throughput and latency percentiles against the pool size, one line
// per series (a target and the scan's other values); "" when the scan has no c or only
// one value of it.
func scanChartHTML(r *result.Report) template.HTML {
	pts := scanPoints(r)
	var concs []int
	for _, p := range pts {
		if p.Conc > 0 && !slices.Contains(concs, p.Conc) {
			concs = append(concs, p.Conc)
		}
	}
	if len(concs) < 2 {
		return ""
	}
	slices.Sort(concs)
	var series []string
	for _, p := range pts {
		if !slices.Contains(series, p.Series) {
			series = append(series, p.Series)
		}
	}
	const (
		w, h          = 460, 260
		left, right   = 56, 12
		top, bottom   = 26, 40
		plotW, plotH  = w - left - right, h - top - bottom
		gap           = 24
		totalW        = 2*w + gap
		latencyOffset = w + gap
	)
	xAt := func(c int) float64 {
		i := slices.Index(concs, c)
		return left + float64(i)*plotW/float64(len(concs)-1)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="scan" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="throughput and latency against concurrency">`, totalW, h, totalW, h)
	colors := []string{"#3b82c4", "#2f9e5b", "#c2410c", "#7c5cc4", "#c9a227", "#d64545"}
	panel := func(dx int, title, unit string, maxV float64, lines []scanLine) {
		fmt.Fprintf(&b, `<g transform="translate(%d,0)"><text x="%d" y="16" class="title">%s</text>`, dx, left, html.EscapeString(title))
		fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, left, top+plotH, left+plotW, top+plotH)
		fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, left, top, left, top+plotH)
		for _, c := range concs {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" class="tick">%d</text>`, xAt(c), top+plotH+16, c)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" class="tick">concurrency (c)</text>`, left+plotW/2, top+plotH+32)
		if maxV <= 0 {
			maxV = 1
		}
		for k := 0; k <= 4; k++ {
			v := maxV * float64(k) / 4
			y := top + plotH - float64(plotH)*float64(k)/4
			label := strconv.FormatFloat(v, 'f', 1, 64)
			if unit == "ms" {
				label = Duration(v)
			}
			fmt.Fprintf(&b, `<g class="tick"><line x1="%d" y1="%.1f" x2="%d" y2="%.1f"/><text x="%d" y="%.1f" text-anchor="end">%s</text></g>`,
				left, y, left+plotW, y, left-4, y+4, html.EscapeString(label))
		}
		for _, l := range lines {
			var pts []string
			for _, p := range l.points {
				y := top + plotH - p[1]/maxV*plotH
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", p[0], y))
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s</title></circle>`, p[0], y, l.color, html.EscapeString(l.name))
			}
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" %s points="%s"><title>%s</title></polyline>`,
				l.color, l.dash, strings.Join(pts, " "), html.EscapeString(l.name))
		}
		b.WriteString(`</g>`)
	}
	var thr, lat []scanLine
	maxThr, maxLat := 0.0, 0.0
	for si, s := range series {
		color := colors[si%len(colors)]
		t := scanLine{name: s + " statements/s", color: color}
		p50 := scanLine{name: s + " p50", color: color}
		p95 := scanLine{name: s + " p95", color: color, dash: `stroke-dasharray="6 3"`}
		p99 := scanLine{name: s + " p99", color: color, dash: `stroke-dasharray="2 3"`}
		for _, p := range pts {
			if p.Series != s || p.Conc == 0 {
				continue
			}
			x := xAt(p.Conc)
			t.points = append(t.points, [2]float64{x, p.Throughput})
			p50.points = append(p50.points, [2]float64{x, p.P50})
			p95.points = append(p95.points, [2]float64{x, p.P95})
			p99.points = append(p99.points, [2]float64{x, p.P99})
			maxThr, maxLat = math.Max(maxThr, p.Throughput), math.Max(maxLat, p.P99)
		}
		thr = append(thr, t)
		lat = append(lat, p50, p95, p99)
	}
	panel(0, "throughput (statements ok per second)", "", maxThr*1.1, thr)
	panel(latencyOffset, "latency: p50 (solid), p95 (dashed), p99 (dotted)", "ms", maxLat*1.1, lat)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text above is escaped
}

type scanLine struct {
	name, color, dash string
	points            [][2]float64
}

// scanTableHTML is the scaling summary as table rows.
func scanTableHTML(r *result.Report) template.HTML {
	pts := scanPoints(r)
	if pts == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(`<tr><th>combination</th><th>target</th><th>run (median)</th><th>statements/s</th><th>p50</th><th>p95</th><th>p99</th></tr>`)
	for _, p := range pts {
		fmt.Fprintf(&b, `<tr><td class="name">%s</td><td>%s</td><td class="n">%s</td><td class="n">%.1f</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td></tr>`,
			html.EscapeString(p.Label), html.EscapeString(strings.TrimSpace(strings.TrimSuffix(p.Series, otherValues(p)))),
			Duration(p.TotalMs), p.Throughput, Duration(p.P50), Duration(p.P95), Duration(p.P99))
	}
	return template.HTML(b.String())
}

// mdScan writes the scaling summary as a markdown table.
func mdScan(w *bufio.Writer, r *result.Report) {
	pts := scanPoints(r)
	if pts == nil {
		return
	}
	w.WriteString("\n**Scan**: per combination, the median run, statements ok per second, and latency over every execution\n\n")
	w.WriteString("| combination | target | run | statements/s | p50 | p95 | p99 |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, p := range pts {
		fmt.Fprintf(w, "| %s | %s | %s | %.1f | %s | %s | %s |\n", md(p.Label), md(strings.TrimSpace(strings.TrimSuffix(p.Series, otherValues(p)))),
			Duration(p.TotalMs), p.Throughput, Duration(p.P50), Duration(p.P95), Duration(p.P99))
	}
}
