package plan

import (
	"fmt"
	"slices"
	"sort"

	"github.com/qrunhq/qrun/deps"
)

// Inferred is what dependency inference (package deps) found in a plan built with
// Options.Infer: why each inferred edge exists, which units must share one connection,
// and which session settings every connection must see.
type Inferred struct {
	edges   []deps.Edge // sorted by To, then From
	barrier []bool
	// Session holds, per unit, 0 or the session group that ties the unit to one
	// connection: the first worker to run a unit of a group runs all of them.
	Session []int32
	// Replay holds, per unit, the session settings (SET ...) that every other connection
	// must apply before it runs a later unit; nil for most units.
	Replay [][]string
	// Sessions is the number of session groups (the largest value in Session).
	Sessions int32
	// hard[u] is the number of unit u's edges (the first ones of After) that come from
	// "-- after:" lines. Only those make a unit skip when what it waits for failed: an
	// inferred edge orders two units and nothing more, as the sequential run goes on
	// after a failed statement.
	hard []int32
	// Parsed, Unique and Failed count the statements parsed, the distinct texts parsed
	// and the texts the parser could not read (run as barriers).
	Parsed, Unique, Failed int
}

// Dep is one dependency of a unit, for reports: the unit it waits for and why.
type Dep struct {
	Unit int
	Why  string
}

// infer adds the edges that dependency inference finds to the units' own "-- after:"
// edges, so that a parallel run ends as the sequential one would.
func (b *builder) infer() {
	units := b.plan.Units
	in := make([]deps.Unit, len(units))
	for i, u := range units {
		st := make([]deps.Stmt, len(u.Statements))
		for j, s := range u.Statements {
			st[j] = deps.Stmt{SQL: s.SQL, Opaque: s.Runtime()}
		}
		in[i].Stmts = st
	}
	r := deps.Analyze(in, deps.Options{})
	inf := &Inferred{
		edges:   r.Edges,
		barrier: r.Barrier,
		Session: r.Session,
		Replay:  r.Replay,
		Parsed:  r.Parsed, Unique: r.Unique, Failed: r.Failed,
	}
	for _, g := range r.Session {
		inf.Sessions = max(inf.Sessions, g)
	}
	inf.hard = make([]int32, len(units))
	for i, u := range units {
		inf.hard[i] = int32(len(u.After()))
	}
	b.plan.Inferred = inf
	for lo := 0; lo < len(r.Edges); {
		to := r.Edges[lo].To
		hi := lo
		for hi < len(r.Edges) && r.Edges[hi].To == to {
			hi++
		}
		u := units[to]
		after := slices.Clone(u.After())
		for _, e := range r.Edges[lo:hi] {
			if !containsInt(after, int(e.From)) {
				after = append(after, int(e.From))
			}
		}
		u.after = &after
		lo = hi
	}
}

// Hard reports whether unit to's i-th edge (After()[i]) makes it skip when the unit it
// waits for fails: an edge from "-- after:". An inferred edge only orders the two.
func (p *Plan) Hard(to, i int) bool {
	return p.Inferred == nil || i < int(p.Inferred.hard[to])
}

// Deps lists what unit u waits for and why, "-- after:" edges first.
func (p *Plan) Deps(u int) []Dep {
	unit := p.Units[u]
	after := unit.After()
	if len(after) == 0 {
		return nil
	}
	out := make([]Dep, 0, len(after))
	for _, d := range after {
		out = append(out, Dep{Unit: d, Why: p.why(d, u)})
	}
	return out
}

// why says why unit to waits for unit from.
func (p *Plan) why(from, to int) string {
	if inf := p.Inferred; inf != nil {
		i := sort.Search(len(inf.edges), func(i int) bool {
			e := inf.edges[i]
			return int(e.To) > to || int(e.To) == to && int(e.From) >= from
		})
		if i < len(inf.edges) && int(inf.edges[i].To) == to && int(inf.edges[i].From) == from {
			return describeEdge(p, inf, inf.edges[i])
		}
	}
	return "-- after: " + p.Units[from].Name()
}

func describeEdge(p *Plan, inf *Inferred, e deps.Edge) string {
	from := p.Units[e.From].Name()
	switch e.Kind {
	case deps.WriteRead, deps.WriteWrite:
		return fmt.Sprintf("%s: written by %s", e.Object, from)
	case deps.ReadWrite:
		return fmt.Sprintf("%s: read by %s", e.Object, from)
	case deps.Session:
		return fmt.Sprintf("%s: same session as %s", e.Object, from)
	case deps.Barrier:
		if int(e.From) < len(inf.barrier) && inf.barrier[e.From] {
			return fmt.Sprintf("after %s at %s", e.Object, from)
		}
		return fmt.Sprintf("%s waits for what precedes it (%s)", e.Object, from)
	}
	return fmt.Sprintf("%s: %s", e.Object, from)
}
