package report

import (
	"io"
	"strconv"
	"testing"

	"github.com/qrunhq/qrun/result"
)

// bigReport is a parallel run of n statements on 16 connections, one in a hundred
// failing and every run's time kept for runs > 1.
func bigReport(n, runs int) *result.Report {
	r := &result.Report{SchemaVersion: result.SchemaVersion, Context: ctx("bench@localhost:5432/bench"),
		Mode: "parallel", Concurrency: 16, Runs: runs, Queries: make([]result.Query, n)}
	for i := range r.Queries {
		start := float64(i/16) * 0.05
		qq := result.Query{Name: "q" + strconv.Itoa(i), File: "bench.sql", Line: i + 1, Col: 1, SQL: "SELECT 1",
			Status: result.StatusOK, WallMs: 0.05, Rows: 1, Command: "SELECT 1", StartMs: start, EndMs: start + 0.05,
			Attempts: 1, Conn: i%16 + 1}
		if i%100 == 99 {
			qq.Status = result.StatusError
			qq.Error = &result.Error{SQLState: "22012", Message: "division by zero"}
		}
		if runs > 1 {
			qq.RunsMs = samples(runs, 0.05)
			qq.Stats = statsOf(qq.RunsMs, 0)
		}
		r.Queries[i] = qq
		r.SumMs += qq.WallMs
		r.TotalWallMs = qq.EndMs
	}
	r.Speedup = r.SumMs / r.TotalWallMs
	r.Summary = result.Counts{OK: n - n/100, Error: n / 100}
	return r
}

// BenchmarkWrite renders a 100,000-statement run in every format (and a 10-run report
// in the formats where runs change the output). Besides the wall time it reports the
// process's CPU time per rendering (cpu-ns/op, where getrusage exists), which a machine
// shared with other work disturbs far less.
func BenchmarkWrite(b *testing.B) {
	single := bigReport(100_000, 1)
	repeated := bigReport(100_000, 10)
	write := func(b *testing.B, r *result.Report, format string) {
		b.ReportAllocs()
		start, n := cpuTime(), 0
		for b.Loop() {
			if err := Write(io.Discard, r, Options{Format: format, Width: 100}); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if start >= 0 && n > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(n), "cpu-ns/op")
		}
	}
	for _, format := range Formats {
		b.Run(format, func(b *testing.B) { write(b, single, format) })
	}
	for _, format := range []string{"table", "json", "html"} {
		b.Run(format+"/runs=10", func(b *testing.B) { write(b, repeated, format) })
	}
}
