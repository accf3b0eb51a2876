package report

import (
	"bufio"
	"io"
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
	v := newView(r)
	bw.WriteString("## qrun: " + md(headline(r)) + "\n")
	if v.several {
		cols := v.sideColumns()
		mdHead(bw, cols)
		for _, row := range v.sideRows(false) {
			bw.WriteByte('|')
			for k, c := range row {
				bw.WriteByte(' ')
				if cols[k].text {
					c = md(c)
				}
				bw.WriteString(c)
				bw.WriteString(" |")
			}
			bw.WriteByte('\n')
		}
		mdScan(bw, r) // --scan (scan.go)
	}
	for i := range v.sections {
		s := &v.sections[i]
		if v.several {
			bw.WriteString("\n### " + md(s.label) + "\n")
		}
		bw.WriteByte('\n')
		for _, l := range summaryLines(s) {
			bw.WriteString(md(l) + "  \n")
		}
		if !v.several {
			mdStatements(bw, s)
		}
		mdServer(bw, s.r) // --server-stats
		mdProblems(bw, s)
		mdWarnings(bw, s.r.Warnings)
	}
	for _, c := range v.comparisons {
		mdComparison(bw, c)
	}
	if v.several {
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
			c = c.Plus(r.Targets[i].Summary)
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

// mdStatements is the section's statements table in its columns and, under a plan, why
// units wait.
func mdStatements(w *bufio.Writer, s *section) {
	if len(s.r.Queries) == 0 {
		return // a file of comments alone: the summary says "no statements"
	}
	cols := s.columns()
	mdHead(w, cols)
	for i := range s.r.Queries {
		q := &s.r.Queries[i]
		w.WriteByte('|')
		for k := range cols {
			w.WriteByte(' ')
			if c := cols[k].cell(i, q, false); cols[k].text {
				w.WriteString(md(c))
			} else {
				w.WriteString(c)
			}
			w.WriteString(" |")
		}
		w.WriteByte('\n')
	}
	if why := s.why(); len(why) > 0 {
		w.WriteString("\n**Why units wait**\n\n")
		for _, l := range why {
			w.WriteString("- " + md(l) + "\n")
		}
	}
}

// mdHead writes the head of a table of cols: their names, escaped, and alignments.
func mdHead(w *bufio.Writer, cols []column) {
	w.WriteString("\n|")
	for k := range cols {
		w.WriteString(" " + md(cols[k].name) + " |")
	}
	w.WriteString("\n|")
	for k := range cols {
		if cols[k].right {
			w.WriteString("--:|")
		} else {
			w.WriteString("---|")
		}
	}
	w.WriteByte('\n')
}

func mdProblems(w *bufio.Writer, s *section) {
	for k, p := range s.problems() {
		if k == 0 {
			w.WriteString("\n**Problems**\n\n")
		}
		w.WriteString("- `" + strings.ReplaceAll(position(p.q), "`", "'") + "` " + md(p.q.Name) + ": " + md(p.msg) + "\n")
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
