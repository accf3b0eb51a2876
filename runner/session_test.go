package runner

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
	"github.com/qrunhq/qrun/result"
)

// loadPlan parses src as t.sql and builds its plan.
func loadPlan(t testing.TB, src string, parallel bool) *plan.Plan {
	t.Helper()
	s, err := queries.Parse("t.sql", []byte(src), queries.Options{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	p, err := plan.Build(s, plan.Options{Parallel: parallel})
	if err != nil {
		t.Fatalf("plan.Build: %v", err)
	}
	return p
}

// TestSCSFollowsServer checks that a statement split with the wrong
// standard_conforming_strings is not sent: set_config changed it on the server, where
// qrun's lexer could not see it.
func TestSCSFollowsServer(t *testing.T) {
	url := pgtest.NewDatabase(t)
	src := "SELECT set_config('standard_conforming_strings', 'off', false);\n" +
		"SELECT 'a\\\\b' AS same_split;\n" +
		"SELECT 'a\\' AS x, ' ; SELECT 1 AS y';\n" +
		"SELECT 'done';\n"
	p := loadPlan(t, src, false)
	tg := connect(t, url, Config{}, Options{})
	var (
		mu   sync.Mutex
		sent []string
	)
	tg.onSend = func(sql string) {
		mu.Lock()
		defer mu.Unlock()
		sent = append(sent, sql)
	}
	r := run(t, tg, p)
	if got, want := statuses(r), "ok ok error ok"; got != want {
		t.Fatalf("statuses %q, want %q", got, want)
	}
	if e := r.Queries[2].Error; e == nil || !strings.Contains(e.Message, "standard_conforming_strings is off on the server here") || e.Position != "t.sql:3:1" {
		t.Errorf("error %+v, want the split mismatch at t.sql:3:1", e)
	}
	if len(sent) != 3 {
		t.Errorf("sent %q, want the mismatched statement left out", sent)
	}
}

// TestSessionReport checks what the report says of statements a run-time \if or \q
// kept from being sent, and that --dry-run names the dynamic ones.
func TestSessionReport(t *testing.T) {
	url := pgtest.NewDatabase(t)
	src := "SELECT true AS t \\gset\n\\if :t\nSELECT 1;\n\\else\nSELECT 2;\n\\endif\nSELECT :'DBNAME' IS NOT NULL;\n\\if :t\n\\q\n\\endif\nSELECT 3;\n"
	p := loadPlan(t, src, false)
	d := Describe(p)
	wantWhy := []string{"dynamic: \\gset", "dynamic: runs \\if; under the \\if at t.sql:2:1, decided at run time",
		"dynamic: runs \\else; under the \\if at t.sql:2:1, decided at run time", "dynamic: reads :DBNAME at run time", "dynamic: runs \\if, \\q"}
	for i, q := range d.Queries {
		if q.Reason != wantWhy[i] {
			t.Errorf("dry run of %s: reason %q, want %q", q.Name, q.Reason, wantWhy[i])
		}
	}
	tg := connect(t, url, Config{}, Options{})
	r := run(t, tg, p)
	if got, want := statuses(r), "ok ok ok ok ok"; got != want {
		t.Fatalf("statuses %q, want %q", got, want)
	}
	wantReason := []string{"", "", "not sent: its \\if branch was not taken (\\if at t.sql:2:1)", "", "not sent: the script ended at \\q (t.sql:9:1)"}
	for i, q := range r.Queries {
		if q.Reason != wantReason[i] {
			t.Errorf("%s: reason %q, want %q", q.Name, q.Reason, wantReason[i])
		}
	}
	if r.Queries[3].Rows != 1 {
		t.Errorf("rows of the :DBNAME statement %d, want 1", r.Queries[3].Rows)
	}
}

// TestSessionParallel checks that in parallel mode a statement reading a \gset
// variable gets its value from the shared store, and that ON_ERROR_STOP stops the run.
func TestSessionParallel(t *testing.T) {
	url := pgtest.NewDatabase(t)
	src := "SELECT 41 AS n \\gset\n-- after: t.sql:1\nSELECT :n + 1 AS answer;\n\\set ON_ERROR_STOP on\n-- after: t.sql:3\nSELECT 1/0;\n-- after: t.sql:6\nSELECT 'not run';\n"
	p := loadPlan(t, src, true)
	tg := connect(t, url, Config{}, Options{Parallel: true, Concurrency: 2})
	var sent []string
	tg.onSend = func(sql string) { sent = append(sent, sql) }
	r := run(t, tg, p)
	if !strings.Contains(strings.Join(sent, "\n"), "SELECT 41 + 1 AS answer;") {
		t.Errorf("sent %q, want the \\gset value in the second statement", sent)
	}
	if r.Queries[2].Status != result.StatusError || r.Queries[3].Status == result.StatusOK {
		t.Errorf("statuses %q: want the division to fail and the statement after it not run", statuses(r))
	}
}

// TestPrepareOncePerRun checks that the meta-commands before a statement run once in a
// run, even when the statement is retried, and again in the next run.
func TestPrepareOncePerRun(t *testing.T) {
	url := pgtest.NewDatabase(t)
	p := loadPlan(t, "\\echo before\nSELECT 1;\n", false)
	var out strings.Builder
	tg := connect(t, url, Config{}, Options{Output: func(_ queries.Stream, s string) { out.WriteString(s) }})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := Bench(ctx, []*Target{tg}, p, BenchOptions{Runs: 2, Warmup: 1}); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "before\nbefore\nbefore\n" {
		t.Errorf("printed %q, want once per run (three runs)", got)
	}
}

// TestGexecAndGsetReport checks how a \gexec unit and a failed \gset are reported.
func TestGexecAndGsetReport(t *testing.T) {
	url := pgtest.NewDatabase(t)
	src := "CREATE TABLE g(a int);\n" +
		"SELECT 'INSERT INTO g VALUES (1)', NULL, 'SELECT 1/0', 'INSERT INTO g VALUES (2)' \\gexec\n" +
		"SELECT 1 WHERE false \\gset\n" +
		"SELECT 'SELECT 1', 'SELECT 2' \\gexec\n"
	p := loadPlan(t, src, false)
	tg := connect(t, url, Config{}, Options{})
	r := run(t, tg, p)
	if got, want := statuses(r), "ok error error ok"; got != want {
		t.Fatalf("statuses %q, want %q", got, want)
	}
	q := r.Queries[1]
	if q.Rows != 3 {
		t.Errorf("\\gexec rows %d, want 3 statements sent", q.Rows)
	}
	if e := q.Error; e == nil || e.SQLState != "22012" || e.Position != "t.sql:2:1" || !strings.Contains(e.Detail, "in the statement \\gexec sent: SELECT 1/0") {
		t.Errorf("\\gexec error %+v, want the division's, at the \\gexec statement", e)
	}
	if n := scalar[int64](t, url, "SELECT count(*) FROM g"); n != 2 {
		t.Errorf("%d rows inserted, want 2 (the statements after the failed one still ran)", n)
	}
	if e := r.Queries[2].Error; e == nil || e.Message != "no rows returned for \\gset" {
		t.Errorf("\\gset error %+v, want psql's", e)
	}
	if r.Queries[3].Rows != 2 {
		t.Errorf("rows %d, want 2", r.Queries[3].Rows)
	}
}
