package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/internal/qruntest"
)

// TestServerStatsGatePlan: a baseline saved with --server-stats, then the same file with
// index scans turned off through --setup: the point lookup's plan is "changed" with the
// nodes that differ, the count's is "same"; --gate-plan makes that exit 3 (for a run
// and for qrun compare, whose junit names the plan change), without it the run passes.
func TestServerStatsGatePlan(t *testing.T) {
	db := pgtest.NewDatabase(t)
	c := pgtest.Conn(t, db)
	for _, sql := range []string{
		"CREATE TABLE orders AS SELECT g AS id, g % 7 AS k FROM generate_series(1, 20000) g",
		"ALTER TABLE orders ADD PRIMARY KEY (id)",
		"VACUUM ANALYZE orders",
	} {
		if _, err := c.Exec(context.Background(), sql); err != nil {
			t.Fatal(err)
		}
	}
	file := qruntest.WriteFile(t, "orders.sql", "-- name: point\nSELECT k FROM orders WHERE id = 42;\n-- name: count\nSELECT count(*) FROM orders;\n")
	dir := t.TempDir()
	base, next := filepath.Join(dir, "base.json"), filepath.Join(dir, "new.json")
	ctx := context.Background()
	if inv := qrun(t, ctx, "", nil, "-d", db, "--runs", "3", "--server-stats", "--format", "json", "-o", base, file); inv.code != exitOK {
		t.Fatalf("baseline: exit %d", inv.code)
	}
	off := []string{"--setup", "SET enable_indexscan = off", "--setup", "SET enable_bitmapscan = off"}
	args := append([]string{"-d", db, "--runs", "3", "--server-stats", "--baseline", base, "--format", "json", "-o", next}, off...)
	inv := qrun(t, ctx, "", nil, append(args, "--gate-plan", file)...)
	if inv.code != exitRegression {
		t.Fatalf("--gate-plan: exit %d, want %d", inv.code, exitRegression)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(mustRead(t, next)), &raw); err != nil {
		t.Fatal(err)
	}
	for _, qv := range raw["queries"].([]any) {
		q := qv.(map[string]any)
		for _, k := range []string{"server_ms", "plan_ms", "plan_fingerprint"} {
			if _, ok := q[k]; !ok {
				t.Errorf("%s: no %q key", q["name"], k)
			}
		}
		if _, ok := q["buffers"].(map[string]any); !ok {
			t.Errorf("%s: buffers is not an object: %v", q["name"], q["buffers"])
		}
	}
	rep := qruntest.Decode(t, mustRead(t, next))
	if len(rep.Comparison) != 1 {
		t.Fatalf("got %d comparisons, want 1", len(rep.Comparison))
	}
	plans := map[string]string{}
	for _, row := range rep.Comparison[0].Rows {
		plans[row.Name] = row.Plan + " " + row.PlanDiff
	}
	if want := "changed Seq Scan on orders ← Index Scan using orders_pkey on orders"; plans["point"] != want {
		t.Errorf("point: got plan %q, want %q", plans["point"], want)
	}
	if plans["count"] != "same " {
		t.Errorf("count: got plan %q, want same", plans["count"])
	}
	if rep.ServerPassMs <= 0 || rep.PgStatStatements == "" {
		t.Errorf("got server_pass_ms %v, pg_stat_statements %q", rep.ServerPassMs, rep.PgStatStatements)
	}

	if inv := qrun(t, ctx, "", nil, append(args, file)...); inv.code != exitOK {
		t.Errorf("without --gate-plan: exit %d, want 0", inv.code)
	}
	inv = qrun(t, ctx, "", nil, "compare", base, next, "--gate-plan", "--format", "junit")
	if inv.code != exitRegression || !strings.Contains(inv.stdout, `type="plan"`) {
		t.Errorf("qrun compare --gate-plan: exit %d, want %d and a plan failure in:\n%s", inv.code, exitRegression, inv.stdout)
	}
	if inv := qrun(t, ctx, "", nil, "compare", base, next); inv.code != exitOK {
		t.Errorf("qrun compare without --gate-plan: exit %d, want 0", inv.code)
	}
}

// TestServerStatsTable: the table has server columns only with --server-stats.
func TestServerStatsTable(t *testing.T) {
	db := pgtest.NewDatabase(t)
	file := qruntest.WriteFile(t, "one.sql", "SELECT 1;\nCREATE TEMP TABLE t (x int);\n")
	ctx := context.Background()
	with := qrun(t, ctx, "", nil, "-d", db, "--server-stats", file)
	without := qrun(t, ctx, "", nil, "-d", db, file)
	if with.code != exitOK || without.code != exitOK {
		t.Fatalf("exit %d and %d, want 0", with.code, without.code)
	}
	for _, want := range []string{"SERVER", "BUFFERS", "explain pass", "pg_stat_statements"} {
		if !strings.Contains(with.stdout, want) {
			t.Errorf("with --server-stats: no %q in\n%s", want, with.stdout)
		}
		if strings.Contains(without.stdout, want) {
			t.Errorf("without --server-stats: %q in\n%s", want, without.stdout)
		}
	}
}

func TestGatePlanNeedsServerStats(t *testing.T) {
	file := qruntest.WriteFile(t, "one.sql", "SELECT 1;\n")
	for _, args := range [][]string{
		{"--gate-plan", "--baseline", "base.json", file},
		{"--gate-plan", "--server-stats", file},
	} {
		inv := qrun(t, context.Background(), "", nil, args...)
		if inv.code != exitInput || !strings.Contains(inv.stderr, "--gate-plan") {
			t.Errorf("%v: exit %d, stderr %q: want 2 and a line about --gate-plan", args, inv.code, inv.stderr)
		}
	}
}
