package runner

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
)

func TestParseConnString(t *testing.T) {
	tests := []struct {
		in   string
		want connParams
		err  bool
	}{
		{in: "", want: nil},
		{in: "host=h port = 5433 dbname='my db' password='it\\'s' user=a\\ b",
			want: connParams{{"host", "h"}, {"port", "5433"}, {"dbname", "my db"}, {"password", "it's"}, {"user", "a b"}}},
		{in: "postgres://u:p%40ss@h1:5432,h2:5433/d%20b?sslmode=disable&application_name=x",
			want: connParams{{"user", "u"}, {"password", "p@ss"}, {"host", "h1,h2"}, {"port", "5432,5433"}, {"dbname", "d b"}, {"sslmode", "disable"}, {"application_name", "x"}}},
		{in: "postgresql://[::1]:5432/db", want: connParams{{"host", "::1"}, {"port", "5432"}, {"dbname", "db"}}},
		{in: "postgresql:///db?host=%2Fvar%2Frun", want: connParams{{"dbname", "db"}, {"host", "/var/run"}}},
		{in: "postgres://h", want: connParams{{"host", "h"}}},
		{in: "host", err: true},
		{in: "host='h", err: true},
		{in: "postgres://h/?x", err: true},
	}
	for _, tt := range tests {
		got, err := parseConnString(tt.in)
		if (err != nil) != tt.err || !tt.err && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseConnString(%q): got %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// TestConnectParams follows psql 15's do_connect: what is reused, and when the old
// password is dropped.
func TestConnectParams(t *testing.T) {
	prev := connParams{{"host", "h"}, {"hostaddr", "10.0.0.1"}, {"port", "5432"}, {"user", "u"}, {"password", "pw"}, {"dbname", "d"}, {"sslmode", "disable"}}
	tests := []struct {
		name string
		c    queries.Connect
		want connParams
	}{
		{"database", queries.Connect{Database: "d2"},
			connParams{{"host", "h"}, {"hostaddr", "10.0.0.1"}, {"port", "5432"}, {"user", "u"}, {"password", "pw"}, {"dbname", "d2"}, {"sslmode", "disable"}}},
		{"nothing: as before", queries.Connect{}, prev},
		{"same user keeps the password", queries.Connect{User: "u"}, prev},
		{"another user drops it", queries.Connect{User: "v"},
			connParams{{"host", "h"}, {"hostaddr", "10.0.0.1"}, {"port", "5432"}, {"user", "v"}, {"dbname", "d"}, {"sslmode", "disable"}}},
		{"another host drops it and hostaddr", queries.Connect{Database: "d2", Host: "h2"},
			connParams{{"host", "h2"}, {"port", "5432"}, {"user", "u"}, {"dbname", "d2"}, {"sslmode", "disable"}}},
		{"another port", queries.Connect{Port: "5433"},
			connParams{{"host", "h"}, {"hostaddr", "10.0.0.1"}, {"port", "5433"}, {"user", "u"}, {"dbname", "d"}, {"sslmode", "disable"}}},
		{"reuse off", queries.Connect{Reuse: queries.ReuseOff, Database: "d2"}, connParams{{"dbname", "d2"}}},
		{"a connection string starts afresh", queries.Connect{Database: "host=x dbname=y", ConnString: true},
			connParams{{"host", "x"}, {"dbname", "y"}}},
		{"a connection string on top of the old", queries.Connect{Reuse: queries.ReuseOn, Database: "dbname=y", ConnString: true},
			connParams{{"host", "h"}, {"hostaddr", "10.0.0.1"}, {"port", "5432"}, {"user", "u"}, {"password", "pw"}, {"dbname", "y"}, {"sslmode", "disable"}}},
		{"a connection string to another host", queries.Connect{Reuse: queries.ReuseOn, Database: "host=z", ConnString: true},
			connParams{{"host", "z"}, {"hostaddr", "10.0.0.1"}, {"port", "5432"}, {"user", "u"}, {"dbname", "d"}, {"sslmode", "disable"}}},
		{"a connection string with its own password", queries.Connect{Reuse: queries.ReuseOn, Database: "postgres://w:pw2@z/e", ConnString: true},
			connParams{{"host", "z"}, {"hostaddr", "10.0.0.1"}, {"port", "5432"}, {"user", "w"}, {"password", "pw2"}, {"dbname", "e"}, {"sslmode", "disable"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := append(connParams(nil), prev...).apply(&tt.c)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

// otherDatabase returns the name of a second fresh database of the test server.
func otherDatabase(t *testing.T) (url, name string) {
	t.Helper()
	url = pgtest.NewDatabase(t)
	return url, strings.TrimPrefix(urlPath(t, url), "/")
}

func urlPath(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

// TestConnectSwitchesDatabase runs statements on two databases of the test server: the
// statements after \c run on the new connection, which has the target's application
// name and setup, and the report names the target they ran on. The next run starts on
// the target's own database again.
func TestConnectSwitchesDatabase(t *testing.T) {
	t.Parallel()
	first := pgtest.NewDatabase(t)
	second, name2 := otherDatabase(t)
	exec(t, admin(t, first), "CREATE TABLE seen (db text, app text, marker text)")
	exec(t, admin(t, second), "CREATE TABLE seen (db text, app text, marker text)")
	const ins = "INSERT INTO seen SELECT current_database(), current_setting('application_name'), current_setting('qrun.marker', true);\n"
	script := ins + "\\c " + name2 + "\n" + ins + "\\connect -reuse-previous=on dbname=" + name2 + "\n" + ins
	p := scriptPlan(t, "c.sql", script, queries.Options{}, plan.Options{})
	tg := connect(t, first, Config{Setup: []string{"SET qrun.marker = 'm'"}}, Options{})
	for i := range 2 {
		r := run(t, tg, p)
		if got := statuses(r); got != "ok ok ok" {
			t.Fatalf("run %d: got statuses %q (%+v), want ok ok ok", i, got, r.Queries)
		}
		want := "postgres@127.0.0.1:5432/" + name2
		if r.Queries[0].Target != "" || r.Queries[1].Target != want || r.Queries[2].Target != want {
			t.Errorf("run %d: got targets %q %q %q, want \"\" then %q", i, r.Queries[0].Target, r.Queries[1].Target, r.Queries[2].Target, want)
		}
	}
	if got := state(t, first, "SELECT db = current_database(), app, marker FROM seen"); got != "true|qrun|m\ntrue|qrun|m\n" {
		t.Errorf("first database: got %q, want two rows of its own", got)
	}
	if got := state(t, second, "SELECT db = current_database(), app, marker FROM seen"); got != strings.Repeat("true|qrun|m\n", 4) {
		t.Errorf("second database: got %q, want four rows of its own", got)
	}
}

// TestConnectIsOutsideTheTimes: a \connect whose setup takes 300ms adds nothing to the
// run's time.
func TestConnectIsOutsideTheTimes(t *testing.T) {
	t.Parallel()
	first := pgtest.NewDatabase(t)
	_, name2 := otherDatabase(t)
	p := scriptPlan(t, "c.sql", "SELECT 1;\n\\c "+name2+"\nSELECT 2;\n", queries.Options{}, plan.Options{})
	tg := connect(t, first, Config{Setup: []string{"SELECT pg_sleep(0.3)"}}, Options{})
	start := time.Now()
	r := run(t, tg, p)
	took := time.Since(start)
	if got := statuses(r); got != "ok ok" {
		t.Fatalf("got statuses %q, want ok ok", got)
	}
	if took < 300*time.Millisecond || r.WallMs > 150 {
		t.Errorf("got a run of %.1f ms that took %s, want the 300ms \\connect outside it", r.WallMs, took)
	}
	if r.Queries[1].StartMs < r.Queries[0].EndMs || r.Queries[1].StartMs > r.Queries[0].EndMs+100 {
		t.Errorf("got the second statement at %.1f ms after the first ended at %.1f ms, want right after", r.Queries[1].StartMs, r.Queries[0].EndMs)
	}
}

// TestConnectFailureEndsTheRun: as psql -f exits when \connect fails, the run stops there;
// the statement that was to run on the new connection reports why.
func TestConnectFailureEndsTheRun(t *testing.T) {
	t.Parallel()
	viaQrun, viaPsql := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	for _, u := range []string{viaQrun, viaPsql} {
		exec(t, admin(t, u), "CREATE TABLE t (x int)")
	}
	script := "INSERT INTO t VALUES (1);\n\\c qrun_no_such_database\nINSERT INTO t VALUES (2);\n\\c -\nINSERT INTO t VALUES (3);\n"
	if status := psqlScript(t, viaPsql, script); status != 2 {
		t.Errorf("psql -f exited %d, want 2", status)
	}
	p := scriptPlan(t, "c.sql", script, queries.Options{}, plan.Options{})
	r := run(t, connect(t, viaQrun, Config{}, Options{}), p)
	if got := statuses(r); got != "ok error not_run" {
		t.Fatalf("got statuses %q, want ok error not_run", got)
	}
	e := r.Queries[1].Error
	if e == nil || e.Position != "c.sql:2:1" || !strings.Contains(e.Message, `\connect: cannot connect to`) || !strings.Contains(e.Message, "qrun_no_such_database") {
		t.Errorf("got error %+v, want the \\connect's at c.sql:2:1", e)
	}
	if got := r.Queries[2].Reason; got != `stopped after \connect at c.sql:2:1 failed` {
		t.Errorf("got reason %q", got)
	}
	const q = "SELECT x FROM t ORDER BY x"
	if got, oracle := state(t, viaQrun, q), state(t, viaPsql, q); got != oracle || got != "1\n" {
		t.Errorf("qrun left %q, psql -f left %q, want 1", got, oracle)
	}
}

// TestConnectAsPsql runs a script that moves between two databases through qrun and
// through psql -f and compares both databases afterwards.
func TestConnectAsPsql(t *testing.T) {
	t.Parallel()
	q1 := pgtest.NewDatabase(t)
	q2, q2name := otherDatabase(t)
	p1 := pgtest.NewDatabase(t)
	p2, p2name := otherDatabase(t)
	script := "CREATE TABLE a (x int);\nINSERT INTO a VALUES (1);\n\\c :other\nCREATE TABLE b (x int);\n" +
		"BEGIN;\nINSERT INTO b VALUES (2);\nCOMMIT;\n\\c postgresql://postgres@127.0.0.1:5432/:first?sslmode=disable\nINSERT INTO a VALUES (3);\n"
	psqlScript(t, p1, script, "other="+p2name, "first="+strings.TrimPrefix(urlPath(t, p1), "/"))
	vars := map[string]string{"other": q2name, "first": strings.TrimPrefix(urlPath(t, q1), "/")}
	p := scriptPlan(t, "c.sql", script, queries.Options{Vars: vars}, plan.Options{})
	r := run(t, connect(t, q1, Config{}, Options{}), p)
	if got := statuses(r); got != "ok ok ok ok ok" {
		t.Fatalf("got statuses %q (%+v), want all ok", got, r.Queries)
	}
	if r.Queries[4].Target != "" {
		t.Errorf("got target %q back on the first database, want \"\" (the run's)", r.Queries[4].Target)
	}
	for _, c := range []struct{ qrun, psql, query string }{
		{q1, p1, "SELECT x FROM a ORDER BY x"},
		{q2, p2, "SELECT x FROM b ORDER BY x"},
		{q1, p1, "SELECT count(*) FROM pg_tables WHERE tablename = 'b'"},
	} {
		if got, oracle := state(t, c.qrun, c.query), state(t, c.psql, c.query); got != oracle {
			t.Errorf("%s: qrun left %q, psql -f left %q", c.query, got, oracle)
		}
	}
}

func TestCheckInputConnect(t *testing.T) {
	t.Parallel()
	script := "SELECT 1;\n\\c other\nSELECT 2;\nSELECT 3;\nBEGIN;\nSELECT 4;\n\\c third\nCOMMIT;\n"
	p := scriptPlan(t, "c.sql", script, queries.Options{}, plan.Options{})
	err := CheckInput(p, Options{})
	var list queries.ErrorList
	if !errors.As(err, &list) || len(list) != 1 || list[0].Error() != `c.sql:7:1: \c inside a transaction block is not supported (the block's BEGIN is at c.sql:5:1)` {
		t.Errorf("got %v, want one error about the block", err)
	}
	p = scriptPlan(t, "c.sql", "SELECT 1;\n\\c other\nSELECT 2;\nSELECT 3;\n", queries.Options{}, plan.Options{Parallel: true})
	err = CheckInput(p, Options{Parallel: true})
	if !errors.As(err, &list) || len(list) != 1 || !strings.HasPrefix(list[0].Error(), `c.sql:2:1: \c is not supported with --parallel: `) {
		t.Errorf("got %v, want one error at c.sql:2:1", err)
	}
	tg := &Target{opts: Options{Parallel: true}}
	if _, err := tg.run(context.Background(), p, 0); err == nil {
		t.Errorf("Run of a parallel plan with \\c: got no error")
	}
}

func FuzzParseConnString(f *testing.F) {
	for _, s := range []string{"host=h port=5433 dbname='my db'", "password='it\\'s' user=a\\ b",
		"postgres://u:p%40ss@h1:5432,h2:5433/d%20b?sslmode=disable", "postgresql://[::1]:5432/db", "host='h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseConnString(s)
		if err != nil {
			return
		}
		// What it reads, written out and read again, is the same.
		again, err := parseConnString(p.String())
		if err != nil || !reflect.DeepEqual(again, p) && len(p) > 0 {
			t.Fatalf("%q: read %v, written %q, read again %v (%v)", s, p, p.String(), again, err)
		}
	})
}
