package report

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"github.com/qrunhq/qrun/result"
)

// mdEscaper makes text safe in a GitHub-flavoured markdown table cell.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, `|`, `\|`, "`", "\\`", `*`, `\*`, `<`, `&lt;`, `>`, `&gt;`,
	"\r\n", " ", "\n", " ", "\r", " ",
)

func md(s string) string { return mdEscaper.Replace(s) }

func writeMarkdown(w io.Writer, r *result.Report) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	reports, labels := []*result.Report{r}, []string{""}
	if len(r.Targets) > 0 {
		reports, labels = nil, nil
		for i := range r.Targets {
			reports = append(reports, &r.Targets[i])
			labels = append(labels, label(&r.Targets[i], i))
		}
	}
	bw.WriteString("## qrun: " + md(headline(r)) + "\n")
	if len(r.Targets) > 0 {
		mdTargets(bw, r)
	}
	for i, t := range reports {
		if labels[i] != "" {
			bw.WriteString("\n### " + md(labels[i]) + "\n")
		}
		bw.WriteByte('\n')
		for _, l := range summaryLines(t) {
			bw.WriteString(md(l) + "  \n")
		}
		if len(r.Targets) == 0 {
			mdStatements(bw, t)
		}
		mdServer(bw, t) // --server-stats
		mdProblems(bw, t)
		mdWarnings(bw, t.Warnings)
	}
	for i := range r.Comparison {
		mdComparison(bw, &r.Comparison[i])
	}
	if len(r.Targets) > 0 {
		mdWarnings(bw, r.Warnings)
	}
	return bw.Flush()
}

// headline is the one-line verdict of a report: counts and, when a gate was set, its
// outcome.
func headline(r *result.Report) string {
	var parts []string
	if len(r.Targets) > 0 {
		parts = append(parts, plural(len(r.Targets), "target"))
		var c result.Counts
		for i := range r.Targets {
			s := r.Targets[i].Summary
			c.OK += s.OK
			c.Error += s.Error
			c.Timeout += s.Timeout
			c.Cancelled += s.Cancelled
			c.Skipped += s.Skipped
			c.NotRun += s.NotRun
		}
		parts = append(parts, countsLine(c, r.Interrupted))
	} else if isDryRun(r) {
		parts = append(parts, "dry run, "+plural(len(r.Queries), "unit")+" planned")
	} else {
		parts = append(parts, countsLine(r.Summary, r.Interrupted), "total "+Duration(r.TotalWallMs))
	}
	for i := range r.Comparison {
		if r.Comparison[i].ThresholdPct > 0 || r.Comparison[i].GatePlan {
			if _, pass := gate(&r.Comparison[i]); pass {
				parts = append(parts, "gate PASS")
			} else {
				parts = append(parts, "gate FAIL")
			}
			break
		}
	}
	return strings.Join(parts, " · ")
}

func mdStatements(w *bufio.Writer, r *result.Report) {
	w.WriteByte('\n')
	switch {
	case isDryRun(r):
		w.WriteString("| # | name | stage | after | position |\n|--:|---|---|---|---|\n")
		for i := range r.Queries {
			q := &r.Queries[i]
			w.WriteString("| " + strconv.Itoa(i+1) + " | " + md(unitName(q)) + " | " + md(q.Stage) + " | " +
				md(afterWhy(q)) + " | " + md(q.File+":"+strconv.Itoa(q.Line)+":"+strconv.Itoa(q.Col)) + " |\n")
		}
	case r.Runs > 1:
		w.WriteString("| name | status | median | p95 | ± stddev | min…max | rows | wait |\n|---|---|--:|--:|--:|--:|--:|--:|\n")
		for i := range r.Queries {
			q := &r.Queries[i]
			med, p95, sd, mm := statCells(q)
			w.WriteString("| " + md(unitName(q)) + " | " + md(statusCell(q, false)) + " | " + med + " | " +
				p95 + " | " + sd + " | " + mm + " | " + rowsCell(q) + " | " + waitCell(q.WaitMs) + " |\n")
		}
	default:
		w.WriteString("| name | status | time | rows | wait |\n|---|---|--:|--:|--:|\n")
		for i := range r.Queries {
			q := &r.Queries[i]
			w.WriteString("| " + md(unitName(q)) + " | " + md(string(q.Status)) + " | " + timeCell(q) + " | " +
				rowsCell(q) + " | " + waitCell(q.WaitMs) + " |\n")
		}
	}
}

// mdTargets is the several-target table: each target's time side by side, with the
// ratio and verdict of each target after the first.
func mdTargets(w *bufio.Writer, r *result.Report) {
	v := newView(r)
	w.WriteString("\n| name |")
	sep := "|---|"
	for i := range r.Targets {
		w.WriteString(" " + md(label(&r.Targets[i], i)) + " |")
		sep += "--:|"
		if i > 0 {
			w.WriteString(" ratio | verdict |")
			sep += "--:|---|"
		}
	}
	w.WriteString("\n" + sep + "\n")
	byName := make([]map[string]*result.Query, len(r.Targets))
	idx := make([]map[string]*result.ComparisonRow, len(r.Targets))
	for i := 1; i < len(r.Targets); i++ {
		byName[i] = make(map[string]*result.Query, len(r.Targets[i].Queries))
		for j := range r.Targets[i].Queries {
			byName[i][r.Targets[i].Queries[j].Name] = &r.Targets[i].Queries[j]
		}
		idx[i] = rowIndex(v.sections[i].vsFirst)
	}
	for j := range r.Targets[0].Queries {
		q0 := &r.Targets[0].Queries[j]
		w.WriteString("| " + md(unitName(q0)) + " | " + targetCell(q0, false) + " |")
		for i := 1; i < len(r.Targets); i++ {
			q := byName[i][q0.Name]
			if q == nil {
				w.WriteString(" - | | |")
				continue
			}
			w.WriteString(" " + targetCell(q, false) + " |")
			if c := idx[i][q0.Name]; c != nil {
				w.WriteString(" " + ratio(c.Ratio) + " | " + md(verdictCell(c, false)) + " |")
			} else {
				w.WriteString(" | |")
			}
		}
		w.WriteByte('\n')
	}
}

func mdProblems(w *bufio.Writer, r *result.Report) {
	first := true
	for i := range r.Queries {
		q := &r.Queries[i]
		msg, ok := problem(q)
		if !ok {
			continue
		}
		if first {
			w.WriteString("\n**Problems**\n\n")
			first = false
		}
		w.WriteString("- `" + strings.ReplaceAll(position(q), "`", "'") + "` " + md(q.Name) + ": " + md(msg) + "\n")
	}
}

func mdWarnings(w *bufio.Writer, warnings []string) {
	if len(warnings) == 0 {
		return
	}
	w.WriteString("\n**Warnings**\n\n")
	for _, s := range warnings {
		w.WriteString("- " + md(s) + "\n")
	}
}

func mdComparison(w *bufio.Writer, c *result.Comparison) {
	w.WriteString("\n### Comparison: " + md(c.Base) + " → " + md(c.New) + "\n\n")
	w.WriteString("| name | base | new | delta | p | verdict |\n|---|--:|--:|--:|--:|---|\n")
	put := func(row *result.ComparisonRow, name string) {
		base, nw, delta, p, v := comparisonCells(row, false)
		w.WriteString("| " + name + " | " + base + " | " + nw + " | " + delta + " | " + p + " | " + md(v) + " |\n")
	}
	for i := range c.Rows {
		put(&c.Rows[i], md(c.Rows[i].Name))
	}
	if c.Total != nil {
		put(c.Total, "**total**")
	}
	mdPlanColumn(w, c) // --server-stats
	line, pass := gate(c)
	w.WriteByte('\n')
	switch {
	case pass && c.ThresholdPct <= 0:
		w.WriteString(md(line) + "\n")
	case pass:
		w.WriteString("✅ **" + md(line) + "**\n")
	default:
		w.WriteString("❌ **" + md(line) + "**\n")
	}
}

func writeComparisonsMarkdown(w io.Writer, cs []result.Comparison) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("## qrun compare\n")
	for i := range cs {
		mdComparison(bw, &cs[i])
	}
	return bw.Flush()
}
