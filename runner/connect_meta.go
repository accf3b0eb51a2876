package runner

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
	"github.com/qrunhq/qrun/result"
)

// \connect.
//
// In sequential mode the statements after a \connect (queries.Statement.Connect) run on
// a connection of their own, opened as psql's do_connect opens it: from the previous
// connection's parameters (the target's, at first), with those the command gives in
// their place, or from the defaults (the environment) with -reuse-previous=off, or by
// default when the first argument is a connection string. The new connection gets what
// every connection of the target gets: application_name, --read-only, the connect
// timeout, --setup. Opening it is outside every time, the run's total included: the
// run's clock stops meanwhile. psql -f ends when a \connect fails (it closes the old
// connection and exits with status 2), and so does the run: the unit that was to run on
// the new connection fails with the reason, the rest are not run. Every run starts
// again on the target's own connection. --parallel rejects \connect (CheckInput).

// kv is one connection parameter, a libpq keyword and its value.
type kv struct{ key, val string }

// connParams are the parameters a connection was opened with, in order, as libpq's
// PQconninfo would list those that were set.
type connParams []kv

func (p connParams) get(key string) (string, bool) {
	for _, e := range p {
		if e.key == key {
			return e.val, true
		}
	}
	return "", false
}

func (p connParams) set(key, val string) connParams {
	for i, e := range p {
		if e.key == key {
			p[i].val = val
			return p
		}
	}
	return append(p, kv{key, val})
}

func (p connParams) del(key string) connParams {
	out := p[:0]
	for _, e := range p {
		if e.key != key {
			out = append(out, e)
		}
	}
	return out
}

// String is p as a keyword/value connection string.
func (p connParams) String() string {
	var b strings.Builder
	for i, e := range p {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(e.key)
		b.WriteString("='")
		b.WriteString(strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(e.val))
		b.WriteByte('\'')
	}
	return b.String()
}

// targetParams are the parameters of a target's own connection: its connection string
// with the Host, Port, User and Database overrides.
func targetParams(cfg Config) (connParams, error) {
	p, err := parseConnString(cfg.ConnString)
	if err != nil {
		return nil, err
	}
	if cfg.Host != "" {
		p = p.set("host", cfg.Host)
	}
	if cfg.Port != 0 {
		p = p.set("port", strconv.Itoa(int(cfg.Port)))
	}
	if cfg.User != "" {
		p = p.set("user", cfg.User)
	}
	if cfg.Database != "" {
		p = p.set("dbname", cfg.Database)
	}
	return p, nil
}

// apply returns the parameters of the connection \connect c opens after a connection
// with parameters p, as psql 15's do_connect makes them.
func (p connParams) apply(c *queries.Connect) (connParams, error) {
	reuse := c.Reuse == queries.ReuseOn || c.Reuse == queries.ReuseDefault && !c.ConnString
	var out connParams
	if reuse {
		out = append(out, p...)
	}
	keepPassword, sameHost := true, false
	if c.ConnString {
		repl, err := parseConnString(c.Database)
		if err != nil {
			return nil, err
		}
		havePassword := false
		for _, e := range repl {
			if old, ok := out.get(e.key); reuse && (!ok || old != e.val) {
				switch e.key {
				case "user", "host", "hostaddr", "port":
					keepPassword = false
				}
			}
			havePassword = havePassword || e.key == "password"
			out = out.set(e.key, e.val)
		}
		if havePassword {
			keepPassword = true
		}
		sameHost = true // hostaddr goes with the host the string gives
	} else {
		if c.User != "" {
			if old, ok := out.get("user"); !ok || old != c.User {
				keepPassword = false
			}
			out = out.set("user", c.User)
		}
		if c.Host != "" {
			if old, ok := out.get("host"); ok && old == c.Host {
				sameHost = true
			} else {
				keepPassword = false
			}
			out = out.set("host", c.Host)
		} else {
			sameHost = true
		}
		if c.Port != "" {
			if old, ok := out.get("port"); !ok || old != c.Port {
				keepPassword = false
			}
			out = out.set("port", c.Port)
		}
		if c.Database != "" {
			out = out.set("dbname", c.Database)
		}
	}
	if reuse && !keepPassword {
		out = out.del("password")
	}
	if !sameHost {
		out = out.del("hostaddr")
	}
	return out, nil
}

// parseConnString reads a libpq connection string, keyword/value or URL, into its
// parameters.
func parseConnString(s string) (connParams, error) {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		return parseConnURL(s)
	}
	var p connParams
	i := 0
	skip := func() {
		for i < len(s) && isConnSpace(s[i]) {
			i++
		}
	}
	for {
		skip()
		if i >= len(s) {
			return p, nil
		}
		k := i
		for i < len(s) && s[i] != '=' && !isConnSpace(s[i]) {
			i++
		}
		key := s[k:i]
		skip()
		if i >= len(s) || s[i] != '=' {
			return nil, fmt.Errorf("missing \"=\" after %q in connection info string", key)
		}
		i++
		skip()
		var val strings.Builder
		if i < len(s) && s[i] == '\'' {
			i++
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					val.WriteByte(s[i+1])
					i += 2
					continue
				}
				i++
				if c == '\'' {
					closed = true
					break
				}
				val.WriteByte(c)
			}
			if !closed {
				return nil, errors.New("unterminated quoted string in connection info string")
			}
		} else {
			for i < len(s) && !isConnSpace(s[i]) {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val.WriteByte(s[i])
				i++
			}
		}
		p = p.set(key, val.String())
	}
}

func isConnSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// parseConnURL reads a postgres:// URL as libpq does:
// postgresql://[user[:password]@][host][:port][,...][/dbname][?param=value&...].
func parseConnURL(s string) (connParams, error) {
	rest := s[strings.Index(s, "://")+3:]
	var query string
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		rest, query = rest[:q], rest[q+1:]
	}
	authority, path, hasPath := strings.Cut(rest, "/")
	var p connParams
	unescape := func(v string) (string, error) {
		u, err := url.PathUnescape(v)
		if err != nil {
			return "", fmt.Errorf("invalid percent-encoded token in URI: %q", v)
		}
		return u, nil
	}
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		user, pass, hasPass := strings.Cut(authority[:at], ":")
		authority = authority[at+1:]
		if user != "" {
			u, err := unescape(user)
			if err != nil {
				return nil, err
			}
			p = p.set("user", u)
		}
		if hasPass {
			pw, err := unescape(pass)
			if err != nil {
				return nil, err
			}
			p = p.set("password", pw)
		}
	}
	if authority != "" {
		var hosts, ports []string
		anyPort := false
		for _, hp := range strings.Split(authority, ",") {
			host, port := hp, ""
			if strings.HasPrefix(hp, "[") {
				end := strings.IndexByte(hp, ']')
				if end < 0 {
					return nil, fmt.Errorf("missing \"]\" in URI: %q", s)
				}
				host, port = hp[1:end], strings.TrimPrefix(hp[end+1:], ":")
			} else if c := strings.LastIndexByte(hp, ':'); c >= 0 {
				host, port = hp[:c], hp[c+1:]
			}
			h, err := unescape(host)
			if err != nil {
				return nil, err
			}
			hosts, ports = append(hosts, h), append(ports, port)
			anyPort = anyPort || port != ""
		}
		if strings.Join(hosts, "") != "" {
			p = p.set("host", strings.Join(hosts, ","))
		}
		if anyPort {
			p = p.set("port", strings.Join(ports, ","))
		}
	}
	if hasPath && path != "" {
		db, err := unescape(path)
		if err != nil {
			return nil, err
		}
		p = p.set("dbname", db)
	}
	if query != "" {
		for _, pair := range strings.Split(query, "&") {
			if pair == "" {
				continue
			}
			k, v, ok := strings.Cut(pair, "=")
			if !ok {
				return nil, fmt.Errorf("missing key/value separator \"=\" in URI query parameter: %q", pair)
			}
			key, err := url.QueryUnescape(k)
			if err != nil {
				return nil, err
			}
			val, err := url.QueryUnescape(v)
			if err != nil {
				return nil, err
			}
			p = p.set(key, val)
		}
	}
	return p, nil
}

// side is the connection a \connect opened, which the worker runs on instead of its
// own until the run ends.
type side struct {
	conn   *queries.Connect // the \connect it follows
	params connParams
	pc     *pgconn.PgConn // nil once it has been lost
	label  string         // user@host:port/db
}

// pgConn is the connection the worker runs on now.
func (w *worker) pgConn() *pgconn.PgConn {
	if w.side != nil {
		return w.side.pc
	}
	return w.conn.Conn().PgConn()
}

// closeSide closes the connection a \connect opened, if any: the worker is back on its
// own.
func (w *worker) closeSide() {
	if w.side != nil && w.side.pc != nil {
		ctx, cancel := context.WithTimeout(context.Background(), cancelGrace)
		_ = w.side.pc.Close(ctx)
		cancel()
	}
	w.side = nil
}

// connectFor makes the worker run unit u on the connection its first statement's
// \connect asks for, opening it if need be, outside every time (the run's clock stops
// meanwhile). It reports false when the connection could not be opened: then the unit
// has failed, the run stops as psql -f stops, and the old connection is closed.
func (e *execution) connectFor(w *worker, u int) bool {
	c := e.p.Units[u].Statements[0].Connect()
	cur := (*queries.Connect)(nil)
	if w.side != nil {
		cur = w.side.conn
	}
	if c == cur {
		return true // (a lost connection is replaced by ready)
	}
	prev := e.t.params
	if w.side != nil {
		prev = w.side.params
	}
	start := e.opts.Now()
	s, err := e.t.openSide(e.stopCtx, prev, c)
	paused := e.opts.Now().Sub(start)
	e.start = e.start.Add(paused)
	w.closeSide()
	if err != nil {
		q := &e.run.Queries[u]
		at := ms(e.opts.Now().Sub(e.start))
		q.StartMs, q.EndMs, q.Conn = at, at, w.n
		if e.userCtx.Err() != nil {
			q.Status, q.Reason = result.StatusCancelled, "interrupted"
			return false
		}
		q.Status = result.StatusError
		q.Error = &result.Error{Message: `\connect: ` + err.Error(), Position: c.Pos.String()}
		e.stopped = fmt.Sprintf(`stopped after \connect at %s failed`, c.Pos)
		return false
	}
	w.side = s
	return true
}

// openSide opens the connection \connect c asks for after a connection with parameters
// prev.
func (t *Target) openSide(ctx context.Context, prev connParams, c *queries.Connect) (*side, error) {
	if t.paramsErr != nil {
		return nil, redacted(fmt.Errorf("cannot read the connection string: %w", t.paramsErr))
	}
	params, err := prev.apply(c)
	if err != nil {
		return nil, redacted(err)
	}
	s := &side{conn: c, params: params}
	if err := s.reopen(ctx, t); err != nil {
		return nil, err
	}
	return s, nil
}

// reopen opens s's connection with its parameters.
func (s *side) reopen(ctx context.Context, t *Target) error {
	cc, err := pgconn.ParseConfig(s.params.String())
	if err != nil {
		return redacted(err)
	}
	if t.cfg.ConnectTimeout > 0 {
		cc.ConnectTimeout = t.cfg.ConnectTimeout
	} else {
		cc.ConnectTimeout = defaultConnectTimeout
	}
	if cc.RuntimeParams["application_name"] == "" {
		name := t.cfg.ApplicationName
		if name == "" {
			name = defaultAppName
		}
		cc.RuntimeParams["application_name"] = name
	}
	if t.cfg.ReadOnly {
		cc.RuntimeParams["default_transaction_read_only"] = "on"
	}
	cc.DialFunc = countWrites(withRawIO(cc.DialFunc))
	cc.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: cancelGrace}
	}
	pc, err := pgconn.ConnectConfig(ctx, cc)
	if err == nil {
		if err = runSetup(ctx, pc, t.setup); err != nil {
			closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelGrace)
			_ = pc.Close(closeCtx)
			cancel()
		}
	}
	if err != nil {
		return connectReason(cc.Host, cc.Port, cc.ConnectTimeout, err)
	}
	db := cc.Database
	if db == "" {
		db = cc.User
	}
	s.pc, s.label = pc, fmt.Sprintf("%s@%s:%d/%s", cc.User, cc.Host, cc.Port, db)
	return nil
}

// CheckInput reports what the runner cannot run as the plan asks, as input errors
// (file:line:col): a \connect with Options.Parallel, and a \connect inside a transaction
// block. Run refuses such a plan too; calling CheckInput first reports it before
// connecting.
func CheckInput(p *plan.Plan, opts Options) error {
	var errs queries.ErrorList
	seen := map[*queries.Connect]bool{}
	for _, u := range p.Units {
		first := u.Statements[0].Connect()
		for _, st := range u.Statements {
			c := st.Connect()
			if c == nil || seen[c] {
				continue
			}
			switch {
			case opts.Parallel:
				seen[c] = true
				errs.Add(c.Pos, `\c is not supported with --parallel: the statements after a \connect run on the connection it opens, and --parallel runs them on a pool of its own; run the file without --parallel, or name each database with -d`)
			case c != first:
				seen[c] = true
				errs.Add(c.Pos, fmt.Sprintf(`\c inside a transaction block is not supported (the block's BEGIN is at %s)`, u.Statements[0].Pos()))
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	errs.Sort()
	return errs
}
