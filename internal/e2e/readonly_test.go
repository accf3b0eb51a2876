//go:build unix

package e2e

import (
	"strings"
	"testing"

	"github.com/qrunhq/qrun/internal/qruntest"
)

// TestReadOnlyCannotBeUndone checks every way a file could switch --read-only off:
// each is rejected before anything runs (exit 2, file:line:col), and no row is written.
func TestReadOnlyCannotBeUndone(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	db.exec(t, "CREATE TABLE t (x int)")
	insert := "INSERT INTO t VALUES (1);\n"
	tests := []struct{ name, sql string }{
		{"begin read write", "BEGIN READ WRITE;\n" + insert + "COMMIT;\n"},
		{"start transaction read write", "START TRANSACTION READ WRITE;\n" + insert + "COMMIT;\n"},
		{"set transaction read write", "BEGIN;\nSET TRANSACTION READ WRITE;\n" + insert + "COMMIT;\n"},
		{"set default", "SET default_transaction_read_only = off;\n" + insert},
		{"set session default", "SET SESSION default_transaction_read_only TO off;\n" + insert},
		{"set local", "BEGIN;\nSET LOCAL transaction_read_only = off;\n" + insert + "COMMIT;\n"},
		{"characteristics", "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE;\n" + insert},
		{"set_config", "SELECT set_config('default_transaction_read_only', 'off', false);\n" + insert},
		{"reset all", "RESET ALL;\n" + insert},
		{"reset", "RESET default_transaction_read_only;\n" + insert},
		{"prepare in read-write block", "BEGIN READ WRITE;\nPREPARE p AS INSERT INTO t VALUES (1);\nEXECUTE p;\nCOMMIT;\n"},
		{"joined commit", "SELECT 1 \\; COMMIT \\; INSERT INTO t VALUES (1);\n"},
		{"prepare transaction", "BEGIN;\nPREPARE TRANSACTION 'x';\n"},
		{"discard all", "DISCARD ALL;\n" + insert},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := qruntest.WriteFile(t, "ro.sql", "SELECT 1;\n"+tt.sql)
			for _, mode := range [][]string{nil, {"--parallel", "-c", "2"}} {
				res := qrun(t, db.URL, append(append([]string{"--read-only"}, mode...), path)...)
				if res.Code != 2 {
					t.Errorf("%v: exit %d, want 2; stderr %s", mode, res.Code, qruntest.Clip(res.Stderr, 400))
				}
				if !fileLineCol(path).MatchString(res.Stderr) {
					t.Errorf("%v: stderr has no file:line:col: %s", mode, qruntest.Clip(res.Stderr, 400))
				}
			}
			if n := scalar[int64](t, db, "SELECT count(*) FROM t"); n != 0 {
				t.Fatalf("t has %d rows, want 0", n)
			}
		})
	}
}

// TestReadOnlyServerEnforced checks that --read-only holds when the session's default
// is switched off where qrun cannot see it (inside a function): every unit runs in a
// transaction qrun made READ ONLY.
func TestReadOnlyServerEnforced(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	db.exec(t, `CREATE TABLE t (x int);
CREATE FUNCTION unlock() RETURNS text LANGUAGE sql AS
$$ SELECT set_config('default_transaction_read_only', 'off', false) $$`)
	sql := `-- name: unlock
SELECT unlock();
-- name: insert
INSERT INTO t VALUES (1);
-- name: block
BEGIN;
INSERT INTO t VALUES (2);
COMMIT;
-- name: seq
CREATE SEQUENCE s;
`
	for _, mode := range [][]string{nil, {"--parallel", "-c", "1"}} {
		path := qruntest.WriteFile(t, "ro.sql", sql)
		res := qrun(t, db.URL, append(append([]string{"--read-only", "--format", "json"}, mode...), path)...)
		if res.Code != 1 {
			t.Errorf("%v: exit %d, want 1; stderr %s", mode, res.Code, qruntest.Clip(res.Stderr, 400))
		}
		r := qruntest.Decode(t, res.Stdout)
		for _, name := range []string{"insert", "block", "seq"} {
			q := qruntest.Query(t, r, name)
			if q.Status != "error" {
				t.Errorf("%v: %s: status %s, want error", mode, name, q.Status)
			}
			if name == "insert" && (q.Error == nil || q.Error.SQLState != "25006") {
				t.Errorf("%v: insert: error %+v, want 25006", mode, q.Error)
			}
		}
		if n := scalar[int64](t, db, "SELECT count(*) FROM t"); n != 0 {
			t.Fatalf("%v: t has %d rows, want 0", mode, n)
		}
	}
}

// TestReadOnlyGexec checks that statements made at run time by \gexec cannot undo
// --read-only either.
func TestReadOnlyGexec(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	db.exec(t, "CREATE TABLE t (x int)")
	sql := `SELECT x FROM (VALUES (1, 'SET default_transaction_read_only = off'), (2, 'COMMIT'), (3, 'INSERT INTO t VALUES (1)')) v(i, x) ORDER BY i \gexec
INSERT INTO t VALUES (2);
`
	path := qruntest.WriteFile(t, "ro.sql", sql)
	res := qrun(t, db.URL, "--read-only", path)
	if res.Code != 1 {
		t.Errorf("exit %d, want 1; stderr %s", res.Code, qruntest.Clip(res.Stderr, 400))
	}
	if n := scalar[int64](t, db, "SELECT count(*) FROM t"); n != 0 {
		t.Fatalf("t has %d rows, want 0", n)
	}
	if !strings.Contains(res.Stdout+res.Stderr, "read-only") {
		t.Errorf("output does not say why: %s", qruntest.Clip(res.Stdout+res.Stderr, 600))
	}
}
