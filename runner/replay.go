package runner

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/qrunhq/qrun/result"
)

// Session settings in parallel mode. A unit that changes session state (SET, SET ROLE,
// set_config(..., false)) is a barrier of the inferred graph (package deps): it runs on
// one connection while nothing else runs. Every other connection applies the same
// settings (Plan.Inferred.Replay) before it runs its next unit, outside the timings, so
// that every later statement sees the settings the sequential run would give it.

// replayUnits returns, in plan order, the units whose settings connections replay; nil
// when there are none. With one connection they matter too: a connection that replaces
// a lost one has none of the settings.
func (e *execution) replayUnits(workers int) []int {
	inf := e.p.Inferred
	if inf == nil || workers < 1 {
		return nil
	}
	var out []int
	for u, r := range inf.Replay {
		if len(r) > 0 {
			out = append(out, u)
		}
	}
	return out
}

// catchUp applies, on w's connection, the settings of every replayed unit before unit
// u that ended ok on another connection and that this connection has not applied yet.
// Replayed units are barriers, so each of them has ended before u could start.
func (w *worker) catchUp(ctx context.Context, e *execution, u int) error {
	pc := w.pgConn()
	if w.replayConn != pc {
		w.replayConn, w.replayed = pc, 0 // a new connection has applied nothing
	}
	for w.replayed < len(e.replays) && e.replays[w.replayed] < u {
		r := e.replays[w.replayed]
		w.replayed++
		if e.run.Queries[r].Status != result.StatusOK || e.ranOn[r] == pc {
			continue
		}
		for _, sql := range e.p.Inferred.Replay[r] {
			if _, err := pc.Exec(ctx, sql).ReadAll(); err != nil {
				return fmt.Errorf("applying %s (from %s) on connection %d: %w", sql, e.p.Units[r].Name(), w.n, err)
			}
		}
	}
	return nil
}

// ranReplay records that replayed unit u ran on pc, which then needs no replay of it.
func (w *worker) ranReplay(e *execution, u int, pc *pgconn.PgConn) {
	if e.ranOn != nil && e.p.Inferred != nil && len(e.p.Inferred.Replay[u]) > 0 {
		e.ranOn[u] = pc
	}
}
