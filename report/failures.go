package report

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"github.com/qrunhq/qrun/result"
)

// MaxFailureLines is how many failed statements WriteFailures names, one a line, before
// it counts the rest.
const MaxFailureLines = 10

// WriteFailures writes the failed statements of r for stderr, whatever the report's
// format and destination: one line per statement that failed (an error or a timeout,
// in any run) as "file:line:col: name: SQLSTATE message", at most MaxFailureLines of
// them and then "… and N more", and a last line counting the failed, skipped and not
// run statements. With several targets each line starts with the target's label in
// brackets. It writes nothing when no statement failed (cancelled and not-run statements
// of an interrupted run are no failures of their own), and reports whether it wrote.
func WriteFailures(w io.Writer, r *result.Report) (bool, error) {
	var lines []string
	var failed, skipped, notRun int
	add := func(prefix string, rep *result.Report) {
		for i := range rep.Queries {
			q := &rep.Queries[i]
			switch {
			case q.OwnFailure():
				failed++
				if len(lines) < MaxFailureLines {
					lines = append(lines, prefix+failureLine(q))
				}
			case q.Status == result.StatusSkipped:
				skipped++
			case q.Status == result.StatusNotRun && !rep.Interrupted:
				notRun++
			}
		}
	}
	add("", r)
	for i := range r.Targets {
		add("["+r.TargetLabel(i)+"] ", &r.Targets[i])
	}
	if failed == 0 {
		return false, nil
	}
	bw := bufio.NewWriter(w)
	for _, l := range lines {
		bw.WriteString(l)
		bw.WriteByte('\n')
	}
	if failed > len(lines) {
		bw.WriteString("… and " + strconv.Itoa(failed-len(lines)) + " more\n")
	}
	parts := []string{result.Plural(failed, "statement failed", "statements failed")}
	if skipped > 0 {
		parts = append(parts, strconv.Itoa(skipped)+" skipped")
	}
	if notRun > 0 {
		parts = append(parts, strconv.Itoa(notRun)+" not run")
	}
	bw.WriteString("qrun: " + strings.Join(parts, ", ") + "\n")
	return true, bw.Flush()
}

// failureLine is "file:line:col: name: SQLSTATE message", with how many runs it failed
// in when there were several.
func failureLine(q *result.Query) string {
	msg, ok := problem(q)
	if !ok || !q.Status.OwnFailure() {
		// Ok in the last run: the runs it failed in are all there is to say.
		msg = statusCell(q, false)
	} else if s := q.Stats; s != nil && s.Errors > 0 {
		msg += " (in " + strconv.Itoa(s.Errors) + " of " + strconv.Itoa(s.N+s.Errors) + " runs)"
	}
	return position(q) + ": " + OneLine(q.Name) + ": " + OneLine(msg)
}
