package runner

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/pgtest"
)

// errorsAs is errors.As, for brevity in tests.
func errorsAs(err error, target any) bool { return errors.As(err, target) }

func TestConnectInfo(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	app := appName(t)
	tg := connect(t, url, Config{ApplicationName: app}, Options{Parallel: true, Concurrency: 3})
	info := tg.Info()
	if info.ServerVersion == "" || info.Host == "" || info.Port == 0 || info.User == "" || info.Database == "" {
		t.Errorf("got info %+v, want server version, host, port, user and database", info)
	}
	if want := info.User + "@" + info.Host; !strings.HasPrefix(info.Target, want) {
		t.Errorf("got target %q, want it to start with %q", info.Target, want)
	}
	if tg.ConnectMs() <= 0 {
		t.Errorf("got connect time %.3f ms, want > 0", tg.ConnectMs())
	}
	// The engine, and where each connection went.
	if info.Engine != "PostgreSQL" {
		t.Errorf("engine %q, want PostgreSQL", info.Engine)
	}
	wantAddr := info.Host + ":" + strconv.Itoa(info.Port)
	if len(info.Connections) != 3 || info.Connections[0] != wantAddr || info.Connections[2] != wantAddr {
		t.Errorf("connections reached %v, want 3 × %s", info.Connections, wantAddr)
	}
	// Every connection is open before any run, under the application name.
	if n := scalar[int64](t, url, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app); n != 3 {
		t.Errorf("got %d connections open, want 3", n)
	}
}

func TestDefaultApplicationName(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	tg := connect(t, url, Config{}, Options{})
	c, err := tg.pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	if got := c.Conn().PgConn().ParameterStatus("application_name"); got != "qrun" {
		t.Errorf("got application_name %q, want qrun", got)
	}
}

func TestConnectErrors(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	tests := []struct {
		name string
		cfg  Config
		opts Options
		want string // in the message
		is   error  // errors.Is target, if any
	}{
		{
			name: "refused",
			cfg:  Config{ConnString: "postgres://postgres:s3cret@127.0.0.1:5999/postgres?sslmode=disable"},
			want: "cannot connect to 127.0.0.1:5999: connection refused",
			is:   syscall.ECONNREFUSED,
		},
		{
			name: "refused, keyword form",
			cfg:  Config{ConnString: "host=127.0.0.1 port=5999 user=postgres password=s3cret sslmode=disable"},
			want: "127.0.0.1:5999",
			is:   syscall.ECONNREFUSED,
		},
		{
			name: "port override",
			cfg:  Config{ConnString: url, Port: 5999},
			want: "127.0.0.1:5999",
			is:   syscall.ECONNREFUSED,
		},
		{
			name: "wrong user",
			cfg:  Config{ConnString: "postgres://no_such_user_qrun:s3cret@127.0.0.1:5432/postgres?sslmode=disable"},
			want: "no_such_user_qrun",
		},
		{
			name: "bad url",
			cfg:  Config{ConnString: "postgres://postgres:s3cret@127.0.0.1:notaport/postgres"},
			want: "invalid connection string: invalid port",
		},
		{
			name: "more connections than the server allows",
			cfg:  Config{ConnString: url},
			opts: Options{Parallel: true, Concurrency: 100000},
			want: "-c asks for 100000",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			tg, err := Connect(context.Background(), tt.cfg, tt.opts)
			if err == nil {
				tg.Close()
				t.Fatal("got no error, want a ConnectError")
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("got %s to fail, want it quick", d)
			}
			var ce *ConnectError
			if !errors.As(err, &ce) {
				t.Fatalf("got %T %v, want a *ConnectError", err, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("got %q, want it to contain %q", msg, tt.want)
			}
			if strings.Contains(msg, "s3cret") {
				t.Errorf("got %q, which holds the password", msg)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("got %q, want one line", msg)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("got %v, want errors.Is %v", err, tt.is)
			}
		})
	}
}

func TestCapacityError(t *testing.T) {
	t.Parallel()
	_, err := Connect(context.Background(), Config{ConnString: pgtest.URL(t)}, Options{Parallel: true, Concurrency: 100000})
	var ce *CapacityError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a *CapacityError", err)
	}
	if ce.Asked != 100000 || ce.Free <= 0 || ce.Free >= 100000 {
		t.Errorf("got free %d asked %d, want 0 < free < asked = 100000", ce.Free, ce.Asked)
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"postgres://bob:s3cret@db:5432/app", "postgres://bob:xxxxx@db:5432/app"},
		{"postgresql://bob:s3cret@db/app?sslmode=disable", "postgresql://bob:xxxxx@db/app?sslmode=disable"},
		{"host=db user=bob password=s3cret dbname=app", "host=db user=bob password=xxxxx dbname=app"},
		{"host=db password = 's3 cret\\'x' dbname=app", "host=db password = xxxxx dbname=app"},
		{"postgres://db/app?user=bob&password=s3cret&sslmode=disable", "postgres://db/app?user=bob&password=xxxxx&sslmode=disable"},
		{"PASSWORD=s3cret", "PASSWORD=xxxxx"},
		{"postgres://bob@db/app", "postgres://bob@db/app"},
		{"no secrets here", "no secrets here"},
		// Malformed URLs: the userinfo is hidden up to the last '@'.
		{"postgres://bob:p@ss@db/app", "postgres://bob:xxxxx@db/app"},
		{"postgres://bob:pa/ss@db/app", "postgres://bob:xxxxx@db/app"},
		{"postgres://bob:pa#ss@db/app", "postgres://bob:xxxxx@db/app"},
		{"postgres://bob:pa?ss@db/app", "postgres://bob:xxxxx@db/app"},
		{"postgres://b@b:pass@db/app", "postgres://xxxxx@db/app"},
		{"postgres://bob@pass@db/app", "postgres://xxxxx@db/app"},
		{"cannot parse `postgres://bob:p@ss@db/app`: failed", "cannot parse `postgres://bob:xxxxx@db/app`: failed"},
		{"two: postgres://a:x1@h postgres://b:x2@h", "two: postgres://a:xxxxx@h postgres://b:xxxxx@h"},
		// Keyword values as libpq reads them.
		{"password=ab\\ cd host=h", "password=xxxxx host=h"},
		{"password='ab\\'cd ef' host=h", "password=xxxxx host=h"},
		{"password=ab\\'cd host=h", "password=xxxxx host=h"},
		{"password='unterminated secret host=h", "password=xxxxx"},
		{"sslpassword=k3y host=h", "sslpassword=xxxxx host=h"},
		{"mypassword=notakeyword", "mypassword=notakeyword"},
		{"the password is fine", "the password is fine"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Redact(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRedactNoFragment builds connection strings around passwords with every character
// that can end a value early and checks that no part of the password survives Redact.
func TestRedactNoFragment(t *testing.T) {
	t.Parallel()
	seps := []string{"@", "/", "?", "#", ":", " ", "\\'", "'", "&", "\\", "=", "@@"}
	for _, sep := range seps {
		pw := "SECRA" + sep + "SECRB"
		forms := []string{
			"postgres://bob:" + pw + "@db:5432/app",
			"postgresql://bob:" + pw + "@db/app?sslmode=disable",
			"cannot parse `postgres://bob:" + pw + "@db/app`: failed to parse as URL",
			"host=db password='" + strings.ReplaceAll(strings.ReplaceAll(pw, "\\", "\\\\"), "'", "\\'") + "' dbname=app",
			"host=db password=" + strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(pw, "\\", "\\\\"), " ", "\\ "), "'", "\\'") + " dbname=app",
		}
		for _, f := range forms {
			if got := Redact(f); strings.Contains(got, "SECR") {
				t.Errorf("Redact(%q) = %q: a part of the password is left", f, got)
			}
		}
	}
}

func TestCheckConnURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in string
		ok bool
	}{
		{"postgres://bob:s3cret@db:5432/app", true},
		{"postgres://bob:p%40ss@db/app", true},
		{"postgres://db/app?user=me@server", true}, // an '@' in the query is no userinfo
		{"host=a password=p@ss@x", true},           // keyword form: libpq reads it whole
		{"", true},
		{"postgres://bob:SECRA@SECRB@db/app", false},
		{"postgresql://bob:SECRA@S@SECRB@db", false},
		{"postgres://bob:SECRA@db 'SECRB/app", false},
		{"postgres://bob:SECRA SECRB@db/app", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			err := checkConnURL(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("got %v, want ok %v", err, tt.ok)
			}
			if err != nil && (strings.Contains(err.Error(), "SECR") || strings.Contains(err.Error(), "bob")) {
				t.Errorf("the error %q holds part of the string", err)
			}
		})
	}
}

// TestParseConfigErrorHidesString checks that a connection string pgconn cannot parse is
// reported without any of it.
func TestParseConfigErrorHidesString(t *testing.T) {
	t.Parallel()
	for _, cs := range []string{
		"postgres://bob:SECRA/SECRB@db:notaport/app",
		"host=db password='SECRA\\'SECRB port=x",
		"postgres://bob:SECRA@db:99999/app",
	} {
		_, err := Connect(context.Background(), Config{ConnString: cs}, Options{})
		if err == nil {
			t.Fatalf("%q: Connect succeeded", cs)
		}
		if strings.Contains(err.Error(), "SECR") || strings.Contains(err.Error(), "bob") {
			t.Errorf("%q: error %q holds part of the string", cs, err)
		}
	}
}

func TestWithOverrides(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"none", Config{ConnString: "postgres://a@h/db"}, "postgres://a@h/db"},
		{"url", Config{ConnString: "postgres://a@h/db", Host: "x", Port: 6000, User: "u", Database: "d"},
			"postgres://a@h/db?dbname=d&host=x&port=6000&user=u"},
		{"keywords", Config{ConnString: "host=h", Database: "it's"}, `host=h dbname='it\'s'`},
		{"environment", Config{Host: "/tmp"}, "host='/tmp'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := withOverrides(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEngineOf(t *testing.T) {
	for _, tt := range []struct{ version, want string }{
		{"PostgreSQL 15.20 (Debian 15.20-0+deb12u1) on x86_64-pc-linux-gnu, compiled by gcc", "PostgreSQL"},
		{"CockroachDB CCL v23.1.11 (x86_64-pc-linux-gnu, built 2023/09/27, go1.19.10)", "CockroachDB"},
		{"PostgreSQL 11.2-YB-2.20.1.0-b0 on x86_64-pc-linux-gnu", "YugabyteDB"},
		{"PostgreSQL 12.12 (Greenplum Database 7.0.0 build commit:0a7a3566873)", "Greenplum"},
		{"PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 20041017 (Red Hat 3.4.2-6.fc3), Redshift 1.0.60242", "Amazon Redshift"},
		{"Materialize v0.80.0 (abc)", "Materialize"},
	} {
		if got := engineOf(tt.version); got != tt.want {
			t.Errorf("engineOf(%q) = %q, want %q", tt.version, got, tt.want)
		}
	}
}

// TestAmbiguousURLNotResolved gives Connect a URL whose password holds an unencoded '@':
// a parser taking the first '@' would look up "SECRB.invalid@127.0.0.1" as a host. It is
// refused before any parse or lookup, and the error holds nothing of the string.
func TestAmbiguousURLNotResolved(t *testing.T) {
	t.Parallel()
	_, err := Connect(context.Background(), Config{ConnString: "postgres://bob:SECRA@SECRB.invalid@127.0.0.1:1/db"}, Options{})
	if !errors.Is(err, errAmbiguousURL) {
		t.Fatalf("got %v, want errAmbiguousURL", err)
	}
	var ce *ConnectError
	if !errors.As(err, &ce) {
		t.Errorf("got %T, want a *ConnectError", err)
	}
	if strings.Contains(err.Error(), "SECR") || strings.Contains(err.Error(), "invalid@") {
		t.Errorf("got %q, which holds part of the string", err)
	}
}
