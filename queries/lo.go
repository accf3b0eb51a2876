package queries

import (
	"bytes"
	"strconv"
	"strings"
)

// This file holds psql's client-side large object commands: \lo_import, \lo_export,
// \lo_unlink and \lo_list. Each is a statement of its own, run where psql runs it (at
// once, before a statement being read), whose work the runner does (runner/lo.go).

// LOCmd is a large object command.
type LOCmd uint8

const (
	// LOImport is \lo_import FILE [COMMENT]: a new large object from a client file.
	LOImport LOCmd = iota + 1
	// LOExport is \lo_export OID FILE: a large object into a client file.
	LOExport
	// LOUnlink is \lo_unlink OID.
	LOUnlink
	// LOList is \lo_list[+]: psql's listing query (LOListSQL).
	LOList
)

// String is the command's name, as written after the backslash.
func (c LOCmd) String() string {
	switch c {
	case LOImport:
		return "lo_import"
	case LOExport:
		return "lo_export"
	case LOUnlink:
		return "lo_unlink"
	case LOList:
		return "lo_list"
	}
	return "lo_?"
}

// LargeObject is a large object command. Its arguments may read variables set at run
// time (\lo_export :LASTOID f): Call gives them as they stand when it runs.
type LargeObject struct {
	Cmd LOCmd
	// Pos is where the command is written.
	Pos Pos
	// Verbose is \lo_list+.
	Verbose bool
	act     *Action
}

// LOCall is a large object command with its arguments as it runs: File is the client
// file (\lo_import, \lo_export; relative to the working directory, as psql opens it),
// Comment the comment of \lo_import ("" for none, HasComment), OID the object as
// written (\lo_export, \lo_unlink: psql reads it as strtoul does), SQL the query of
// \lo_list.
type LOCall struct {
	Cmd        LOCmd
	File       string
	Comment    string
	HasComment bool
	OID        string
	SQL        string
}

// LargeObject returns the statement's large object command, or nil for a statement that
// is none.
func (s *Statement) LargeObject() *LargeObject {
	if c := s.cold(); c != nil {
		return c.largeObject
	}
	return nil
}

// Call returns the command with its arguments, read with the variables of st (nil: as
// they were at load time).
func (lo *LargeObject) Call(st *State) LOCall {
	args := lo.act.args
	if st != nil {
		args = st.args(lo.act)
	}
	c := LOCall{Cmd: lo.Cmd}
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	switch lo.Cmd {
	case LOImport:
		c.File = expandTilde(arg(0))
		c.Comment, c.HasComment = arg(1), len(args) > 1
	case LOExport:
		c.OID, c.File = arg(0), expandTilde(arg(1))
	case LOUnlink:
		c.OID = arg(0)
	case LOList:
		c.SQL = LOListSQL(lo.Verbose)
	}
	return c
}

// LOListSQL is the query psql 15 sends for \lo_list (verbose: \lo_list+).
func LOListSQL(verbose bool) string {
	var b strings.Builder
	b.WriteString("SELECT oid as \"ID\",\n  pg_catalog.pg_get_userbyid(lomowner) as \"Owner\",\n  ")
	if verbose {
		b.WriteString("pg_catalog.array_to_string(lomacl, E'\\n') AS \"Access privileges\",\n  ")
	}
	b.WriteString("pg_catalog.obj_description(oid, 'pg_largeobject') as \"Description\"\nFROM pg_catalog.pg_largeobject_metadata\nORDER BY oid")
	return b.String()
}

// loNeeds is how many arguments each command requires.
var loNeeds = map[string]int{"lo_import": 1, "lo_export": 2, "lo_unlink": 1}

// largeObject runs the large object command \name whose backslash is at buffer index i,
// its arguments al, its line ending at end: it adds a statement for it, before the
// statement being read if there is one (psql runs the command at once).
func (l *lexer) largeObject(name string, at Pos, i, end int, al argList) {
	p := l.p
	if n := loNeeds[name]; len(al.args) < n {
		p.errs.Add(at, "\\"+name+": missing required argument")
		return
	}
	lo := &LargeObject{Pos: at, Verbose: name == "lo_list+"}
	switch name {
	case "lo_import":
		lo.Cmd = LOImport
	case "lo_export":
		lo.Cmd = LOExport
	case "lo_unlink":
		lo.Cmd = LOUnlink
	default:
		lo.Cmd = LOList
	}
	if al.dyn {
		l.goLive()
	}
	lo.act = l.newAction(actLargeObject, at, i, name, al)
	sql := LOListSQL(lo.Verbose)
	if lo.Cmd != LOList {
		sql = strings.TrimRight(string(l.f.src[l.off(i):l.endOff(end)]), " \t\r\n\\")
	}
	s := l.metaStatement(sql, at, i, end)
	s.coldPart().largeObject = lo
}

// metaStatement adds a statement of its own, with text sql, for the meta-command whose
// backslash is at buffer index i and whose line ends at end: before the statement being
// read if there is one, as psql runs the command at once. An error position of the server
// in it points to the command.
func (l *lexer) metaStatement(sql string, at Pos, i, end int) *Statement {
	p := l.p
	s := p.newStmt()
	s.SQL = sql
	s.flags = textFlags(sql, p.scs)
	start := l.off(i)
	if !l.started && l.prevEnd <= start {
		start = l.prevEnd
		p.annotate(l.f, s, p.n-1, l.prevEnd, l.off(i))
	}
	if src := p.source(l.f, p.oesFor(l.f, l.endOff(end))); s.src == nil {
		s.src = src
	} else {
		s.src.file, s.src.stage, s.src.stageIndex, s.src.conn = src.file, src.stage, src.stageIndex, src.conn
		s.src.guard, s.src.oes, s.src.scsOff = src.guard, src.oes, src.scsOff
	}
	cold := s.coldPart()
	if len(p.pending) > 0 {
		// Meta-commands acting at run time before this one (\echo, \set, ...).
		cold.rt = &stmtRT{pre: p.pending}
		p.pending = nil
	}
	p.vt.statement()
	s.setSpan(at, start, l.endOff(end))
	cold.posMap = []posMark{{sqlOff: 0, src: at, fixed: true}}
	if !l.started {
		l.prevEnd = max(l.prevEnd, l.endOff(end))
	}
	return s
}

// slashEncoding runs \encoding ENC, whose backslash is at buffer index i: a statement
// that sends what libpq's PQsetClientEncoding sends, and the lines after this one are
// read in the new encoding, as after SET client_encoding.
func (l *lexer) slashEncoding(enc string, at Pos, i, end int) {
	p := l.p
	s := l.metaStatement("set client_encoding to '"+strings.ReplaceAll(enc, "'", "''")+"'", at, i, end)
	s.coldPart().hidden = true
	if cleanEncoding(enc) != cleanEncoding(p.enc) {
		f := l.f
		off := l.endOff(end)
		next := len(f.src)
		if nl := bytes.IndexByte(f.src[off:], '\n'); nl >= 0 {
			next = off + nl + 1
		}
		f.encs = append(f.encs, encChange{off: next, enc: enc, pos: at})
		p.enc = enc
	}
}

// Hidden reports a statement that psql sends outside its query log (psql -L, ECHO
// all): the SET of \encoding.
func (s *Statement) Hidden() bool {
	c := s.cold()
	return c != nil && (c.hidden || c.largeObject != nil)
}

// LargeObjectImported records the object an \lo_import made: psql sets LASTOID to it.
func (st *State) LargeObjectImported(oid uint32) {
	st.vars["LASTOID"] = strconv.FormatUint(uint64(oid), 10)
}
