package queries

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
)

// This file holds what qrun reads of psql's client-side commands that act when a
// statement runs: the ON_ERROR_ROLLBACK setting, \copy and \connect.

// onErrorRollback follows psql's ON_ERROR_ROLLBACK variable as statements are read.
type onErrorRollback struct {
	last string // the value last parsed
	on   bool
}

// onErrorRollback returns the ON_ERROR_ROLLBACK setting for the statement being built, as
// psql reads the variable when it sends a statement: on, or off when it is off,
// interactive (off for a script, as under psql -f) or unset. checkBuiltin keeps values
// psql rejects out of the variables.
func (p *parser) onErrorRollback() bool {
	v, ok, dyn := p.vt.lookup("ON_ERROR_ROLLBACK")
	if !ok || dyn {
		return false // unset, or set at run time: qrun reads it when loading
	}
	if v != p.oer.last || v == "" {
		on, _ := slashBool(v)
		p.oer = onErrorRollback{last: v, on: on}
	}
	return p.oer.on
}

// slashBool parses a boolean as psql's ParseVariableBool does: any prefix of true,
// false, yes or no, a prefix of at least two letters of on or off, 1 or 0, ignoring case.
func slashBool(v string) (val, ok bool) {
	n := len(v)
	prefix := func(word string, minLen int) bool {
		return n >= minLen && n <= len(word) && strings.EqualFold(v, word[:n])
	}
	switch {
	case prefix("true", 1), prefix("yes", 1), prefix("on", 2), v == "1":
		return true, true
	case prefix("false", 1), prefix("no", 1), prefix("off", 2), v == "0":
		return false, true
	}
	return false, false
}

// tokenizer splits a meta-command's argument as psql's strtokx does
// (src/bin/psql/stringutils.c), keeping where each token starts.
type tokenizer struct {
	s   string
	pos int
}

// next returns the next token and its offset in s, or ok false at the end. whitespace
// separates tokens; each byte of delim is a token of its own; a token starting with a
// byte of quote runs to the matching quote (doubled inside, or after escape when it is
// not 0); eStrings reads E'...' as a quoted token with backslash escapes; delQuotes strips
// the quotes. The byte after a token is eaten when it is whitespace.
func (t *tokenizer) next(whitespace, delim, quote string, escape byte, eStrings, delQuotes bool) (tok string, at int, ok bool) {
	s := t.s
	i := t.pos
	for i < len(s) && strings.IndexByte(whitespace, s[i]) >= 0 {
		i++
	}
	if i >= len(s) {
		t.pos = i
		return "", i, false
	}
	start := i
	end := func(p int) {
		if p < len(s) && strings.IndexByte(whitespace, s[p]) >= 0 {
			p++
		}
		t.pos = p
	}
	if strings.IndexByte(delim, s[i]) >= 0 {
		end(i + 1)
		return s[i : i+1], start, true
	}
	p := i
	if eStrings && (s[p] == 'E' || s[p] == 'e') && p+1 < len(s) && s[p+1] == '\'' {
		quote, escape = "'", '\\'
		p++
	}
	if strings.IndexByte(quote, s[p]) >= 0 {
		q := s[p]
		p++
		for p < len(s) {
			switch {
			case s[p] == escape && escape != 0 && p+1 < len(s):
				p += 2
				continue
			case s[p] == q && p+1 < len(s) && s[p+1] == q:
				p += 2
				continue
			case s[p] == q:
				p++
			default:
				p++
				continue
			}
			break
		}
		tok = s[start:p]
		end(p)
		if delQuotes {
			tok = stripQuotes(tok, q, escape)
		}
		return tok, start, true
	}
	p = start
	for p < len(s) && strings.IndexByte(whitespace, s[p]) < 0 && strings.IndexByte(delim, s[p]) < 0 && strings.IndexByte(quote, s[p]) < 0 {
		p++
	}
	end(p)
	return s[start:p], start, true
}

// rest returns what is left of the argument, as strtokx with no whitespace does.
func (t *tokenizer) rest() (string, bool) {
	if t.pos >= len(t.s) {
		return "", false
	}
	r := t.s[t.pos:]
	t.pos = len(t.s)
	return r, true
}

// stripQuotes removes the quotes of a token as psql's strip_quotes does: the leading and
// trailing quote, one of each doubled quote, and escape before any byte.
func stripQuotes(s string, quote, escape byte) string {
	var b strings.Builder
	i := 0
	if i < len(s) && s[i] == quote {
		i++
	}
	for i < len(s) {
		c := s[i]
		switch {
		case c == quote && i+1 == len(s):
			return b.String()
		case c == quote && s[i+1] == quote:
			i++
		case c == escape && escape != 0 && i+1 < len(s):
			i++
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// slashCopyArgs is a \copy command line, parsed as psql's parse_slash_copy parses it
// (src/bin/psql/copy.c).
type slashCopyArgs struct {
	before  string // the COPY text before FROM or TO
	after   string // the COPY options after the file
	from    bool
	file    string // as written, quotes stripped; "" for stdin, stdout, pstdin, pstdout
	fileAt  int    // offset of the file name in the argument
	pstd    bool   // pstdin or pstdout
	program bool
}

// parseSlashCopy parses the argument of \copy. scs is standard_conforming_strings, which
// decides whether a backslash escapes a quote in a COPY (query). Its error is psql's
// message.
func parseSlashCopy(arg string, scs bool) (c slashCopyArgs, msg string) {
	const ws = " \t\n\r"
	var nonstd byte
	if !scs {
		nonstd = '\\'
	}
	t := &tokenizer{s: arg}
	var (
		tok string
		at  int
		ok  bool
	)
	fail := func() (slashCopyArgs, string) {
		if ok {
			return slashCopyArgs{}, `\copy: parse error at "` + tok + `"`
		}
		return slashCopyArgs{}, `\copy: parse error at end of line`
	}
	var before strings.Builder
	if tok, _, ok = t.next(ws, ".,()", `"`, 0, false, false); !ok {
		return fail()
	}
	if strings.EqualFold(tok, "binary") {
		before.WriteString(tok)
		if tok, _, ok = t.next(ws, ".,()", `"`, 0, false, false); !ok {
			return fail()
		}
	}
	if tok[0] == '(' { // COPY (query)
		for parens := 1; parens > 0; {
			before.WriteByte(' ')
			before.WriteString(tok)
			if tok, _, ok = t.next(ws, "()", `"'`, nonstd, true, false); !ok {
				return fail()
			}
			switch tok[0] {
			case '(':
				parens++
			case ')':
				parens--
			}
		}
	}
	before.WriteByte(' ')
	before.WriteString(tok)
	if tok, _, ok = t.next(ws, ".,()", `"`, 0, false, false); !ok {
		return fail()
	}
	if tok[0] == '.' { // schema . table
		before.WriteString(tok)
		if tok, _, ok = t.next(ws, ".,()", `"`, 0, false, false); !ok {
			return fail()
		}
		before.WriteString(tok)
		if tok, _, ok = t.next(ws, ".,()", `"`, 0, false, false); !ok {
			return fail()
		}
	}
	if tok[0] == '(' { // a column list
		for {
			before.WriteByte(' ')
			before.WriteString(tok)
			if tok, _, ok = t.next(ws, "()", `"`, 0, false, false); !ok {
				return fail()
			}
			if tok[0] == ')' {
				break
			}
		}
		before.WriteByte(' ')
		before.WriteString(tok)
		if tok, _, ok = t.next(ws, ".,()", `"`, 0, false, false); !ok {
			return fail()
		}
	}
	switch {
	case strings.EqualFold(tok, "from"):
		c.from = true
	case strings.EqualFold(tok, "to"):
	default:
		return fail()
	}
	if tok, at, ok = t.next(ws, ";", "'", 0, false, false); !ok {
		return fail()
	}
	switch {
	case strings.EqualFold(tok, "program"):
		if tok, at, ok = t.next(ws, ";", "'", 0, false, false); !ok {
			return fail()
		}
		if len(tok) < 2 || tok[0] != '\'' || tok[len(tok)-1] != '\'' {
			return fail()
		}
		c.program, c.file, c.fileAt = true, stripQuotes(tok, '\'', 0), at
	case strings.EqualFold(tok, "stdin") || strings.EqualFold(tok, "stdout"):
	case strings.EqualFold(tok, "pstdin") || strings.EqualFold(tok, "pstdout"):
		c.pstd = true
	default:
		c.file, c.fileAt = stripQuotes(tok, '\'', 0), at
	}
	c.after, _ = t.rest()
	c.before = before.String()
	return c, ""
}

// sql is the COPY command psql sends for a \copy.
func (c *slashCopyArgs) sql() string {
	dir := " TO STDOUT "
	if c.from {
		dir = " FROM STDIN "
	}
	return "COPY " + c.before + dir + c.after
}

// ClientCopy describes a client-side copy, a \copy command: the statement's SQL is the
// COPY ... FROM STDIN or COPY ... TO STDOUT that psql sends, and the client reads or
// writes the data:
//
//   - from a file or to a file: Path;
//   - from stdin: the data lines that follow in the script (Statement.CopyData, and
//     IsCopyFromStdin is set, as for COPY ... FROM STDIN);
//   - from pstdin: the standard input of qrun (Std);
//   - to stdout or pstdout: the standard output, which carries qrun's report (Std for
//     pstdout).
type ClientCopy struct {
	// From reports a \copy ... from; false is \copy ... to.
	From bool
	// Path is the file read or written, as psql opens it: relative to the working
	// directory, a leading ~ expanded. It is "" for the standard streams.
	Path string
	// PathPos is where the file name is written.
	PathPos Pos
	// Std reports pstdin or pstdout.
	Std bool
}

// ClientCopy returns what the statement's \copy reads or writes, or nil for a statement
// that is not a \copy.
func (s *Statement) ClientCopy() *ClientCopy {
	if c := s.cold(); c != nil {
		return c.clientCopy
	}
	return nil
}

// clientCopies is what the parser remembers of the \copy commands it has read.
type clientCopies struct {
	stdinScript bool            // a file of the script is standard input
	written     map[string]bool // absolute paths of the files a \copy ... to writes
}

// slashCopy runs the \copy whose backslash is at offset i of the buffer, its name ending
// at nameEnd and its line at end: it adds a statement that sends psql's COPY command,
// before the statement being read if there is one (psql runs \copy at once), with the
// data lines that follow for \copy ... from stdin. It returns where lexing goes on.
func (l *lexer) slashCopy(args []string, i, nameEnd, end int) int {
	p := l.p
	src := l.f.src
	var c slashCopyArgs
	msg := `\copy: arguments required`
	if len(args) > 0 {
		c, msg = parseSlashCopy(args[0], p.scs)
	}
	inline := msg == "" && c.from && c.file == "" && !c.pstd && !c.program
	// The data lines of \copy ... from stdin follow the line, after those of a COPY
	// earlier on the line. (A \copy psql cannot parse reads none: psql reads its lines
	// as SQL.)
	dataEnd := end
	var data []byte
	if inline {
		data = []byte{}
		start := -1
		if l.jumpAt >= 0 {
			start = l.jumpTo
		} else if end < len(src) && src[end] == '\n' {
			start = end + 1
			l.jumpAt = end
		}
		if start >= 0 {
			stop, next := copyData(src, start)
			data = src[start:stop:stop]
			l.jumpTo, dataEnd = next, next
		}
	}
	if p.split != nil {
		return end
	}
	at := l.f.pos(i)
	if msg != "" {
		p.errs.Add(at, msg)
		return end
	}
	if c.program {
		p.errs.AddErr(at, `\copy ... program is not supported`, ErrUnsupported)
		return end
	}
	argOff := nameEnd
	for argOff < end && isSlashSpace(src[argOff]) {
		argOff++
	}
	cc := &ClientCopy{From: c.from, Std: c.pstd}
	if c.file != "" {
		cc.Path = expandTilde(c.file)
		cc.PathPos = l.f.pos(argOff + c.fileAt)
		if !p.checkCopyFile(cc) {
			return end
		}
	}
	if cc.From && cc.Std && p.copies.stdinScript {
		p.errs.Add(at, `\copy from pstdin: standard input is the script ("-"), read before anything runs`)
		return end
	}

	s := p.newStmt()
	s.SQL = c.sql()
	s.flags = flagToken // COPY ...
	start := i
	if !l.started && l.prevEnd <= i {
		// (After a COPY ... FROM STDIN on the same line, prevEnd is past its data.)
		start = l.prevEnd
		p.annotate(l.f, s, p.n-1, l.prevEnd, i)
	}
	if src := p.source(l.f, p.oesFor(l.f, dataEnd)); s.src == nil {
		s.src = src
	} else {
		s.src.file, s.src.stage, s.src.stageIndex, s.src.conn = src.file, src.stage, src.stageIndex, src.conn
		s.src.guard, s.src.oes, s.src.scsOff = src.guard, src.oes, src.scsOff
	}
	if len(p.pending) > 0 {
		// Meta-commands acting at run time before this \copy (\echo, \set, ...).
		s.coldPart().rt = &stmtRT{pre: p.pending}
		p.pending = nil
	}
	p.vt.statement()
	s.setSpan(at, start, dataEnd)
	s.OnErrorRollback = p.onErrorRollback()
	cold := s.coldPart()
	cold.clientCopy = cc
	// The server's error positions count in the generated COPY: they all point to the
	// \copy.
	cold.posMap = []posMark{{sqlOff: 0, src: at, fixed: true}}
	if inline {
		s.IsCopyFromStdin = true
		cold.copyData = data
	}
	if !l.started {
		l.prevEnd = max(l.prevEnd, dataEnd)
	}
	return end
}

// checkCopyFile checks the file of a \copy before anything runs: a file to read must
// exist, unless an earlier \copy ... to writes it, and neither may be a directory. It
// reports false after recording an error.
func (p *parser) checkCopyFile(cc *ClientCopy) bool {
	abs, err := filepath.Abs(cc.Path)
	if err != nil {
		abs = cc.Path
	}
	fi, err := os.Stat(cc.Path)
	switch {
	case err == nil && fi.IsDir():
		p.errs.AddErr(cc.PathPos, fmt.Sprintf(`\copy: %s: cannot copy from/to a directory`, cc.Path), ErrIsDir)
		return false
	case cc.From && err != nil && !p.copies.written[abs]:
		p.errs.AddErr(cc.PathPos, fmt.Sprintf(`\copy: cannot read %s: %s`, cc.Path, pathErr(err)), err)
		return false
	case !cc.From:
		if p.copies.written == nil {
			p.copies.written = map[string]bool{}
		}
		p.copies.written[abs] = true
	}
	return true
}

// pathErr is the reason of a file error, without the operation and the path.
func pathErr(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// expandTilde expands a leading ~ or ~user as psql's expand_tilde does; a name it cannot
// expand is left as written.
func expandTilde(path string) string {
	if !strings.HasPrefix(path, "~") {
		return path
	}
	name, rest, _ := strings.Cut(path[1:], "/")
	var home string
	if name == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return path
		}
		home = h
	} else {
		u, err := user.Lookup(name)
		if err != nil {
			return path
		}
		home = u.HomeDir
	}
	if rest == "" && !strings.Contains(path, "/") {
		return home
	}
	return home + "/" + rest
}

// Connect is a \connect (\c) command: the statements after it run on a new connection,
// made as psql makes it from the previous connection's parameters (which only the runner
// knows). Statement.Connect returns the one in effect.
type Connect struct {
	// Pos is where the command is written.
	Pos Pos
	// Reuse is the -reuse-previous option: ReuseDefault when it is not given.
	Reuse Reuse
	// Database is the first argument: a database name, or a connection string or URL
	// (ConnString). User, Host and Port are the others. Each is "" when it is not given
	// or given as "-" (as before).
	Database, User, Host, Port string
	// ConnString reports that Database is a connection string (it holds "=") or a URL
	// (postgres:// or postgresql://).
	ConnString bool
}

// Reuse is \connect's -reuse-previous option.
type Reuse uint8

const (
	// ReuseDefault reuses the previous parameters unless a connection string is given.
	ReuseDefault Reuse = iota
	// ReuseOn (-reuse-previous=on) reuses them, with a connection string's on top.
	ReuseOn
	// ReuseOff (-reuse-previous=off) starts from the defaults (the environment).
	ReuseOff
)

// Connect returns the \connect in effect for the statement, nil when it runs on the
// run's own connection.
func (s *Statement) Connect() *Connect {
	if s.src == nil {
		return nil
	}
	return s.src.conn
}

// connect reads the arguments of a \c or \connect at pos, as psql's exec_command_connect
// and do_connect read them.
func (p *parser) connect(args []string, at Pos) {
	c := &Connect{Pos: at}
	for i := range args {
		args[i] = dequoteIdent(args[i])
	}
	const prefix = "-reuse-previous="
	if len(args) > 0 && strings.HasPrefix(args[0], prefix) {
		on, ok := slashBool(args[0][len(prefix):])
		if !ok {
			p.errs.Add(at, fmt.Sprintf(`\connect: unrecognized value %q for "-reuse-previous": Boolean expected`, args[0][len(prefix):]))
			return
		}
		c.Reuse = ReuseOff
		if on {
			c.Reuse = ReuseOn
		}
		args = args[1:]
	}
	if len(args) > 4 {
		p.errs.Add(at, fmt.Sprintf(`\connect: extra argument %q`, args[4]))
		return
	}
	fields := []*string{&c.Database, &c.User, &c.Host, &c.Port}
	for i, a := range args {
		if a != "-" {
			*fields[i] = a
		}
	}
	c.ConnString = strings.HasPrefix(c.Database, "postgresql://") || strings.HasPrefix(c.Database, "postgres://") ||
		strings.Contains(c.Database, "=")
	if c.ConnString && (c.User != "" || c.Host != "" || c.Port != "") {
		p.errs.Add(at, `\connect: do not give user, host, or port separately when using a connection string`)
		return
	}
	p.conn = c
}

// dequoteIdent removes double quotes from a \connect argument as psql's OT_SQLIDHACK
// does: "" inside quotes stands for one, and case is kept.
func dequoteIdent(a string) string {
	if strings.IndexByte(a, '"') < 0 {
		return a
	}
	var b strings.Builder
	in := false
	for i := 0; i < len(a); i++ {
		if a[i] == '"' {
			if in && i+1 < len(a) && a[i+1] == '"' {
				b.WriteByte('"')
				i++
				continue
			}
			in = !in
			continue
		}
		b.WriteByte(a[i])
	}
	return b.String()
}
