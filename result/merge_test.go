package result

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qrunhq/qrun/stats"
)

// shard makes the report of one instance from per-run times of two statements.
func shard(t *testing.T, start time.Time, label string, a, b []float64, failB int) Report {
	t.Helper()
	runs := make([]Run, len(a))
	for j := range a {
		qb := Query{Name: "f.sql:2", SQL: "SELECT 2;", WallMs: b[j], Status: StatusOK}
		if j == failB {
			qb.Status = StatusError
		}
		runs[j] = Run{StartedAt: start, WallMs: a[j] + b[j], Queries: []Query{
			{Name: "f.sql:1", SQL: "SELECT 1;", WallMs: a[j], Status: StatusOK}, qb}}
	}
	base := Report{Mode: "sequential", Concurrency: 1,
		Context: Context{StartedAt: start, Files: []string{"dir" + label + "/f.sql"}, Labels: map[string]string{"shard": label}}}
	return Aggregate(base, runs)
}

func TestMergeUnionOfSamples(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	a1, b1 := []float64{1, 2, 3}, []float64{10, 20, 30}
	a2, b2 := []float64{4}, []float64{40}
	a3, b3 := []float64{5, 6}, []float64{50, 60}
	reps := []Report{
		shard(t, t0, "0", a1, b1, 1),
		shard(t, t0.Add(30*time.Millisecond), "1", a2, b2, -1),
		shard(t, t0.Add(10*time.Millisecond), "2", a3, b3, -1),
	}
	m, err := Merge(reps, []string{"s0.json", "s1.json", "s2.json"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Runs != 6 {
		t.Errorf("Runs = %d, want 6", m.Runs)
	}
	allA := slices.Concat(a1, a2, a3)
	if got := m.Queries[0].Samples(); !slices.Equal(got, allA) {
		t.Errorf("samples of statement 1 = %v, want %v", got, allA)
	}
	want := stats.Summarize(slices.Clone(allA))
	if s := m.Queries[0].Stats; s == nil || s.P50Ms != want.P50 || s.P95Ms != want.P95 || s.N != 6 {
		t.Errorf("stats of statement 1 = %+v, want p50 %v p95 %v of 6", s, want.P50, want.P95)
	}
	// The failed run of statement 2 stays failed, and out of its samples.
	okB := []float64{10, 30, 40, 50, 60}
	if got := m.Queries[1].Samples(); !slices.Equal(got, okB) {
		t.Errorf("samples of statement 2 = %v, want %v", got, okB)
	}
	if m.Queries[1].Stats.Errors != 1 {
		t.Errorf("statement 2 errors = %d, want 1", m.Queries[1].Stats.Errors)
	}
	if len(m.Context.Instances) != 3 || m.Context.Instances[1].Labels["shard"] != "1" || m.Context.Instances[2].Runs != 2 {
		t.Errorf("instances = %+v", m.Context.Instances)
	}
	if m.Context.StartSpreadMs != 30 || !m.Context.StartedAt.Equal(t0) {
		t.Errorf("start spread %v ms from %v, want 30 ms from %v", m.Context.StartSpreadMs, m.Context.StartedAt, t0)
	}
	// A merge of merges keeps every instance once.
	mm, err := Merge([]Report{m, shard(t, t0, "3", a2, b2, -1)}, []string{"m.json", "s3.json"})
	if err != nil {
		t.Fatal(err)
	}
	if mm.Runs != 7 || len(mm.Context.Instances) != 4 {
		t.Errorf("merge of merges: %d runs, %d instances; want 7 and 4", mm.Runs, len(mm.Context.Instances))
	}
}

// TestMergeDropsServerStats checks that a merge of reports made with --server-stats
// keeps none of one instance's server side beside the pooled client times, and says so.
func TestMergeDropsServerStats(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	a, b := shard(t, t0, "0", []float64{1, 2}, []float64{10, 20}, -1), shard(t, t0, "1", []float64{3}, []float64{30}, -1)
	for _, r := range []*Report{&a, &b} {
		r.ServerPassMs, r.PgStatStatements = 12, "ok"
		for i := range r.Queries {
			r.Queries[i].ServerStats = &ServerStats{ServerMs: 0.5, ServerRunsMs: []float64{0.5}, GapMs: 1}
		}
	}
	m, err := Merge([]Report{a, b}, []string{"a.json", "b.json"})
	if err != nil {
		t.Fatal(err)
	}
	if m.ServerPassMs != 0 || m.PgStatStatements != "" {
		t.Errorf("server_pass_ms %v, pg_stat_statements_status %q: want neither", m.ServerPassMs, m.PgStatStatements)
	}
	for _, q := range m.Queries {
		if q.ServerStats != nil {
			t.Errorf("%s keeps server stats %+v", q.Name, q.ServerStats)
		}
	}
	if !slices.ContainsFunc(m.Warnings, func(w string) bool { return strings.Contains(w, "server stats (--server-stats) are not merged") }) {
		t.Errorf("warnings %q: want one that says server stats are not merged", m.Warnings)
	}
	// Without server stats, no such warning.
	m, err = Merge([]Report{shard(t, t0, "0", []float64{1}, []float64{10}, -1)}, []string{"a.json"})
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(m.Warnings, func(w string) bool { return strings.Contains(w, "server stats") }) {
		t.Errorf("warnings %q: want none about server stats", m.Warnings)
	}
}

func TestMergeRefusesMismatches(t *testing.T) {
	t0 := time.Now()
	good := shard(t, t0, "0", []float64{1}, []float64{2}, -1)
	other := func(f func(r *Report)) Report {
		r := shard(t, t0, "1", []float64{1}, []float64{2}, -1)
		f(&r)
		return r
	}
	tests := []struct {
		name string
		bad  Report
		want string
	}{
		{"mode", other(func(r *Report) { r.Mode = "parallel" }), "parallel mode"},
		{"files", other(func(r *Report) { r.Context.Files = []string{"g.sql"} }), "ran g.sql"},
		{"statements", other(func(r *Report) { r.Queries = r.Queries[:1] }), "b.json has 1"},
		{"sql", other(func(r *Report) { r.Queries[1].SQL = "SELECT 3;" }), "statement 2 differs"},
		{"dry run", other(func(r *Report) { r.Mode = "dry-run" }), "dry run"},
		{"several targets", other(func(r *Report) { r.Targets = []Report{good, good} }), "several targets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Merge([]Report{good, tt.bad}, []string{"a.json", "b.json"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Merge error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
