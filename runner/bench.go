package runner

import (
	"context"
	"fmt"

	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/result"
)

func bench(ctx context.Context, targets []*Target, p *plan.Plan, bo BenchOptions) ([][]result.Run, error) {
	out := make([][]result.Run, len(targets))
	if len(targets) == 0 {
		return out, nil
	}
	conns := 0
	for i, t := range targets {
		t.index = i
		conns = max(conns, t.conns)
	}
	// Hold the limit over all the runs, rather than setting and restoring GOMAXPROCS (a
	// stop of the world) around each one.
	defer limitProcs(conns)()
	// Warmup runs are numbered -1, -2, ... in events.
	for w := range bo.Warmup {
		for i, t := range targets {
			r, err := t.run(ctx, p, -(w + 1))
			if err != nil {
				return out, fmt.Errorf("warmup run %d on %s: %w", w+1, t.info.Target, err)
			}
			if r.Interrupted {
				// Interrupted before measuring: the warmup run is all there is to report.
				out[i] = append(out[i], r)
				return out, nil
			}
		}
	}
	runs := max(bo.Runs, 1)
	now := targets[0].opts.Now
	start := now()
	for n := 0; n < runs || (bo.Duration > 0 && now().Sub(start) < bo.Duration); n++ {
		for i, t := range targets {
			r, err := t.run(ctx, p, n)
			if err != nil {
				return out, fmt.Errorf("run %d on %s: %w", n+1, t.info.Target, err)
			}
			out[i] = append(out[i], r)
			if r.Interrupted {
				return out, nil
			}
		}
	}
	return out, nil
}
