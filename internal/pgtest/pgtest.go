// Package pgtest gives tests a real PostgreSQL to talk to: the server named by
// QRUN_TEST_DATABASE_URL (default: the local server on 127.0.0.1:5432), and a fresh
// database per test that is dropped when the test ends. Without a reachable server, tests
// skip with a clear message, except under CI=true, where they fail.
package pgtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
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
		t.Skipf("skipping: no PostgreSQL at QRUN_TEST_DATABASE_URL (%v); set it to run this test", err)
	}
	return u
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
