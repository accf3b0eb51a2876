package result

import (
	"fmt"
	"slices"
	"strings"

	"github.com/qrunhq/qrun/stats"
)

// Aggregate combines the measured runs of one plan on one target into a report. It
// never modifies base or runs, and with several runs the report shares no memory with
// them. With one run (the common case) the report takes over runs[0].Queries as they
// are, without copying each query: the caller must not change them afterwards.
//
// From base it copies what the runs do not know: Context, Mode, Concurrency, Warmup,
// ConnectMs, Warnings and the critical path (CriticalPath, CriticalPathMs, Efficiency).
// runs[i].Queries hold the units in plan order, the same order in every run; a unit
// missing from a run counts as not_run there.
//
// A run cut short (Interrupted: Ctrl-C, SIGTERM, --max-time) counts in no statistic
// when a complete run exists: the report is that of the complete runs, with Interrupted
// set, the partial run's wall time in PartialRunMs and a warning naming what it was
// running. When no run completed, the report is that of the partial run.
//
// Each unit takes its description, status, rows, error, timeline position and connection
// from the last complete run. With more than one:
//   - RunsMs holds every run's wall time and RunsStatus every run's status when some run
//     did not end ok;
//   - Stats summarises the runs that ended ok — failed runs are never a sample — and
//     Stats.Errors counts the others; WallMs and WaitMs are the medians of the ok runs
//     (so WallMs is Stats.P50), and 0, with Stats.N 0, when no run ended ok: a
//     statement that never succeeded has no time;
//   - the statements of a transaction block are aggregated the same way.
//
// TotalWallMs is the median wall time of the runs in which every unit ended ok (of every
// run when none did). With more than one run TotalRunsMs holds every run's wall time,
// TotalStats summarises the same runs as TotalWallMs, and TotalStats.Errors counts the
// runs in which some unit did not end ok. SumMs adds up the units' WallMs — with several
// runs, the median over the runs of TotalWallMs of each run's sum — and Speedup is
// SumMs / TotalWallMs (0 when the total is 0). Summary counts the units' statuses in the
// last run.
//
// Aggregate appends warnings, as hyperfine does, when a unit's (or the run's) first
// measured run took more than twice the median of the others — a cold cache — and when
// statistical outliers (stats.Outliers) make the statistics unreliable. Warnings are
// never repeated, and when many units draw the same warning they share one line.
//
// With no runs, Aggregate returns base with SchemaVersion set and Runs 0.
func Aggregate(base Report, runs []Run) Report {
	if len(runs) == 0 {
		base.SchemaVersion = SchemaVersion
		base.Runs = 0
		return base
	}
	out := Report{
		SchemaVersion:  SchemaVersion,
		Context:        base.Context,
		Mode:           base.Mode,
		Concurrency:    base.Concurrency,
		Warmup:         base.Warmup,
		ConnectMs:      base.ConnectMs,
		CriticalPath:   slices.Clone(base.CriticalPath),
		CriticalPathMs: base.CriticalPathMs,
		Efficiency:     base.Efficiency,
		Warnings:       slices.Clone(base.Warnings),
	}
	out.Context.Files = slices.Clone(base.Context.Files)
	for _, r := range runs {
		out.Interrupted = out.Interrupted || r.Interrupted
	}
	if complete := completeRuns(runs); len(complete) < len(runs) {
		partial := runs[len(runs)-1]
		for _, r := range runs {
			if r.Interrupted {
				partial = r
			}
		}
		out.PartialRunMs = partial.WallMs
		out.Warnings = append(out.Warnings, partialWarning(len(complete)+1, partial))
		runs = complete
	}
	out.Runs = len(runs)
	multi := len(runs) > 1
	units := 0
	for _, r := range runs {
		units = max(units, len(r.Queries))
	}
	w := newWarner(out.Warnings, base.Warmup)
	if multi {
		out.Queries = make([]Query, units)
		perRun := make([]Query, len(runs))
		for i := range units {
			for k, r := range runs {
				if i < len(r.Queries) {
					perRun[k] = r.Queries[i]
				} else {
					perRun[k] = Query{Status: StatusNotRun}
				}
			}
			q := aggregateQuery(lastWith(runs, i), perRun)
			out.Queries[i] = q
			out.Summary.add(q.Status)
			w.check(q.Name, q.Samples(), perRun[0].Status == StatusOK)
		}
	} else {
		// One run: its queries are the report's, as they are.
		out.Queries = runs[0].Queries
		if out.Queries == nil {
			out.Queries = []Query{}
		}
		for i := range out.Queries {
			q := &out.Queries[i]
			out.SumMs += q.WallMs
			out.Summary.add(q.Status)
		}
	}
	// The totals are over the runs in which every unit ended ok (over every run when none
	// did), and the sum of the units' times is taken over the same runs, run by run, so
	// that the speedup compares like with like.
	walls := make([]float64, len(runs))
	for k, r := range runs {
		walls[k] = r.WallMs
	}
	totalRuns, failedRuns := TotalRuns(runs)
	totals, sums := make([]float64, len(totalRuns)), make([]float64, len(totalRuns))
	for i, k := range totalRuns {
		totals[i] = walls[k]
		for _, q := range runs[k].Queries {
			sums[i] += q.WallMs
		}
	}
	out.TotalWallMs = stats.Median(totals)
	if multi {
		out.SumMs = stats.Median(sums)
		out.TotalRunsMs = walls
		out.TotalStats = statsOf(totals, failedRuns)
		w.check("", totals, totalRuns[0] == 0)
	}
	if out.TotalWallMs > 0 {
		out.Speedup = out.SumMs / out.TotalWallMs
	}
	out.Warnings = w.result()
	return out
}

// completeRuns returns the runs that were not interrupted, or runs itself when none
// completed (the partial run is then all there is).
func completeRuns(runs []Run) []Run {
	complete := slices.DeleteFunc(slices.Clone(runs), func(r Run) bool { return r.Interrupted })
	if len(complete) == 0 {
		return runs
	}
	return complete
}

// TotalRuns returns the indexes of the runs a report's totals are over — the complete
// runs (not interrupted) in which every unit ended ok, or every complete run when there
// are none — and how many complete runs had some unit that did not end ok. Indexes are
// into the complete runs: runs itself, when none was interrupted. (The critical path is
// not: it adds up each unit's median over the runs in which that unit ended ok, the
// median the report prints.)
func TotalRuns(runs []Run) (idx []int, failed int) {
	runs = completeRuns(runs)
	for k, r := range runs {
		if !slices.ContainsFunc(r.Queries, func(q Query) bool { return q.Status != StatusOK }) {
			idx = append(idx, k)
		}
	}
	failed = len(runs) - len(idx)
	if len(idx) == 0 {
		for k := range runs {
			idx = append(idx, k)
		}
	}
	return idx, failed
}

// CompleteRuns returns the runs that were not interrupted, or all of them when none
// completed: the runs a report's statistics are over.
func CompleteRuns(runs []Run) []Run { return completeRuns(runs) }

// partialWarning says which run was cut short, after how long and what it was running,
// and that it counts in no statistic.
func partialWarning(n int, r Run) string {
	var running []string
	for i := range r.Queries {
		if r.Queries[i].Status == StatusCancelled {
			running = append(running, r.Queries[i].Name)
		}
	}
	msg := fmt.Sprintf("run %d was interrupted", n)
	if len(running) > 0 {
		msg += " (cancelling " + list(running) + ")"
	}
	return msg + " and is left out of every statistic"
}

// lastWith returns the unit i of the last run that has it.
func lastWith(runs []Run, i int) Query {
	for k := len(runs) - 1; k >= 0; k-- {
		if i < len(runs[k].Queries) {
			return runs[k].Queries[i]
		}
	}
	return Query{Status: StatusNotRun}
}

// aggregateQuery combines one unit (or statement) measured in several runs: perRun[k] is
// its measurement in run k and tmpl the measurement it takes its description from.
func aggregateQuery(tmpl Query, perRun []Query) Query {
	q := cloneQuery(tmpl)
	q.RunsMs = make([]float64, len(perRun))
	q.RunsStatus = nil
	var okWall, okWait, allWait []float64
	errs := 0
	for k, m := range perRun {
		q.RunsMs[k] = m.WallMs
		allWait = append(allWait, m.WaitMs)
		if m.Status == StatusOK {
			okWall = append(okWall, m.WallMs)
			okWait = append(okWait, m.WaitMs)
		} else {
			errs++
		}
	}
	if errs > 0 {
		q.RunsStatus = make([]Status, len(perRun))
		for k, m := range perRun {
			q.RunsStatus[k] = m.Status
		}
	}
	if len(okWall) > 0 {
		q.WallMs = stats.Median(okWall)
		q.WaitMs = stats.Median(okWait)
	} else {
		// Never ok: no time (its failures are quick, and say nothing of its speed), and the
		// wait for a connection of every run.
		q.WallMs = 0
		q.WaitMs = stats.Median(allWait)
	}
	q.Stats = statsOf(okWall, errs)

	stmts := make([]Query, len(perRun))
	for j := range q.Statements {
		for k, m := range perRun {
			if j < len(m.Statements) {
				stmts[k] = m.Statements[j]
			} else {
				stmts[k] = Query{Status: StatusNotRun}
			}
		}
		q.Statements[j] = aggregateQuery(tmpl.Statements[j], stmts)
	}
	return q
}

// statsOf summarises samples in milliseconds; errors counts the runs left out.
func statsOf(xs []float64, errors int) *Stats {
	s := stats.Summarize(xs)
	return &Stats{
		N:        s.N,
		MinMs:    s.Min,
		P50Ms:    s.P50,
		P90Ms:    s.P90,
		P95Ms:    s.P95,
		P99Ms:    s.P99,
		MaxMs:    s.Max,
		MeanMs:   s.Mean,
		StddevMs: s.Stddev,
		Errors:   errors,
	}
}

// cloneQuery returns a deep copy of q, so that a report never shares memory with the runs
// it was made from.
func cloneQuery(q Query) Query {
	q.After = slices.Clone(q.After)
	q.RunsMs = slices.Clone(q.RunsMs)
	q.RunsStatus = slices.Clone(q.RunsStatus)
	if q.Error != nil {
		e := *q.Error
		q.Error = &e
	}
	if q.Stats != nil {
		s := *q.Stats
		q.Stats = &s
	}
	if q.Statements != nil {
		stmts := make([]Query, len(q.Statements))
		for i, s := range q.Statements {
			stmts[i] = cloneQuery(s)
		}
		q.Statements = stmts
	}
	return q
}

// Plus returns the sum of c and o, status by status.
func (c Counts) Plus(o Counts) Counts {
	return Counts{OK: c.OK + o.OK, Error: c.Error + o.Error, Timeout: c.Timeout + o.Timeout,
		Cancelled: c.Cancelled + o.Cancelled, Skipped: c.Skipped + o.Skipped, NotRun: c.NotRun + o.NotRun}
}

func (c *Counts) add(s Status) {
	switch s {
	case StatusOK:
		c.OK++
	case StatusError:
		c.Error++
	case StatusTimeout:
		c.Timeout++
	case StatusCancelled:
		c.Cancelled++
	case StatusSkipped:
		c.Skipped++
	case StatusNotRun:
		c.NotRun++
	}
}

// coldRatio is how many times the median of the other runs the first run must take to
// draw the cold-cache warning.
const coldRatio = 2

// maxNamed is how many units one kind of warning names on lines of their own; beyond it
// they share one line.
const maxNamed = 3

// warner collects the repeated-run warnings. The zero name "" stands for the run's
// total wall time.
type warner struct {
	existing []string
	warmup   int // warmup runs made: the advice is --warmup only when there were none
	cold     []coldFinding
	outliers []outlierFinding
}

type coldFinding struct {
	name  string
	ratio float64
}

type outlierFinding struct {
	name string
	n    int
}

func newWarner(existing []string, warmup int) *warner {
	return &warner{existing: existing, warmup: warmup}
}

// check judges the ok samples of one unit in run order; first says whether xs[0] is the
// first run's. Like hyperfine, it reports a slow first run in preference to outliers,
// since a slow first run is itself an outlier.
func (w *warner) check(name string, xs []float64, first bool) {
	if len(xs) < 3 {
		return
	}
	if rest := stats.Median(xs[1:]); first && rest > 0 && xs[0] > coldRatio*rest {
		w.cold = append(w.cold, coldFinding{name, xs[0] / rest})
		return
	}
	if n := len(stats.Outliers(xs)); n > 0 {
		w.outliers = append(w.outliers, outlierFinding{name, n})
	}
}

func (w *warner) result() []string {
	out := w.existing
	add := func(msg string) {
		if !slices.Contains(out, msg) {
			out = append(out, msg)
		}
	}
	cold, outliers := "cold cache? try --warmup", "consider --warmup or a quieter system"
	if w.warmup > 0 {
		// --warmup was given: more of it is not the obvious cure.
		cold = "after " + Plural(w.warmup, "warmup run", "warmup runs") + ": a cache the warmup does not fill, or a noisy system? try more --warmup runs or --before-each"
		outliers = "consider a quieter system or more --runs"
	}
	if len(w.cold) <= maxNamed {
		for _, f := range w.cold {
			add(fmt.Sprintf("first run of %s took %.1f× the median of the rest%s", subject(f.name), f.ratio, sep(cold)))
		}
	} else {
		names := make([]string, len(w.cold))
		for i, f := range w.cold {
			names[i] = subject(f.name)
		}
		add(fmt.Sprintf("first run of %d queries (%s) took over %d× the median of the rest%s", len(names), list(names), coldRatio, sep(cold)))
	}
	if len(w.outliers) <= maxNamed {
		for _, f := range w.outliers {
			add(Plural(f.n, "statistical outlier", "statistical outliers") + " in " + subject(f.name) + ": " + outliers)
		}
	} else {
		names := make([]string, len(w.outliers))
		for i, f := range w.outliers {
			names[i] = subject(f.name)
		}
		add(fmt.Sprintf("statistical outliers in %d queries (%s): %s", len(names), list(names), outliers))
	}
	return out
}

func subject(name string) string {
	if name == "" {
		return "the whole plan"
	}
	return name
}

// list names the first few of names and counts the rest.
func list(names []string) string {
	if len(names) <= maxNamed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxNamed], ", "), len(names)-maxNamed)
}

// sep joins advice to a finding: ": cold cache? ..." or " after 2 warmup runs: ...".
func sep(advice string) string {
	if strings.HasPrefix(advice, "after ") {
		return " " + advice
	}
	return ": " + advice
}
