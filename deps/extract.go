package deps

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// strictPanics makes extract re-panic instead of turning a panic into a barrier (tests).
var strictPanics = false

// extract parses one statement text and returns what it touches. It never fails: a text
// libpg_query rejects is a barrier (the server will reject it too, and it must not move).
func extract(sql string) *stmtProg {
	tree, err := pgParse(sql)
	if err != nil {
		return failedProg(err)
	}
	return extractRaw(sql, tree.Stmts, 0)
}

func failedProg(err error) *stmtProg {
	sp := &stmtProg{failed: true, err: err.Error()}
	sp.barrier("unparsed statement")
	return sp
}

// extractRaw returns what the parsed statements of sql touch; their locations are offset
// by base (they come from a batch of texts parsed at once).
func extractRaw(sql string, stmts []*pg.RawStmt, base int) (sp *stmtProg) {
	sp = &stmtProg{}
	defer func() {
		if e := recover(); e != nil {
			if strictPanics {
				panic(e)
			}
			sp.ops = sp.ops[:0]
			sp.barrier("statement not analysed")
		}
	}()
	x := &extractor{p: &sp.prog}
	for _, raw := range stmts {
		x.stmt(raw.Stmt, rawTextAt(sql, raw, base))
	}
	return sp
}

// batchSep separates texts parsed in one call: the newline ends a trailing -- comment.
const batchSep = "\n;\n"

// extractBatch is extract of several texts in one call of the parser (one call has a fixed
// cost that small statements feel). The batch is used only when every statement it
// yields lies inside one text, so each text is parsed exactly as alone; otherwise, or
// when the batch does not parse, its halves are tried.
func extractBatch(texts []string, out []*stmtProg) {
	if len(texts) == 1 {
		out[0] = extract(texts[0])
		return
	}
	n := len(batchSep) * (len(texts) - 1)
	for _, t := range texts {
		n += len(t)
	}
	var b strings.Builder
	b.Grow(n)
	starts := make([]int, len(texts))
	for i, t := range texts {
		if i > 0 {
			b.WriteString(batchSep)
		}
		starts[i] = b.Len()
		b.WriteString(t)
	}
	joined := b.String()
	split := func() {
		h := len(texts) / 2
		extractBatch(texts[:h], out[:h])
		extractBatch(texts[h:], out[h:])
	}
	tree, err := pgParse(joined)
	if err != nil {
		split()
		return
	}
	// Assign the statements to texts, checking that none crosses a separator.
	first := make([]int, len(texts)+1)
	t := 0
	for k, raw := range tree.Stmts {
		loc := int(raw.StmtLocation)
		end := len(joined)
		if raw.StmtLen > 0 {
			end = loc + int(raw.StmtLen)
		}
		// A statement starts just after the semicolon before it: the first one of a text
		// at the separator's last newline.
		for t+1 < len(texts) && loc >= starts[t+1]-1 {
			t++
			first[t] = k
		}
		if loc < starts[t]-1 || end > starts[t]+len(texts[t]) && strings.TrimSpace(joined[starts[t]+len(texts[t]):end]) != "" {
			split()
			return
		}
	}
	for t+1 < len(texts) {
		t++
		first[t] = len(tree.Stmts)
	}
	first[len(texts)] = len(tree.Stmts)
	for i := range texts {
		out[i] = extractRaw(texts[i], tree.Stmts[first[i]:first[i+1]], starts[i])
	}
}

// rawText returns the text of one statement of a parsed string.
func rawText(sql string, raw *pg.RawStmt) string { return rawTextAt(sql, raw, 0) }

// rawTextAt is rawText for a statement whose location is offset by base.
func rawTextAt(sql string, raw *pg.RawStmt, base int) string {
	start := int(raw.StmtLocation) - base
	end := len(sql)
	if raw.StmtLen > 0 && start+int(raw.StmtLen) <= len(sql) {
		end = start + int(raw.StmtLen)
	}
	start = max(start, 0)
	if start > end {
		return sql
	}
	return strings.TrimSpace(sql[start:end])
}

type extractor struct {
	p *prog
}

func (x *extractor) walk(call bool, nodes ...*pg.Node) { walkInto(x.p, call, nodes...) }

// sub extracts a nested statement (a stored query, a function body) into its own prog.
func subProg(call bool, nodes ...*pg.Node) *prog {
	p := &prog{}
	x := &extractor{p: p}
	for _, n := range nodes {
		if n == nil {
			continue
		}
		if call {
			x.stmt(n, "")
		} else {
			x.walk(false, n)
		}
	}
	return p
}

func rangeVarRef(rv *pg.RangeVar) ref {
	if rv == nil {
		return ref{}
	}
	return rel(rv.Schemaname, rv.Relname)
}

func (x *extractor) stmt(n *pg.Node, text string) {
	p := x.p
	switch s := n.GetNode().(type) {
	case nil:
	case *pg.Node_SelectStmt:
		if into := s.SelectStmt.IntoClause; into != nil {
			x.createAs(into, false, false, n)
			return
		}
		x.walk(true, n)
	case *pg.Node_InsertStmt, *pg.Node_UpdateStmt, *pg.Node_DeleteStmt, *pg.Node_MergeStmt, *pg.Node_ReturnStmt, *pg.Node_PlassignStmt:
		x.walk(true, n)

	case *pg.Node_CreateStmt:
		x.createTable(s.CreateStmt, "")
	case *pg.Node_CreateForeignTableStmt:
		x.createTable(s.CreateForeignTableStmt.BaseStmt, "foreign table")
		p.read(other("server", s.CreateForeignTableStmt.Servername))
	case *pg.Node_CreateTableAsStmt:
		c := s.CreateTableAsStmt
		x.createAs(c.Into, c.Objtype == pg.ObjectType_OBJECT_MATVIEW, c.Into != nil && c.Into.SkipData, c.Query)
	case *pg.Node_ViewStmt:
		v := s.ViewStmt
		r := withHint(rangeVarRef(v.View), "view")
		if v.View.Relpersistence == "t" {
			p.add(op{code: opTemp, ref: r})
		}
		p.write(r)
		x.walk(false, v.Query)
		p.define(&def{kind: defView, ref: r, q: subProg(true, v.Query)})
	case *pg.Node_RefreshMatViewStmt:
		p.add(op{code: opRefresh, ref: withHint(rangeVarRef(s.RefreshMatViewStmt.Relation), "materialized view")})
	case *pg.Node_IndexStmt:
		x.index(s.IndexStmt)
	case *pg.Node_AlterTableStmt:
		x.alterTable(s.AlterTableStmt)
	case *pg.Node_CreateSeqStmt:
		c := s.CreateSeqStmt
		r := withHint(rangeVarRef(c.Sequence), "sequence")
		if c.Sequence.Relpersistence == "t" {
			p.add(op{code: opTemp, ref: r})
		}
		p.write(r)
		x.seqOptions(r, c.Options)
	case *pg.Node_AlterSeqStmt:
		c := s.AlterSeqStmt
		r := withHint(rangeVarRef(c.Sequence), "sequence")
		p.write(r)
		x.seqOptions(r, c.Options)
	case *pg.Node_CopyStmt:
		x.copyStmt(s.CopyStmt)
	case *pg.Node_TruncateStmt:
		t := s.TruncateStmt
		if t.Behavior == pg.DropBehavior_DROP_CASCADE {
			p.barrier("TRUNCATE ... CASCADE")
		}
		for _, r := range t.Relations {
			if rv := r.GetRangeVar(); rv != nil {
				p.dml(rangeVarRef(rv), &dmlInfo{truncate: true, delete: true})
			}
		}
	case *pg.Node_DropStmt:
		x.drop(s.DropStmt)
	case *pg.Node_CreateFunctionStmt:
		x.createFunction(s.CreateFunctionStmt, text)
	case *pg.Node_AlterFunctionStmt:
		if f := s.AlterFunctionStmt.Func; f != nil {
			sc, nm := qualName(f.Objname)
			p.write(fn(sc, nm))
		}
	case *pg.Node_DoStmt:
		p.barrier("DO block")
	case *pg.Node_CallStmt:
		if c := s.CallStmt.Funccall; c != nil {
			w := newWalker(p, true)
			w.message(c)
			w.done()
		} else {
			p.barrier("CALL")
		}
	case *pg.Node_CreateTrigStmt:
		t := s.CreateTrigStmt
		tab := rangeVarRef(t.Relation)
		p.write(tab)
		f := fn(qualName(t.Funcname))
		p.read(f)
		if t.Constrrel != nil {
			p.read(rangeVarRef(t.Constrrel))
		}
		x.walk(false, t.WhenClause)
		p.define(&def{kind: defTrigger, ref: tab, fn: f, s: t.Trigname, q: (&prog{}).callExpr(t.WhenClause)})
	case *pg.Node_CreateEventTrigStmt:
		f := fn(qualName(s.CreateEventTrigStmt.Funcname))
		p.read(f)
		p.write(other("event trigger", s.CreateEventTrigStmt.Trigname))
		p.barrier("CREATE EVENT TRIGGER")
		p.define(&def{kind: defEventTrig, fn: f})
	case *pg.Node_AlterEventTrigStmt:
		p.barrier("ALTER EVENT TRIGGER")
	case *pg.Node_RuleStmt:
		r := s.RuleStmt
		tab := rangeVarRef(r.Relation)
		p.write(tab)
		x.walk(false, r.WhereClause)
		x.walk(false, r.Actions...)
		q := subProg(true, r.Actions...)
		q.callExpr(r.WhereClause)
		p.define(&def{kind: defRule, ref: tab, sel: r.Event == pg.CmdType_CMD_SELECT, q: q})
	case *pg.Node_CreatePolicyStmt:
		c := s.CreatePolicyStmt
		x.policy(c.Table, c.Roles, c.Qual, c.WithCheck)
	case *pg.Node_AlterPolicyStmt:
		c := s.AlterPolicyStmt
		x.policy(c.Table, c.Roles, c.Qual, c.WithCheck)

	case *pg.Node_CreateSchemaStmt:
		c := s.CreateSchemaStmt
		name := c.Schemaname
		if name == "" && c.Authrole != nil {
			name = c.Authrole.Rolename
		}
		p.write(schemaRef(name))
		x.roleSpec(c.Authrole)
		if len(c.SchemaElts) > 0 {
			p.add(op{code: opPushPath, s: name})
			for _, e := range c.SchemaElts {
				x.stmt(e, "")
			}
			p.add(op{code: opPopPath})
		}
	case *pg.Node_CreateExtensionStmt:
		p.barrier("CREATE EXTENSION")
	case *pg.Node_AlterExtensionStmt, *pg.Node_AlterExtensionContentsStmt:
		p.barrier("ALTER EXTENSION")
	case *pg.Node_CommentStmt:
		x.writeObject(s.CommentStmt.Objtype, s.CommentStmt.Object, nil)
	case *pg.Node_SecLabelStmt:
		x.writeObject(s.SecLabelStmt.Objtype, s.SecLabelStmt.Object, nil)
	case *pg.Node_GrantStmt:
		x.grant(s.GrantStmt)
	case *pg.Node_GrantRoleStmt:
		g := s.GrantRoleStmt
		for _, r := range g.GrantedRoles {
			if ap := r.GetAccessPriv(); ap != nil {
				p.write(roleRef(ap.PrivName))
			}
		}
		for _, r := range g.GranteeRoles {
			x.roleNode(r, true)
		}
		x.roleSpec(g.Grantor)
	case *pg.Node_AlterDefaultPrivilegesStmt:
		p.barrier("ALTER DEFAULT PRIVILEGES")
	case *pg.Node_AlterOwnerStmt:
		a := s.AlterOwnerStmt
		x.writeObject(a.ObjectType, a.Object, a.Relation)
		x.roleSpec(a.Newowner)
	case *pg.Node_RenameStmt:
		x.rename(s.RenameStmt)
	case *pg.Node_AlterObjectSchemaStmt:
		a := s.AlterObjectSchemaStmt
		if r, ok := x.writeObject(a.ObjectType, a.Object, a.Relation); ok && r.kind != kSchema && r.kind != kRole {
			if r.kind == kOther {
				p.write(other("moved", a.Newschema+"."+r.name))
			} else {
				r.schema = a.Newschema
				p.write(r)
			}
		}
		p.read(schemaRef(a.Newschema))
	case *pg.Node_AlterObjectDependsStmt:
		a := s.AlterObjectDependsStmt
		x.writeObject(a.ObjectType, a.Object, a.Relation)
	case *pg.Node_CreateRoleStmt:
		c := s.CreateRoleStmt
		p.write(roleRef(c.Role))
		x.roleOptions(c.Options)
	case *pg.Node_AlterRoleStmt:
		x.roleSpecWrite(s.AlterRoleStmt.Role)
		x.roleOptions(s.AlterRoleStmt.Options)
	case *pg.Node_AlterRoleSetStmt:
		if s.AlterRoleSetStmt.Role == nil {
			p.barrier("ALTER ROLE ALL SET")
		} else {
			x.roleSpecWrite(s.AlterRoleSetStmt.Role)
		}
	case *pg.Node_DropRoleStmt:
		for _, r := range s.DropRoleStmt.Roles {
			x.roleNode(r, true)
		}
	case *pg.Node_DropOwnedStmt:
		p.barrier("DROP OWNED")
	case *pg.Node_ReassignOwnedStmt:
		p.barrier("REASSIGN OWNED")

	case *pg.Node_DefineStmt:
		x.define(s.DefineStmt)
	case *pg.Node_CreateDomainStmt:
		c := s.CreateDomainStmt
		sc, nm := qualName(c.Domainname)
		p.write(typeRef(sc, nm))
		typeNameRefs(p, c.TypeName)
		x.walk(false, c.Constraints...)
	case *pg.Node_AlterDomainStmt:
		a := s.AlterDomainStmt
		sc, nm := qualName(a.TypeName)
		p.write(typeRef(sc, nm))
		switch a.Subtype {
		case "C", "V":
			// Validating a constraint reads every column of the domain, in any table.
			p.barrier("ALTER DOMAIN ... CONSTRAINT")
		default:
			x.walk(false, a.Def)
		}
	case *pg.Node_CompositeTypeStmt:
		c := s.CompositeTypeStmt
		p.write(withHint(rangeVarRef(c.Typevar), "type"))
		x.walk(false, c.Coldeflist...)
	case *pg.Node_CreateEnumStmt:
		sc, nm := qualName(s.CreateEnumStmt.TypeName)
		p.write(typeRef(sc, nm))
	case *pg.Node_AlterEnumStmt:
		sc, nm := qualName(s.AlterEnumStmt.TypeName)
		p.write(typeRef(sc, nm))
	case *pg.Node_CreateRangeStmt:
		x.createRange(s.CreateRangeStmt)
	case *pg.Node_AlterTypeStmt:
		sc, nm := qualName(s.AlterTypeStmt.TypeName)
		p.write(typeRef(sc, nm))
		x.walk(false, s.AlterTypeStmt.Options...)
	case *pg.Node_CreateCastStmt:
		c := s.CreateCastStmt
		typeNameRefs(p, c.Sourcetype)
		typeNameRefs(p, c.Targettype)
		if c.Func != nil {
			p.read(fn(qualName(c.Func.Objname)))
		}
		p.write(other("cast", typeString(c.Sourcetype)+" as "+typeString(c.Targettype)))
	case *pg.Node_CreateStatsStmt:
		c := s.CreateStatsStmt
		sc, nm := qualName(c.Defnames)
		p.write(other("statistics", qualString(sc, nm)))
		x.walk(false, c.Relations...)
		x.walk(false, c.Exprs...)
	case *pg.Node_AlterStatsStmt:
		sc, nm := qualName(s.AlterStatsStmt.Defnames)
		p.write(other("statistics", qualString(sc, nm)))
	case *pg.Node_CreatePlangStmt:
		p.write(other("language", s.CreatePlangStmt.Plname))
	case *pg.Node_CreateFdwStmt:
		p.write(other("foreign-data wrapper", s.CreateFdwStmt.Fdwname))
	case *pg.Node_AlterFdwStmt:
		p.write(other("foreign-data wrapper", s.AlterFdwStmt.Fdwname))
	case *pg.Node_CreateForeignServerStmt:
		p.write(other("server", s.CreateForeignServerStmt.Servername))
		p.read(other("foreign-data wrapper", s.CreateForeignServerStmt.Fdwname))
	case *pg.Node_AlterForeignServerStmt:
		p.write(other("server", s.AlterForeignServerStmt.Servername))
	case *pg.Node_CreateUserMappingStmt:
		p.write(other("server", s.CreateUserMappingStmt.Servername))
	case *pg.Node_AlterUserMappingStmt:
		p.write(other("server", s.AlterUserMappingStmt.Servername))
	case *pg.Node_DropUserMappingStmt:
		p.write(other("server", s.DropUserMappingStmt.Servername))
	case *pg.Node_CreatePublicationStmt:
		p.write(other("publication", s.CreatePublicationStmt.Pubname))
		x.walk(false, s.CreatePublicationStmt.Pubobjects...)
	case *pg.Node_AlterPublicationStmt:
		p.write(other("publication", s.AlterPublicationStmt.Pubname))
		x.walk(false, s.AlterPublicationStmt.Pubobjects...)
	case *pg.Node_CreateConversionStmt:
		sc, nm := qualName(s.CreateConversionStmt.ConversionName)
		p.write(other("conversion", qualString(sc, nm)))
	case *pg.Node_CreateOpClassStmt:
		sc, nm := qualName(s.CreateOpClassStmt.Opclassname)
		p.write(other("operator class", qualString(sc, nm)))
		x.opClassItems(s.CreateOpClassStmt.Items)
	case *pg.Node_CreateOpFamilyStmt:
		sc, nm := qualName(s.CreateOpFamilyStmt.Opfamilyname)
		p.write(other("operator family", qualString(sc, nm)))
	case *pg.Node_AlterOpFamilyStmt:
		sc, nm := qualName(s.AlterOpFamilyStmt.Opfamilyname)
		p.write(other("operator family", qualString(sc, nm)))
		x.opClassItems(s.AlterOpFamilyStmt.Items)
	case *pg.Node_AlterOperatorStmt:
		if o := s.AlterOperatorStmt.Opername; o != nil {
			p.write(other("operator", strings.Join(strs(o.Objname), ".")))
		}
	case *pg.Node_CreateTransformStmt:
		c := s.CreateTransformStmt
		p.write(other("transform", typeString(c.TypeName)+" "+c.Lang))
	case *pg.Node_CreateAmStmt:
		p.write(other("access method", s.CreateAmStmt.Amname))
	case *pg.Node_AlterCollationStmt:
		p.write(other("collation", strings.Join(strs(s.AlterCollationStmt.Collname), ".")))
	case *pg.Node_AlterTsdictionaryStmt:
		p.write(other("text search dictionary", strings.Join(strs(s.AlterTsdictionaryStmt.Dictname), ".")))
	case *pg.Node_AlterTsconfigurationStmt:
		p.write(other("text search configuration", strings.Join(strs(s.AlterTsconfigurationStmt.Cfgname), ".")))

	case *pg.Node_ExplainStmt:
		x.explain(s.ExplainStmt)
	case *pg.Node_PrepareStmt:
		ps := s.PrepareStmt
		p.session("prepared " + ps.Name)
		x.walk(false, ps.Query)
		p.define(&def{kind: defPrepared, s: ps.Name, q: subProg(true, ps.Query)})
	case *pg.Node_ExecuteStmt:
		p.session("prepared " + s.ExecuteStmt.Name)
		x.walk(true, s.ExecuteStmt.Params...)
		p.add(op{code: opExecute, s: s.ExecuteStmt.Name})
	case *pg.Node_DeallocateStmt:
		if s.DeallocateStmt.Isall || s.DeallocateStmt.Name == "" {
			p.add(op{code: opSessionAll, s: "prepared "})
		} else {
			p.session("prepared " + s.DeallocateStmt.Name)
		}
	case *pg.Node_DeclareCursorStmt:
		d := s.DeclareCursorStmt
		const cursorOptHold = 0x0020
		x.stmt(d.Query, "")
		p.add(op{code: opSession, s: "cursor " + d.Portalname, ref: ref{name: declareMark(d.Options&cursorOptHold != 0)}})
	case *pg.Node_FetchStmt:
		p.session("cursor " + s.FetchStmt.Portalname)
	case *pg.Node_ClosePortalStmt:
		if s.ClosePortalStmt.Portalname == "" {
			p.add(op{code: opSessionAll, s: "cursor "})
		} else {
			p.session("cursor " + s.ClosePortalStmt.Portalname)
		}
	case *pg.Node_ListenStmt, *pg.Node_UnlistenStmt:
		p.session("LISTEN")
	case *pg.Node_NotifyStmt:
		// Nothing: a notification does not change data; listeners of this file are one session.

	case *pg.Node_VariableSetStmt:
		x.set(s.VariableSetStmt, text)
	case *pg.Node_VariableShowStmt, *pg.Node_ConstraintsSetStmt:
	case *pg.Node_DiscardStmt:
		switch s.DiscardStmt.Target {
		case pg.DiscardMode_DISCARD_ALL:
			p.add(op{code: opSessionAll, s: ""})
			p.add(op{code: opSet, s: "SET SESSION AUTHORIZATION DEFAULT", set: &setInfo{name: "session_authorization"}})
			p.add(op{code: opSet, s: "RESET ALL", set: &setInfo{name: "", isPath: true}})
		case pg.DiscardMode_DISCARD_TEMP:
			p.add(op{code: opSessionAll, s: "temp "})
		case pg.DiscardMode_DISCARD_SEQUENCES:
			p.add(op{code: opSessionAll, s: "currval "})
		}
		p.barrier("DISCARD")
	case *pg.Node_LockStmt:
		p.barrier("LOCK")
	case *pg.Node_TransactionStmt:
		switch s.TransactionStmt.Kind {
		case pg.TransactionStmtKind_TRANS_STMT_ROLLBACK:
			p.add(op{code: opRollback})
		case pg.TransactionStmtKind_TRANS_STMT_PREPARE, pg.TransactionStmtKind_TRANS_STMT_COMMIT_PREPARED,
			pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_PREPARED:
			p.barrier("two-phase commit")
		}
	case *pg.Node_ClusterStmt:
		c := s.ClusterStmt
		if c.Relation == nil {
			p.barrier("CLUSTER")
			return
		}
		t := rangeVarRef(c.Relation)
		p.write(t)
		if c.Indexname != "" {
			p.read(indexRef(t.schema, c.Indexname))
		}
	case *pg.Node_VacuumStmt:
		v := s.VacuumStmt
		if len(v.Rels) == 0 {
			if v.IsVacuumcmd {
				p.barrier("VACUUM")
			} else {
				p.barrier("ANALYZE")
			}
			return
		}
		for _, r := range v.Rels {
			if vr := r.GetVacuumRelation(); vr != nil && vr.Relation != nil {
				p.write(rangeVarRef(vr.Relation))
			}
		}
	case *pg.Node_ReindexStmt:
		r := s.ReindexStmt
		if r.Relation == nil {
			p.barrier("REINDEX " + strings.TrimPrefix(r.Kind.String(), "REINDEX_OBJECT_"))
			return
		}
		p.write(rangeVarRef(r.Relation))
	case *pg.Node_CheckPointStmt:
		p.barrier("CHECKPOINT")
	case *pg.Node_LoadStmt:
		p.barrier("LOAD")
	case *pg.Node_AlterSystemStmt:
		p.barrier("ALTER SYSTEM")
	case *pg.Node_CreatedbStmt, *pg.Node_DropdbStmt, *pg.Node_AlterDatabaseStmt, *pg.Node_AlterDatabaseSetStmt,
		*pg.Node_AlterDatabaseRefreshCollStmt:
		p.barrier("DATABASE")
	case *pg.Node_CreateTableSpaceStmt, *pg.Node_DropTableSpaceStmt, *pg.Node_AlterTableSpaceOptionsStmt,
		*pg.Node_AlterTableMoveAllStmt:
		p.barrier("TABLESPACE")
	case *pg.Node_CreateSubscriptionStmt, *pg.Node_AlterSubscriptionStmt, *pg.Node_DropSubscriptionStmt:
		p.barrier("SUBSCRIPTION")
	case *pg.Node_ImportForeignSchemaStmt:
		p.barrier("IMPORT FOREIGN SCHEMA")
	default:
		p.barrier("unrecognised statement " + fmt.Sprintf("%T", n.GetNode()))
	}
}

// declareMark tells the resolver whether a DECLARE creates a cursor that outlives its
// transaction (WITH HOLD) or one local to the unit.
func declareMark(hold bool) string {
	if hold {
		return "declare hold"
	}
	return "declare"
}

// callExpr adds an expression evaluated at run time to p and returns p.
func (p *prog) callExpr(nodes ...*pg.Node) *prog {
	walkInto(p, true, nodes...)
	return p
}

// quoteIdent writes a (schema-qualified) name as a regclass literal reads it back.
func quoteIdent(schema, name string) string {
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	if schema == "" {
		return q(name)
	}
	return q(schema) + "." + q(name)
}

func qualString(schema, name string) string {
	if schema == "" {
		return name
	}
	return schema + "." + name
}

func typeString(t *pg.TypeName) string {
	if t == nil {
		return "?"
	}
	return strings.Join(strs(t.Names), ".")
}

// createAs is CREATE TABLE AS, SELECT INTO and CREATE MATERIALIZED VIEW.
func (x *extractor) createAs(into *pg.IntoClause, mat, skipData bool, query *pg.Node) {
	p := x.p
	if into == nil || into.Rel == nil {
		x.walk(true, query)
		return
	}
	r := rangeVarRef(into.Rel)
	if mat {
		r = withHint(r, "materialized view")
	}
	if into.Rel.Relpersistence == "t" {
		p.add(op{code: opTemp, ref: r, s: onCommitDrop(into.OnCommit)})
	}
	p.write(r)
	if skipData {
		x.walk(false, query)
	} else if sel := query.GetSelectStmt(); sel != nil && sel.IntoClause != nil {
		x.walk(true, query) // SELECT INTO: its INTO target is read too, which the write covers
	} else {
		x.stmt(query, "")
	}
	if mat {
		p.define(&def{kind: defView, ref: r, mat: true, q: subProg(true, query)})
	}
}

func onCommitDrop(a pg.OnCommitAction) string {
	if a == pg.OnCommitAction_ONCOMMIT_DROP {
		return "drop"
	}
	return ""
}

// createTable is CREATE TABLE (and the base of CREATE FOREIGN TABLE).
func (x *extractor) createTable(c *pg.CreateStmt, hint string) {
	if c == nil || c.Relation == nil {
		return
	}
	p := x.p
	t := withHint(rangeVarRef(c.Relation), hint)
	if c.Relation.Relpersistence == "t" {
		p.add(op{code: opTemp, ref: t, s: onCommitDrop(c.Oncommit)})
	}
	p.write(t)
	for _, inh := range c.InhRelations {
		if rv := inh.GetRangeVar(); rv != nil {
			parent := rangeVarRef(rv)
			p.read(parent)
			p.define(&def{kind: defChild, ref: t, target: parent})
		}
	}
	if c.OfTypename != nil {
		typeNameRefs(p, c.OfTypename)
	}
	for _, e := range c.TableElts {
		switch el := e.GetNode().(type) {
		case *pg.Node_ColumnDef:
			x.column(t, el.ColumnDef, false)
		case *pg.Node_Constraint:
			x.constraint(t, el.Constraint, nil, false)
		default:
			x.walk(false, e) // LIKE
		}
	}
	for _, con := range c.Constraints {
		if cn := con.GetConstraint(); cn != nil {
			x.constraint(t, cn, nil, false)
		}
	}
	x.walk(false, c.Partbound.GetListdatums()...)
	x.walk(false, c.Partbound.GetLowerdatums()...)
	x.walk(false, c.Partbound.GetUpperdatums()...)
	if c.Partspec != nil {
		for _, pe := range c.Partspec.PartParams {
			x.walk(false, pe)
		}
	}
}

func isSerial(t *pg.TypeName) bool {
	if t == nil {
		return false
	}
	sc, nm := qualName(t.Names)
	if sc != "" && sc != "pg_catalog" {
		return false
	}
	switch nm {
	case "serial", "bigserial", "smallserial", "serial2", "serial4", "serial8":
		return len(t.ArrayBounds) == 0
	}
	return false
}

// column is a column definition of table t; existing: it is added to a table that may
// have rows (ALTER TABLE ADD COLUMN evaluates its default for each).
func (x *extractor) column(t ref, c *pg.ColumnDef, existing bool) {
	p := x.p
	if c.TypeName != nil {
		if isSerial(c.TypeName) {
			x.implicitSeq(t, c.Colname, "")
		} else {
			before := len(p.ops)
			typeNameRefs(p, c.TypeName)
			for _, o := range p.ops[before:] {
				if o.code == opRead && o.ref.kind == kRel {
					p.define(&def{kind: defColType, ref: t, target: o.ref})
				}
			}
		}
	}
	if c.RawDefault != nil {
		x.walk(existing, c.RawDefault)
		p.define(&def{kind: defDefault, ref: t, s: c.Colname, q: (&prog{}).callExpr(c.RawDefault)})
	}
	for _, con := range c.Constraints {
		if cn := con.GetConstraint(); cn != nil {
			x.constraint(t, cn, []string{c.Colname}, existing)
		}
	}
}

// implicitSeq is the sequence of a serial or identity column.
func (x *extractor) implicitSeq(t ref, col string, name string) {
	p := x.p
	seq := seqRef(t.schema, name)
	if name == "" {
		seq.name = chooseRelationName(t.name, col, "seq")
	} else if sc, nm, ok := splitQualified(name); ok {
		seq = seqRef(sc, nm)
		if sc == "" {
			seq.schema = t.schema
		}
	}
	p.write(seq)
	p.define(&def{kind: defDependent, ref: t, target: seq})
	q := &prog{}
	q.add(op{code: opCall, ref: fn("pg_catalog", "nextval"), args: []string{quoteIdent(seq.schema, seq.name)}})
	p.define(&def{kind: defDefault, ref: t, s: col, q: q})
}

// constraint is a table or column constraint of t; cols: the column of a column constraint.
func (x *extractor) constraint(t ref, c *pg.Constraint, cols []string, existing bool) {
	p := x.p
	switch c.Contype {
	case pg.ConstrType_CONSTR_DEFAULT:
		x.walk(existing, c.RawExpr)
		col := ""
		if len(cols) > 0 {
			col = cols[0]
		}
		p.define(&def{kind: defDefault, ref: t, s: col, q: (&prog{}).callExpr(c.RawExpr)})
	case pg.ConstrType_CONSTR_CHECK, pg.ConstrType_CONSTR_GENERATED:
		x.walk(existing && !c.SkipValidation, c.RawExpr)
		p.define(&def{kind: defDefault, ref: t, always: true, q: (&prog{}).callExpr(c.RawExpr)})
	case pg.ConstrType_CONSTR_IDENTITY:
		name := ""
		for _, o := range c.Options {
			if d := o.GetDefElem(); d != nil && d.Defname == "sequence_name" {
				// The name's parts, as identifiers (pg_dump writes
				// SEQUENCE NAME "Odd Schema"."Mixed Case_id_seq").
				parts := strs(d.Arg.GetList().GetItems())
				for i, part := range parts {
					parts[i] = quoteIdent("", part)
				}
				name = strings.Join(parts, ".")
			}
		}
		col := ""
		if len(cols) > 0 {
			col = cols[0]
		}
		x.implicitSeq(t, col, name)
	case pg.ConstrType_CONSTR_FOREIGN:
		if c.Pktable != nil {
			target := rangeVarRef(c.Pktable)
			p.read(target)
			p.write(indexSet(target)) // it needs a unique index there
			p.define(&def{kind: defFK, ref: t, target: target})
		}
	case pg.ConstrType_CONSTR_PRIMARY, pg.ConstrType_CONSTR_UNIQUE, pg.ConstrType_CONSTR_EXCLUSION:
		name := c.Conname
		if c.Indexname != "" { // USING INDEX: the index is renamed to the constraint
			p.write(indexRef(t.schema, c.Indexname))
		}
		if name == "" {
			keys := strs(c.Keys)
			if len(keys) == 0 {
				keys = cols
			}
			switch c.Contype {
			case pg.ConstrType_CONSTR_PRIMARY:
				name = chooseRelationName(t.name, "", "pkey")
			case pg.ConstrType_CONSTR_UNIQUE:
				name = chooseRelationName(t.name, strings.Join(keys, "_"), "key")
			default:
				name = chooseRelationName(t.name, "", "excl")
			}
		}
		idx := indexRef(t.schema, name)
		p.write(idx)
		p.define(&def{kind: defDependent, ref: t, target: idx})
		x.walk(existing, c.WhereClause)
		x.walk(existing, c.Exclusions...)
	}
}

// index is CREATE INDEX: it reads its table and writes the index name, so that several
// indexes of one table build concurrently, as pg_restore -j does.
func (x *extractor) index(s *pg.IndexStmt) {
	p := x.p
	t := rangeVarRef(s.Relation)
	p.read(t)
	p.read(indexSet(t))
	name := s.Idxname
	if name == "" {
		var cols []string
		for _, e := range s.IndexParams {
			if ie := e.GetIndexElem(); ie != nil {
				switch {
				case ie.Indexcolname != "":
					cols = append(cols, ie.Indexcolname)
				case ie.Name != "":
					cols = append(cols, ie.Name)
				default:
					cols = append(cols, "expr")
				}
			}
		}
		label := "idx"
		switch {
		case s.Primary:
			label = "pkey"
		case len(s.ExcludeOpNames) > 0:
			label = "excl"
		case s.Isconstraint:
			label = "key"
		}
		addition := strings.Join(cols, "_")
		if s.Primary {
			addition = ""
		}
		name = chooseRelationName(t.name, addition, label)
	}
	idx := indexRef(t.schema, name)
	p.write(idx)
	p.define(&def{kind: defDependent, ref: t, target: idx})
	// Index expressions and predicates are evaluated over every row.
	x.walk(true, s.IndexParams...)
	x.walk(true, s.IndexIncludingParams...)
	x.walk(true, s.WhereClause)
}

// chooseRelationName is PostgreSQL's makeObjectName: name1_name2_label cut to 63 bytes by
// shortening the longer of the two names first. (The server adds a number when the name is
// taken; the resolver treats name1_name2_labelN as the same object.)
func chooseRelationName(name1, name2, label string) string {
	const maxLen = 63
	n1, n2 := len(name1), len(name2)
	overhead := 0
	if label != "" {
		overhead += len(label) + 1
	}
	if name2 != "" {
		overhead++
	}
	avail := maxLen - overhead
	for n1+n2 > avail {
		if n1 > n2 {
			n1--
		} else {
			n2--
		}
	}
	out := clipUTF8(name1, n1)
	if name2 != "" {
		out += "_" + clipUTF8(name2, n2)
	}
	if label != "" {
		out += "_" + label
	}
	return out
}

func clipUTF8(s string, n int) string {
	if n >= len(s) {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

func (x *extractor) seqOptions(seq ref, opts []*pg.Node) {
	p := x.p
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "owned_by":
			names := strs(d.Arg.GetList().GetItems())
			if len(names) >= 2 { // [schema.]table.column; "none" has one part
				tab := rel("", names[len(names)-2])
				if len(names) >= 3 {
					tab.schema = names[len(names)-3]
				}
				p.read(tab)
				p.define(&def{kind: defDependent, ref: tab, target: seq})
			}
		case "as":
			x.walk(false, d.Arg)
		}
	}
}

func (x *extractor) alterTable(a *pg.AlterTableStmt) {
	p := x.p
	if a.Relation == nil {
		return
	}
	t := rangeVarRef(a.Relation)
	switch a.Objtype {
	case pg.ObjectType_OBJECT_INDEX:
		t.hint = "index"
	case pg.ObjectType_OBJECT_SEQUENCE:
		t.hint = "sequence"
	case pg.ObjectType_OBJECT_VIEW:
		t.hint = "view"
	case pg.ObjectType_OBJECT_MATVIEW:
		t.hint = "materialized view"
	case pg.ObjectType_OBJECT_TYPE:
		t.hint = "type"
	}
	p.write(t)
	for _, c := range a.Cmds {
		cmd := c.GetAlterTableCmd()
		if cmd == nil {
			continue
		}
		switch cmd.Subtype {
		case pg.AlterTableType_AT_AddColumn, pg.AlterTableType_AT_AddColumnToView:
			if cd := cmd.Def.GetColumnDef(); cd != nil {
				x.column(t, cd, true)
			}
		case pg.AlterTableType_AT_ColumnDefault:
			if cmd.Def != nil {
				x.walk(false, cmd.Def)
				p.define(&def{kind: defDefault, ref: t, s: cmd.Name, q: (&prog{}).callExpr(cmd.Def)})
			}
		case pg.AlterTableType_AT_AddConstraint, pg.AlterTableType_AT_ReAddConstraint:
			if cn := cmd.Def.GetConstraint(); cn != nil {
				x.constraint(t, cn, nil, true)
			}
		case pg.AlterTableType_AT_AlterColumnType:
			if cd := cmd.Def.GetColumnDef(); cd != nil {
				typeNameRefs(p, cd.TypeName)
				x.walk(true, cd.RawDefault) // USING: evaluated for every row
			}
		case pg.AlterTableType_AT_SetExpression:
			x.walk(true, cmd.Def)
			p.define(&def{kind: defDefault, ref: t, always: true, q: (&prog{}).callExpr(cmd.Def)})
		case pg.AlterTableType_AT_AddIdentity:
			if cn := cmd.Def.GetConstraint(); cn != nil {
				x.constraint(t, cn, []string{cmd.Name}, true)
			}
		case pg.AlterTableType_AT_AttachPartition:
			if pc := cmd.Def.GetPartitionCmd(); pc != nil && pc.Name != nil {
				child := rangeVarRef(pc.Name)
				p.write(child)
				if a.Objtype != pg.ObjectType_OBJECT_INDEX {
					p.define(&def{kind: defChild, ref: child, target: t})
				}
			}
		case pg.AlterTableType_AT_DetachPartition, pg.AlterTableType_AT_DetachPartitionFinalize:
			if pc := cmd.Def.GetPartitionCmd(); pc != nil && pc.Name != nil {
				p.write(rangeVarRef(pc.Name))
			}
		case pg.AlterTableType_AT_AddInherit:
			if rv := cmd.Def.GetRangeVar(); rv != nil {
				parent := rangeVarRef(rv)
				p.write(parent)
				p.define(&def{kind: defChild, ref: t, target: parent})
			}
		case pg.AlterTableType_AT_DropInherit:
			if rv := cmd.Def.GetRangeVar(); rv != nil {
				p.write(rangeVarRef(rv))
			}
		case pg.AlterTableType_AT_ChangeOwner:
			x.roleSpec(cmd.Newowner)
		case pg.AlterTableType_AT_ClusterOn, pg.AlterTableType_AT_ReplicaIdentity:
			if cmd.Name != "" {
				p.read(indexRef(t.schema, cmd.Name))
			}
			x.walk(false, cmd.Def)
		case pg.AlterTableType_AT_AddIndex, pg.AlterTableType_AT_ReAddIndex:
			if is := cmd.Def.GetIndexStmt(); is != nil {
				x.index(is)
			}
		case pg.AlterTableType_AT_AddIndexConstraint:
			if is := cmd.Def.GetIndexStmt(); is != nil {
				x.index(is)
			}
		case pg.AlterTableType_AT_SetTableSpace:
			p.read(other("tablespace", cmd.Name))
		default:
			x.walk(false, cmd.Def)
		}
	}
}

func (x *extractor) copyStmt(c *pg.CopyStmt) {
	p := x.p
	if c.Relation != nil {
		t := rangeVarRef(c.Relation)
		if c.IsFrom {
			var cols []string
			for _, a := range c.Attlist {
				cols = append(cols, strVal(a))
			}
			p.dml(t, &dmlInfo{insert: true, cols: cols, allCols: len(cols) == 0})
			x.walk(true, c.WhereClause)
		} else {
			p.read(t)
		}
	}
	if c.Query != nil {
		x.stmt(c.Query, "")
	}
	if c.Filename != "" {
		switch {
		case c.IsProgram:
			p.barrier("COPY ... PROGRAM")
		case c.IsFrom:
			p.read(other("file", c.Filename))
		default:
			p.write(other("file", c.Filename))
		}
	} else if c.IsProgram {
		p.barrier("COPY ... PROGRAM")
	}
}

// objectRef names the object of COMMENT, SECURITY LABEL, ALTER ... OWNER, DROP etc.
// Objects that belong to a table (columns, constraints, triggers, rules, policies) name the
// table.
func objectRef(t pg.ObjectType, n *pg.Node, relation *pg.RangeVar) (ref, bool) {
	if relation != nil {
		r := rangeVarRef(relation)
		return r, r.name != ""
	}
	if n == nil {
		return ref{}, false
	}
	names := func() []string {
		if l := n.GetList(); l != nil {
			return strs(l.Items)
		}
		if s := n.GetString_(); s != nil {
			return []string{s.Sval}
		}
		if tn := n.GetTypeName(); tn != nil {
			return strs(tn.Names)
		}
		if ow := n.GetObjectWithArgs(); ow != nil {
			return strs(ow.Objname)
		}
		return nil
	}
	last2 := func(ns []string, drop int) (ref, bool) {
		ns = ns[:max(0, len(ns)-drop)]
		switch len(ns) {
		case 0:
			return ref{}, false
		case 1:
			return rel("", ns[0]), true
		default:
			return rel(ns[len(ns)-2], ns[len(ns)-1]), true
		}
	}
	switch t {
	case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_VIEW, pg.ObjectType_OBJECT_MATVIEW,
		pg.ObjectType_OBJECT_SEQUENCE, pg.ObjectType_OBJECT_INDEX, pg.ObjectType_OBJECT_FOREIGN_TABLE:
		r, ok := last2(names(), 0)
		r.hint = relHint(t)
		return r, ok
	case pg.ObjectType_OBJECT_COLUMN, pg.ObjectType_OBJECT_TABCONSTRAINT, pg.ObjectType_OBJECT_TRIGGER,
		pg.ObjectType_OBJECT_RULE, pg.ObjectType_OBJECT_POLICY:
		return last2(names(), 1)
	case pg.ObjectType_OBJECT_TYPE, pg.ObjectType_OBJECT_DOMAIN:
		r, ok := last2(names(), 0)
		r.hint = "type"
		return r, ok
	case pg.ObjectType_OBJECT_DOMCONSTRAINT:
		if l := n.GetList(); l != nil && len(l.Items) > 0 {
			if tn := l.Items[0].GetTypeName(); tn != nil {
				sc, nm := qualName(tn.Names)
				return typeRef(sc, nm), nm != ""
			}
		}
		return ref{}, false
	case pg.ObjectType_OBJECT_FUNCTION, pg.ObjectType_OBJECT_PROCEDURE, pg.ObjectType_OBJECT_ROUTINE,
		pg.ObjectType_OBJECT_AGGREGATE:
		ns := names()
		if len(ns) == 0 {
			return ref{}, false
		}
		r, _ := last2(ns, 0)
		r.kind = kFunc
		return r, true
	case pg.ObjectType_OBJECT_SCHEMA:
		ns := names()
		if len(ns) == 0 {
			return ref{}, false
		}
		return schemaRef(ns[0]), true
	case pg.ObjectType_OBJECT_ROLE:
		ns := names()
		if len(ns) == 0 {
			return ref{}, false
		}
		return roleRef(ns[0]), true
	case pg.ObjectType_OBJECT_LARGEOBJECT:
		return other("large object", "*"), true
	}
	ns := names()
	if len(ns) == 0 {
		return ref{}, false
	}
	kind := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(t.String(), "OBJECT_"), "_", " "))
	return other(kind, strings.Join(ns, ".")), true
}

func relHint(t pg.ObjectType) string {
	switch t {
	case pg.ObjectType_OBJECT_SEQUENCE:
		return "sequence"
	case pg.ObjectType_OBJECT_INDEX:
		return "index"
	case pg.ObjectType_OBJECT_VIEW:
		return "view"
	case pg.ObjectType_OBJECT_MATVIEW:
		return "materialized view"
	}
	return ""
}

// writeObject adds the write of an object named as COMMENT ON etc. name it; an object that
// cannot be named is a barrier.
func (x *extractor) writeObject(t pg.ObjectType, n *pg.Node, relation *pg.RangeVar) (ref, bool) {
	r, ok := objectRef(t, n, relation)
	if !ok {
		x.p.barrier("unnamed " + strings.ToLower(strings.TrimPrefix(t.String(), "OBJECT_")))
		return r, false
	}
	x.p.write(r)
	return r, true
}

func (x *extractor) drop(d *pg.DropStmt) {
	p := x.p
	if d.Behavior == pg.DropBehavior_DROP_CASCADE {
		p.barrier("DROP ... CASCADE")
	}
	switch d.RemoveType {
	case pg.ObjectType_OBJECT_SCHEMA:
		p.barrier("DROP SCHEMA")
		return
	case pg.ObjectType_OBJECT_EXTENSION:
		p.barrier("DROP EXTENSION")
		return
	case pg.ObjectType_OBJECT_EVENT_TRIGGER:
		p.barrier("DROP EVENT TRIGGER")
		return
	}
	for _, o := range d.Objects {
		x.writeObject(d.RemoveType, o, nil)
	}
}

func (x *extractor) grant(g *pg.GrantStmt) {
	p := x.p
	if g.Targtype != pg.GrantTargetType_ACL_TARGET_OBJECT {
		p.barrier("GRANT ON ALL ... IN SCHEMA")
		return
	}
	for _, o := range g.Objects {
		if rv := o.GetRangeVar(); rv != nil {
			r := rangeVarRef(rv)
			r.hint = relHint(g.Objtype)
			p.write(r)
			continue
		}
		x.writeObject(g.Objtype, o, nil)
	}
	for _, r := range g.Grantees {
		x.roleNode(r, false)
	}
	x.roleSpec(g.Grantor)
}

func (x *extractor) rename(r *pg.RenameStmt) {
	p := x.p
	switch r.RenameType {
	case pg.ObjectType_OBJECT_SCHEMA:
		p.barrier("ALTER SCHEMA ... RENAME")
	case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_VIEW, pg.ObjectType_OBJECT_MATVIEW,
		pg.ObjectType_OBJECT_SEQUENCE, pg.ObjectType_OBJECT_INDEX, pg.ObjectType_OBJECT_FOREIGN_TABLE:
		old := rangeVarRef(r.Relation)
		old.hint = relHint(r.RenameType)
		p.write(old)
		nw := old
		nw.name = r.Newname
		p.write(nw)
	case pg.ObjectType_OBJECT_ROLE:
		p.write(roleRef(r.Subname))
		p.write(roleRef(r.Newname))
	default:
		o, ok := x.writeObject(r.RenameType, r.Object, r.Relation)
		if !ok {
			return
		}
		switch r.RenameType {
		case pg.ObjectType_OBJECT_COLUMN, pg.ObjectType_OBJECT_TABCONSTRAINT, pg.ObjectType_OBJECT_TRIGGER,
			pg.ObjectType_OBJECT_RULE, pg.ObjectType_OBJECT_POLICY, pg.ObjectType_OBJECT_ATTRIBUTE,
			pg.ObjectType_OBJECT_DOMCONSTRAINT:
			// The object stays; only a part of it is renamed.
		default:
			switch o.kind {
			case kOther:
				p.write(other("renamed", r.Newname))
			default:
				o.name = r.Newname
				p.write(o)
			}
		}
	}
}

func (x *extractor) policy(table *pg.RangeVar, roles []*pg.Node, qual, check *pg.Node) {
	p := x.p
	t := rangeVarRef(table)
	p.write(t)
	for _, r := range roles {
		x.roleNode(r, false)
	}
	x.walk(false, qual, check)
	p.define(&def{kind: defPolicy, ref: t, q: (&prog{}).callExpr(qual, check)})
}

func (x *extractor) roleSpec(r *pg.RoleSpec) {
	if r != nil && r.Roletype == pg.RoleSpecType_ROLESPEC_CSTRING {
		x.p.read(roleRef(r.Rolename))
	}
}

func (x *extractor) roleSpecWrite(r *pg.RoleSpec) {
	if r == nil {
		return
	}
	if r.Roletype == pg.RoleSpecType_ROLESPEC_CSTRING {
		x.p.write(roleRef(r.Rolename))
	} else {
		x.p.barrier("ALTER ROLE " + strings.TrimPrefix(r.Roletype.String(), "ROLESPEC_"))
	}
}

func (x *extractor) roleNode(n *pg.Node, write bool) {
	rs := n.GetRoleSpec()
	if rs == nil || rs.Roletype != pg.RoleSpecType_ROLESPEC_CSTRING {
		return
	}
	if write {
		x.p.write(roleRef(rs.Rolename))
	} else {
		x.p.read(roleRef(rs.Rolename))
	}
}

func (x *extractor) roleOptions(opts []*pg.Node) {
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "rolemembers", "addroleto", "adminmembers":
			for _, r := range d.Arg.GetList().GetItems() {
				x.roleNode(r, true)
			}
		}
	}
}

func (x *extractor) define(d *pg.DefineStmt) {
	p := x.p
	sc, nm := qualName(d.Defnames)
	switch d.Kind {
	case pg.ObjectType_OBJECT_AGGREGATE:
		f := fn(sc, nm)
		p.write(f)
		body := &prog{}
		for _, e := range d.Definition {
			de := e.GetDefElem()
			if de == nil {
				continue
			}
			if strings.HasSuffix(de.Defname, "func") {
				if tn := de.Arg.GetTypeName(); tn != nil {
					g := fn(qualName(tn.Names))
					p.read(g)
					body.add(op{code: opCall, ref: g})
				}
			} else {
				x.walk(false, de.Arg)
			}
		}
		for _, a := range d.Args {
			x.walk(false, a)
		}
		p.define(&def{kind: defFunc, ref: f, q: body})
	case pg.ObjectType_OBJECT_OPERATOR:
		name := strings.Join(strs(d.Defnames), ".")
		p.write(other("operator", name))
		for _, e := range d.Definition {
			de := e.GetDefElem()
			if de == nil {
				continue
			}
			switch de.Defname {
			case "procedure", "function":
				if tn := de.Arg.GetTypeName(); tn != nil {
					g := fn(qualName(tn.Names))
					p.read(g)
					p.define(&def{kind: defOperator, s: nm, fn: g})
				}
			case "leftarg", "rightarg":
				x.walk(false, de.Arg)
			}
		}
	case pg.ObjectType_OBJECT_TYPE:
		p.write(typeRef(sc, nm))
		for _, e := range d.Definition {
			if de := e.GetDefElem(); de != nil {
				if tn := de.Arg.GetTypeName(); tn != nil && strings.Contains("input output receive send typmod_in typmod_out analyze subscript", de.Defname) {
					p.read(fn(qualName(tn.Names)))
				} else {
					x.walk(false, de.Arg)
				}
			}
		}
	default:
		kind := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(d.Kind.String(), "OBJECT_"), "_", " "))
		p.write(other(kind, qualString(sc, nm)))
		for _, e := range d.Definition {
			if de := e.GetDefElem(); de != nil {
				x.walk(false, de.Arg)
			}
		}
	}
}

// createRange is CREATE TYPE AS RANGE: the range and multirange types and their
// constructor functions (which only build values).
func (x *extractor) createRange(c *pg.CreateRangeStmt) {
	p := x.p
	sc, nm := qualName(c.TypeName)
	p.write(typeRef(sc, nm))
	multi := ""
	for _, e := range c.Params {
		de := e.GetDefElem()
		if de == nil {
			continue
		}
		if de.Defname == "multirange_type_name" {
			if tn := de.Arg.GetTypeName(); tn != nil {
				_, multi = qualName(tn.Names)
			}
		} else {
			x.walk(false, de.Arg)
		}
	}
	if multi == "" {
		if i := strings.Index(nm, "range"); i >= 0 {
			multi = nm[:i] + "multirange" + nm[i+len("range"):]
		} else {
			multi = nm + "_multirange"
		}
	}
	p.write(typeRef(sc, multi))
	for _, f := range []string{nm, multi} {
		r := fn(sc, f)
		p.write(r)
		p.define(&def{kind: defFunc, ref: r, q: &prog{}})
	}
}

func (x *extractor) opClassItems(items []*pg.Node) {
	for _, it := range items {
		if ci := it.GetCreateOpClassItem(); ci != nil && ci.Itemtype == 2 && ci.Name != nil { // OPCLASS_ITEM_FUNCTION
			x.p.read(fn(qualName(ci.Name.Objname)))
		}
	}
}

func (x *extractor) explain(e *pg.ExplainStmt) {
	analyze := false
	for _, o := range e.Options {
		if d := o.GetDefElem(); d != nil && d.Defname == "analyze" {
			analyze = d.Arg == nil || literal(d.Arg) != "false" && literal(d.Arg) != "off" && literal(d.Arg) != "0"
		}
	}
	if analyze {
		start := len(x.p.ops)
		x.stmt(e.Query, "")
		x.p.indexSetsOf(&prog{ops: x.p.ops[start:]})
		return
	}
	// EXPLAIN without ANALYZE executes nothing: what the statement touches is only read.
	sub := &prog{}
	(&extractor{p: sub}).stmt(e.Query, "")
	x.p.readsOf(sub)
	x.p.indexSetsOf(sub)
	for _, o := range sub.ops {
		if o.code == opBarrier {
			x.p.add(o)
		}
	}
}

// set is SET, RESET and SET LOCAL.
func (x *extractor) set(v *pg.VariableSetStmt, text string) {
	p := x.p
	if v.Kind == pg.VariableSetKind_VAR_SET_MULTI && v.Name == "TRANSACTION" {
		return // this transaction only: nothing outside the unit
	}
	info := &setInfo{name: v.Name}
	switch v.Kind {
	case pg.VariableSetKind_VAR_RESET_ALL:
		info.name = ""
		info.isPath, info.pathKnown, info.path = true, true, nil
	case pg.VariableSetKind_VAR_SET_DEFAULT, pg.VariableSetKind_VAR_RESET:
		if v.Name == "search_path" {
			info.isPath, info.pathKnown, info.path = true, true, nil
		}
	case pg.VariableSetKind_VAR_SET_VALUE:
		if v.Name == "search_path" {
			info.isPath, info.pathKnown = true, true
			info.path = []string{}
			for _, a := range v.Args {
				s := literal(a)
				if s == noLit {
					info.pathKnown = false
					break
				}
				parts, ok := splitIdents(s, ',')
				if !ok {
					info.pathKnown = false
					break
				}
				info.path = append(info.path, parts...)
			}
		}
	case pg.VariableSetKind_VAR_SET_CURRENT:
		if v.Name == "search_path" {
			return // FROM CURRENT: unchanged
		}
	}
	if v.IsLocal {
		p.add(op{code: opSetLocal, set: info})
		p.barrier("SET LOCAL " + v.Name)
		return
	}
	if text == "" {
		text = "SET " + v.Name // nested (CREATE FUNCTION ... SET is not a statement)
	}
	p.add(op{code: opSet, s: text, set: info})
}

// createFunction is CREATE FUNCTION and CREATE PROCEDURE: the function is written, its
// argument and result types read, and its body kept for the calls: a LANGUAGE sql body
// is parsed, a plpgsql one goes through libpg_query's PL/pgSQL parser; other languages
// are unknown (a call is a barrier).
func (x *extractor) createFunction(c *pg.CreateFunctionStmt, text string) {
	p := x.p
	f := fn(qualName(c.Funcname))
	p.write(f)
	for _, prm := range c.Parameters {
		if fp := prm.GetFunctionParameter(); fp != nil {
			typeNameRefs(p, fp.ArgType)
			x.walk(false, fp.Defexpr)
		}
	}
	if c.ReturnType != nil {
		typeNameRefs(p, c.ReturnType)
	}
	lang, body := "sql", ""
	hasAs := false
	for _, o := range c.Options {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "language":
			lang = strings.ToLower(strVal(d.Arg))
		case "as":
			hasAs = true
			if items := d.Arg.GetList().GetItems(); len(items) >= 1 {
				body = strVal(items[0])
			}
		}
	}
	var q *prog
	switch {
	case c.SqlBody != nil:
		q = &prog{}
		bx := &extractor{p: q}
		var stmts []*pg.Node
		if l := c.SqlBody.GetList(); l != nil {
			for _, it := range l.Items {
				if inner := it.GetList(); inner != nil {
					stmts = append(stmts, inner.Items...)
				} else {
					stmts = append(stmts, it)
				}
			}
		} else {
			stmts = []*pg.Node{c.SqlBody}
		}
		for _, s := range stmts {
			bx.stmt(s, "")
		}
	case lang == "sql" && hasAs:
		q = sqlBody(body)
	case lang == "plpgsql" && hasAs && text != "":
		q = plpgsqlBody(text)
	}
	if q != nil && lang == "sql" {
		// The server checks a SQL body when the function is created (check_function_bodies,
		// and always for BEGIN ATOMIC): what it names must exist then.
		p.readsOf(q)
	}
	p.define(&def{kind: defFunc, ref: f, q: q, s: lang})
}

// indexSetsOf adds to p a write of the index set of every relation q names: a plan
// depends on the indexes there are.
func (p *prog) indexSetsOf(q *prog) {
	var sets []ref
	for _, o := range q.ops {
		if o.ref.kind == kRel && (o.code == opRead || o.code == opWrite || o.code == opDML) {
			sets = append(sets, indexSet(o.ref))
		}
	}
	for _, r := range sets {
		p.write(r)
	}
}

// readsOf adds to p a read of everything q names (for a statement that only checks q).
func (p *prog) readsOf(q *prog) {
	for _, o := range q.ops {
		switch o.code {
		case opWrite, opDML, opCall, opRead, opRefresh:
			p.read(o.ref)
		}
	}
}

// sqlBody parses the body of a LANGUAGE sql function (nil if it does not parse).
func sqlBody(body string) *prog {
	tree, err := pgParse(body)
	if err != nil {
		return nil
	}
	q := &prog{}
	bx := &extractor{p: q}
	for _, raw := range tree.Stmts {
		bx.stmt(raw.Stmt, rawText(body, raw))
	}
	return q
}
