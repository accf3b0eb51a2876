//go:build unix

package runner

import (
	"testing"

	"github.com/qrunhq/qrun/internal/pgtest"
)

// serverPort is the port of the tests' own server with pg_stat_statements loaded.
const serverPort = 55460

// TestServerStatsStatStatements: on a server of the test's own with pg_stat_statements
// loaded, the deltas joined by query id count exactly the measured runs — not the
// warmups, nor the explain pass.
func TestServerStatsStatStatements(t *testing.T) {
	// track = all: the statements the explain pass runs under EXPLAIN would count too.
	n := pgtest.NewServer(t, serverPort, "shared_preload_libraries = 'pg_stat_statements'\ncompute_query_id = auto\npg_stat_statements.track = all")
	n.Exec(t, "CREATE EXTENSION pg_stat_statements")
	n.Exec(t, "CREATE TABLE pss AS SELECT g AS id FROM generate_series(1, 1000) g")
	tg := connect(t, n.URL, Config{}, Options{})
	p := buildPlan(t, false,
		src{name: "lookup", sql: "SELECT id FROM pss WHERE id = 7;"},
		src{name: "ins", sql: "INSERT INTO pss VALUES (0);"},
		src{name: "twice", sql: "SELECT id FROM pss WHERE id = 8;"}, // the same query id as lookup
	)
	rep := benchReports(t, []*Target{tg}, p, BenchOptions{Runs: 3, Warmup: 2, ServerStats: true})[0]
	if rep.PgStatStatements != "ok" {
		t.Fatalf("pg_stat_statements: %q, want ok", rep.PgStatStatements)
	}
	lookup := byName(t, rep, "lookup")
	if lookup.ServerStats == nil || lookup.QueryID == "" || lookup.StatStatements == nil {
		t.Fatalf("lookup: got %+v, want a query id and deltas", lookup.ServerStats)
	}
	// lookup and twice share a query id (constants are normalised): 2 × 3 measured runs.
	if got := lookup.StatStatements.Calls; got != 6 {
		t.Errorf("lookup: %d calls, want 6 (3 measured runs of 2 statements of one query id)", got)
	}
	ins := byName(t, rep, "ins")
	if ins.ServerStats == nil || ins.StatStatements == nil || ins.StatStatements.Calls != 3 || ins.StatStatements.Rows != 3 || ins.StatStatements.WalRecords < 3 {
		t.Errorf("ins: got %+v, want 3 calls, 3 rows, WAL", ins.StatStatements)
	}
	if ins.ServerStats == nil {
		return
	}
	if d := ins.StatStatements; d != nil && (d.MeanExecMs <= 0 || d.TotalExecMs < d.MeanExecMs) {
		t.Errorf("ins: mean %v total %v", d.MeanExecMs, d.TotalExecMs)
	}
}
