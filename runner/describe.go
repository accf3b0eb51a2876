package runner

import (
	"iter"
	"slices"

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
		describeUnit(p, u, &qs[i], nil)
	}
	return result.Run{Queries: qs}
}

// DescribeRange yields the queries of Describe(p) for the units [lo, hi), one at a time,
// without holding them all: --dry-run describes a long plan in ranges that are rendered
// concurrently into its report. The *result.Query yielded (and the slice of a block's
// statements in it) is reused for the next unit, so a consumer must copy what it keeps.
func DescribeRange(p *plan.Plan, lo, hi int) iter.Seq[*result.Query] {
	return func(yield func(*result.Query) bool) {
		var q result.Query
		var stmts []result.Query
		for _, u := range p.Units[lo:hi] {
			q = result.Query{}
			stmts = describeUnit(p, u, &q, stmts)
			if !yield(&q) {
				return
			}
		}
	}
}

// describeUnit fills the zero q with unit u as planned. A block's statements go in
// stmts[:0] when it is large enough, else in a new slice; the slice used is returned.
func describeUnit(p *plan.Plan, u *plan.Unit, q *result.Query, stmts []result.Query) []result.Query {
	planned(q, u.Statements[0])
	q.Name = u.Name()
	if int(u.Stage) < len(p.Stages) {
		q.Stage = p.Stages[u.Stage]
	}
	q.StageIndex = int(u.Stage)
	q.After = u.AfterNames()
	if p.Inferred != nil {
		for _, d := range p.Deps(int(u.Index)) {
			q.Deps = append(q.Deps, result.Dep{After: p.Units[d.Unit].Name(), Reason: d.Why})
		}
	}
	if u.Tx {
		if cap(stmts) < len(u.Statements) {
			stmts = make([]result.Query, len(u.Statements))
		}
		q.Statements = stmts[:len(u.Statements)]
		for j, st := range u.Statements {
			q.Statements[j] = result.Query{}
			planned(&q.Statements[j], st)
		}
		q.SQL = queries.JoinSQL(u.Statements)
	}
	return stmts
}

// planned fills the zero q with statement st as planned.
func planned(q *result.Query, st *queries.Statement) {
	pos := st.Pos()
	q.Name = st.Name
	q.File = pos.File
	q.Line = pos.Line
	q.Col = pos.Col
	q.SQL = st.SQL
	q.Status = result.StatusPlanned
	if st.Runtime() {
		q.Reason = st.RuntimeReason() // "dynamic: ..."
	}
}

// Summarize aggregates the measured runs of p into a report (result.Aggregate) and adds
// the critical path: the longest chain of units by the median wall times the report
// gives them (over the runs in which each ended ok), its length, and the efficiency, critical path / total wall time.
func Summarize(p *plan.Plan, base result.Report, runs []result.Run) result.Report {
	rep := result.Aggregate(base, runs)
	if len(runs) == 0 || len(p.Units) == 0 {
		return rep
	}
	var units []int
	var total float64
	// A unit's time is its median over the runs in which it ended ok, 0 when it never did:
	// the time the report prints beside it (result.Aggregate), so that critical_path_ms
	// is the sum of the medians printed along the path. With no time anywhere (a dry run,
	// or the streamed dry run, whose runs hold no queries) there is no critical path.
	med := make([]float64, len(p.Units))
	for i := range min(len(p.Units), len(rep.Queries)) {
		med[i] = rep.Queries[i].WallMs
	}
	if slices.ContainsFunc(med, func(x float64) bool { return x > 0 }) {
		units, total = plan.CriticalPath(p, med)
	}
	rep.CriticalPath = make([]string, len(units))
	for i, u := range units {
		rep.CriticalPath[i] = p.Units[u].Name()
	}
	if p.Inferred != nil && len(units) > 1 {
		rep.CriticalPathWhy = make([]string, len(units))
		for i := 1; i < len(units); i++ {
			rep.CriticalPathWhy[i] = "stage " + p.Stages[p.Units[units[i]].Stage]
			for _, d := range p.Deps(units[i]) {
				if d.Unit == units[i-1] {
					rep.CriticalPathWhy[i] = d.Why
					break
				}
			}
		}
	}
	rep.CriticalPathMs = total
	if rep.TotalWallMs > 0 {
		rep.Efficiency = total / rep.TotalWallMs
	}
	return rep
}
