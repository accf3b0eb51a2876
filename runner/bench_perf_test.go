package runner

import (
	"context"
	"testing"

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
	for b.Loop() {
		r, err := tg.Run(ctx, p)
		if err != nil {
			b.Fatal(err)
		}
		if r.Queries[benchStatements-1].Status != "ok" {
			b.Fatalf("got %s, want ok", r.Queries[benchStatements-1].Status)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchStatements), "ns/stmt")
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
	for b.Loop() {
		for range benchStatements {
			if _, err := pc.Exec(ctx, "SELECT 1;").ReadAll(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchStatements), "ns/stmt")
}
