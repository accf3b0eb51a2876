package runner

import (
	"context"
	"fmt"

	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
	"github.com/qrunhq/qrun/result"
)

func bench(ctx context.Context, targets []*Target, p *plan.Plan, bo BenchOptions) ([][]result.Run, error) {
	out := make([][]result.Run, len(targets))
	if len(targets) == 0 {
		return out, nil
	}
	conns := 0
	for i, t := range targets {
		t.index = i
		conns = max(conns, t.conns)
	}
	// Hold the limit over all the runs, rather than setting and restoring GOMAXPROCS (a
	// stop of the world) around each one.
	defer limitProcs(conns)()
	// Warmup runs are numbered -1, -2, ... in events.
	for w := range bo.Warmup {
		for i, t := range targets {
			r, err := t.around(ctx, p, -(w + 1), bo)
			if err != nil {
				return out, fmt.Errorf("warmup run %d on %s: %w", w+1, t.info.Target, err)
			}
			if r.Interrupted {
				// Interrupted before measuring: the warmup run is all there is to report.
				out[i] = append(out[i], r)
				return out, nil
			}
		}
	}
	if bo.ServerStats {
		for _, t := range targets {
			t.serverStatsOn(ctx)
		}
		defer func() { // after the measured runs, outside them
			for i, t := range targets {
				if len(out[i]) > 0 && !out[i][len(out[i])-1].Interrupted {
					t.explainPass(ctx, p, len(out[i]))
				}
			}
		}()
	}
	runs := max(bo.Runs, 1)
	now := targets[0].opts.Now
	start := now()
	for n := 0; n < runs || (bo.Duration > 0 && now().Sub(start) < bo.Duration); n++ {
		for i, t := range targets {
			r, err := t.around(ctx, p, n, bo)
			if err != nil {
				return out, fmt.Errorf("run %d on %s: %w", n+1, t.info.Target, err)
			}
			out[i] = append(out[i], r)
			if r.Interrupted {
				return out, nil
			}
		}
	}
	return out, nil
}

// around makes run runNo of p with BenchOptions.BeforeEach before it and AfterEach after
// it (unless it was interrupted), outside its timings.
func (t *Target) around(ctx context.Context, p *plan.Plan, runNo int, bo BenchOptions) (result.Run, error) {
	if err := t.hook(ctx, "--before-each", bo.BeforeEach); err != nil {
		if ctx.Err() != nil {
			return interrupted(p, t.opts.Now()), nil
		}
		return result.Run{}, err
	}
	snap := t.beforeRun(ctx, runNo) // --server-stats: pg_stat_statements, outside the times
	r, err := t.run(ctx, p, runNo)
	t.afterRun(ctx, snap)
	if err != nil || r.Interrupted {
		return r, err
	}
	if err := t.hook(ctx, "--after-each", bo.AfterEach); err != nil && ctx.Err() == nil {
		return r, err
	}
	return r, nil
}

// hook runs the statements of --before-each or --after-each (flag) in order on a
// connection of the target's pool, and then gives that connection the session it had when
// it opened, as every run after the first finds it (DISCARD ALL and the setup).
func (t *Target) hook(ctx context.Context, flag string, stmts []*queries.Statement) error {
	if len(stmts) == 0 {
		return nil
	}
	c, err := t.pool.Acquire(ctx)
	if err != nil {
		return redacted(fmt.Errorf("%s: acquire connection: %w", flag, err))
	}
	defer c.Release()
	pc := c.Conn().PgConn()
	e := &execution{t: t, opts: &t.opts} // for a \copy among them
	for _, st := range stmts {
		if _, _, err := e.execStmt(ctx, pc, st, st.SQL); err != nil {
			if !pc.IsClosed() && pc.TxStatus() != 'I' {
				rollback(ctx, pc)
			}
			return hookError(flag, st, err)
		}
	}
	if err := t.reset(ctx, c); err != nil {
		return redacted(fmt.Errorf("%s: reset session: %w", flag, err))
	}
	return nil
}

// hookError names the failed statement of a hook: "file:line:col: SQLSTATE message"
// for a statement of an @FILE, the flag and the SQL for one given on the command line.
func hookError(flag string, st *queries.Statement, err error) error {
	e := toError(err, st)
	msg := e.Message
	if e.SQLState != "" {
		msg = e.SQLState + " " + msg
	}
	if st.Pos().IsValid() {
		return fmt.Errorf("%s: %s: %s", flag, e.Position, msg)
	}
	return fmt.Errorf("%s %q: %s", flag, st.SQL, msg)
}
