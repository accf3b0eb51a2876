package compare

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/qrunhq/qrun/result"
)

// A single baseline is one process's measurement, and between processes (between
// PostgreSQL backends) a statement's median moves by more than the samples of one
// process show (docs/BENCHMARKS.md, the gate's false alarms). A history baseline pools
// the samples of the last N saved reports instead: the gate then compares the new run
// with the spread of several processes, and a single noisy baseline no longer decides.

// ErrNoHistory is returned (wrapped) by LoadHistory when the paths hold no report.
var ErrNoHistory = errors.New("no saved report")

// LoadHistory reads the baseline of --baseline PATH... --history N: every path is a
// JSON report or a directory whose *.json files are reports; of them, the last n by
// Context.StartedAt (all when n <= 0) are pooled by Pool. It returns the pooled report
// and the files it used, oldest first.
func LoadHistory(paths []string, n int) (*result.Report, []string, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, nil, fmt.Errorf("load report: %w", err)
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		found, err := filepath.Glob(filepath.Join(p, "*.json"))
		if err != nil {
			return nil, nil, err
		}
		files = append(files, found...)
	}
	type loaded struct {
		r    *result.Report
		path string
	}
	var reps []loaded
	for _, f := range files {
		r, err := Load(f)
		if err != nil {
			return nil, nil, err
		}
		if r.Mode == "dry-run" {
			return nil, nil, fmt.Errorf("%s is a --dry-run plan, without times to compare: save the JSON report of a run", f)
		}
		reps = append(reps, loaded{r, f})
	}
	if len(reps) == 0 {
		return nil, nil, fmt.Errorf("%v: %w (want JSON reports saved with --format json)", paths, ErrNoHistory)
	}
	sort.SliceStable(reps, func(i, j int) bool { return reps[i].r.Context.StartedAt.Before(reps[j].r.Context.StartedAt) })
	if n > 0 && len(reps) > n {
		reps = reps[len(reps)-n:]
	}
	rs := make([]*result.Report, len(reps))
	used := make([]string, len(reps))
	for i, l := range reps {
		rs[i], used[i] = l.r, l.path
	}
	return Pool(rs), used, nil
}

// Pool combines saved reports, oldest first, into one baseline: the newest report, each
// of its statements holding the ok samples of every report's statement of the same
// identity (Identify's ID, else the name), and its totals the ok totals of all of them.
// A statement the older reports do not have keeps its own samples. A report of several
// targets is pooled target by target, by label. One report is returned as it is.
func Pool(reps []*result.Report) *result.Report {
	if len(reps) == 0 {
		return nil
	}
	newest := reps[len(reps)-1]
	if len(reps) == 1 {
		return newest
	}
	out := poolOne(reps)
	if len(newest.Targets) > 0 {
		out.Targets = make([]result.Report, len(newest.Targets))
		for i := range newest.Targets {
			label := newest.Targets[i].Context.Target
			var same []*result.Report
			for _, r := range reps {
				for j := range r.Targets {
					if r.Targets[j].Context.Target == label {
						same = append(same, &r.Targets[j])
						break
					}
				}
			}
			out.Targets[i] = *poolOne(same)
		}
	}
	return out
}

// poolOne pools the top-level statements of reps into a copy of the last.
func poolOne(reps []*result.Report) *result.Report {
	newest := reps[len(reps)-1]
	out := *newest
	out.Queries = slices.Clone(newest.Queries)
	byID := make([]map[string]*result.Query, len(reps)-1)
	for i, r := range reps[:len(reps)-1] {
		byID[i] = make(map[string]*result.Query, len(r.Queries))
		for j := range r.Queries {
			byID[i][key(&r.Queries[j])] = &r.Queries[j]
		}
	}
	for qi := range out.Queries {
		q := &out.Queries[qi]
		var pooled []float64
		for i := range byID {
			if old, ok := byID[i][key(q)]; ok {
				pooled = append(pooled, old.Samples()...)
			}
		}
		pooled = append(pooled, q.Samples()...)
		q.RunsMs, q.RunsStatus, q.Stats = pooled, nil, nil
		if len(pooled) > 0 && q.Status != result.StatusOK {
			q.Status, q.Error, q.Reason = result.StatusOK, nil, "" // its ok runs are the baseline
		}
	}
	var totals []float64
	runs := 0
	for _, r := range reps {
		totals = append(totals, okTotals(r)...)
		runs += r.Runs
	}
	out.TotalRunsMs, out.TotalStats, out.Runs = totals, nil, runs
	return &out
}

// key is how Pool matches statements across reports: the identity compare pairs by.
func key(q *result.Query) string {
	if q.ID != "" {
		return q.ID
	}
	return "name:" + q.Name
}
