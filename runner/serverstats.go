package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/qrunhq/qrun/compare"
	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
	"github.com/qrunhq/qrun/result"
	"github.com/qrunhq/qrun/stats"
)

// maxExplainPasses caps the explain pass's repetitions: as many as the measured runs, at
// most this many.
const maxExplainPasses = 5

// explainPrefix is what every explained statement is sent behind. VERBOSE gives the
// query identifier (with compute_query_id on, or auto with pg_stat_statements loaded);
// TIMING OFF keeps the per-node clock reads out of the server's times.
const explainPrefix = "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY, VERBOSE, FORMAT JSON) "

// explainSavepoint guards each statement of the explain pass.
const explainSavepoint = "qrun_server_stats"

// serverPass is what --server-stats gathers on one target: the pg_stat_statements
// deltas over the measured runs, then the explain pass's per-statement results.
type serverPass struct {
	// pgss is "ok" once the extension answered, else why not; schema is where its view
	// lives. deltas sums, per query id, the counters' change over each measured run.
	pgss   string
	schema string
	deltas map[string]*result.StatDelta

	passMs float64
	// held says that the explain pass holds its savepoint, to be released before the next.
	held bool
	// stmts[u][k] is the result of the k-th statement of unit u (nil: not reached).
	stmts [][]*stmtStats
}

// stmtStats is one statement over the explain pass's repetitions.
type stmtStats struct {
	last   *result.ServerStats // the last repetition's parse
	execMs []float64
	planMs []float64
	note   string
}

// serverStatsOn prepares t for --server-stats: it looks for pg_stat_statements once,
// before the measured runs. It never fails: what is missing becomes a note.
func (t *Target) serverStatsOn(ctx context.Context) {
	sp := &serverPass{deltas: map[string]*result.StatDelta{}}
	t.server = sp
	c, err := t.pool.Acquire(ctx)
	if err != nil {
		sp.pgss = "not read: " + Redact(err.Error())
		return
	}
	defer c.Release()
	pc := c.Conn().PgConn()
	row, err := simpleRow(ctx, pc, "SELECT current_database(), coalesce((SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'), '')")
	switch {
	case err != nil:
		sp.pgss = "not read: " + Redact(err.Error())
		return
	case len(row) < 2 || row[1] == "":
		db := ""
		if len(row) > 0 {
			db = " " + row[0]
		}
		sp.pgss = "not installed in database" + db + " (CREATE EXTENSION pg_stat_statements; the server needs shared_preload_libraries = 'pg_stat_statements')"
		return
	}
	sp.schema = row[1]
	if _, err := sp.snapshot(ctx, pc); err != nil {
		sp.pgss = "unusable: " + Redact(err.Error())
		return
	}
	sp.pgss = "ok"
}

// pgssQuery reads the counters of the current database and user, per query id.
func (sp *serverPass) pgssQuery() string {
	return `SELECT queryid::text, sum(calls)::bigint, sum(total_exec_time), sum(total_plan_time), sum(rows)::bigint,
	sum(shared_blks_hit)::bigint, sum(shared_blks_read)::bigint, sum(shared_blks_dirtied)::bigint, sum(shared_blks_written)::bigint,
	sum(temp_blks_read)::bigint, sum(temp_blks_written)::bigint, sum(wal_records)::bigint, sum(wal_bytes)::bigint
FROM ` + quoteIdent(sp.schema) + `.pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND userid = (SELECT oid FROM pg_roles WHERE rolname = current_user)
  AND queryid IS NOT NULL
GROUP BY queryid`
}

// snapshot reads pg_stat_statements' counters by query id.
func (sp *serverPass) snapshot(ctx context.Context, pc *pgconn.PgConn) (map[string]result.StatDelta, error) {
	rows, err := simpleRows(ctx, pc, sp.pgssQuery())
	if err != nil {
		return nil, err
	}
	m := make(map[string]result.StatDelta, len(rows))
	for _, r := range rows {
		if len(r) < 13 {
			continue
		}
		i := func(k int) int64 { n, _ := strconv.ParseInt(r[k], 10, 64); return n }
		f := func(k int) float64 { x, _ := strconv.ParseFloat(r[k], 64); return x }
		m[r[0]] = result.StatDelta{Calls: i(1), TotalExecMs: f(2), TotalPlanMs: f(3), Rows: i(4),
			SharedHit: i(5), SharedRead: i(6), SharedDirtied: i(7), SharedWritten: i(8),
			TempRead: i(9), TempWritten: i(10), WalRecords: i(11), WalBytes: i(12)}
	}
	return m, nil
}

// beforeRun snapshots pg_stat_statements before a measured run; afterRun adds the
// change since to the deltas. Both are outside the run's timings, so that only the
// measured runs are counted: not the warmups, the hooks, other targets' runs or the
// explain pass. A failed snapshot stops the deltas, with the reason.
func (t *Target) beforeRun(ctx context.Context, runNo int) map[string]result.StatDelta {
	sp := t.server
	if sp == nil || runNo < 0 || sp.pgss != "ok" {
		return nil
	}
	snap, err := sp.snapshotOn(ctx, t)
	if err != nil {
		sp.pgss = "stopped: " + Redact(err.Error())
		return nil
	}
	return snap
}

func (t *Target) afterRun(ctx context.Context, before map[string]result.StatDelta) {
	sp := t.server
	if sp == nil || before == nil || sp.pgss != "ok" {
		return
	}
	after, err := sp.snapshotOn(ctx, t)
	if err != nil {
		sp.pgss = "stopped: " + Redact(err.Error())
		return
	}
	for id, a := range after {
		b := before[id]
		d := sp.deltas[id]
		if d == nil {
			d = &result.StatDelta{}
			sp.deltas[id] = d
		}
		d.Calls += a.Calls - b.Calls
		d.TotalExecMs += a.TotalExecMs - b.TotalExecMs
		d.TotalPlanMs += a.TotalPlanMs - b.TotalPlanMs
		d.Rows += a.Rows - b.Rows
		d.SharedHit += a.SharedHit - b.SharedHit
		d.SharedRead += a.SharedRead - b.SharedRead
		d.SharedDirtied += a.SharedDirtied - b.SharedDirtied
		d.SharedWritten += a.SharedWritten - b.SharedWritten
		d.TempRead += a.TempRead - b.TempRead
		d.TempWritten += a.TempWritten - b.TempWritten
		d.WalRecords += a.WalRecords - b.WalRecords
		d.WalBytes += a.WalBytes - b.WalBytes
	}
}

func (sp *serverPass) snapshotOn(ctx context.Context, t *Target) (map[string]result.StatDelta, error) {
	c, err := t.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Release()
	return sp.snapshot(ctx, c.Conn().PgConn())
}

// explainPass runs, after the measured runs, every statement of p under EXPLAIN
// (ANALYZE, BUFFERS, ...) on one connection of t, reps times: each time from the session
// as it opened (DISCARD ALL and the setup), in one transaction that is rolled back, each
// statement under a savepoint that an error rolls back to. Statements that cannot be
// explained are run as they are when they can change what later statements see
// (DDL, SET, COPY FROM STDIN), and get a note; none fails the run.
func (t *Target) explainPass(ctx context.Context, p *plan.Plan, reps int) {
	sp := t.server
	if sp == nil || ctx.Err() != nil {
		return
	}
	sp.stmts = make([][]*stmtStats, len(p.Units))
	for u, unit := range p.Units {
		sp.stmts[u] = make([]*stmtStats, len(unit.Statements))
		for k := range unit.Statements {
			sp.stmts[u][k] = &stmtStats{}
		}
	}
	start := t.opts.Now()
	defer func() { sp.passMs = ms(t.opts.Now().Sub(start)) }()
	c, err := t.pool.Acquire(ctx)
	if err != nil {
		sp.noteAll("explain pass: " + Redact(err.Error()))
		return
	}
	defer c.Release()
	pc := c.Conn().PgConn()
	for range max(1, min(reps, maxExplainPasses)) {
		if err := t.reset(ctx, c); err != nil {
			sp.noteAll("explain pass: reset session: " + Redact(err.Error()))
			return
		}
		if err := t.explainOnce(ctx, pc, p); err != nil {
			sp.noteAll("explain pass: " + Redact(err.Error()))
			if !pc.IsClosed() && pc.TxStatus() != 'I' {
				rollback(ctx, pc)
			}
			return
		}
	}
	if err := t.reset(ctx, c); err != nil && !pc.IsClosed() {
		pc.Close(ctx) // the pool replaces it
	}
}

// noteAll gives every statement not yet explained the reason why.
func (sp *serverPass) noteAll(note string) {
	for _, u := range sp.stmts {
		for _, s := range u {
			if s.last == nil && s.note == "" {
				s.note = note
			}
		}
	}
}

// explainOnce is one repetition of the explain pass. Its error is qrun's (the connection
// broke, ctx ended); the statements' own errors are notes.
func (t *Target) explainOnce(ctx context.Context, pc *pgconn.PgConn, p *plan.Plan) error {
	if _, err := pc.Exec(ctx, t.opts.begin()).ReadAll(); err != nil {
		return err
	}
	t.server.held = false
	if t.pooler != "" {
		// Behind a transaction pooler the setup is not the session's: give it to the
		// transaction, which holds one server connection to its end.
		if err := runSetup(ctx, pc, t.setup); err != nil {
			return err
		}
	}
	for u, unit := range p.Units {
		for k, st := range unit.Statements {
			if unit.Tx && (k == 0 || k == len(unit.Statements)-1) {
				sp := t.server.stmts[u][k]
				sp.note = "transaction control (the explain pass runs in a transaction of its own)"
				continue
			}
			if err := t.explainStmt(ctx, pc, st, t.server.stmts[u][k]); err != nil {
				return err
			}
		}
	}
	_, err := pc.Exec(ctx, "ROLLBACK").ReadAll()
	return err
}

// explainStmt explains (or runs, or skips) one statement under the pass's savepoint.
// The savepoint of the statement before is released, and this one's set, in the query
// string that carries the statement: one round trip per statement (COPY aside), so
// that the pass costs little more than a run.
func (t *Target) explainStmt(ctx context.Context, pc *pgconn.PgConn, st *queries.Statement, ss *stmtStats) error {
	kind, note := explainKind(st)
	ss.note = note
	if kind == skipStmt {
		return nil
	}
	sp := t.server
	prefix := "SAVEPOINT " + explainSavepoint + "; "
	if sp.held {
		prefix = "RELEASE SAVEPOINT " + explainSavepoint + "; " + prefix
	}
	var out []byte
	var err error
	switch {
	case kind == runStmt && st.IsCopyFromStdin:
		if _, err = pc.Exec(ctx, prefix).ReadAll(); err == nil {
			sp.held = true
			_, _, err = copyStdin(ctx, pc, st, st.SQL)
		}
	case kind == runStmt:
		_, err = pc.Exec(ctx, prefix+st.SQL).ReadAll()
	default:
		var res []*pgconn.Result
		res, err = pc.Exec(ctx, prefix+explainPrefix+st.SQL).ReadAll()
		out = explainResult(res)
	}
	if pc.IsClosed() || ctx.Err() != nil {
		return errors.Join(ctx.Err(), err, errors.New("connection lost"))
	}
	if pc.TxStatus() == 'I' {
		return fmt.Errorf("%s ended the explain pass's transaction", st.Name)
	}
	sp.held = true
	if err != nil {
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) {
			return err
		}
		what := "explain failed"
		if kind == runStmt {
			what = "failed in the explain pass"
		}
		ss.note = joinNote(note, what+": "+pgErr.Code+" "+pgErr.Message)
		_, err := pc.Exec(ctx, "ROLLBACK TO SAVEPOINT "+explainSavepoint).ReadAll()
		return err
	}
	if out != nil {
		s, perr := compare.ParseExplain(out)
		if perr != nil {
			ss.note = joinNote(note, perr.Error())
		} else {
			ss.last = s
			ss.execMs = append(ss.execMs, s.ServerMs)
			ss.planMs = append(ss.planMs, s.PlanMs)
		}
	}
	return nil
}

// explainResult is EXPLAIN's output among the results of a query string: the first
// "QUERY PLAN" column's first row.
func explainResult(res []*pgconn.Result) []byte {
	for _, r := range res {
		if len(r.FieldDescriptions) == 1 && r.FieldDescriptions[0].Name == "QUERY PLAN" && len(r.Rows) > 0 && len(r.Rows[0]) > 0 {
			return r.Rows[0][0]
		}
	}
	return nil
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// stmtKind is what the explain pass does with a statement.
type stmtKind int

const (
	explainStmt stmtKind = iota // EXPLAIN ANALYZE it (which also runs it)
	runStmt                     // run it as it is, for the state later statements see
	skipStmt                    // leave it out
)

// explainKind says what the explain pass does with st, and the note for a statement it
// does not explain.
func explainKind(st *queries.Statement) (stmtKind, string) {
	switch {
	case st.Connect() != nil:
		return skipStmt, `\connect (not explained)`
	case st.ClientCopy() != nil:
		return skipStmt, `\copy (not explained)`
	case st.Runtime():
		return skipStmt, "run-time meta-commands or variables (" + st.RuntimeReason() + "): not explained"
	case st.IsCopyFromStdin:
		return runStmt, "COPY: run, not explained"
	case plan.StatementControlsTransaction(st):
		// Also a COMMIT joined to other commands with "\;": it would end the pass's
		// transaction and keep what the pass wrote.
		return skipStmt, "transaction control (the explain pass runs in a transaction of its own)"
	}
	w, w2 := leadingWords(st)
	switch w {
	case "SELECT", "WITH", "VALUES", "TABLE", "INSERT", "UPDATE", "DELETE", "MERGE", "EXECUTE":
		return explainStmt, ""
	case "PREPARE":
		if w2 != "TRANSACTION" {
			break
		}
		fallthrough
	case "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE":
		return skipStmt, "transaction control (the explain pass runs in a transaction of its own)"
	case "DISCARD":
		return skipStmt, "DISCARD (not run in the explain pass)"
	case "":
		return skipStmt, "empty statement"
	}
	return runStmt, "utility statement: run, not explained"
}

// leadingWords are the first two words of st's first command in upper case, as the
// queries package's lexer reads them, past opening parentheses ("(SELECT 1) UNION ..."
// starts with SELECT).
func leadingWords(st *queries.Statement) (string, string) {
	var buf [queries.HeadWords]string
	words, _ := st.Head(buf[:0], queries.HeadWords)
	for len(words) > 0 && words[0] == "(" {
		words = words[1:]
	}
	var w [2]string
	for i := range min(2, len(words)) {
		w[i] = strings.ToUpper(words[i])
	}
	return w[0], w[1]
}

// AddServerStats adds to rep (Summarize's report of t's runs of p) what --server-stats
// found on t: each unit's server times, buffers and plan, the gap client − server, the
// pg_stat_statements deltas, and the explain pass's own cost. Without --server-stats it
// does nothing.
func (t *Target) AddServerStats(p *plan.Plan, rep *result.Report) {
	sp := t.server
	if sp == nil {
		return
	}
	rep.ServerPassMs = sp.passMs
	rep.PgStatStatements = sp.pgss
	if sp.stmts == nil {
		return
	}
	for u := range rep.Queries {
		if u >= len(sp.stmts) || u >= len(p.Units) {
			break
		}
		q := &rep.Queries[u]
		if !p.Units[u].Tx {
			q.ServerStats = sp.stmtResult(sp.stmts[u][0])
			sp.gap(q)
			continue
		}
		var parts []*result.ServerStats
		for k := range q.Statements {
			if k < len(sp.stmts[u]) {
				if k == 0 || k == len(sp.stmts[u])-1 {
					// BEGIN and its end: the explain pass has a transaction of its own.
					q.Statements[k].ServerStats = sp.stmtResult(sp.stmts[u][k])
					continue
				}
				s := &q.Statements[k]
				s.ServerStats = sp.stmtResult(sp.stmts[u][k])
				sp.gap(s)
				parts = append(parts, s.ServerStats)
			}
		}
		q.ServerStats = blockStats(parts, sp.stmts[u][1:])
		sp.gap(q)
	}
}

// stmtResult is the server's side of one statement over the explain pass.
func (sp *serverPass) stmtResult(ss *stmtStats) *result.ServerStats {
	if ss.last == nil {
		note := ss.note
		if note == "" {
			note = "not explained"
		}
		return &result.ServerStats{Note: note}
	}
	s := *ss.last
	s.ServerRunsMs = slices.Clone(ss.execMs)
	s.ServerMs = stats.Median(ss.execMs)
	s.PlanMs = stats.Median(ss.planMs)
	s.Note = ss.note
	if d := sp.deltas[s.QueryID]; d != nil && s.QueryID != "" && s.QueryID != "0" {
		c := *d
		if c.Calls > 0 {
			c.MeanExecMs = c.TotalExecMs / float64(c.Calls)
		}
		s.StatStatements = &c
	}
	return &s
}

// blockStats sums a transaction block's explained statements: times per repetition,
// buffers, and the plan shapes one after the other.
func blockStats(parts []*result.ServerStats, stmts []*stmtStats) *result.ServerStats {
	var b result.ServerStats
	var runs []float64
	var plans []float64
	explained := 0
	for k, s := range parts {
		if s == nil || len(s.ServerRunsMs) == 0 {
			continue
		}
		explained++
		for i, x := range s.ServerRunsMs {
			if i >= len(runs) {
				runs = append(runs, 0)
				plans = append(plans, 0)
			}
			runs[i] += x
			if i < len(stmts[k].planMs) {
				plans[i] += stmts[k].planMs[i]
			}
		}
		b.ServerRows += s.ServerRows
		if s.Buffers != nil {
			if b.Buffers == nil {
				b.Buffers = &result.Buffers{}
			}
			addBuffers(b.Buffers, s.Buffers)
		}
		b.PlanShape = append(b.PlanShape, s.PlanShape...)
	}
	if explained == 0 {
		return &result.ServerStats{Note: "transaction block: no statement explained"}
	}
	b.ServerRunsMs = runs
	b.ServerMs = stats.Median(runs)
	b.PlanMs = stats.Median(plans)
	b.PlanFingerprint = compare.Fingerprint(b.PlanShape)
	if explained < len(parts) {
		b.Note = fmt.Sprintf("transaction block: %d of %d statements explained", explained, len(parts))
	}
	return &b
}

func addBuffers(to, b *result.Buffers) {
	to.SharedHit += b.SharedHit
	to.SharedRead += b.SharedRead
	to.SharedDirtied += b.SharedDirtied
	to.SharedWritten += b.SharedWritten
	to.LocalHit += b.LocalHit
	to.LocalRead += b.LocalRead
	to.LocalDirtied += b.LocalDirtied
	to.LocalWritten += b.LocalWritten
	to.TempRead += b.TempRead
	to.TempWritten += b.TempWritten
}

// gap sets the gap client − server of a unit that ran ok and was explained.
func (sp *serverPass) gap(q *result.Query) {
	s := q.ServerStats
	if s == nil || len(s.ServerRunsMs) == 0 || q.Status != result.StatusOK || q.WallMs <= 0 {
		return
	}
	s.GapMs = math.Round((q.WallMs-s.ServerMs-s.PlanMs)*1000) / 1000
}

// simpleRows runs sql with the simple protocol and returns its rows as text.
func simpleRows(ctx context.Context, pc *pgconn.PgConn, sql string) ([][]string, error) {
	res, err := pc.Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, err
	}
	var rows [][]string
	for _, r := range res {
		for _, row := range r.Rows {
			vals := make([]string, len(row))
			for i, v := range row {
				vals[i] = string(v)
			}
			rows = append(rows, vals)
		}
	}
	return rows, nil
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
