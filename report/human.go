package report

import (
	"math"
	"strconv"
	"strings"

	"github.com/qrunhq/qrun/result"
)

// Duration formats a time in milliseconds in human units with about three significant
// digits: 850µs, 12.3ms, 0.50s, 1.50s, 12.3s, 2m03s, 1h02m03s. Every format and the
// live displays use it, so a time reads the same everywhere.
func Duration(ms float64) string {
	return string(appendDuration(make([]byte, 0, 12), ms))
}

func appendDuration(b []byte, ms float64) []byte {
	if math.IsNaN(ms) || math.IsInf(ms, 0) {
		return append(b, '?')
	}
	if ms < 0 {
		b = append(b, '-')
		ms = -ms
	}
	switch us := math.Round(ms * 1000); {
	case us < 1000:
		return append(strconv.AppendInt(b, int64(us), 10), "µs"...)
	case ms < 9.995:
		return append(strconv.AppendFloat(b, ms, 'f', 2, 64), "ms"...)
	case ms < 99.95:
		return append(strconv.AppendFloat(b, ms, 'f', 1, 64), "ms"...)
	}
	s := ms / 1000
	switch {
	case s < 9.995:
		return append(strconv.AppendFloat(b, s, 'f', 2, 64), 's')
	case s < 59.95:
		return append(strconv.AppendFloat(b, s, 'f', 1, 64), 's')
	}
	total := int64(math.Round(s))
	h, m, sec := total/3600, total/60%60, total%60
	if h > 0 {
		b = append(strconv.AppendInt(b, h, 10), 'h')
		b = appendTwo(b, m)
	} else {
		b = strconv.AppendInt(b, m, 10)
	}
	b = append(b, 'm')
	return append(appendTwo(b, sec), 's')
}

func appendTwo(b []byte, n int64) []byte {
	if n < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, n, 10)
}

// percent formats a signed change: +12.3%, -4.0%, +0.0%.
func percent(p float64) string {
	if math.IsNaN(p) || math.IsInf(p, 0) {
		return "?"
	}
	s := strconv.FormatFloat(p, 'f', 1, 64)
	if p >= 0 || s == "-0.0" {
		return "+" + strings.TrimPrefix(s, "-") + "%"
	}
	return s + "%"
}

// waitCell is a wait for a connection, or a dash when there was none.
func waitCell(ms float64) string {
	if ms <= 0 {
		return "-"
	}
	return Duration(ms)
}

// pct formats a fraction as a percentage without sign: 0.983 → 98%.
func pct(f float64) string {
	return strconv.FormatFloat(f*100, 'f', 0, 64) + "%"
}

// ratio formats a ratio: 2.17×.
func ratio(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "?"
	}
	return strconv.FormatFloat(f, 'f', 2, 64) + "×"
}

// pvalue formats a Mann–Whitney p-value.
func pvalue(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	if p >= 0.01 {
		return strconv.FormatFloat(p, 'f', 2, 64)
	}
	return strconv.FormatFloat(p, 'f', 3, 64)
}

// position is where a query's error points: the server's position when it gave one,
// else the statement's.
func position(q *result.Query) string {
	if e := firstError(q); e != nil && e.Position != "" {
		return e.Position
	}
	return written(q)
}

// written is where q is written: file:line:col.
func written(q *result.Query) string {
	return q.File + ":" + strconv.Itoa(q.Line) + ":" + strconv.Itoa(q.Col)
}

// problem describes what went wrong with a query, for the error lists: "SQLSTATE
// message" for an error, the reason for a skip. ok is false when nothing did.
func problem(q *result.Query) (string, bool) {
	if e := firstError(q); e != nil {
		if e.SQLState != "" {
			return e.SQLState + " " + e.Message, true
		}
		return e.Message, true
	}
	switch q.Status {
	case result.StatusOK, result.StatusPlanned:
		return "", false
	}
	status := strings.ReplaceAll(string(q.Status), "_", " ")
	if q.Reason != "" {
		return status + ": " + q.Reason, true
	}
	return status, true
}

// firstError is the unit's error, or for a transaction block without one, the first
// error among its statements.
func firstError(q *result.Query) *result.Error {
	if q.Error != nil {
		return q.Error
	}
	for i := range q.Statements {
		if q.Statements[i].Error != nil {
			return q.Statements[i].Error
		}
	}
	return nil
}

// neverRan reports whether a unit with status s was never sent: skipped, not run, or
// only planned. It has no time, rows or place on a timeline.
func neverRan(s result.Status) bool {
	return s == result.StatusSkipped || s == result.StatusNotRun || s == result.StatusPlanned
}

// isDryRun reports whether r is a plan rather than a run.
func isDryRun(r *result.Report) bool { return r.Mode == "dry-run" }

// OneLine flattens a multi-line message so that it fits a table cell, a list item or
// one line of stderr: its lines and tabs joined by single spaces.
func OneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// afterNames lists the units q waits for: with --parallel every dependency (Deps), else
// the names of its "-- after:" lines.
func afterNames(q *result.Query) string {
	if len(q.Deps) == 0 {
		return strings.Join(q.After, ", ")
	}
	names := make([]string, len(q.Deps))
	for i, d := range q.Deps {
		names[i] = d.After
	}
	return strings.Join(names, ", ")
}

// afterWhy says why q waits for each unit it waits for, or lists the names of its
// "-- after:" lines when the plan has no reasons.
func afterWhy(q *result.Query) string {
	if len(q.Deps) == 0 {
		return strings.Join(q.After, ", ")
	}
	why := make([]string, len(q.Deps))
	for i, d := range q.Deps {
		why[i] = d.Reason
	}
	return strings.Join(why, "; ")
}
