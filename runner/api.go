package runner

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
	"github.com/qrunhq/qrun/result"
)

// Config describes how to reach one server. Fields left empty fall back to the connection
// string, then to libpq's PG* environment variables, .pgpass and the service file.
type Config struct {
	// ConnString is a URL or keyword/value string as psql's -d takes; "" uses the
	// environment alone.
	ConnString string
	// Host, Port, User and Database override the connection string (psql's -h, -p, -U
	// and a plain database name given to -d).
	Host     string
	Port     uint16
	User     string
	Database string
	// ApplicationName is used unless the connection string sets one; default "qrun".
	ApplicationName string
	// ConnectTimeout bounds opening each connection; 0 means 10s.
	ConnectTimeout time.Duration
	// Setup statements run on every connection as it opens, outside the timings.
	Setup []string
	// ReadOnly sets default_transaction_read_only = on on every connection.
	ReadOnly bool
	// Spread lists HOST[:PORT] addresses over which the connections are spread
	// round-robin, in the order they are opened (--spread): the nodes of one cluster
	// serving one pool. Empty: every connection goes where the connection string says. A
	// missing port is the connection string's.
	Spread []string
}

// Options tune execution. The zero value runs sequentially on one connection.
type Options struct {
	Parallel    bool
	Concurrency int // connections in parallel mode (at least 1); sequential mode uses 1
	StopOnError bool
	// SingleTransaction runs each run of the file as one transaction (psql -1): BEGIN
	// before its first statement and COMMIT after its last, outside the times; a failed
	// statement makes the COMMIT a rollback, as in psql. Sequential mode only.
	SingleTransaction bool
	// Timeout cancels a unit on the server after this long (0: no limit).
	Timeout time.Duration
	// Retries retries a unit after a serialization failure, a deadlock or a connection
	// error before it was sent.
	Retries int
	// Reconnect, in sequential mode, replaces a lost connection and goes on; without it a
	// lost connection ends the run as it ends psql's (the rest not run). The new session
	// has --setup again, and none of the session state the file had made. Parallel mode
	// always replaces a lost connection (replaying the session settings of the run).
	Reconnect bool
	// Rollback runs each unit in a transaction that is rolled back.
	Rollback bool
	// ReadOnly runs each unit in a transaction qrun opens READ ONLY (a transaction block
	// of the file is made READ ONLY right after its BEGIN), so that the server refuses
	// every write whatever the session's defaults have become. Set with Config.ReadOnly;
	// plan.Options.ReadOnly rejects the commands that could undo it.
	ReadOnly bool
	// OnEvent, when set, receives progress events. It may be called from several
	// goroutines at once and must not block.
	OnEvent func(result.Event)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Stdin is what \copy ... from pstdin reads; nil makes it fail. Runs and targets
	// share it.
	Stdin *Stdin
	// Output, when set, receives what the script's \echo, \qecho and \warn print and
	// the errors of its meta-commands that act at run time, as psql would print them on
	// the stream named. It is called in the script's order in sequential mode, one call
	// at a time, and must not block.
	Output func(queries.Stream, string)
}

// BenchOptions say how often to run the plan. With both Runs and Duration set, Bench
// makes at least Runs measured runs and goes on until Duration has passed.
type BenchOptions struct {
	Runs     int           // measured runs (at least 1)
	Warmup   int           // unmeasured runs first
	Duration time.Duration // when > 0, repeat until this much time has passed (at least once)
	// BeforeEach runs before every run (warmup runs too) and AfterEach after every run
	// that was not interrupted, outside its timings, statement by statement on a
	// connection of the run's (in sequential mode, its one connection): hyperfine's
	// --prepare and --conclude, for a run that changes data (TRUNCATE, then load).
	// Session settings they make do not carry into the run, which starts from the session
	// as it opened (use Config.Setup for those). A failing statement ends Bench with an
	// error naming it.
	BeforeEach, AfterEach []*queries.Statement
	// ServerStats (--server-stats) takes pg_stat_statements' counters around every
	// measured run and, after the measured runs, makes the explain pass on each target
	// (serverstats.go); Target.AddServerStats adds what they found to the report.
	ServerStats bool
}

// ConnectError reports that a server could not be reached or a connection could not be
// set up. Its message names host and port and never holds a password.
type ConnectError struct {
	Host string
	Port uint16
	Err  error // already redacted
}

// Error returns one line such as "cannot connect to 127.0.0.1:5999: connection refused".
func (e *ConnectError) Error() string { return e.Err.Error() }

// Unwrap returns the cause, so errors.Is(err, syscall.ECONNREFUSED) and errors.As with a
// *pgconn.PgError work.
func (e *ConnectError) Unwrap() error { return e.Err }

// Target is one server, connected: a single connection in sequential mode, a warmed pool
// in parallel mode. It is not safe for concurrent runs.
type Target struct {
	info      result.Context
	connectMs float64

	pool  *pgxpool.Pool
	opts  Options
	setup []string
	// pooler is Info().Pooler; setupPrefix the setup as the start of a query string
	// (pooler.go).
	pooler      string
	setupPrefix string
	conns       int // connections a run uses
	runs        int // runs made so far; sessions are reset before every run but the first
	index       int // position among Bench's targets, for events

	// cfg and params describe the target's own connection, from which a \connect
	// starts; paramsErr is why its connection string could not be read for that.
	cfg        Config
	params     connParams
	paramsErr  error
	sessPlan   *plan.Plan // the plan needsSession last looked at, and its answer
	sessNeeded bool
	onSend     func(sql string) // tests: sees each query string sent for the script
	server     *serverPass      // --server-stats
	sideDoors  []string         // sidedoors.go
}

// SideDoors lists, one sentence each, what the connected role can still do that
// --read-only and --rollback do not stop (server files, programs, dblink, lo_import); it
// is asked only under those modes. Empty when the role has none of those privileges.
func (t *Target) SideDoors() []string { return t.sideDoors }

// Info describes the target for reports, without its password.
func (t *Target) Info() result.Context { return t.info }

// ConnectMs is the time it took to open and check the connections.
func (t *Target) ConnectMs() float64 { return t.connectMs }

// Run executes the plan once. SQL errors are data in the returned run; when ctx is
// cancelled, Run cancels what is running on the server and returns the complete partial
// run with Interrupted set and a nil error. The error is for failures of qrun itself, such
// as no connection to run on.
func (t *Target) Run(ctx context.Context, p *plan.Plan) (result.Run, error) {
	return t.run(ctx, p, 0)
}

// Close closes the target's connections.
func (t *Target) Close() {
	if t.pool != nil {
		t.pool.Close()
	}
}

// Bench runs the plan on every target, warmup runs first, then the measured runs
// interleaved (A, B, A, B, ...) so that drift hits all targets alike. It returns the
// measured runs per target. When ctx is cancelled it stops and returns what it has,
// the interrupted run included (marked Interrupted), with a nil error.
func Bench(ctx context.Context, targets []*Target, p *plan.Plan, bo BenchOptions) ([][]result.Run, error) {
	return bench(ctx, targets, p, bo)
}
