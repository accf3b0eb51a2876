package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/internal/qruntest"
	"github.com/qrunhq/qrun/result"
)

// -1/--single-transaction runs the file as one transaction, as psql -1 does: a failed
// statement makes the later ones fail and the end a rollback; a clean file commits.
func TestSingleTransaction(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	ctx := context.Background()
	conn := pgtest.Conn(t, db)
	count := func() int {
		t.Helper()
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	exec1 := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec1("CREATE TABLE t (n int)")
	bad := qruntest.WriteFile(t, "bad.sql", "INSERT INTO t VALUES (1);\nINSERT INTO t VALUES ('x');\nINSERT INTO t VALUES (3);\n")
	good := qruntest.WriteFile(t, "good.sql", "INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\n")

	inv := qrun(t, ctx, "", nil, "-d", db, "-1", "--format", "json", bad)
	if inv.code != exitFailed {
		t.Fatalf("exit %d, want %d", inv.code, exitFailed)
	}
	r := qruntest.Decode(t, inv.stdout)
	if got := qruntest.Statuses(r); len(got) != 3 || got[0] != result.StatusOK || got[1] != result.StatusError || got[2] != result.StatusError {
		t.Errorf("statuses %v, want ok, error, error (25P02 in the aborted transaction)", got)
	}
	if e := r.Queries[2].Error; e == nil || e.SQLState != "25P02" {
		t.Errorf("third statement: %+v, want 25P02", e)
	}
	if n := count(); n != 0 {
		t.Errorf("%d rows after a failed -1 run, want 0 (rolled back)", n)
	}
	// psql -1 leaves the same.
	if psql, err := exec.LookPath("psql"); err == nil {
		out, _ := exec.Command(psql, "-X", "-q", "-1", "-d", db, "-f", bad).CombinedOutput()
		if n := count(); n != 0 {
			t.Errorf("psql -1 left %d rows (%s); the test's premise is wrong", n, strings.TrimSpace(string(out)))
		}
	}
	if inv := qrun(t, ctx, "", nil, "-d", db, "--single-transaction", good); inv.code != exitOK {
		t.Fatalf("clean file: exit %d", inv.code)
	}
	if n := count(); n != 2 {
		t.Errorf("%d rows after a clean -1 run, want 2 (committed)", n)
	}
	exec1("TRUNCATE t")
	if inv := qrun(t, ctx, "", nil, "-d", db, bad); inv.code != exitFailed || count() != 2 {
		t.Errorf("without -1: exit %d and %d rows, want 1 and 2", inv.code, count())
	}
	if inv := qrun(t, ctx, "", nil, "-d", db, "-1", "--parallel", good); inv.code != exitInput {
		t.Errorf("-1 --parallel: exit %d, want %d", inv.code, exitInput)
	}
}
