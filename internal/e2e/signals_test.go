//go:build unix

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/qruntest"
	"github.com/qrunhq/qrun/result"
)

// stopSignals are the signals that must end a run as Ctrl-C does.
var stopSignals = []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE}

// noTemp fails the test when the directory holds a report's temporary file.
func noTemp(t *testing.T, dir string) {
	t.Helper()
	tmps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	if len(tmps) > 0 {
		t.Errorf("temporary files left behind: %v", tmps)
	}
}

// TestKillSignals sends each stop signal while a statement runs, while a COPY FROM
// STDIN is under way, and while qrun connects: the server's work is cancelled (no
// backend left), the report is written and says interrupted, no temporary file is left,
// and qrun exits 130.
func TestKillSignals(t *testing.T) {
	t.Parallel()
	for _, sig := range stopSignals {
		for _, mode := range []string{"sequential", "parallel"} {
			t.Run(sig.String()+" mid-statement "+mode, func(t *testing.T) {
				t.Parallel()
				db := newDB(t)
				mark := "qrun-e2e-kill-" + strings.ReplaceAll(sig.String()+"-"+mode, " ", "-")
				path := qruntest.WriteFile(t, "long.sql", strings.Replace(interruptSQL, "MARK", mark, 1))
				dir := t.TempDir()
				report := filepath.Join(dir, "report.json")
				args := []string{"--format", "json", "-o", report}
				if mode == "parallel" {
					args = append(args, "--parallel", "-c", "1") // "never" waits behind "long"
				}
				p := startQrun(t, call{Args: append(args, path), DB: db.URL})
				db.waitActive(t, mark, 20*time.Second)
				p.signal(sig)
				res := p.wait(30 * time.Second)
				noneRunning(t, db, mark)
				if res.Code != 130 {
					t.Errorf("exit %d, want 130", res.Code)
				}
				checkInterrupted(t, qruntest.ReadReport(t, report))
				noTemp(t, dir)
			})
		}
		t.Run(sig.String()+" mid-COPY", func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			// Each row takes a while to insert: the COPY is under way when the signal comes.
			db.exec(t, `CREATE TABLE t (x int);
CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.5); RETURN NEW; END $$;
CREATE TRIGGER slow BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION slow();`)
			var data strings.Builder
			for i := range 200 {
				fmt.Fprintf(&data, "%d\n", i)
			}
			sql := "-- name: quick\nSELECT 1;\n-- name: long\nCOPY t FROM STDIN;\n" + data.String() + "\\.\n-- name: never\nSELECT 2;\n"
			path := qruntest.WriteFile(t, "copy.sql", sql)
			dir := t.TempDir()
			report := filepath.Join(dir, "report.json")
			p := startQrun(t, call{Args: []string{"--format", "json", "-o", report, path}, DB: db.URL})
			db.waitActive(t, "COPY t FROM STDIN", 20*time.Second)
			time.Sleep(300 * time.Millisecond) // into the rows
			p.signal(sig)
			res := p.wait(30 * time.Second)
			noneRunning(t, db, "COPY")
			if res.Code != 130 {
				t.Errorf("exit %d, want 130", res.Code)
			}
			checkInterrupted(t, qruntest.ReadReport(t, report))
			if n := scalar[int64](t, db, "SELECT count(*) FROM t"); n != 0 {
				t.Errorf("t has %d rows after the interrupted COPY, want 0", n)
			}
			noTemp(t, dir)
		})
		t.Run(sig.String()+" while connecting", func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			x := newToxi(t, db.URL)
			x.Add(t, "hole", "timeout", "upstream", `{"timeout":0}`)
			table, first := witness(0)
			path := qruntest.WriteFile(t, "w.sql", "-- name: quick\n"+first)
			dir := t.TempDir()
			report := filepath.Join(dir, "report.json")
			p := startQrun(t, call{Args: []string{"--connect-timeout", "30s", "--format", "json", "-o", report, path}, DB: x.URL(t, db.URL)})
			time.Sleep(1500 * time.Millisecond) // waiting for the server's answer by now
			sent := time.Now()
			p.signal(sig)
			res := p.wait(40 * time.Second)
			if d := time.Since(sent); d > 5*time.Second {
				t.Errorf("qrun took %v to exit after %s while connecting", d, sig)
			}
			if res.Code != 130 {
				t.Errorf("exit %d, want 130", res.Code)
			}
			r := qruntest.ReadReport(t, report)
			if !r.Interrupted {
				t.Error("report: interrupted is false")
			}
			if q := qruntest.Query(t, r, "quick"); q.Status != result.StatusNotRun {
				t.Errorf("quick: status %s, want not_run", q.Status)
			}
			if db.tableExists(t, table) {
				t.Error("the witness table exists")
			}
			noTemp(t, dir)
		})
	}
}

// TestMaxTimeWhileConnecting ends the run with --max-time while qrun still waits for a
// server that never answers: exit 130 within a few seconds, and the (empty,
// interrupted) report is written.
func TestMaxTimeWhileConnecting(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	x := newToxi(t, db.URL)
	x.Add(t, "hole", "timeout", "upstream", `{"timeout":0}`)
	table, first := witness(0)
	path := qruntest.WriteFile(t, "w.sql", "-- name: quick\n"+first)
	dir := t.TempDir()
	report := filepath.Join(dir, "report.json")
	res := qrunCall(t, call{Args: []string{"--max-time", "1s", "--connect-timeout", "30s", "--format", "json", "-o", report, path}, DB: x.URL(t, db.URL), Limit: 30 * time.Second})
	if res.Code != 130 {
		t.Errorf("exit %d, want 130", res.Code)
	}
	if res.Elapsed > 6*time.Second {
		t.Errorf("qrun took %v with --max-time 1s", res.Elapsed)
	}
	r := qruntest.ReadReport(t, report)
	if q := qruntest.Query(t, r, "quick"); !r.Interrupted || q.Status != result.StatusNotRun {
		t.Errorf("report: interrupted %v, quick %s; want true, not_run", r.Interrupted, q.Status)
	}
	if db.tableExists(t, table) {
		t.Error("the witness table exists")
	}
	noTemp(t, dir)
}

// TestClosedStderr runs with --verbose while the reader of qrun's stderr has gone: the
// narration's writes fail (SIGPIPE, EPIPE), and the run goes on to its end and its
// report, exit 0.
func TestClosedStderr(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	var sql strings.Builder
	for i := range 10 {
		fmt.Fprintf(&sql, "-- name: q%d\nSELECT pg_sleep(0.1);\n", i)
	}
	path := qruntest.WriteFile(t, "s.sql", sql.String())
	report := filepath.Join(t.TempDir(), "report.json")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // nobody reads stderr
	cmd := exec.Command(binary(t), "--verbose", "--format", "json", "-o", report, path)
	cmd.Env = environ(t, call{DB: db.URL})
	cmd.Dir = t.TempDir()
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	res := wait(t, cmd, 60*time.Second)
	if res.Code != 0 {
		t.Fatalf("exit %d, want 0 (141 is death by SIGPIPE)", res.Code)
	}
	rep := qruntest.ReadReport(t, report)
	if rep.Interrupted {
		t.Error("report: interrupted, want a whole run")
	}
	for _, q := range rep.Queries {
		if q.Status != result.StatusOK {
			t.Errorf("%s: status %s, want ok", q.Name, q.Status)
		}
	}
}

// TestInterruptBlackHole interrupts a statement whose connection has gone silent (every
// answer of the server dropped): qrun cannot hear the cancel's outcome, and still exits
// within --connect-timeout + 2 s of the SIGINT, with its report.
func TestInterruptBlackHole(t *testing.T) {
	t.Parallel()
	for _, mode := range [][]string{nil, {"--parallel", "-c", "2"}} {
		t.Run(fmt.Sprint(mode), func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			checkConnectionCheck(t, db)
			x := newToxi(t, db.URL)
			mark := "qrun-e2e-hole-" + fmt.Sprint(len(mode))
			path := qruntest.WriteFile(t, "long.sql", strings.Replace(interruptSQL, "MARK", mark, 1))
			dir := t.TempDir()
			report := filepath.Join(dir, "report.json")
			args := append([]string{"--connect-timeout", "1s", "--format", "json", "-o", report}, mode...)
			p := startQrun(t, call{Args: append(args, path), DB: x.URL(t, db.URL)})
			db.waitActive(t, mark, 20*time.Second)
			x.Add(t, "hole", "timeout", "downstream", `{"timeout":0}`)
			x.Add(t, "hole-up", "timeout", "upstream", `{"timeout":0}`)
			sent := time.Now()
			p.signal(syscall.SIGINT)
			res := p.wait(40 * time.Second)
			if d := time.Since(sent); d > 3*time.Second {
				t.Errorf("qrun took %v to exit after SIGINT on a black-holed connection, want at most --connect-timeout 1s + 2s", d)
			}
			if res.Code != 130 {
				t.Errorf("exit %d, want 130", res.Code)
			}
			r := qruntest.ReadReport(t, report)
			if !r.Interrupted {
				t.Error("report: interrupted is false")
			}
			noTemp(t, dir)
			x.Remove(t, "hole")
			x.Remove(t, "hole-up")
		})
	}
	// --max-time ends the run as SIGINT does, a --timeout of its own on the statement
	// included: the cancel gets the stopped run's short grace, not a timeout's.
	t.Run("--max-time with --timeout", func(t *testing.T) {
		t.Parallel()
		db := newDB(t)
		checkConnectionCheck(t, db)
		x := newToxi(t, db.URL)
		mark := "qrun-e2e-hole-max-time"
		path := qruntest.WriteFile(t, "long.sql", strings.Replace(interruptSQL, "MARK", mark, 1))
		report := filepath.Join(t.TempDir(), "report.json")
		p := startQrun(t, call{Args: []string{"--max-time", "3s", "--timeout", "60s", "--connect-timeout", "1s", "--format", "json", "-o", report, path}, DB: x.URL(t, db.URL)})
		db.waitActive(t, mark, 20*time.Second)
		x.Add(t, "hole", "timeout", "downstream", `{"timeout":0}`)
		x.Add(t, "hole-up", "timeout", "upstream", `{"timeout":0}`)
		res := p.wait(40 * time.Second)
		// 3 s of --max-time from the start, then at most --connect-timeout + 2 s.
		if res.Elapsed > 6*time.Second {
			t.Errorf("qrun took %v with --max-time 3s on a black-holed connection", res.Elapsed)
		}
		if res.Code != 130 {
			t.Errorf("exit %d, want 130", res.Code)
		}
		if r := qruntest.ReadReport(t, report); !r.Interrupted {
			t.Error("report: interrupted is false")
		}
		x.Remove(t, "hole")
		x.Remove(t, "hole-up")
	})
}

// TestNohup starts qrun with SIGHUP ignored, as nohup does: a SIGHUP then leaves the run
// alone, to its end and exit 0.
func TestNohup(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	path := qruntest.WriteFile(t, "s.sql", "-- name: a\nSELECT pg_sleep(1) /* qrun-e2e-nohup */;\n-- name: b\nSELECT 1;\n")
	report := filepath.Join(t.TempDir(), "report.json")
	nohup, err := exec.LookPath("nohup")
	if err != nil {
		t.Skip("no nohup")
	}
	cmd := exec.Command(nohup, binary(t), "--format", "json", "-o", report, path)
	cmd.Env = environ(t, call{DB: db.URL})
	cmd.Dir = t.TempDir()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	db.waitActive(t, "qrun-e2e-nohup", 20*time.Second)
	cmd.Process.Signal(syscall.SIGHUP)
	res := wait(t, cmd, 30*time.Second)
	if res.Code != 0 {
		t.Errorf("exit %d, want 0: SIGHUP under nohup must be ignored", res.Code)
	}
	if r := qruntest.ReadReport(t, report); r.Interrupted {
		t.Error("report: interrupted")
	}
}
