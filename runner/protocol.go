package runner

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
)

// Protocol is how statements are sent to the server (--protocol), as pgbench's -M.
type Protocol string

const (
	// ProtocolSimple sends each statement as a Query message, as psql does (the default).
	ProtocolSimple Protocol = "simple"
	// ProtocolExtended sends each statement as Parse, Bind, Describe, Execute and Sync of
	// the unnamed statement, as pgx's QueryExecModeExec and most drivers do for a query
	// without a statement cache.
	ProtocolExtended Protocol = "extended"
	// ProtocolPrepared prepares each distinct statement text once per connection as a
	// named statement, outside the timings, and then executes it by name (Bind, Describe,
	// Execute, Sync), as drivers with a statement cache do (pgx's default, JDBC after
	// prepareThreshold, psycopg 3 after prepare_threshold).
	ProtocolPrepared Protocol = "prepared"
)

// ParseProtocol reads a --protocol value; "" is ProtocolSimple.
func ParseProtocol(s string) (Protocol, error) {
	switch p := Protocol(s); p {
	case "":
		return ProtocolSimple, nil
	case ProtocolSimple, ProtocolExtended, ProtocolPrepared:
		return p, nil
	}
	return "", fmt.Errorf("want simple, extended or prepared, got %q", s)
}

// ErrPreparedPooler reports that --protocol prepared was asked for through a pooler that
// hands server sessions out per transaction or per statement: a statement prepared on one
// server session would be executed by name on another, which does not know it.
var ErrPreparedPooler = errors.New("--protocol prepared cannot run through a transaction or statement pooler: a statement prepared on one server session is executed on another; use --protocol extended, or connect through a session pooler or to the server")

// CheckProtocol checks that the target can use the protocol of its Options: prepared
// statements need the connection's server session to stay the same from one unit to
// the next, which a transaction or statement pooler (found at Connect) does not give.
func (t *Target) CheckProtocol() error {
	if t.opts.Protocol == ProtocolPrepared && t.pooler != "" {
		return fmt.Errorf("%s: %w", t.info.Target, ErrPreparedPooler)
	}
	return nil
}

// ProtocolWarnings says, one line per reason, which statements were sent with the simple
// protocol although --protocol asked for another: how many times, and where first.
// Empty with the simple protocol.
func (t *Target) ProtocolWarnings() []string {
	t.protoWarn.mu.Lock()
	defer t.protoWarn.mu.Unlock()
	var out []string
	for _, why := range t.protoWarn.order {
		w := t.protoWarn.m[why]
		line := fmt.Sprintf("--protocol %s: %s: sent with the simple protocol instead (%s", t.opts.Protocol, why, plural(w.n, "statement execution"))
		if w.first.IsValid() {
			line += ", first at " + w.first.String()
		}
		out = append(out, line+")")
	}
	return out
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// protoWarnings collects the reasons for falling back to the simple protocol. It is
// safe for concurrent use; its zero value is empty.
type protoWarnings struct {
	mu    sync.Mutex
	m     map[string]*protoWarning
	order []string // reasons in the order first met
}

type protoWarning struct {
	n     int
	first queries.Pos
}

func (w *protoWarnings) add(why string, st *queries.Statement) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = make(map[string]*protoWarning)
	}
	pw := w.m[why]
	if pw == nil {
		pw = &protoWarning{}
		if st != nil {
			pw.first = st.Pos()
		}
		w.m[why] = pw
		w.order = append(w.order, why)
	}
	pw.n++
}

// resultSet is what reads the results of one query string: a *pgconn.MultiResultReader
// for the simple protocol, one result for the extended protocol.
type resultSet interface {
	NextResult() bool
	ResultReader() *pgconn.ResultReader
	Close() error
}

// oneResult is the resultSet of one Execute.
type oneResult struct {
	rr   *pgconn.ResultReader
	done bool
	// onClose, when set, sees the outcome (the simple protocol after a refused Parse).
	onClose func(error)
}

func (o *oneResult) NextResult() bool {
	if o.done {
		return false
	}
	o.done = true
	return true
}

func (o *oneResult) ResultReader() *pgconn.ResultReader { return o.rr }

func (o *oneResult) Close() error {
	_, err := o.rr.Close()
	return err
}

// refusedResult is the simple protocol's resultSet for a statement the server refused
// to prepare; when it then succeeds, the refusal is a reason to warn about.
type refusedResult struct {
	*pgconn.MultiResultReader
	onOK func()
}

func (r *refusedResult) Close() error {
	err := r.MultiResultReader.Close()
	if err == nil {
		r.onOK()
	}
	return err
}

// pcStateKey is the key of a connection's protocol state in its CustomData.
const pcStateKey = "qrun.protocol"

// pcState is what the protocol keeps per connection: its prepared statements and the
// time spent preparing them, which the timings leave out. Only the goroutine using the
// connection touches it.
type pcState struct {
	names map[string]string // statement text → prepared statement name
	next  int
	// untimed is time spent preparing since the last takeUntimed; unitUntimed since the
	// last takeUnitUntimed.
	untimed, unitUntimed time.Duration
}

func protoState(pc *pgconn.PgConn) *pcState {
	s, ok := pc.CustomData()[pcStateKey].(*pcState)
	if !ok {
		s = &pcState{}
		pc.CustomData()[pcStateKey] = s
	}
	return s
}

// takeUntimed returns the time spent preparing on pc since it was last taken: the
// statement's times start after it.
func takeUntimed(pc *pgconn.PgConn) time.Duration {
	s, ok := pc.CustomData()[pcStateKey].(*pcState)
	if !ok {
		return 0
	}
	d := s.untimed
	s.unitUntimed += d
	s.untimed = 0
	return d
}

// takeUnitUntimed returns the time spent preparing on pc during the unit that ends:
// the unit's wall time leaves it out.
func takeUnitUntimed(pc *pgconn.PgConn) time.Duration {
	takeUntimed(pc)
	s, ok := pc.CustomData()[pcStateKey].(*pcState)
	if !ok {
		return 0
	}
	d := s.unitUntimed
	s.unitUntimed = 0
	return d
}

// forgetPrepared forgets the statements prepared on pc, which DISCARD ALL or DEALLOCATE
// ALL has dropped on the server.
func forgetPrepared(pc *pgconn.PgConn) {
	if s, ok := pc.CustomData()[pcStateKey].(*pcState); ok {
		s.names = nil
	}
}

// reprepare prepares again, after the DISCARD ALL that starts every run but the first,
// the statements prepared on pc before, under the same names: the runs after the first
// find them prepared, as an application's long-lived connection would, and no Parse
// falls in their wall time. A statement that cannot be prepared now (it reads a
// temporary table the run creates) is prepared when it is next sent.
func reprepare(ctx context.Context, pc *pgconn.PgConn) error {
	s, ok := pc.CustomData()[pcStateKey].(*pcState)
	if !ok || len(s.names) == 0 {
		return nil
	}
	for sql, name := range s.names {
		if _, err := pc.Prepare(ctx, name, sql, nil); err != nil {
			if ctx.Err() != nil || pc.IsClosed() {
				return err
			}
			delete(s.names, sql)
		}
	}
	return nil
}

// noteTag forgets the prepared statements when a command of the script dropped them,
// or may have changed what their text means: DDL (a prepared SELECT * whose table gained
// a column fails with 0A000 "cached plan must not change result type", where the simple
// protocol would parse it again), and a SET or RESET (standard_conforming_strings changes
// how the text reads; search_path what it names). Each is prepared again, outside the
// timings, when next sent, as a driver does after such an error. The server keeps the
// forgotten statements until the session's next DISCARD ALL, under names not reused.
func noteTag(pc *pgconn.PgConn, tag pgconn.CommandTag) {
	s, ok := pc.CustomData()[pcStateKey].(*pcState)
	if !ok || len(s.names) == 0 {
		return
	}
	verb, _, _ := strings.Cut(tag.String(), " ")
	if plan.InvalidatesPrepared(verb) {
		s.names = nil
	}
}

// send sends the query string sql of statement st (nil when unknown, for warnings) with
// the protocol of the run's Options. It is the one place the runner's statements go to
// the server as a query, outside COPY: pc.Exec with the simple protocol; with extended
// and prepared, the query string is one Parse'd statement, or, when plan.ExtendedFallback
// or the server refuses that, the simple protocol again (counted in ProtocolWarnings).
// With prepared, a text met for the first time on pc is prepared first; that time is
// left out of the statement's (takeUntimed).
func (e *execution) send(ctx context.Context, pc *pgconn.PgConn, st *queries.Statement, sql string) resultSet {
	proto := e.opts.Protocol
	if proto == "" || proto == ProtocolSimple {
		return pc.Exec(ctx, sql)
	}
	if why := plan.ExtendedFallback(sql); why != "" {
		if st != nil && sql != st.SQL && plan.ExtendedFallback(st.SQL) == "" {
			// Behind a transaction pooler the --setup shares the statement's query string.
			why = "the --setup sent with each statement behind a transaction pooler shares its query string"
		}
		e.t.protoWarn.add(why, st)
		return pc.Exec(ctx, sql)
	}
	if proto == ProtocolExtended {
		return &oneResult{rr: pc.ExecParams(ctx, sql, nil, nil, nil, nil)}
	}
	s := protoState(pc)
	name, ok := s.names[sql]
	if !ok {
		if pc.TxStatus() == 'E' {
			// An aborted transaction refuses both protocols alike (25P02): this one is
			// prepared when the session can prepare again.
			return pc.Exec(ctx, sql)
		}
		now := e.opts.Now
		t0 := now()
		var err error
		name, err = prepare(ctx, pc, s, sql)
		s.untimed += now().Sub(t0)
		if err != nil {
			if ctx.Err() != nil || pc.IsClosed() {
				return &oneResult{rr: pc.ExecParams(ctx, sql, nil, nil, nil, nil)} // reports the end
			}
			// The statement's own error comes from the simple protocol, as psql's would;
			// a statement that runs there but could not be prepared is warned about.
			why := "the server refused to prepare it"
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) {
				why += " (" + pgErr.Code + ": " + pgErr.Message + ")"
			}
			return &refusedResult{MultiResultReader: pc.Exec(ctx, sql), onOK: func() { e.t.protoWarn.add(why, st) }}
		}
	}
	return &oneResult{rr: pc.ExecPrepared(ctx, name, nil, nil, nil)}
}

// prepare prepares sql on pc under a new name. Inside a transaction block it prepares
// under a savepoint of its own, so that a Parse the server refuses does not abort the
// script's transaction.
func prepare(ctx context.Context, pc *pgconn.PgConn, s *pcState, sql string) (string, error) {
	s.next++
	name := "qrun_" + strconv.Itoa(s.next)
	inTx := pc.TxStatus() == 'T'
	if inTx {
		if _, err := pc.Exec(ctx, "SAVEPOINT qrun_prepare").ReadAll(); err != nil {
			return "", err
		}
	}
	_, err := pc.Prepare(ctx, name, sql, nil)
	if inTx {
		end := "RELEASE SAVEPOINT qrun_prepare"
		if err != nil {
			end = "ROLLBACK TO SAVEPOINT qrun_prepare; RELEASE SAVEPOINT qrun_prepare"
		}
		if _, serr := pc.Exec(ctx, end).ReadAll(); serr != nil && err == nil {
			err = serr
		}
	}
	if err != nil {
		return "", err
	}
	if s.names == nil {
		s.names = make(map[string]string)
	}
	s.names[sql] = name
	return name, nil
}
