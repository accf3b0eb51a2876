package runner

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
	"github.com/qrunhq/qrun/result"
)

// --pipeline sends several statements before reading their results (the extended
// protocol's pipeline mode, libpq's PQenterPipelineMode, pgbench's \startpipeline), with a
// Sync after each statement. The Sync after each keeps psql's semantics: every statement
// is its own implicit transaction outside a block; inside a block a failed statement
// aborts the transaction and the later ones fail with 25P02 until the ROLLBACK, as psql
// gets them; a VACUUM is alone before its Sync. What pipelining changes is only when
// statements are sent: the next one is already on the wire while the server runs this
// one, so the round trips overlap.
//
// It applies where sending ahead cannot change the outcome:
//   - a transaction block, whose statements are all pipelined (in sequential and parallel
//     mode), and
//   - in sequential mode, a run of consecutive single-statement units, each ready in file
//     order (no "-- after:" waits on a unit of the run, no stage barrier inside it);
//
// and never for a statement the runner must see the outcome of before sending the next:
// COPY and \copy, \lo_* large object commands, \connect, a \; string (which the extended protocol cannot carry), psql's
// ON_ERROR_ROLLBACK savepoints and ON_ERROR_STOP, run-time meta-commands (\gset, \if, ...),
// nor with --stop-on-error, --rollback, --read-only, --retries or --timeout between units,
// nor behind a transaction pooler with --setup. Those run as without --pipeline.
//
// Timing: statements in a pipeline are timed completion to completion. The first starts
// when the pipeline is flushed; each ends when its last result has been read, and the
// next starts there. A statement's time is therefore what it added to the pipeline's
// wall time: its server time plus whatever of its round trip the pipeline did not hide.
// With --protocol prepared, statements are prepared before the pipeline is flushed,
// outside every time (a statement that cannot be prepared yet — its table is created
// earlier in the same pipeline — ends the pipeline before it and starts the next one).

// maxPipeline bounds the statements of one pipeline, and so the results held back.
const maxPipeline = 256

// pipeItem is one statement sent in a pipeline and the record of its outcome.
type pipeItem struct {
	st  *queries.Statement
	out *result.Query
	err error // the statement's error, for the unit's outcome
}

// pipeStatement reports whether statement st may be sent ahead in a pipeline.
func (e *execution) pipeStatement(st *queries.Statement) bool {
	return !st.IsCopyFromStdin && st.ClientCopy() == nil && st.Connect() == nil && st.LargeObject() == nil &&
		!st.OnErrorRollback && !st.OnErrorStop(nil) && plan.ExtendedFallback(st.SQL) == ""
}

// pipeOn reports whether --pipeline applies to this run at all.
func (e *execution) pipeOn() bool {
	o := e.opts
	return o.Pipeline && o.Protocol != "" && o.Protocol != ProtocolSimple &&
		e.sess == nil && !o.StopOnError && !o.Rollback && !o.ReadOnly && e.t.poolerSetup() == ""
}

// pipeBlock reports whether transaction block u is pipelined.
func (e *execution) pipeBlock(u *plan.Unit) bool {
	if !u.Tx || !e.pipeOn() {
		return false
	}
	for _, st := range u.Statements {
		if !e.pipeStatement(st) {
			return false
		}
	}
	return true
}

// pipeUnit reports whether unit u may join a sequential run's pipeline of single
// statements.
func (e *execution) pipeUnit(u int) bool {
	o := e.opts
	unit := e.p.Units[u]
	return !unit.Tx && !o.Parallel && o.Retries == 0 && o.Timeout == 0 && e.replays == nil &&
		e.pipeOn() && e.pipeStatement(unit.Statements[0])
}

// blockPipelined runs transaction block u as block does, its statements in pipelines.
// It returns the first statement that failed and its error.
func (w *worker) blockPipelined(ctx context.Context, e *execution, u *plan.Unit, q *result.Query) (*queries.Statement, error) {
	pc := w.pgConn()
	q.Rows, q.Command = 0, ""
	items := make([]pipeItem, len(u.Statements))
	for i, st := range u.Statements {
		sq := &q.Statements[i]
		sq.Status, sq.Reason, sq.Error, sq.Command, sq.Rows, sq.Conn = result.StatusNotRun, "", nil, "", 0, w.n
		items[i] = pipeItem{st: st, out: sq}
	}
	var (
		failed   *queries.Statement
		firstErr error
	)
	for done := 0; done < len(items); {
		n, err := e.pipeline(ctx, pc, items[done:])
		for _, it := range items[done : done+n] {
			if it.err != nil && firstErr == nil {
				failed, firstErr = it.st, it.err
			}
		}
		done += n
		if err != nil {
			if firstErr == nil {
				failed, firstErr = items[min(done, len(items)-1)].st, err
			}
			for _, it := range items[done:] {
				it.out.Reason = "the transaction block failed"
			}
			break
		}
	}
	lastTag := ""
	for _, it := range items {
		if it.out.Status == result.StatusOK {
			q.Rows += it.out.Rows
			q.Command = it.out.Command
		}
		lastTag = it.out.Command
	}
	if firstErr != nil && (lastTag == "COMMIT" || lastTag == "PREPARE TRANSACTION") {
		firstErr = &committedError{firstErr} // as block: never sent again
	}
	return failed, firstErr
}

// sequentialPipeline runs unit first (taken from s) and the consecutive units after it
// that may join it (pipeUnit) in pipelines on w, and records them with the scheduler.
// It returns the end of the last.
func (e *execution) sequentialPipeline(w *worker, s *plan.Scheduler, first int) time.Duration {
	units := []int{first}
	for len(units) < maxPipeline {
		u, ok := s.Peek()
		if !ok || u != units[len(units)-1]+1 || !e.pipeUnit(u) {
			break
		}
		s.Next()
		units = append(units, u)
	}
	var last time.Duration
	finish := func(us []int) {
		for _, u := range us {
			q := &e.run.Queries[u]
			last = max(last, e.finish(s, outcome{unit: u, ok: q.Status == result.StatusOK}))
		}
	}
	fail := func(us []int, err error) {
		at := ms(e.opts.Now().Sub(e.start))
		for _, u := range us {
			q := &e.run.Queries[u]
			if q.Status != result.StatusNotRun {
				continue
			}
			q.Conn, q.Attempts, q.StartMs, q.EndMs = w.n, 1, at, at
			w.fail(e, q, e.p.Units[u].Statements[0], err, nil)
		}
		finish(us)
	}
	if err := w.ready(e); err != nil {
		fail(units, redacted(err))
		return last
	}
	pc := w.pgConn()
	if err := w.guard.enter(e.stopCtx, pc); err != nil {
		fail(units, err)
		return last
	}
	defer w.guard.leave()
	items := make([]pipeItem, len(units))
	for i, u := range units {
		q := &e.run.Queries[u]
		q.Conn, q.Attempts = w.n, 1
		if e.opts.OnEvent != nil {
			e.emit(result.Event{Kind: result.EventStart, Name: e.p.Units[u].Name()})
		}
		items[i] = pipeItem{st: e.p.Units[u].Statements[0], out: q}
	}
	for done := 0; done < len(items); {
		n, err := e.pipeline(e.unwatched, pc, items[done:])
		for _, it := range items[done : done+n] {
			if it.err != nil {
				w.fail(e, it.out, it.st, it.err, nil)
			}
		}
		finish(units[done : done+n])
		done += n
		if err != nil {
			if pc.IsClosed() {
				w.lost()
				// As do: a lost connection ends a sequential run unless --reconnect.
				e.connLost = e.connLost || !e.opts.Reconnect
			}
			fail(units[done:], err)
			return last
		}
	}
	return last
}

// pipeline sends a prefix of items in one pipeline, a Sync after each, reads their
// results and records each one's outcome and times (completion to completion) in its
// out. It returns how many items it handled, at least one: with --protocol prepared, the
// pipeline ends before a statement that cannot be prepared until those before it have
// run, and a first item that cannot be prepared at all is sent alone with the simple
// protocol (as send does). The error is the pipeline's own (a lost connection, an ended
// context): the items from the returned count on were not run.
func (e *execution) pipeline(ctx context.Context, pc *pgconn.PgConn, items []pipeItem) (int, error) {
	now := e.opts.Now
	n := len(items)
	var names []string
	if e.opts.Protocol == ProtocolPrepared {
		s := protoState(pc)
		t0 := now()
		names = make([]string, 0, n)
		for i, it := range items {
			name, ok := s.names[it.st.SQL]
			if !ok {
				var err error
				if pc.TxStatus() != 'E' {
					name, err = prepare(ctx, pc, s, it.st.SQL)
				}
				if pc.TxStatus() == 'E' || err != nil {
					n = i
					break
				}
			}
			names = append(names, name)
			if plan.InvalidatesPrepared(plan.LeadingWord(it.st.SQL)) {
				// What follows must be prepared after this has run (noteTag).
				n = i + 1
				break
			}
		}
		s.untimed += now().Sub(t0)
		takeUntimed(pc) // out of the unit's time (blockPipelined's caller)
		if n == 0 {
			// Not preparable before it runs, nor after what came before: alone, through
			// send, which falls back to the simple protocol.
			return 1, e.pipeAlone(ctx, pc, &items[0])
		}
	}
	pl := pc.StartPipeline(ctx)
	for i, it := range items[:n] {
		if names != nil {
			pl.SendQueryPrepared(names[i], nil, nil, nil)
		} else {
			pl.SendQueryParams(it.st.SQL, nil, nil, nil, nil)
		}
		pl.SendPipelineSync()
	}
	if e.t.onSend != nil {
		for _, it := range items[:n] {
			e.t.onSend(it.st.SQL)
		}
	}
	start := now().Sub(e.start)
	err := pl.Flush()
	prev := start
	for i := 0; i < n && err == nil; i++ {
		if i > 0 && e.stopCtx.Err() != nil {
			// Stopped (Ctrl-C, --max-time, --stop-on-error elsewhere): the statements
			// after the cancelled one are on the server's wire already and would run. The
			// connection is closed instead; the worker replaces it if it runs again.
			err = e.stopCtx.Err()
			n = i
			_ = pc.Close(context.WithoutCancel(ctx))
			break
		}
		it := &items[i]
		var (
			rows int64
			tag  pgconn.CommandTag
			qerr error
		)
	results:
		for {
			res, gerr := pl.GetResults()
			if gerr != nil {
				var pgErr *pgconn.PgError
				if errors.As(gerr, &pgErr) {
					qerr = gerr
					continue
				}
				err = gerr
				break
			}
			switch r := res.(type) {
			case *pgconn.ResultReader:
				var nr int64
				for r.NextRow() {
					nr++
				}
				returnsRows := len(r.FieldDescriptions()) > 0
				t, cerr := r.Close()
				if cerr != nil {
					qerr = cerr
					continue
				}
				if returnsRows {
					rows = nr
				} else {
					rows = t.RowsAffected()
				}
				tag = t
				noteTag(pc, t)
			case *pgconn.PipelineSync:
				break results
			case nil:
				err = errors.New("pipeline: results missing")
				break results
			}
		}
		if err != nil {
			n = i
			break
		}
		end := now().Sub(e.start)
		o := it.out
		o.StartMs, o.EndMs, o.WallMs = ms(prev), ms(end), ms(end-prev)
		prev = end
		if qerr != nil {
			it.err = qerr
			o.Status, o.Error, o.Rows = result.StatusError, toError(qerr, it.st), 0
			continue
		}
		o.Status, o.Command, o.Rows = result.StatusOK, tag.String(), rows
	}
	if cerr := pl.Close(); err == nil && cerr != nil {
		var pgErr *pgconn.PgError
		if !errors.As(cerr, &pgErr) {
			err = cerr
		}
	}
	if err != nil {
		return n, redacted(err)
	}
	return n, nil
}

// pipeAlone sends one item outside a pipeline, timed as a statement of a pipeline.
func (e *execution) pipeAlone(ctx context.Context, pc *pgconn.PgConn, it *pipeItem) error {
	now := e.opts.Now
	start := now().Sub(e.start)
	rows, tag, err := e.execStmt(ctx, pc, it.st, it.st.SQL)
	start += takeUntimed(pc)
	end := now().Sub(e.start)
	o := it.out
	o.StartMs, o.EndMs, o.WallMs = ms(start), ms(end), ms(end-start)
	if err != nil {
		if pc.IsClosed() || ctx.Err() != nil {
			return err
		}
		it.err = err
		o.Status, o.Error, o.Rows = result.StatusError, toError(err, it.st), 0
		return nil
	}
	o.Status, o.Command, o.Rows = result.StatusOK, tag.String(), rows
	return nil
}
