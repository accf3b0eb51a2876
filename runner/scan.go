package runner

import (
	"context"
	"fmt"

	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/result"
)

// BenchPlans is Bench with a plan per target: plans[i] runs on targets[i]. A parameter
// scan (qrun --scan) makes a target per combination of its values — its own pool size,
// its own psql variables and so its own plan — and runs them interleaved round-robin,
// as Bench interleaves targets, so that drift hits every combination alike.
func BenchPlans(ctx context.Context, targets []*Target, plans []*plan.Plan, bo BenchOptions) ([][]result.Run, error) {
	if len(plans) != len(targets) {
		return nil, fmt.Errorf("BenchPlans: %d plans for %d targets", len(plans), len(targets))
	}
	return bench(ctx, targets, func(i int) *plan.Plan { return plans[i] }, bo)
}
