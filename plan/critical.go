package plan

// CriticalPath returns the longest chain of units by the given durations (one per unit,
// in milliseconds; a skipped unit counts 0, and so does a missing entry), following
// dependencies and stage barriers, and its length. The chain is in run order. Every unit
// of a stage follows every unit of the earlier stages; the barrier between two stages is
// the latest-ending unit before it, so the whole computation is O(units + edges).
func CriticalPath(p *Plan, ms []float64) (units []int, total float64) {
	n := len(p.Units)
	if n == 0 {
		return nil, 0
	}
	dur := func(u int) float64 {
		if u < len(ms) && ms[u] > 0 {
			return ms[u]
		}
		return 0
	}
	// dependents in compressed rows, for a topological order within each stage.
	start, deps := dependentsOf(p, nil)

	finish := make([]float64, n) // earliest end of each unit
	pred := make([]int32, n)     // the unit it waited for last, or -1
	indeg := make([]int32, n)    // unprocessed dependencies in the same stage
	barrier, barrierUnit := 0.0, int32(-1)
	queue := make([]int32, 0, n)
	for lo := 0; lo < n; {
		stage := p.Units[lo].Stage
		hi := lo
		for hi < n && p.Units[hi].Stage == stage {
			hi++
		}
		queue = queue[:0]
		for u := lo; u < hi; u++ {
			for _, d := range p.Units[u].After() {
				if d >= lo {
					indeg[u]++
				}
			}
			if indeg[u] == 0 {
				queue = append(queue, int32(u))
			}
		}
		// Kahn's algorithm over the stage's own edges; edges to earlier stages are done.
		for i := 0; i < len(queue); i++ {
			u := queue[i]
			begin, from := barrier, barrierUnit
			for _, d := range p.Units[u].After() {
				if finish[d] > begin {
					begin, from = finish[d], int32(d)
				}
			}
			finish[u], pred[u] = begin+dur(int(u)), from
			for _, w := range deps[start[u]:start[u+1]] {
				if int(w) >= hi {
					continue // a later stage: its barrier covers u
				}
				if indeg[w]--; indeg[w] == 0 {
					queue = append(queue, w)
				}
			}
		}
		for u := lo; u < hi; u++ {
			if finish[u] > barrier {
				barrier, barrierUnit = finish[u], int32(u)
			}
		}
		lo = hi
	}
	if barrierUnit < 0 {
		return nil, 0
	}
	for u := barrierUnit; u >= 0; u = pred[u] {
		units = append(units, int(u))
	}
	for i, j := 0, len(units)-1; i < j; i, j = i+1, j-1 {
		units[i], units[j] = units[j], units[i]
	}
	return units, barrier
}
