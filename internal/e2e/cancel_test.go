//go:build unix

package e2e

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/qruntest"
	"github.com/qrunhq/qrun/result"
)

// interruptSQL has one statement done, one running (60 s, far longer than any test
// waits) and one never started when the run is interrupted.
const interruptSQL = `-- name: quick
SELECT 1;
-- name: long
SELECT pg_sleep(60) /* MARK */;
-- name: never
SELECT 2;
`

// checkInterrupted checks the report of an interrupted run of interruptSQL.
func checkInterrupted(t *testing.T, r result.Report) {
	t.Helper()
	if !r.Interrupted {
		t.Error("report: interrupted is false")
	}
	want := map[string]result.Status{"quick": result.StatusOK, "long": result.StatusCancelled, "never": result.StatusNotRun}
	if len(r.Queries) != len(want) {
		t.Errorf("report has %d queries, want %d", len(r.Queries), len(want))
	}
	for name, st := range want {
		if q := qruntest.Query(t, r, name); q.Status != st {
			t.Errorf("%s: status %s, want %s", name, q.Status, st)
		}
	}
}

// noneRunning checks that no backend of the database still runs a query holding mark.
func noneRunning(t *testing.T, db *testDB, mark string) {
	t.Helper()
	for _, b := range db.qrunBackends(t) {
		if b.State == "active" && strings.Contains(b.Query, mark) {
			t.Errorf("a backend still runs the interrupted query after qrun exited: %v", b)
		}
	}
}

// TestSecondInterrupt checks that a second Ctrl-C exits at once, even while the first one
// is still waiting for the server: here the server's answers fall into a black hole, so
// the cancelled query cannot end before qrun gives up on its socket.
func TestSecondInterrupt(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	x := newToxi(t, db.URL)
	mark := "qrun-e2e-second-sigint"
	path := qruntest.WriteFile(t, "long.sql", strings.Replace(interruptSQL, "MARK", mark, 1))
	report := filepath.Join(t.TempDir(), "report.json")
	p := startQrun(t, call{Args: []string{"--format", "json", "-o", report, path}, DB: x.URL(t, db.URL)})
	db.waitActive(t, mark, 20*time.Second)
	x.Add(t, "hole", "timeout", "downstream", `{"timeout":0}`)
	p.signal(syscall.SIGINT)
	time.Sleep(300 * time.Millisecond)
	if p.exited() {
		t.Skip("qrun finished the first interrupt before the second one could be sent")
	}
	second := time.Now()
	p.signal(syscall.SIGINT)
	res := p.wait(30 * time.Second)
	if d := time.Since(second); d > 1500*time.Millisecond {
		t.Errorf("qrun took %v to exit after the second SIGINT, want at once", d)
	}
	if res.Code != 130 {
		t.Errorf("exit %d, want 130", res.Code)
	}
}

// TestMaxTime checks that --max-time ends the run as Ctrl-C does.
func TestMaxTime(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	mark := "qrun-e2e-max-time"
	path := qruntest.WriteFile(t, "long.sql", strings.Replace(interruptSQL, "MARK", mark, 1))
	report := filepath.Join(t.TempDir(), "report.json")
	res := qrunCall(t, call{Args: []string{"--max-time", "1s", "--format", "json", "-o", report, path}, DB: db.URL, Limit: 30 * time.Second})
	noneRunning(t, db, mark)
	if res.Code != 130 {
		t.Errorf("exit %d, want 130", res.Code)
	}
	if res.Elapsed > 20*time.Second {
		t.Errorf("qrun took %v with --max-time 1s", res.Elapsed)
	}
	checkInterrupted(t, qruntest.ReadReport(t, report))
}

// TestTimeout checks that --timeout cancels a statement on the server: its backend is
// idle again while qrun still runs other work, the statement is reported "timeout", the
// others run, and the exit status is 1.
func TestTimeout(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	const mark = "qrun-e2e-timeout"
	sql := `-- name: slow
SELECT pg_sleep(60) /* ` + mark + ` */;
-- name: quick
SELECT 1;
` + strings.Repeat("SELECT pg_sleep(0.3);\n", 10) // about 3 s of work beside "slow", each under the timeout
	path := qruntest.WriteFile(t, "timeout.sql", sql)
	report := filepath.Join(t.TempDir(), "report.json")
	p := startQrun(t, call{Args: []string{"--parallel", "-c", "2", "--timeout", "500ms", "--format", "json", "-o", report, path}, DB: db.URL})
	b := db.waitActive(t, mark, 20*time.Second)
	// The timed-out query must stop on the server while qrun (busy with the sleeps) still
	// holds its connection: closing the socket would leave it running until qrun exits.
	idle := false
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline) && !p.exited(); time.Sleep(20 * time.Millisecond) {
		state := scalar[string](t, db, "SELECT coalesce((SELECT state || ':' || query FROM pg_stat_activity WHERE pid = $1), 'gone')", b.PID)
		if !strings.HasPrefix(state, "active:") || !strings.Contains(state, mark) {
			idle = true
			t.Logf("backend %d after the timeout: %.60s", b.PID, state)
			break
		}
	}
	if !idle {
		t.Errorf("backend %d still ran the timed-out query 3 s after --timeout 500ms (qrun exited: %v)", b.PID, p.exited())
	}
	res := p.wait(30 * time.Second)
	if res.Code != 1 {
		t.Errorf("exit %d, want 1", res.Code)
	}
	r := qruntest.ReadReport(t, report)
	slow := qruntest.Query(t, r, "slow")
	if slow.Status != result.StatusTimeout {
		t.Errorf("slow: status %s, want timeout (error %+v)", slow.Status, slow.Error)
	}
	if slow.WallMs < 450 || slow.WallMs > 10_000 {
		t.Errorf("slow: wall %.0f ms with --timeout 500ms", slow.WallMs)
	}
	for _, q := range r.Queries {
		if q.Name != "slow" && q.Status != result.StatusOK {
			t.Errorf("%s: status %s, want ok (error %+v)", q.Name, q.Status, q.Error)
		}
	}
}

// TestInterruptWhileConnecting sends SIGINT while qrun waits for a server that never
// answers: it exits 130 at once instead of waiting out the connect timeout.
func TestInterruptWhileConnecting(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	x := newToxi(t, db.URL)
	x.Add(t, "hole", "timeout", "upstream", `{"timeout":0}`)
	table, first := witness(0)
	path := qruntest.WriteFile(t, "w.sql", first)
	p := startQrun(t, call{Args: []string{"--connect-timeout", "30s", path}, DB: x.URL(t, db.URL)})
	// Long enough for qrun to be waiting for the server's answer, not still starting.
	time.Sleep(1500 * time.Millisecond)
	sent := time.Now()
	p.signal(syscall.SIGINT)
	res := p.wait(40 * time.Second)
	if d := time.Since(sent); d > 5*time.Second {
		t.Errorf("qrun took %v to exit after SIGINT while connecting", d)
	}
	if res.Code != 130 {
		t.Errorf("exit %d, want 130", res.Code)
	}
	if db.tableExists(t, table) {
		t.Error("the witness table exists")
	}
}
