package runner

import (
	"slices"
	"strings"

	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
	"github.com/qrunhq/qrun/result"
)

// Describe returns the plan as a run in which every unit is planned: names, positions,
// SQL, stages, dependencies and a transaction block's statements, with no times. It
// connects to nothing (--dry-run), and Run starts from it.
func Describe(p *plan.Plan) result.Run {
	qs := make([]result.Query, len(p.Units))
	for i, u := range p.Units {
		q := &qs[i]
		*q = planned(u.Statements[0])
		q.Name = u.Name
		if u.Stage < len(p.Stages) {
			q.Stage = p.Stages[u.Stage]
		}
		q.After = u.AfterNames
		if u.Tx {
			q.Statements = make([]result.Query, len(u.Statements))
			sqls := make([]string, len(u.Statements))
			for j, st := range u.Statements {
				q.Statements[j] = planned(st)
				sqls[j] = st.SQL
			}
			q.SQL = strings.Join(sqls, "\n")
		}
	}
	return result.Run{Queries: qs}
}

func planned(st *queries.Statement) result.Query {
	return result.Query{
		Name:   st.Name,
		File:   st.Pos.File,
		Line:   st.Pos.Line,
		Col:    st.Pos.Col,
		SQL:    st.SQL,
		Status: result.StatusPlanned,
	}
}

// Summarize aggregates the measured runs of p into a report (result.Aggregate) and adds
// the critical path: the longest chain of units by their median wall times, its length,
// and the efficiency, critical path / total wall time.
func Summarize(p *plan.Plan, base result.Report, runs []result.Run) result.Report {
	rep := result.Aggregate(base, runs)
	if len(runs) == 0 || len(p.Units) == 0 {
		return rep
	}
	med := make([]float64, len(p.Units))
	samples := make([]float64, 0, len(runs))
	for i := range p.Units {
		samples = samples[:0]
		for _, r := range runs {
			if i < len(r.Queries) {
				samples = append(samples, r.Queries[i].WallMs)
			}
		}
		med[i] = median(samples)
	}
	units, total := plan.CriticalPath(p, med)
	rep.CriticalPath = make([]string, len(units))
	for i, u := range units {
		rep.CriticalPath[i] = p.Units[u].Name
	}
	rep.CriticalPathMs = total
	wall := rep.TotalWallMs
	if wall == 0 {
		totals := make([]float64, len(runs))
		for i, r := range runs {
			totals[i] = r.WallMs
		}
		wall = median(totals)
	}
	if wall > 0 {
		rep.Efficiency = total / wall
	}
	return rep
}

// median returns the median of xs, reordering them; 0 when xs is empty.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
