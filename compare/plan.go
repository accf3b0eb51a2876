package compare

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/qrunhq/qrun/result"
)

// explainOutput is one element of EXPLAIN (FORMAT JSON)'s array.
type explainOutput struct {
	Plan          map[string]any `json:"Plan"`
	QueryID       json.Number    `json:"Query Identifier"`
	PlanningTime  float64        `json:"Planning Time"`
	ExecutionTime float64        `json:"Execution Time"`
}

// ParseExplain reads the output of EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY,
// [VERBOSE,] FORMAT JSON) into the server's side of one statement: execution and planning
// time, the top node's rows and buffers (executor only: they include every child's), the
// query identifier when compute_query_id gave one, the normalised plan shape (PlanShape)
// and its fingerprint. The full output is kept in PlanJSON.
func ParseExplain(out []byte) (*result.ServerStats, error) {
	var outs []explainOutput
	if err := json.Unmarshal(out, &outs); err != nil {
		return nil, fmt.Errorf("explain output: %w", err)
	}
	if len(outs) != 1 || outs[0].Plan == nil {
		return nil, fmt.Errorf("explain output: want one plan, got %d", len(outs))
	}
	e := outs[0]
	top := e.Plan
	shape := PlanShape(top)
	s := &result.ServerStats{
		ServerMs:        e.ExecutionTime,
		PlanMs:          e.PlanningTime,
		ServerRunsMs:    []float64{e.ExecutionTime},
		ServerRows:      int64(num(top, "Actual Rows") * max(num(top, "Actual Loops"), 1)),
		Buffers:         buffersOf(top),
		PlanShape:       shape,
		PlanFingerprint: Fingerprint(shape),
		PlanJSON:        string(out),
		QueryID:         e.QueryID.String(),
	}
	return s, nil
}

func num(n map[string]any, k string) float64 {
	f, _ := n[k].(float64)
	return f
}

func str(n map[string]any, k string) string {
	s, _ := n[k].(string)
	return s
}

func buffersOf(n map[string]any) *result.Buffers {
	i := func(k string) int64 { return int64(num(n, k)) }
	return &result.Buffers{
		SharedHit: i("Shared Hit Blocks"), SharedRead: i("Shared Read Blocks"),
		SharedDirtied: i("Shared Dirtied Blocks"), SharedWritten: i("Shared Written Blocks"),
		LocalHit: i("Local Hit Blocks"), LocalRead: i("Local Read Blocks"),
		LocalDirtied: i("Local Dirtied Blocks"), LocalWritten: i("Local Written Blocks"),
		TempRead: i("Temp Read Blocks"), TempWritten: i("Temp Written Blocks"),
	}
}

// PlanShape is the normalised shape of a plan (the "Plan" object of EXPLAIN's JSON): one
// line per node in depth-first order, indented two spaces per level, named as EXPLAIN's
// text format names it ("Hash Left Join", "Index Scan using orders_pkey on orders",
// "HashAggregate"). Costs, row estimates, actual figures, conditions, outputs and worker
// counts are left out, so that only a change of node types, relations, indexes or join
// order changes the shape.
func PlanShape(top map[string]any) []string {
	var lines []string
	var walk func(n map[string]any, depth int)
	walk = func(n map[string]any, depth int) {
		lines = append(lines, strings.Repeat("  ", depth)+nodeLabel(n))
		kids, _ := n["Plans"].([]any)
		for _, k := range kids {
			if m, ok := k.(map[string]any); ok {
				walk(m, depth+1)
			}
		}
	}
	if top != nil {
		walk(top, 0)
	}
	return lines
}

// nodeLabel names one node as EXPLAIN's text format does, without its figures.
func nodeLabel(n map[string]any) string {
	t := str(n, "Node Type")
	switch t {
	case "Aggregate":
		switch str(n, "Strategy") {
		case "Hashed":
			t = "HashAggregate"
		case "Sorted":
			t = "GroupAggregate"
		case "Mixed":
			t = "MixedAggregate"
		}
	case "ModifyTable":
		if op := str(n, "Operation"); op != "" {
			t = op
		}
	case "Hash Join", "Merge Join", "Nested Loop":
		if j := str(n, "Join Type"); j != "" && j != "Inner" {
			if t == "Nested Loop" {
				t = "Nested Loop " + j + " Join"
			} else {
				t = strings.TrimSuffix(t, " Join") + " " + j + " Join"
			}
		}
	}
	if str(n, "Scan Direction") == "Backward" {
		t += " Backward"
	}
	if ix := str(n, "Index Name"); ix != "" {
		if t == "Bitmap Index Scan" {
			t += " on " + ix
		} else {
			t += " using " + ix
		}
	}
	rel := str(n, "Relation Name")
	switch {
	case rel != "":
		if sch := str(n, "Schema"); sch != "" && sch != "public" && sch != "pg_catalog" {
			rel = sch + "." + rel
		}
		t += " on " + rel
	case str(n, "CTE Name") != "":
		t += " on " + str(n, "CTE Name")
	case str(n, "Function Name") != "":
		t += " on " + str(n, "Function Name")
	case t == "Subquery Scan" && str(n, "Alias") != "":
		t += " on " + str(n, "Alias")
	}
	switch str(n, "Parent Relationship") {
	case "InitPlan", "SubPlan":
		t = str(n, "Parent Relationship") + ": " + t
	}
	return t
}

// Fingerprint is a short hash of a plan shape: 16 hex digits; "" for no shape.
func Fingerprint(shape []string) string {
	if len(shape) == 0 {
		return ""
	}
	h := sha256.Sum256([]byte(strings.Join(shape, "\n")))
	return hex.EncodeToString(h[:8])
}

// PlanDiff compares two plan shapes: PlanSame, or PlanChanged with the first node that
// differs, "new ← base" ("Seq Scan on orders ← Index Scan using orders_pkey on
// orders"); "(none)" stands for a node one side lacks. Either shape empty: "" (unknown).
func PlanDiff(base, new []string) (verdict, diff string) {
	if len(base) == 0 || len(new) == 0 {
		return "", ""
	}
	for i := range max(len(base), len(new)) {
		b, n := "(none)", "(none)"
		if i < len(base) {
			b = base[i]
		}
		if i < len(new) {
			n = new[i]
		}
		if b != n {
			return result.PlanChanged, strings.TrimSpace(n) + " ← " + strings.TrimSpace(b)
		}
	}
	return result.PlanSame, ""
}

// serverSide adds to row what --server-stats measured on both sides: the server times'
// own Mann–Whitney verdict over the explain passes, and the plan column. A changed plan
// is counted in c.PlanChanges and, with c.GatePlan, fails the gate (an ambiguous pairing
// never does).
func serverSide(c *result.Comparison, row *result.ComparisonRow, bq, nq *result.Query, alpha float64) {
	bs, ns := bq.ServerStats, nq.ServerStats
	if bs == nil || ns == nil {
		return
	}
	if len(bs.ServerRunsMs) > 0 && len(ns.ServerRunsMs) > 0 {
		sr := compareSamples("", bs.ServerRunsMs, ns.ServerRunsMs, alpha)
		row.ServerBaseMs, row.ServerNewMs, row.ServerP, row.ServerVerdict = sr.BaseMs, sr.NewMs, sr.P, sr.Verdict
	}
	row.Plan, row.PlanDiff = PlanDiff(bs.PlanShape, ns.PlanShape)
	if row.Plan == result.PlanChanged {
		row.PlanBase, row.PlanNew = bs.PlanShape, ns.PlanShape
		c.PlanChanges++
		if c.GatePlan && !row.Ambiguous {
			row.PlanRegression = true
		}
	}
}
