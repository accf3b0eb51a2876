package report

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"

	"github.com/qrunhq/qrun/result"
)

// The github format writes GitHub Actions workflow commands
// (https://docs.github.com/actions/reference/workflow-commands-for-github-actions): an
// ::error annotation at the file and line of each failed statement and each gated
// regression, a ::warning for a significant slowdown the gate lets pass, and a ::notice
// with the verdict. GitHub shows them on the pull request's diff, at the statement. The
// markdown summary for $GITHUB_STEP_SUMMARY is the markdown format, appended by the
// caller (cmd/qrun).
//
// The comment format is markdown meant for a pull request comment that a workflow keeps
// updated in place: a marker line to find it by, the verdict, the regressions and
// failures first, and the whole report folded in a <details> block.

// CommentMarker is the first line of the comment format: a workflow finds the comment
// it posted earlier by it and edits that comment instead of adding another.
const CommentMarker = "<!-- qrun-report -->"

// ghData escapes a workflow command's message; ghProp one of its properties.
var (
	ghData = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	ghProp = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

// ghCommand writes "::kind file=F,line=L,col=C,title=T::message".
func ghCommand(w *bufio.Writer, kind string, q *result.Query, title, msg string) {
	w.WriteString("::" + kind)
	sep := " "
	prop := func(k, v string) {
		w.WriteString(sep + k + "=" + ghProp.Replace(v))
		sep = ","
	}
	if q != nil && q.File != "" && q.Line > 0 {
		file, line, col := q.File, q.Line, q.Col
		if e := firstError(q); e != nil && e.Position != "" {
			// The server's error position, file:line:col, when it points into the file.
			if f, l, c, ok := splitPosition(e.Position); ok && f == q.File {
				line, col = l, c
			}
		}
		prop("file", file)
		prop("line", strconv.Itoa(line))
		if col > 0 {
			prop("col", strconv.Itoa(col))
		}
	}
	if title != "" {
		prop("title", title)
	}
	w.WriteString("::" + ghData.Replace(msg) + "\n")
}

// splitPosition reads "file:line:col".
func splitPosition(p string) (file string, line, col int, ok bool) {
	i := strings.LastIndexByte(p, ':')
	if i < 0 {
		return "", 0, 0, false
	}
	j := strings.LastIndexByte(p[:i], ':')
	if j < 0 {
		return "", 0, 0, false
	}
	l, err1 := strconv.Atoi(p[j+1 : i])
	c, err2 := strconv.Atoi(p[i+1:])
	if err1 != nil || err2 != nil {
		return "", 0, 0, false
	}
	return p[:j], l, c, true
}

func writeGitHub(w io.Writer, r *result.Report) error {
	bw := newBufWriter(w)
	v := newView(r)
	for i := range v.sections {
		s := &v.sections[i]
		prefix := ""
		if v.several {
			prefix = s.label + ": "
		}
		for k := range s.r.Queries {
			q := &s.r.Queries[k]
			if msg, ok := problem(q); ok && q.Status.OwnFailure() {
				ghCommand(bw, "error", q, "qrun: "+q.Name+" "+string(q.Status), prefix+q.Name+": "+msg)
			} else if failedSomeRun(q) {
				ghCommand(bw, "error", q, "qrun: "+q.Name+" failed", prefix+q.Name+": "+statusCell(q, false))
			}
		}
	}
	for _, c := range v.comparisons {
		ghComparison(bw, v.sectionOf(c), c)
	}
	for _, wn := range r.Warnings {
		ghCommand(bw, "warning", nil, "qrun", wn)
	}
	ghCommand(bw, "notice", nil, "qrun", headline(r))
	return bw.Flush()
}

// ghComparison annotates a comparison's regressions and significant slowdowns at their
// statements, found by name in the section of the comparison's new side (s; nil for
// qrun compare, which has no statements to point at).
func ghComparison(w *bufio.Writer, s *section, c *result.Comparison) {
	where := map[string]*result.Query{}
	if s != nil {
		for k := range s.r.Queries {
			if _, ok := where[s.r.Queries[k].Name]; !ok {
				where[s.r.Queries[k].Name] = &s.r.Queries[k]
			}
		}
	}
	for i := range c.Rows {
		row := &c.Rows[i]
		if row.Verdict == result.VerdictFailedNew {
			msg := row.Name + ": failed in new (against " + c.Base + ")"
			if row.Note != "" {
				msg += ": " + row.Note
			}
			ghCommand(w, "error", where[row.Name], "qrun: "+row.Name+" failed in new", msg)
			continue
		}
		if row.PlanRegression { // --gate-plan
			ghCommand(w, "error", where[row.Name], "qrun: "+row.Name+" plan changed", row.Name+": "+planChangeMessage(row)+" (against "+c.Base+")")
		}
		if row.Verdict != result.VerdictSlower {
			continue
		}
		q := where[row.Name]
		change := row.Name + ": " + Duration(row.BaseMs) + " → " + Duration(row.NewMs) + " (" + percent(row.DeltaPct) +
			", p=" + pvalue(row.P) + ") against " + c.Base
		switch {
		case row.Regression:
			ghCommand(w, "error", q, "qrun: "+row.Name+" regressed", change+"; over the gate's "+
				strconv.FormatFloat(c.ThresholdPct, 'f', -1, 64)+"% threshold")
		case c.ThresholdPct > 0:
			ghCommand(w, "warning", q, "qrun: "+row.Name+" slower", change+"; under the gate's "+
				strconv.FormatFloat(c.ThresholdPct, 'f', -1, 64)+"% threshold")
		default:
			ghCommand(w, "warning", q, "qrun: "+row.Name+" slower", change)
		}
	}
	line, pass := gate(c)
	if !pass {
		ghCommand(w, "error", nil, "qrun gate", line)
	}
}

func writeComparisonsGitHub(w io.Writer, cs []result.Comparison) error {
	bw := newBufWriter(w)
	for i := range cs {
		ghComparison(bw, nil, &cs[i])
		line, _ := gate(&cs[i])
		ghCommand(bw, "notice", nil, "qrun compare", cs[i].Base+" → "+cs[i].New+": "+line)
	}
	return bw.Flush()
}

// writeComment writes the comment format: the marker, the verdict, what failed or
// regressed, then the full markdown report folded.
func writeComment(w io.Writer, r *result.Report) error {
	var full bytes.Buffer
	if err := writeMarkdown(&full, r); err != nil {
		return err
	}
	bw := newBufWriter(w)
	bw.WriteString(CommentMarker + "\n")
	bw.WriteString("### qrun: " + md(headline(r)) + "\n\n")
	commentFindings(bw, r, r.Comparison)
	bw.WriteString("<details><summary>Full report</summary>\n\n")
	bw.Write(bytes.TrimPrefix(full.Bytes(), []byte("## qrun: "+md(headline(r))+"\n")))
	bw.WriteString("\n</details>\n")
	return bw.Flush()
}

func writeComparisonsComment(w io.Writer, cs []result.Comparison) error {
	var full bytes.Buffer
	if err := writeComparisonsMarkdown(&full, cs); err != nil {
		return err
	}
	bw := newBufWriter(w)
	bw.WriteString(CommentMarker + "\n")
	verdict := "PASS"
	for i := range cs {
		if _, pass := gate(&cs[i]); !pass {
			verdict = "FAIL"
		}
	}
	bw.WriteString("### qrun compare: " + verdict + "\n\n")
	commentFindings(bw, &result.Report{}, cs)
	bw.WriteString("<details><summary>Full comparison</summary>\n\n")
	bw.Write(full.Bytes())
	bw.WriteString("\n</details>\n")
	return bw.Flush()
}

// commentFindings lists the gated regressions, the failed statements and the other
// significant slowdowns, in that order, or says there are none.
func commentFindings(w *bufio.Writer, r *result.Report, cs []result.Comparison) {
	var regressed, slower, failures []string
	for i := range cs {
		c := &cs[i]
		line, _ := gate(c)
		w.WriteString("**" + md(c.Base) + " → " + md(c.New) + "**: " + md(line) + "\n\n")
		for k := range c.Rows {
			row := &c.Rows[k]
			if row.Verdict == result.VerdictFailedNew {
				failures = append(failures, "- "+md(row.Name)+": failed in new (against "+md(c.Base)+")")
				continue
			}
			if row.Verdict != result.VerdictSlower {
				continue
			}
			item := "| " + md(row.Name) + " | " + Duration(row.BaseMs) + " | " + Duration(row.NewMs) + " | " + percent(row.DeltaPct) + " | " + pvalue(row.P) + " |"
			if row.Regression {
				regressed = append(regressed, item)
			} else {
				slower = append(slower, item)
			}
		}
	}
	each := []*result.Report{r}
	for i := range r.Targets {
		each = append(each, &r.Targets[i])
	}
	for _, t := range each {
		for k := range t.Queries {
			q := &t.Queries[k]
			if msg, ok := problem(q); ok && q.Status.OwnFailure() {
				failures = append(failures, "- `"+md(position(q))+"` "+md(q.Name)+": "+md(msg))
			} else if failedSomeRun(q) {
				failures = append(failures, "- `"+md(position(q))+"` "+md(q.Name)+": "+md(statusCell(q, false)))
			}
		}
	}
	table := func(title string, rows []string) {
		if len(rows) == 0 {
			return
		}
		w.WriteString(title + "\n\n| statement | base | new | change | p |\n|---|--:|--:|--:|--:|\n")
		for _, row := range rows {
			w.WriteString(row + "\n")
		}
		w.WriteByte('\n')
	}
	table("**Regressions** (over the threshold)", regressed)
	if len(failures) > 0 {
		w.WriteString("**Failed statements**\n\n")
		for _, f := range failures {
			w.WriteString(f + "\n")
		}
		w.WriteByte('\n')
	}
	table("Significantly slower, under the threshold", slower)
	if len(regressed)+len(slower)+len(failures) == 0 {
		w.WriteString("No failed statement and no significant slowdown.\n\n")
	}
}

// failedSomeRun reports whether a statement that did not fail of itself in the last
// run did in an earlier one.
func failedSomeRun(q *result.Query) bool { return !q.Status.OwnFailure() && q.OwnFailure() }
