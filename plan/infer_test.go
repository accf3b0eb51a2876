package plan

import (
	"testing"

	"github.com/qrunhq/qrun/deps"
)

// withInferred builds src in parallel mode and gives the plan the inferred edges,
// session groups and hard-edge counts a dependency analysis would, so that the
// scheduler's side of inference is tested apart from the analysis.
func withInferred(t *testing.T, src string, edges []deps.Edge, session []int32) *Plan {
	t.Helper()
	p, err := Build(script(t, src), Options{Parallel: true})
	if err != nil {
		t.Fatal(err)
	}
	inf := &Inferred{edges: edges, Session: session, hard: make([]int32, len(p.Units))}
	for _, g := range session {
		inf.Sessions = max(inf.Sessions, g)
	}
	for i, u := range p.Units {
		inf.hard[i] = int32(len(u.After()))
	}
	for _, e := range edges {
		u := p.Units[e.To]
		after := append(u.After(), int(e.From))
		u.after = &after
	}
	p.Inferred = inf
	return p
}

func TestSchedulerSessionGroups(t *testing.T) {
	p := withInferred(t, "@a: SELECT 1;\n@b: SELECT 2;\n@c: SELECT 3;\n@d: SELECT 4;", nil, []int32{1, 0, 1, 0})
	s := NewScheduler(p)
	take := func(w int, want string) {
		t.Helper()
		u, ok := s.NextFor(w)
		got := ""
		if ok {
			got = p.Units[u].Name()
		}
		if got != want {
			t.Fatalf("NextFor(%d) = %q, want %q", w, got, want)
		}
	}
	take(1, "a") // worker 1 now holds session group 1
	take(2, "b")
	take(2, "d") // c belongs to worker 1's session
	take(2, "")
	if s.Ready() != 1 {
		t.Fatalf("Ready() = %d, want 1 (c, for worker 1)", s.Ready())
	}
	take(1, "c")
	for _, n := range []string{"a", "b", "c", "d"} {
		s.Finish(unitNamed(t, p, n), true)
	}
	if s.Remaining() != 0 {
		t.Fatalf("Remaining() = %d", s.Remaining())
	}
}

func TestSchedulerInferredEdgesOnlyOrder(t *testing.T) {
	// b waits for a by inference, c for a by "-- after:"; d waits for c by inference.
	p := withInferred(t, "@a: SELECT 1;\n@b: SELECT 2;\n@c after a: SELECT 3;\n@d: SELECT 4;",
		[]deps.Edge{{From: 0, To: 1, Kind: deps.WriteRead, Object: "t"}, {From: 2, To: 3, Kind: deps.WriteWrite, Object: "t"}}, nil)
	s := NewScheduler(p)
	u, _ := s.NextFor(1)
	if u != 0 {
		t.Fatalf("first unit %d, want a", u)
	}
	if _, ok := s.NextFor(2); ok {
		t.Fatal("a unit other than a was ready")
	}
	skipped := s.Finish(0, false)
	if len(skipped) != 1 || skipped[0].Unit != 2 {
		t.Fatalf("skipped %v, want only c (its -- after: a failed)", skipped)
	}
	// b runs after a's failure, as in the sequential run; d, whose inferred dependency c
	// was skipped, runs too.
	var got []string
	for {
		u, ok := s.NextFor(1)
		if !ok {
			break
		}
		got = append(got, p.Units[u].Name())
	}
	if len(got) != 2 || got[0] != "b" || got[1] != "d" {
		t.Fatalf("ready after the failure: %v, want [b d]", got)
	}
	if !p.Hard(2, 0) || p.Hard(1, 0) {
		t.Fatal("Hard: the -- after: edge must be hard and the inferred one not")
	}
}

func TestDepsExplainEdges(t *testing.T) {
	p := withInferred(t, "@a: SELECT 1;\n@b after a: SELECT 2;\n@c: SELECT 3;",
		[]deps.Edge{{From: 1, To: 2, Kind: deps.WriteRead, Object: "public.orders"}}, nil)
	p.Inferred.barrier = make([]bool, 3)
	if got := p.Deps(1); len(got) != 1 || got[0].Why != "-- after: a" {
		t.Errorf("Deps(b) = %v", got)
	}
	if got := p.Deps(2); len(got) != 1 || got[0].Unit != 1 || got[0].Why != "public.orders: written by b" {
		t.Errorf("Deps(c) = %v", got)
	}
}

func unitNamed(t *testing.T, p *Plan, name string) int {
	t.Helper()
	for i, u := range p.Units {
		if u.Name() == name {
			return i
		}
	}
	t.Fatalf("no unit %q", name)
	return -1
}
