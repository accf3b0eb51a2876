//go:build unix

package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/qrunhq/qrun/internal/pgtest"
)

// Two proxies sit between qrun and PostgreSQL in these tests:
//
//   - toxiproxy, used as a library, for faults that hit every connection alike: added
//     latency, a black hole (the "timeout" toxic with timeout 0 drops everything and
//     never closes), a reset on the next byte ("reset_peer").
//   - resetProxy, a few lines of our own, to reset ONE chosen connection with a TCP RST
//     while the others go on. Toxiproxy's toxics apply to every link of a proxy, and its
//     connection list is unexported, so it cannot aim at the connection of one statement;
//     resetProxy finds it by the port the backend sees (pg_stat_activity.client_port).

// upstream returns host:port of the test server, which must be on loopback.
func upstream(t testing.TB, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "5432"
	}
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" {
		t.Skipf("proxy tests only run against a server on loopback, not %q", host)
	}
	return net.JoinHostPort(host, port)
}

// newToxi starts a toxiproxy proxy to the server of dbURL, which must be on loopback; it
// stops when the test ends.
func newToxi(t testing.TB, dbURL string) *pgtest.Toxi {
	t.Helper()
	upstream(t, dbURL)
	return pgtest.NewToxi(t, dbURL)
}

// resetProxy forwards TCP connections to a server and can reset any one of them.
type resetProxy struct {
	ln       net.Listener
	upstream string
	Addr     string

	mu    sync.Mutex
	links map[int]link // by the local port of the connection to the server
	wg    sync.WaitGroup
}

type link struct{ client, server *net.TCPConn }

// newResetProxy starts a proxy to the server of dbURL; it stops when the test ends.
func newResetProxy(t testing.TB, dbURL string) *resetProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &resetProxy{ln: ln, upstream: upstream(t, dbURL), Addr: ln.Addr().String(), links: map[int]link{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// URL returns dbURL pointed at the proxy.
func (p *resetProxy) URL(t testing.TB, dbURL string) string { return withHostPort(t, dbURL, p.Addr) }

func (p *resetProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.upstream)
		if err != nil {
			c.Close()
			continue
		}
		l := link{c.(*net.TCPConn), s.(*net.TCPConn)}
		port := s.LocalAddr().(*net.TCPAddr).Port
		p.mu.Lock()
		p.links[port] = l
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(l.server, l.client, port)
		go p.pipe(l.client, l.server, port)
	}
}

// pipe copies from src to dst until either side closes, then closes both.
func (p *resetProxy) pipe(dst, src *net.TCPConn, port int) {
	defer p.wg.Done()
	io.Copy(dst, src)
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.links, port)
	p.mu.Unlock()
}

// reset resets both sides of the connection whose server side has local port port (the
// client_port the backend sees): the client and the server each get a TCP RST.
func (p *resetProxy) reset(port int) error {
	p.mu.Lock()
	l, ok := p.links[port]
	p.mu.Unlock()
	if !ok {
		return fmt.Errorf("no proxied connection from port %d", port)
	}
	for _, c := range []*net.TCPConn{l.client, l.server} {
		c.SetLinger(0) // close with RST instead of FIN
		c.Close()
	}
	return nil
}

// count returns the number of open proxied connections.
func (p *resetProxy) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

func (p *resetProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, l := range p.links {
		l.client.Close()
		l.server.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// clientPort returns the client_port the server sees for the backend pid.
func clientPort(t testing.TB, d *testDB, pid int32) int {
	t.Helper()
	return int(scalar[int32](t, d, "SELECT client_port FROM pg_stat_activity WHERE pid = $1", pid))
}

// TestProxyHarness checks the proxies themselves with a plain pgx connection, so that a
// failure of the qrun tests below cannot come from the harness.
func TestProxyHarness(t *testing.T) {
	t.Parallel()
	base := pgtest.URL(t)
	ctx := context.Background()
	connect := func(t *testing.T, u string) *pgx.Conn {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(cctx, addQuery(t, u, "sslmode", "disable"))
		if err != nil {
			t.Fatalf("connect through the proxy: %v", err)
		}
		t.Cleanup(func() { c.Close(ctx) })
		return c
	}
	timeSelect := func(t *testing.T, c *pgx.Conn) time.Duration {
		t.Helper()
		start := time.Now()
		if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
			t.Fatalf("SELECT 1: %v", err)
		}
		return time.Since(start)
	}

	t.Run("latency", func(t *testing.T) {
		x := newToxi(t, base)
		c := connect(t, x.URL(t, base))
		x.Add(t, "lat", "latency", "downstream", `{"latency":100}`)
		if d := timeSelect(t, c); d < 100*time.Millisecond {
			t.Errorf("SELECT 1 took %v through 100ms of latency, want at least 100ms", d)
		}
		x.Remove(t, "lat")
		if d := timeSelect(t, c); d > 90*time.Millisecond {
			t.Logf("SELECT 1 took %v after the latency was removed", d) // noisy machine; informative
		}
	})

	t.Run("black hole", func(t *testing.T) {
		x := newToxi(t, base)
		c := connect(t, x.URL(t, base))
		x.Add(t, "hole", "timeout", "downstream", `{"timeout":0}`)
		qctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.Exec(qctx, "SELECT 1")
		if err == nil {
			t.Fatal("SELECT 1 through a black hole succeeded")
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("the black-holed query took %v to fail", d)
		}
	})

	t.Run("black hole at connect", func(t *testing.T) {
		x := newToxi(t, base)
		x.Add(t, "hole", "timeout", "upstream", `{"timeout":0}`)
		cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		c, err := pgx.Connect(cctx, addQuery(t, x.URL(t, base), "sslmode", "disable"))
		if err == nil {
			c.Close(ctx)
			t.Fatal("connect through a black hole succeeded")
		}
	})

	t.Run("reset one connection", func(t *testing.T) {
		p := newResetProxy(t, base)
		victim := connect(t, p.URL(t, base))
		other := connect(t, p.URL(t, base))
		var pid int32
		if err := victim.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		admin := &testDB{Admin: connect(t, base)}
		port := clientPort(t, admin, pid)
		errc := make(chan error, 1)
		go func() {
			_, err := victim.Exec(ctx, "SELECT pg_sleep(1)")
			errc <- err
		}()
		time.Sleep(100 * time.Millisecond)
		if err := p.reset(port); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-errc:
			if err == nil {
				t.Error("the reset connection's query succeeded")
			}
			var ne net.Error
			t.Logf("victim: %v (net.Error: %v)", err, errors.As(err, &ne))
		case <-time.After(5 * time.Second):
			t.Fatal("the reset connection's query hung")
		}
		if d := timeSelect(t, other); d > 5*time.Second {
			t.Errorf("the other connection took %v", d)
		}
		n := p.count()
		for deadline := time.Now().Add(2 * time.Second); n != 1 && time.Now().Before(deadline); n = p.count() {
			time.Sleep(10 * time.Millisecond)
		}
		if n != 1 {
			t.Errorf("%d proxied connections left, want 1", n)
		}
	})
}
