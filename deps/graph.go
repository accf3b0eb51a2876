package deps

import (
	"slices"
)

// objKey is a resolved object. For relations and functions, schema "" means the schema is
// not known: such a key conflicts with every schema's object of that name. For schemas,
// name "" is any schema.
type objKey struct {
	kind   objKind
	schema string
	name   string
}

// access is one object a unit touches.
type access struct {
	key   objKey
	write bool
	hint  string
}

func (a access) label() string {
	k := a.key
	switch k.kind {
	case kRel:
		n := qualString(k.schema, k.name)
		switch a.hint {
		case "sequence", "type":
			return a.hint + " " + n
		}
		return n
	case kFunc:
		return "function " + qualString(k.schema, k.name)
	case kSchema:
		if k.name == "" {
			return "schema (any)"
		}
		return "schema " + k.name
	case kRole:
		return "role " + k.name
	case kIndexSet:
		return "indexes of " + qualString(k.schema, k.name)
	}
	return k.name
}

// hazard is what the graph remembers of one object: the last unit that wrote it and the
// units that read it since. A write depends on both, a read on the writer: edges stay
// linear in the number of accesses.
type hazard struct {
	writer  int32
	wlabel  string
	readers []int32
}

func (h *hazard) reset() {
	h.writer = -1
	h.readers = h.readers[:0]
}

type schemaHazard struct {
	schema string
	h      hazard
}

// nameEntry holds the hazards of every object of one kind and name: one per schema, and
// one for the accesses whose schema is not known.
type nameEntry struct {
	gen      int32
	unknown  hazard
	bySchema []schemaHazard
}

type nameKey struct {
	kind objKind
	name string
}

// graph builds the edges in one pass over the units in file order.
type graph struct {
	entries     map[nameKey]*nameEntry
	schemaNames []*nameEntry // every kSchema entry, for accesses to "any schema"
	gen         int32        // bumped at each barrier: hazards older than the barrier are implied by it

	since       []int32 // units since the last barrier
	lastBarrier int32
	barrierWhy  string

	edges   []Edge
	pending []Edge
	stamp   []int32 // stamp[from] == to+1 once an edge from → to is pending
	hasOut  []bool  // the unit has an edge to a later one
	to      int32
}

func newGraph(n int) *graph {
	return &graph{
		entries:     make(map[nameKey]*nameEntry),
		lastBarrier: -1,
		stamp:       make([]int32, n),
		hasOut:      make([]bool, n),
	}
}

func (g *graph) entry(kind objKind, name string) *nameEntry {
	k := nameKey{kind, name}
	e := g.entries[k]
	if e == nil {
		e = &nameEntry{gen: g.gen}
		e.unknown.writer = -1
		g.entries[k] = e
		if kind == kSchema {
			g.schemaNames = append(g.schemaNames, e)
		}
	} else if e.gen != g.gen {
		e.gen = g.gen
		e.unknown.reset()
		e.bySchema = e.bySchema[:0]
	}
	return e
}

func (e *nameEntry) schema(s string) *hazard {
	for i := range e.bySchema {
		if e.bySchema[i].schema == s {
			return &e.bySchema[i].h
		}
	}
	e.bySchema = append(e.bySchema, schemaHazard{schema: s, h: hazard{writer: -1}})
	return &e.bySchema[len(e.bySchema)-1].h
}

func (g *graph) edge(from int32, kind Kind, object string) {
	if from < 0 || from >= g.to || g.stamp[from] == g.to+1 {
		return
	}
	g.stamp[from] = g.to + 1
	g.pending = append(g.pending, Edge{From: from, To: g.to, Kind: kind, Object: object})
}

// conflicts adds the edges an access of h by the current unit needs.
func (g *graph) conflicts(h *hazard, write bool, label string) {
	if h.writer >= 0 {
		if write {
			g.edge(h.writer, WriteWrite, label)
		} else {
			g.edge(h.writer, WriteRead, label)
		}
	}
	if write {
		for _, r := range h.readers {
			g.edge(r, ReadWrite, label)
		}
	}
}

func (g *graph) record(h *hazard, write bool, label string) {
	if write {
		h.writer = g.to
		h.wlabel = label
		h.readers = h.readers[:0]
	} else if n := len(h.readers); n == 0 || h.readers[n-1] != g.to {
		h.readers = append(h.readers, g.to)
	}
}

// visit adds the edges access a of the current unit needs (if add) and records it.
func (g *graph) visit(a access, add bool) {
	k := a.key
	label := a.label()
	if k.kind == kSchema {
		if k.name == "" {
			w := g.entry(kSchema, "")
			for _, e := range g.schemaNames {
				if e.gen != g.gen {
					continue
				}
				if add {
					g.conflicts(&e.unknown, a.write, label)
				}
			}
			if add {
				g.conflicts(&w.unknown, a.write, label)
			}
			g.record(&w.unknown, a.write, label)
			return
		}
		e := g.entry(kSchema, k.name)
		if add {
			g.conflicts(&e.unknown, a.write, label)
			if w, ok := g.entries[nameKey{kSchema, ""}]; ok && w.gen == g.gen {
				g.conflicts(&w.unknown, a.write, label)
			}
		}
		g.record(&e.unknown, a.write, label)
		return
	}
	e := g.entry(k.kind, k.name)
	schemaful := k.kind == kRel || k.kind == kFunc || k.kind == kIndexSet
	if !schemaful {
		if add {
			g.conflicts(&e.unknown, a.write, label)
		}
		g.record(&e.unknown, a.write, label)
		return
	}
	if k.schema == "" {
		if add {
			g.conflicts(&e.unknown, a.write, label)
			for i := range e.bySchema {
				g.conflicts(&e.bySchema[i].h, a.write, label)
			}
		}
		g.record(&e.unknown, a.write, label)
		return
	}
	h := e.schema(k.schema)
	if add {
		g.conflicts(&e.unknown, a.write, label)
		g.conflicts(h, a.write, label)
	}
	g.record(h, a.write, label)
}

// unit adds unit u (the next in file order) with what it touches.
func (g *graph) unit(u int32, accs []access, barrier string) {
	g.to = u
	g.pending = g.pending[:0]
	if barrier != "" {
		for _, a := range accs {
			g.visit(a, true)
		}
		// The units since the last barrier all follow it; those with no successor among
		// them (the sinks) are enough to order them all before u.
		if len(g.since) == 0 && g.lastBarrier >= 0 {
			g.edge(g.lastBarrier, Barrier, barrier)
		}
		for _, s := range g.since {
			if !g.hasOut[s] {
				g.edge(s, Barrier, barrier)
			}
		}
		// Everything before is now ordered before u, and u before everything after:
		// older hazards are implied. Start afresh with u's own accesses.
		g.gen++
		for _, a := range accs {
			g.visit(a, false)
		}
		g.since = g.since[:0]
		g.lastBarrier = u
		g.barrierWhy = barrier
	} else {
		for _, a := range accs {
			g.visit(a, true)
		}
		// An edge from a unit after the last barrier already implies the barrier's.
		if g.lastBarrier >= 0 {
			implied := false
			for _, e := range g.pending {
				if e.From > g.lastBarrier {
					implied = true
					break
				}
			}
			if !implied {
				g.edge(g.lastBarrier, Barrier, g.barrierWhy)
			}
		}
		g.since = append(g.since, u)
	}
	for _, e := range g.pending {
		g.hasOut[e.From] = true
	}
	slices.SortFunc(g.pending, func(a, b Edge) int { return int(a.From) - int(b.From) })
	g.edges = append(g.edges, g.pending...)
}
