//go:build unix

package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/internal/qruntest"
	"github.com/qrunhq/qrun/result"
)

// Issue 13: a real primary and streaming replica (initdb + pg_basebackup -R on loopback
// ports, made by the test) as targets.

func newCluster(t *testing.T) *pgtest.Cluster {
	t.Helper()
	c := pgtest.NewCluster(t)
	c.Primary.Exec(t, "CREATE TABLE items AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 5000) g")
	c.WaitReplay(t)
	return c
}

const readSQL = "SELECT count(*) FROM items WHERE v LIKE 'a%';\nSELECT max(id) FROM items;\n"

func TestReplicas(t *testing.T) {
	c := newCluster(t)
	read := qruntest.WriteFile(t, "read.sql", readSQL)
	write := qruntest.WriteFile(t, "write.sql", "INSERT INTO items VALUES (0, 'x');\n")
	portOf := func(r result.Report) []string { return r.Context.Connections }

	t.Run("primary and replica side by side", func(t *testing.T) {
		o := qrun(t, "", "--runs", "3", "-d", c.Primary.URL, "-d", c.Replica.URL, "--format", "json", read)
		if o.Code != 0 {
			t.Fatalf("exit %d\n%s", o.Code, o.Stderr)
		}
		r := qruntest.Decode(t, o.Stdout)
		if len(r.Targets) != 2 || len(r.Comparison) != 1 {
			t.Fatalf("%d targets and %d comparisons, want 2 and 1", len(r.Targets), len(r.Comparison))
		}
		if got := portOf(r.Targets[1]); len(got) != 1 || got[0] != c.Replica.HostPort() {
			t.Errorf("second target reached %v, want the replica %s", got, c.Replica.HostPort())
		}
	})

	t.Run("read-only on the standby", func(t *testing.T) {
		if o := qrun(t, "", "--read-only", "-d", c.Replica.URL, read); o.Code != 0 {
			t.Errorf("reads on the standby: exit %d\n%s", o.Code, o.Stderr)
		}
		o := qrun(t, "", "--read-only", "-d", c.Replica.URL, "--format", "json", write)
		if o.Code != 1 {
			t.Fatalf("a write on the standby: exit %d, want 1", o.Code)
		}
		if q := qruntest.Decode(t, o.Stdout).Queries[0]; q.Error == nil || q.Error.SQLState != "25006" {
			t.Errorf("a write on the standby: %+v, want SQLSTATE 25006", q.Error)
		}
	})

	t.Run("multi-host DSN with target_session_attrs", func(t *testing.T) {
		for _, tt := range []struct{ attrs, want string }{
			{"read-write", c.Primary.HostPort()},
			{"standby", c.Replica.HostPort()},
		} {
			dsn := fmt.Sprintf("host=127.0.0.1,127.0.0.1 port=%d,%d user=postgres dbname=postgres sslmode=disable target_session_attrs=%s",
				c.Replica.Port, c.Primary.Port, tt.attrs)
			o := qrun(t, "", "--parallel", "-c", "2", "-d", dsn, "--format", "json", read)
			if o.Code != 0 {
				t.Fatalf("%s: exit %d\n%s", tt.attrs, o.Code, o.Stderr)
			}
			if got := portOf(qruntest.Decode(t, o.Stdout)); len(got) != 2 || got[0] != tt.want || got[1] != tt.want {
				t.Errorf("%s: connections reached %v, want both on %s", tt.attrs, got, tt.want)
			}
		}
	})

	t.Run("one pool spread over both nodes", func(t *testing.T) {
		o := qrun(t, "", "--parallel", "-c", "4", "--spread", c.Primary.HostPort()+","+c.Replica.HostPort(),
			"-d", c.Primary.URL, "--runs", "2", "--format", "json", read)
		if o.Code != 0 {
			t.Fatalf("exit %d\n%s", o.Code, o.Stderr)
		}
		got := slices.Clone(portOf(qruntest.Decode(t, o.Stdout)))
		slices.Sort(got)
		want := []string{c.Primary.HostPort(), c.Primary.HostPort(), c.Replica.HostPort(), c.Replica.HostPort()}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("--spread: connections reached %v, want two on each node %v", got, want)
		}
	})
}

// A primary restarted, or a replica promoted, in the middle of a run: the statement that
// was running fails, the report is complete, and nothing hangs.
func TestFailoverMidRun(t *testing.T) {
	c := newCluster(t)
	var b strings.Builder
	for i := range 60 {
		fmt.Fprintf(&b, "-- name: s%d\nSELECT pg_sleep(0.05);\n", i)
	}
	work := qruntest.WriteFile(t, "work.sql", b.String())
	dsn := fmt.Sprintf("host=127.0.0.1,127.0.0.1 port=%d,%d user=postgres dbname=postgres sslmode=disable target_session_attrs=read-write connect_timeout=2",
		c.Primary.Port, c.Replica.Port)

	check := func(t *testing.T, o out) {
		t.Helper()
		if o.Code != 1 {
			t.Fatalf("exit %d, want 1 (a statement failed)\n%s", o.Code, o.Stderr)
		}
		r := qruntest.Decode(t, o.Stdout)
		if len(r.Queries) != 60 {
			t.Fatalf("%d statements in the report, want 60", len(r.Queries))
		}
		var failed, ok int
		for _, q := range r.Queries {
			switch q.Status {
			case result.StatusOK:
				ok++
			case result.StatusError:
				failed++
			case result.StatusNotRun, result.StatusSkipped:
			default:
				t.Errorf("%s: status %s: the report is not complete", q.Name, q.Status)
			}
		}
		if failed == 0 || ok == 0 {
			t.Errorf("%d failed and %d ok: want the run to have gone on both sides of the failover", failed, ok)
		}
		t.Logf("%d ok, %d failed, in %v", ok, failed, o.Elapsed)
	}

	t.Run("primary restart", func(t *testing.T) {
		cmd, stdout, stderr := command(t, call{Args: []string{"--format", "json", "--connect-timeout", "5s", "--retries", "2", "--reconnect", "-d", dsn, work}})
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(700 * time.Millisecond)
		c.Primary.Restart(t)
		r := wait(t, cmd, 60*time.Second)
		r.Stdout, r.Stderr, r.Elapsed = stdout.String(), stderr.String(), time.Since(start)
		checkSane(t, r)
		check(t, r)
	})

	t.Run("promotion", func(t *testing.T) {
		cmd, stdout, stderr := command(t, call{Args: []string{"--format", "json", "--connect-timeout", "5s", "--retries", "2", "--reconnect", "-d", dsn, work}})
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(700 * time.Millisecond)
		c.Primary.Stop(t)
		c.Promote(t)
		r := wait(t, cmd, 60*time.Second)
		r.Stdout, r.Stderr, r.Elapsed = stdout.String(), stderr.String(), time.Since(start)
		checkSane(t, r)
		check(t, r)
		if r.Elapsed > 30*time.Second {
			t.Errorf("took %v: a failover must cost at most a connect timeout or two", r.Elapsed)
		}
	})
}
