//go:build unix

package e2e

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/internal/qruntest"
	"github.com/qrunhq/qrun/result"
)

// Issue 13: qrun through a real PgBouncer (Debian's pgbouncer, started by the test on a
// loopback port in front of the test server).

func TestPoolerDetected(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	sql := qruntest.WriteFile(t, "q.sql", "SELECT 1;\nSELECT 2;\nSELECT 3;\nSELECT 4;\n")
	for _, tt := range []struct{ mode, want string }{
		{"session", ""},
		{"transaction", "transaction"},
		{"statement", "statement"},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			through := pgtest.PgBouncer(t, db.URL, tt.mode)
			o := qrun(t, through, "--parallel", "-c", "4", "--format", "json", sql)
			if o.Code != 0 {
				t.Fatalf("exit %d\n%s", o.Code, o.Stderr)
			}
			r := qruntest.Decode(t, o.Stdout)
			if r.Context.Pooler != tt.want {
				t.Errorf("pooler %q, want %q", r.Context.Pooler, tt.want)
			}
			if tt.want != "" && !strings.Contains(strings.Join(r.Warnings, "\n"), "pooler") {
				t.Errorf("no warning names the pooler: %v", r.Warnings)
			}
		})
	}
}

// Behind a transaction pooler every unit sees --setup, even after a DISCARD ALL has
// reset the server session the pooler hands out next.
func TestPoolerSetupInEveryUnit(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	db.exec(t, "CREATE TABLE seen (v text)")
	through := pgtest.PgBouncer(t, db.URL, "transaction")
	var b strings.Builder
	for i := range 30 {
		if i%10 == 9 {
			b.WriteString("DISCARD ALL;\n")
		}
		b.WriteString("INSERT INTO seen SELECT current_setting('qrun.probe', true);\n")
	}
	b.WriteString("BEGIN;\nINSERT INTO seen SELECT current_setting('qrun.probe', true);\nCOMMIT;\n")
	sql := qruntest.WriteFile(t, "setup.sql", b.String())
	o := qrun(t, through, "--parallel", "-c", "4", "--setup", "SET qrun.probe = 'yes'", "--format", "json", sql)
	if o.Code != 0 {
		t.Fatalf("exit %d\n%s", o.Code, o.Stderr)
	}
	if n := scalar[int64](t, db, "SELECT count(*) FROM seen WHERE v IS DISTINCT FROM 'yes'"); n != 0 {
		t.Errorf("%d of 31 units ran without --setup behind the transaction pooler", n)
	}
	if n := scalar[int64](t, db, "SELECT count(*) FROM seen"); n != 31 {
		t.Errorf("%d rows, want 31", n)
	}
}

// Transaction blocks cannot run under statement pooling: an input error before anything
// runs.
func TestPoolerStatementModeRejectsBlocks(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	db.exec(t, "CREATE TABLE t (n int)")
	through := pgtest.PgBouncer(t, db.URL, "statement")
	sql := qruntest.WriteFile(t, "tx.sql", "INSERT INTO t VALUES (1);\nBEGIN;\nINSERT INTO t VALUES (2);\nCOMMIT;\n")
	o := qrun(t, through, "--parallel", "-c", "2", sql)
	if o.Code != 2 || !strings.Contains(o.Stderr, "statement pooling") {
		t.Errorf("exit %d, stderr %q; want exit 2 saying transaction blocks cannot run under statement pooling", o.Code, o.Stderr)
	}
	if n := scalar[int64](t, db, "SELECT count(*) FROM t"); n != 0 {
		t.Errorf("%d rows written; nothing may run", n)
	}
}

// --timeout and Ctrl-C cancel on the server through the pooler.
func TestPoolerCancel(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	through := pgtest.PgBouncer(t, db.URL, "transaction")
	mark := fmt.Sprintf("pooler_cancel_%d", time.Now().UnixNano())

	sql := qruntest.WriteFile(t, "slow.sql", "SELECT pg_sleep(30) AS "+mark+";\nSELECT 1;\n")
	o := qrun(t, through, "--parallel", "-c", "2", "--timeout", "300ms", "--format", "json", sql)
	if o.Code != 1 {
		t.Fatalf("--timeout: exit %d, want 1\n%s", o.Code, o.Stderr)
	}
	if q := qruntest.Decode(t, o.Stdout).Queries[0]; q.Status != result.StatusTimeout {
		t.Errorf("--timeout: status %s, want timeout", q.Status)
	}
	serverIdle(t, db, mark)

	mark2 := mark + "_int"
	sql2 := qruntest.WriteFile(t, "slow2.sql", "SELECT pg_sleep(30) AS "+mark2+";\n")
	cmd, stdout, stderr := command(t, call{Args: []string{"--parallel", "-c", "2", "--format", "json", sql2}, DB: through})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	serverRuns(t, db, mark2)
	cmd.Process.Signal(syscall.SIGINT)
	r := wait(t, cmd, 20*time.Second)
	r.Stdout, r.Stderr = stdout.String(), stderr.String()
	if r.Code != 130 {
		t.Fatalf("Ctrl-C: exit %d, want 130\n%s", r.Code, r.Stderr)
	}
	if rep := qruntest.Decode(t, r.Stdout); !rep.Interrupted || rep.Queries[0].Status != result.StatusCancelled {
		t.Errorf("Ctrl-C: interrupted %v, status %s; want an interrupted report with the statement cancelled", rep.Interrupted, rep.Queries[0].Status)
	}
	serverIdle(t, db, mark2)
}

// serverRuns waits until some backend of the real server runs a query holding mark
// (through a pooler, the backend's application_name is the pooler's business).
func serverRuns(t *testing.T, db *testDB, mark string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if scalar[int64](t, db, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%'||$1||'%' AND pid <> pg_backend_pid()", mark) > 0 {
			return
		}
	}
	t.Fatalf("no backend ran %s within 10s", mark)
}

// serverIdle checks that no backend of the real server still runs the query.
func serverIdle(t *testing.T, db *testDB, mark string) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if scalar[int64](t, db, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%'||$1||'%' AND pid <> pg_backend_pid()", mark) == 0 {
			return
		}
	}
	t.Errorf("a backend of the server still runs %s: the cancel did not reach it through the pooler", mark)
}
