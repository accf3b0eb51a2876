package compare

import (
	"strings"
	"testing"

	"github.com/qrunhq/qrun/result"
)

// Shapes of EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY, VERBOSE, FORMAT JSON) output
// as PostgreSQL 15 prints it (trimmed to the keys that matter).
const indexPlan = `[{"Plan": {"Node Type": "Index Scan", "Parallel Aware": false, "Scan Direction": "Forward",
 "Index Name": "orders_pkey", "Relation Name": "orders", "Schema": "public", "Alias": "orders",
 "Startup Cost": 0.29, "Total Cost": 8.3, "Plan Rows": 1, "Actual Rows": 1, "Actual Loops": 1,
 "Index Cond": "(orders.id = 42)", "Shared Hit Blocks": 3, "Shared Read Blocks": 0,
 "Shared Dirtied Blocks": 0, "Shared Written Blocks": 0, "Local Hit Blocks": 0, "Local Read Blocks": 0,
 "Local Dirtied Blocks": 0, "Local Written Blocks": 0, "Temp Read Blocks": 0, "Temp Written Blocks": 0},
 "Query Identifier": -4401935838203416118, "Planning Time": 0.123, "Triggers": [], "Execution Time": 0.045}]`

const seqPlan = `[{"Plan": {"Node Type": "Seq Scan", "Relation Name": "orders", "Schema": "public", "Alias": "orders",
 "Total Cost": 180.0, "Plan Rows": 1, "Actual Rows": 1, "Actual Loops": 1, "Filter": "(orders.id = 7)",
 "Shared Hit Blocks": 55, "Shared Read Blocks": 2},
 "Planning Time": 0.2, "Execution Time": 1.5}]`

const joinPlan = `[{"Plan": {"Node Type": "Aggregate", "Strategy": "Hashed", "Plans": [
 {"Node Type": "Hash Join", "Join Type": "Left", "Parent Relationship": "Outer", "Plans": [
  {"Node Type": "Seq Scan", "Relation Name": "orders", "Schema": "public", "Parent Relationship": "Outer"},
  {"Node Type": "Hash", "Parent Relationship": "Inner", "Plans": [
   {"Node Type": "Index Only Scan", "Scan Direction": "Backward", "Index Name": "c_pkey", "Relation Name": "customers", "Schema": "shop", "Parent Relationship": "Outer"}]}]},
 {"Node Type": "Bitmap Index Scan", "Index Name": "o_idx", "Parent Relationship": "InitPlan"}]},
 "Planning Time": 1, "Execution Time": 2}]`

func TestParseExplain(t *testing.T) {
	s, err := ParseExplain([]byte(indexPlan))
	if err != nil {
		t.Fatal(err)
	}
	if s.ServerMs != 0.045 || s.PlanMs != 0.123 || s.ServerRows != 1 || s.QueryID != "-4401935838203416118" {
		t.Errorf("times/rows/id: %+v", s)
	}
	if s.Buffers == nil || s.Buffers.SharedHit != 3 || s.Buffers.SharedRead != 0 {
		t.Errorf("buffers: %+v", s.Buffers)
	}
	if got := strings.Join(s.PlanShape, "|"); got != "Index Scan using orders_pkey on orders" {
		t.Errorf("shape: %q", got)
	}
	if len(s.PlanFingerprint) != 16 || s.PlanJSON != indexPlan {
		t.Errorf("fingerprint %q or plan JSON not kept", s.PlanFingerprint)
	}
	for _, bad := range []string{"", "[]", "{}", `[{"Plan": null}]`} {
		if _, err := ParseExplain([]byte(bad)); err == nil {
			t.Errorf("ParseExplain(%q): no error", bad)
		}
	}
}

func TestPlanShape(t *testing.T) {
	s, err := ParseExplain([]byte(joinPlan))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"HashAggregate",
		"  Hash Left Join",
		"    Seq Scan on orders",
		"    Hash",
		"      Index Only Scan Backward using c_pkey on shop.customers",
		"  InitPlan: Bitmap Index Scan on o_idx",
	}
	if strings.Join(s.PlanShape, "\n") != strings.Join(want, "\n") {
		t.Errorf("shape:\n%s\nwant:\n%s", strings.Join(s.PlanShape, "\n"), strings.Join(want, "\n"))
	}
}

// Costs, estimates, actual figures and conditions do not change the fingerprint; a
// node does.
func TestFingerprintIgnoresFigures(t *testing.T) {
	a, _ := ParseExplain([]byte(indexPlan))
	other := strings.NewReplacer(`"Total Cost": 8.3`, `"Total Cost": 99`, `"Actual Rows": 1`, `"Actual Rows": 5`,
		`= 42`, `= 43`, `"Shared Hit Blocks": 3`, `"Shared Hit Blocks": 9`).Replace(indexPlan)
	b, _ := ParseExplain([]byte(other))
	if a.PlanFingerprint != b.PlanFingerprint {
		t.Errorf("figures changed the fingerprint: %s vs %s", a.PlanFingerprint, b.PlanFingerprint)
	}
	c, _ := ParseExplain([]byte(seqPlan))
	if a.PlanFingerprint == c.PlanFingerprint {
		t.Error("a seq scan has the index scan's fingerprint")
	}
}

func TestPlanDiff(t *testing.T) {
	idx := []string{"Index Scan using orders_pkey on orders"}
	seq := []string{"Seq Scan on orders"}
	for _, tc := range []struct {
		base, new     []string
		verdict, diff string
	}{
		{idx, idx, result.PlanSame, ""},
		{idx, seq, result.PlanChanged, "Seq Scan on orders ← Index Scan using orders_pkey on orders"},
		{[]string{"Sort", "  Seq Scan on t"}, []string{"Sort"}, result.PlanChanged, "(none) ← Seq Scan on t"},
		{nil, seq, "", ""},
		{idx, nil, "", ""},
	} {
		v, d := PlanDiff(tc.base, tc.new)
		if v != tc.verdict || d != tc.diff {
			t.Errorf("PlanDiff(%q, %q) = %q, %q; want %q, %q", tc.base, tc.new, v, d, tc.verdict, tc.diff)
		}
	}
}

// Compare fills the plan column and the server verdict, and gates a changed plan only
// with GatePlan.
func TestCompareServerStats(t *testing.T) {
	mk := func(plan string, server []float64) result.Report {
		s, err := ParseExplain([]byte(plan))
		if err != nil {
			t.Fatal(err)
		}
		s.ServerRunsMs = server
		q := result.Query{Name: "q", ID: "q", SQL: "select * from orders where id = 1", Status: result.StatusOK,
			WallMs: 1, RunsMs: []float64{1, 1.1, 0.9, 1, 1.05, 0.95}, ServerStats: s}
		return result.Report{Runs: 6, Queries: []result.Query{q, {Name: "plain", ID: "plain", SQL: "select 1", Status: result.StatusOK, WallMs: 1}}}
	}
	base := mk(indexPlan, []float64{0.04, 0.05, 0.045, 0.04, 0.05, 0.046})
	same := mk(indexPlan, []float64{0.04, 0.05, 0.045, 0.04, 0.05, 0.046})
	flipped := mk(seqPlan, []float64{1.4, 1.5, 1.6, 1.5, 1.45, 1.55})

	c := Compare("base", &base, "new", &same, Options{GatePlan: true})
	if r := c.Rows[0]; r.Plan != result.PlanSame || r.PlanRegression || c.PlanChanges != 0 {
		t.Errorf("same plan: %+v", r)
	}
	if r := c.Rows[1]; r.Plan != "" || r.ServerVerdict != "" {
		t.Errorf("a row without server stats has plan %q, server verdict %q", r.Plan, r.ServerVerdict)
	}
	c = Compare("base", &base, "new", &flipped, Options{})
	r := c.Rows[0]
	if r.Plan != result.PlanChanged || r.PlanDiff != "Seq Scan on orders ← Index Scan using orders_pkey on orders" || r.PlanRegression || c.PlanChanges != 1 {
		t.Errorf("changed plan, not gated: %+v", r)
	}
	if r.ServerVerdict != result.VerdictSlower || r.Verdict != result.VerdictSame {
		t.Errorf("client same, server slower: client %q server %q (p %g)", r.Verdict, r.ServerVerdict, r.ServerP)
	}
	c = Compare("base", &base, "new", &flipped, Options{GatePlan: true})
	if !c.Rows[0].PlanRegression || !c.GatePlan {
		t.Errorf("changed plan, gated: %+v", c.Rows[0])
	}
}
