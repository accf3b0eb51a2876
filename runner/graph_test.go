package runner

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/result"
)

// TestParallelHonoursGraph runs random dependency graphs on a few connections and checks
// every ordering promise of the parallel scheduler from the run's own timestamps: a unit
// starts only after each of its dependencies and every unit of the earlier stages ended,
// a connection runs one unit at a time, failures skip exactly their dependants (directly
// or through others) and everything else runs.
func TestParallelHonoursGraph(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	const conns = 4
	tg := connect(t, url, Config{}, Options{Parallel: true, Concurrency: conns})
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			const units, stages = 120, 3
			srcs := make([]src, units)
			deps := make([][]int, units)
			failing := make([]bool, units)
			for i := range srcs {
				stage := i * stages / units
				first := stage * units / stages // deps stay in the unit's own stage
				srcs[i] = src{name: fmt.Sprintf("u%d", i), stage: stage,
					sql: fmt.Sprintf("SELECT pg_sleep(%g);", float64(rng.IntN(3))/1000)}
				if i > first {
					for range rng.IntN(3) {
						d := first + rng.IntN(i-first)
						deps[i] = append(deps[i], d)
						srcs[i].after = append(srcs[i].after, srcs[d].name)
					}
				}
				if rng.IntN(25) == 0 {
					failing[i] = true
					srcs[i].sql = "SELECT 1/0;"
				}
			}
			p := buildPlan(t, true, srcs...)
			r := run(t, tg, p)

			// What each unit should end as: skipped when a dependency did not end ok, else
			// an error for the failing ones and ok for the rest.
			want := make([]result.Status, units)
			for i := range want {
				want[i] = result.StatusOK
				if failing[i] {
					want[i] = result.StatusError
				}
				for _, d := range deps[i] {
					if want[d] != result.StatusOK {
						want[i] = result.StatusSkipped
					}
				}
			}
			stageEnd := make([]float64, stages)
			for i, q := range r.Queries {
				if q.Status != want[i] {
					t.Fatalf("%s: status %s, want %s (%s)", q.Name, q.Status, want[i], statuses(r))
				}
				if q.Status == result.StatusSkipped {
					continue
				}
				st := srcs[i].stage
				stageEnd[st] = max(stageEnd[st], q.EndMs)
				for _, d := range deps[i] {
					if dq := r.Queries[d]; q.StartMs < dq.EndMs {
						t.Errorf("%s started at %.3f ms, before its dependency %s ended at %.3f ms", q.Name, q.StartMs, dq.Name, dq.EndMs)
					}
				}
				if q.Conn < 1 || q.Conn > conns {
					t.Errorf("%s ran on connection %d of %d", q.Name, q.Conn, conns)
				}
			}
			for i, q := range r.Queries {
				if q.Status == result.StatusSkipped {
					continue
				}
				for st := range srcs[i].stage {
					if q.StartMs < stageEnd[st] {
						t.Errorf("%s (stage %d) started at %.3f ms, before stage %d ended at %.3f ms", q.Name, srcs[i].stage, q.StartMs, st, stageEnd[st])
					}
				}
				for j, o := range r.Queries[:i] {
					if o.Status != result.StatusSkipped && o.Conn == q.Conn && o.StartMs < q.EndMs && q.StartMs < o.EndMs {
						t.Errorf("%s and %s overlap on connection %d", r.Queries[j].Name, q.Name, q.Conn)
					}
				}
			}
		})
	}
}
