package result

import (
	"slices"
	"strconv"
)

// Failed counts the units that did not end ok in some run: errors, timeouts, cancelled,
// skipped and not run. Planned units (--dry-run) are not failures. For a report with
// Targets it counts the units of every target.
func (r *Report) Failed() int {
	n := 0
	for i := range r.Queries {
		if r.Queries[i].FailedRuns() > 0 {
			n++
		}
	}
	for i := range r.Targets {
		n += r.Targets[i].Failed()
	}
	return n
}

// Failed reports whether s is a status a unit fails with: error, timeout, cancelled,
// skipped or not_run.
func (s Status) Failed() bool {
	switch s {
	case StatusError, StatusTimeout, StatusCancelled, StatusSkipped, StatusNotRun:
		return true
	}
	return false
}

// OwnFailure reports whether s is a failure of the unit itself: an error or a timeout.
// It is what junit fails, what --stop-on-error stops after, and what the stderr summary
// names. The other statuses Failed counts (cancelled, skipped, not_run) follow from a
// failure or a stop elsewhere.
func (s Status) OwnFailure() bool { return s == StatusError || s == StatusTimeout }

// OwnFailure reports whether q failed of itself (Status.OwnFailure) in its last run or
// in any other.
func (q *Query) OwnFailure() bool {
	return q.Status.OwnFailure() || slices.ContainsFunc(q.RunsStatus, Status.OwnFailure)
}

// FailedRuns counts the runs of q that did not end ok: for a single run (RunsMs empty)
// 1 when its status is a failure, else 0.
func (q *Query) FailedRuns() int {
	if len(q.RunsMs) == 0 {
		if q.Status.Failed() {
			return 1
		}
		return 0
	}
	return len(q.RunsMs) - len(q.Samples())
}

// Samples returns the wall times of the runs of q that ended ok, in run order. For a
// single run (RunsMs empty) it is q.WallMs when q is ok, else nil. The result is a new
// slice that the caller may modify.
func (q *Query) Samples() []float64 {
	if len(q.RunsMs) == 0 {
		if q.Status == StatusOK {
			return []float64{q.WallMs}
		}
		return nil
	}
	out := make([]float64, 0, len(q.RunsMs))
	for i, ms := range q.RunsMs {
		if len(q.RunsStatus) == 0 || (i < len(q.RunsStatus) && q.RunsStatus[i] == StatusOK) {
			out = append(out, ms)
		}
	}
	return out
}

// TotalSamples returns the wall times of every run of r (TotalRunsMs), or TotalWallMs
// alone for a single run. The result is a new slice that the caller may modify.
func (r *Report) TotalSamples() []float64 {
	if len(r.TotalRunsMs) == 0 {
		if r.Runs == 0 {
			return nil
		}
		return []float64{r.TotalWallMs}
	}
	return append([]float64(nil), r.TotalRunsMs...)
}

// TargetLabel names target i of a several-target report in headings, columns and
// messages: its Context.Target, or "target N" (1-based) when it has none.
func (r *Report) TargetLabel(i int) string {
	if t := r.Targets[i].Context.Target; t != "" {
		return t
	}
	return "target " + strconv.Itoa(i+1)
}

// Plural is "1 " + one, or n and many: "1 regression", "2 regressions".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
