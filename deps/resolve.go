package deps

import (
	"slices"
	"strings"
)

// pathCtx is how unqualified names resolve.
type pathCtx struct {
	path      []string // search_path entries ("$user" included), as the file set it
	known     bool     // false: set to something not known before run time
	user      string   // "$user"; "" when not known
	anySchema bool     // function bodies: every unqualified name may be in any schema
}

var defaultPath = []string{"$user", "public"}

// stored is a prog kept by a definition, with the names context it was defined in (views,
// defaults and policies bind their names when they are created).
type stored struct {
	q  *prog
	pc pathCtx
}

type trigger struct {
	fn   ref
	pc   pathCtx
	when *stored
}

// relMeta is what the file has said so far about one relation.
type relMeta struct {
	schema      string
	name        string
	view        []*stored // the view's query (or an ON SELECT rule)
	mat         bool
	rules       bool
	triggers    []trigger
	fkOut       []objKey // tables it references
	fkIn        []objKey // tables that reference it
	defaults    []colDefault
	always      []*stored // CHECK and generated expressions
	policies    []*stored
	types       []objKey
	children    []objKey
	parents     []objKey
	dependents  []objKey
	hasEffects  bool
	hasDefaults bool
}

// colDefault is a column default (col "" when the column is not known: always run).
type colDefault struct {
	col string
	s   *stored
}

type funcMeta struct {
	schema  string
	bodies  []*prog
	unknown bool // some definition's body is unknown
}

// unitState is what one unit touches, being collected.
type unitState struct {
	u          int32
	accs       []access
	idx        map[objKey]int32 // key → index in accs (for this unit)
	barrier    string
	sessKeys   []string
	replay     []string
	rolledBack bool
	localTemp  map[string]bool
	localCurs  map[string]bool
	depth      int
}

type resolver struct {
	opts Options
	res  *Result

	path     pathCtx // session-level
	unitPath pathCtx // what the current statement resolves with (SET LOCAL)

	temps     map[string]bool
	rels      map[string][]*relMeta
	funcs     map[string][]*funcMeta
	prepared  map[string]*stored
	operators map[string][]ref
	eventTrig []ref

	advisorySession bool
	currvalNames    map[string]bool
	lastval         bool

	cur      unitState
	readDone map[objKey]int32
	dmlDone  map[dmlKey]int32
	fnDone   map[objKey]int32
	depDone  map[objKey]int32

	indexOwner map[objKey][]objKey // index (or owned sequence) → its table
	viewDone   map[*stored]int32

	g     *graph
	trace unitTrace

	sessID    map[string]int32
	sessNames []string
	parent    []int32 // union-find over session key ids
	unitSess  []int32 // per unit: a session key id or -1
	replay    [][]string
	barriers  []bool
}

type dmlKey struct {
	key  objKey
	mask uint8
}

func newResolver(n int, opts Options, progs [][]*stmtProg) *resolver {
	r := &resolver{
		opts:         opts,
		temps:        make(map[string]bool),
		rels:         make(map[string][]*relMeta),
		funcs:        make(map[string][]*funcMeta),
		prepared:     make(map[string]*stored),
		operators:    make(map[string][]ref),
		currvalNames: make(map[string]bool),
		readDone:     make(map[objKey]int32),
		dmlDone:      make(map[dmlKey]int32),
		fnDone:       make(map[objKey]int32),
		depDone:      make(map[objKey]int32),
		indexOwner:   make(map[objKey][]objKey),
		viewDone:     make(map[*stored]int32),
		g:            newGraph(n),
		sessID:       make(map[string]int32),
		unitSess:     make([]int32, n),
		replay:       make([][]string, n),
		barriers:     make([]bool, n),
	}
	r.path = pathCtx{path: defaultPath, known: true, user: opts.User}
	r.unitPath = r.path
	r.cur.idx = make(map[objKey]int32)
	r.prescan(progs)
	return r
}

// prescan finds what changes how other statements are treated wherever it appears:
// session-level advisory locks, currval and lastval.
func (r *resolver) prescan(progs [][]*stmtProg) {
	seen := make(map[*prog]bool)
	var scan func(p *prog)
	scan = func(p *prog) {
		if p == nil || seen[p] {
			return
		}
		seen[p] = true
		for _, o := range p.ops {
			switch o.code {
			case opCall:
				if o.ref.schema != "" && o.ref.schema != "pg_catalog" {
					continue
				}
				switch builtinFuncSet[o.ref.name] {
				case effAdvisory:
					r.advisorySession = true
				case effSeqRead:
					if len(o.args) > 0 && o.args[0] != noLit {
						if _, n, ok := splitQualified(o.args[0]); ok {
							r.currvalNames[n] = true
							continue
						}
					}
					r.lastval = true
				case effLastval:
					r.lastval = true
				}
			case opDefine:
				if o.def.q != nil {
					scan(o.def.q)
				}
			}
		}
	}
	for _, u := range progs {
		for _, sp := range u {
			if sp != nil {
				scan(&sp.prog)
			}
		}
	}
}

// unit analyses one unit and adds it to the graph.
func (r *resolver) unit(u int32, unit Unit, progs [][]*stmtProg) {
	c := &r.cur
	c.u = u
	c.accs = c.accs[:0]
	c.barrier = ""
	c.sessKeys = c.sessKeys[:0]
	c.replay = nil
	c.rolledBack = false
	c.localTemp = nil
	c.localCurs = nil
	startPath := r.path
	for s, st := range unit.Stmts {
		sp := progs[u][s]
		if sp == nil || st.Opaque {
			r.setBarrier("statement known only at run time")
			r.sessionAll("")
			continue
		}
		r.runTop(&sp.prog)
	}
	if c.rolledBack {
		r.path = startPath
		c.replay = nil
	}
	r.unitPath = r.path
	r.replay[u] = c.replay
	r.barriers[u] = c.barrier != ""
	r.unitSess[u] = -1
	for i, k := range c.sessKeys {
		id := r.sessionID(k)
		if i == 0 {
			r.unitSess[u] = id
		} else {
			r.union(r.unitSess[u], id)
		}
	}
	if r.trace != nil {
		r.trace(u, c.accs, c.barrier)
	}
	r.g.unit(u, c.accs, c.barrier)
}

func (r *resolver) setBarrier(cause string) {
	if r.cur.barrier == "" {
		r.cur.barrier = cause
	}
}

func (r *resolver) session(key string) {
	for _, k := range r.cur.sessKeys {
		if k == key {
			return
		}
	}
	r.cur.sessKeys = append(r.cur.sessKeys, key)
}

// sessionAll joins every session key seen so far that starts with prefix.
func (r *resolver) sessionAll(prefix string) {
	for _, k := range r.sessNames {
		if strings.HasPrefix(k, prefix) {
			r.session(k)
		}
	}
}

func (r *resolver) sessionID(k string) int32 {
	if id, ok := r.sessID[k]; ok {
		return id
	}
	id := int32(len(r.parent))
	r.sessID[k] = id
	r.sessNames = append(r.sessNames, k)
	r.parent = append(r.parent, id)
	return id
}

func (r *resolver) find(x int32) int32 {
	for r.parent[x] != x {
		r.parent[x] = r.parent[r.parent[x]]
		x = r.parent[x]
	}
	return x
}

func (r *resolver) union(a, b int32) {
	a, b = r.find(a), r.find(b)
	if a != b {
		if a < b {
			r.parent[b] = a
		} else {
			r.parent[a] = b
		}
	}
}

// touch records an access of the current unit.
func (r *resolver) touch(k objKey, write bool, hint string) {
	c := &r.cur
	if i, ok := c.idx[k]; ok && i < int32(len(c.accs)) && c.accs[i].key == k {
		if write {
			c.accs[i].write = true
		}
		return
	}
	c.idx[k] = int32(len(c.accs))
	c.accs = append(c.accs, access{key: k, write: write, hint: hint})
}

// ctx is how a prog runs: top level (definitions take effect) or inside a stored query or
// function body (only accesses).
type ctx struct {
	pc     pathCtx
	top    bool
	asDML  *dmlInfo // a write through a view: the relations it reads are written
	readFn bool     // EXPLAIN-like: calls only reference
}

func (r *resolver) runTop(p *prog) {
	ddl := r.run(p, ctx{pc: r.unitPath, top: true})
	if ddl && len(r.eventTrig) > 0 {
		for _, f := range r.eventTrig {
			r.call(f, nil, r.unitPath)
		}
	}
}

// run interprets p; it reports whether p changes the schema (for event triggers).
func (r *resolver) run(p *prog, c ctx) (ddl bool) {
	r.cur.depth++
	defer func() { r.cur.depth-- }()
	if r.cur.depth > 64 {
		r.setBarrier("nesting too deep")
		return false
	}
	var pushed []pathCtx
	for i := range p.ops {
		o := &p.ops[i]
		switch o.code {
		case opRead:
			if c.asDML != nil && o.ref.kind == kRel {
				r.dml(o.ref, c.asDML, c.pc)
			} else {
				r.read(o.ref, c.pc)
			}
		case opWrite:
			ddl = true
			r.write(o.ref, c.pc)
		case opDML:
			r.dml(o.ref, o.dml, c.pc)
		case opCall:
			r.call(o.ref, o.args, c.pc)
		case opBarrier:
			r.setBarrier(o.s)
		case opSession:
			r.sessionOp(o)
		case opSessionAll:
			r.sessionAll(o.s)
		case opSet:
			r.setting(o, c.top)
			if c.top {
				c.pc = r.unitPath
			}
		case opSetLocal:
			if o.set.isPath {
				r.unitPath = applyPath(r.unitPath, o.set)
				c.pc = r.unitPath
			}
		case opPushPath:
			pushed = append(pushed, c.pc)
			np := c.pc
			np.path = append([]string{o.s}, c.pc.path...)
			c.pc = np
		case opPopPath:
			if n := len(pushed); n > 0 {
				c.pc = pushed[n-1]
				pushed = pushed[:n-1]
			}
		case opDefine:
			if c.top {
				r.define(o.def, c.pc)
			}
		case opRefresh:
			ddl = true
			r.refresh(o.ref, c.pc)
		case opExecute:
			if st, ok := r.prepared[o.s]; ok {
				r.runStored(st)
			} else {
				r.setBarrier("EXECUTE of a statement not prepared in this file")
			}
		case opTemp:
			if o.s == "drop" {
				if r.cur.localTemp == nil {
					r.cur.localTemp = make(map[string]bool)
				}
				r.cur.localTemp[o.ref.name] = true
			} else {
				r.temps[o.ref.name] = true
				r.session("temp " + o.ref.name)
			}
		case opRollback:
			r.cur.rolledBack = true
		}
	}
	if len(r.operators) > 0 {
		for _, name := range p.opers {
			for _, f := range r.operators[name] {
				r.call(f, nil, c.pc)
			}
		}
	}
	return ddl
}

func (r *resolver) runStored(s *stored) {
	if s == nil || s.q == nil {
		return
	}
	if r.viewDone[s] == r.cur.u+1 {
		return
	}
	r.viewDone[s] = r.cur.u + 1
	r.run(s.q, ctx{pc: s.pc})
	// Stored progs may be used again by a later access of this unit in another mode;
	// viewDone only guards against recursion through the same definition.
}

func (r *resolver) sessionOp(o *op) {
	key := o.s
	if strings.HasPrefix(key, "cursor ") {
		name := key[len("cursor "):]
		switch o.ref.name {
		case "declare":
			if r.cur.localCurs == nil {
				r.cur.localCurs = make(map[string]bool)
			}
			r.cur.localCurs[name] = true
			return
		case "declare hold":
		default:
			if r.cur.localCurs[name] {
				return
			}
		}
	}
	r.session(key)
}

// setting is a session-level SET (or RESET, DISCARD ALL): a barrier whose SQL is
// replayed on the other connections.
func (r *resolver) setting(o *op, top bool) {
	name := o.set.name
	cause := "SET " + name
	switch name {
	case "":
		cause = "RESET ALL"
	case "role":
		cause = "SET ROLE"
	case "session_authorization":
		cause = "SET SESSION AUTHORIZATION"
	}
	r.setBarrier(cause)
	if !top {
		return
	}
	r.cur.replay = append(r.cur.replay, o.s)
	if o.set.isPath {
		r.path = applyPath(r.path, o.set)
		r.unitPath = applyPath(r.unitPath, o.set)
	}
	switch name {
	case "", "role", "session_authorization":
		// "$user" follows the current role: after SET ROLE it is not known here unless
		// the value is a plain name (RESET gives back the connection's user).
		r.path.user, r.unitPath.user = "", ""
		if name == "" {
			r.path.user, r.unitPath.user = r.opts.User, r.opts.User
		}
	}
}

func applyPath(pc pathCtx, s *setInfo) pathCtx {
	if !s.pathKnown {
		pc.known = false
		pc.path = nil
		return pc
	}
	pc.known = true
	if s.path == nil {
		pc.path = defaultPath
	} else {
		pc.path = s.path
	}
	return pc
}

// relKeys resolves a relation (or type) name to the objects it may be.
func (r *resolver) relKeys(rf ref, pc pathCtx, buf []objKey) (keys []objKey, catalog, temp bool) {
	keys = buf[:0]
	name := rf.name
	add := func(schema string) {
		keys = append(keys, objKey{kRel, schema, name})
		if base, ok := generatedBase(name); ok {
			keys = append(keys, objKey{kRel, schema, base})
		}
	}
	if rf.schema != "" {
		switch {
		case rf.schema == "pg_temp" || strings.HasPrefix(rf.schema, "pg_temp_"):
			add("pg_temp")
			return keys, false, true
		case rf.schema == "pg_catalog" || rf.schema == "information_schema" || rf.schema == "pg_toast":
			return keys, true, false
		}
		add(rf.schema)
		return keys, false, false
	}
	if r.temps[name] || r.cur.localTemp[name] {
		add("pg_temp")
		temp = r.temps[name]
	}
	if builtinRelSet[name] && !pathHasCatalogLater(pc) {
		catalog = true
	}
	if pc.anySchema || !pc.known {
		add("")
		return keys, catalog, temp
	}
	n := len(keys)
	for _, s := range pc.path {
		switch s {
		case "$user":
			if pc.user == "" {
				keys = keys[:n]
				add("")
				return keys, catalog, temp
			}
			add(pc.user)
		case "pg_temp", "pg_catalog", "":
		default:
			add(s)
		}
	}
	if len(keys) == n {
		add("")
	}
	return keys, catalog, temp
}

// pathHasCatalogLater: pg_catalog is searched first unless the path names it explicitly
// after other schemas.
func pathHasCatalogLater(pc pathCtx) bool {
	for i, s := range pc.path {
		if s == "pg_catalog" {
			return i > 0
		}
	}
	return false
}

// generatedBase returns the name without its numeric suffix when it has the shape of a name
// the server generates (t_col_idx1 is t_col_idx when t_col_idx was taken).
func generatedBase(name string) (string, bool) {
	i := len(name)
	for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
		i--
	}
	if i == len(name) || i == 0 {
		return "", false
	}
	base := name[:i]
	for _, suf := range []string{"_idx", "_key", "_pkey", "_excl", "_seq", "_fkey", "_check"} {
		if strings.HasSuffix(base, suf) {
			return base, true
		}
	}
	return "", false
}

// schemaReads adds the reads of the schemas a name resolves in.
func (r *resolver) schemaReads(rf ref, pc pathCtx) {
	if rf.schema != "" {
		switch rf.schema {
		case "pg_catalog", "information_schema", "pg_temp", "pg_toast":
		default:
			r.touch(objKey{kind: kSchema, name: rf.schema}, false, "")
		}
		return
	}
	if pc.anySchema {
		return
	}
	if !pc.known {
		r.touch(objKey{kind: kSchema}, false, "")
		return
	}
	for _, s := range pc.path {
		switch s {
		case "$user":
			if pc.user == "" {
				r.touch(objKey{kind: kSchema}, false, "")
			} else {
				r.touch(objKey{kind: kSchema, name: pc.user}, false, "")
			}
		case "pg_temp", "pg_catalog", "":
		default:
			r.touch(objKey{kind: kSchema, name: s}, false, "")
		}
	}
}

// relTargets resolves a relation that a statement reads or writes: its keys, with a
// barrier for a catalog relation, the session group for a temporary one, and the reads
// of its schema.
func (r *resolver) relTargets(rf ref, pc pathCtx, buf []objKey) []objKey {
	keys, catalog, temp := r.relKeys(rf, pc, buf)
	if catalog {
		r.setBarrier("catalog " + rf.name)
	}
	if temp {
		r.session("temp " + rf.name)
	}
	r.schemaReads(rf, pc)
	return keys
}

func (r *resolver) read(rf ref, pc pathCtx) {
	switch rf.kind {
	case kRel:
		var buf [4]objKey
		keys := r.relTargets(rf, pc, buf[:0])
		for _, k := range keys {
			r.touch(k, false, rf.hint)
			r.expandRead(k)
		}
	case kFunc:
		var buf [4]objKey
		keys, _ := r.funcKeys(rf, pc, buf[:0])
		r.schemaReads(rf, pc)
		for _, k := range keys {
			r.touch(k, false, "")
		}
	case kIndexSet:
		r.indexSet(rf, pc, false)
	default:
		r.touch(objKey{kind: rf.kind, name: rf.name}, false, rf.hint)
	}
}

func (r *resolver) indexSet(rf ref, pc pathCtx, write bool) {
	var buf [4]objKey
	rf.kind = kRel
	keys, _, _ := r.relKeys(rf, pc, buf[:0])
	for _, k := range keys {
		k.kind = kIndexSet
		r.touch(k, write, "")
	}
}

func (r *resolver) write(rf ref, pc pathCtx) {
	switch rf.kind {
	case kRel:
		var buf [4]objKey
		keys := r.relTargets(rf, pc, buf[:0])
		for _, k := range keys {
			r.touch(k, true, rf.hint)
			r.writeDependents(k, 0)
			// Dropping or altering an index changes its table's set of indexes.
			for _, owner := range r.indexOwner[k] {
				owner.kind = kIndexSet
				r.touch(owner, true, "")
			}
		}
	case kIndexSet:
		r.indexSet(rf, pc, true)
	case kFunc:
		var buf [4]objKey
		keys, _ := r.funcKeys(rf, pc, buf[:0])
		r.schemaReads(rf, pc)
		for _, k := range keys {
			r.touch(k, true, "")
		}
	case kSchema:
		r.touch(objKey{kind: kSchema, name: rf.name}, true, "")
	default:
		r.touch(objKey{kind: rf.kind, name: rf.name}, true, rf.hint)
	}
}

// writeDependents: DDL on a relation writes what goes with it (its indexes and owned
// sequences, dropped with it; its partitions and children, which ALTER TABLE recurses to).
func (r *resolver) writeDependents(k objKey, depth int) {
	if depth > 16 || r.depDone[k] == r.cur.u+1 {
		return
	}
	r.depDone[k] = r.cur.u + 1
	for _, m := range r.metas(k) {
		for _, d := range m.dependents {
			r.touch(d, true, "")
		}
		for _, ch := range m.children {
			r.touch(ch, true, "")
			r.writeDependents(ch, depth+1)
		}
	}
}

// metas returns what is known of the relations key may be.
func (r *resolver) metas(k objKey) []*relMeta {
	list := r.rels[k.name]
	if len(list) == 0 {
		return nil
	}
	if k.schema == "" {
		return list
	}
	all := true
	for _, m := range list {
		if m.schema != k.schema && m.schema != "" {
			all = false
			break
		}
	}
	if all {
		return list
	}
	out := make([]*relMeta, 0, len(list))
	for _, m := range list {
		if m.schema == k.schema || m.schema == "" {
			out = append(out, m)
		}
	}
	return out
}

func (r *resolver) meta(k objKey) *relMeta {
	for _, m := range r.rels[k.name] {
		if m.schema == k.schema {
			return m
		}
	}
	m := &relMeta{schema: k.schema, name: k.name}
	r.rels[k.name] = append(r.rels[k.name], m)
	return m
}

// expandRead adds what reading relation k also reads: a view's query (recursively), row
// security policies, user-defined column types, inheritance children and partitions.
func (r *resolver) expandRead(k objKey) {
	if r.readDone[k] == r.cur.u+1 {
		return
	}
	r.readDone[k] = r.cur.u + 1
	for _, m := range r.metas(k) {
		if !m.mat {
			for _, v := range m.view {
				r.runStored(v)
			}
		}
		for _, p := range m.policies {
			r.runStored(p)
		}
		for _, t := range m.types {
			r.touch(t, false, "type")
		}
		for _, ch := range m.children {
			r.touch(ch, false, "")
			r.expandRead(ch)
		}
	}
}

func dmlMask(d *dmlInfo) uint8 {
	var m uint8
	if d.insert {
		m |= 1
	}
	if d.update {
		m |= 2
	}
	if d.delete {
		m |= 4
	}
	if d.truncate {
		m |= 8
	}
	return m
}

// dml is a change of the rows of a relation.
func (r *resolver) dml(rf ref, d *dmlInfo, pc pathCtx) {
	var buf [4]objKey
	keys, catalog, temp := r.relKeys(rf, pc, buf[:0])
	if catalog {
		r.setBarrier("catalog " + rf.name)
	}
	if temp {
		r.session("temp " + rf.name)
	}
	r.schemaReads(rf, pc)
	for _, k := range keys {
		r.dmlKey(k, d, rf.hint, 0)
	}
}

func (r *resolver) dmlKey(k objKey, d *dmlInfo, hint string, depth int) {
	r.touch(k, true, hint)
	if depth > 16 {
		r.setBarrier("nesting too deep")
		return
	}
	ms := r.metas(k)
	if len(ms) == 0 {
		return
	}
	// Defaults run per statement (the columns given differ); the rest once per unit.
	for _, m := range ms {
		r.defaults(m, d)
	}
	dk := dmlKey{k, dmlMask(d)}
	if r.dmlDone[dk] == r.cur.u+1 {
		return
	}
	r.dmlDone[dk] = r.cur.u + 1
	for _, m := range ms {
		r.dmlEffects(m, d, depth)
		if d.truncate {
			for _, dep := range m.dependents {
				r.touch(dep, true, "")
			}
		}
		for _, ch := range m.children {
			r.dmlKey(ch, d, "", depth+1)
		}
		// Row triggers and foreign keys of a partitioned table act on its partitions.
		for _, p := range m.parents {
			for _, pm := range r.metas(p) {
				r.dmlEffects(pm, d, depth+1)
			}
		}
	}
}

// dmlEffects adds what a row change of the relation of m carries: a write through a view
// writes its tables, rules make it a barrier, triggers run their functions, foreign keys
// read the referenced tables and cascade to the referencing ones, policies read.
func (r *resolver) dmlEffects(m *relMeta, d *dmlInfo, depth int) {
	if len(m.view) > 0 && !m.mat {
		for _, v := range m.view {
			if v.q != nil {
				r.run(v.q, ctx{pc: v.pc, asDML: d})
			}
		}
	}
	if m.rules {
		r.setBarrier("rule on " + qualString(m.schema, m.name))
	}
	for _, t := range m.triggers {
		r.call(t.fn, nil, t.pc)
		if t.when != nil {
			r.runStored(t.when)
		}
	}
	for _, ref := range m.fkOut {
		r.touch(ref, false, "")
	}
	if d.delete || d.update || d.truncate {
		for _, x := range m.fkIn {
			r.dmlKey(x, &dmlInfo{update: true, delete: true}, "", depth+1)
		}
	}
	if d.insert || d.update {
		for _, a := range m.always {
			r.runStored(a)
		}
	}
	for _, p := range m.policies {
		r.runStored(p)
	}
	for _, t := range m.types {
		r.touch(t, false, "type")
	}
}

// defaults runs the column defaults an insert (or UPDATE ... DEFAULT) evaluates.
func (r *resolver) defaults(m *relMeta, d *dmlInfo) {
	if len(m.defaults) == 0 {
		return
	}
	for _, cd := range m.defaults {
		run := false
		switch {
		case d.insert && d.allCols:
		case d.insert && d.cols != nil && !d.toDefault:
			run = !slices.Contains(d.cols, cd.col) || cd.col == ""
		case d.insert || d.toDefault:
			run = true
		}
		if run {
			r.run(cd.s.q, ctx{pc: cd.s.pc})
		}
	}
}

// refresh is REFRESH MATERIALIZED VIEW: it writes the view and runs its query.
func (r *resolver) refresh(rf ref, pc pathCtx) {
	r.write(rf, pc)
	var buf [4]objKey
	keys, _, _ := r.relKeys(rf, pc, buf[:0])
	for _, k := range keys {
		for _, m := range r.metas(k) {
			for _, v := range m.view {
				r.runStored(v)
			}
		}
	}
}

// funcKeys resolves a function name to the user-defined functions it may be, and whether it
// may be a built-in one.
func (r *resolver) funcKeys(rf ref, pc pathCtx, buf []objKey) (keys []objKey, builtin bool) {
	keys = buf[:0]
	if rf.schema != "" {
		if rf.schema == "pg_catalog" {
			_, builtin = builtinFuncSet[rf.name]
			return keys, builtin
		}
		return append(keys, objKey{kFunc, rf.schema, rf.name}), false
	}
	_, builtin = builtinFuncSet[rf.name]
	if pc.anySchema || !pc.known {
		return append(keys, objKey{kFunc, "", rf.name}), builtin
	}
	for _, s := range pc.path {
		switch s {
		case "$user":
			if pc.user == "" {
				return append(keys[:0], objKey{kFunc, "", rf.name}), builtin
			}
			keys = append(keys, objKey{kFunc, pc.user, rf.name})
		case "pg_temp", "pg_catalog", "":
		default:
			keys = append(keys, objKey{kFunc, s, rf.name})
		}
	}
	if len(keys) == 0 {
		keys = append(keys, objKey{kFunc, "", rf.name})
	}
	return keys, builtin
}

func (r *resolver) funcMetas(k objKey) []*funcMeta {
	list := r.funcs[k.name]
	if k.schema == "" {
		return list
	}
	var out []*funcMeta
	for _, m := range list {
		if m.schema == k.schema || m.schema == "" {
			out = append(out, m)
		}
	}
	return out
}

// call executes a function: a built-in one has the effect of its entry in the list of
// built-in effects (most have none); one defined in the file carries what its body does;
// any other is a barrier.
func (r *resolver) call(rf ref, args []string, pc pathCtx) {
	var buf [4]objKey
	keys, builtin := r.funcKeys(rf, pc, buf[:0])
	if builtin {
		r.builtinCall(rf.name, args, pc)
	}
	found := false
	for _, k := range keys {
		ms := r.funcMetas(k)
		if len(ms) == 0 {
			continue
		}
		found = true
		r.touch(k, false, "")
		if r.fnDone[k] == r.cur.u+1 {
			continue
		}
		r.fnDone[k] = r.cur.u + 1
		for _, m := range ms {
			if m.unknown {
				r.setBarrier("call of " + qualString(m.schema, rf.name) + " (body unknown)")
			}
			for _, b := range m.bodies {
				r.run(b, ctx{pc: pathCtx{anySchema: true, known: true}})
			}
		}
	}
	if found {
		r.schemaReads(rf, pc)
	}
	if !found && !builtin {
		r.setBarrier("call of " + qualString(rf.schema, rf.name) + " (body unknown)")
	}
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (r *resolver) builtinCall(name string, args []string, pc pathCtx) {
	for _, i := range catalogRegclassArgs[name] {
		if i < len(args) && args[i] != noLit {
			if sc, n, ok := splitQualified(args[i]); ok {
				r.read(rel(sc, n), pc)
			}
		}
	}
	switch builtinFuncSet[name] {
	case effBarrier, effRunsSQL:
		r.setBarrier(name + "()")
	case effSetConfig:
		r.setConfig(args)
	case effAdvisory:
		r.session("advisory lock")
	case effAdvisoryXact:
		if r.advisorySession {
			r.session("advisory lock")
		}
	case effSeqWrite:
		if len(args) == 0 || args[0] == noLit {
			r.setBarrier(name + "() of a computed sequence")
			return
		}
		sc, n, ok := splitQualified(args[0])
		if !ok {
			r.setBarrier(name + "() of a computed sequence")
			return
		}
		var buf [4]objKey
		keys, _, temp := r.relKeys(seqRef(sc, n), pc, buf[:0])
		if temp {
			r.session("temp " + n)
		}
		for _, k := range keys {
			r.touch(k, true, "sequence")
		}
		r.seqSession(n)
	case effSeqRead:
		if len(args) > 0 && args[0] != noLit {
			if sc, n, ok := splitQualified(args[0]); ok {
				r.read(seqRef(sc, n), pc)
				r.seqSession(n)
				return
			}
		}
		r.session("currval *")
	case effLastval:
		r.session("currval *")
	case effSessionState:
		r.sessionAll("")
	}
}

// seqSession ties a nextval or currval of sequence n to the connection of the others when
// the file reads it back with currval or lastval.
func (r *resolver) seqSession(n string) {
	if r.lastval {
		r.session("currval *")
	} else if r.currvalNames[n] {
		r.session("currval " + n)
	}
}

// setConfig is set_config(name, value, is_local).
func (r *resolver) setConfig(args []string) {
	if len(args) < 3 {
		r.setBarrier("set_config()")
		return
	}
	name, value, local := args[0], args[1], args[2]
	known := name != noLit && value != noLit
	var info *setInfo
	if name == "search_path" || name == noLit {
		info = &setInfo{name: "search_path", isPath: true}
		if known {
			if parts, ok := splitIdents(value, ','); ok {
				info.path, info.pathKnown = parts, true
				if info.path == nil {
					info.path = []string{}
				}
			}
		}
	}
	switch local {
	case "true":
		if info != nil {
			r.unitPath = applyPath(r.unitPath, info)
		}
	case "false":
		r.setBarrier("set_config(" + strings.ReplaceAll(name, noLit, "?") + ")")
		if known {
			r.cur.replay = append(r.cur.replay, "SELECT pg_catalog.set_config("+quoteLiteral(name)+", "+quoteLiteral(value)+", false)")
		} else {
			r.setBarrier("set_config() with computed arguments")
		}
		if info != nil {
			r.path = applyPath(r.path, info)
			r.unitPath = applyPath(r.unitPath, info)
		}
	default:
		r.setBarrier("set_config() with computed arguments")
		if info != nil {
			info.pathKnown = false
			r.path = applyPath(r.path, info)
			r.unitPath = applyPath(r.unitPath, info)
		}
	}
}

// define records a definition for the statements after it.
func (r *resolver) define(d *def, pc pathCtx) {
	var buf, buf2 [4]objKey
	relKeys := func(rf ref, b []objKey) []objKey {
		keys, _, _ := r.relKeys(rf, pc, b[:0])
		return keys
	}
	st := func(q *prog) *stored {
		if q == nil || len(q.ops) == 0 && len(q.opers) == 0 {
			return nil
		}
		return &stored{q: q, pc: pc}
	}
	switch d.kind {
	case defView:
		for _, k := range relKeys(d.ref, buf[:]) {
			m := r.meta(k)
			m.view = append(m.view, &stored{q: d.q, pc: pc})
			m.mat = d.mat
		}
	case defFunc:
		var fb [4]objKey
		keys, _ := r.funcKeys(d.ref, pc, fb[:0])
		for _, k := range keys {
			var m *funcMeta
			for _, x := range r.funcs[k.name] {
				if x.schema == k.schema {
					m = x
				}
			}
			if m == nil {
				m = &funcMeta{schema: k.schema}
				r.funcs[k.name] = append(r.funcs[k.name], m)
			}
			if d.q == nil {
				m.unknown = true
			} else {
				m.bodies = append(m.bodies, d.q)
			}
		}
	case defTrigger:
		for _, k := range relKeys(d.ref, buf[:]) {
			m := r.meta(k)
			m.triggers = append(m.triggers, trigger{fn: d.fn, pc: pc, when: st(d.q)})
		}
	case defRule:
		for _, k := range relKeys(d.ref, buf[:]) {
			m := r.meta(k)
			if d.sel {
				m.view = append(m.view, &stored{q: d.q, pc: pc})
			} else {
				m.rules = true
			}
		}
	case defFK:
		for _, k := range relKeys(d.ref, buf[:]) {
			for _, t := range relKeys(d.target, buf2[:]) {
				r.meta(k).fkOut = addKey(r.meta(k).fkOut, t)
				r.meta(t).fkIn = addKey(r.meta(t).fkIn, k)
			}
		}
	case defDefault:
		s := st(d.q)
		if s == nil {
			return
		}
		for _, k := range relKeys(d.ref, buf[:]) {
			m := r.meta(k)
			if d.always {
				m.always = append(m.always, s)
			} else {
				m.defaults = append(m.defaults, colDefault{d.s, s})
			}
		}
	case defPolicy:
		s := st(d.q)
		if s == nil {
			return
		}
		for _, k := range relKeys(d.ref, buf[:]) {
			r.meta(k).policies = append(r.meta(k).policies, s)
		}
	case defColType:
		for _, k := range relKeys(d.ref, buf[:]) {
			for _, t := range relKeys(d.target, buf2[:]) {
				r.meta(k).types = addKey(r.meta(k).types, t)
			}
		}
	case defChild:
		for _, k := range relKeys(d.ref, buf[:]) {
			for _, p := range relKeys(d.target, buf2[:]) {
				if p != k {
					r.meta(k).parents = addKey(r.meta(k).parents, p)
					r.meta(p).children = addKey(r.meta(p).children, k)
				}
			}
		}
	case defDependent:
		for _, k := range relKeys(d.ref, buf[:]) {
			for _, t := range relKeys(d.target, buf2[:]) {
				r.meta(k).dependents = addKey(r.meta(k).dependents, t)
				r.indexOwner[t] = addKey(r.indexOwner[t], k)
			}
		}
	case defPrepared:
		r.prepared[d.s] = &stored{q: d.q, pc: pc}
	case defOperator:
		r.operators[d.s] = append(r.operators[d.s], d.fn)
	case defEventTrig:
		r.eventTrig = append(r.eventTrig, d.fn)
	}
}

func addKey(list []objKey, k objKey) []objKey {
	for _, x := range list {
		if x == k {
			return list
		}
	}
	return append(list, k)
}

// finish fills in the result: the edges, the session groups and their chains.
func (r *resolver) finish(res *Result) {
	n := len(r.unitSess)
	res.Session = make([]int32, n)
	res.Replay = r.replay
	res.Barrier = r.barriers
	group := make(map[int32]int32)
	last := make(map[int32]int32)
	var chain []Edge
	for u := 0; u < n; u++ {
		id := r.unitSess[u]
		if id < 0 {
			continue
		}
		root := r.find(id)
		gid, ok := group[root]
		if !ok {
			gid = int32(len(group) + 1)
			group[root] = gid
		}
		res.Session[u] = gid
		if prev, ok := last[root]; ok {
			chain = append(chain, Edge{From: prev, To: int32(u), Kind: Session, Object: r.sessNames[id]})
		}
		last[root] = int32(u)
	}
	res.Edges = mergeEdges(r.g.edges, chain)
}

// mergeEdges merges two lists sorted by (To, From), keeping a's edge where both have a pair.
func mergeEdges(a, b []Edge) []Edge {
	if len(b) == 0 {
		return a
	}
	out := make([]Edge, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b):
			out = append(out, a[i])
			i++
		case i >= len(a):
			out = append(out, b[j])
			j++
		case a[i].To < b[j].To || a[i].To == b[j].To && a[i].From < b[j].From:
			out = append(out, a[i])
			i++
		case a[i].To == b[j].To && a[i].From == b[j].From:
			out = append(out, a[i])
			i++
			j++
		default:
			out = append(out, b[j])
			j++
		}
	}
	return out
}
