package result

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Instance is one qrun process whose report a merge combined: what tells it apart
// (--label), where and when it ran, and how many runs it contributed.
type Instance struct {
	Labels    map[string]string `json:"labels,omitempty"`
	Target    string            `json:"target,omitempty"`
	StartedAt time.Time         `json:"started_at"`
	Runs      int               `json:"runs"`
	// Source is the report file the instance came from.
	Source string `json:"source,omitempty"`
}

// Merge combines reports of the same workload made by several qrun processes (shards
// of one load test, on one machine or many) into one report whose every statement holds
// the union of the instances' samples: its percentiles are those of the concatenated
// samples, and compare and the gate read it like any report. sources name the reports,
// for messages and Context.Instances.
//
// The reports must be alike: the same mode, the same files, single-target, not dry runs,
// and the same statements in the same order (by name and SQL). Merge refuses anything
// else with an error that says what differs.
func Merge(reps []Report, sources []string) (Report, error) {
	if len(reps) == 0 {
		return Report{}, fmt.Errorf("nothing to merge")
	}
	first := &reps[0]
	for i := range reps {
		r := &reps[i]
		switch {
		case len(r.Targets) > 0:
			return Report{}, fmt.Errorf("%s holds several targets: merge reports of one target each", sources[i])
		case r.Mode == "dry-run":
			return Report{}, fmt.Errorf("%s is a dry run: nothing was measured", sources[i])
		case r.Mode != first.Mode:
			return Report{}, fmt.Errorf("%s ran in %s mode and %s in %s mode: merge runs of one workload", sources[0], first.Mode, sources[i], r.Mode)
		case !slices.Equal(baseNames(r.Context.Files), baseNames(first.Context.Files)):
			return Report{}, fmt.Errorf("%s ran %s and %s ran %s: merge runs of one workload", sources[0], strings.Join(first.Context.Files, ", "), sources[i], strings.Join(r.Context.Files, ", "))
		case len(r.Queries) != len(first.Queries):
			return Report{}, fmt.Errorf("%s has %d statements and %s has %d: merge runs of one workload", sources[0], len(first.Queries), sources[i], len(r.Queries))
		}
		for k := range r.Queries {
			a, b := &first.Queries[k], &r.Queries[k]
			if a.Name != b.Name || a.SQL != b.SQL {
				return Report{}, fmt.Errorf("statement %d differs: %s in %s, %s in %s: merge runs of one workload", k+1, a.Name, sources[0], b.Name, sources[i])
			}
		}
	}

	var runs []Run
	instances := make([]Instance, 0, len(reps))
	earliest, latest := reps[0].Context.StartedAt, reps[0].Context.StartedAt
	for i := range reps {
		r := &reps[i]
		rr := splitRuns(r)
		runs = append(runs, rr...)
		for _, in := range r.Context.Instances {
			instances = append(instances, in) // a merge of merges keeps its instances
		}
		if len(r.Context.Instances) == 0 {
			instances = append(instances, Instance{Labels: r.Context.Labels, Target: r.Context.Target,
				StartedAt: r.Context.StartedAt, Runs: len(rr), Source: sources[i]})
		}
		if r.Context.StartedAt.Before(earliest) {
			earliest = r.Context.StartedAt
		}
		if r.Context.StartedAt.After(latest) {
			latest = r.Context.StartedAt
		}
	}
	for _, in := range instances {
		if in.StartedAt.Before(earliest) {
			earliest = in.StartedAt
		}
		if in.StartedAt.After(latest) {
			latest = in.StartedAt
		}
	}
	base := Report{
		Context:     first.Context,
		Mode:        first.Mode,
		Concurrency: first.Concurrency,
		Warmup:      first.Warmup,
		ConnectMs:   first.ConnectMs,
	}
	base.Context.StartedAt = earliest
	base.Context.Labels = nil
	base.Context.Instances = instances
	base.Context.StartSpreadMs = float64(latest.Sub(earliest)) / float64(time.Millisecond)
	out := Aggregate(base, runs)
	out.Warnings = append(out.Warnings, fmt.Sprintf("merged %d reports (%d runs); the instances started within %.0f ms of each other",
		len(reps), len(runs), base.Context.StartSpreadMs))
	if dropServerStats(&out) || slices.ContainsFunc(reps, func(r Report) bool { return r.ServerPassMs > 0 }) {
		out.Warnings = append(out.Warnings, "server stats (--server-stats) are not merged: each instance explained its statements "+
			"on its own and its pg_stat_statements deltas may count the others' runs; read them in each instance's report")
	}
	return out, nil
}

// dropServerStats removes what --server-stats added to r, whose client times are a
// merge's: one instance's server times, buffers and plans beside pooled client times
// (and a gap between the two) would read as the merge's. It reports whether r had any.
func dropServerStats(r *Report) bool {
	had := r.ServerPassMs > 0 || r.PgStatStatements != ""
	r.ServerPassMs, r.PgStatStatements = 0, ""
	for i := range r.Queries {
		q := &r.Queries[i]
		had = had || q.ServerStats != nil
		q.ServerStats = nil
		for k := range q.Statements {
			had = had || q.Statements[k].ServerStats != nil
			q.Statements[k].ServerStats = nil
		}
	}
	return had
}

// splitRuns turns a report back into its runs: for each measured run, every statement
// with that run's time and status. What a report keeps only as a median (waits, the
// statements of a transaction block) is the same in each.
func splitRuns(r *Report) []Run {
	n := max(r.Runs, 1)
	runs := make([]Run, n)
	for j := range runs {
		runs[j].StartedAt = r.Context.StartedAt
		runs[j].Queries = make([]Query, len(r.Queries))
		runs[j].Interrupted = r.Interrupted && j == n-1
		if j < len(r.TotalRunsMs) {
			runs[j].WallMs = r.TotalRunsMs[j]
		} else {
			runs[j].WallMs = r.TotalWallMs
		}
		for k := range r.Queries {
			q := r.Queries[k]
			q.RunsMs, q.RunsStatus, q.Stats = nil, nil, nil
			if j < len(r.Queries[k].RunsMs) {
				q.WallMs = r.Queries[k].RunsMs[j]
			}
			if j < len(r.Queries[k].RunsStatus) {
				q.Status = r.Queries[k].RunsStatus[j]
			} else if len(r.Queries[k].RunsMs) > 0 {
				q.Status = StatusOK // RunsStatus is left out when every run was ok
			}
			runs[j].Queries[k] = q
		}
	}
	return runs
}

// baseNames returns the base names of paths: shards may run the same file from
// different directories.
func baseNames(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		if j := strings.LastIndexAny(p, `/\`); j >= 0 {
			p = p[j+1:]
		}
		out[i] = p
	}
	return out
}
