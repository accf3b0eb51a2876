package runner

import (
	"cmp"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/result"
)

func TestDescribe(t *testing.T) {
	t.Parallel()
	p := buildPlan(t, true,
		src{name: "a", sql: "SELECT 1;"},
		src{name: "blk", sql: "BEGIN;", stage: 1},
		src{sql: "SELECT 2;", stage: 1},
		src{sql: "COMMIT;", stage: 1},
		src{name: "c", sql: "SELECT 3;", stage: 1, after: []string{"blk"}},
	)
	r := Describe(p)
	if len(r.Queries) != 3 {
		t.Fatalf("got %d queries, want 3", len(r.Queries))
	}
	tests := []struct {
		name, stage, sql string
		line, stmts      int
		after            []string
	}{
		{"a", "", "SELECT 1;", 2, 0, nil}, // line 1 is "-- name: a"
		{"blk", "s1", "BEGIN;\nSELECT 2;\nCOMMIT;", 5, 3, nil},
		{"c", "s1", "SELECT 3;", 10, 0, []string{"blk"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := r.Queries[i]
			if q.Name != tt.name || q.Stage != tt.stage || q.SQL != tt.sql || q.Line != tt.line || q.File != "t.sql" || q.Col != 1 {
				t.Errorf("got %s stage %q sql %q at %s:%d:%d, want %s stage %q sql %q at t.sql:%d:1",
					q.Name, q.Stage, q.SQL, q.File, q.Line, q.Col, tt.name, tt.stage, tt.sql, tt.line)
			}
			if q.Status != result.StatusPlanned {
				t.Errorf("got status %s, want planned", q.Status)
			}
			if len(q.Statements) != tt.stmts {
				t.Errorf("got %d statements, want %d", len(q.Statements), tt.stmts)
			}
			if !slices.Equal(q.After, tt.after) {
				t.Errorf("got after %v, want %v", q.After, tt.after)
			}
			if q.WallMs != 0 || q.StartMs != 0 || q.Conn != 0 {
				t.Errorf("got times or a connection in a plan: %+v", q)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	// boil -> spaghetti, salad and sauce beside: the chain boil, spaghetti is critical.
	p := buildPlan(t, true,
		src{name: "boil", sql: "SELECT 1;"},
		src{name: "salad", sql: "SELECT 2;"},
		src{name: "spaghetti", sql: "SELECT 3;", after: []string{"boil"}},
		src{name: "sauce", sql: "SELECT 4;"},
	)
	runOf := func(wall float64, ms ...float64) result.Run {
		r := Describe(p)
		r.WallMs = wall
		for i := range r.Queries {
			r.Queries[i].Status, r.Queries[i].WallMs = result.StatusOK, ms[i]
		}
		return r
	}
	runs := []result.Run{
		runOf(1300, 500, 1000, 700, 400),
		runOf(1200, 400, 900, 800, 300), // the medians: 450, 950, 750, 350
		runOf(1250, 450, 950, 750, 350),
	}
	rep := Summarize(p, result.Report{Mode: "parallel"}, runs)
	if want := []string{"boil", "spaghetti"}; !slices.Equal(rep.CriticalPath, want) {
		t.Errorf("got critical path %v, want %v", rep.CriticalPath, want)
	}
	if rep.CriticalPathMs != 1200 {
		t.Errorf("got critical path %.1f ms, want 1200", rep.CriticalPathMs)
	}
	if want := 1200 / rep.TotalWallMs; rep.TotalWallMs == 0 || math.Abs(rep.Efficiency-want) > 1e-9 {
		t.Errorf("got efficiency %.4f with total %.1f ms, want %.4f", rep.Efficiency, rep.TotalWallMs, want)
	}
	if rep.Mode != "parallel" {
		t.Errorf("got mode %q, want the base's parallel", rep.Mode)
	}
	if empty := Summarize(&plan.Plan{}, result.Report{}, nil); empty.CriticalPath != nil {
		t.Errorf("got critical path %v for nothing, want none", empty.CriticalPath)
	}
}

// TestSummarizeFailedRuns checks that the critical path adds up the medians the report
// prints beside its units — each unit's median over the runs in which it ended ok, none
// for a unit that never did — when units fail in some runs or in all of them.
func TestSummarizeFailedRuns(t *testing.T) {
	t.Parallel()
	// boil -> spaghetti, salad and sauce beside.
	p := buildPlan(t, true,
		src{name: "boil", sql: "SELECT 1;"},
		src{name: "salad", sql: "SELECT 2;"},
		src{name: "spaghetti", sql: "SELECT 3;", after: []string{"boil"}},
		src{name: "sauce", sql: "SELECT 4;"},
	)
	type unit struct {
		ms     float64
		status result.Status // "" for ok
	}
	runOf := func(wall float64, us ...unit) result.Run {
		r := Describe(p)
		r.WallMs = wall
		for i := range r.Queries {
			r.Queries[i].Status, r.Queries[i].WallMs = cmp.Or(us[i].status, result.StatusOK), us[i].ms
		}
		return r
	}
	ok := func(ms float64) unit { return unit{ms, ""} }
	failed := func(ms float64) unit { return unit{ms, result.StatusError} }
	timeout := func(ms float64) unit { return unit{ms, result.StatusTimeout} }
	tests := []struct {
		name   string
		runs   []result.Run
		path   []string
		pathMs float64
	}{
		{
			// spaghetti fails quickly in run 2: over its ok runs boil's median is 300 and
			// spaghetti's 750; over the runs in which every unit ended ok (1 and 3) boil's
			// would be 400.
			name: "fails in some runs",
			runs: []result.Run{
				runOf(1300, ok(500), ok(1000), ok(700), ok(400)),
				runOf(1000, ok(100), ok(900), failed(5), ok(300)),
				runOf(1250, ok(300), ok(950), ok(800), ok(350)),
			},
			path:   []string{"boil", "spaghetti"},
			pathMs: 300 + 750,
		},
		{
			// sauce times out after 2 s in every run: it has no median, and its failed runs'
			// time is not a path 2 s long.
			name: "never ok",
			runs: []result.Run{
				runOf(2000, ok(500), ok(1000), ok(700), timeout(2000)),
				runOf(2000, ok(100), ok(900), failed(5), timeout(2000)),
				runOf(2000, ok(300), ok(950), ok(800), timeout(2000)),
			},
			path:   []string{"boil", "spaghetti"},
			pathMs: 300 + 750,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Summarize(p, result.Report{Mode: "parallel"}, tt.runs)
			if !slices.Equal(rep.CriticalPath, tt.path) {
				t.Fatalf("got critical path %v, want %v", rep.CriticalPath, tt.path)
			}
			// The medians the report prints (report.medianCell: Stats.P50Ms), along the path.
			var sum float64
			for _, name := range rep.CriticalPath {
				i := slices.IndexFunc(rep.Queries, func(q result.Query) bool { return q.Name == name })
				if s := rep.Queries[i].Stats; s != nil && s.N > 0 {
					sum += s.P50Ms
				}
			}
			if rep.CriticalPathMs != sum || rep.CriticalPathMs != tt.pathMs {
				t.Errorf("got critical path %.1f ms, want %.1f ms, the sum of the printed medians (%.1f ms)",
					rep.CriticalPathMs, tt.pathMs, sum)
			}
			if s := rep.Queries[3].Stats; tt.name == "never ok" && (s == nil || s.N != 0 || rep.Queries[3].WallMs != 0) {
				t.Errorf("sauce, never ok: got stats %+v and %.1f ms, want no median", s, rep.Queries[3].WallMs)
			}
		})
	}
}

func TestDescribeRange(t *testing.T) {
	t.Parallel()
	p := buildPlan(t, true,
		src{name: "a", sql: "SELECT 1;"},
		src{name: "blk", sql: "BEGIN;", stage: 1},
		src{sql: "SELECT 2;", stage: 1},
		src{sql: "COMMIT;", stage: 1},
		src{sql: "BEGIN;", stage: 1},
		src{sql: "COMMIT;", stage: 1},
		src{name: "c", sql: "SELECT 3;", stage: 1, after: []string{"blk"}},
	)
	want := Describe(p).Queries
	i := 0
	for q := range DescribeRange(p, 0, len(p.Units)) {
		if i >= len(want) {
			t.Fatalf("DescribeRange yields more than Describe's %d queries", len(want))
		}
		if !reflect.DeepEqual(*q, want[i]) {
			t.Errorf("query %d: got %+v, want %+v", i, *q, want[i])
		}
		i++
	}
	if i != len(want) {
		t.Errorf("DescribeRange yields %d queries, want %d", i, len(want))
	}
	for range DescribeRange(p, 0, len(p.Units)) {
		break // stopping early must not panic
	}
}

// TestSummarizeDryRun checks that a dry run's report is the same whether its queries
// are described up front or streamed (Summarize of an empty run, as --dry-run does).
func TestSummarizeDryRun(t *testing.T) {
	t.Parallel()
	p := buildPlan(t, true,
		src{name: "a", sql: "SELECT 1;"},
		src{name: "b", sql: "SELECT 2;", stage: 1, after: []string{"a"}},
	)
	full := Summarize(p, result.Report{Mode: "dry-run"}, []result.Run{Describe(p)})
	hdr := Summarize(p, result.Report{Mode: "dry-run"}, []result.Run{{}})
	full.Queries, hdr.Queries = nil, nil
	if !reflect.DeepEqual(full, hdr) {
		t.Errorf("got %+v, want %+v", hdr, full)
	}
}
