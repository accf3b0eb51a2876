package runner

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qrunhq/qrun/compare"
	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
	"github.com/qrunhq/qrun/result"
)

// benchReports benches p on targets and returns each target's report with what
// --server-stats found when bo.ServerStats is set.
func benchReports(t *testing.T, targets []*Target, p *plan.Plan, bo BenchOptions) []result.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := Bench(ctx, targets, p, bo)
	if err != nil {
		t.Fatalf("Bench: %v", err)
	}
	reps := make([]result.Report, len(targets))
	for i, tg := range targets {
		reps[i] = Summarize(p, result.Report{}, out[i])
		tg.AddServerStats(p, &reps[i])
	}
	return reps
}

// byName finds a query of rep by name.
func byName(t *testing.T, rep result.Report, name string) *result.Query {
	t.Helper()
	for i := range rep.Queries {
		if rep.Queries[i].Name == name {
			return &rep.Queries[i]
		}
	}
	t.Fatalf("no query %s", name)
	return nil
}

func TestExplainKind(t *testing.T) {
	tests := []struct {
		sql  string
		want stmtKind
	}{
		{"SELECT 1;", explainStmt},
		{"  (select 1) union select 2;", explainStmt},
		{"/* c */ WITH x AS (SELECT 1) SELECT * FROM x;", explainStmt},
		{"-- c\nINSERT INTO t VALUES (1);", explainStmt},
		{"update t set x = 1;", explainStmt},
		{"DELETE FROM t;", explainStmt},
		{"MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE;", explainStmt},
		{"VALUES (1);", explainStmt},
		{"TABLE t;", explainStmt},
		{"EXECUTE p(1);", explainStmt},
		{"CREATE TABLE t (x int);", runStmt},
		{"SET work_mem = '8MB';", runStmt},
		{"PREPARE p AS SELECT 1;", runStmt},
		{"VACUUM t;", runStmt},
		{"PREPARE TRANSACTION 'x';", skipStmt},
		{"BEGIN;", skipStmt},
		{"commit;", skipStmt},
		{"SAVEPOINT a;", skipStmt},
		{"ROLLBACK TO a;", skipStmt},
		{"DISCARD ALL;", skipStmt},
		{"UPDATE t SET x = 1; COMMIT;", skipStmt},
		{"SELECT 1; BEGIN;", skipStmt},
		{";", skipStmt},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			st := queries.NewQuery("t.sql:1", tt.sql)
			got, note := explainKind(st)
			if got != tt.want {
				t.Errorf("got %d (%q), want %d", got, note, tt.want)
			}
			if (got == explainStmt) != (note == "") {
				t.Errorf("got note %q for kind %d: want one exactly when not explained", note, got)
			}
		})
	}
	sc, err := queries.Parse("t.sql", []byte("COPY t FROM STDIN;\n1\n\\.\n"), queries.Options{})
	if err != nil || len(sc.Statements) != 1 || !sc.Statements[0].IsCopyFromStdin {
		t.Fatalf("Parse of a COPY FROM STDIN: %v", err)
	}
	if got, _ := explainKind(sc.Statements[0]); got != runStmt {
		t.Errorf("COPY FROM STDIN: got %d, want %d (run for the state after it)", got, runStmt)
	}
}

func FuzzLeadingWords(f *testing.F) {
	for _, s := range []string{"SELECT 1", "((select", "/* x */ -- y\nPREPARE TRANSACTION 'a'", "/* open", "--", "", "é SELECT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, w2 := leadingWords(queries.NewQuery("f", s))
		for _, x := range []string{w, w2} {
			if strings.ToUpper(x) != x || strings.ContainsAny(x, " \t\n(") {
				t.Fatalf("leadingWords(%q) = %q, %q: want upper-case words", s, w, w2)
			}
		}
		if w == "" && w2 != "" {
			t.Fatalf("leadingWords(%q): a second word %q without a first", s, w2)
		}
	})
}

// TestServerStatsPlanFlip: the same statements on two targets, one with index scans off
// through its setup: the point lookup's plan is reported changed with the nodes that
// differ, and gated with GatePlan; the count, a sequential scan on both, is the same.
func TestServerStatsPlanFlip(t *testing.T) {
	url := pgtest.NewDatabase(t)
	c := admin(t, url)
	exec(t, c, "CREATE TABLE orders AS SELECT g AS id, g % 7 AS k FROM generate_series(1, 20000) g")
	exec(t, c, "ALTER TABLE orders ADD PRIMARY KEY (id)")
	exec(t, c, "VACUUM ANALYZE orders")
	a := connect(t, url, Config{}, Options{})
	b := connect(t, url, Config{Setup: []string{"SET enable_indexscan = off", "SET enable_bitmapscan = off"}}, Options{})
	p := buildPlan(t, false,
		src{name: "point", sql: "SELECT k FROM orders WHERE id = 42;"},
		src{name: "count", sql: "SELECT count(*) FROM orders;"})
	reps := benchReports(t, []*Target{a, b}, p, BenchOptions{Runs: 3, ServerStats: true})
	for i, rep := range reps {
		if rep.ServerPassMs <= 0 {
			t.Errorf("target %d: server_pass_ms %v, want > 0", i, rep.ServerPassMs)
		}
		for _, q := range rep.Queries {
			if q.ServerStats == nil || q.PlanFingerprint == "" || len(q.ServerRunsMs) != 3 {
				t.Fatalf("target %d %s: got server stats %+v, want a plan and 3 passes", i, q.Name, q.ServerStats)
			}
		}
	}
	compare.Identify(reps[0].Queries, func(int) bool { return true })
	compare.Identify(reps[1].Queries, func(int) bool { return true })
	cmp := compare.Compare("a", &reps[0], "b", &reps[1], compare.Options{GatePlan: true})
	rows := map[string]result.ComparisonRow{}
	for _, r := range cmp.Rows {
		rows[r.Name] = r
	}
	point := rows["point"]
	if point.Plan != result.PlanChanged || !point.PlanRegression {
		t.Errorf("point: got plan %q regression %v, want changed and gated", point.Plan, point.PlanRegression)
	}
	if want := "Seq Scan on orders ← Index Scan using orders_pkey on orders"; point.PlanDiff != want {
		t.Errorf("point: got plan diff %q, want %q", point.PlanDiff, want)
	}
	if cnt := rows["count"]; cnt.Plan != result.PlanSame || cnt.PlanRegression {
		t.Errorf("count: got plan %q regression %v (%s), want same, not gated", cnt.Plan, cnt.PlanRegression, cnt.PlanDiff)
	}
	if cmp.PlanChanges != 1 {
		t.Errorf("got %d plan changes, want 1", cmp.PlanChanges)
	}
	if cmp.Regressions != 0 {
		t.Errorf("got %d time regressions without a threshold, want 0", cmp.Regressions)
	}
	if nog := compare.Compare("a", &reps[0], "b", &reps[1], compare.Options{}); nog.Rows[0].PlanRegression || nog.Rows[1].PlanRegression {
		t.Errorf("without GatePlan a changed plan was gated")
	}
}

// TestServerStatsBars: a simple SELECT's server time is not above its client time;
// the buffers of a scan of a table are within its page count; pg_stat_statements is
// said to be absent on the shared test server (it has no shared_preload_libraries).
func TestServerStatsBars(t *testing.T) {
	url := pgtest.NewDatabase(t)
	c := admin(t, url)
	exec(t, c, "CREATE TABLE known AS SELECT g AS id, repeat('x', 100) AS pad FROM generate_series(1, 5000) g")
	exec(t, c, "VACUUM ANALYZE known")
	pages := scalar[int64](t, url, "SELECT pg_relation_size('known') / current_setting('block_size')::int")
	tg := connect(t, url, Config{}, Options{})
	p := buildPlan(t, false,
		src{name: "simple", sql: "SELECT 1;"},
		src{name: "scan", sql: "SELECT count(*) FROM known;"},
		src{name: "ddl", sql: "CREATE TEMP TABLE tmp (x int);"})
	rep := benchReports(t, []*Target{tg}, p, BenchOptions{Runs: 5, Warmup: 1, ServerStats: true})[0]
	simple := byName(t, rep, "simple")
	if simple.ServerStats == nil {
		t.Fatalf("simple: no server stats")
	}
	if simple.ServerRunsMs == nil || simple.ServerMs+simple.PlanMs > simple.WallMs {
		t.Errorf("simple: server %vms + plan %vms, client %vms: want server ≤ client", simple.ServerMs, simple.PlanMs, simple.WallMs)
	}
	if simple.GapMs <= 0 {
		t.Errorf("simple: gap %v, want > 0", simple.GapMs)
	}
	scan := byName(t, rep, "scan")
	if scan.ServerStats == nil || scan.Buffers == nil {
		t.Fatalf("scan: no buffers")
	}
	if got := scan.Buffers.SharedHit + scan.Buffers.SharedRead; got <= 0 || got > pages {
		t.Errorf("scan: %d shared buffers hit+read, want 1..%d (the table's pages)", got, pages)
	}
	if scan.ServerRows != 1 {
		t.Errorf("scan: server rows %d, want 1", scan.ServerRows)
	}
	ddl := byName(t, rep, "ddl")
	if ddl.ServerStats == nil || ddl.Note == "" || ddl.PlanFingerprint != "" || ddl.Status != result.StatusOK {
		t.Errorf("ddl: got %+v, status %s: want a note, no plan, ok", ddl.ServerStats, ddl.Status)
	}
	if !strings.Contains(rep.PgStatStatements, "not installed") {
		t.Errorf("pg_stat_statements: got %q, want it said absent", rep.PgStatStatements)
	}
}

// TestServerStatsKeepNothing: the explain pass keeps nothing — after plain runs, and
// with --rollback and --read-only none of it is kept either.
func TestServerStatsKeepNothing(t *testing.T) {
	url := pgtest.NewDatabase(t)
	c := admin(t, url)
	exec(t, c, "CREATE TABLE kept (x int)")
	srcs := []src{
		{name: "ins", sql: "INSERT INTO kept VALUES (1);"},
		{name: "made", sql: "CREATE TABLE made_here (x int);"},
		{name: "drop", sql: "DROP TABLE made_here;"},
		{name: "upd", sql: "UPDATE kept SET x = x + 1;"},
	}
	count := func() int64 { return scalar[int64](t, url, "SELECT count(*) FROM kept") }
	sum := func() int64 { return scalar[int64](t, url, "SELECT coalesce(sum(x), 0) FROM kept") }

	t.Run("plain", func(t *testing.T) {
		exec(t, c, "TRUNCATE kept")
		tg := connect(t, url, Config{}, Options{})
		rep := benchReports(t, []*Target{tg}, buildPlan(t, false, srcs...), BenchOptions{Runs: 2, ServerStats: true})[0]
		// Run 1 inserts (1), sets it to 2; run 2 inserts another (1) and adds 1 to both.
		if got, s := count(), sum(); got != 2 || s != 5 {
			t.Errorf("got %d rows summing %d, want the 2 rows of the measured runs summing 5", got, s)
		}
		if q := byName(t, rep, "upd"); q.ServerStats == nil || q.PlanFingerprint == "" {
			t.Errorf("upd: got %+v", q.ServerStats)
		}
	})
	t.Run("rollback", func(t *testing.T) {
		exec(t, c, "TRUNCATE kept")
		tg := connect(t, url, Config{}, Options{Rollback: true})
		p := buildPlanOpts(t, plan.Options{Rollback: true}, srcs...)
		rep := benchReports(t, []*Target{tg}, p, BenchOptions{Runs: 2, ServerStats: true})[0]
		if got := count(); got != 0 {
			t.Errorf("got %d rows, want none kept", got)
		}
		if q := byName(t, rep, "ins"); q.ServerStats == nil || q.PlanFingerprint == "" {
			t.Errorf("ins: got %+v, want a plan", q.ServerStats)
		}
	})
	t.Run("read-only", func(t *testing.T) {
		exec(t, c, "TRUNCATE kept")
		tg := connect(t, url, Config{ReadOnly: true}, Options{ReadOnly: true})
		p := buildPlanOpts(t, plan.Options{ReadOnly: true}, srcs...)
		rep := benchReports(t, []*Target{tg}, p, BenchOptions{Runs: 1, ServerStats: true})[0]
		if got := count(); got != 0 {
			t.Errorf("got %d rows, want none kept", got)
		}
		if q := byName(t, rep, "ins"); q.ServerStats == nil || !strings.Contains(q.Note, "read-only") {
			t.Errorf("ins: got %+v, want the read-only error as a note", q.ServerStats)
		}
	})
	t.Run("joined commit", func(t *testing.T) {
		exec(t, c, "TRUNCATE kept")
		tg := connect(t, url, Config{}, Options{})
		p := buildPlan(t, false, src{name: "joined", sql: "INSERT INTO kept VALUES (1) \\; COMMIT;"}, src{name: "after", sql: "INSERT INTO kept VALUES (2);"})
		rep := benchReports(t, []*Target{tg}, p, BenchOptions{Runs: 1, ServerStats: true})[0]
		if got := count(); got != 2 {
			t.Errorf("got %d rows, want the run's 2: a COMMIT joined by \\; must not end the explain pass's transaction", got)
		}
		if q := byName(t, rep, "joined"); q.ServerStats == nil || !strings.Contains(q.Note, "transaction control") {
			t.Errorf("joined: got %+v", q.ServerStats)
		}
	})
	if got := scalar[bool](t, url, "SELECT to_regclass('made_here') IS NULL"); !got {
		t.Errorf("made_here was kept")
	}
}

// TestServerStatsNoObserverEffect: the measured client times of a pg_sleep workload
// are the same with the explain pass on (a generous ratio), and the pass's cost is
// reported: it sleeps too.
func TestServerStatsNoObserverEffect(t *testing.T) {
	url := pgtest.NewDatabase(t)
	p := buildPlan(t, false, src{name: "nap", sql: "SELECT pg_sleep(0.05);"})
	med := func(on bool) (float64, float64) {
		tg := connect(t, url, Config{}, Options{})
		rep := benchReports(t, []*Target{tg}, p, BenchOptions{Runs: 3, ServerStats: on})[0]
		return rep.Queries[0].WallMs, rep.ServerPassMs
	}
	off, _ := med(false)
	on, pass := med(true)
	if r := on / off; r < 0.5 || r > 2 {
		t.Errorf("median with --server-stats %vms, without %vms: ratio %.2f, want 0.5..2", on, off, r)
	}
	if pass < 3*50 {
		t.Errorf("server_pass_ms %v, want at least the 3 explained sleeps of 50ms", pass)
	}
}

// TestServerStatsBlock: a transaction block's statements are explained one by one inside
// the pass's own transaction; the block sums them and joins their plan shapes, and its
// BEGIN and COMMIT are noted, not run.
func TestServerStatsBlock(t *testing.T) {
	url := pgtest.NewDatabase(t)
	c := admin(t, url)
	exec(t, c, "CREATE TABLE acct (id int PRIMARY KEY, bal int)")
	exec(t, c, "INSERT INTO acct SELECT g, 100 FROM generate_series(1, 100) g")
	tg := connect(t, url, Config{}, Options{})
	p := buildPlan(t, false,
		src{name: "move", sql: "BEGIN;"},
		src{sql: "UPDATE acct SET bal = bal - 1 WHERE id = 1;"},
		src{sql: "SELECT bal FROM acct WHERE id = 1;"},
		src{sql: "COMMIT;"})
	rep := benchReports(t, []*Target{tg}, p, BenchOptions{Runs: 2, ServerStats: true})[0]
	q := byName(t, rep, "move")
	if q.ServerStats == nil || len(q.Statements) != 4 {
		t.Fatalf("got %+v with %d statements", q.ServerStats, len(q.Statements))
	}
	upd, sel := q.Statements[1].ServerStats, q.Statements[2].ServerStats
	if upd == nil || sel == nil || len(upd.ServerRunsMs) != 2 || len(q.ServerRunsMs) != 2 {
		t.Fatalf("statements: %+v, %+v", upd, sel)
	}
	if got, want := strings.Join(q.PlanShape, "|"), strings.Join(append(slices.Clone(upd.PlanShape), sel.PlanShape...), "|"); got != want || upd.PlanShape[0] != "Update on acct" {
		t.Errorf("block plan shape %q, want its statements' %q", got, want)
	}
	if d := q.ServerRunsMs[0] - upd.ServerRunsMs[0] - sel.ServerRunsMs[0]; d > 1e-9 || d < -1e-9 {
		t.Errorf("block pass 1: %v, want the sum of its statements' %v + %v", q.ServerRunsMs, upd.ServerRunsMs, sel.ServerRunsMs)
	}
	for _, k := range []int{0, 3} {
		if s := q.Statements[k].ServerStats; s == nil || !strings.Contains(s.Note, "transaction control") {
			t.Errorf("statement %d: got %+v, want a transaction-control note", k, s)
		}
	}
	if got := scalar[int64](t, url, "SELECT bal FROM acct WHERE id = 1"); got != 98 {
		t.Errorf("balance %d, want 98: the two measured runs only", got)
	}
}

// TestServerStatsExtensionNotLoaded: pg_stat_statements created in the database but its
// library not preloaded (the shared test server) is said unusable, with why; the
// explain pass goes on.
func TestServerStatsExtensionNotLoaded(t *testing.T) {
	url := pgtest.NewDatabase(t)
	c := admin(t, url)
	if loaded := scalar[bool](t, url, "SELECT current_setting('shared_preload_libraries') LIKE '%pg_stat_statements%'"); loaded {
		t.Skip("the test server preloads pg_stat_statements")
	}
	exec(t, c, "CREATE EXTENSION pg_stat_statements")
	tg := connect(t, url, Config{}, Options{})
	rep := benchReports(t, []*Target{tg}, buildPlan(t, false, src{name: "one", sql: "SELECT 1;"}), BenchOptions{Runs: 1, ServerStats: true})[0]
	if !strings.HasPrefix(rep.PgStatStatements, "unusable: ") || !strings.Contains(rep.PgStatStatements, "shared_preload_libraries") {
		t.Errorf("pg_stat_statements: got %q, want unusable and why", rep.PgStatStatements)
	}
	if q := byName(t, rep, "one"); q.ServerStats == nil || q.PlanFingerprint == "" || q.StatStatements != nil {
		t.Errorf("one: got %+v, want a plan and no deltas", q.ServerStats)
	}
}
