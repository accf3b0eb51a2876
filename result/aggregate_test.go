package result

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func q(name string, st Status, wall float64) Query {
	return Query{Name: name, File: "f.sql", Line: 1, Col: 1, SQL: "select 1;", Status: st, WallMs: wall}
}

func run(wall float64, qs ...Query) Run { return Run{WallMs: wall, Queries: qs} }

// runsOf makes one run per wall time of a single ok unit named name whose run takes
// the same time as the unit.
func runsOf(name string, walls ...float64) []Run {
	runs := make([]Run, len(walls))
	for i, w := range walls {
		runs[i] = run(w, q(name, StatusOK, w))
	}
	return runs
}

func approx(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func baseReport() Report {
	return Report{
		Context:        Context{QrunVersion: "v0.1.0", Target: "u@h:5432/db", Files: []string{"f.sql"}, StartedAt: time.Unix(1, 0)},
		Mode:           "parallel",
		Concurrency:    4,
		Warmup:         2,
		ConnectMs:      3.5,
		CriticalPath:   []string{"a", "b"},
		CriticalPathMs: 7,
		Efficiency:     0.9,
		Warnings:       []string{"SET in parallel mode"},
	}
}

func TestAggregateZeroRuns(t *testing.T) {
	base := baseReport()
	base.Queries = []Query{{Name: "a", Status: StatusPlanned}}
	got := Aggregate(base, nil)
	if got.Runs != 0 {
		t.Errorf("Runs: got %d, want 0", got.Runs)
	}
	if got.SchemaVersion != SchemaVersion {
		t.Errorf("SchemaVersion: got %d, want %d", got.SchemaVersion, SchemaVersion)
	}
	if len(got.Queries) != 1 || got.Queries[0].Name != "a" {
		t.Errorf("Queries: got %+v, want base's", got.Queries)
	}
}

func TestAggregateCopiesBase(t *testing.T) {
	base := baseReport()
	got := Aggregate(base, runsOf("a", 5))
	if got.Context.Target != base.Context.Target || got.Context.QrunVersion != base.Context.QrunVersion {
		t.Errorf("Context: got %+v, want %+v", got.Context, base.Context)
	}
	if got.Mode != "parallel" || got.Concurrency != 4 || got.Warmup != 2 || got.ConnectMs != 3.5 {
		t.Errorf("mode/concurrency/warmup/connect: got %q/%d/%d/%v, want parallel/4/2/3.5", got.Mode, got.Concurrency, got.Warmup, got.ConnectMs)
	}
	if !slices.Equal(got.CriticalPath, base.CriticalPath) || got.CriticalPathMs != 7 || got.Efficiency != 0.9 {
		t.Errorf("critical path: got %v %v %v, want %v 7 0.9", got.CriticalPath, got.CriticalPathMs, got.Efficiency, base.CriticalPath)
	}
	if !slices.Equal(got.Warnings, base.Warnings) {
		t.Errorf("Warnings: got %q, want %q", got.Warnings, base.Warnings)
	}
	// The report must not share memory with base.
	got.Warnings[0] = "changed"
	got.Context.Files[0] = "changed"
	got.CriticalPath[0] = "changed"
	if base.Warnings[0] == "changed" || base.Context.Files[0] == "changed" || base.CriticalPath[0] == "changed" {
		t.Errorf("Aggregate's report shares slices with base")
	}
}

func TestAggregateOneRun(t *testing.T) {
	a := q("a", StatusOK, 4)
	a.WaitMs, a.Rows, a.Conn, a.StartMs, a.EndMs = 0.5, 3, 2, 1, 5
	b := q("b", StatusError, 2)
	b.Error = &Error{SQLState: "42P01", Message: "relation does not exist"}
	c := q("c", StatusSkipped, 0)
	runs := []Run{run(5, a, b, c)}
	got := Aggregate(baseReport(), runs)

	if got.Runs != 1 {
		t.Errorf("Runs: got %d, want 1", got.Runs)
	}
	if got.TotalWallMs != 5 || got.SumMs != 6 || !approx(got.Speedup, 1.2) {
		t.Errorf("total/sum/speedup: got %v/%v/%v, want 5/6/1.2", got.TotalWallMs, got.SumMs, got.Speedup)
	}
	if got.TotalRunsMs != nil || got.TotalStats != nil {
		t.Errorf("TotalRunsMs/TotalStats: got %v/%v, want nil for one run", got.TotalRunsMs, got.TotalStats)
	}
	want := Counts{OK: 1, Error: 1, Skipped: 1}
	if got.Summary != want {
		t.Errorf("Summary: got %+v, want %+v", got.Summary, want)
	}
	if len(got.Queries) != 3 {
		t.Fatalf("Queries: got %d, want 3", len(got.Queries))
	}
	ga := got.Queries[0]
	if ga.WallMs != 4 || ga.WaitMs != 0.5 || ga.Rows != 3 || ga.Conn != 2 || ga.StartMs != 1 || ga.EndMs != 5 {
		t.Errorf("query a: got %+v, want the run's measurements", ga)
	}
	if ga.RunsMs != nil || ga.Stats != nil {
		t.Errorf("query a RunsMs/Stats: got %v/%v, want nil for one run", ga.RunsMs, ga.Stats)
	}
	if got.Queries[1].Error == nil || got.Queries[1].Error.SQLState != "42P01" {
		t.Errorf("query b Error: got %+v, want SQLSTATE 42P01", got.Queries[1].Error)
	}
	if &got.Queries[0] != &runs[0].Queries[0] {
		t.Errorf("Queries: got a copy of the run's queries, want the run's own (one run)")
	}
	if got.Failed() != 2 {
		t.Errorf("Failed(): got %d, want 2", got.Failed())
	}
}

func TestAggregateSeveralRuns(t *testing.T) {
	mk := func(wall, aMs, bMs float64, rows int64, conn int) Run {
		a := q("a", StatusOK, aMs)
		a.Rows, a.Conn, a.WaitMs = rows, conn, aMs/10
		return run(wall, a, q("b", StatusOK, bMs))
	}
	runs := []Run{
		mk(10, 4, 5, 1, 1),
		mk(12, 6, 6, 2, 2),
		mk(11, 5, 7, 3, 1),
		mk(13, 13, 4, 4, 2),
	}
	got := Aggregate(baseReport(), runs)

	if got.Runs != 4 {
		t.Errorf("Runs: got %d, want 4", got.Runs)
	}
	if got.TotalWallMs != 11.5 {
		t.Errorf("TotalWallMs: got %v, want 11.5 (median)", got.TotalWallMs)
	}
	if !slices.Equal(got.TotalRunsMs, []float64{10, 12, 11, 13}) {
		t.Errorf("TotalRunsMs: got %v, want [10 12 11 13]", got.TotalRunsMs)
	}
	if got.TotalStats == nil || got.TotalStats.N != 4 || got.TotalStats.MinMs != 10 || got.TotalStats.MaxMs != 13 || got.TotalStats.P50Ms != 11.5 {
		t.Errorf("TotalStats: got %+v, want n 4, min 10, p50 11.5, max 13", got.TotalStats)
	}
	a := got.Queries[0]
	if a.WallMs != 5.5 || !approx(a.WaitMs, 0.55) {
		t.Errorf("a WallMs/WaitMs: got %v/%v, want 5.5/0.55 (medians)", a.WallMs, a.WaitMs)
	}
	if !slices.Equal(a.RunsMs, []float64{4, 6, 5, 13}) {
		t.Errorf("a RunsMs: got %v, want [4 6 5 13]", a.RunsMs)
	}
	if a.RunsStatus != nil {
		t.Errorf("a RunsStatus: got %v, want nil when every run was ok", a.RunsStatus)
	}
	if a.Rows != 4 || a.Conn != 2 {
		t.Errorf("a Rows/Conn: got %d/%d, want 4/2 from the last run", a.Rows, a.Conn)
	}
	if a.Stats == nil || a.Stats.N != 4 || a.Stats.Errors != 0 || a.Stats.P50Ms != a.WallMs || !approx(a.Stats.MeanMs, 7) || a.Stats.MaxMs != 13 {
		t.Errorf("a Stats: got %+v, want n 4, no errors, p50 = wall 5.5, mean 7, max 13", a.Stats)
	}
	if got.SumMs != 12 {
		t.Errorf("SumMs: got %v, want 12 (the median of the runs' sums 9, 12, 12, 17)", got.SumMs)
	}
	if !approx(got.Speedup, 12/11.5) {
		t.Errorf("Speedup: got %v, want %v", got.Speedup, 12/11.5)
	}
	// The report must not share memory with the runs.
	got.Queries[0].RunsMs[0] = -1
	got.Queries[0].Name = "changed"
	if runs[0].Queries[0].WallMs == -1 || runs[3].Queries[0].Name == "changed" {
		t.Errorf("Aggregate's report shares memory with the runs")
	}
}

func TestAggregateErrorsAcrossRuns(t *testing.T) {
	tests := []struct {
		name       string
		statuses   []Status
		walls      []float64
		wantWall   float64
		wantN      int
		wantErrors int
		wantStatus Status
		wantFailed int
	}{
		{"one failed run in the middle", []Status{StatusOK, StatusError, StatusOK, StatusOK}, []float64{4, 1, 6, 20}, 6, 3, 1, StatusOK, 1},
		{"failed last run", []Status{StatusOK, StatusOK, StatusTimeout}, []float64{4, 6, 100}, 5, 2, 1, StatusTimeout, 1},
		{"every run failed", []Status{StatusError, StatusError, StatusError}, []float64{1, 2, 3}, 0, 0, 3, StatusError, 1},
		{"skipped runs", []Status{StatusSkipped, StatusOK, StatusOK}, []float64{0, 3, 5}, 4, 2, 1, StatusOK, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs := make([]Run, len(tt.statuses))
			for i, st := range tt.statuses {
				runs[i] = run(10, q("a", st, tt.walls[i]))
			}
			got := Aggregate(Report{}, runs)
			a := got.Queries[0]
			if a.WallMs != tt.wantWall {
				t.Errorf("WallMs: got %v, want %v", a.WallMs, tt.wantWall)
			}
			if a.Stats.N != tt.wantN || a.Stats.Errors != tt.wantErrors {
				t.Errorf("Stats n/errors: got %d/%d, want %d/%d", a.Stats.N, a.Stats.Errors, tt.wantN, tt.wantErrors)
			}
			if !slices.Equal(a.RunsStatus, tt.statuses) {
				t.Errorf("RunsStatus: got %v, want %v", a.RunsStatus, tt.statuses)
			}
			if !slices.Equal(a.RunsMs, tt.walls) {
				t.Errorf("RunsMs: got %v, want %v", a.RunsMs, tt.walls)
			}
			if a.Status != tt.wantStatus {
				t.Errorf("Status: got %q, want %q (the last run's)", a.Status, tt.wantStatus)
			}
			if got.Failed() != tt.wantFailed {
				t.Errorf("Failed(): got %d, want %d", got.Failed(), tt.wantFailed)
			}
			if got.TotalStats.Errors != tt.wantErrors {
				t.Errorf("TotalStats.Errors: got %d, want %d (runs with a failure)", got.TotalStats.Errors, tt.wantErrors)
			}
		})
	}
}

func TestAggregateInterruptedAndShortRuns(t *testing.T) {
	cancelledA := q("a", StatusCancelled, 3)
	notRunB := q("b", StatusNotRun, 0)
	runs := []Run{
		run(10, q("a", StatusOK, 4), q("b", StatusOK, 5)),
		run(11, q("a", StatusOK, 5), q("b", StatusOK, 6)),
		{WallMs: 3, Queries: []Query{cancelledA, notRunB}, Interrupted: true},
	}
	got := Aggregate(Report{}, runs)
	if !got.Interrupted || got.PartialRunMs != 3 {
		t.Errorf("Interrupted/PartialRunMs: got %v/%v, want true/3", got.Interrupted, got.PartialRunMs)
	}
	if got.Runs != 2 || !slices.Equal(got.TotalRunsMs, []float64{10, 11}) || got.TotalWallMs != 10.5 {
		t.Errorf("runs %d, total runs %v, total %v; want 2, [10 11], 10.5 (the partial run left out)", got.Runs, got.TotalRunsMs, got.TotalWallMs)
	}
	if !approx(got.Speedup, 10/10.5) {
		t.Errorf("Speedup: got %v, want %v (medians of the complete runs)", got.Speedup, 10/10.5)
	}
	for _, qq := range got.Queries {
		if qq.Stats.N != 2 || qq.Stats.Errors != 0 || qq.RunsStatus != nil || qq.Status != StatusOK {
			t.Errorf("%s: n %d errors %d statuses %v status %s, want 2 ok runs and nothing of the partial one", qq.Name, qq.Stats.N, qq.Stats.Errors, qq.RunsStatus, qq.Status)
		}
	}
	if want := (Counts{OK: 2}); got.Summary != want {
		t.Errorf("Summary: got %+v, want %+v", got.Summary, want)
	}
	if len(got.Warnings) != 1 || got.Warnings[0] != "run 3 was interrupted (cancelling a) and is left out of every statistic" {
		t.Errorf("Warnings: got %q, want the partial run named", got.Warnings)
	}

	// One complete run and a partial one: the complete run, as a single run.
	one := Aggregate(Report{}, runs[1:])
	if one.Runs != 1 || one.TotalWallMs != 11 || one.PartialRunMs != 3 || !one.Interrupted || one.Queries[0].WallMs != 5 || one.Queries[0].RunsMs != nil {
		t.Errorf("one complete run: got runs %d total %v partial %v a %v/%v, want 1 11 3 5 and no RunsMs", one.Runs, one.TotalWallMs, one.PartialRunMs, one.Queries[0].WallMs, one.Queries[0].RunsMs)
	}

	// Only a partial run: it is the report.
	only := Aggregate(Report{}, runs[2:])
	if only.Runs != 1 || !only.Interrupted || only.PartialRunMs != 0 || only.TotalWallMs != 3 {
		t.Errorf("only a partial run: got runs %d interrupted %v partial %v total %v, want 1 true 0 3", only.Runs, only.Interrupted, only.PartialRunMs, only.TotalWallMs)
	}
	if want := (Counts{Cancelled: 1, NotRun: 1}); only.Summary != want {
		t.Errorf("only a partial run: Summary %+v, want %+v", only.Summary, want)
	}

	// Runs of different lengths (a unit missing) count it as not run there.
	short := Aggregate(Report{}, []Run{
		run(10, q("a", StatusOK, 4), q("b", StatusOK, 5)),
		run(11, q("a", StatusOK, 5)),
		run(12, q("a", StatusOK, 6), q("b", StatusOK, 7)),
	})
	b := short.Queries[1]
	if b.Stats.N != 2 || b.Stats.Errors != 1 || !slices.Equal(b.RunsStatus, []Status{StatusOK, StatusNotRun, StatusOK}) {
		t.Errorf("b: got n %d errors %d statuses %v, want 2 1 [ok not_run ok]", b.Stats.N, b.Stats.Errors, b.RunsStatus)
	}
}

// TestAggregateOnlySuccessfulSamples: percentiles, medians and totals are over the runs
// that ended ok, and the failures are counted beside them.
func TestAggregateOnlySuccessfulSamples(t *testing.T) {
	runs := []Run{
		run(100, q("load", StatusOK, 90)),
		run(5, q("load", StatusError, 2)), // duplicate key: quick
		run(6, q("load", StatusError, 3)),
		run(110, q("load", StatusOK, 95)),
	}
	got := Aggregate(Report{}, runs)
	l := got.Queries[0]
	if l.Stats.N != 2 || l.Stats.Errors != 2 || l.Stats.MinMs != 90 || l.Stats.MaxMs != 95 || l.Stats.P95Ms < 90 || l.WallMs != 92.5 {
		t.Errorf("load stats %+v wall %v, want n 2, errors 2, min 90, max 95, p95 ≥ 90, wall 92.5", l.Stats, l.WallMs)
	}
	if got.TotalWallMs != 105 || got.TotalStats.N != 2 || got.TotalStats.Errors != 2 || got.TotalStats.MinMs != 100 {
		t.Errorf("total %v stats %+v, want 105 over the two ok runs, 2 errors", got.TotalWallMs, got.TotalStats)
	}
	if !slices.Equal(got.TotalRunsMs, []float64{100, 5, 6, 110}) {
		t.Errorf("TotalRunsMs %v, want every run's", got.TotalRunsMs)
	}
	never := Aggregate(Report{}, []Run{run(5, q("bad", StatusError, 2)), run(6, q("bad", StatusError, 3))})
	b := never.Queries[0]
	if b.WallMs != 0 || b.Stats.N != 0 || b.Stats.P95Ms != 0 || b.Stats.MaxMs != 0 || b.Stats.Errors != 2 {
		t.Errorf("never ok: wall %v stats %+v, want no time: 0, n 0, errors 2", b.WallMs, b.Stats)
	}
	if never.TotalWallMs != 5.5 || never.SumMs != 2.5 {
		t.Errorf("never ok: total %v sum %v, want 5.5 and 2.5 (over every run, none was ok)", never.TotalWallMs, never.SumMs)
	}
}

func TestAggregateTransactionBlock(t *testing.T) {
	block := func(begin, ins, commit float64) Query {
		b := q("tx", StatusOK, begin+ins+commit)
		b.Statements = []Query{q("tx:1", StatusOK, begin), q("tx:2", StatusOK, ins), q("tx:3", StatusOK, commit)}
		return b
	}
	runs := []Run{
		run(3, block(0.1, 2, 0.4)),
		run(4, block(0.2, 3, 0.6)),
		run(5, block(0.3, 4, 0.5)),
	}
	failed := block(0.2, 1, 0)
	failed.Status = StatusError
	failed.Statements[1].Status = StatusError
	failed.Statements = failed.Statements[:2] // the runner may stop at the failing statement
	runs = append(runs, run(1, failed))

	got := Aggregate(Report{}, runs)
	tx := got.Queries[0]
	if len(tx.Statements) != 2 {
		t.Fatalf("Statements: got %d, want 2 (the last run's)", len(tx.Statements))
	}
	ins := tx.Statements[1]
	if !slices.Equal(ins.RunsMs, []float64{2, 3, 4, 1}) {
		t.Errorf("insert RunsMs: got %v, want [2 3 4 1]", ins.RunsMs)
	}
	if ins.WallMs != 3 || ins.Stats == nil || ins.Stats.N != 3 || ins.Stats.Errors != 1 {
		t.Errorf("insert: got wall %v stats %+v, want wall 3, n 3, errors 1", ins.WallMs, ins.Stats)
	}
	begin := tx.Statements[0]
	if !approx(begin.WallMs, 0.2) || begin.Stats.N != 4 {
		t.Errorf("begin: got wall %v n %d, want 0.2 and 4", begin.WallMs, begin.Stats.N)
	}
	if tx.Stats.N != 3 || tx.Stats.Errors != 1 || tx.Status != StatusError {
		t.Errorf("block: got n %d errors %d status %q, want 3 1 error", tx.Stats.N, tx.Stats.Errors, tx.Status)
	}
}

func TestAggregateWarnings(t *testing.T) {
	steady := []float64{10, 10.4, 9.8, 10.1, 10.2, 9.9, 10.3, 10}
	cold := append([]float64{31}, steady[1:]...)
	spiky := slices.Clone(steady)
	spiky[4] = 60
	manyUnits := func(n int, walls []float64) []Run {
		runs := make([]Run, len(walls))
		for k, w := range walls {
			qs := make([]Query, n)
			for i := range qs {
				qs[i] = q(fmt.Sprintf("q%d", i), StatusOK, w)
			}
			runs[k] = run(100, qs...) // a steady total
		}
		return runs
	}
	tests := []struct {
		name     string
		base     []string
		runs     []Run
		want     []string // substrings, one per warning, in order
		wantNone bool
	}{
		{name: "steady samples", runs: runsOf("a", steady...), wantNone: true},
		{name: "two runs are too few to judge", runs: runsOf("a", 30, 10), wantNone: true},
		{name: "cold first run", runs: runsOf("a", cold...), want: []string{
			"first run of a took 3.1× the median of the rest: cold cache? try --warmup",
			"first run of the whole plan took 3.1×",
		}},
		{name: "outlier", runs: runsOf("a", spiky...), want: []string{
			"1 statistical outlier in a: consider --warmup or a quieter system",
			"1 statistical outlier in the whole plan",
		}},
		{name: "existing warnings kept, not repeated", base: []string{"first run of a took 3.1× the median of the rest: cold cache? try --warmup"},
			runs: runsOf("a", cold...), want: []string{"first run of a took 3.1×", "first run of the whole plan"}},
		{name: "many units share one line", runs: manyUnits(12, cold), want: []string{
			"first run of 12 queries (q0, q1, q2 and 9 more) took over 2× the median of the rest",
		}},
		{name: "few units named one by one", runs: manyUnits(3, spiky), want: []string{
			"in q0:", "in q1:", "in q2:",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Aggregate(Report{Warnings: tt.base}, tt.runs).Warnings
			if tt.wantNone {
				if len(got) != 0 {
					t.Errorf("Warnings: got %q, want none", got)
				}
				return
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Warnings: got %d %q, want %d like %q", len(got), got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %d: got %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

func TestFailed(t *testing.T) {
	all := []Status{StatusOK, StatusError, StatusTimeout, StatusCancelled, StatusSkipped, StatusNotRun, StatusPlanned}
	tests := []struct {
		name string
		r    Report
		want int
	}{
		{"empty", Report{}, 0},
		{"all ok", Report{Queries: []Query{{Status: StatusOK}, {Status: StatusOK}}}, 0},
		{"planned is not a failure", Report{Queries: []Query{{Status: StatusPlanned}}}, 0},
		{"every status once", Report{Queries: func() []Query {
			qs := make([]Query, len(all))
			for i, s := range all {
				qs[i].Status = s
			}
			return qs
		}()}, 5},
		{"targets", Report{Targets: []Report{
			{Queries: []Query{{Status: StatusError}}},
			{Queries: []Query{{Status: StatusSkipped}, {Status: StatusOK}}},
		}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Failed(); got != tt.want {
				t.Errorf("Failed(): got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSamples(t *testing.T) {
	tests := []struct {
		name string
		q    Query
		want []float64
	}{
		{"single ok run", Query{Status: StatusOK, WallMs: 3}, []float64{3}},
		{"single failed run", Query{Status: StatusError, WallMs: 3}, nil},
		{"planned", Query{Status: StatusPlanned}, nil},
		{"all runs ok", Query{Status: StatusOK, RunsMs: []float64{1, 2, 3}}, []float64{1, 2, 3}},
		{"some runs failed", Query{Status: StatusError, RunsMs: []float64{1, 2, 3},
			RunsStatus: []Status{StatusOK, StatusError, StatusOK}}, []float64{1, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.q.Samples(); !slices.Equal(got, tt.want) {
				t.Errorf("Samples(): got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTotalSamples(t *testing.T) {
	tests := []struct {
		name string
		r    Report
		want []float64
	}{
		{"no runs", Report{}, nil},
		{"one run", Report{Runs: 1, TotalWallMs: 7}, []float64{7}},
		{"several runs", Report{Runs: 3, TotalWallMs: 2, TotalRunsMs: []float64{1, 2, 3}}, []float64{1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.TotalSamples(); !slices.Equal(got, tt.want) {
				t.Errorf("TotalSamples(): got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestAggregateWarningsAfterWarmup: with --warmup given, the advice is not "try --warmup".
func TestAggregateWarningsAfterWarmup(t *testing.T) {
	steady := []float64{10, 10.4, 9.8, 10.1, 10.2, 9.9, 10.3, 10}
	cold := append([]float64{31}, steady[1:]...)
	spiky := slices.Clone(steady)
	spiky[4] = 60
	for _, walls := range [][]float64{cold, spiky} {
		got := Aggregate(Report{Warmup: 2}, runsOf("a", walls...)).Warnings
		if len(got) == 0 {
			t.Fatalf("%v: no warning, want one", walls)
		}
		for _, w := range got {
			if strings.Contains(w, "try --warmup") || strings.Contains(w, "consider --warmup") {
				t.Errorf("warning %q after 2 warmup runs, want advice other than --warmup", w)
			}
		}
	}
	if got := Aggregate(Report{Warmup: 2}, runsOf("a", cold...)).Warnings[0]; got != "first run of a took 3.1× the median of the rest after 2 warmup runs: a cache the warmup does not fill, or a noisy system? try more --warmup runs or --before-each" {
		t.Errorf("warning %q", got)
	}
}

// TestAggregateSequentialSpeedup is the complaint: a sequential run is never
// faster than its statements, whatever failed or was cut short.
func TestAggregateSequentialSpeedup(t *testing.T) {
	seq := func(interrupted bool, qs ...Query) Run {
		r := Run{Queries: qs, Interrupted: interrupted}
		for _, q := range qs {
			r.WallMs += q.WallMs
		}
		return r
	}
	runs := []Run{
		seq(false, q("load", StatusOK, 6000), q("count", StatusOK, 100)),
		seq(false, q("load", StatusError, 5), q("count", StatusOK, 110)),
		seq(false, q("load", StatusOK, 6200), q("count", StatusOK, 90)),
		seq(true, q("load", StatusCancelled, 900), q("count", StatusNotRun, 0)),
	}
	got := Aggregate(Report{Mode: "sequential"}, runs)
	if !approx(got.Speedup, 1) {
		t.Errorf("Speedup %v (sum %v, total %v), want 1: one connection overlaps nothing", got.Speedup, got.SumMs, got.TotalWallMs)
	}
	if got.TotalWallMs != 6195 {
		t.Errorf("TotalWallMs %v, want 6195: the median of the two ok runs, without the failed or the partial one", got.TotalWallMs)
	}
}
