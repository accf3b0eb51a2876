//go:build unix

package e2e

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/internal/qruntest"
	"github.com/qrunhq/qrun/report"
	"github.com/qrunhq/qrun/result"
)

// TestReadOnly checks that under --read-only every write fails with 25006 and nothing is
// written, while reads run.
func TestReadOnly(t *testing.T) {
	t.Parallel()
	for _, mode := range [][]string{nil, {"--parallel", "-c", "2"}} {
		t.Run(strings.Join(append([]string{"mode"}, mode...), " "), func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			db.exec(t, "CREATE TABLE t (x int)")
			sql := `-- name: insert
INSERT INTO t VALUES (1);
-- name: read
SELECT count(*) FROM t;
-- name: create
CREATE TABLE made_here (x int);
-- name: block
BEGIN;
UPDATE t SET x = 2;
COMMIT;
`
			path := qruntest.WriteFile(t, "ro.sql", sql)
			res := qrun(t, db.URL, append(append([]string{"--read-only", "--format", "json"}, mode...), path)...)
			if res.Code != 1 {
				t.Errorf("exit %d, want 1", res.Code)
			}
			r := qruntest.Decode(t, res.Stdout)
			for _, name := range []string{"insert", "create"} {
				if q := qruntest.Query(t, r, name); q.Status != result.StatusError || q.Error == nil || q.Error.SQLState != "25006" {
					t.Errorf("%s: status %s, error %+v; want error 25006", name, q.Status, q.Error)
				}
			}
			if q := qruntest.Query(t, r, "read"); q.Status != result.StatusOK {
				t.Errorf("read: status %s, want ok (error %+v)", q.Status, q.Error)
			}
			if q := qruntest.Query(t, r, "block"); q.Status != result.StatusError {
				t.Errorf("block: status %s, want error", q.Status)
			}
			if n := scalar[int64](t, db, "SELECT count(*) FROM t"); n != 0 {
				t.Errorf("t has %d rows after --read-only, want 0", n)
			}
			if db.tableExists(t, "made_here") {
				t.Error("made_here exists after --read-only")
			}
		})
	}
}

// TestRollback checks that under --rollback writes are timed but never kept.
func TestRollback(t *testing.T) {
	t.Parallel()
	for _, mode := range [][]string{nil, {"--parallel", "-c", "2"}} {
		t.Run(strings.Join(append([]string{"mode"}, mode...), " "), func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			db.exec(t, "CREATE TABLE t (x int); INSERT INTO t VALUES (0)")
			sql := `-- name: insert
INSERT INTO t SELECT g FROM generate_series(1, 1000) g;
-- name: update
UPDATE t SET x = -1;
-- name: create
CREATE TABLE made_here (x int);
-- name: block
BEGIN;
INSERT INTO t VALUES (42);
DELETE FROM t WHERE x = 0;
COMMIT;
`
			path := qruntest.WriteFile(t, "rb.sql", sql)
			res := qrun(t, db.URL, append(append([]string{"--rollback", "--format", "json"}, mode...), path)...)
			if res.Code != 0 {
				t.Errorf("exit %d, want 0", res.Code)
			}
			r := qruntest.Decode(t, res.Stdout)
			wantRows := map[string]int64{"insert": 1000, "update": 1}
			for _, q := range r.Queries {
				if q.Status != result.StatusOK {
					t.Errorf("%s: status %s, want ok (error %+v)", q.Name, q.Status, q.Error)
				}
				if q.WallMs <= 0 {
					t.Errorf("%s: wall %.3f ms, want a time", q.Name, q.WallMs)
				}
				if want, ok := wantRows[q.Name]; ok && q.Rows != want && mode == nil {
					t.Errorf("%s: rows %d, want %d", q.Name, q.Rows, want)
				}
			}
			if n := scalar[int64](t, db, "SELECT count(*) FROM t WHERE x = 0"); n != 1 {
				t.Errorf("t has %d rows with x = 0 after --rollback, want 1", n)
			}
			if n := scalar[int64](t, db, "SELECT count(*) FROM t"); n != 1 {
				t.Errorf("t has %d rows after --rollback, want 1", n)
			}
			if db.tableExists(t, "made_here") {
				t.Error("made_here exists after --rollback")
			}
		})
	}
}

// The password of the secrets tests; it must appear nowhere qrun writes.
const secret = "s3cr3t-pw"

// TestSecrets gives qrun password-bearing connection strings, in every way one can be
// given, for servers that cannot be reached, refuse the user or the database, or accept
// the connection, and looks for the password in everything qrun writes, in every format.
func TestSecrets(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	good := withUserPassword(t, db.URL, "postgres", secret)
	hostport := upstream(t, db.URL)
	host, port, _ := strings.Cut(hostport, ":")
	odd := "p@ss:w/rd " + secret // needs escaping in a URL
	sql := `-- name: ok
SELECT 1;
-- name: fails
SELECT * FROM no_such_table;
-- name: settings
SELECT current_setting('application_name');
`
	path := qruntest.WriteFile(t, "s.sql", sql)

	type target struct {
		name string
		args []string          // before the other flags
		env  map[string]string // extra environment
		ok   bool              // the connection succeeds
	}
	targets := []target{
		{name: "refused URL", args: []string{"-d", "postgres://postgres:" + secret + "@127.0.0.1:1/x"}},
		{name: "refused --dsn", args: []string{"--dsn", "postgres://postgres:" + secret + "@127.0.0.1:1/x?sslmode=disable"}},
		{name: "refused DATABASE_URL", env: map[string]string{"DATABASE_URL": "postgres://postgres:" + secret + "@127.0.0.1:1/x"}},
		{name: "wrong user", args: []string{"-d", "postgres://no_such_user_e2e:" + secret + "@" + hostport + "/" + db.Name + "?sslmode=disable"}},
		{name: "wrong database", args: []string{"-d", "postgres://postgres:" + secret + "@" + hostport + "/no_such_db_e2e?sslmode=disable"}},
		{name: "wrong port", args: []string{"-d", "postgres://postgres:" + secret + "@" + host + ":1/" + db.Name}},
		{name: "keyword form refused", args: []string{"-d", "host=127.0.0.1 port=1 user=postgres password=" + secret + " dbname=x"}},
		{name: "keyword form wrong user", args: []string{"-d", "host=" + host + " port=" + port + " user=no_such_user_e2e password=" + secret + " dbname=" + db.Name + " sslmode=disable"}},
		{name: "keyword form quoted", args: []string{"-d", "host=" + host + " port=1 user=postgres password='" + secret + " x' dbname=x"}},
		{name: "escaped password", args: []string{"-d", "postgres://postgres:" + url.QueryEscape(odd) + "@127.0.0.1:1/x"}},
		// Malformed: what a parser would take for the host is a part of the password.
		{name: "unencoded @ in a URL password", args: []string{"-d", "postgres://postgres:pw@" + secret + "@" + hostport + "/" + db.Name}},
		{name: "unencoded / in a URL password", args: []string{"-d", "postgres://postgres:pw/" + secret + "@" + hostport + "/" + db.Name}},
		{name: "white space in a URL password", args: []string{"-d", "postgres://postgres:pw " + secret + "@" + hostport + "/" + db.Name}},
		{name: "keyword form with \\'", args: []string{"-d", "host=127.0.0.1 port=1 user=postgres password='pw\\'" + secret + "' dbname=x"}},
		{name: "keyword form unterminated quote", args: []string{"-d", "host=127.0.0.1 port=1 user=postgres password='pw " + secret + " dbname=x"}},
		{name: "keyword form escaped space", args: []string{"-d", "host=127.0.0.1 port=1 user=postgres password=pw\\ " + secret + " dbname=x"}},
		{name: "PGPASSWORD", env: map[string]string{"PGHOST": "127.0.0.1", "PGPORT": "1", "PGUSER": "postgres", "PGPASSWORD": secret}},
		{name: "connects URL", args: []string{"-d", good}, ok: true},
		{name: "connects keyword form", args: []string{"-d", "host=" + host + " port=" + port + " user=postgres password=" + secret + " dbname=" + db.Name + " sslmode=disable"}, ok: true},
		{name: "connects escaped password", args: []string{"-d", withUserPassword(t, db.URL, "postgres", odd)}, ok: true},
		{name: "connects twice", args: []string{"-d", good, "-d", good}, ok: true},
	}
	formats := report.Formats
	check := func(t *testing.T, what, s string) {
		t.Helper()
		for _, leak := range []string{secret, url.QueryEscape(secret), url.PathEscape(odd), url.QueryEscape(odd), "p@ss"} {
			if strings.Contains(s, leak) {
				i := strings.Index(s, leak)
				t.Errorf("%s holds the password (%q): ...%s...", what, leak, s[max(0, i-80):min(len(s), i+80)])
			}
		}
	}
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			runs := [][]string{{"--verbose"}, {"--dry-run"}}
			for _, f := range formats {
				runs = append(runs, []string{"--format", f}, []string{"--format", f, "--verbose", "-o", "report.out"})
			}
			if !tg.ok {
				runs = runs[:3] // the connection fails before any format matters
				runs = append(runs, []string{"--format", "json", "-o", "report.out"})
			}
			for _, extra := range runs {
				dir := t.TempDir()
				args := append(append(append([]string{}, tg.args...), extra...), "--connect-timeout", "5s", path)
				res := qrunCall(t, call{Args: args, Env: tg.env, Dir: dir})
				what := strings.Join(extra, " ")
				switch {
				case contains(extra, "--dry-run"):
					if res.Code != 0 {
						t.Errorf("%s: exit %d, want 0", what, res.Code)
					}
				case tg.ok:
					if res.Code != 1 {
						t.Errorf("%s: exit %d, want 1", what, res.Code)
					}
				default:
					if res.Code != 2 {
						t.Errorf("%s: exit %d, want 2", what, res.Code)
					}
					if strings.TrimSpace(res.Stderr) == "" {
						t.Errorf("%s: no error message", what)
					}
				}
				check(t, what+": stdout", res.Stdout)
				check(t, what+": stderr", res.Stderr)
				if data, err := os.ReadFile(filepath.Join(dir, "report.out")); err == nil {
					check(t, what+": the report file", string(data))
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
