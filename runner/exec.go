package runner

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
	"github.com/qrunhq/qrun/result"
)

const (
	retryBase = 10 * time.Millisecond
	retryCap  = time.Second
)

// worker runs units on one connection. Only one goroutine uses a worker at a time.
type worker struct {
	t     *Target
	n     int // connection number, 1-based
	conn  *pgxpool.Conn
	guard guard // the run's watch on this connection (see cancel.go)
	// replayConn is the connection that has applied the first replayed session settings
	// of the run (replay.go).
	replayConn *pgconn.PgConn
	replayed   int
	// side is the connection a \connect opened, which the worker runs on instead of
	// conn until the run ends (connect_meta.go); nil on its own.
	side *side
	// groups maps each session group (plan.Inferred.Session) this worker has started to
	// the connection it started on: the group's later units need that session.
	groups map[int32]*pgconn.PgConn
	// timedOut says a statement of the block being run hit --timeout (block).
	timedOut bool
}

// release returns the connection to the pool, which destroys it if it is broken or
// still inside a transaction, and closes a connection a \connect opened.
func (w *worker) release() {
	w.closeSide()
	if w.conn != nil {
		drop(w.conn)
		w.conn = nil
	}
}

// drop gives a connection back to the pool, or, when it has died, takes it out of the
// pool and closes its socket at once. The pool's own destruction of a dead connection
// waits up to 15 s — pgconn's close sends a cancel request and drains the socket, on a
// network that may no longer answer — and holds the pool's slot meanwhile, so that its
// replacement (bounded by --connect-timeout) and the exit after Ctrl-C would wait too.
func drop(c *pgxpool.Conn) {
	pc := c.Conn().PgConn()
	if !pc.IsClosed() {
		c.Release()
		return
	}
	c.Hijack()
	_ = pc.Conn().Close()
}

// ready makes sure the worker has a connection to run on: it replaces one that was lost.
func (w *worker) ready(e *execution) error {
	if w.side != nil {
		if w.side.pc == nil {
			return w.side.reopen(e.stopCtx, w.t)
		}
		return nil
	}
	if w.conn == nil {
		c, err := w.t.pool.Acquire(e.stopCtx)
		if err != nil {
			return err
		}
		w.conn = c
	}
	return nil
}

// lost drops the connection the worker runs on, which has died; ready replaces it.
func (w *worker) lost() {
	if w.side != nil {
		w.side.pc = nil
		return
	}
	drop(w.conn)
	w.conn = nil
}

// sessionLost says why unit u cannot run on the worker's connection: its session group
// started on a connection of this worker that has since been lost. It records the
// connection of a group's first unit. "" means it can run.
func (w *worker) sessionLost(e *execution, u int) string {
	inf := e.p.Inferred
	if inf == nil || inf.Sessions == 0 {
		return ""
	}
	g := inf.Session[u]
	if g == 0 {
		return ""
	}
	pc := w.pgConn()
	started, ok := w.groups[g]
	if !ok {
		if w.groups == nil {
			w.groups = map[int32]*pgconn.PgConn{}
		}
		w.groups[g] = pc
		return ""
	}
	if started != pc {
		return fmt.Sprintf("the session its statements share was lost with connection %d", w.n)
	}
	return ""
}

// do runs unit j.unit, retrying as Options.Retries allows, and fills its result.Query.
func (w *worker) do(e *execution, j job) outcome {
	u := e.p.Units[j.unit]
	q := &e.run.Queries[j.unit]
	opts := e.opts
	q.Conn = w.n
	if j.readyAt >= 0 {
		q.WaitMs = ms(opts.Now().Sub(e.start) - j.readyAt)
	}
	if w.side != nil && w.side.label != e.t.info.Target {
		q.Target = w.side.label
	}
	first := true
	for attempt := 1; ; attempt++ {
		q.Attempts = attempt
		if err := w.ready(e); err != nil {
			// The lost connection could not be replaced. Nothing of the unit was sent:
			// --retries tries again after a pause, each try bounded by --connect-timeout.
			if e.stopCtx.Err() == nil && attempt <= opts.Retries && sleep(e.stopCtx, backoff(attempt)) == nil {
				continue
			}
			at := ms(opts.Now().Sub(e.start))
			if first {
				q.StartMs = at
			}
			q.EndMs = at
			w.fail(e, q, u.Statements[0], redacted(fmt.Errorf("replacing a lost connection: %w", err)), nil)
			return outcome{unit: j.unit}
		}
		if lost := w.sessionLost(e, j.unit); lost != "" {
			// What the group made on its session (a temporary table, a prepared statement,
			// a SET) died with the connection: on the new one the unit could reach other
			// objects (a temporary table's permanent namesake). It is not run.
			at := ms(opts.Now().Sub(e.start))
			q.StartMs, q.EndMs = at, at
			q.Status, q.Reason = result.StatusSkipped, lost
			return outcome{unit: j.unit}
		}
		if e.replays != nil {
			if err := w.catchUp(e.stopCtx, e, j.unit); err != nil {
				at := ms(opts.Now().Sub(e.start))
				if first {
					q.StartMs = at
				}
				q.EndMs = at
				w.fail(e, q, u.Statements[0], err, nil)
				return outcome{unit: j.unit}
			}
		}
		// Without a timeout the unit runs on a context that never ends, under the run's
		// watch on stopCtx (cancel.go): pgconn then adds no context watcher per statement.
		ctx, cancel := e.unwatched, context.CancelFunc(nil)
		switch {
		case opts.Timeout > 0 && u.Tx:
			// --timeout is per statement: each statement of the block gets its own
			// (block), so the unit runs on stopCtx, which pgconn watches.
			ctx, cancel = context.WithCancel(e.stopCtx)
		case opts.Timeout > 0:
			ctx, cancel = context.WithTimeout(e.stopCtx, opts.Timeout)
		}
		w.timedOut = false
		if opts.OnEvent != nil {
			e.emit(result.Event{Kind: result.EventStart, Name: u.Name()})
		}
		pc := w.pgConn()
		before, counted := bytesWritten(pc)
		failed, err := w.attempt(ctx, e, u, q, first, cancel == nil)
		ctxErr := ctx.Err() // before cancel: was it the timeout?
		if w.timedOut {
			ctxErr = context.DeadlineExceeded // a statement of the block timed out
		}
		if cancel != nil {
			cancel()
		}
		first = false
		after, _ := bytesWritten(pc)
		sent := !counted || after != before
		if err != nil && !opts.SingleTransaction && !pc.IsClosed() && pc.TxStatus() != 'I' {
			rollback(ctx, pc)
		}
		// In sequential mode a lost connection ends the run, as psql -f ends: the session
		// (search_path, SET ROLE, temporary tables) is gone, and what follows was written
		// for it. --reconnect goes on on a new connection instead.
		endsRun := pc.IsClosed() && !opts.Parallel && !opts.Reconnect
		if pc.IsClosed() {
			w.lost()
		}
		if endsRun {
			e.connLost = true // sequential mode: the one goroutine
		}
		if err == nil {
			w.ranReplay(e, j.unit, pc)
			q.Status, q.Error = result.StatusOK, nil // a Reason says why it was not sent
			return outcome{unit: j.unit, ok: true}
		}
		if !endsRun && e.stopCtx.Err() == nil && ctxErr == nil && attempt <= opts.Retries && retryable(err, sent, pc.IsClosed()) {
			if sleep(e.stopCtx, backoff(attempt)) == nil {
				continue
			}
		}
		w.fail(e, q, failed, err, ctxErr)
		return outcome{unit: j.unit}
	}
}

// attempt sends the unit once and records its times. It returns the statement that
// failed, if one did. watched says that ctx never ends and the run's watch on stopCtx
// stands in for it.
func (w *worker) attempt(ctx context.Context, e *execution, u *plan.Unit, q *result.Query, first, watched bool) (*queries.Statement, error) {
	pc := w.pgConn()
	now := e.opts.Now
	rb := e.opts.Rollback
	if watched {
		if err := w.guard.enter(e.stopCtx, pc); err != nil {
			// The run stopped: nothing is sent, as pgconn sends nothing on an ended context.
			at := ms(now().Sub(e.start))
			if first {
				q.StartMs = at
			}
			q.EndMs, q.WallMs = at, 0
			return u.Statements[0], err
		}
		defer w.guard.leave()
	}
	// --rollback and --read-only wrap a unit that is no transaction block in a
	// transaction of qrun's own (not under --single-transaction, which has one).
	ro := e.opts.ReadOnly && !e.opts.SingleTransaction
	wrap := (rb || ro) && !u.Tx
	if wrap {
		if _, err := pc.Exec(ctx, e.opts.begin()).ReadAll(); err != nil {
			return u.Statements[0], err
		}
	}
	// Behind a transaction or statement pooler the connection's --setup may be on
	// another server session: apply it inside the unit (pooler.go).
	setup := w.t.poolerSetup()
	if setup != "" && (wrap || !u.Tx && !prefixable(e, u.Statements[0])) {
		// Inside the --rollback transaction the pooler keeps the session; a COPY cannot
		// share a query string, so it gets the setup just before (best effort).
		if err := runSetup(ctx, pc, w.t.setup); err != nil {
			return u.Statements[0], err
		}
		setup = ""
	}
	start := now().Sub(e.start)
	if first {
		q.StartMs = ms(start)
	}
	var (
		failed *queries.Statement
		err    error
	)
	if u.Tx {
		failed, err = w.block(ctx, e, u, q)
	} else {
		st := u.Statements[0]
		var tag pgconn.CommandTag
		if setup != "" {
			// One query string, so that the pooler runs both on one server session.
			q.Rows, tag, err = w.exec(ctx, e, st, setup+st.SQL, q)
			if noTxBlock(err) {
				// DISCARD ALL, VACUUM, CREATE INDEX CONCURRENTLY ... cannot share a query
				// string (its implicit transaction was rolled back, setup included): the
				// setup just before, then the statement alone.
				if err = runSetup(ctx, pc, w.t.setup); err == nil {
					q.Rows, tag, err = w.exec(ctx, e, st, st.SQL, q)
				}
			} else {
				err = shiftPosition(err, utf8.RuneCountInString(setup))
			}
		} else {
			q.Rows, tag, err = w.exec(ctx, e, st, st.SQL, q)
		}
		if err != nil {
			failed = st
		} else {
			q.Command = tag.String()
		}
	}
	end := replyEnd(pc, e.start.Add(start), now()).Sub(e.start) // not the settle after a --timeout (cancel.go)
	q.WallMs = ms(end - start)
	q.EndMs = ms(end)
	if wrap && err == nil {
		// --read-only commits (session settings the unit made stay, as without it); it
		// ends only a transaction still open (a COMMIT of the file's may have ended it).
		end := "ROLLBACK"
		if !rb {
			end = "COMMIT"
		}
		if pc.TxStatus() != 'I' {
			if _, rerr := pc.Exec(ctx, end).ReadAll(); rerr != nil {
				return u.Statements[0], rerr
			}
		}
	}
	return failed, err
}

// begin is the BEGIN of a transaction qrun opens itself (a unit's under --rollback or
// --read-only, --single-transaction's): READ ONLY under --read-only, so that the server
// refuses every write whatever the session's defaults have become.
func (o *Options) begin() string {
	if o.ReadOnly {
		return "BEGIN READ ONLY"
	}
	return "BEGIN"
}

// block runs a transaction block statement by statement, each with its own times, as
// psql sends it: after a failed statement the later ones are still sent (the server
// answers each with 25P02 until a ROLLBACK or ROLLBACK TO SAVEPOINT), so a block that
// recovers and commits leaves what psql -f would leave. It returns the first statement
// that failed and its error; every statement keeps its own status. It stops sending at
// the first error when psql would stop the script there (Options.StopOnError), and when
// the attempt's context or the run has ended. With Options.Rollback its final statement
// becomes ROLLBACK.
func (w *worker) block(ctx context.Context, e *execution, u *plan.Unit, q *result.Query) (*queries.Statement, error) {
	pc := w.pgConn()
	now := e.opts.Now
	q.Rows, q.Command = 0, ""
	for i := range q.Statements {
		sq := &q.Statements[i]
		sq.Status, sq.Reason, sq.Error, sq.Command, sq.Rows = result.StatusNotRun, "", nil, "", 0
	}
	var (
		failed   *queries.Statement
		firstErr error
		lastTag  string
	)
	last := len(u.Statements) - 1
	for i, st := range u.Statements {
		if firstErr != nil && (e.opts.StopOnError || e.stmtStops(failed) || w.timedOut || ctx.Err() != nil || e.stopCtx.Err() != nil || pc.IsClosed()) {
			for j := i; j < len(q.Statements); j++ {
				q.Statements[j].Reason = "the transaction block failed"
			}
			break
		}
		sql := st.SQL
		if e.opts.Rollback && i == last {
			sql = "ROLLBACK"
		}
		sq := &q.Statements[i]
		// psql's ON_ERROR_ROLLBACK: a savepoint around each statement of an open, healthy
		// transaction, outside the statement's times.
		savepoint := st.OnErrorRollback && pc.TxStatus() == 'T'
		var err error
		if savepoint {
			_, err = pc.Exec(ctx, "SAVEPOINT pg_psql_temporary_savepoint").ReadAll()
		}
		start := now().Sub(e.start)
		var (
			rows int64
			tag  pgconn.CommandTag
			gone bool
		)
		if err == nil {
			// --timeout bounds each statement of a block, as it bounds a statement alone.
			sctx, scancel := ctx, context.CancelFunc(nil)
			if e.opts.Timeout > 0 {
				sctx, scancel = context.WithTimeout(ctx, e.opts.Timeout)
			}
			if e.sess != nil {
				// The script has meta-commands acting at run time (session.go).
				rows, tag, err = w.exec(sctx, e, st, sql, sq)
				gone = savepoint && savepointGone(tag)
			} else {
				if e.t.onSend != nil {
					e.t.onSend(sql)
				}
				rows, tag, gone, err = e.execStmtSavepoint(sctx, pc, st, sql, savepoint)
			}
			timedOut := false
			if scancel != nil {
				timedOut = err != nil && errors.Is(sctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
				scancel()
			}
			if timedOut && !w.timedOut {
				w.timedOut = true
				defer func() {
					// This statement, not the ones the server ignored after it, timed out.
					sq.Status, sq.Error = result.StatusTimeout, &result.Error{
						SQLState: "57014",
						Message:  fmt.Sprintf("cancelled on the server after --timeout %s", e.opts.Timeout),
						Position: st.Pos().String(),
					}
				}()
			}
		}
		end := replyEnd(pc, e.start.Add(start), now()).Sub(e.start)
		sq.StartMs, sq.EndMs, sq.WallMs, sq.Rows, sq.Conn = ms(start), ms(end), ms(end-start), rows, w.n
		if savepoint && !pc.IsClosed() {
			if serr := endSavepoint(ctx, pc, gone); serr != nil && err == nil {
				err = serr
			}
		}
		if err != nil {
			sq.Status, sq.Error, sq.Rows = result.StatusError, toError(err, st), 0
			if firstErr == nil {
				failed, firstErr = st, err
			}
			lastTag = ""
			continue
		}
		sq.Status, sq.Command = result.StatusOK, tag.String()
		q.Rows += rows
		q.Command = sq.Command
		lastTag = sq.Command
		if i == 0 && e.opts.ReadOnly && pc.TxStatus() == 'T' {
			// --read-only: the file's own BEGIN made READ ONLY, whatever the session's
			// default has become (a function may have changed it).
			if _, serr := pc.Exec(ctx, "SET TRANSACTION READ ONLY").ReadAll(); serr != nil {
				failed, firstErr = st, serr
				sq.Status, sq.Error = result.StatusError, toError(serr, st)
				break
			}
		}
		if i == 0 && w.t.poolerSetup() != "" && pc.TxStatus() == 'T' {
			// The block's BEGIN has pinned one server session behind the pooler: the
			// setup goes there (pooler.go).
			if serr := runSetup(ctx, pc, w.t.setup); serr != nil {
				failed, firstErr = st, serr
				sq.Status, sq.Error = result.StatusError, toError(serr, st)
				break
			}
		}
	}
	if firstErr != nil && (lastTag == "COMMIT" || lastTag == "PREPARE TRANSACTION") {
		// The block recovered (ROLLBACK TO SAVEPOINT) and committed: sending it again
		// would apply it twice.
		firstErr = &committedError{firstErr}
	}
	return failed, firstErr
}

// savepointGone reports whether a command did away with ON_ERROR_ROLLBACK's savepoint
// (see execStmtSavepoint).
func savepointGone(tag pgconn.CommandTag) bool {
	switch tag.String() {
	case "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK":
		return true
	}
	return false
}

// stmtStops reports whether psql's ON_ERROR_STOP stops the script after st failed.
func (e *execution) stmtStops(st *queries.Statement) bool {
	var state *queries.State
	if e.sess != nil {
		e.sess.mu.Lock()
		defer e.sess.mu.Unlock()
		state = e.sess.state
	}
	return st.OnErrorStop(state)
}

// committedError is the first error of a transaction block that still committed. Such a
// block is never retried.
type committedError struct{ err error }

func (e *committedError) Error() string { return e.err.Error() }
func (e *committedError) Unwrap() error { return e.err }

// fail records why unit q did not succeed: cancelled, timed out or failed.
// ctxErr is the error of the attempt's context when it ended, if it had ended.
func (w *worker) fail(e *execution, q *result.Query, st *queries.Statement, err, ctxErr error) {
	switch {
	case e.userCtx.Err() != nil:
		q.Status, q.Reason, q.Error = result.StatusCancelled, "interrupted", nil
	case e.stopCtx.Err() != nil:
		// The run was stopped (--stop-on-error), and finish gives the reason.
		q.Status, q.Reason, q.Error = result.StatusCancelled, "", nil
	case errors.Is(ctxErr, context.DeadlineExceeded):
		q.Status = result.StatusTimeout
		q.Error = &result.Error{
			SQLState: "57014",
			Message:  fmt.Sprintf("cancelled on the server after --timeout %s", e.opts.Timeout),
			Position: st.Pos().String(),
		}
	default:
		q.Status, q.Error = result.StatusError, toError(err, st)
	}
	for i := range q.Statements {
		sq := &q.Statements[i]
		if w.timedOut && q.Status == result.StatusTimeout {
			break // the block marked the statement that timed out (block)
		}
		if sq.Status == result.StatusError && q.Status != result.StatusError {
			sq.Status, sq.Error, sq.Reason = q.Status, q.Error, q.Reason
		}
	}
}

// execStmt sends one query string with the simple query protocol (or the COPY protocol)
// and counts result rows without decoding them. rows is the number of rows returned, or
// for commands that return none, the number affected.
func (e *execution) execStmt(ctx context.Context, pc *pgconn.PgConn, st *queries.Statement, sql string) (rows int64, tag pgconn.CommandTag, err error) {
	rows, tag, _, err = e.execStmtSavepoint(ctx, pc, st, sql, false)
	return rows, tag, err
}

// execStmtSavepoint is execStmt that also reports, when watch is set, whether a result of
// the query string did away with ON_ERROR_ROLLBACK's savepoint: a COMMIT (AND CHAIN),
// SAVEPOINT, RELEASE or ROLLBACK command, after which psql leaves the savepoint alone.
func (e *execution) execStmtSavepoint(ctx context.Context, pc *pgconn.PgConn, st *queries.Statement, sql string, watch bool) (rows int64, tag pgconn.CommandTag, gone bool, err error) {
	if st.IsCopyFromStdin {
		rows, tag, err = copyStdin(ctx, pc, st, sql)
		return rows, tag, false, err
	}
	if cc := st.ClientCopy(); cc != nil {
		tag, err = e.clientCopy(ctx, pc, cc, sql)
		return tag.RowsAffected(), tag, false, err
	}
	if lo := st.LargeObject(); lo != nil {
		// Without a session (lo.go): the arguments as loaded.
		rows, tag, _, err = largeObject(ctx, pc, lo.Call(nil))
		return rows, tag, false, err
	}
	mrr := pc.Exec(ctx, sql)
	for mrr.NextResult() {
		rr := mrr.ResultReader()
		var n int64
		for rr.NextRow() {
			n++
		}
		returnsRows := len(rr.FieldDescriptions()) > 0
		t, cerr := rr.Close()
		if cerr != nil {
			break // mrr.Close reports it
		}
		if returnsRows {
			rows += n
		} else {
			rows += t.RowsAffected()
			if watch && !gone {
				switch t.String() {
				case "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK":
					gone = true
				}
			}
		}
		tag = t
	}
	err = mrr.Close()
	return rows, tag, gone, err
}

// endSavepoint ends ON_ERROR_ROLLBACK's savepoint after a statement as psql does: rolled
// back to after an error, released after success unless the statement did away with it
// (gone), nothing once the transaction has ended. Its error makes the statement fail.
func endSavepoint(ctx context.Context, pc *pgconn.PgConn, gone bool) error {
	var sql string
	switch pc.TxStatus() {
	case 'E':
		sql = "ROLLBACK TO pg_psql_temporary_savepoint"
	case 'T':
		if gone {
			return nil
		}
		sql = "RELEASE pg_psql_temporary_savepoint"
	default:
		return nil
	}
	_, err := pc.Exec(ctx, sql).ReadAll()
	return err
}

// rollback ends a transaction a failed unit left open. It runs even when ctx has ended,
// with a bound of its own.
func rollback(ctx context.Context, pc *pgconn.PgConn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelGrace)
	defer cancel()
	// An error here leaves the connection in a transaction; the pool destroys it on
	// release, and the unit already reports the error that matters.
	_, _ = pc.Exec(ctx, "ROLLBACK").ReadAll()
}

// toError turns an error from the server into the report's form, with the file
// position the server's error position points to.
func toError(err error, st *queries.Statement) *result.Error {
	var qErr *queries.Error // a meta-command or a run-time variable
	if errors.As(err, &qErr) {
		return &result.Error{Message: qErr.Msg, Position: qErr.Pos.String()}
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		pos := st.Pos()
		if pgErr.Position > 0 {
			pos = st.PosOf(int(pgErr.Position))
		}
		return &result.Error{
			SQLState: pgErr.Code,
			Message:  pgErr.Message,
			Detail:   pgErr.Detail,
			Hint:     pgErr.Hint,
			Position: pos.String(),
		}
	}
	return &result.Error{Message: Redact(err.Error()), Position: st.Pos().String()}
}

// retryable reports whether a unit that failed with err may be sent again: after a
// serialization failure or deadlock (the server rolled it back), or after a connection
// error when not a byte of the attempt had been written (sent false; see sent.go) —
// never after the unit was sent, whatever the driver says of the error, and never a
// transaction block that committed after its error. closed says the connection died.
func retryable(err error, sent, closed bool) bool {
	var committed *committedError
	if errors.As(err, &committed) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return !sent && (closed || pgconn.SafeToRetry(err))
}

// backoff is the pause before retry number attempt: exponential from retryBase, capped
// at retryCap, with jitter over its upper half so that conflicting units drift apart.
func backoff(attempt int) time.Duration {
	d := retryCap
	if attempt < 8 {
		d = min(retryBase<<(attempt-1), retryCap)
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
