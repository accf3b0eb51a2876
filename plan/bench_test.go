package plan

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/queries"
)

// benchScript returns a mixed script of n statements, loaded through queries.Parse:
// named and unnamed statements, a transaction block every 50, a stage line every n/4, and
// each named statement depending on up to three earlier named statements of its stage or
// an earlier one.
func benchScript(b testing.TB, n int) *queries.Script {
	rng := rand.New(rand.NewPCG(1, 2))
	var src strings.Builder
	var named []string
	stage := 0
	sqls := []string{
		"SELECT 1;",
		"/* lookup */ SELECT * FROM t WHERE id = $1;",
		"INSERT INTO t VALUES (1, 'a;b');",
		"UPDATE t SET a = a + 1 WHERE id = 7;",
	}
	for i := 0; i < n; i++ {
		if i > 0 && i%max(1, n/4) == 0 {
			stage++
			fmt.Fprintf(&src, "-- stage: stage %d\n", stage)
		}
		switch {
		case i%50 == 0 && i+2 < n && (i+3)%max(1, n/4) > 2:
			name := fmt.Sprint("q", i)
			fmt.Fprintf(&src, "-- name: %s\nBEGIN;\nINSERT INTO t VALUES (1);\nCOMMIT;\n", name)
			i += 2
			named = append(named, name)
			continue
		case i%3 == 0:
			name := fmt.Sprint("q", i)
			fmt.Fprintf(&src, "-- name: %s\n", name)
			var after []string
			for range rng.IntN(4) {
				if len(named) > 0 {
					after = append(after, named[rng.IntN(len(named))])
				}
			}
			if len(after) > 0 {
				fmt.Fprintf(&src, "-- after: %s\n", strings.Join(after, ", "))
			}
			named = append(named, name)
		}
		src.WriteString(sqls[i%len(sqls)] + "\n")
	}
	sc, err := queries.Parse("bench.sql", []byte(src.String()), queries.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return sc
}

func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			sc := benchScript(b, n)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Build(sc, Options{Parallel: true}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(sc.Statements)), "ns/stmt")
		})
	}
}

// benchPlan returns a plan of n units in four stages, each unit depending on 0 to 3
// random earlier units of its stage or an earlier one.
func benchPlan(n int) *Plan {
	rng := rand.New(rand.NewPCG(3, 4))
	p := &Plan{Stages: []string{"a", "b", "c", "d"}}
	for i := range n {
		u := &Unit{Index: int32(i), Stage: int32(i * len(p.Stages) / n),
			Statements: []*queries.Statement{{Name: fmt.Sprint("u", i)}}}
		if i > 0 {
			var after []int
			for range rng.IntN(4) {
				if d := rng.IntN(i); !containsInt(after, d) {
					after = append(after, d)
				}
			}
			if after != nil {
				u.after = &after
			}
		}
		p.Units = append(p.Units, u)
	}
	return p
}

// BenchmarkScheduler runs every unit of a 10,000-unit graph through a Scheduler with
// eight workers, finishing the oldest running unit each time, as the dispatcher does.
func BenchmarkScheduler(b *testing.B) {
	const n, workers = 10_000, 8
	p := benchPlan(n)
	run := make([]int, 0, workers)
	b.ReportAllocs()
	for b.Loop() {
		s := NewScheduler(p)
		run = run[:0]
		for s.Remaining() > 0 {
			for len(run) < workers {
				u, ok := s.Next()
				if !ok {
					break
				}
				run = append(run, u)
			}
			s.Finish(run[0], true)
			run = append(run[:0], run[1:]...)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/unit")
}

func BenchmarkCriticalPath(b *testing.B) {
	const n = 10_000
	p := benchPlan(n)
	ms := make([]float64, n)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range ms {
		ms[i] = rng.Float64() * 100
	}
	b.ReportAllocs()
	for b.Loop() {
		CriticalPath(p, ms)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/unit")
}
