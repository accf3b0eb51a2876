// Package pgtest gives tests a real PostgreSQL to talk to: the server named by
// QRUN_TEST_DATABASE_URL (default: the local server on 127.0.0.1:5432), and a fresh
// database per test that is dropped when the test ends. Without a reachable server, tests
// skip with a clear message, except under CI=true, where they fail.
//
// go test ./... shows nothing of a passing package but its "ok" line, so that skipped
// database tests would pass unseen: the first package to skip them in a go test run says
// so in one line on the terminal (/dev/tty) — that they were skipped, why, and how to point
// them at a server — and a package that skipped them is not cached as passed, so that the
// next go test after the server is started runs them.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is used when QRUN_TEST_DATABASE_URL is not set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// URL returns the server URL for tests, skipping (or, under CI=true, failing) the test
// when the server cannot be reached.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("QRUN_TEST_DATABASE_URL")
	if u == "" {
		u = DefaultURL
	}
	if err := reachable(u); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true: %v (set QRUN_TEST_DATABASE_URL)", err)
		}
		announceOnce.Do(func() { announce(skipLine(u, err)) })
		t.Skipf("skipping: %s", skipLine(u, err))
	}
	return u
}

var announceOnce sync.Once

// skipLine says that the database tests were skipped, why, and how to run them.
func skipLine(rawURL string, err error) string {
	shown := rawURL
	if pu, perr := url.Parse(rawURL); perr == nil {
		shown = pu.Redacted()
	}
	why := strings.Join(strings.Fields(err.Error()), " ")
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		why = op.Err.Error() // "connect: connection refused", not every address tried
	}
	return fmt.Sprintf("qrun: database tests skipped: no PostgreSQL at %s (%s); start one (docker compose up -d --wait) or set QRUN_TEST_DATABASE_URL to run them",
		shown, why)
}

// moduleRoot is the directory of the go.mod above the working directory (a test runs in
// its package's directory), or "".
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// announce writes line on the terminal once per go test run, and keeps the package's
// result out of go test's cache.
func announce(line string) {
	// go test does not cache a result that read a file of the module modified in the
	// last two seconds: the skip is not remembered as a pass once the server is up.
	if root := moduleRoot(); root != "" {
		stamp := filepath.Join(root, ".qrun-pgtest-skipped") // in .gitignore
		if os.WriteFile(stamp, []byte(time.Now().String()+"\n"), 0o644) == nil {
			if f, err := os.Open(stamp); err == nil {
				f.Close()
			}
		}
	}
	dir := os.TempDir()
	// One line per go test run: every package's test binary is a child of the go command,
	// and the first to get here claims the run with a marker named after it.
	marker := filepath.Join(dir, fmt.Sprintf("qrun-pgtest-%d-%d.skipped", os.Getuid(), os.Getppid()))
	if fi, err := os.Stat(marker); err == nil && time.Since(fi.ModTime()) < 10*time.Minute {
		return
	}
	f, err := os.OpenFile(marker, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if !errors.Is(err, fs.ErrExist) {
			return
		}
		// A stale marker of an earlier run whose go command had this process id.
		if os.Remove(marker) != nil {
			return
		}
		if f, err = os.OpenFile(marker, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return
		}
	}
	f.Close()
	tty := os.Getenv("QRUN_PGTEST_TTY") // for this package's own test
	if tty == "" {
		tty = "/dev/tty"
	}
	out, err := os.OpenFile(tty, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return // no terminal: the skip messages of go test -v are all there is
	}
	defer out.Close()
	fmt.Fprintln(out, line)
}

var (
	reachOnce sync.Once
	reachErr  error
)

func reachable(u string) error {
	reachOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, u)
		if err != nil {
			reachErr = err
			return
		}
		reachErr = c.Close(ctx)
	})
	return reachErr
}

// Conn opens a connection to url and closes it when the test ends.
func Conn(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// NewDatabase creates a fresh, empty database for the test and returns its URL. The
// database is dropped (its connections terminated) when the test ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	base := URL(t)
	name := fmt.Sprintf("qrun_test_%d_%08x", os.Getpid(), rand.Uint32())
	admin := Conn(t, base)
	ctx := context.Background()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("drop database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	return WithDatabase(t, base, name)
}

// WithDatabase returns url with its database replaced by name.
func WithDatabase(t testing.TB, rawURL, name string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		t.Fatalf("QRUN_TEST_DATABASE_URL must be a postgres:// URL, got %q", rawURL)
	}
	u.Path = "/" + name
	return u.String()
}
