package deps

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Stmt is one statement as it will be sent.
type Stmt struct {
	SQL    string // exactly what is sent (variables already interpolated)
	Opaque bool   // its text/effect is known only at run time: treat the unit as a barrier
}

// Unit is one unit of the plan: one statement, or every statement of a transaction block
// (run in order on one connection).
type Unit struct{ Stmts []Stmt }

// Options tune Analyze. The zero value is ready to use.
type Options struct {
	Workers int // parse on this many goroutines (0: GOMAXPROCS)

	// User is the role the statements run as, used to resolve "$user" in search_path.
	// Empty: unknown, and an unqualified name under "$user" may live in any schema.
	User string
}

// Kind says why an edge exists.
type Kind uint8

// The kinds of edge.
const (
	WriteRead  Kind = iota + 1 // From writes what To reads
	ReadWrite                  // From reads what To writes
	WriteWrite                 // both write it
	Barrier                    // From or To is a barrier (effects unknown / session change)
	Session                    // both are tied to one connection (temp tables, prepared statements, cursors, advisory locks, LISTEN)
)

// String returns the kind's name as the edges golden files spell it.
func (k Kind) String() string {
	switch k {
	case WriteRead:
		return "write-read"
	case ReadWrite:
		return "read-write"
	case WriteWrite:
		return "write-write"
	case Barrier:
		return "barrier"
	case Session:
		return "session"
	}
	return "unknown"
}

// Edge orders unit From before unit To.
type Edge struct {
	From, To int32 // unit indexes, From < To (file order)
	Kind     Kind
	// Object is what causes the edge, schema-qualified when known: "public.orders",
	// "function public.f", "schema s1", "sequence public.s", "type public.t", "role r",
	// or for a barrier a short cause: "DO block", "LOCK", "SET search_path",
	// "unparsed statement", "call of f (body unknown)", "pg_terminate_backend()".
	Object string
}

// Result is the analysis of a list of units. Its slices are indexed by unit.
type Result struct {
	// Edges are sorted by To, then From, with no duplicate (From, To) pair: the first
	// reason found is kept. Every edge needed for the parallel run to reproduce the
	// sequential one is present, or implied through a path of edges.
	Edges []Edge
	// Session is, per unit, 0 or the session group (> 0) that ties it to one connection:
	// every unit of one group must run on the same connection, in file order (consecutive
	// members of a group are also chained by Session edges).
	Session []int32
	// Replay is, per unit, the session-level settings the unit makes (SET x = ..., RESET x,
	// SET ROLE, SET SESSION AUTHORIZATION, SELECT set_config(..., false), search_path
	// changes) as SQL to run, in order, on every other connection before that connection
	// runs a later unit. nil for most units. Such a unit is also a barrier. Apply a unit's
	// Replay only if the unit succeeded.
	Replay [][]string
	// Barrier is, per unit, whether it is ordered after everything before it and before
	// everything after it.
	Barrier []bool
	// Parsed counts the statements analysed (opaque ones are not), Unique the distinct
	// texts among them that were parsed, and Failed the distinct texts libpg_query could
	// not parse.
	Parsed, Unique, Failed int
}

// Analyze infers the dependency graph of units from their SQL. It parses each distinct
// statement text once, on Options.Workers goroutines, then makes one pass over the units
// in file order. It never fails: what it cannot understand becomes a barrier.
//
// Analyze is safe for concurrent use.
func Analyze(units []Unit, opts Options) *Result { return analyze(units, opts, nil) }

// unitTrace receives what each unit touches (tests check the graph against it).
type unitTrace func(u int32, accs []access, barrier string)

func analyze(units []Unit, opts Options, trace unitTrace) *Result {
	progs, parsed, unique, failed := parseAll(units, opts.Workers)
	res := &Result{Parsed: parsed, Unique: unique, Failed: failed}
	r := newResolver(len(units), opts, progs)
	r.trace = trace
	for u := range units {
		r.unit(int32(u), units[u], progs)
	}
	r.finish(res)
	return res
}

// batchBytes and batchStmts bound one batch of texts given to the parser at once.
const (
	batchBytes = 16 << 10
	batchStmts = 64
)

// parseAll returns, per unit and statement, the analysis of its text (nil for an opaque
// statement), parsing each distinct text once.
func parseAll(units []Unit, workers int) (progs [][]*stmtProg, parsed, unique, failed int) {
	index := make(map[string]int32)
	var texts []string
	progs = make([][]*stmtProg, len(units))
	ids := make([][]int32, len(units))
	for u, unit := range units {
		ids[u] = make([]int32, len(unit.Stmts))
		for s, st := range unit.Stmts {
			if st.Opaque {
				ids[u][s] = -1
				continue
			}
			parsed++
			id, ok := index[st.SQL]
			if !ok {
				id = int32(len(texts))
				index[st.SQL] = id
				texts = append(texts, st.SQL)
			}
			ids[u][s] = id
		}
	}
	out := make([]*stmtProg, len(texts))
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Texts are parsed in batches of about batchBytes, each batch on one worker.
	type span struct{ lo, hi int }
	var batches []span
	for lo := 0; lo < len(texts); {
		hi, size := lo, 0
		for hi < len(texts) && (hi == lo || size+len(texts[hi]) <= batchBytes && hi-lo < batchStmts) {
			size += len(texts[hi])
			hi++
		}
		batches = append(batches, span{lo, hi})
		lo = hi
	}
	if workers > len(batches) {
		workers = len(batches)
	}
	if workers <= 1 {
		for _, b := range batches {
			extractBatch(texts[b.lo:b.hi], out[b.lo:b.hi])
		}
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= len(batches) {
						return
					}
					b := batches[i]
					extractBatch(texts[b.lo:b.hi], out[b.lo:b.hi])
				}
			}()
		}
		wg.Wait()
	}
	for _, p := range out {
		if p.failed {
			failed++
		}
	}
	for u := range units {
		progs[u] = make([]*stmtProg, len(ids[u]))
		for s, id := range ids[u] {
			if id >= 0 {
				progs[u][s] = out[id]
			}
		}
	}
	return progs, parsed, len(texts), failed
}
