package runner

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/result"
)

// proxied starts a TCP proxy on loopback in front of the server of dbURL and returns
// the proxy and dbURL pointed at it.
func proxied(t *testing.T, dbURL string) (*pgtest.Toxi, string) {
	t.Helper()
	px := pgtest.NewToxi(t, dbURL)
	return px, px.URL(t, dbURL)
}

func TestLatencyShowsInTimes(t *testing.T) {
	t.Parallel()
	px, u := proxied(t, pgtest.NewDatabase(t))
	tg := connect(t, u, Config{}, Options{})
	px.Add(t, "lat", "latency", "downstream", `{"latency":50}`)
	r := run(t, tg, buildPlan(t, false, src{sql: "SELECT 1;"}, src{sql: "SELECT 2;"}))
	for _, q := range r.Queries {
		if q.Status != result.StatusOK || q.WallMs < 45 {
			t.Errorf("%s: got %s in %.1f ms, want ok in at least 50 ms", q.Name, q.Status, q.WallMs)
		}
	}
}

func TestResetMidStatement(t *testing.T) {
	t.Parallel()
	px, u := proxied(t, pgtest.NewDatabase(t))
	tg := connect(t, u, Config{}, Options{})
	// The reply to the sleep is the next data down the wire: the reset hits mid-statement.
	px.Add(t, "reset", "reset_peer", "downstream", `{"timeout":0}`)
	start := time.Now()
	r := run(t, tg, buildPlan(t, false, src{sql: "SELECT pg_sleep(0.2);"}))
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("got %s, want the reset noticed at once", d)
	}
	if q := r.Queries[0]; q.Status != result.StatusError || q.Error == nil {
		t.Fatalf("got %s (%+v), want error", q.Status, q.Error)
	}
	px.Remove(t, "reset")
	// The broken connection was dropped; the next run gets a fresh one.
	if r := run(t, tg, buildPlan(t, false, src{sql: "SELECT 1;"})); statuses(r) != "ok" {
		t.Errorf("after the reset: got %q, want ok", statuses(r))
	}
}

func TestBlackHole(t *testing.T) {
	t.Parallel()
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		px, u := proxied(t, pgtest.NewDatabase(t))
		tg := connect(t, u, Config{}, Options{Timeout: 200 * time.Millisecond})
		px.Add(t, "hole", "timeout", "upstream", `{"timeout":0}`)
		start := time.Now()
		r := run(t, tg, buildPlan(t, false, src{sql: "SELECT 1;"}))
		if d := time.Since(start); d > cancelGrace+2*time.Second {
			t.Errorf("got %s, want the timeout plus the cancel grace at most", d)
		}
		if got := statuses(r); got != "timeout" {
			t.Errorf("got %q, want timeout", got)
		}
		// Let the pool close without waiting on connections into the hole.
		px.Remove(t, "hole")
	})
	// Without --timeout, statements run under the run's single watch (cancel.go): an
	// interrupt must still end a statement whose server has vanished, by the deadline.
	for _, parallel := range []bool{false, true} {
		name := "interrupt sequential"
		if parallel {
			name = "interrupt parallel"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			px, u := proxied(t, pgtest.NewDatabase(t))
			tg := connect(t, u, Config{}, Options{Parallel: parallel, Concurrency: 2})
			px.Add(t, "hole", "timeout", "upstream", `{"timeout":0}`)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			r, err := tg.Run(ctx, buildPlan(t, parallel, src{sql: "SELECT 1;"}, src{sql: "SELECT 2;"}))
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if d := time.Since(start); d > cancelGrace+2*time.Second {
				t.Errorf("got %s, want the interrupt plus the cancel grace at most", d)
			}
			if !r.Interrupted {
				t.Error("got Interrupted false, want true")
			}
			want := "cancelled not_run"
			if parallel {
				want = "cancelled cancelled"
			}
			if got := statuses(r); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
			px.Remove(t, "hole")
		})
	}
	t.Run("connect timeout", func(t *testing.T) {
		t.Parallel()
		px, u := proxied(t, pgtest.URL(t))
		px.Add(t, "hole", "timeout", "upstream", `{"timeout":0}`)
		start := time.Now()
		_, err := Connect(context.Background(), Config{ConnString: u, ConnectTimeout: 300 * time.Millisecond}, Options{})
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("got %s, want about the 300ms connect timeout", d)
		}
		var ce *ConnectError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "timed out") || !strings.Contains(err.Error(), px.Addr) {
			t.Errorf("got %v, want a ConnectError naming %s that timed out", err, px.Addr)
		}
	})
}
