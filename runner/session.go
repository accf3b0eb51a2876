package runner

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
	"github.com/qrunhq/qrun/result"
)

// session is the psql side of one run of a script that uses run-time meta-commands
// or variables (queries.Statement.Runtime): the variable store, \if branches taken,
// \q. In sequential mode everything happens in file order, as in psql; in parallel
// mode the store is shared under mu, and the plan orders the statements that read or
// write it.
type session struct {
	mu    sync.Mutex
	state *queries.State
	// prepared holds what Prepare said for a statement, so that a retried unit does not
	// run its meta-commands twice.
	prepared map[*queries.Statement]queries.Send
}

// needsSession reports whether running p needs a session: whether some statement is
// Runtime. It is decided once per plan.
func (t *Target) needsSession(p *plan.Plan) bool {
	if t.sessPlan == p {
		return t.sessNeeded
	}
	t.sessPlan, t.sessNeeded = p, false
	for _, u := range p.Units {
		for _, st := range u.Statements {
			if st.Runtime() {
				t.sessNeeded = true
				return true
			}
		}
	}
	return false
}

// newSession starts the psql state of a run on the connection of w.
func (e *execution) newSession(w *worker) {
	if !e.t.needsSession(e.p) {
		return
	}
	s := &session{state: queries.NewState(e.opts.Output), prepared: map[*queries.Statement]queries.Send{}}
	pc := w.pgConn()
	cfg := w.conn.Conn().Config()
	db := cfg.Database
	if db == "" {
		db = cfg.User // libpq's default, which the server applied too
	}
	s.state.SetConnection(queries.Connection{
		DBName:           db,
		User:             cfg.User,
		Host:             cfg.Host,
		Port:             strconv.Itoa(int(cfg.Port)),
		Encoding:         pc.ParameterStatus("client_encoding"),
		ServerVersion:    pc.ParameterStatus("server_version"),
		ServerVersionNum: serverVersionNum(pc.ParameterStatus("server_version")),
	})
	e.sess = s
}

// serverVersionNum turns "15.4 (Debian ...)" into 150004, as libpq's PQserverVersion.
func serverVersionNum(v string) int {
	var major, minor int
	n, _ := fmt.Sscanf(v, "%d.%d", &major, &minor)
	switch {
	case n == 0:
		return 0
	case major >= 10:
		return major*10000 + minor
	}
	var patch int
	fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch)
	return major*10000 + minor*100 + patch
}

// exec sends statement st (its text sql) as execStmt does, and does what the script's
// meta-commands around it say: those before it, its \if branch, its run-time variables,
// \gset or \gexec, the built-in variables after it. q is the statement's result, which
// gets the reason when it is not sent.
func (w *worker) exec(ctx context.Context, e *execution, st *queries.Statement, sql string, q *result.Query) (int64, pgconn.CommandTag, error) {
	pc := w.pgConn()
	if err := st.CheckSCS(pc.ParameterStatus("standard_conforming_strings") != "off"); err != nil {
		return 0, pgconn.CommandTag{}, err
	}
	s := e.sess
	if s == nil || sql != st.SQL {
		// No meta-command acts at run time (or --rollback replaced the statement).
		if e.t.onSend != nil {
			e.t.onSend(sql)
		}
		return e.execStmt(ctx, pc, st, sql)
	}
	s.mu.Lock()
	send, ok := s.prepared[st]
	var err error
	if !ok {
		send, err = st.Prepare(s.state)
		if st.Runtime() {
			s.prepared[st] = send // its meta-commands run once, however often it is tried
		}
	}
	s.mu.Unlock()
	if err != nil {
		return 0, pgconn.CommandTag{}, err
	}
	var (
		rows int64
		tag  pgconn.CommandTag
	)
	switch {
	case send.Skip != "":
		q.Reason = send.Skip
	case send.Include != "":
		rows, err = w.include(ctx, e, st, send.Include)
	default:
		rows, tag, err = w.sendQuery(ctx, e, st, send)
	}
	s.mu.Lock()
	ferr := st.Finish(s.state) // the meta-commands after the script's last statement
	s.mu.Unlock()
	if err == nil {
		err = ferr
	}
	return rows, tag, err
}

// sendQuery sends the text of send and records its outcome in the session: the
// built-in variables, \gset's variables, and for \gexec, every value of the result sent
// as a statement in turn (rows is then the number of statements sent; the first error
// is returned, and with ON_ERROR_STOP the values after it are not sent).
func (w *worker) sendQuery(ctx context.Context, e *execution, st *queries.Statement, send queries.Send) (int64, pgconn.CommandTag, error) {
	pc := w.pgConn()
	s := e.sess
	var capture *captured
	if send.Gset || send.Gexec {
		capture = &captured{all: send.Gexec}
	}
	var (
		rows int64
		tag  pgconn.CommandTag
		err  error
	)
	if send.Gdesc {
		// psql prepares the unnamed statement to describe its columns; nothing runs.
		if e.t.onSend != nil {
			e.t.onSend(send.SQL)
		}
		_, err = pc.Prepare(ctx, "", send.SQL, nil)
		return 0, tag, err
	}
	if send.LargeObject != nil {
		// Not onSend: psql's query log holds none of what its \lo_ commands send.
		rows, tag, oid, err := largeObject(ctx, pc, *send.LargeObject)
		if err == nil && oid != 0 {
			s.mu.Lock()
			s.state.LargeObjectImported(oid)
			s.mu.Unlock()
		}
		return rows, tag, err
	}
	if st.IsCopyFromStdin || st.ClientCopy() != nil {
		if e.t.onSend != nil {
			e.t.onSend(send.SQL)
		}
		rows, tag, err = e.execStmt(ctx, pc, st, send.SQL)
		s.mu.Lock()
		if err == nil {
			s.state.Command(tag.String(), false)
		}
		s.result(tag, err)
		s.mu.Unlock()
		return rows, tag, err
	}
	rows, tag, err = w.query(ctx, e, send.SQL, capture)
	if err != nil {
		return rows, tag, err
	}
	if send.Gexec {
		n, gerr := w.gexec(ctx, e, st, capture.cells)
		if gerr != nil {
			return n, tag, gerr // psql leaves the built-in variables as the failure set them
		}
		rows = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if send.Gset {
		if gerr := s.state.Gset(send.Prefix, capture.cols, capture.first, capture.n); gerr != nil {
			return rows, tag, gerr // psql leaves the built-in variables alone
		}
	}
	s.state.Succeeded(tag.String())
	return rows, tag, nil
}

// captured is what \gset and \gexec keep of a result.
type captured struct {
	all   bool // keep every value (\gexec), not only the first row (\gset)
	cols  []string
	first [][]byte
	n     int
	cells []*string // \gexec: the values, row by row, nil for NULL
}

// query sends sql with the simple query protocol as execStmt does, records every
// result in the session's built-in variables and keeps what capture asks for.
func (w *worker) query(ctx context.Context, e *execution, sql string, capture *captured) (rows int64, tag pgconn.CommandTag, err error) {
	pc := w.pgConn()
	s := e.sess
	if e.opts.ReadOnly {
		// A statement completed at run time is checked as the plan checked the file.
		if why := plan.ReadOnlyViolation(sql, pc.ParameterStatus("standard_conforming_strings") != "off"); why != "" {
			return 0, tag, errors.New(why)
		}
	}
	if e.t.onSend != nil {
		e.t.onSend(sql)
	}
	mrr := e.send(ctx, pc, nil, sql) // --protocol (protocol.go)
	var tags []pgconn.CommandTag
	var rowsResults []bool
	for mrr.NextResult() {
		rr := mrr.ResultReader()
		fields := rr.FieldDescriptions()
		if capture != nil {
			// psql applies \gset and \gexec to the last result of the query string.
			capture.cols = capture.cols[:0]
			for _, f := range fields {
				capture.cols = append(capture.cols, f.Name)
			}
			capture.n, capture.first, capture.cells = 0, nil, nil
		}
		var n int64
		for rr.NextRow() {
			n++
			if capture == nil {
				continue
			}
			vals := rr.Values()
			if capture.n == 0 {
				capture.first = make([][]byte, len(vals))
				for i, v := range vals {
					if v != nil {
						capture.first[i] = append([]byte{}, v...)
					}
				}
			}
			capture.n++
			if capture.all {
				for _, v := range vals {
					if v == nil {
						capture.cells = append(capture.cells, nil)
						continue
					}
					c := string(v)
					capture.cells = append(capture.cells, &c)
				}
			}
		}
		returnsRows := len(fields) > 0
		t, cerr := rr.Close()
		if cerr != nil {
			break // mrr.Close reports it
		}
		noteTag(pc, t)
		if returnsRows {
			rows += n
		} else {
			rows += t.RowsAffected()
		}
		tag = t
		tags = append(tags, t)
		rowsResults = append(rowsResults, returnsRows)
	}
	err = mrr.Close()
	s.mu.Lock()
	for i, t := range tags {
		s.state.Command(t.String(), rowsResults[i])
	}
	s.state.SetEncoding(pc.ParameterStatus("client_encoding"))
	if err != nil {
		s.result(tag, err)
	}
	s.mu.Unlock()
	return rows, tag, err
}

// result records the outcome of a statement in the built-in variables; a success with
// \gset or \gexec is recorded by their caller.
func (s *session) result(tag pgconn.CommandTag, err error) {
	if err == nil {
		s.state.Succeeded(tag.String())
		return
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		s.state.Failed(pgErr.Code, pgErr.Message)
		return
	}
	s.state.Failed("", Redact(err.Error()))
}

// gexec sends each value of cells as a statement, as psql's \gexec does, and returns
// how many it sent and the first error. With ON_ERROR_STOP (st's) it stops at a
// failure.
func (w *worker) gexec(ctx context.Context, e *execution, st *queries.Statement, cells []*string) (int64, error) {
	pc := w.pgConn()
	s := e.sess
	var n int64
	var first error
	for _, c := range cells {
		if c == nil {
			continue
		}
		n++
		var (
			tag pgconn.CommandTag
			err error
		)
		if e.opts.ReadOnly && plan.ControlsTransaction(*c, w.pgConn().ParameterStatus("standard_conforming_strings") != "off") {
			err = errors.New("\\gexec: transaction control cannot run under --read-only")
		} else {
			_, tag, err = w.query(ctx, e, *c, nil)
		}
		if err == nil {
			s.mu.Lock()
			s.state.Succeeded(tag.String())
			s.mu.Unlock()
			continue
		}
		if first == nil {
			first = generated(err, *c)
		}
		s.mu.Lock()
		stop := st.OnErrorStop(s.state)
		s.mu.Unlock()
		if stop || pc.IsClosed() || ctx.Err() != nil {
			break
		}
	}
	return n, first
}

// generated makes the error of a statement \gexec sent point at the \gexec statement
// (the server's position is in the generated text, which the file does not hold) and
// say which one failed.
func generated(err error, sql string) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	e := *pgErr
	e.Position = 0
	if e.Detail == "" {
		if len(sql) > 200 {
			sql = sql[:200] + "..."
		}
		e.Detail = "in the statement \\gexec sent: " + sql
	}
	return &e
}

// include reads the file of an \i named at run time and runs its statements in order,
// as part of statement st's unit: rows counts the statements sent, and the first error
// is returned (the rest still run, unless ON_ERROR_STOP).
func (w *worker) include(ctx context.Context, e *execution, st *queries.Statement, path string) (int64, error) {
	s := e.sess
	s.mu.Lock()
	script, err := queries.LoadInclude(st, path, s.state)
	s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	var n int64
	var first error
	for _, sub := range script.Statements {
		var q result.Query
		_, _, err := w.exec(ctx, e, sub, sub.SQL, &q)
		if q.Reason == "" {
			n++
		}
		if err == nil {
			continue
		}
		if first == nil {
			first = err
		}
		s.mu.Lock()
		stop := sub.OnErrorStop(s.state)
		s.mu.Unlock()
		if stop || ctx.Err() != nil {
			break
		}
	}
	return n, first
}

// stopsOnError reports whether the failure of unit u stops the run as psql's
// ON_ERROR_STOP would: the statement that failed says so.
func (e *execution) stopsOnError(u int) bool {
	unit := e.p.Units[u]
	q := &e.run.Queries[u]
	st := unit.Statements[0]
	for i := range q.Statements {
		if q.Statements[i].Status == result.StatusError && i < len(unit.Statements) {
			st = unit.Statements[i]
			break
		}
	}
	var state *queries.State
	if e.sess != nil {
		e.sess.mu.Lock()
		defer e.sess.mu.Unlock()
		state = e.sess.state
	}
	return st.OnErrorStop(state)
}
