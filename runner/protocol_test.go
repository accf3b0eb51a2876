package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
	"github.com/qrunhq/qrun/result"
)

// clusterWide finds the regression files that touch what all databases of the server
// share (roles, tablespaces, databases, subscriptions, ALTER SYSTEM) or leave the
// session (\c, \!): run side by side on databases of their own, two runs of one such
// file would see each other, and they would leave traces on the shared test server.
var clusterWide = regexp.MustCompile(`(?im)create (role|user|group)|tablespace|create database|alter system|^\\!|\\c(onnect)? |subscription`)

// selfSeen finds the statements that read what the extended protocol itself makes: the
// unnamed portal of the statement being run is listed in pg_cursors, and qrun's prepared
// statements in pg_prepared_statements. Their rows differ by protocol, by design; their
// status must not. (portals.sql's EXECUTE cprep runs a SELECT from pg_cursors.)
var selfSeen = regexp.MustCompile(`pg_cursors|pg_prepared_statements|^EXECUTE cprep`)

// protoOutcome is what the protocols must agree on for unit u: the status, rows,
// command tag and SQLSTATE of it and of each of its statements. Times may differ.
func protoOutcome(u *plan.Unit, q result.Query) string {
	var b strings.Builder
	line := func(name, sql string, st result.Status, rows int64, cmd string, e *result.Error) {
		code := ""
		if e != nil {
			code = e.SQLState
		}
		if selfSeen.MatchString(sql) {
			rows, cmd = -1, "(rows differ: it sees the protocol's own portal or statements)"
		}
		fmt.Fprintf(&b, "%s %s rows=%d %s %s\n", name, st, rows, cmd, code)
	}
	line(q.Name, queries.JoinSQL(u.Statements), q.Status, q.Rows, q.Command, q.Error)
	for i, s := range q.Statements {
		line(fmt.Sprintf("  %s:%d", s.File, s.Line), u.Statements[i].SQL, s.Status, s.Rows, s.Command, s.Error)
	}
	return b.String()
}

// TestProtocolsAgreeOnCorpus runs the runnable files of the PostgreSQL regression corpus
// (queries/testdata/pg-regress) with the simple, extended and prepared protocols, and
// prepared with --pipeline, and wants every statement to end alike: status, rows,
// command tag and SQLSTATE. To stay quick, the files run in file order as one script per
// variant, each variant on a fresh database of its own and all variants at once (what a
// file leaves behind meets the next file alike in every variant); the files with
// run-time meta-commands (\gset, \if, ...) form a script of their own, since a script
// with any of them runs through a psql session throughout and --pipeline stands aside
// for it.
func TestProtocolsAgreeOnCorpus(t *testing.T) {
	pgtest.URL(t) // skips without a server
	files, err := filepath.Glob("../queries/testdata/pg-regress/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	variants := []Options{{Protocol: ProtocolSimple}, {Protocol: ProtocolExtended}, {Protocol: ProtocolPrepared},
		{Protocol: ProtocolPrepared, Pipeline: true}}
	var plain, session []string // the files of each script
	ran := 0
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if clusterWide.Match(src) || filepath.Base(path) == "test_setup.sql" {
			continue
		}
		s, err := queries.Parse(path, src, queries.Options{})
		if err != nil {
			continue // refused by qrun (queries' TestCorpus says why)
		}
		if _, err := plan.Build(s, plan.Options{}); err != nil {
			continue
		}
		ran++
		runtime := false
		for _, st := range s.Statements {
			runtime = runtime || st.Runtime()
		}
		if runtime {
			session = append(session, path)
		} else {
			plain = append(plain, path)
		}
	}
	t.Logf("%d corpus files", ran)
	if ran < 40 {
		t.Errorf("only %d corpus files ran, want at least 40", ran)
	}
	for _, script := range []struct {
		name  string
		files []string
	}{{"plain", plain}, {"run-time meta-commands", session}} {
		t.Run(script.name, func(t *testing.T) {
			t.Parallel()
			sc, err := queries.Load(script.files, queries.Options{})
			if err != nil {
				t.Fatalf("queries.Load: %v", err)
			}
			p, err := plan.Build(sc, plan.Options{})
			if err != nil {
				t.Fatalf("plan.Build: %v", err)
			}
			urls := make([]string, len(variants))
			for i := range variants {
				urls[i] = pgtest.NewDatabase(t)
			}
			got := make([][]string, len(variants))
			errs := make([]error, len(variants))
			var wg sync.WaitGroup
			for i, opts := range variants {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got[i], errs[i] = runOutcomes(urls[i], opts, p)
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("%s: %v", protoName(variants[i]), err)
				}
			}
			for i := 1; i < len(variants); i++ {
				for u := range got[0] {
					if got[i][u] != got[0][u] {
						t.Errorf("unit %d: %s:\n%s%s:\n%s", u, protoName(variants[0]), got[0][u], protoName(variants[i]), got[i][u])
					}
				}
			}
			t.Logf("%d units agree in %d variants", len(p.Units), len(variants))
		})
	}
}

func protoName(o Options) string {
	if o.Pipeline {
		return string(o.Protocol) + " --pipeline"
	}
	return string(o.Protocol)
}

// runOutcomes runs p once on url with opts and returns each unit's protoOutcome. It
// may run on any goroutine: it reports errors instead of failing the test.
func runOutcomes(url string, opts Options, p *plan.Plan) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if !opts.Pipeline {
		opts.Timeout = 20 * time.Second // --pipeline pipelines single statements without one
	}
	tg, err := Connect(ctx, Config{ConnString: url, Setup: []string{"SET client_min_messages = error"}}, opts)
	if err != nil {
		return nil, err
	}
	defer tg.Close()
	r, err := tg.Run(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(r.Queries))
	for i, q := range r.Queries {
		out[i] = protoOutcome(p.Units[i], q)
	}
	return out, nil
}

// preparedStmts lists what pg_prepared_statements holds for the session of pc that
// qrun prepared at the protocol level (not by SQL PREPARE): "name|statement|generic|custom".
func preparedStmts(t *testing.T, tg *Target, where string) []string {
	t.Helper()
	ctx := context.Background()
	c, err := tg.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	res, err := c.Conn().PgConn().Exec(ctx, "SELECT name || '|' || statement || '|' || generic_plans || '|' || custom_plans FROM pg_prepared_statements WHERE "+where+" ORDER BY name").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, row := range res[0].Rows {
		out = append(out, string(row[0]))
	}
	return out
}

// --protocol prepared prepares each distinct text once per connection under a name of
// its own and executes it by name; the session's pg_prepared_statements says so. The
// runs after the first (which start from DISCARD ALL) find them prepared again under the
// same names. extended prepares nothing named.
func TestProtocolPreparedNamed(t *testing.T) {
	url := pgtest.NewDatabase(t)
	exec(t, admin(t, url), "CREATE TABLE t AS SELECT generate_series(1, 10) AS n")
	srcs := []src{
		{sql: "SELECT count(*) FROM t;"},
		{sql: "SELECT count(*) FROM t;"},
		{sql: "BEGIN;"},
		{sql: "SELECT count(*) FROM t;"},
		{sql: "COMMIT;"},
		{sql: "SELECT 1 \\; SELECT 2;"}, // two commands in one query string
	}
	p := buildPlan(t, false, srcs...)
	tg := connect(t, url, Config{}, Options{Protocol: ProtocolPrepared})
	for runNo := 1; runNo <= 2; runNo++ {
		r := run(t, tg, p)
		if got := statuses(r); got != "ok ok ok ok" {
			t.Fatalf("run %d: statuses %s", runNo, got)
		}
		if r.Queries[0].Rows != 1 || r.Queries[3].Rows != 2 {
			t.Errorf("run %d: rows %d and %d, want 1 and 2", runNo, r.Queries[0].Rows, r.Queries[3].Rows)
		}
		got := preparedStmts(t, tg, "NOT from_sql")
		want := []string{"qrun_1|SELECT count(*) FROM t;|3|0", "qrun_2|BEGIN;|1|0", "qrun_3|COMMIT;|1|0"}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("run %d: pg_prepared_statements:\n%s\nwant:\n%s", runNo, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	w := tg.ProtocolWarnings()
	if len(w) != 1 || !strings.Contains(w[0], "several commands") || !strings.Contains(w[0], "2 statement executions") || !strings.Contains(w[0], "t.sql:6:1") {
		t.Errorf("warnings %q, want one for the \\; string, sent twice, first at t.sql:6:1", w)
	}
	if tg.Info().Protocol != "prepared" {
		t.Errorf("Info().Protocol = %q, want prepared", tg.Info().Protocol)
	}

	ext := connect(t, url, Config{}, Options{Protocol: ProtocolExtended})
	run(t, ext, p)
	if got := preparedStmts(t, ext, "true"); len(got) != 0 {
		t.Errorf("extended left named statements: %q", got)
	}
}

// A statement whose Parse waits is not timed for it under prepared, and is under
// extended (Parse, Bind and Execute in one round trip). Parse takes the table's lock: a
// session holding it ACCESS EXCLUSIVE holds the Parse up.
func TestProtocolPreparesOutsideTimings(t *testing.T) {
	url := pgtest.NewDatabase(t)
	exec(t, admin(t, url), "CREATE TABLE locked (n int)")
	p := buildPlan(t, false, src{sql: "SELECT count(*) FROM locked;"})
	const hold = 400 * time.Millisecond
	wall := map[Protocol]float64{}
	for _, proto := range []Protocol{ProtocolExtended, ProtocolPrepared} {
		tg := connect(t, url, Config{}, Options{Protocol: proto})
		locker := admin(t, url)
		exec(t, locker, "BEGIN")
		exec(t, locker, "LOCK TABLE locked IN ACCESS EXCLUSIVE MODE")
		done := make(chan result.Run, 1)
		go func() {
			r, _ := tg.Run(context.Background(), p)
			done <- r
		}()
		waitFor(t, url, "SELECT count(*) > 0 FROM pg_locks WHERE NOT granted AND relation = 'locked'::regclass")
		time.Sleep(hold)
		exec(t, locker, "COMMIT")
		r := <-done
		if r.Queries[0].Status != result.StatusOK {
			t.Fatalf("%s: %s", proto, statuses(r))
		}
		wall[proto] = r.Queries[0].WallMs
	}
	if ext := wall[ProtocolExtended]; ext < float64(hold.Milliseconds()) {
		t.Errorf("extended: %.1fms, want at least the %s the Parse waited", ext, hold)
	}
	if prep := wall[ProtocolPrepared]; prep > wall[ProtocolExtended]/4 {
		t.Errorf("prepared: %.1fms against extended's %.1fms: the Parse's wait is timed", prep, wall[ProtocolExtended])
	}
}

// waitFor polls a boolean query until it holds, for at most 10 s.
func waitFor(t *testing.T, url, query string) {
	t.Helper()
	c := admin(t, url)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var ok bool
		if err := c.QueryRow(context.Background(), query).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", query)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// PostgreSQL chooses between custom and generic plans of a prepared statement with
// parameters after five executions (plan_cache_mode = auto), or as plan_cache_mode
// forces. Statements qrun prepares carry no parameters (psql variables are text), so the
// server plans them generic from the first execution; a parameterised plan is measured
// with PREPARE and EXECUTE in the file. Ten EXECUTEs, under each plan_cache_mode set by
// --setup, and the session's pg_prepared_statements shows the switch.
func TestProtocolGenericPlanSwitch(t *testing.T) {
	url := pgtest.NewDatabase(t)
	exec(t, admin(t, url), "CREATE TABLE u AS SELECT i AS id FROM generate_series(1, 10000) i; CREATE UNIQUE INDEX ON u (id); ANALYZE u")
	srcs := []src{{sql: "PREPARE p(int) AS SELECT count(*) FROM u WHERE id = $1;"}}
	for range 10 {
		srcs = append(srcs, src{sql: "EXECUTE p(42);"})
	}
	p := buildPlan(t, false, srcs...)
	for _, tc := range []struct{ mode, want string }{
		{"auto", "p|5|5"}, // five custom plans, then the generic one, no dearer, for good
		{"force_custom_plan", "p|0|10"},
		{"force_generic_plan", "p|10|0"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			tg := connect(t, url, Config{Setup: []string{"SET plan_cache_mode = " + tc.mode}}, Options{Protocol: ProtocolPrepared})
			r := run(t, tg, p)
			for i, q := range r.Queries {
				if q.Status != result.StatusOK || (i > 0 && q.Rows != 1) {
					t.Fatalf("statement %d: %s, %d rows", i+1, q.Status, q.Rows)
				}
			}
			got := preparedStmts(t, tg, "true")
			var sqlLevel, protoLevel []string
			for _, g := range got {
				f := strings.Split(g, "|")
				if f[0] == "p" {
					sqlLevel = append(sqlLevel, f[0]+"|"+f[2]+"|"+f[3])
				} else {
					protoLevel = append(protoLevel, g)
				}
			}
			if strings.Join(sqlLevel, ",") != tc.want {
				t.Errorf("p: generic|custom plans %q, want %q", sqlLevel, tc.want)
			}
			// qrun's own statement for the EXECUTE: prepared once, executed ten times.
			if len(protoLevel) != 2 || !strings.Contains(strings.Join(protoLevel, "\n"), "|EXECUTE p(42);|10|0") {
				t.Errorf("qrun's statements: %q, want the PREPARE and the EXECUTE, the EXECUTE run 10 times", protoLevel)
			}
		})
	}
}
