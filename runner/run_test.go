package runner

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/result"
)

func TestSequentialCarriesSessionState(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	p := buildPlan(t, false,
		src{sql: "SET qrun.marker = '42';"},
		src{sql: "SELECT 1 WHERE current_setting('qrun.marker', true) = '42';"},
		src{sql: "CREATE TEMP TABLE tt (x int);"},
		src{sql: "INSERT INTO tt VALUES (1), (2), (3);"},
		src{sql: "SELECT * FROM tt;"},
	)
	tg := connect(t, url, Config{}, Options{})
	// Twice: the second run must start from a fresh session (the temp table is gone).
	for i := range 2 {
		r := run(t, tg, p)
		want := []int64{0, 1, 0, 3, 3}
		for j, q := range r.Queries {
			if q.Status != result.StatusOK {
				t.Fatalf("run %d: query %d: got status %s (%v), want ok", i, j, q.Status, q.Error)
			}
			if q.Rows != want[j] {
				t.Errorf("run %d: query %d (%s): got %d rows, want %d", i, j, q.SQL, q.Rows, want[j])
			}
			if q.Conn != 1 {
				t.Errorf("run %d: query %d: got conn %d, want 1", i, j, q.Conn)
			}
		}
		if got := r.Queries[3].Command; got != "INSERT 0 3" {
			t.Errorf("got command %q, want %q", got, "INSERT 0 3")
		}
	}
}

func TestParallelBeatsSequential(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	srcs := []src{
		{sql: "SELECT pg_sleep(0.3);"}, {sql: "SELECT pg_sleep(0.3);"},
		{sql: "SELECT pg_sleep(0.3);"}, {sql: "SELECT pg_sleep(0.3);"},
	}
	seq := run(t, connect(t, url, Config{}, Options{}), buildPlan(t, false, srcs...))
	par := run(t, connect(t, url, Config{}, Options{Parallel: true, Concurrency: 4}), buildPlan(t, true, srcs...))
	if ratio := par.WallMs / seq.WallMs; ratio > 0.6 {
		t.Errorf("got parallel/sequential wall %.0f/%.0f ms = %.2f, want < 0.6", par.WallMs, seq.WallMs, ratio)
	}
	conns := map[int]bool{}
	for _, q := range par.Queries {
		conns[q.Conn] = true
		if q.WallMs < 250 {
			t.Errorf("%s: got wall %.1f ms, want about 300", q.Name, q.WallMs)
		}
	}
	if len(conns) != 4 {
		t.Errorf("got %d connections used, want 4", len(conns))
	}
	if seq.WallMs < 1150 {
		t.Errorf("got sequential wall %.0f ms, want at least 1200", seq.WallMs)
	}
}

func TestErrorsAreData(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	for _, parallel := range []bool{false, true} {
		t.Run(mode(parallel), func(t *testing.T) {
			bad := "SELECT 1 FROM no_such_table;"
			p := buildPlan(t, parallel,
				src{name: "first", sql: "SELECT 1;"},
				src{name: "bad", sql: bad},
				src{name: "needs_bad", sql: "SELECT 2;", after: []string{"bad"}},
				src{name: "last", sql: "SELECT 3;"},
			)
			r := run(t, connect(t, url, Config{}, Options{Parallel: parallel, Concurrency: 2}), p)
			if got, want := statuses(r), "ok error skipped ok"; got != want {
				t.Fatalf("got statuses %q, want %q", got, want)
			}
			e := r.Queries[1].Error
			if e == nil || e.SQLState != "42P01" {
				t.Fatalf("got error %+v, want SQLSTATE 42P01", e)
			}
			st := p.Units[1].Statements[0]
			if want := st.PosOf(strings.Index(bad, "no_such_table") + 1).String(); e.Position != want {
				t.Errorf("got position %q, want %q", e.Position, want)
			}
			if got, want := r.Queries[2].Reason, "dependency bad failed"; got != want {
				t.Errorf("got reason %q, want %q", got, want)
			}
		})
	}
}

func mode(parallel bool) string {
	if parallel {
		return "parallel"
	}
	return "sequential"
}

func TestStopOnError(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	tests := []struct {
		name     string
		parallel bool
		srcs     []src
		want     string
	}{
		{
			name: "sequential",
			srcs: []src{{sql: "SELECT 1;"}, {name: "boom", sql: "SELECT 1/0;"}, {sql: "SELECT 2;"}},
			want: "ok error not_run",
		},
		{
			name:     "parallel cancels what runs",
			parallel: true,
			srcs: []src{
				{sql: "SELECT pg_sleep(5);"},
				{name: "boom", sql: "SELECT pg_sleep(0.1), 1/0;"},
				{sql: "SELECT 2;", stage: 1},
			},
			want: "cancelled error not_run",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := connect(t, url, Config{}, Options{Parallel: tt.parallel, Concurrency: 2, StopOnError: true})
			start := time.Now()
			r := run(t, tg, buildPlan(t, tt.parallel, tt.srcs...))
			if got := statuses(r); got != tt.want {
				t.Fatalf("got statuses %q, want %q", got, tt.want)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("got run time %s, want well under the 5s sleep", d)
			}
			if got, want := r.Queries[2].Reason, "stopped after boom failed"; got != want {
				t.Errorf("got reason %q, want %q", got, want)
			}
			// The connection is usable again after the cancel.
			if r := run(t, tg, buildPlan(t, tt.parallel, src{sql: "SELECT 1;"}, src{sql: "SELECT 2;"})); statuses(r) != "ok ok" {
				t.Errorf("after stop: got statuses %q, want ok ok", statuses(r))
			}
		})
	}
}

func TestTransactionBlockOnOneBackend(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	a := admin(t, url)
	exec(t, a, "CREATE TABLE seen (who text, pid int, xid xid8)")
	p := buildPlan(t, true,
		src{name: "block", sql: "BEGIN;"},
		src{sql: "INSERT INTO seen SELECT 'block', pg_backend_pid(), pg_current_xact_id();"},
		src{sql: "SELECT pg_sleep(0.3);"},
		src{sql: "INSERT INTO seen SELECT 'block', pg_backend_pid(), pg_current_xact_id();"},
		src{sql: "COMMIT;"},
		src{name: "beside", sql: "INSERT INTO seen SELECT 'beside', pg_backend_pid(), pg_current_xact_id() FROM pg_sleep(0.2);"},
	)
	if len(p.Units) != 2 || !p.Units[0].Tx {
		t.Fatalf("got %d units (tx %v), want a block and a statement", len(p.Units), p.Units[0].Tx)
	}
	r := run(t, connect(t, url, Config{}, Options{Parallel: true, Concurrency: 2}), p)
	if got := statuses(r); got != "ok ok" {
		t.Fatalf("got statuses %q, want ok ok", got)
	}
	block, beside := r.Queries[0], r.Queries[1]
	if len(block.Statements) != 5 {
		t.Fatalf("got %d statements in the block, want 5", len(block.Statements))
	}
	for i, s := range block.Statements {
		if s.Status != result.StatusOK || s.Conn != block.Conn {
			t.Errorf("statement %d: got status %s conn %d, want ok on conn %d", i, s.Status, s.Conn, block.Conn)
		}
	}
	if block.Conn == beside.Conn {
		t.Errorf("got both units on conn %d, want different connections", block.Conn)
	}
	if !(beside.StartMs < block.EndMs && block.StartMs < beside.EndMs) {
		t.Errorf("got block %.0f-%.0f ms and beside %.0f-%.0f ms, want them to overlap",
			block.StartMs, block.EndMs, beside.StartMs, beside.EndMs)
	}
	if got := scalar[int64](t, url, "SELECT count(DISTINCT (pid, xid)) FROM seen WHERE who = 'block'"); got != 1 {
		t.Errorf("got %d distinct (pid, xid) in the block, want 1", got)
	}
	if got := scalar[int64](t, url, "SELECT count(DISTINCT pid) FROM seen"); got != 2 {
		t.Errorf("got %d backends, want 2", got)
	}
}

func TestSetupOnEveryConnection(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	q := "SELECT 1 FROM pg_sleep(0.1) WHERE current_setting('qrun.setup', true) = 'yes';"
	p := buildPlan(t, true, src{sql: q}, src{sql: q}, src{sql: q})
	tg := connect(t, url, Config{Setup: []string{"SET qrun.setup = 'yes'"}}, Options{Parallel: true, Concurrency: 3})
	for i := range 2 { // the second run follows a session reset
		r := run(t, tg, p)
		conns := map[int]bool{}
		for _, q := range r.Queries {
			conns[q.Conn] = true
			if q.Status != result.StatusOK || q.Rows != 1 {
				t.Errorf("run %d, %s on conn %d: got %s with %d rows, want ok with 1", i, q.Name, q.Conn, q.Status, q.Rows)
			}
		}
		if len(conns) != 3 {
			t.Errorf("run %d: got %d connections, want 3", i, len(conns))
		}
	}
}

func TestSetupFailureIsConnectError(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	_, err := Connect(context.Background(), Config{ConnString: url, Setup: []string{"SELECT nope"}}, Options{})
	var ce *ConnectError
	if !errorsAs(err, &ce) {
		t.Fatalf("got error %v, want a *ConnectError", err)
	}
}

func TestReadOnlyWritesNothing(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	exec(t, admin(t, url), "CREATE TABLE t (x int)")
	p := buildPlan(t, false, src{sql: "INSERT INTO t VALUES (1);"}, src{sql: "SELECT count(*) FROM t;"})
	r := run(t, connect(t, url, Config{ReadOnly: true}, Options{}), p)
	if got := statuses(r); got != "error ok" {
		t.Fatalf("got statuses %q, want error ok", got)
	}
	if got := r.Queries[0].Error.SQLState; got != "25006" {
		t.Errorf("got SQLSTATE %s, want 25006", got)
	}
	if n := scalar[int64](t, url, "SELECT count(*) FROM t"); n != 0 {
		t.Errorf("got %d rows written, want 0", n)
	}
}

func TestRollbackKeepsNothing(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	exec(t, admin(t, url), "CREATE TABLE t (x int)")
	for _, parallel := range []bool{false, true} {
		t.Run(mode(parallel), func(t *testing.T) {
			p := buildPlan(t, parallel,
				src{sql: "INSERT INTO t VALUES (1), (2);"},
				src{sql: "BEGIN;"},
				src{sql: "INSERT INTO t VALUES (3);"},
				src{sql: "COMMIT;"},
				src{sql: "CREATE TABLE u (y int);"},
			)
			r := run(t, connect(t, url, Config{}, Options{Parallel: parallel, Concurrency: 2, Rollback: true}), p)
			if got := statuses(r); got != "ok ok ok" {
				t.Fatalf("got statuses %q, want ok ok ok", got)
			}
			if r.Queries[0].Rows != 2 {
				t.Errorf("got %d rows inserted, want 2", r.Queries[0].Rows)
			}
			if got := r.Queries[1].Statements[2].Command; got != "ROLLBACK" {
				t.Errorf("got the block's last command %q, want ROLLBACK", got)
			}
			if n := scalar[int64](t, url, "SELECT count(*) FROM t"); n != 0 {
				t.Errorf("got %d rows kept, want 0", n)
			}
			if n := scalar[int64](t, url, "SELECT count(*) FROM pg_class WHERE relname = 'u'"); n != 0 {
				t.Errorf("got table u kept, want it rolled back")
			}
		})
	}
}

func TestTimeoutCancelsOnServer(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	app := appName(t)
	tg := connect(t, url, Config{ApplicationName: app}, Options{Timeout: 200 * time.Millisecond})
	pidBefore := scalar[int32](t, url, "SELECT pid FROM pg_stat_activity WHERE application_name = $1", app)
	start := time.Now()
	r := run(t, tg, buildPlan(t, false, src{sql: "SELECT pg_sleep(10);"}, src{sql: "SELECT 1;"}))
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("got %s, want the timeout to end the run early", d)
	}
	if got := statuses(r); got != "timeout ok" {
		t.Fatalf("got statuses %q, want timeout ok", got)
	}
	if e := r.Queries[0].Error; e == nil || e.SQLState != "57014" {
		t.Errorf("got error %+v, want SQLSTATE 57014", e)
	}
	// Right after the run, the backend is idle: the query did not go on running.
	state := scalar[string](t, url, "SELECT state FROM pg_stat_activity WHERE pid = $1", pidBefore)
	if state != "idle" {
		t.Errorf("got backend state %q, want idle", state)
	}
}

func TestInterruptGivesCompleteResult(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	tests := []struct {
		name     string
		parallel bool
		srcs     []src
		want     string
	}{
		{"sequential", false, []src{{sql: "SELECT 1;"}, {sql: "SELECT pg_sleep(10);"}, {sql: "SELECT 2;"}}, "ok cancelled not_run"},
		{"parallel", true, []src{{sql: "SELECT pg_sleep(10);"}, {sql: "SELECT pg_sleep(10);"}, {sql: "SELECT 2;", stage: 1}}, "cancelled cancelled not_run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := appName(t)
			tg := connect(t, url, Config{ApplicationName: app}, Options{Parallel: tt.parallel, Concurrency: 2})
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			r, err := tg.Run(ctx, buildPlan(t, tt.parallel, tt.srcs...))
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("got %s, want the interrupt to end the run early", d)
			}
			if !r.Interrupted {
				t.Error("got Interrupted false, want true")
			}
			if got := statuses(r); got != tt.want {
				t.Errorf("got statuses %q, want %q", got, tt.want)
			}
			if got := r.Queries[2].Reason; got != "interrupted" {
				t.Errorf("got reason %q, want interrupted", got)
			}
			if n := scalar[int64](t, url, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state <> 'idle'", app); n != 0 {
				t.Errorf("got %d backends still busy, want 0", n)
			}
		})
	}
}

func TestTerminatedBackend(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	p := buildPlan(t, true,
		src{name: "victim", sql: "SELECT pg_sleep(5) /* victim */;"},
		src{name: "wait", sql: "SELECT pg_sleep(0.3);"},
		src{name: "killer", after: []string{"wait"}, sql: "SELECT pg_terminate_backend(pid) FROM pg_stat_activity " +
			"WHERE query LIKE '%/* victim */%' AND pid <> pg_backend_pid() AND datname = current_database();"},
		src{name: "later1", stage: 1, sql: "SELECT pg_sleep(0.1);"},
		src{name: "later2", stage: 1, sql: "SELECT pg_sleep(0.1);"},
	)
	r := run(t, connect(t, url, Config{}, Options{Parallel: true, Concurrency: 2}), p)
	if got, want := statuses(r), "error ok ok ok ok"; got != want {
		t.Fatalf("got statuses %q, want %q (victim error %+v)", got, want, r.Queries[0].Error)
	}
	if e := r.Queries[0].Error; e.SQLState != "57P01" {
		t.Errorf("got SQLSTATE %q, want 57P01", e.SQLState)
	}
	if r.Queries[3].Conn == r.Queries[4].Conn {
		t.Errorf("got later units both on conn %d, want both connections in use (one replaced)", r.Queries[3].Conn)
	}
}

func TestRetriesSerializationFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		retries  int
		want     string
		wantV    int
		attempts int
	}{
		{"no retries", 0, "error", 1, 1},
		{"retried", 3, "ok", 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := pgtest.NewDatabase(t)
			exec(t, admin(t, url), "CREATE TABLE t (k int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0)")
			block := func(name string) []src {
				return []src{
					{name: name, sql: "BEGIN ISOLATION LEVEL REPEATABLE READ;"},
					{sql: "SELECT v FROM t;"},
					{sql: "SELECT pg_sleep(0.2);"},
					{sql: "UPDATE t SET v = v + 1 WHERE k = 1;"},
					{sql: "COMMIT;"},
				}
			}
			p := buildPlan(t, true, append(block("a"), block("b")...)...)
			// A timeout as well: retries must still happen under one.
			opts := Options{Parallel: true, Concurrency: 2, Retries: tt.retries, Timeout: 20 * time.Second}
			r := run(t, connect(t, url, Config{}, opts), p)
			got := []string{string(r.Queries[0].Status), string(r.Queries[1].Status)}
			slices.Sort(got)
			if want := []string{tt.want, "ok"}; !slices.Equal(got, want) && !slices.Equal(got, []string{"ok", tt.want}) {
				t.Errorf("got statuses %v, want one ok and one %s", got, tt.want)
			}
			maxAttempts := max(r.Queries[0].Attempts, r.Queries[1].Attempts)
			if maxAttempts != tt.attempts {
				t.Errorf("got at most %d attempts, want %d", maxAttempts, tt.attempts)
			}
			for _, q := range r.Queries {
				if q.Status == result.StatusError && q.Error.SQLState != "40001" {
					t.Errorf("got SQLSTATE %s, want 40001", q.Error.SQLState)
				}
			}
			if v := scalar[int32](t, url, "SELECT v FROM t WHERE k = 1"); int(v) != tt.wantV {
				t.Errorf("got v = %d, want %d", v, tt.wantV)
			}
		})
	}
}

func TestCopyFromStdin(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	p := buildPlan(t, false,
		src{sql: "CREATE TABLE t (x int, y text);"},
		src{sql: "COPY t FROM STDIN;", copy: "1\tone\n2\ttwo\n3\tthree\n"},
		src{sql: "SELECT * FROM t;"},
	)
	r := run(t, connect(t, url, Config{}, Options{}), p)
	if got := statuses(r); got != "ok ok ok" {
		t.Fatalf("got statuses %q, want ok ok ok", got)
	}
	if r.Queries[1].Rows != 3 || r.Queries[2].Rows != 3 {
		t.Errorf("got %d rows copied and %d read, want 3 and 3", r.Queries[1].Rows, r.Queries[2].Rows)
	}
}

func TestEvents(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	var (
		mu     sync.Mutex
		events []result.Event
	)
	opts := Options{Parallel: true, Concurrency: 2, OnEvent: func(ev result.Event) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, ev)
	}}
	p := buildPlan(t, true, src{name: "a", sql: "SELECT 1;"}, src{name: "b", sql: "SELECT 2;"})
	run(t, connect(t, url, Config{}, opts), p)
	kinds := map[result.EventKind]int{}
	for _, ev := range events {
		kinds[ev.Kind]++
		if ev.Kind == result.EventDone && (ev.Query == nil || ev.Query.Name != ev.Name) {
			t.Errorf("got done event %+v, want its query", ev)
		}
	}
	want := map[result.EventKind]int{result.EventRunStart: 1, result.EventStart: 2, result.EventDone: 2, result.EventRunDone: 1}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("got %d events of kind %d, want %d", kinds[k], k, n)
		}
	}
	if events[0].Kind != result.EventRunStart || events[len(events)-1].Kind != result.EventRunDone {
		t.Errorf("got first %d and last %d, want run start and run done", events[0].Kind, events[len(events)-1].Kind)
	}
}

func TestWaitForConnection(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	p := buildPlan(t, true, src{sql: "SELECT pg_sleep(0.2);"}, src{sql: "SELECT pg_sleep(0.2);"})
	r := run(t, connect(t, url, Config{}, Options{Parallel: true, Concurrency: 1}), p)
	first, second := r.Queries[0], r.Queries[1]
	if first.WaitMs > 50 {
		t.Errorf("got first wait %.1f ms, want about 0", first.WaitMs)
	}
	// The second was ready at once but had to wait for the only connection.
	if second.WaitMs < 150 || second.WaitMs > second.StartMs+1 {
		t.Errorf("got second wait %.1f ms (start %.1f ms), want about the first's %.1f ms", second.WaitMs, second.StartMs, first.WallMs)
	}
}

// TestClock shows that every time comes from Options.Now: with a clock that ticks 1ms
// per reading, the times are exact.
func TestClock(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var ticks time.Duration
	now := func() time.Time { ticks += time.Millisecond; return base.Add(ticks) }
	p := buildPlan(t, false, src{sql: "SELECT 1;"}, src{sql: "SELECT pg_sleep(0.05);"})
	r := run(t, connect(t, url, Config{}, Options{Now: now}), p)
	if !r.StartedAt.After(base) || r.StartedAt.After(base.Add(time.Hour)) {
		t.Errorf("got start %s, want a time from the clock", r.StartedAt)
	}
	var prevEnd float64
	for _, q := range r.Queries {
		if q.WallMs != 1 || q.EndMs-q.StartMs != 1 || q.StartMs <= prevEnd {
			t.Errorf("%s: got wall %.3f ms from %.3f to %.3f, want 1 ms after %.3f", q.Name, q.WallMs, q.StartMs, q.EndMs, prevEnd)
		}
		prevEnd = q.EndMs
	}
	if r.WallMs != prevEnd {
		t.Errorf("got run wall %.3f ms, want the last end %.3f", r.WallMs, prevEnd)
	}
}
