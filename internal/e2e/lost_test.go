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

// lostSQL sets the session's search_path, runs a statement whose backend the test
// kills, then drops "victim": on the session the file set up that is s1.victim; on a
// fresh session it would be public.victim.
const lostSQL = `-- name: path
SET search_path = s1;
-- name: long
SELECT pg_sleep(60) /* qrun-e2e-lost */;
-- name: drop
DROP TABLE victim;
`

// TestLostConnection kills the backend of a running statement. Sequential mode ends the
// run there, as psql does (the rest not run, exit 1) and nothing is dropped; with
// --reconnect it goes on, on a fresh session; parallel mode replays the session's
// settings on the connection that replaces the lost one, so s1.victim is dropped.
func TestLostConnection(t *testing.T) {
	t.Parallel()
	// Without the file's SET: --setup sets the search_path, on every connection as it
	// opens, the replacement included.
	setupSQL := lostSQL[strings.Index(lostSQL, "-- name: long"):]
	tests := []struct {
		name   string
		sql    string
		args   []string
		drop   result.Status
		public bool // public.victim still exists afterwards
		s1     bool // s1.victim still exists afterwards
	}{
		{"sequential", lostSQL, nil, result.StatusNotRun, true, true},
		{"sequential -1", lostSQL, []string{"-1"}, result.StatusNotRun, true, true},
		{"sequential --reconnect", lostSQL, []string{"--reconnect"}, result.StatusOK, false, true},
		{"sequential --reconnect --setup", setupSQL, []string{"--reconnect", "--setup", "SET search_path = s1"}, result.StatusOK, true, false},
		{"parallel -c 1", lostSQL, []string{"--parallel", "-c", "1"}, result.StatusOK, true, false},
		{"parallel -c 2", lostSQL, []string{"--parallel", "-c", "2"}, result.StatusOK, true, false},
		{"parallel --setup", setupSQL, []string{"--parallel", "-c", "2", "--setup", "SET search_path = s1"}, result.StatusOK, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			db.exec(t, "CREATE SCHEMA s1; CREATE TABLE s1.victim (x int); CREATE TABLE public.victim (x int)")
			path := qruntest.WriteFile(t, "lost.sql", tt.sql)
			report := filepath.Join(t.TempDir(), "report.json")
			p := startQrun(t, call{Args: append(append([]string{"--format", "json", "-o", report}, tt.args...), path), DB: db.URL})
			db.terminateWhenActive(t, "qrun-e2e-lost")
			res := p.wait(30 * time.Second)
			if res.Code != 1 {
				t.Errorf("exit %d, want 1", res.Code)
			}
			r := qruntest.ReadReport(t, report)
			if q := qruntest.Query(t, r, "long"); q.Status != result.StatusError {
				t.Errorf("long: status %s, want error", q.Status)
			}
			if q := qruntest.Query(t, r, "drop"); q.Status != tt.drop {
				t.Errorf("drop: status %s (%s, error %+v), want %s", q.Status, q.Reason, q.Error, tt.drop)
			}
			if got := db.tableExists(t, "public.victim"); got != tt.public {
				t.Errorf("public.victim exists: %v, want %v", got, tt.public)
			}
			if got := db.tableExists(t, "s1.victim"); got != tt.s1 {
				t.Errorf("s1.victim exists: %v, want %v", got, tt.s1)
			}
		})
	}
}

// TestLostSession kills the connection of a session group (a temporary table and the
// statements that use it) in parallel mode: the group's later statements are not moved
// to the new connection, where "victim" would be the permanent table.
func TestLostSession(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	db.exec(t, "CREATE TABLE public.victim (x int)")
	sql := `-- name: temp
CREATE TEMP TABLE victim (x int);
-- name: long
SELECT pg_sleep(60), count(*) FROM victim /* qrun-e2e-lost-session */;
-- name: drop
DROP TABLE victim;
`
	path := qruntest.WriteFile(t, "session.sql", sql)
	report := filepath.Join(t.TempDir(), "report.json")
	p := startQrun(t, call{Args: []string{"--parallel", "-c", "2", "--format", "json", "-o", report, path}, DB: db.URL})
	db.terminateWhenActive(t, "qrun-e2e-lost-session")
	res := p.wait(30 * time.Second)
	if res.Code != 1 {
		t.Errorf("exit %d, want 1", res.Code)
	}
	r := qruntest.ReadReport(t, report)
	if q := qruntest.Query(t, r, "drop"); q.Status != result.StatusSkipped {
		t.Errorf("drop: status %s (%s, error %+v), want skipped: a statement of the lost session must not run on another", q.Status, q.Reason, q.Error)
	}
	if !db.tableExists(t, "public.victim") {
		t.Error("public.victim was dropped")
	}
}

// TestReconnectBounded loses connections on a network that has gone silent: each
// reconnection is bounded by --connect-timeout, so the run ends in a few of them, not in
// the 15 s a dead connection's close used to hold the pool's slot for.
func TestReconnectBounded(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	checkConnectionCheck(t, db)
	x := newToxi(t, db.URL)
	sql := "-- name: victim\nSELECT pg_sleep(60) /* qrun-e2e-bounded */;\n"
	for i := range 3 {
		sql += fmt.Sprintf("-- name: after%d\nSELECT %d;\n", i, i)
	}
	path := qruntest.WriteFile(t, "bounded.sql", sql)
	report := filepath.Join(t.TempDir(), "report.json")
	p := startQrun(t, call{Args: []string{"--parallel", "-c", "1", "--timeout", "1s", "--connect-timeout", "1s", "--format", "json", "-o", report, path}, DB: x.URL(t, db.URL)})
	db.waitActive(t, "qrun-e2e-bounded", 20*time.Second)
	x.Add(t, "hole-down", "timeout", "downstream", `{"timeout":0}`)
	x.Add(t, "hole-up", "timeout", "upstream", `{"timeout":0}`)
	res := p.wait(60 * time.Second)
	if res.Code != 1 {
		t.Errorf("exit %d, want 1", res.Code)
	}
	// The timeout, its cancel's grace (3 s), then three reconnections of 1 s each.
	if res.Elapsed > 15*time.Second {
		t.Errorf("qrun took %v: a reconnection must cost about --connect-timeout", res.Elapsed)
	}
	r := qruntest.ReadReport(t, report)
	if q := qruntest.Query(t, r, "victim"); q.Status != result.StatusTimeout {
		t.Errorf("victim: status %s, want timeout", q.Status)
	}
	for i := range 3 {
		if q := qruntest.Query(t, r, fmt.Sprintf("after%d", i)); q.Status != result.StatusError {
			t.Errorf("after%d: status %s, want error (no connection)", i, q.Status)
		}
	}
	x.Remove(t, "hole-down")
	x.Remove(t, "hole-up")
}
