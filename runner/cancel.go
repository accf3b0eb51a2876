package runner

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
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

// stopGrace is cancelGrace for a run that was stopped (Ctrl-C, a signal, --max-time,
// --stop-on-error) rather than a statement that timed out: the user waits for the exit,
// so a server that does not answer the cancel has one second, after which the socket's
// deadline ends the statement and its connection.
const stopGrace = time.Second

// runStopKey is the context key under which a run's stopCtx carries itself, so that a
// statement's context can tell the run's end (Ctrl-C, --max-time) from its own timeout.
type runStopKey struct{}

// withRunStop returns stop carrying itself under runStopKey.
func withRunStop(stop context.Context) context.Context {
	return context.WithValue(stop, runStopKey{}, stop)
}

// runStopped reports whether the run that ctx belongs to has been stopped.
func runStopped(ctx context.Context) bool {
	stop, ok := ctx.Value(runStopKey{}).(context.Context)
	return ok && stop.Err() != nil
}

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
	deadline := time.Now().Add(stopGrace)
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

// Per-statement timeouts.
//
// With a --timeout each statement runs on a context of its own, and the connection's
// context watcher cancels it on the server when that context ends. pgconn's
// CancelRequestContextWatcherHandler does that, but it waits the 100ms settle inside the
// Exec, after the server's reply: the statement would be reported about 100ms longer
// than it ran. cancelHandler is the same handler — the deadline cancelGrace ahead, the
// cancel request, then cancelSettle before the connection is used again — that also
// notes, on the run's clock, when the server's reply to the cancelled statement had
// been read. replyEnd gives the statement that end instead of the one after the wait.

// cancelHandlerKey is the key of a connection's cancelHandler in its CustomData.
const cancelHandlerKey = "qrun.cancelHandler"

// cancelHandler implements ctxwatch.Handler for one connection.
type cancelHandler struct {
	pc  *pgconn.PgConn
	now func() time.Time

	done    chan struct{} // closed when the cancel request and the settle are over
	stop    context.CancelFunc
	mu      sync.Mutex
	replyAt time.Time // when the reply to the last cancelled statement had been read
}

// newCancelHandlers returns the BuildContextWatcherHandler of a pool whose clock is now.
func newCancelHandlers(now func() time.Time) func(*pgconn.PgConn) ctxwatch.Handler {
	return func(pc *pgconn.PgConn) ctxwatch.Handler {
		h := &cancelHandler{pc: pc, now: now}
		pc.CustomData()[cancelHandlerKey] = h
		return h
	}
}

// HandleCancel sets the socket's deadline cancelGrace ahead and sends a cancel request,
// as pgconn's handler does.
func (h *cancelHandler) HandleCancel(ctx context.Context) {
	grace := cancelGrace
	if runStopped(ctx) || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		grace = stopGrace // the run was stopped (--max-time too), not the statement timed out
	}
	deadline := time.Now().Add(grace)
	_ = h.pc.Conn().SetDeadline(deadline)
	ctx, stop := context.WithDeadline(context.Background(), deadline)
	h.done, h.stop = make(chan struct{}), stop
	go func() {
		defer close(h.done)
		// An error means the request did not reach the server; the deadline ends the
		// statement then.
		_ = h.pc.CancelRequest(ctx)
		stop()
		// The request travels on a connection of its own: give it time to reach the
		// backend before the connection is used again (pgconn waits the same).
		time.Sleep(cancelSettle)
	}()
}

// HandleUnwatchAfterCancel runs once the reply to the cancelled statement has been read:
// it notes when, then waits for the cancel request and the settle, and clears the
// deadline.
func (h *cancelHandler) HandleUnwatchAfterCancel() {
	at := h.now()
	h.mu.Lock()
	h.replyAt = at
	h.mu.Unlock()
	<-h.done
	h.stop()
	_ = h.pc.Conn().SetDeadline(time.Time{})
}

// replyEnd is when a statement sent at begin on pc ended, given that it returned at t:
// t itself, or, when the statement was cancelled by its context (a --timeout), the
// moment the server's reply had been read, before the settle that followed. Both times
// are on the clock of the pool's Options.Now.
func replyEnd(pc *pgconn.PgConn, begin, t time.Time) time.Time {
	h, ok := pc.CustomData()[cancelHandlerKey].(*cancelHandler)
	if !ok {
		return t
	}
	h.mu.Lock()
	at := h.replyAt
	h.mu.Unlock()
	if at.Before(begin) || at.After(t) {
		return t // the last cancel was of an earlier statement
	}
	return at
}
