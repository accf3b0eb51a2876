//go:build linux

package runner

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/plan"
)

const benchStatements = 1000

func selectOnes(b *testing.B, parallel bool) *plan.Plan {
	srcs := make([]src, benchStatements)
	for i := range srcs {
		srcs[i] = src{sql: "SELECT 1;"}
	}
	return buildPlan(b, parallel, srcs...)
}

// benchRun measures runs of 1000 "SELECT 1;" and reports the time per statement.
func benchRun(b *testing.B, opts Options) {
	url := pgtest.URL(b)
	tg := connect(b, url, Config{}, opts)
	p := selectOnes(b, opts.Parallel)
	ctx, cancel := context.WithCancel(context.Background()) // cancellable, as in qrun
	defer cancel()
	b.ReportAllocs()
	b.ResetTimer()
	u0 := cpuTime()
	for b.Loop() {
		r, err := tg.Run(ctx, p)
		if err != nil {
			b.Fatal(err)
		}
		if r.Queries[benchStatements-1].Status != "ok" {
			b.Fatalf("got %s, want ok", r.Queries[benchStatements-1].Status)
		}
	}
	report(b, u0)
}

func BenchmarkRunSequential(b *testing.B) { benchRun(b, Options{}) }

func BenchmarkRunParallel(b *testing.B) { benchRun(b, Options{Parallel: true, Concurrency: 8}) }

// BenchmarkPgconnFloor is the floor the runner is measured against: the same statements
// sent by a bare pgconn loop, with nothing recorded.
func BenchmarkPgconnFloor(b *testing.B) {
	url := pgtest.URL(b)
	tg := connect(b, url, Config{}, Options{})
	c, err := tg.pool.Acquire(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Release()
	pc := c.Conn().PgConn()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	u0 := cpuTime()
	for b.Loop() {
		for range benchStatements {
			if _, err := pc.Exec(ctx, "SELECT 1;").ReadAll(); err != nil {
				b.Fatal(err)
			}
		}
	}
	report(b, u0)
}

// BenchmarkPgconnFloorNoWatch is BenchmarkPgconnFloor with a context that has no Done
// channel, so pgconn installs no context watcher per Exec.
func BenchmarkPgconnFloorNoWatch(b *testing.B) {
	url := pgtest.URL(b)
	tg := connect(b, url, Config{}, Options{})
	c, err := tg.pool.Acquire(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Release()
	pc := c.Conn().PgConn()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	nctx := context.WithoutCancel(ctx)
	b.ReportAllocs()
	u0 := cpuTime()
	for b.Loop() {
		for range benchStatements {
			if _, err := pc.Exec(nctx, "SELECT 1;").ReadAll(); err != nil {
				b.Fatal(err)
			}
		}
	}
	report(b, u0)
}

// BenchmarkSocketFloor is the floor under pgconn in Go: the Query message written
// pre-encoded to the connection's socket and the reply read until ReadyForQuery, with
// nothing parsed, through the rawConn every connection has (rawconn.go). What remains is
// the round trip through Go's netpoller.
func BenchmarkSocketFloor(b *testing.B) { benchSocket(b, false) }

// BenchmarkSocketFloorNetpoll is BenchmarkSocketFloor through the net.Conn under the
// rawConn: the plain net.Conn path, whose system calls wake the runtime's sysmon.
func BenchmarkSocketFloorNetpoll(b *testing.B) { benchSocket(b, true) }

func benchSocket(b *testing.B, plain bool) {
	url := pgtest.URL(b)
	tg := connect(b, url, Config{}, Options{})
	c, err := tg.pool.Acquire(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Release()
	nc := c.Conn().PgConn().Conn()
	if sc, ok := nc.(*sentConn); ok {
		nc = sc.Conn // the socket under the count of bytes written (sent.go)
	}
	if rc, ok := nc.(*rawConn); plain && ok {
		nc = rc.Conn
	}
	sql := "SELECT 1;\x00"
	msg := append([]byte{'Q', 0, 0, 0, byte(4 + len(sql))}, sql...)
	buf := make([]byte, 8192)
	b.ReportAllocs()
	u0 := cpuTime()
	for b.Loop() {
		for range benchStatements {
			if _, err := nc.Write(msg); err != nil {
				b.Fatal(err)
			}
			for n := 0; ; {
				m, err := nc.Read(buf[n:])
				if err != nil {
					b.Fatal(err)
				}
				n += m
				// ReadyForQuery is the last message: 'Z', length 5, status.
				if n >= 6 && buf[n-6] == 'Z' {
					break
				}
			}
		}
	}
	report(b, u0)
}

// cpuTime is the CPU time the process has used, user and system. On a noisy machine it
// moves far less than the wall clock, so "cpu-ns/stmt" shows what a change saves where
// "ns/stmt" drowns in other processes' load.
// It also returns the context switches the process has made, voluntary or not.
func cpuTime() usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return usage{}
	}
	return usage{time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Nvcsw + ru.Nivcsw}
}

type usage struct {
	cpu time.Duration
	csw int64
}

// report adds the wall and CPU time and the context switches per statement to a
// benchmark's results.
func report(b *testing.B, u0 usage) {
	n := float64(b.N * benchStatements)
	u := cpuTime()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/stmt")
	b.ReportMetric(float64(u.cpu-u0.cpu)/n, "cpu-ns/stmt")
	b.ReportMetric(float64(u.csw-u0.csw)/n, "csw/stmt")
}
