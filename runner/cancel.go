package runner

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Interrupting a run without a context watcher per statement.
//
// pgconn watches the context of every Exec whose context can end: context.AfterFunc
// registers a callback with the context, allocates a channel and a closure, and Unwatch
// removes them again — about 4% of a SELECT 1 round trip in the CPU profile, and four of
// its allocations, paid by every statement although a run is interrupted at most once.
//
// So a statement with no --timeout runs on a context that never ends (stopCtx without
// its cancellation), and the run has a single watch on stopCtx instead: when it ends
// (Ctrl-C, --max-time, --stop-on-error) the watch sends a cancel request for every
// connection that is executing, exactly as pgconn's CancelRequestContextWatcherHandler
// would: it first sets the socket's deadline cancelGrace ahead, so that a server that
// does not answer (a black-holed network) still cannot hang the run, then sends the
// cancel request and waits cancelSettle. The statement ends with the server's 57014 or,
// at the deadline, with a network error that closes the connection. The worker waits for
// the cancel request before its connection is used again (a late cancel request would
// cancel the next statement) and clears the deadline.
//
// With a --timeout each statement has a context of its own anyway, and pgconn's watcher
// on it is kept: it cancels on the timeout and on stopCtx alike.

// cancelSettle is how long a cancel request is given to reach the backend after the
// server accepted it: the request travels on a connection of its own, so the backend may
// learn of it after the cancelled statement ended. pgconn's handler waits the same 100ms.
const cancelSettle = 100 * time.Millisecond

// guard is a worker's side of the run's watch: which connection, if any, is executing a
// statement on the never-ending context, and whether the watch cancelled it.
type guard struct {
	mu        sync.Mutex
	pc        *pgconn.PgConn  // executing on this connection; nil when idle
	cancelled <-chan struct{} // set by the watch: closed once its cancel request is done
}

// enter marks pc as executing. It returns stop's error, without marking anything, when
// the run has already stopped: nothing may be sent then, as pgconn would not send on a
// context that had ended. Because the watch runs only after stop has ended, a statement
// is either seen by the watch or sees stop's error here.
func (g *guard) enter(stop context.Context, pc *pgconn.PgConn) error {
	g.mu.Lock()
	if err := stop.Err(); err != nil {
		g.mu.Unlock()
		return err
	}
	g.pc = pc
	g.mu.Unlock()
	return nil
}

// leave marks the connection idle. If the watch cancelled what it was executing, leave
// waits until the cancel request is done and clears the socket's deadline.
func (g *guard) leave() {
	g.mu.Lock()
	pc, cancelled := g.pc, g.cancelled
	g.pc, g.cancelled = nil, nil
	g.mu.Unlock()
	if cancelled != nil {
		<-cancelled
		if !pc.IsClosed() {
			_ = pc.Conn().SetDeadline(time.Time{})
		}
	}
}

// cancel sends a cancel request for the statement the connection is executing, if it
// is executing one, in a goroutine that leave waits for.
func (g *guard) cancel() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pc == nil || g.cancelled != nil {
		return
	}
	pc := g.pc
	deadline := time.Now().Add(cancelGrace)
	_ = pc.Conn().SetDeadline(deadline)
	done := make(chan struct{})
	g.cancelled = done
	go func() {
		defer close(done)
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		// An error means the request did not reach the server; the deadline ends the
		// statement then.
		_ = pc.CancelRequest(ctx)
		cancel()
		time.Sleep(cancelSettle)
	}()
}

// watchStop makes the end of e.stopCtx cancel whatever the workers execute on the
// never-ending context. The returned function removes the watch; call it before the run
// cancels stopCtx itself at its end.
func (e *execution) watchStop(workers []*worker) (unwatch func() bool) {
	return context.AfterFunc(e.stopCtx, func() {
		for _, w := range workers {
			w.guard.cancel()
		}
	})
}
