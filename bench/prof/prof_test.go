// Package prof holds benchmarks of qrun's pipeline, phase by phase, for profiling with
// go test -cpuprofile / -memprofile (see docs/BENCHMARKS.md). They read the inputs that
// scripts/bench.sh (or go run ./bench/gen) wrote to $QRUN_BENCH_DIR (default ../out) and
// skip when they are missing.
package prof

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
	"github.com/qrunhq/qrun/report"
	"github.com/qrunhq/qrun/result"
	"github.com/qrunhq/qrun/runner"
)

// input returns the path of a generated input, skipping the benchmark when it is missing.
func input(b *testing.B, name string) string {
	dir := os.Getenv("QRUN_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join("..", "out")
	}
	path := filepath.Join(dir, name)
	fi, err := os.Stat(path)
	if err != nil {
		b.Skipf("skipping: %v (run go run ./bench/gen first, or set QRUN_BENCH_DIR)", err)
	}
	b.SetBytes(fi.Size())
	return path
}

func load(b *testing.B, path string) *plan.Plan {
	script, err := queries.Load([]string{path}, queries.Options{})
	if err != nil {
		b.Fatal(err)
	}
	p, err := plan.Build(script, plan.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkDryRun is what qrun --dry-run --format json does, minus flag parsing: load,
// plan, describe, summarize and render as JSON.
func BenchmarkDryRun(b *testing.B) {
	for _, name := range []string{"mixed.sql", "select1.sql"} {
		b.Run(name, func(b *testing.B) {
			path := input(b, name)
			b.ReportAllocs()
			for b.Loop() {
				p := load(b, path)
				rep := runner.Summarize(p, result.Report{Mode: "sequential", Concurrency: 1}, []result.Run{runner.Describe(p)})
				if err := report.Write(io.Discard, &rep, report.Options{Format: "json"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPhases times each phase of a dry run of mixed.sql on its own.
func BenchmarkPhases(b *testing.B) {
	b.Run("load", func(b *testing.B) {
		path := input(b, "mixed.sql")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := queries.Load([]string{path}, queries.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("build", func(b *testing.B) {
		path := input(b, "mixed.sql")
		script, err := queries.Load([]string{path}, queries.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := plan.Build(script, plan.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("describe+summarize", func(b *testing.B) {
		p := load(b, input(b, "mixed.sql"))
		b.ReportAllocs()
		for b.Loop() {
			runner.Summarize(p, result.Report{}, []result.Run{runner.Describe(p)})
		}
	})
	b.Run("json", func(b *testing.B) {
		p := load(b, input(b, "mixed.sql"))
		rep := runner.Summarize(p, result.Report{}, []result.Run{runner.Describe(p)})
		b.ReportAllocs()
		for b.Loop() {
			if err := report.Write(io.Discard, &rep, report.Options{Format: "json"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
