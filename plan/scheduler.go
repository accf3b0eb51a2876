package plan

import (
	"fmt"
	"slices"
)

// Skip reports that a unit will not run because a unit it depends on, directly or through
// others, failed.
type Skip struct {
	Unit  int // the skipped unit
	Cause int // the failed unit that caused the skip
}

// unit states in a Scheduler.
const (
	stWaiting uint8 = iota // dependencies or stage not done
	stReady                // in the ready heap
	stRunning
	stDone
	stFailed
	stSkipped
)

// Scheduler hands out the units of a Plan as they become ready: a unit is ready when its
// stage is open (every unit of every earlier stage has finished, whatever its outcome)
// and every unit it depends on has finished successfully. Among ready units the lowest
// index (file order) comes first.
//
// A Scheduler is not safe for concurrent use: the parallel runner's workers call it under
// one mutex.
// It never polls: Next and Finish cost O(log n) plus the edges they touch. Create one per
// run with NewScheduler; the zero value is not usable.
type Scheduler struct {
	p *Plan
	// dependents of unit u are dependents[depStart[u]:depStart[u+1]] (compressed rows).
	depStart   []int32
	dependents []int32
	soft       []bool  // soft[k]: dependents[k] waits only for order (Plan.Hard); nil when none is
	pending    []int32 // dependencies of each unit not yet finished successfully
	state      []uint8
	stageLeft  []int32 // units of each stage not yet finished or skipped
	stageStart []int32 // first unit of each stage; units are in stage order
	open       int     // every stage <= open is open
	ready      minHeap
	running    int
	remaining  int
	stack      []int32 // scratch for skip propagation

	// Session groups (Plan.Inferred): group[u] is unit u's group, owner[g] the worker
	// that ran the first unit of group g (-1: none yet). nil without groups.
	group []int32
	owner []int32
	held  []int32 // scratch for NextFor
}

// dependentsOf returns the reverse of p's "after" edges in compressed rows: the units
// waiting for unit d are deps[start[d]:start[d+1]], in plan order. each, when not nil,
// is called for every edge with its place in deps, the waiting unit and the edge's index
// in that unit's After.
func dependentsOf(p *Plan, each func(at int32, u *Unit, i int)) (start, deps []int32) {
	n := len(p.Units)
	start = make([]int32, n+1)
	for _, u := range p.Units {
		for _, d := range u.After() {
			start[d+1]++
		}
	}
	for i := range n {
		start[i+1] += start[i]
	}
	deps = make([]int32, start[n])
	fill := slices.Clone(start[:n])
	for _, u := range p.Units {
		for i, d := range u.After() {
			deps[fill[d]] = int32(u.Index)
			if each != nil {
				each(fill[d], u, i)
			}
			fill[d]++
		}
	}
	return start, deps
}

// NewScheduler returns a Scheduler for one run of p. p must come from Build (its units
// are in stage order and its graph has no cycle).
func NewScheduler(p *Plan) *Scheduler {
	n := len(p.Units)
	s := &Scheduler{
		p:          p,
		pending:    make([]int32, n),
		state:      make([]uint8, n),
		stageLeft:  make([]int32, len(p.Stages)),
		stageStart: make([]int32, len(p.Stages)+1),
		remaining:  n,
	}
	edges := 0
	for _, u := range p.Units {
		s.pending[u.Index] = int32(len(u.After()))
		s.stageLeft[u.Stage]++
		edges += len(u.After())
	}
	var soft func(at int32, u *Unit, i int)
	if p.Inferred != nil {
		s.soft = make([]bool, edges)
		soft = func(at int32, u *Unit, i int) { s.soft[at] = !p.Hard(int(u.Index), i) }
	}
	s.depStart, s.dependents = dependentsOf(p, soft)
	// Units are in stage order, so stage k spans stageStart[k]:stageStart[k+1].
	for k := range p.Stages {
		s.stageStart[k+1] = s.stageStart[k] + s.stageLeft[k]
	}
	s.ready = make(minHeap, 0, min(n, 1024))
	if inf := p.Inferred; inf != nil && inf.Sessions > 0 {
		s.group = inf.Session
		s.owner = make([]int32, inf.Sessions+1)
		for g := range s.owner {
			s.owner[g] = -1
		}
	}
	if len(p.Stages) > 0 {
		s.openStage(0)
		s.advance()
	}
	return s
}

// Next returns the lowest-index unit that is ready now and marks it started. ok is false
// when no unit is ready: every unit has finished, or the ready ones wait for running ones.
func (s *Scheduler) Next() (unit int, ok bool) {
	if len(s.ready) == 0 {
		return 0, false
	}
	u := s.ready.pop()
	s.state[u] = stRunning
	s.running++
	return int(u), true
}

// NextFor is Next for one of several workers, each holding its own connection: a unit
// tied to a session group (Plan.Inferred) goes only to the worker that ran the group's
// first unit, so that what the group creates on its connection (a temporary table, a
// prepared statement) is there for the rest of it. Other units go to any worker. A
// worker that gets nothing while Ready is not 0 must wait for the others.
func (s *Scheduler) NextFor(worker int) (unit int, ok bool) {
	if s.owner == nil {
		return s.Next()
	}
	s.held = s.held[:0]
	found := int32(-1)
	for len(s.ready) > 0 {
		u := s.ready.pop()
		g := s.group[u]
		if g == 0 || s.owner[g] < 0 || s.owner[g] == int32(worker) {
			if g > 0 {
				s.owner[g] = int32(worker)
			}
			found = u
			break
		}
		s.held = append(s.held, u)
	}
	for _, u := range s.held {
		s.ready.push(u)
	}
	if found < 0 {
		return 0, false
	}
	s.state[found] = stRunning
	s.running++
	return int(found), true
}

// Ready returns the number of units ready to start.
func (s *Scheduler) Ready() int { return len(s.ready) }

// Finish records that a started unit ended, successfully or not. When it failed, every
// unit that depends on it through "-- after:" edges, directly or transitively, is
// skipped: they are returned in plan order and count as finished for stage barriers. An
// inferred edge (Plan.Hard) only orders: its dependant runs after a failure too, as in
// the sequential run. Finish panics if unit is not
// running, which is a bug in the caller.
func (s *Scheduler) Finish(unit int, ok bool) (skipped []Skip) {
	if unit < 0 || unit >= len(s.state) || s.state[unit] != stRunning {
		panic(fmt.Sprintf("plan: Finish(%d) of a unit that is not running", unit))
	}
	s.running--
	s.remaining--
	s.stageLeft[s.p.Units[unit].Stage]--
	if ok {
		s.state[unit] = stDone
		for _, d := range s.dependents[s.depStart[unit]:s.depStart[unit+1]] {
			s.release(d)
		}
	} else {
		s.state[unit] = stFailed
		skipped = s.skipFrom(unit)
	}
	s.advance()
	return skipped
}

// release records that one dependency of unit d has ended (for an inferred edge, in any
// way) and makes d ready when it was the last and d's stage is open.
func (s *Scheduler) release(d int32) {
	s.pending[d]--
	if s.pending[d] == 0 && s.state[d] == stWaiting && int(s.p.Units[d].Stage) <= s.open {
		s.push(d)
	}
}

// skipFrom marks every unit that depends on the failed unit, transitively, as skipped.
func (s *Scheduler) skipFrom(failed int) []Skip {
	var out []Skip
	s.stack = append(s.stack[:0], int32(failed))
	for len(s.stack) > 0 {
		v := s.stack[len(s.stack)-1]
		s.stack = s.stack[:len(s.stack)-1]
		for k := s.depStart[v]; k < s.depStart[v+1]; k++ {
			d := s.dependents[k]
			// A dependant cannot have started: v never finished successfully.
			if s.state[d] == stSkipped {
				continue
			}
			if s.soft != nil && s.soft[k] {
				s.release(d) // an inferred edge: only the order matters
				continue
			}
			s.state[d] = stSkipped
			s.remaining--
			s.stageLeft[s.p.Units[d].Stage]--
			out = append(out, Skip{Unit: int(d), Cause: failed})
			s.stack = append(s.stack, d)
		}
	}
	slices.SortFunc(out, func(a, b Skip) int { return a.Unit - b.Unit })
	return out
}

// advance opens the following stages while the current one has nothing left.
func (s *Scheduler) advance() {
	for s.stageLeft[s.open] == 0 && s.open+1 < len(s.stageLeft) {
		s.open++
		s.openStage(s.open)
	}
}

// openStage makes the units of stage k whose dependencies are done ready.
func (s *Scheduler) openStage(k int) {
	for u := s.stageStart[k]; u < s.stageStart[k+1]; u++ {
		if s.pending[u] == 0 && s.state[u] == stWaiting {
			s.push(u)
		}
	}
}

func (s *Scheduler) push(u int32) {
	s.state[u] = stReady
	s.ready.push(u)
}

// Remaining returns the number of units that have neither finished nor been skipped,
// running ones included. The run is over when it is 0.
func (s *Scheduler) Remaining() int { return s.remaining }

// Running returns the number of units started and not yet finished.
func (s *Scheduler) Running() int { return s.running }

// Unstarted returns, in plan order, the units that were never started and not skipped:
// what a run stopped early (--stop-on-error, an interrupt) reports as not run.
func (s *Scheduler) Unstarted() []int {
	var out []int
	for u, st := range s.state {
		if st == stWaiting || st == stReady {
			out = append(out, u)
		}
	}
	return out
}

// minHeap is a binary min-heap of unit indexes, written out rather than through
// container/heap to keep the scheduler free of interface calls and allocations.
type minHeap []int32

func (h *minHeap) push(v int32) {
	*h = append(*h, v)
	a := *h
	i := len(a) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if a[parent] <= v {
			break
		}
		a[i] = a[parent]
		i = parent
	}
	a[i] = v
}

func (h *minHeap) pop() int32 {
	a := *h
	top := a[0]
	last := a[len(a)-1]
	a = a[:len(a)-1]
	*h = a
	n := len(a)
	if n == 0 {
		return top
	}
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && a[c+1] < a[c] {
			c++
		}
		if last <= a[c] {
			break
		}
		a[i] = a[c]
		i = c
	}
	a[i] = last
	return top
}
