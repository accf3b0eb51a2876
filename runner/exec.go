package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

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
}

// release returns the connection to the pool, which destroys it if it is broken or
// still inside a transaction.
func (w *worker) release() {
	if w.conn != nil {
		w.conn.Release()
		w.conn = nil
	}
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
	first := true
	for attempt := 1; ; attempt++ {
		q.Attempts = attempt
		if w.conn == nil {
			c, err := w.t.pool.Acquire(e.stopCtx)
			if err != nil {
				at := ms(opts.Now().Sub(e.start))
				if first {
					q.StartMs = at
				}
				q.EndMs = at
				w.fail(e, q, u.Statements[0], redacted(fmt.Errorf("replacing a lost connection: %w", err)), nil)
				return outcome{unit: j.unit}
			}
			w.conn = c
		}
		// Without a timeout the unit runs on a context that never ends, under the run's
		// watch on stopCtx (cancel.go): pgconn then adds no context watcher per statement.
		ctx, cancel := e.unwatched, context.CancelFunc(nil)
		if opts.Timeout > 0 {
			ctx, cancel = context.WithTimeout(e.stopCtx, opts.Timeout)
		}
		if opts.OnEvent != nil {
			e.emit(result.Event{Kind: result.EventStart, Name: u.Name()})
		}
		failed, err := w.attempt(ctx, e, u, q, first, cancel == nil)
		ctxErr := ctx.Err() // before cancel: was it the timeout?
		if cancel != nil {
			cancel()
		}
		first = false
		pc := w.conn.Conn().PgConn()
		if err != nil && !pc.IsClosed() && pc.TxStatus() != 'I' {
			rollback(ctx, pc)
		}
		if pc.IsClosed() {
			w.release()
		}
		if err == nil {
			q.Status, q.Error, q.Reason = result.StatusOK, nil, ""
			return outcome{unit: j.unit, ok: true}
		}
		if e.stopCtx.Err() == nil && ctxErr == nil && attempt <= opts.Retries && retryable(err) {
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
	pc := w.conn.Conn().PgConn()
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
	if rb && !u.Tx {
		if _, err := pc.Exec(ctx, "BEGIN").ReadAll(); err != nil {
			return u.Statements[0], err
		}
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
		q.Rows, tag, err = execStmt(ctx, pc, st, st.SQL)
		if err != nil {
			failed = st
		} else {
			q.Command = tag.String()
		}
	}
	end := replyEnd(pc, e.start.Add(start), now()).Sub(e.start) // not the settle after a --timeout (cancel.go)
	q.WallMs = ms(end - start)
	q.EndMs = ms(end)
	if rb && !u.Tx && err == nil {
		if _, rerr := pc.Exec(ctx, "ROLLBACK").ReadAll(); rerr != nil {
			return u.Statements[0], rerr
		}
	}
	return failed, err
}

// block runs a transaction block statement by statement, each with its own times. With
// Options.Rollback its final statement becomes ROLLBACK.
func (w *worker) block(ctx context.Context, e *execution, u *plan.Unit, q *result.Query) (*queries.Statement, error) {
	pc := w.conn.Conn().PgConn()
	now := e.opts.Now
	q.Rows, q.Command = 0, ""
	for i := range q.Statements {
		sq := &q.Statements[i]
		sq.Status, sq.Reason, sq.Error = result.StatusNotRun, "", nil
	}
	last := len(u.Statements) - 1
	for i, st := range u.Statements {
		sql := st.SQL
		if e.opts.Rollback && i == last {
			sql = "ROLLBACK"
		}
		sq := &q.Statements[i]
		start := now().Sub(e.start)
		rows, tag, err := execStmt(ctx, pc, st, sql)
		end := replyEnd(pc, e.start.Add(start), now()).Sub(e.start)
		sq.StartMs, sq.EndMs, sq.WallMs, sq.Rows, sq.Conn = ms(start), ms(end), ms(end-start), rows, w.n
		if err != nil {
			sq.Status, sq.Error = result.StatusError, toError(err, st)
			for j := i + 1; j < len(q.Statements); j++ {
				q.Statements[j].Reason = "the transaction block failed"
			}
			return st, err
		}
		sq.Status, sq.Command = result.StatusOK, tag.String()
		q.Rows += rows
		q.Command = sq.Command
	}
	return nil, nil
}

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
		if sq.Status == result.StatusError && q.Status != result.StatusError {
			sq.Status, sq.Error, sq.Reason = q.Status, q.Error, q.Reason
		}
	}
}

// execStmt sends one query string with the simple query protocol (or the COPY protocol)
// and counts result rows without decoding them. rows is the number of rows returned, or
// for commands that return none, the number affected.
func execStmt(ctx context.Context, pc *pgconn.PgConn, st *queries.Statement, sql string) (rows int64, tag pgconn.CommandTag, err error) {
	if st.IsCopyFromStdin {
		tag, err = pc.CopyFrom(ctx, bytes.NewReader(st.CopyData()), sql)
		return tag.RowsAffected(), tag, err
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
		}
		tag = t
	}
	err = mrr.Close()
	return rows, tag, err
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

// retryable reports whether a unit that failed with err may be sent again: a
// serialization failure or deadlock (the server rolled it back), or an error before
// anything was sent.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return pgconn.SafeToRetry(err)
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
