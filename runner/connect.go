package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/qrunhq/qrun/result"
)

const (
	defaultConnectTimeout = 10 * time.Second
	defaultAppName        = "qrun"
	// cancelGrace is how long a cancelled query has to end after the cancel request
	// before its socket is closed (the server may be unreachable: a black hole).
	cancelGrace = 3 * time.Second
	// forever stands for "never" in pool lifetimes: a benchmark's connections must not
	// be recycled between or during runs.
	forever = time.Duration(math.MaxInt64)
)

// Connect opens and checks the connections a run needs before any clock starts: one in
// sequential mode, opts.Concurrency in parallel mode, all opened at once, each running
// cfg.Setup. In parallel mode it first checks that the server has room for them. Its
// errors are *ConnectError and never hold a password.
func Connect(ctx context.Context, cfg Config, opts Options) (*Target, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
		opts.Now = now
	}
	n := 1
	if opts.Parallel {
		n = max(opts.Concurrency, 1)
	}
	if err := checkConnURL(cfg.ConnString); err != nil {
		return nil, &ConnectError{Host: cfg.Host, Port: cfg.Port, Err: err}
	}
	pc, err := poolConfig(cfg, n, now)
	if err != nil {
		return nil, &ConnectError{Host: cfg.Host, Port: cfg.Port, Err: parseConfigError(err)}
	}
	host, port := pc.ConnConfig.Host, pc.ConnConfig.Port
	fail := func(err error) error {
		return &ConnectError{Host: host, Port: port, Err: connectReason(host, port, pc.ConnConfig.ConnectTimeout, err)}
	}

	start := now()
	if n > 1 {
		if err := checkCapacity(ctx, pc.ConnConfig, n); err != nil {
			return nil, fail(err)
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fail(err)
	}
	id, err := warm(ctx, pool, n)
	if err != nil {
		pool.Close()
		return nil, fail(err)
	}
	var doors []string
	if cfg.ReadOnly || opts.ReadOnly || opts.Rollback {
		if c, err := pool.Acquire(ctx); err == nil {
			doors = sideDoors(ctx, c.Conn().PgConn())
			c.Release()
		}
	}
	db := pc.ConnConfig.Database
	if db == "" {
		db = pc.ConnConfig.User // libpq's default, which the server applied too
	}
	t := &Target{
		pool:      pool,
		opts:      opts,
		setup:     cfg.Setup,
		pooler:    id.pooler,
		sideDoors: doors,
		cfg:       cfg,
		conns:     n,
		connectMs: ms(now().Sub(start)),
		info: result.Context{
			ServerVersion: id.version,
			Engine:        id.engine,
			Connections:   id.addrs,
			Pooler:        id.pooler,
			Target:        fmt.Sprintf("%s@%s:%d/%s", pc.ConnConfig.User, host, port, db),
			Host:          host,
			Port:          int(port),
			Database:      db,
			User:          pc.ConnConfig.User,
		},
	}
	t.params, t.paramsErr = targetParams(cfg)
	return t, nil
}

// poolConfig parses cfg into a pool of exactly n connections that send a cancel request
// when a query's context ends and run cfg.Setup as each connection opens; now is the
// run's clock.
func poolConfig(cfg Config, n int, now func() time.Time) (*pgxpool.Config, error) {
	connString, err := withOverrides(cfg)
	if err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, err
	}
	cc := pc.ConnConfig
	if cfg.ConnectTimeout > 0 {
		cc.ConnectTimeout = cfg.ConnectTimeout
	} else {
		cc.ConnectTimeout = defaultConnectTimeout
	}
	if cc.RuntimeParams["application_name"] == "" {
		name := cfg.ApplicationName
		if name == "" {
			name = defaultAppName
		}
		cc.RuntimeParams["application_name"] = name
	}
	if cfg.ReadOnly {
		cc.RuntimeParams["default_transaction_read_only"] = "on"
	}
	// Raw socket reads and writes: one context switch per round trip, as libpq makes,
	// instead of up to two (see rawconn.go).
	// Each socket counts what it writes, so that a retry knows whether a unit was sent
	// (sent.go).
	cc.DialFunc = countWrites(withRawIO(spread(cc.DialFunc, cfg.Spread, cc.Port)))
	// pgconn's CancelRequestContextWatcherHandler, noting when a cancelled statement's
	// reply came (cancel.go).
	cc.BuildContextWatcherHandler = newCancelHandlers(now)
	setup := cfg.Setup
	pc.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		return runSetup(ctx, c.PgConn(), setup)
	}
	// No MinConns: warm opens the n connections in the foreground with the caller's
	// context, so Ctrl-C while connecting returns at once. With MinConns, pgxpool would
	// also dial in the background with a context nobody can cancel, and Close would wait
	// for those dials, up to the connect timeout.
	pc.MaxConns = int32(n)
	pc.MaxConnLifetime = forever
	pc.MaxConnLifetimeJitter = 0
	pc.MaxConnIdleTime = forever
	return pc, nil
}

// spread returns dial, or with addrs a dial that sends the i-th TCP connection it opens
// to addrs[i % len(addrs)] instead of where it was asked (--spread). Cancel requests
// follow: pgconn sends them to the connection's own remote address.
func spread(dial pgconn.DialFunc, addrs []string, port uint16) pgconn.DialFunc {
	if len(addrs) == 0 {
		return dial
	}
	full := make([]string, len(addrs))
	for i, a := range addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			a = net.JoinHostPort(strings.Trim(a, "[]"), strconv.Itoa(int(port)))
		}
		full[i] = a
	}
	var next atomic.Uint64
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if network == "tcp" || network == "tcp4" || network == "tcp6" {
			addr = full[(next.Add(1)-1)%uint64(len(full))]
		}
		return dial(ctx, network, addr)
	}
}

// setupError reports a failing --setup statement.
type setupError struct {
	sql string
	err error
}

func (e *setupError) Error() string { return fmt.Sprintf("setup %q: %v", e.sql, e.err) }
func (e *setupError) Unwrap() error { return e.err }

func runSetup(ctx context.Context, c *pgconn.PgConn, setup []string) error {
	for _, s := range setup {
		if _, err := c.Exec(ctx, s).ReadAll(); err != nil {
			return &setupError{sql: s, err: err}
		}
	}
	return nil
}

// withOverrides folds cfg's Host, Port, User and Database into its connection string, so
// that pgconn applies them with its usual precedence over the environment.
func withOverrides(cfg Config) (string, error) {
	var kv [][2]string
	if cfg.Host != "" {
		kv = append(kv, [2]string{"host", cfg.Host})
	}
	if cfg.Port != 0 {
		kv = append(kv, [2]string{"port", strconv.Itoa(int(cfg.Port))})
	}
	if cfg.User != "" {
		kv = append(kv, [2]string{"user", cfg.User})
	}
	if cfg.Database != "" {
		kv = append(kv, [2]string{"dbname", cfg.Database})
	}
	s := cfg.ConnString
	if len(kv) == 0 {
		return s, nil
	}
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		u, err := url.Parse(s)
		if err != nil {
			return "", errors.New("cannot parse the connection URL")
		}
		q := u.Query()
		for _, p := range kv {
			q.Set(p[0], p[1])
		}
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	var b strings.Builder
	b.WriteString(s)
	for _, p := range kv {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p[0])
		b.WriteString("='")
		b.WriteString(strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(p[1]))
		b.WriteByte('\'')
	}
	return b.String(), nil
}

// checkCapacity fails when the server cannot take n more connections. It asks on a
// connection of its own, closed before the pool opens.
func checkCapacity(ctx context.Context, cc *pgx.ConnConfig, n int) error {
	conn, err := pgconn.ConnectConfig(ctx, &cc.Config)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	const q = `SELECT current_setting('max_connections')::int
	- current_setting('superuser_reserved_connections')::int
	- (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int`
	res, err := conn.Exec(ctx, q).ReadAll()
	if err != nil {
		return fmt.Errorf("checking max_connections: %w", err)
	}
	if len(res) != 1 || len(res[0].Rows) != 1 {
		return errors.New("checking max_connections: unexpected result")
	}
	free, err := strconv.Atoi(string(res[0].Rows[0][0]))
	if err != nil {
		return fmt.Errorf("checking max_connections: %w", err)
	}
	free++ // this connection closes before the pool opens
	if free < n {
		return &CapacityError{Free: max(free, 0), Asked: n}
	}
	return nil
}

// CapacityError reports that the server cannot take as many connections as asked for.
// It is wrapped in a *ConnectError.
type CapacityError struct {
	Free  int // connections the server allows beyond those open now
	Asked int // connections -c asked for
}

// Error says how many connections the server allows and how many were asked for.
func (e *CapacityError) Error() string {
	return fmt.Sprintf("server allows %d more connections, -c asks for %d", e.Free, e.Asked)
}

// identityQuery asks a new connection what it reached: the engine's version string and
// the server's address (NULL over a Unix socket).
const identityQuery = "SELECT version(), coalesce(host(inet_server_addr()) || ':' || inet_server_port(), 'local socket')"

// serverIdentity is what warm learnt of the server.
type serverIdentity struct {
	version string   // server_version
	engine  string   // from version(): PostgreSQL, or a PG-wire engine
	addrs   []string // per connection, in pool order: the server address it reached
	pooler  string   // "transaction" or "statement" behind such a pooler, else ""
}

// simpleRow runs sql with the simple query protocol and returns its first row as text.
func simpleRow(ctx context.Context, pc *pgconn.PgConn, sql string) ([]string, error) {
	res, err := pc.Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(res) == 0 || len(res[0].Rows) == 0 {
		return nil, fmt.Errorf("%s: no row", sql)
	}
	row := make([]string, len(res[0].Rows[0]))
	for i, v := range res[0].Rows[0] {
		row[i] = string(v)
	}
	return row, nil
}

// probePooler tells whether the connections go through a pooler that hands server
// sessions out per transaction or per statement (PgBouncer's transaction and statement
// modes). It asks each open connection in turn for its backend's PID: connections that
// are open at once own distinct backends, unless something between them and the server
// shares backends among them. A pooler found, BEGIN on its own tells the statement mode,
// which refuses transaction blocks (and closes that connection; the pool replaces it).
// The probe can miss a pooler that happens to give each connection another backend; it
// cannot mistake a direct connection for a pooler.
func probePooler(ctx context.Context, conns []*pgxpool.Conn) string {
	// A few rounds: a pooler that happens to hand each connection another backend in one
	// round rarely does in every round; and one connection whose backend changes from
	// one query to the next is pooled too.
	shared := false
	last := make([]string, len(conns))
	for round := 0; round < 3 && !shared; round++ {
		seen := map[string]bool{}
		for i, c := range conns {
			row, err := simpleRow(ctx, c.Conn().PgConn(), "SELECT pg_backend_pid()")
			if err != nil || len(row) != 1 {
				return ""
			}
			pid := row[0]
			shared = shared || seen[pid] || last[i] != "" && last[i] != pid
			seen[pid], last[i] = true, pid
		}
	}
	if !shared {
		return ""
	}
	pc := conns[0].Conn().PgConn()
	if _, err := pc.Exec(ctx, "BEGIN").ReadAll(); err != nil {
		if strings.Contains(err.Error(), "statement pooling") || pc.IsClosed() {
			return "statement"
		}
		return "transaction"
	}
	_, _ = pc.Exec(ctx, "ROLLBACK").ReadAll()
	return "transaction"
}

// warm opens all n connections at once, asks each what it reached (identityQuery) and
// returns them to the pool, so that no run pays for connecting.
func warm(ctx context.Context, pool *pgxpool.Pool, n int) (serverIdentity, error) {
	conns := make([]*pgxpool.Conn, n)
	errs := make([]error, n)
	versions := make([]string, n)
	addrs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, err := pool.Acquire(ctx)
			if err == nil {
				// The simple query protocol: a transaction pooler may hand every message to
				// another server session, where a prepared statement would not exist.
				if row, qerr := simpleRow(ctx, c.Conn().PgConn(), identityQuery); qerr == nil && len(row) == 2 {
					versions[i], addrs[i] = row[0], row[1]
				} else {
					// An engine without these functions still runs SQL: ping it.
					err = c.Ping(ctx)
				}
			}
			conns[i], errs[i] = c, err
		})
	}
	wg.Wait()
	var id serverIdentity
	if errors.Join(errs...) == nil && n > 1 {
		id.pooler = probePooler(ctx, conns)
	}
	for i, c := range conns {
		if c != nil {
			id.version = c.Conn().PgConn().ParameterStatus("server_version")
			if versions[i] != "" {
				id.engine = engineOf(versions[i])
			}
			c.Release()
		}
	}
	if slices.ContainsFunc(addrs, func(a string) bool { return a != "" }) {
		id.addrs = addrs
	}
	return id, errors.Join(errs...)
}

// engineOf names the engine behind a PG-wire server from its version() string.
func engineOf(v string) string {
	for _, e := range []struct{ marker, name string }{
		{"CockroachDB", "CockroachDB"},
		{"-YB-", "YugabyteDB"},
		{"Greenplum", "Greenplum"},
		{"Redshift", "Amazon Redshift"},
		{"openGauss", "openGauss"},
	} {
		if strings.Contains(v, e.marker) {
			return e.name
		}
	}
	if strings.HasPrefix(v, "PostgreSQL ") {
		return "PostgreSQL"
	}
	if f := strings.Fields(v); len(f) > 0 {
		return f[0]
	}
	return ""
}

// connectReason turns a connection failure into one line naming host and port.
func connectReason(host string, port uint16, timeout time.Duration, err error) error {
	if errs, ok := err.(interface{ Unwrap() []error }); ok && len(errs.Unwrap()) > 0 {
		err = errs.Unwrap()[0] // warm's joined errors: the first says it all
	}
	var (
		reason string
		se     *setupError
		ce     *CapacityError
		pgErr  *pgconn.PgError
		errno  syscall.Errno
		dnsErr *net.DNSError
	)
	switch {
	case errors.As(err, &ce):
		return redacted(fmt.Errorf("%s:%d: %w", host, port, err))
	case errors.As(err, &se):
		return redacted(fmt.Errorf("%s:%d: %w", host, port, err))
	case errors.As(err, &pgErr):
		reason = fmt.Sprintf("%s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
	case errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err):
		reason = fmt.Sprintf("timed out after %s", timeout)
	case errors.As(err, &errno):
		reason = errno.Error()
	case errors.As(err, &dnsErr):
		reason = dnsErr.Error()
	default:
		reason = err.Error()
	}
	return &redactedError{msg: Redact(fmt.Sprintf("cannot connect to %s:%d: %s", host, port, reason)), err: err}
}

// redactedError carries an error whose message has had its passwords removed. Unwrap
// still reaches the original, for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func redacted(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: Redact(err.Error()), err: err}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
