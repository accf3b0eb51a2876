package runner

import (
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/result"
)

// TestTimeoutReportsTheCancel: --timeout reports the time until the cancel took effect
// on the server — the timeout and the cancel request's round trip — and not the settle
// wait that follows it (cancel.go); the next statement still runs untouched by it. The
// bar is the issue's: --timeout 100ms on pg_sleep(2) under 150 ms. The best of three
// tries is taken, so that a loaded machine's scheduling does not decide it.
func TestTimeoutReportsTheCancel(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	tests := []struct {
		name string
		srcs []src
		unit int // the unit that times out
	}{
		{"statement", []src{{name: "slow", sql: "SELECT pg_sleep(2);"}, {name: "next", sql: "SELECT 1;"}}, 0},
		{"in a transaction block", []src{{name: "tx", sql: "BEGIN;"}, {sql: "SELECT pg_sleep(2);"}, {sql: "COMMIT;"}, {name: "next", sql: "SELECT 1;"}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := connect(t, url, Config{}, Options{Timeout: 100 * time.Millisecond})
			p := buildPlan(t, false, tt.srcs...)
			best := 1e9
			for range 3 {
				r := run(t, tg, p)
				q := r.Queries[tt.unit]
				if q.Status != result.StatusTimeout {
					t.Fatalf("status %s (error %+v), want timeout", q.Status, q.Error)
				}
				if last := r.Queries[len(r.Queries)-1]; last.Status != result.StatusOK {
					t.Fatalf("the next statement: %s (error %+v), want ok: the cancel must not reach it", last.Status, last.Error)
				}
				if q.WallMs < 100 || q.EndMs-q.StartMs < 100 {
					t.Errorf("wall %.1f ms, want at least the 100 ms timeout", q.WallMs)
				}
				for _, sq := range q.Statements {
					if sq.EndMs > q.EndMs+0.001 {
						t.Errorf("statement %s ends at %.1f ms, after its block's %.1f ms", sq.Name, sq.EndMs, q.EndMs)
					}
				}
				best = min(best, q.WallMs)
			}
			t.Logf("best of 3: %.1f ms", best)
			if best >= 150 {
				t.Errorf("--timeout 100ms reported %.1f ms at best, want under 150 ms (the settle wait is not the statement's)", best)
			}
		})
	}
}

// TestTimeoutPerStatementInBlock checks that --timeout bounds each statement of a
// transaction block, not the block: three statements each under the timeout make a block
// longer than it that still commits; a statement over it times out alone.
func TestTimeoutPerStatementInBlock(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	exec(t, admin(t, url), "CREATE TABLE t (x int)")
	for _, parallel := range []bool{false, true} {
		p := buildPlan(t, parallel,
			src{name: "long_block", sql: "BEGIN;"},
			src{sql: "SELECT pg_sleep(0.4);"},
			src{sql: "SELECT pg_sleep(0.4);"},
			src{sql: "INSERT INTO t VALUES (1);"},
			src{sql: "SELECT pg_sleep(0.4);"},
			src{sql: "COMMIT;"},
			src{name: "slow_block", sql: "BEGIN;"},
			src{sql: "INSERT INTO t VALUES (2);"},
			src{sql: "SELECT pg_sleep(30);"},
			src{sql: "COMMIT;"},
		)
		r := run(t, connect(t, url, Config{}, Options{Parallel: parallel, Concurrency: 1, Timeout: time.Second}), p)
		long, slow := r.Queries[0], r.Queries[1]
		if long.Status != result.StatusOK || long.WallMs < 1000 {
			t.Errorf("parallel %v: long_block %s in %.0f ms (error %+v), want ok in over 1000 ms: three statements of 400 ms each under --timeout 1s", parallel, long.Status, long.WallMs, long.Error)
		}
		// Line 11 of t.sql: the two "-- name:" lines come before the pg_sleep(30).
		if slow.Status != result.StatusTimeout || slow.Error == nil || slow.Error.Position != "t.sql:11:1" {
			t.Errorf("parallel %v: slow_block %s, error %+v; want timeout at t.sql:11:1", parallel, slow.Status, slow.Error)
		}
		// The rest of the block is not sent after a timeout (do rolls it back).
		want := []result.Status{result.StatusOK, result.StatusOK, result.StatusTimeout, result.StatusNotRun}
		for i, st := range want {
			if got := slow.Statements[i].Status; got != st {
				t.Errorf("parallel %v: slow_block statement %d: %s, want %s", parallel, i+1, got, st)
			}
		}
	}
	if n := scalar[int64](t, url, "SELECT count(*) FROM t WHERE x = 1"); n != 2 {
		t.Errorf("got %d rows of the long block, want 2 (it committed in both runs)", n)
	}
	if n := scalar[int64](t, url, "SELECT count(*) FROM t WHERE x = 2"); n != 0 {
		t.Errorf("got %d rows of the timed-out block, want 0", n)
	}
}
