package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/result"
)

func init() {
	fixtures = append(fixtures, struct {
		name   string
		report func() *result.Report
	}{"serverstats", serverStatsRun}, struct {
		name   string
		report func() *result.Report
	}{"servertargets", serverStatsTargets})
}

// serverStatsTargets is the lunch on two targets with --server-stats, the second's plan
// of prepare_salad changed.
func serverStatsTargets() *result.Report {
	r := twoTargets()
	for i := range r.Targets {
		tr := &r.Targets[i]
		tr.ServerPassMs = 40.5 + float64(i)
		tr.PgStatStatements = "ok"
		for k := range tr.Queries {
			shape := []string{"Result"}
			if k == 1 && i == 1 {
				shape = []string{"Seq Scan on orders"}
			}
			tr.Queries[k].ServerStats = &result.ServerStats{ServerMs: tr.Queries[k].WallMs - 0.5, PlanMs: 0.125,
				ServerRunsMs: []float64{tr.Queries[k].WallMs - 0.5}, Buffers: &result.Buffers{SharedHit: int64(10 * (k + 1))},
				PlanShape: shape, GapMs: 0.375, QueryID: "-4242",
				StatStatements: &result.StatDelta{Calls: 10, TotalExecMs: 10 * tr.Queries[k].WallMs, MeanExecMs: tr.Queries[k].WallMs}}
		}
	}
	c := &r.Comparison[0]
	for k := range c.Rows {
		c.Rows[k].Plan = result.PlanSame
	}
	c.Rows[1].Plan, c.Rows[1].PlanDiff = result.PlanChanged, "Seq Scan on orders ← Result"
	c.Rows[1].PlanBase, c.Rows[1].PlanNew = []string{"Result"}, []string{"Seq Scan on orders"}
	c.PlanChanges = 1
	return r
}

// serverStatsRun is a sequential run of three statements, 10 times, with
// --server-stats (the extension absent) and compared with a baseline whose plan of
// one of them differs, under --gate-plan.
func serverStatsRun() *result.Report {
	r := repeatedRuns()
	r.Warnings = nil
	r.Mode, r.Concurrency = "sequential", 1
	r.ServerPassMs = 48.25
	r.PgStatStatements = "not installed in database lunch (CREATE EXTENSION pg_stat_statements; the server needs shared_preload_libraries = 'pg_stat_statements')"
	idx := []string{"Index Scan using orders_pkey on orders"}
	seq := []string{"Seq Scan on orders"}
	r.Queries[0].ServerStats = &result.ServerStats{ServerMs: 500.125, PlanMs: 0.05, ServerRunsMs: []float64{500.125, 500.25, 500},
		ServerRows: 1, Buffers: &result.Buffers{SharedHit: 84, SharedRead: 4}, PlanShape: []string{"Result"},
		PlanFingerprint: "5cdc3b7b2a1f0e9d", PlanJSON: `[{"Plan": {"Node Type": "Result"}}]`, GapMs: 0.625}
	r.Queries[1].ServerStats = &result.ServerStats{ServerMs: 1001.5, PlanMs: 0.125, ServerRunsMs: []float64{1001.5, 1001, 1002},
		ServerRows: 1, Buffers: &result.Buffers{SharedHit: 3, TempRead: 12, TempWritten: 12, SharedDirtied: 1}, PlanShape: seq,
		PlanFingerprint: "0a1b2c3d4e5f6071", GapMs: 0.875}
	r.Queries[2].ServerStats = &result.ServerStats{Note: "utility statement: run, not explained"}
	r.Queries[3].ServerStats = &result.ServerStats{Note: "explain failed: 25006 cannot execute INSERT in a read-only transaction"}
	c := result.Comparison{Base: "base.json", New: "this run", Alpha: 0.05, GatePlan: true, PlanChanges: 1, Rows: []result.ComparisonRow{
		{Name: "boil_water", BaseMs: 500.8, NewMs: 501.1, BaseN: 10, NewN: 10, DeltaPct: 0.06, Ratio: 1.0006, P: 0.62, Verdict: result.VerdictSame,
			ServerBaseMs: 500.1, ServerNewMs: 500.125, ServerP: 0.7, ServerVerdict: result.VerdictSame, Plan: result.PlanSame},
		{Name: "prepare_salad", BaseMs: 1002.4, NewMs: 1002.9, BaseN: 10, NewN: 10, DeltaPct: 0.05, Ratio: 1.0005, P: 0.5, Verdict: result.VerdictSame,
			ServerBaseMs: 1000.9, ServerNewMs: 1001.5, ServerP: 0.4, ServerVerdict: result.VerdictSame,
			Plan: result.PlanChanged, PlanDiff: "Seq Scan on orders ← Index Scan using orders_pkey on orders", PlanRegression: true,
			PlanBase: idx, PlanNew: seq},
		{Name: "cook_spaghetti", BaseMs: 701.5, NewMs: 701.5, BaseN: 10, NewN: 10, Ratio: 1, P: 1, Verdict: result.VerdictSame},
	}}
	r.Comparison = []result.Comparison{c}
	return r
}

func TestServerColumnsOnlyWithServerStats(t *testing.T) {
	for _, format := range []string{"table", "markdown", "html"} {
		var with, without bytes.Buffer
		if err := Write(&with, serverStatsRun(), Options{Format: format}); err != nil {
			t.Fatal(err)
		}
		if err := Write(&without, repeatedRuns(), Options{Format: format}); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"84 hit 4 read", "explain pass", "not installed"} {
			if !strings.Contains(with.String(), want) {
				t.Errorf("%s with --server-stats: no %q", format, want)
			}
			if strings.Contains(without.String(), want) {
				t.Errorf("%s without --server-stats: %q", format, want)
			}
		}
		if !strings.Contains(with.String(), "Seq Scan on orders ← Index Scan using orders_pkey on orders") {
			t.Errorf("%s: no plan change", format)
		}
	}
}

func TestPlanGate(t *testing.T) {
	c := serverStatsRun().Comparison[0]
	line, pass := gate(&c)
	if pass || !strings.Contains(line, "1 plan changed") {
		t.Errorf("got %q pass %v, want a failed gate naming the plan change", line, pass)
	}
	c.Rows[1].PlanRegression = false // without --gate-plan
	if line, pass := gate(&c); !pass {
		t.Errorf("without --gate-plan: got %q, want a pass", line)
	}
}

func TestPlanDiffText(t *testing.T) {
	tests := []struct {
		base, new []string
		want      string
	}{
		{[]string{"A", "  B"}, []string{"A", "  B"}, "  A\n    B\n"},
		{[]string{"Hash Join", "  Seq Scan on a", "  Hash"}, []string{"Nested Loop", "  Seq Scan on a", "  Index Scan using b_pkey on b"},
			"+ Nested Loop\n- Hash Join\n    Seq Scan on a\n+   Index Scan using b_pkey on b\n-   Hash\n"},
		{nil, []string{"A"}, "+ A\n"},
		{[]string{"A"}, nil, "- A\n"},
	}
	for _, tt := range tests {
		if got := planDiffText(tt.base, tt.new); got != tt.want {
			t.Errorf("planDiffText(%q, %q) = %q, want %q", tt.base, tt.new, got, tt.want)
		}
	}
}

func TestGoldenPlanComparisons(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteComparisons(&buf, serverStatsRun().Comparison, Options{Format: format}); err != nil {
				t.Fatalf("WriteComparisons: got error %v, want nil", err)
			}
			golden(t, "compare-plans."+format+".golden", buf.Bytes())
		})
	}
}
