package runner

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/result"
)

// job hands a unit to a worker; readyAt is when the unit could have started.
type job struct {
	unit    int
	readyAt time.Duration
}

// outcome is a worker's report that a unit ended. The worker has written the unit's
// result.Query; handing the outcome over under the run's mutex publishes it.
type outcome struct {
	unit int
	ok   bool
}

// execution is the state of one run. In parallel mode its fields other than the
// workers' own result.Query are guarded by the mutex of (*execution).parallel.
type execution struct {
	t       *Target
	p       *plan.Plan
	opts    *Options
	run     result.Run
	start   time.Time
	runNo   int
	stopCtx context.Context // ends on ctx or at --stop-on-error
	stop    context.CancelFunc
	// unwatched is stopCtx without its end: statements run on it when there is no
	// per-statement timeout, and the run's watch on stopCtx cancels them (cancel.go).
	unwatched context.Context
	userCtx   context.Context
	stopped   string // why dispatching stopped, for not_run reasons
	// interrupted reports that ctx ended while units were running or waiting.
	interrupted bool
	stageEnd    []time.Duration
	unitEnd     []time.Duration
	// replays lists the units whose session settings every connection applies
	// (replay.go); ranOn[u] is the connection that ran such a unit u.
	replays []int
	ranOn   []*pgconn.PgConn
	sess    *session // psql's variables and meta-commands, when the script has any at run time
	// connLost says the one connection of a sequential run died (without --reconnect):
	// the run ends there, as psql's does.
	connLost bool
}

func (t *Target) run(ctx context.Context, p *plan.Plan, runNo int) (result.Run, error) {
	opts := &t.opts
	if err := CheckInput(p, *opts); err != nil {
		return result.Run{}, err
	}
	workers, err := t.acquire(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return interrupted(p, opts.Now()), nil
		}
		return result.Run{}, err
	}
	defer func() {
		for _, w := range workers {
			w.release()
		}
	}()
	t.runs++

	e := &execution{
		t:       t,
		p:       p,
		opts:    opts,
		run:     Describe(p),
		runNo:   runNo,
		userCtx: ctx,
		unitEnd: make([]time.Duration, len(p.Units)),
	}
	for i := range e.run.Queries {
		e.run.Queries[i].Status = result.StatusNotRun
		e.run.Queries[i].Reason = "" // Describe's, for --dry-run
	}
	e.newSession(workers[0])
	e.stageEnd = make([]time.Duration, len(p.Stages)+1)
	if e.replays = e.replayUnits(len(workers)); e.replays != nil {
		e.ranOn = make([]*pgconn.PgConn, len(p.Units))
	}
	e.stopCtx, e.stop = context.WithCancel(ctx)
	e.stopCtx = withRunStop(e.stopCtx)
	defer e.stop()
	e.unwatched = context.WithoutCancel(e.stopCtx)
	if opts.Timeout == 0 {
		// Deferred after e.stop, so it runs before: the end of the run is no interruption.
		defer e.watchStop(workers)()
	}
	defer limitProcs(t.conns)()

	e.emit(result.Event{Kind: result.EventRunStart})
	if opts.SingleTransaction {
		// psql -1: the whole file in one transaction, opened and ended outside the times.
		if _, err := workers[0].pgConn().Exec(ctx, opts.begin()).ReadAll(); err != nil {
			return result.Run{}, redacted(fmt.Errorf("--single-transaction: BEGIN: %w", err))
		}
	}
	e.start = opts.Now()
	e.run.StartedAt = e.start
	var last time.Duration
	if len(workers) == 1 {
		last = e.sequential(workers[0])
	} else {
		last = e.parallel(workers)
	}
	if opts.SingleTransaction {
		if w := workers[0]; w.conn != nil && (w.side == nil || w.side.pc != nil) { // not lost
			endSingleTransaction(ctx, w.pgConn(), e.interrupted || e.userCtx.Err() != nil)
		}
	}
	e.run.WallMs = ms(last)
	e.finishNotRun()
	e.run.Interrupted = e.interrupted
	e.emit(result.Event{Kind: result.EventRunDone, Elapsed: last})
	return e.run, nil
}

// acquire takes the run's connections from the pool before the clock starts, and resets
// the sessions a previous run may have changed.
func (t *Target) acquire(ctx context.Context) ([]*worker, error) {
	workers := make([]*worker, t.conns)
	for i := range workers {
		c, err := t.pool.Acquire(ctx)
		if err != nil {
			for _, w := range workers[:i] {
				w.release()
			}
			return nil, redacted(fmt.Errorf("acquire connection: %w", err))
		}
		workers[i] = &worker{t: t, n: i + 1, conn: c}
		if t.runs > 0 {
			if err := t.reset(ctx, c); err != nil {
				for _, w := range workers[:i+1] {
					w.release()
				}
				return nil, redacted(fmt.Errorf("reset session: %w", err))
			}
		}
	}
	return workers, nil
}

// reset returns a session to its state after connecting, so that every run starts alike
// (a temporary table or SET from the previous run would change it).
func (t *Target) reset(ctx context.Context, c *pgxpool.Conn) error {
	pc := c.Conn().PgConn()
	if _, err := pc.Exec(ctx, "DISCARD ALL").ReadAll(); err != nil {
		return err
	}
	return runSetup(ctx, pc, t.setup)
}

// sequential runs the plan on one connection in the calling goroutine: no hop between
// goroutines per statement. It also serves --parallel with one connection.
func (e *execution) sequential(w *worker) time.Duration {
	s := plan.NewScheduler(e.p)
	var last time.Duration
	for s.Remaining() > 0 {
		e.checkInterrupt()
		if e.stopped != "" {
			break
		}
		u, ok := s.Next()
		if !ok {
			break
		}
		j := job{unit: u, readyAt: -1} // in file order, nothing waits
		if e.opts.Parallel {
			j.readyAt = e.readyAt(u) // --parallel -c 1: units wait for the connection
		}
		if !e.connectFor(w, u) { // \connect
			last = max(last, e.finish(s, outcome{unit: u}))
			continue
		}
		last = max(last, e.finish(s, w.do(e, j)))
		if e.connLost {
			e.checkInterrupt() // an interrupt that closed the connection says so instead
			if e.stopped == "" {
				e.stopped = "the connection to the server was lost"
			}
			break
		}
	}
	return last
}

// parallel runs the plan on a worker per connection. There is no dispatcher: each
// worker takes its next unit from the shared scheduler itself, under one mutex, in the
// same critical section in which it records the unit it has just finished. A statement
// then costs one uncontended lock instead of two channel hand-offs and a goroutine
// wake-up (docs/BENCHMARKS.md, target 2). A worker that finds nothing ready while
// others run waits on a condition variable; every finish wakes the waiting workers, and
// the last worker to find nothing running and nothing ready ends the run.
func (e *execution) parallel(workers []*worker) time.Duration {
	var (
		mu      sync.Mutex
		ready   = sync.NewCond(&mu)
		s       = plan.NewScheduler(e.p)
		running int
		last    time.Duration
		wg      sync.WaitGroup
	)
	// next returns the next unit for worker w to run, or false when it should end. mu is
	// held. A ready unit tied to another worker's session waits for that worker.
	next := func(w *worker) (job, bool) {
		for {
			if s.Remaining() > 0 {
				e.checkInterrupt()
			}
			if e.stopped == "" {
				if u, ok := s.NextFor(w.n); ok {
					running++
					return job{unit: u, readyAt: e.readyAt(u)}, true
				}
			}
			if running == 0 && (e.stopped != "" || s.Ready() == 0) {
				ready.Broadcast() // nothing running, nothing ready: done, stopped or skipped
				return job{}, false
			}
			ready.Wait()
		}
	}
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			for {
				j, ok := next(w)
				if !ok {
					return
				}
				mu.Unlock()
				o := w.do(e, j)
				mu.Lock()
				running--
				last = max(last, e.finish(s, o))
				ready.Broadcast()
			}
		}()
	}
	wg.Wait()
	return last
}

// checkInterrupt stops dispatching once ctx has ended.
func (e *execution) checkInterrupt() {
	if e.stopped == "" && e.userCtx.Err() != nil {
		e.stopped, e.interrupted = "interrupted", true
	}
}

// readyAt is when unit u became ready: its stage opened and its dependencies ended.
func (e *execution) readyAt(u int) time.Duration {
	unit := e.p.Units[u]
	var at time.Duration
	for _, end := range e.stageEnd[:unit.Stage] {
		at = max(at, end)
	}
	for _, d := range unit.After() {
		at = max(at, e.unitEnd[d])
	}
	return at
}

// finish records an ended unit with the scheduler and returns when it ended.
func (e *execution) finish(s *plan.Scheduler, o outcome) time.Duration {
	q := &e.run.Queries[o.unit]
	end := time.Duration(q.EndMs * float64(time.Millisecond))
	if q.Status == result.StatusCancelled {
		if q.Reason == "" {
			q.Reason = e.stopped
		}
		e.interrupted = e.interrupted || e.userCtx.Err() != nil
	}
	e.unitEnd[o.unit] = end
	st := e.p.Units[o.unit].Stage
	e.stageEnd[st] = max(e.stageEnd[st], end)
	failed := q.Status.OwnFailure()
	if failed && (e.opts.StopOnError || e.stopsOnError(o.unit)) && e.stopped == "" {
		e.stopped = fmt.Sprintf("stopped after %s failed", q.Name)
		e.stop()
	}
	e.emitDone(q)
	for _, sk := range s.Finish(o.unit, o.ok) {
		if !failed {
			continue // the cause was cancelled: its dependants are simply not run
		}
		sq := &e.run.Queries[sk.Unit]
		sq.Status = result.StatusSkipped
		sq.Reason = fmt.Sprintf("dependency %s failed", e.p.Units[sk.Cause].Name())
		e.emitDone(sq)
	}
	return end
}

// finishNotRun gives every unit that never started its reason. Like every other unit,
// each is reported by an EventDone.
func (e *execution) finishNotRun() {
	reason := e.stopped
	if reason == "" {
		reason = "not started"
	}
	for i := range e.run.Queries {
		q := &e.run.Queries[i]
		if q.Status == result.StatusNotRun && q.Reason == "" {
			q.Reason = reason
			e.emitDone(q)
		}
	}
}

func (e *execution) emit(ev result.Event) {
	if e.opts.OnEvent == nil {
		return
	}
	ev.Target, ev.Run = e.t.index, e.runNo
	e.opts.OnEvent(ev)
}

func (e *execution) emitDone(q *result.Query) {
	if e.opts.OnEvent == nil {
		return
	}
	c := *q
	e.emit(result.Event{Kind: result.EventDone, Name: q.Name, Query: &c,
		Elapsed: time.Duration(q.WallMs * float64(time.Millisecond))})
}

// Interrupted is the run of a plan interrupted before it could start (while connecting,
// say): every unit not run, the run marked Interrupted.
func Interrupted(p *plan.Plan, now time.Time) result.Run { return interrupted(p, now) }

// interrupted is the run of a plan interrupted before it could start.
func interrupted(p *plan.Plan, now time.Time) result.Run {
	r := Describe(p)
	r.StartedAt = now
	r.Interrupted = true
	for i := range r.Queries {
		r.Queries[i].Status = result.StatusNotRun
		r.Queries[i].Reason = "interrupted"
	}
	return r
}

// endSingleTransaction ends the transaction of --single-transaction as psql -1 does:
// COMMIT, which the server turns into a rollback when a statement failed; ROLLBACK when
// the run was interrupted. A connection lost meanwhile has nothing to end.
func endSingleTransaction(ctx context.Context, pc *pgconn.PgConn, interrupted bool) {
	if pc.IsClosed() || pc.TxStatus() == 'I' {
		return
	}
	if interrupted {
		rollback(ctx, pc)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelGrace)
	defer cancel()
	_, _ = pc.Exec(ctx, "COMMIT").ReadAll()
}
