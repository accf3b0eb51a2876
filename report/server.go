package report

import (
	"bufio"
	"html"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/qrunhq/qrun/result"
)

// This file renders what --server-stats measured: server time, the gap client − server
// and buffers beside each statement, the plan column of comparisons and its gate
// (--gate-plan). Without --server-stats a report has none of it, and nothing here adds
// a column or a line.

// hasServerStats reports whether some unit of r carries server stats.
func hasServerStats(r *result.Report) bool {
	for i := range r.Queries {
		if r.Queries[i].ServerStats != nil {
			return true
		}
	}
	return false
}

// serverCell is a unit's server execution time, "-" when it was not explained.
func serverCell(q *result.Query) string {
	s := q.ServerStats
	if s == nil || len(s.ServerRunsMs) == 0 {
		return "-"
	}
	return Duration(s.ServerMs)
}

// gapCell is the gap client − server, "-" when unknown.
func gapCell(q *result.Query) string {
	s := q.ServerStats
	if s == nil || len(s.ServerRunsMs) == 0 || q.Status != result.StatusOK {
		return "-"
	}
	if s.GapMs < 0 {
		return "-" + Duration(-s.GapMs)
	}
	return Duration(s.GapMs)
}

// buffersCell is a unit's shared buffers, "84 hit" or "80 hit 4 read", with temporary
// blocks when it spilled and local buffers when it read a temporary table ("0 hit ·
// local 84 hit"); "-" without buffers.
func buffersCell(q *result.Query) string {
	s := q.ServerStats
	if s == nil || s.Buffers == nil {
		return "-"
	}
	b := s.Buffers
	out := strconv.FormatInt(b.SharedHit, 10) + " hit"
	if b.SharedRead > 0 {
		out += " " + strconv.FormatInt(b.SharedRead, 10) + " read"
	}
	if b.SharedDirtied > 0 {
		out += " " + strconv.FormatInt(b.SharedDirtied, 10) + " dirtied"
	}
	if t := b.TempRead + b.TempWritten; t > 0 {
		out += " " + strconv.FormatInt(t, 10) + " temp"
	}
	if l := b.LocalHit + b.LocalRead + b.LocalDirtied; l > 0 {
		// A temporary table's pages: the session's own local buffers, not shared ones.
		out += " · local " + strconv.FormatInt(b.LocalHit, 10) + " hit"
		if b.LocalRead > 0 {
			out += " " + strconv.FormatInt(b.LocalRead, 10) + " read"
		}
		if b.LocalDirtied > 0 {
			out += " " + strconv.FormatInt(b.LocalDirtied, 10) + " dirtied"
		}
	}
	return out
}

// addServerColumns adds SERVER, GAP and BUFFERS columns to a statements table whose
// rows are r's units, when r has server stats.
func addServerColumns(t *grid, r *result.Report) {
	if !hasServerStats(r) {
		return
	}
	t.headers = append(t.headers, "SERVER", "GAP", "BUFFERS")
	t.aligns = append(t.aligns, right, right, right)
	for i := range t.rows {
		if i < len(r.Queries) {
			q := &r.Queries[i]
			t.rows[i] = append(t.rows[i], serverCell(q), gapCell(q), buffersCell(q))
		}
	}
}

// pgssCell is what pg_stat_statements counted for a unit over the measured runs, "12
// calls · mean 1.20ms"; "-" without deltas.
func pgssCell(q *result.Query) string {
	s := q.ServerStats
	if s == nil || s.StatStatements == nil {
		return "-"
	}
	d := s.StatStatements
	return strconv.FormatInt(d.Calls, 10) + " calls · mean " + Duration(d.MeanExecMs)
}

// serverTable is, under a several-target table (which shows the client times side by
// side), one target's server side: client and server time, the gap and buffers per
// unit; nothing without server stats.
func serverTable(w io.Writer, r *result.Report) error {
	if !hasServerStats(r) {
		return nil
	}
	t := newGrid([]tw.Align{tw.AlignLeft, tw.AlignRight}, "NAME", "CLIENT")
	for i := range r.Queries {
		t.add(unitName(&r.Queries[i]), timeCell(&r.Queries[i]))
	}
	addServerColumns(t, r)
	return t.render(w)
}

// serverLine is the summary line of --server-stats: the explain pass's cost and whether
// pg_stat_statements gave deltas; "" without --server-stats.
func serverLine(r *result.Report) string {
	if r.ServerPassMs == 0 && r.PgStatStatements == "" {
		return ""
	}
	l := "server stats: explain pass " + Duration(r.ServerPassMs) + " (outside the runs)"
	switch r.PgStatStatements {
	case "":
	case "ok":
		l += " · pg_stat_statements deltas over the measured runs"
	default:
		l += " · pg_stat_statements " + r.PgStatStatements
	}
	return l
}

// serverCSV fills a csv row's server columns (CSVColumns from server_ms on) for one unit
// or statement and its comparison row c (nil for none).
func serverCSV(row []string, q *result.Query, c *result.ComparisonRow) {
	if s := q.ServerStats; s != nil {
		if len(s.ServerRunsMs) > 0 {
			row[0], row[1] = ms(s.ServerMs), ms(s.PlanMs)
			if q.Status == result.StatusOK && q.WallMs > 0 {
				row[2] = ms(s.GapMs)
			}
		}
		if b := s.Buffers; b != nil {
			i := func(n int64) string { return strconv.FormatInt(n, 10) }
			row[3], row[4], row[5], row[6] = i(b.SharedHit), i(b.SharedRead), i(b.SharedDirtied), i(b.SharedWritten)
			row[7], row[8] = i(b.TempRead), i(b.TempWritten)
		}
		row[9], row[10] = s.PlanFingerprint, s.Note
	}
	if c != nil {
		row[11], row[12], row[13] = string(c.ServerVerdict), c.Plan, c.PlanDiff
	}
}

// serverComparisonCSV fills the server columns of a qrun compare csv row
// (CSVComparisonColumns from server_base_ms on); empty without server stats.
func serverComparisonCSV(row []string, r *result.ComparisonRow) {
	for i := range row {
		row[i] = ""
	}
	if r.ServerVerdict != "" {
		row[0], row[1], row[2] = ms(r.ServerBaseMs), ms(r.ServerNewMs), string(r.ServerVerdict)
	}
	if r.Plan != "" {
		row[3], row[4], row[5] = r.Plan, r.PlanDiff, strconv.FormatBool(r.PlanRegression)
	}
}

// hasPlans reports whether some row of c has a server verdict or a plan column.
func hasPlans(c *result.Comparison) bool {
	for i := range c.Rows {
		if c.Rows[i].Plan != "" || c.Rows[i].ServerVerdict != "" {
			return true
		}
	}
	return false
}

// planCell is a comparison row's plan column: "same", "changed: NEW ← BASE" (with
// "(gated)" under --gate-plan), or "-" when a side has no plan.
func planCell(row *result.ComparisonRow) string {
	switch row.Plan {
	case "":
		return "-"
	case result.PlanChanged:
		s := "changed"
		if row.PlanRegression {
			s += " (gated)"
		}
		if row.PlanDiff != "" {
			s += ": " + row.PlanDiff
		}
		return s
	}
	return row.Plan
}

// serverVerdictCell is the server time's verdict, "-" without one.
func serverVerdictCell(row *result.ComparisonRow) string {
	if row.ServerVerdict == "" {
		return "-"
	}
	return Duration(row.ServerBaseMs) + " → " + Duration(row.ServerNewMs) + " " + string(row.ServerVerdict)
}

// addPlanColumns adds SERVER and PLAN columns to a comparison table whose rows are c's
// (and then its total, which has neither), when c compares server stats.
func addPlanColumns(t *grid, c *result.Comparison) {
	if !hasPlans(c) {
		return
	}
	t.headers = append(t.headers, "SERVER", "PLAN")
	t.aligns = append(t.aligns, tw.AlignLeft, tw.AlignLeft)
	for i := range t.rows {
		if i < len(c.Rows) {
			t.rows[i] = append(t.rows[i], serverVerdictCell(&c.Rows[i]), planCell(&c.Rows[i]))
		} else {
			t.rows[i] = append(t.rows[i], "-", "-")
		}
	}
}

// planGated counts the rows of c whose changed plan fails the gate (--gate-plan).
func planGated(c *result.Comparison) int {
	n := 0
	for i := range c.Rows {
		if c.Rows[i].PlanRegression {
			n++
		}
	}
	return n
}

// planChangeMessage is the junit failure message of a gated plan change.
func planChangeMessage(row *result.ComparisonRow) string {
	return "plan changed: " + row.PlanDiff
}

// mdServer is the markdown table of --server-stats: client and server time, the gap,
// buffers and plan per unit; nothing without server stats.
func mdServer(w *bufio.Writer, r *result.Report) {
	if !hasServerStats(r) {
		return
	}
	w.WriteString("\n**Server** (explain pass after the measured runs)\n\n| name | client | server | planning | gap | buffers | pg_stat_statements | plan | note |\n|---|--:|--:|--:|--:|--:|--:|---|---|\n")
	for i := range r.Queries {
		q := &r.Queries[i]
		s := q.ServerStats
		planning, fp, note := "-", "-", ""
		if s != nil {
			if len(s.ServerRunsMs) > 0 {
				planning = Duration(s.PlanMs)
			}
			if s.PlanFingerprint != "" {
				fp = "`" + s.PlanFingerprint + "`"
			}
			note = s.Note
		}
		w.WriteString("| " + md(unitName(q)) + " | " + timeCell(q) + " | " + serverCell(q) + " | " + planning + " | " +
			gapCell(q) + " | " + buffersCell(q) + " | " + pgssCell(q) + " | " + fp + " | " + md(note) + " |\n")
	}
}

// mdPlanColumn follows a markdown comparison table with the server side of its rows:
// the server time's verdict and the plan column, then the plan diffs.
func mdPlanColumn(w *bufio.Writer, c *result.Comparison) {
	if !hasPlans(c) {
		return
	}
	w.WriteString("\n| name | server | plan |\n|---|---|---|\n")
	for i := range c.Rows {
		row := &c.Rows[i]
		w.WriteString("| " + md(row.Name) + " | " + serverVerdictCell(row) + " | " + md(planCell(row)) + " |\n")
	}
	mdPlanDiffs(w, c)
}

// mdPlanDiffs lists, under a markdown comparison, the changed plans: the first node that
// differs and the two shapes side by side in a diff block.
func mdPlanDiffs(w *bufio.Writer, c *result.Comparison) {
	first := true
	for i := range c.Rows {
		row := &c.Rows[i]
		if row.Plan != result.PlanChanged {
			continue
		}
		if first {
			w.WriteString("\n**Plan changes**\n")
			first = false
		}
		w.WriteString("\n- " + md(row.Name) + ": " + md(row.PlanDiff) + "\n")
		if len(row.PlanBase) == 0 && len(row.PlanNew) == 0 {
			continue
		}
		w.WriteString("\n```diff\n" + planDiffText(row.PlanBase, row.PlanNew) + "```\n")
	}
}

// planDiffText is a line diff of two plan shapes: unchanged lines with "  ", the base's
// with "- " and the new one's with "+ " (longest common subsequence).
func planDiffText(base, nw []string) string {
	n, m := len(base), len(nw)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if base[i] == nw[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var b strings.Builder
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && base[i] == nw[j]:
			b.WriteString("  " + base[i] + "\n")
			i, j = i+1, j+1
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			b.WriteString("+ " + nw[j] + "\n")
			j++
		default:
			b.WriteString("- " + base[i] + "\n")
			i++
		}
	}
	return b.String()
}

// htmlServer is the html table of --server-stats: client vs server per unit, the gap,
// buffers, and the plan (its shape, and EXPLAIN's full output) in a details element;
// "" without server stats.
func htmlServer(r *result.Report) template.HTML {
	if !hasServerStats(r) {
		return ""
	}
	var b strings.Builder
	e := html.EscapeString
	b.WriteString("<h3>Server</h3>\n<table class=\"server\">\n<tr><th>name</th><th>client</th><th>server</th><th>planning</th><th>gap</th><th>buffers</th><th>pg_stat_statements</th><th>plan</th><th>note</th></tr>\n")
	for i := range r.Queries {
		q := &r.Queries[i]
		s := q.ServerStats
		planning, plan, note := "-", "-", ""
		if s != nil {
			if len(s.ServerRunsMs) > 0 {
				planning = Duration(s.PlanMs)
			}
			note = s.Note
			if len(s.PlanShape) > 0 {
				plan = "<details><summary><code>" + e(s.PlanFingerprint) + "</code></summary><pre>" + e(strings.Join(s.PlanShape, "\n")) + "</pre>"
				if s.PlanJSON != "" {
					plan += "<details><summary>EXPLAIN</summary><pre>" + e(s.PlanJSON) + "</pre></details>"
				}
				plan += "</details>"
			} else {
				plan = "-"
			}
		}
		b.WriteString("<tr><td class=\"name\">" + e(unitName(q)) + "</td><td class=\"n\">" + e(timeCell(q)) + "</td><td class=\"n\">" +
			e(serverCell(q)) + "</td><td class=\"n\">" + e(planning) + "</td><td class=\"n\">" + e(gapCell(q)) + "</td><td class=\"n\">" +
			e(buffersCell(q)) + "</td><td class=\"n\">" + e(pgssCell(q)) + "</td><td>" + plan + "</td><td>" + e(note) + "</td></tr>\n")
	}
	b.WriteString("</table>\n")
	return template.HTML(b.String())
}

// htmlPlans is the server side of an html comparison: each row's server verdict and plan
// column, then the diff of every changed plan; "" when the comparison has none.
func htmlPlans(c *result.Comparison) template.HTML {
	if !hasPlans(c) {
		return ""
	}
	var b strings.Builder
	e := html.EscapeString
	b.WriteString("<table class=\"plans\">\n<tr><th>name</th><th>server</th><th>plan</th></tr>\n")
	for i := range c.Rows {
		row := &c.Rows[i]
		class := "same"
		if row.Plan == result.PlanChanged {
			class = "changed"
			if row.PlanRegression {
				class = "regression"
			}
		}
		b.WriteString("<tr class=\"" + class + "\"><td class=\"name\">" + e(row.Name) + "</td><td>" + e(serverVerdictCell(row)) + "</td><td>" + e(planCell(row)) + "</td></tr>\n")
	}
	b.WriteString("</table>\n")
	for i := range c.Rows {
		row := &c.Rows[i]
		if row.Plan != result.PlanChanged || len(row.PlanBase)+len(row.PlanNew) == 0 {
			continue
		}
		b.WriteString("<h4>Plan of " + e(row.Name) + ": " + e(row.PlanDiff) + "</h4>\n<pre class=\"plandiff\" style=\"background:#f6f8fa;padding:6px 10px\">" + e(planDiffText(row.PlanBase, row.PlanNew)) + "</pre>\n")
	}
	return template.HTML(b.String())
}
