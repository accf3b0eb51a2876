//go:build unix

package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/qruntest"
	"github.com/qrunhq/qrun/result"
)

// checkConnectionCheck makes the database's backends notice a vanished client within
// 100ms even in the middle of a query (PostgreSQL 14+), so that a reset connection
// does not leave a backend sleeping after the test.
func checkConnectionCheck(t *testing.T, db *testDB) {
	t.Helper()
	db.exec(t, fmt.Sprintf("ALTER DATABASE %s SET client_connection_check_interval = '100ms'", db.Name))
}

// TestLatency runs statements through 50ms of added latency: every statement's time
// includes it, and nothing else changes.
func TestLatency(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	x := newToxi(t, db.URL)
	x.Add(t, "lat", "latency", "downstream", `{"latency":50}`)
	var sql strings.Builder
	for i := range 5 {
		fmt.Fprintf(&sql, "-- name: q%d\nSELECT g FROM generate_series(1, %d) g;\n", i, 10*(i+1))
	}
	path := qruntest.WriteFile(t, "latency.sql", sql.String())
	for _, mode := range [][]string{nil, {"--parallel", "-c", "2"}} {
		args := append(append([]string{"--format", "json"}, mode...), path)
		res := qrun(t, x.URL(t, db.URL), args...)
		if res.Code != 0 {
			t.Fatalf("%v: exit %d, want 0", mode, res.Code)
		}
		r := qruntest.Decode(t, res.Stdout)
		for i, q := range r.Queries {
			if q.Status != result.StatusOK || q.Rows != int64(10*(i+1)) {
				t.Errorf("%v %s: status %s, rows %d; want ok, %d", mode, q.Name, q.Status, q.Rows, 10*(i+1))
			}
			if q.WallMs < 45 {
				t.Errorf("%v %s: wall %.1f ms through 50ms of latency, want at least 50", mode, q.Name, q.WallMs)
			}
		}
		if r.ConnectMs < 45 {
			t.Errorf("%v: connect %.1f ms through 50ms of latency", mode, r.ConnectMs)
		}
	}
}

// streamSQL is a statement that sends a row of 9,000 bytes every 50 ms for 30 s, so the
// server writes (and notices a reset) all the time.
func streamSQL(mark string) string {
	return "SELECT repeat('x', 9000), pg_sleep(0.05) FROM generate_series(1, 600) /* " + mark + " */;\n"
}

// TestResetMidStatement resets qrun's connection with toxiproxy's reset_peer toxic while
// a statement streams rows: one failed statement, not a hang, exit 1, a whole report.
func TestResetMidStatement(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	checkConnectionCheck(t, db)
	x := newToxi(t, db.URL)
	const mark = "qrun-e2e-reset-peer"
	path := qruntest.WriteFile(t, "reset.sql", "-- name: victim\n"+streamSQL(mark))
	report := filepath.Join(t.TempDir(), "report.json")
	p := startQrun(t, call{Args: []string{"--format", "json", "-o", report, path}, DB: x.URL(t, db.URL)})
	db.waitActive(t, mark, 20*time.Second)
	x.Add(t, "reset", "reset_peer", "downstream", `{"timeout":0}`)
	res := p.wait(30 * time.Second)
	if res.Code != 1 {
		t.Errorf("exit %d, want 1", res.Code)
	}
	if res.Elapsed > 25*time.Second {
		t.Errorf("qrun took %v: it waited for the statement instead of failing it", res.Elapsed)
	}
	r := qruntest.ReadReport(t, report)
	if q := qruntest.Query(t, r, "victim"); q.Status != result.StatusError || q.Error == nil || q.Error.Message == "" {
		t.Errorf("victim: status %s, error %+v; want error with a message", q.Status, q.Error)
	}
}

// TestResetOneConnection resets the connection of one statement among several in
// parallel mode (our own proxy aims at it): that statement fails, the others finish.
func TestResetOneConnection(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	checkConnectionCheck(t, db)
	px := newResetProxy(t, db.URL)
	const mark = "qrun-e2e-reset-one"
	sql := "-- name: victim\n" + streamSQL(mark) + `-- name: a
SELECT pg_sleep(1);
-- name: b
SELECT 1;
-- name: c
SELECT count(*) FROM generate_series(1, 1000);
`
	path := qruntest.WriteFile(t, "reset.sql", sql)
	report := filepath.Join(t.TempDir(), "report.json")
	p := startQrun(t, call{Args: []string{"--parallel", "-c", "2", "--format", "json", "-o", report, path}, DB: px.URL(t, db.URL)})
	b := db.waitActive(t, mark, 20*time.Second)
	if err := px.reset(clientPort(t, db, b.PID)); err != nil {
		t.Fatal(err)
	}
	res := p.wait(30 * time.Second)
	if res.Code != 1 {
		t.Errorf("exit %d, want 1", res.Code)
	}
	r := qruntest.ReadReport(t, report)
	if q := qruntest.Query(t, r, "victim"); q.Status != result.StatusError || q.Error == nil {
		t.Errorf("victim: status %s, error %+v; want error", q.Status, q.Error)
	}
	for _, name := range []string{"a", "b", "c"} {
		if q := qruntest.Query(t, r, name); q.Status != result.StatusOK {
			t.Errorf("%s: status %s, want ok (error %+v)", name, q.Status, q.Error)
		}
	}
}

// TestBlackHole drops every answer of the server while a statement runs: --timeout
// catches it. With the black hole in place before qrun starts, --connect-timeout does.
func TestBlackHole(t *testing.T) {
	t.Parallel()
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		db := newDB(t)
		x := newToxi(t, db.URL)
		const mark = "qrun-e2e-black-hole"
		path := qruntest.WriteFile(t, "hole.sql", "-- name: victim\nSELECT pg_sleep(60) /* "+mark+" */;\n")
		report := filepath.Join(t.TempDir(), "report.json")
		p := startQrun(t, call{Args: []string{"--timeout", "1s", "--format", "json", "-o", report, path}, DB: x.URL(t, db.URL)})
		db.waitActive(t, mark, 20*time.Second)
		x.Add(t, "hole", "timeout", "downstream", `{"timeout":0}`)
		res := p.wait(40 * time.Second)
		if res.Code != 1 {
			t.Errorf("exit %d, want 1", res.Code)
		}
		if res.Elapsed > 20*time.Second {
			t.Errorf("qrun took %v with --timeout 1s", res.Elapsed)
		}
		r := qruntest.ReadReport(t, report)
		if q := qruntest.Query(t, r, "victim"); q.Status != result.StatusTimeout {
			t.Errorf("victim: status %s, want timeout (error %+v)", q.Status, q.Error)
		}
	})
	t.Run("connect-timeout", func(t *testing.T) {
		t.Parallel()
		db := newDB(t)
		x := newToxi(t, db.URL)
		x.Add(t, "hole", "timeout", "upstream", `{"timeout":0}`)
		table, first := witness(0)
		path := qruntest.WriteFile(t, "w.sql", first)
		res := qrunCall(t, call{Args: []string{"--connect-timeout", "1s", path}, DB: x.URL(t, db.URL), Limit: 30 * time.Second})
		if res.Code != 2 {
			t.Errorf("exit %d, want 2", res.Code)
		}
		// The default connect timeout is 10s: well above this bound.
		if res.Elapsed > 7*time.Second {
			t.Errorf("qrun took %v with --connect-timeout 1s", res.Elapsed)
		}
		_, port, _ := strings.Cut(x.Addr, ":")
		if !strings.Contains(res.Stderr, port) {
			t.Errorf("stderr does not name the port %s:\n%s", port, res.Stderr)
		}
		if n := strings.Count(strings.TrimSpace(res.Stderr), "\n"); n > 2 {
			t.Errorf("stderr has %d lines, want one clear line", n+1)
		}
		if db.tableExists(t, table) {
			t.Error("the witness table exists")
		}
	})
}

// TestTerminatedBackend kills the backend of a running statement with
// pg_terminate_backend: that statement fails with 57P01; in parallel mode the others
// finish, in sequential mode the run ends there (psql's rule).
func TestTerminatedBackend(t *testing.T) {
	t.Parallel()
	for _, mode := range [][]string{nil, {"--parallel", "-c", "2"}} {
		name := "sequential"
		if mode != nil {
			name = "parallel"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			mark := "qrun-e2e-terminate-" + name
			sql := `-- name: victim
SELECT pg_sleep(60) /* ` + mark + ` */;
-- name: a
SELECT pg_sleep(0.5);
-- name: b
SELECT 1;
-- name: c
SELECT count(*) FROM generate_series(1, 1000);
`
			path := qruntest.WriteFile(t, "kill.sql", sql)
			report := filepath.Join(t.TempDir(), "report.json")
			args := append(append([]string{"--format", "json", "-o", report}, mode...), path)
			p := startQrun(t, call{Args: args, DB: db.URL})
			db.terminateWhenActive(t, mark)
			res := p.wait(30 * time.Second)
			if res.Code != 1 {
				t.Errorf("exit %d, want 1", res.Code)
			}
			r := qruntest.ReadReport(t, report)
			v := qruntest.Query(t, r, "victim")
			if v.Status != result.StatusError || v.Error == nil || v.Error.SQLState != "57P01" {
				t.Errorf("victim: status %s, error %+v; want error 57P01", v.Status, v.Error)
			}
			// Sequential mode ends at a lost connection, as psql does; parallel mode
			// replaces it and goes on.
			want, reason := result.StatusOK, ""
			if mode == nil {
				want, reason = result.StatusNotRun, "the connection to the server was lost"
			}
			for _, n := range []string{"a", "b", "c"} {
				if q := qruntest.Query(t, r, n); q.Status != want || q.Reason != reason {
					t.Errorf("%s: status %s (%q), want %s (%q) (error %+v)", n, q.Status, q.Reason, want, reason, q.Error)
				}
			}
		})
	}
}

// serializableSQL is write skew: each block reads the row the other one writes, so one
// of them must fail with 40001 when they overlap.
const serializableSQL = `-- name: tx1
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT v FROM t WHERE id = 1;
SELECT pg_sleep(0.5);
UPDATE t SET v = v + 1 WHERE id = 2;
COMMIT;
-- name: tx2
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT v FROM t WHERE id = 2;
SELECT pg_sleep(0.5);
UPDATE t SET v = v + 1 WHERE id = 1;
COMMIT;
`

// TestRetries provokes a serialization failure: with --retries it ends ok after more
// than one attempt, and each update is applied exactly once; without, it fails with 40001.
func TestRetries(t *testing.T) {
	t.Parallel()
	for _, retries := range []int{0, 3} {
		t.Run(fmt.Sprintf("retries %d", retries), func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			db.exec(t, "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL); INSERT INTO t VALUES (1, 10), (2, 20)")
			path := qruntest.WriteFile(t, "skew.sql", serializableSQL)
			// --deps none: the two blocks must race for the serialization failure (the
			// inferred graph would run them one after the other).
			args := []string{"--parallel", "--deps", "none", "-c", "2", "--format", "json"}
			if retries > 0 {
				args = append(args, "--retries", fmt.Sprint(retries))
			}
			res := qrun(t, db.URL, append(args, path)...)
			r := qruntest.Decode(t, res.Stdout)
			var failed, retried int
			for _, q := range r.Queries {
				t.Logf("%s: %s, attempts %d, error %+v", q.Name, q.Status, q.Attempts, q.Error)
				if q.Status != result.StatusOK {
					failed++
					if q.Error == nil || q.Error.SQLState != "40001" {
						t.Errorf("%s: error %+v, want 40001", q.Name, q.Error)
					}
				}
				if q.Attempts > 1 {
					retried++
				}
			}
			v1 := scalar[int32](t, db, "SELECT v FROM t WHERE id = 1")
			v2 := scalar[int32](t, db, "SELECT v FROM t WHERE id = 2")
			if retries == 0 {
				if res.Code != 1 || failed != 1 {
					t.Errorf("exit %d with %d failed block(s), want exit 1 and one block failed with 40001", res.Code, failed)
				}
				if (v1 == 11) == (v2 == 21) {
					t.Errorf("v1 %d, v2 %d: want exactly one block committed", v1, v2)
				}
				return
			}
			if res.Code != 0 || failed != 0 {
				t.Errorf("exit %d with %d failed block(s), want 0 and none", res.Code, failed)
			}
			if retried != 1 {
				t.Errorf("%d block(s) report attempts > 1, want 1", retried)
			}
			if v1 != 11 || v2 != 21 {
				t.Errorf("v1 %d, v2 %d; want 11, 21 (each update exactly once)", v1, v2)
			}
		})
	}
}

// TestTooManyConnections asks for more connections than the server allows: a clear
// error before anything runs, exit 2, and no connection left open.
func TestTooManyConnections(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	maxConn := scalar[int32](t, db, "SELECT current_setting('max_connections')::int")
	table, first := witness(0)
	path := qruntest.WriteFile(t, "w.sql", first+"SELECT 1;\n")
	res := qrunCall(t, call{Args: []string{"--parallel", "-c", fmt.Sprint(maxConn + 10), path}, DB: db.URL, Limit: 30 * time.Second})
	if res.Code != 2 {
		t.Errorf("exit %d, want 2", res.Code)
	}
	if db.tableExists(t, table) {
		t.Error("the witness table exists: statements ran")
	}
	if !strings.Contains(strings.ToLower(res.Stderr), "connection") {
		t.Errorf("stderr does not speak of connections:\n%s", res.Stderr)
	}
}

// TestNoRetryAfterSend resets the connection of a statement that has already committed
// its row (a procedure commits, then sleeps): with --retries it is still not sent again,
// whatever the error looks like: one row, one attempt, exit 1.
func TestNoRetryAfterSend(t *testing.T) {
	t.Parallel()
	for _, mode := range [][]string{{"--reconnect"}, {"--parallel", "-c", "1"}} {
		t.Run(strings.Join(mode, " "), func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			checkConnectionCheck(t, db)
			db.exec(t, `CREATE TABLE t (x int);
CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN INSERT INTO t VALUES (1); COMMIT; PERFORM pg_sleep(60); END $$`)
			px := newResetProxy(t, db.URL)
			path := qruntest.WriteFile(t, "call.sql", "-- name: call\nCALL p() /* qrun-e2e-sent */;\n-- name: after\nSELECT count(*) FROM t;\n")
			report := filepath.Join(t.TempDir(), "report.json")
			args := append([]string{"--retries", "3", "--format", "json", "-o", report}, mode...)
			p := startQrun(t, call{Args: append(args, path), DB: px.URL(t, db.URL)})
			b := db.waitActive(t, "qrun-e2e-sent", 20*time.Second)
			for deadline := time.Now().Add(10 * time.Second); scalar[int64](t, db, "SELECT count(*) FROM t") == 0 && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
			if err := px.reset(clientPort(t, db, b.PID)); err != nil {
				t.Fatal(err)
			}
			res := p.wait(30 * time.Second)
			if res.Code != 1 {
				t.Errorf("exit %d, want 1", res.Code)
			}
			q := qruntest.Query(t, qruntest.ReadReport(t, report), "call")
			if q.Status != result.StatusError || q.Attempts != 1 {
				t.Errorf("call: status %s after %d attempts, want error after 1", q.Status, q.Attempts)
			}
			if n := scalar[int64](t, db, "SELECT count(*) FROM t"); n != 1 {
				t.Errorf("t has %d rows, want 1: the sent statement was sent again", n)
			}
		})
	}
}
