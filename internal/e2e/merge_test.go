//go:build unix

package e2e

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/qruntest"
	"github.com/qrunhq/qrun/stats"
)

// Issue 13: four qrun processes run one workload at once (--label, --start-at) and
// qrun merge combines their reports: every sample once, percentiles of all of them.
func TestMergeConcurrentInstances(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	sql := qruntest.WriteFile(t, "work.sql", "SELECT pg_sleep(0.01);\nSELECT count(*) FROM generate_series(1, 1000);\n")
	start := time.Now().Add(3 * time.Second).UTC()
	const n = 4
	var wg sync.WaitGroup
	outs := make([]out, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i] = qrun(t, db.URL, "--runs", "5", "--label", fmt.Sprintf("shard=%d", i), "--label", "job=ci",
				"--start-at", start.Format(time.RFC3339Nano), "--format", "json", "-o", filepath.Join(dir, fmt.Sprintf("s%d.json", i)), sql)
		}()
	}
	wg.Wait()
	var files []string
	var samples [2][]float64
	for i := range n {
		if outs[i].Code != 0 {
			t.Fatalf("instance %d: exit %d\n%s", i, outs[i].Code, outs[i].Stderr)
		}
		f := filepath.Join(dir, fmt.Sprintf("s%d.json", i))
		files = append(files, f)
		r := qruntest.ReadReport(t, f)
		if r.Context.Labels["shard"] != fmt.Sprint(i) || r.Context.Labels["job"] != "ci" {
			t.Errorf("instance %d labels %v", i, r.Context.Labels)
		}
		if r.Context.StartedAt.Before(start) {
			t.Errorf("instance %d started at %v, before --start-at %v", i, r.Context.StartedAt, start)
		}
		for k := range 2 {
			samples[k] = append(samples[k], r.Queries[k].RunsMs...)
		}
	}
	m := qrun(t, db.URL, append([]string{"merge", "-o", filepath.Join(dir, "all.json")}, files...)...)
	if m.Code != 0 {
		t.Fatalf("merge: exit %d\n%s", m.Code, m.Stderr)
	}
	all := qruntest.ReadReport(t, filepath.Join(dir, "all.json"))
	if all.Runs != 5*n || len(all.Context.Instances) != n {
		t.Fatalf("merged %d runs of %d instances, want %d of %d", all.Runs, len(all.Context.Instances), 5*n, n)
	}
	if all.Context.StartSpreadMs > 1000 {
		t.Errorf("instances started %v ms apart despite --start-at", all.Context.StartSpreadMs)
	}
	for k := range 2 {
		got, want := slices.Clone(all.Queries[k].RunsMs), slices.Clone(samples[k])
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("statement %d: merged samples %v, want every instance's once: %v", k+1, got, want)
		}
		s := stats.Summarize(want)
		if st := all.Queries[k].Stats; st == nil || st.P50Ms != s.P50 || st.P95Ms != s.P95 || st.N != len(want) {
			t.Errorf("statement %d: merged stats %+v, want p50 %v p95 %v n %d", k+1, st, s.P50, s.P95, len(want))
		}
	}
	// compare reads a merged report like any other.
	c := qrun(t, db.URL, "compare", files[0], filepath.Join(dir, "all.json"))
	if c.Code != 0 {
		t.Errorf("compare of a shard with the merge: exit %d\n%s", c.Code, c.Stderr)
	}

	// A report of another workload is refused.
	other := qruntest.WriteFile(t, "other.sql", "SELECT 1;\n")
	o := qrun(t, db.URL, "--format", "json", "-o", filepath.Join(dir, "other.json"), other)
	if o.Code != 0 {
		t.Fatalf("other workload: exit %d", o.Code)
	}
	bad := qrun(t, db.URL, "merge", files[0], filepath.Join(dir, "other.json"))
	if bad.Code != 2 || !strings.Contains(bad.Stderr, "merge runs of one workload") {
		t.Errorf("merge of different workloads: exit %d, stderr %q; want exit 2 saying why", bad.Code, bad.Stderr)
	}
}
