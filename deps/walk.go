package deps

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// walker visits a parse tree generically, through protobuf reflection, so that every
// RangeVar, FuncCall, TypeName and reg* literal anywhere (subqueries, CTEs, USING, FROM,
// expressions, defaults, CHECKs) is seen, and adds what it finds to a prog.
//
// In call mode the tree is executed: function calls are calls and nested INSERT, UPDATE,
// DELETE and MERGE change rows. Otherwise (a view's query being created, a stored
// default) functions are only referenced and targets only read.
type walker struct {
	p        *prog
	call     bool
	toDef    bool  // a DEFAULT was seen
	locked   bool  // FOR UPDATE / FOR SHARE was seen
	relReads []int // indexes of the relation reads added, for locked
}

func newWalker(p *prog, call bool) *walker { return &walker{p: p, call: call} }

// walkInto adds what n touches to p.
func walkInto(p *prog, call bool, nodes ...*pg.Node) {
	w := newWalker(p, call)
	for _, n := range nodes {
		w.node(n)
	}
	w.done()
}

func (w *walker) node(n *pg.Node) {
	if n != nil {
		w.msg(n.ProtoReflect())
	}
}

func (w *walker) message(m protoreflect.ProtoMessage) {
	if m != nil {
		r := m.ProtoReflect()
		if r.IsValid() {
			w.msg(r)
		}
	}
}

// done finishes the walk: a locking clause makes every relation read a write (row locks
// conflict with writers; conservative), and the operators seen are recorded.
func (w *walker) done() {
	if w.locked {
		for _, i := range w.relReads {
			w.p.ops[i].code = opWrite
		}
	}
	w.relReads = nil
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func (w *walker) msg(m protoreflect.Message) {
	switch x := m.Interface().(type) {
	case *pg.RangeVar:
		if x.Relname != "" {
			w.relReads = append(w.relReads, len(w.p.ops))
			w.p.read(rel(x.Schemaname, x.Relname))
		}
		return
	case *pg.ColumnRef, *pg.A_Const, *pg.ParamRef, *pg.A_Star:
		return
	case *pg.TypeName:
		typeNameRefs(w.p, x)
		return
	case *pg.FuncCall:
		w.funcCall(x)
	case *pg.TypeCast:
		if r, ok := regLiteral(x); ok {
			w.p.read(r)
		}
	case *pg.A_Expr:
		if len(x.Name) > 0 {
			w.p.opers = appendUnique(w.p.opers, strVal(x.Name[len(x.Name)-1]))
		}
	case *pg.SetToDefault:
		w.toDef = true
		return
	case *pg.LockingClause:
		w.locked = true
	case *pg.InsertStmt:
		if x.OnConflictClause != nil && x.Relation != nil {
			// ON CONFLICT needs a unique index that matches.
			w.p.write(indexSet(rel(x.Relation.Schemaname, x.Relation.Relname)))
		}
		w.dmlStmt(m, x.Relation, &dmlInfo{insert: true, cols: resTargetNames(x.Cols)})
		return
	case *pg.UpdateStmt:
		w.dmlStmt(m, x.Relation, &dmlInfo{update: true})
		return
	case *pg.DeleteStmt:
		w.dmlStmt(m, x.Relation, &dmlInfo{delete: true})
		return
	case *pg.MergeStmt:
		w.dmlStmt(m, x.Relation, &dmlInfo{insert: true, update: true, delete: true})
		return
	}
	w.children(m)
}

func (w *walker) children(m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind {
			return true
		}
		if fd.IsList() {
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				w.msg(l.Get(i).Message())
			}
		} else if !fd.IsMap() {
			w.msg(v.Message())
		}
		return true
	})
}

// dmlStmt walks a row-changing statement and, in call mode, adds its target's change after
// what it reads (so that DEFAULT among its values is known).
func (w *walker) dmlStmt(m protoreflect.Message, target *pg.RangeVar, d *dmlInfo) {
	saved := w.toDef
	w.toDef = false
	w.children(m)
	d.toDefault = w.toDef
	w.toDef = saved || w.toDef
	if target != nil && w.call {
		w.p.dml(rel(target.Schemaname, target.Relname), d)
	}
}

func (w *walker) funcCall(x *pg.FuncCall) {
	schema, name := qualName(x.Funcname)
	if name == "" {
		return
	}
	r := fn(schema, name)
	if !w.call {
		w.p.read(r)
		// A literal given for a regclass argument is bound when the expression is stored
		// (DEFAULT nextval('s')): the relation must exist then.
		if schema == "" || schema == "pg_catalog" {
			for _, i := range catalogRegclassArgs[name] {
				if i < len(x.Args) {
					if lit := literal(x.Args[i]); lit != noLit {
						if sc, n, ok := splitQualified(lit); ok {
							w.p.read(rel(sc, n))
						}
					}
				}
			}
		}
		return
	}
	o := op{code: opCall, ref: r}
	if len(x.Args) > 0 {
		o.args = make([]string, len(x.Args))
		for i, a := range x.Args {
			o.args[i] = literal(a)
		}
	}
	w.p.add(o)
}

// literal returns the string (or boolean, as "true"/"false") value of a constant,
// possibly cast, or noLit.
func literal(n *pg.Node) string {
	switch x := n.GetNode().(type) {
	case *pg.Node_AConst:
		switch v := x.AConst.Val.(type) {
		case *pg.A_Const_Sval:
			return v.Sval.Sval
		case *pg.A_Const_Boolval:
			if v.Boolval.Boolval {
				return "true"
			}
			return "false"
		case *pg.A_Const_Ival:
			return itoa(int(v.Ival.Ival))
		}
	case *pg.Node_TypeCast:
		if x.TypeCast.Arg != nil {
			return literal(x.TypeCast.Arg)
		}
	}
	return noLit
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}

// regLiteral recognises 'name'::regclass and its kin: a read of the object named.
func regLiteral(x *pg.TypeCast) (ref, bool) {
	if x.TypeName == nil || x.Arg == nil {
		return ref{}, false
	}
	s := x.Arg.GetAConst().GetSval()
	if s == nil {
		return ref{}, false
	}
	schema, t := qualName(x.TypeName.Names)
	if schema != "" && schema != "pg_catalog" {
		return ref{}, false
	}
	v := s.Sval
	switch t {
	case "regclass":
		sc, n, ok := splitQualified(v)
		return rel(sc, n), ok
	case "regtype":
		sc, n, ok := splitQualified(stripTypeMods(v))
		if ok && isBuiltinType(sc, n) {
			return ref{}, false
		}
		return typeRef(sc, n), ok
	case "regproc", "regprocedure":
		if i := strings.IndexByte(v, '('); i >= 0 {
			v = v[:i]
		}
		sc, n, ok := splitQualified(v)
		return fn(sc, n), ok
	case "regnamespace":
		return schemaRef(foldIdent(v)), v != ""
	case "regrole":
		return roleRef(foldIdent(v)), v != ""
	case "regoper", "regoperator", "regconfig", "regdictionary", "regcollation":
		return other(strings.TrimPrefix(t, "reg"), strings.ToLower(v)), v != ""
	}
	return ref{}, false
}

func stripTypeMods(v string) string {
	if i := strings.IndexAny(v, "(["); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

// typeNameRefs adds the read of a type name, unless it is built in; %TYPE reads its table.
func typeNameRefs(p *prog, t *pg.TypeName) {
	names := strs(t.Names)
	if t.PctType {
		// [schema.]table.column%TYPE
		if len(names) >= 2 {
			tab := names[len(names)-2]
			schema := ""
			if len(names) >= 3 {
				schema = names[len(names)-3]
			}
			p.read(rel(schema, tab))
		}
		return
	}
	if len(names) == 0 {
		return
	}
	name := names[len(names)-1]
	schema := ""
	if len(names) >= 2 {
		schema = names[len(names)-2]
	}
	if isBuiltinType(schema, name) {
		return
	}
	p.read(typeRef(schema, name))
}

func isBuiltinType(schema, name string) bool {
	if schema == "pg_catalog" {
		return true
	}
	if schema != "" {
		return false
	}
	if builtinTypes[name] {
		return true
	}
	switch name {
	case "serial", "bigserial", "smallserial", "serial2", "serial4", "serial8":
		return true
	}
	return false
}

// strVal returns the value of a String node ("" otherwise).
func strVal(n *pg.Node) string {
	if s := n.GetString_(); s != nil {
		return s.Sval
	}
	return ""
}

// strs returns the values of the String nodes of a list.
func strs(nodes []*pg.Node) []string {
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		if s := n.GetString_(); s != nil {
			out = append(out, s.Sval)
		}
	}
	return out
}

// qualName returns the schema (or "") and the name of a dotted name list; a catalog
// (database) part is ignored.
func qualName(nodes []*pg.Node) (schema, name string) {
	s := strs(nodes)
	switch len(s) {
	case 0:
		return "", ""
	case 1:
		return "", s[0]
	default:
		return s[len(s)-2], s[len(s)-1]
	}
}

func resTargetNames(cols []*pg.Node) []string {
	if len(cols) == 0 {
		return nil
	}
	out := make([]string, 0, len(cols))
	for _, c := range cols {
		if rt := c.GetResTarget(); rt != nil {
			out = append(out, rt.Name)
		}
	}
	return out
}

// splitIdents splits a list of identifiers as PostgreSQL's SplitIdentifierString does:
// sep-separated, double quotes keep case and separators, unquoted ones fold to lower case.
func splitIdents(s string, sep byte) ([]string, bool) {
	var out []string
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			if len(out) == 0 {
				return nil, true
			}
			return out, false // trailing separator
		}
		var b strings.Builder
		if s[i] == '"' {
			i++
			for {
				if i >= len(s) {
					return out, false
				}
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						b.WriteByte('"')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
		} else {
			j := i
			for i < len(s) && s[i] != sep && !isSpace(s[i]) {
				i++
			}
			if i == j {
				return out, false
			}
			b.WriteString(foldIdent(s[j:i]))
		}
		out = append(out, b.String())
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			return out, true
		}
		if s[i] != sep {
			return out, false
		}
		i++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// foldIdent folds an unquoted identifier to lower case (ASCII, as PostgreSQL does).
func foldIdent(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// splitQualified splits "schema.name" (quoted parts allowed) as a regclass literal is read.
func splitQualified(s string) (schema, name string, ok bool) {
	parts, ok := splitIdents(s, '.')
	if !ok || len(parts) == 0 {
		return "", "", false
	}
	switch len(parts) {
	case 1:
		return "", parts[0], true
	default:
		return parts[len(parts)-2], parts[len(parts)-1], true
	}
}
