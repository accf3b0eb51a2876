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
