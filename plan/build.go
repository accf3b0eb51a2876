package plan

import (
	"fmt"
	"strings"

	"github.com/qrunhq/qrun/queries"
)

// Build groups the statements of sc into units, resolves dependencies and checks the
// graph. It reads each statement's commands as the words queries' lexer gives
// (Statement.Head, Commands) and "-- name:" names through sc.Lookup (queries refused
// duplicates already). Its error is a queries.ErrorList, sorted by position, holding
// every problem found: a transaction block never closed, "-- after:" or "-- stage:"
// inside a block, unknown names, cycles, dependencies on a later stage (or, in
// sequential mode, on a later statement), and under opts.Rollback and opts.ReadOnly the
// commands those modes refuse. Nothing is returned but the error when there is one.
func Build(sc *queries.Script, opts Options) (*Plan, error) {
	stmts := sc.Statements
	b := &builder{
		opts:   opts,
		plan:   &Plan{Units: make([]*Unit, 0, len(stmts))},
		script: sc,
		stmts:  stmts,
	}
	b.group()
	b.resolve()
	if opts.Infer && opts.Parallel {
		b.infer()
	}
	b.findCycles()
	if len(b.errs) > 0 {
		b.errs.Sort()
		return nil, b.errs
	}
	return b.plan, nil
}

// unitBlock is the number of units allocated at once.
const unitBlock = 4096

// builder holds the state of one Build.
type builder struct {
	opts     Options
	plan     *Plan
	errs     queries.ErrorList
	script   *queries.Script
	stmts    []*queries.Statement
	words    []string         // a buffer for the words of a statement's first command
	auto     map[string]int32 // name given by queries ("FILE:LINE") -> index, or -1 when several share it; built on demand
	stmtUnit []int32          // statement index -> unit index, made by resolve when it needs it
	slab     []Unit           // backing store of the next units, allocated in blocks
	edges    int              // number of "-- after:" names, to allocate the edges at once
	warned   [sessPrepare + 1]bool
	forward  bool // some dependency points to a later unit: cycles are possible
}

func (b *builder) errorf(pos queries.Pos, format string, args ...any) {
	b.errs.Add(pos, fmt.Sprintf(format, args...))
}

// group makes units of the statements: one per statement, or one per transaction block.
// It also assigns stages, records names and flags session-changing units.
func (b *builder) group() {
	var (
		open      *Unit // the transaction block being read
		prevStage = -1  // StageIndex of the previous unit's first statement
	)
	for i, s := range b.stmts {
		wasOpen := open != nil
		isOpen, session := b.scan(s, wasOpen)

		if wasOpen {
			// A block's statements are consecutive: extend its share of the input (the
			// capacity limit still makes an append by a user copy).
			first := i - len(open.Statements)
			open.Statements = b.stmts[first : i+1 : i+1]
			if len(s.After()) > 0 {
				b.errorf(s.AfterPos(), "-- after: inside a transaction block: put it above the block's BEGIN (%s)", open.Statements[0].Pos())
			}
			if s.StageIndex() != b.stmts[i-1].StageIndex() { // report once, where it changes
				b.errorf(s.Pos(), "-- stage: inside a transaction block: a block runs as one unit in one stage (BEGIN at %s)", open.Statements[0].Pos())
			}
		} else {
			if si := s.StageIndex(); si != prevStage {
				b.plan.Stages = append(b.plan.Stages, s.Stage())
				prevStage = si
			}
			if len(b.slab) == cap(b.slab) {
				// Units come in blocks sized by the statements left (a block of a
				// transaction is one unit), so a plan costs few allocations and
				// little slack.
				b.slab = make([]Unit, 0, min(len(b.stmts)-i, unitBlock))
			}
			b.slab = append(b.slab, Unit{
				Index: int32(len(b.plan.Units)),
				Stage: int32(len(b.plan.Stages) - 1),
				// Share the input; the capacity of 1 makes a block's appends copy.
				Statements:      b.stmts[i : i+1 : i+1],
				Tx:              isOpen,
				SessionChanging: session != sessNone,
			})
			u := &b.slab[len(b.slab)-1]
			b.edges += len(s.After())
			b.plan.Units = append(b.plan.Units, u)
			if isOpen {
				open = u
			}
			if session != sessNone && b.opts.Parallel && !b.opts.Infer && !b.warned[session] {
				b.warned[session] = true
				b.plan.Warnings = append(b.plan.Warnings, &queries.Error{Pos: s.Pos(), Msg: fmt.Sprintf(
					"%s outside a transaction block affects only the connection it runs on in parallel mode; "+
						"use --setup for every connection, or put it in a transaction block with the statements that need it",
					session)})
			}
		}
		if !isOpen {
			open = nil
		}

	}
	if open != nil {
		b.errorf(open.Statements[0].Pos(), "transaction block never closed: no COMMIT, END, ROLLBACK or ABORT after this BEGIN")
	}
}

// scan reads the commands of one statement, given whether a transaction block is open
// before it. It returns whether a block is open after it and, for a statement outside
// any block, the kind of session state it changes. Under --rollback it reports the
// commands that cannot run inside a transaction block.
func (b *builder) scan(s *queries.Statement, open bool) (bool, sessionKind) {
	// Two words tell most commands (SELECT, INSERT ...); read more only when the
	// classification or the safety checks ask for them.
	n := 2
	w, more := s.Head(b.words[:0], n)
	if more {
		return b.scanJoined(s, open)
	}
	for {
		b.words = w[:0]
		cut := n > 0 && len(w) == n
		c, short := classifyCut(w, cut)
		var ro, rb string
		if !short && (b.opts.ReadOnly || b.opts.Rollback) {
			var ok bool
			ro, rb, ok = b.safety(s, w, c, cut)
			short = !ok
		}
		if short {
			n = moreWords(n)
			w, _ = s.Head(b.words[:0], n)
			continue
		}
		c = b.setConfig(s, c)
		b.checkRollback(s, c, open)
		b.report(s, ro, rb)
		session := sessNone
		if !open && c.tx == txNone {
			session = c.session
		}
		return step(open, c.tx), session
	}
}

// moreWords is the number of words to read of a command after n were too few: up to
// queries.HeadWords, then all of them (0).
func moreWords(n int) int {
	if n < queries.HeadWords {
		return queries.HeadWords
	}
	return 0
}

// scanJoined is scan for a statement that "\;" joined of several commands.
func (b *builder) scanJoined(s *queries.Statement, open bool) (bool, sessionKind) {
	cmds := s.Commands()
	all := b.opts.ReadOnly || b.opts.Rollback
	for _, w := range cmds {
		if _, short := classifyCut(w, len(w) == queries.HeadWords); short {
			all = true
		}
	}
	if all {
		cmds = s.CommandWords(0)
	}
	session := sessNone
	txControl := false
	for _, cmd := range cmds {
		c := b.setConfig(s, classify(cmd))
		b.checkRollback(s, c, open)
		if b.opts.ReadOnly || b.opts.Rollback {
			ro, rb, _ := b.safety(s, cmd, c, false)
			b.report(s, ro, rb)
		}
		if !open && c.tx == txNone && session == sessNone {
			session = c.session
		}
		txControl = txControl || c.tx != txNone
		open = step(open, c.tx)
	}
	if b.opts.ReadOnly && txControl && !b.opts.Rollback {
		b.errorf(s.Pos(), "--read-only needs transaction control (BEGIN, COMMIT, ...) as a statement of its own, not joined to others with \\;")
	}
	if b.opts.Rollback && txControl {
		b.errorf(s.Pos(), "--rollback needs transaction control (BEGIN, COMMIT, ...) as a statement of its own, not joined to others with \\;")
	}
	if open {
		session = sessNone // the rest of the statement runs in the block it opened
	}
	return open, session
}

// checkRollback reports, under --rollback, a command that cannot run in a transaction
// block, and a COMMIT AND CHAIN in a block, which would commit part of it.
func (b *builder) checkRollback(s *queries.Statement, c command, open bool) {
	if !b.opts.Rollback {
		return
	}
	if c.noTx != "" {
		b.errorf(s.Pos(), "%s cannot run inside a transaction block, so it cannot run under --rollback", c.noTx)
	}
	if c.tx == txCommitChain && open {
		b.errorf(s.Pos(), "COMMIT AND CHAIN commits part of the transaction block, which --rollback could not undo")
	}
}

// setConfig adds to c, the classification of a command of statement s, a call of
// set_config.
func (b *builder) setConfig(s *queries.Statement, c command) command {
	if c.none() && callsSetConfig(s) {
		c.session = sessSetConfig
	}
	return c
}

// step returns whether a transaction block is open after a command of kind k.
func step(open bool, k txKind) bool {
	switch k {
	case txBegin:
		return true // a BEGIN inside a block only draws a server warning
	case txCommit, txRollback, txPrepare:
		return false
	}
	return open // chains keep a block open; outside one, they fail on the server
}

// resolve turns "-- after:" names into edges and checks where they point.
func (b *builder) resolve() {
	units := b.plan.Units
	edges := make([]int, 0, b.edges) // every unit's After is a piece of it
	for _, u := range units {
		s := u.Statements[0]
		afterNames := s.After()
		if len(afterNames) == 0 {
			continue
		}
		first := len(edges)
		afterPos := s.AfterPos()
		for _, name := range afterNames {
			si, ok := b.lookup(name)
			if ok && si < 0 {
				b.errorf(afterPos, "-- after: name %q is ambiguous: several statements start on that line; name the one meant with -- name:", name)
				continue
			}
			if !ok {
				msg := fmt.Sprintf("-- after: unknown name %q", name)
				if near := b.suggest(name); near != "" {
					msg += fmt.Sprintf("; did you mean %q?", near)
				}
				b.errs.Add(afterPos, msg)
				continue
			}
			d := int(b.unitOf(si))
			dep := units[d]
			switch {
			case d == int(u.Index):
				b.errorf(afterPos, "cycle: %s -> %s (a statement cannot wait for itself)", u.Name(), u.Name())
				continue
			case dep.Stage > u.Stage:
				b.errorf(afterPos, "-- after: %q is in a later stage (%q at %s): it would never start before this one",
					name, b.plan.Stages[dep.Stage], dep.Statements[0].Pos())
				continue
			case d > int(u.Index) && !b.opts.Parallel:
				b.errorf(afterPos, "-- after: %q comes later in the file (%s): in sequential mode statements run in file order; use --parallel or move it",
					name, dep.Statements[0].Pos())
				continue
			case d > int(u.Index):
				b.forward = true
			}
			if !containsInt(edges[first:], d) {
				edges = append(edges, d)
			}
		}
		if len(edges) > first {
			after := edges[first:len(edges):len(edges)]
			u.after = &after
		}
	}
}

// unitOf returns the index of the unit of statement si. The table it reads is made on
// first use: most plans have no "-- after:" to resolve.
func (b *builder) unitOf(si int32) int32 {
	if b.stmtUnit == nil {
		b.stmtUnit = make([]int32, len(b.stmts))
		i := 0
		for _, u := range b.plan.Units {
			for range u.Statements {
				b.stmtUnit[i] = u.Index
				i++
			}
		}
	}
	return b.stmtUnit[si]
}

// lookup returns the index of the statement called name. Names given by "-- name:" are
// looked up first; the names the queries package gives unnamed statements ("FILE:LINE")
// are only indexed when a dependency names one, which keeps the common case of a large
// file with few names cheap. It returns -1, true for an unnamed name that several
// statements share (several statements on one line).
func (b *builder) lookup(name string) (int32, bool) {
	if i, ok := b.script.Lookup(name); ok {
		return int32(i), true
	}
	if b.auto == nil {
		indexed := b.script.Named() > 0 // else a script made by hand: index every name here
		b.auto = make(map[string]int32, len(b.stmts)-b.script.Named())
		for i, s := range b.stmts {
			if s.Named && indexed {
				continue
			}
			if _, dup := b.auto[s.Name]; dup {
				b.auto[s.Name] = -1
			} else {
				b.auto[s.Name] = int32(i)
			}
		}
	}
	i, ok := b.auto[name]
	return i, ok
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// suggest returns the known name closest to an unknown one, or "" when none is close.
// Names are tried in file order, so the earliest of equally close names wins.
func (b *builder) suggest(name string) string {
	limit := max(1, min(3, len(name)/3))
	best, bestDist := "", limit+1
	for _, s := range b.stmts {
		n := s.Name
		if d := len(n) - len(name); d > limit || -d > limit {
			continue
		}
		d := 0
		if !strings.EqualFold(n, name) {
			d = editDistance(n, name, bestDist)
		}
		if d < bestDist {
			best, bestDist = n, d
			if d == 0 {
				break
			}
		}
	}
	return best
}

// editDistance returns the Levenshtein distance between a and b, or bound when it is at
// least bound.
func editDistance(a, b string, bound int) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= bound {
			return bound
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], bound)
}

// findCycles reports every cycle of dependencies, once per strongly connected component,
// naming its members in order from the earliest one. It uses Tarjan's algorithm without
// recursion, so a long chain cannot overflow the stack.
func (b *builder) findCycles() {
	if !b.forward {
		return // every edge points to an earlier unit: no cycle is possible
	}
	units := b.plan.Units
	n := len(units)
	index := make([]int32, n) // 0: not visited; else visit order + 1
	low := make([]int32, n)
	onStack := make([]bool, n)
	var stack []int32
	type frame struct {
		v    int32
		edge int
	}
	var calls []frame
	visited := int32(0)
	visit := func(v int32) {
		visited++
		index[v], low[v] = visited, visited
		stack = append(stack, v)
		onStack[v] = true
		calls = append(calls, frame{v: v})
	}
	for root := range int32(n) {
		if index[root] != 0 || units[root].after == nil {
			continue
		}
		visit(root)
		for len(calls) > 0 {
			f := &calls[len(calls)-1]
			v := f.v
			if after := units[v].After(); f.edge < len(after) {
				w := int32(after[f.edge])
				f.edge++
				if index[w] == 0 {
					visit(w)
				} else if onStack[w] {
					low[v] = min(low[v], index[w])
				}
				continue
			}
			calls = calls[:len(calls)-1]
			if len(calls) > 0 {
				p := calls[len(calls)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] != index[v] {
				continue
			}
			i := len(stack) - 1
			for stack[i] != v {
				i--
			}
			scc := stack[i:]
			for _, w := range scc {
				onStack[w] = false
			}
			if len(scc) > 1 {
				b.reportCycle(scc)
			}
			stack = stack[:i]
		}
	}
}

// reportCycle names one cycle through the strongly connected component scc, starting at
// its earliest unit and taking the shortest way back to it.
func (b *builder) reportCycle(scc []int32) {
	units := b.plan.Units
	in := make(map[int32]int32, len(scc)) // member -> previous unit on the path (-1: unseen)
	start := scc[0]
	for _, v := range scc {
		in[v] = -1
		start = min(start, v)
	}
	queue := []int32{start}
	last := start
search:
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, d := range units[v].After() {
			w := int32(d)
			prev, member := in[w]
			switch {
			case !member:
			case w == start:
				last = v
				break search
			case prev == -1:
				in[w] = v
				queue = append(queue, w)
			}
		}
	}
	var path []string
	for v := last; v != start; v = in[v] {
		path = append(path, units[v].Name())
	}
	var msg strings.Builder
	msg.WriteString("cycle: ")
	msg.WriteString(units[start].Name())
	for i := len(path) - 1; i >= 0; i-- {
		msg.WriteString(" -> ")
		msg.WriteString(path[i])
	}
	msg.WriteString(" -> ")
	msg.WriteString(units[start].Name())
	msg.WriteString(" (each waits for the next)")
	b.errs.Add(units[start].Statements[0].AfterPos(), msg.String())
}
