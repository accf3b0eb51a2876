package deps

// The analysis runs in two steps. extract turns one statement text into a stmtProg: a
// short list of ops that says what the statement touches, in terms of names as written
// (unqualified names stay unqualified). It depends on nothing but the text, so it runs in
// parallel and once per distinct text. The resolver then interprets the ops of every unit
// in file order, with what the file has set up so far (search_path, temporary names,
// views, functions, triggers, foreign keys ...), into sets of objects read and written.

// objKind is the namespace of an object.
type objKind uint8

const (
	kRel    objKind = iota + 1 // tables, views, sequences, indexes, types: one namespace
	kFunc                      // functions, procedures, aggregates (overloads are one object)
	kSchema                    // schemas
	kRole                      // roles
	kOther                     // everything else; the name carries its kind ("collation public.c")
	// kIndexSet is the set of indexes of a relation (named by the relation). What needs
	// an index to exist or not (a foreign key needs a unique index on the referenced table,
	// ON CONFLICT one on its target, EXPLAIN shows the plan) writes it; CREATE INDEX only
	// reads it, so that indexes of one table still build concurrently.
	kIndexSet
)

// ref names an object as the statement wrote it.
type ref struct {
	kind   objKind
	schema string // "" when unqualified
	name   string
	hint   string // how to show it: "sequence", "type", "index", "view", "" (relation)
}

type opCode uint8

const (
	opRead       opCode = iota + 1 // read ref (a relation's read carries its view query, policies ...)
	opWrite                        // write ref as DDL does (no triggers)
	opDML                          // change rows of relation ref (triggers, rules, FKs, defaults ...)
	opCall                         // execute function ref
	opBarrier                      // s: the cause
	opSession                      // s: a session key ("temp x", "prepared p", "cursor c", ...)
	opSessionAll                   // s: merge every session key starting with s ("" for all)
	opSet                          // a session-level setting; s: the SQL to replay; set: details
	opSetLocal                     // a transaction-level setting; set: details
	opPushPath                     // CREATE SCHEMA s: s first in search_path for its elements
	opPopPath                      // end of CREATE SCHEMA elements
	opDefine                       // def: something later statements carry (view, trigger, ...)
	opRefresh                      // REFRESH MATERIALIZED VIEW ref
	opExecute                      // EXECUTE prepared statement s
	opTemp                         // ref is created as a temporary object
	opRollback                     // ROLLBACK: the unit's session settings do not survive
)

// op is one step of a stmtProg.
type op struct {
	code opCode
	ref  ref
	s    string
	dml  *dmlInfo
	args []string // opCall: literal arguments (noLit where not a literal)
	set  *setInfo
	def  *def
}

// noLit stands for an argument that is not a string literal.
const noLit = "\x00"

// dmlInfo says which columns a row change gives values to, for defaults.
type dmlInfo struct {
	insert    bool     // rows are inserted (defaults are evaluated)
	update    bool     // rows are updated (generated columns, DEFAULT)
	delete    bool     // rows are deleted (FK cascades)
	truncate  bool     // TRUNCATE (owned sequences with RESTART IDENTITY)
	cols      []string // columns given; nil: not known (every default may run)
	allCols   bool     // every column is given (COPY without a column list)
	toDefault bool     // DEFAULT appears among the values
}

// setInfo describes a SET.
type setInfo struct {
	name      string   // the setting ("search_path", "role", ...); "" for RESET ALL
	path      []string // search_path: the new path
	pathKnown bool     // search_path: the value is known
	isPath    bool
}

type defKind uint8

const (
	defView      defKind = iota + 1 // ref is a view (or matview) over q
	defFunc                         // ref is a function with body q (nil: unknown)
	defTrigger                      // trigger on ref executing fn, WHEN q
	defRule                         // rule on ref; select: an ON SELECT rule with action q
	defFK                           // ref references target
	defDefault                      // column default of ref (col), or a CHECK/generated expression (always)
	defPolicy                       // policy on ref with expressions q
	defColType                      // ref has a column of type target
	defChild                        // ref (the child) inherits from / is a partition of target
	defDependent                    // target (index, sequence) is dropped with ref
	defPrepared                     // prepared statement s with query q
	defOperator                     // operator s executes fn
	defEventTrig                    // event trigger executing fn
)

// def is a definition that later statements carry with them.
type def struct {
	kind   defKind
	ref    ref
	target ref
	fn     ref
	s      string
	q      *prog
	mat    bool // defView: materialized
	always bool // defDefault: evaluated on every insert and update
	sel    bool // defRule: ON SELECT
}

// prog is a list of ops: a statement, a stored query, a function body.
type prog struct {
	ops   []op
	opers []string // operator names used (calls when the file defines such an operator)
}

// stmtProg is the analysis of one statement text.
type stmtProg struct {
	prog
	failed bool   // libpg_query could not parse it
	err    string // its message
}

func (p *prog) add(o op) { p.ops = append(p.ops, o) }

func (p *prog) read(r ref)            { p.add(op{code: opRead, ref: r}) }
func (p *prog) write(r ref)           { p.add(op{code: opWrite, ref: r}) }
func (p *prog) barrier(cause string)  { p.add(op{code: opBarrier, s: cause}) }
func (p *prog) session(key string)    { p.add(op{code: opSession, s: key}) }
func (p *prog) define(d *def)         { p.add(op{code: opDefine, def: d}) }
func (p *prog) dml(r ref, d *dmlInfo) { p.add(op{code: opDML, ref: r, dml: d}) }

func rel(schema, name string) ref   { return ref{kind: kRel, schema: schema, name: name} }
func fn(schema, name string) ref    { return ref{kind: kFunc, schema: schema, name: name} }
func schemaRef(name string) ref     { return ref{kind: kSchema, name: name} }
func roleRef(name string) ref       { return ref{kind: kRole, name: name} }
func other(kind, name string) ref   { return ref{kind: kOther, name: kind + " " + name} }
func withHint(r ref, h string) ref  { r.hint = h; return r }
func indexSet(r ref) ref            { return ref{kind: kIndexSet, schema: r.schema, name: r.name} }
func typeRef(schema, n string) ref  { return ref{kind: kRel, schema: schema, name: n, hint: "type"} }
func seqRef(schema, n string) ref   { return ref{kind: kRel, schema: schema, name: n, hint: "sequence"} }
func indexRef(schema, n string) ref { return ref{kind: kRel, schema: schema, name: n, hint: "index"} }
