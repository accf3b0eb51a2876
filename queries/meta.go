package queries

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// colon handles a ':' in plain SQL: a cast, or a psql variable reference.
func (l *lexer) colon() {
	b := l.buf[:l.limit()]
	i := l.pos
	n := len(b)
	if i+1 >= n {
		l.text(i, i+1)
		return
	}
	p := l.p
	switch c := b[i+1]; {
	case c == ':':
		l.text(i, i+2) // a cast, never a variable
		return
	case l.skipping:
		// psql substitutes no variable in an inactive \if branch.
	case varChar[c]:
		j := i + 1
		for j < n && varChar[b[j]] {
			j++
		}
		name := string(b[i+1 : j])
		v, ok, dyn := p.lookupVar(name)
		if dyn {
			l.dynRef(i, j, name, refBare)
			return
		}
		if ok && !p.expanding[name] {
			l.expand(i, j, name, v)
			return
		}
		l.text(i, j)
		return
	case c == '\'' || c == '"':
		j := i + 2
		for j < n && varChar[b[j]] {
			j++
		}
		if j > i+2 && j < n && b[j] == c {
			name := string(b[i+2 : j])
			v, ok, dyn := p.lookupVar(name)
			if dyn {
				l.dynRef(i, j+1, name, map[byte]refKind{'\'': refLiteral, '"': refIdent}[c])
				return
			}
			if ok {
				l.insert(i, j+1, quoteVar(v, c), true)
				return
			}
			l.text(i, j+1)
			return
		}
	case c == '{':
		if i+2 < n && b[i+2] == '?' {
			j := i + 3
			for j < n && varChar[b[j]] {
				j++
			}
			if j > i+3 && j < n && b[j] == '}' {
				name := string(b[i+3 : j])
				_, ok, dyn := p.lookupVar(name)
				if dyn {
					l.dynRef(i, j+1, name, refTest)
					return
				}
				l.insert(i, j+1, boolWord(ok), true)
				return
			}
		}
	}
	l.text(i, i+1)
}

func boolWord(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

// quoteVar quotes a variable's value as psql's :'name' (a literal, with PQescapeLiteral's
// rules) or :"name" (an identifier) does.
func quoteVar(v string, q byte) string {
	var b strings.Builder
	if q == '\'' && strings.IndexByte(v, '\\') >= 0 {
		b.WriteString(" E")
	}
	b.WriteByte(q)
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == q || q == '\'' && c == '\\' {
			b.WriteByte(c)
		}
		b.WriteByte(c)
	}
	b.WriteByte(q)
	return b.String()
}

// expand lexes the value of variable name in place of buf[i:j], as psql pushes the value
// onto its input and lexes it again.
func (l *lexer) expand(i, j int, name, v string) {
	if l.started {
		l.flush(i)
	}
	if l.inVar == 0 {
		l.varRef, l.varEnd = i, j
	}
	buf, str := l.buf, l.str
	l.p.expanding[name] = true
	l.inVar++
	l.buf, l.str, l.pos = stringBytes(v), v, 0
	if l.started {
		l.seg = 0
	}
	l.run()
	if l.started {
		l.flush(len(l.buf))
	}
	l.inVar--
	delete(l.p.expanding, name)
	l.buf, l.str, l.pos = buf, str, j
	if l.started {
		l.seg = j
	}
}

// backslash handles a '\' in plain SQL: "\;" and "\:" put their character into the
// statement; anything else is a meta-command.
func (l *lexer) backslash() {
	b := l.buf[:l.limit()]
	i := l.pos
	if c := b[i+1]; c == ';' || c == ':' {
		if c == ';' {
			l.idCount = 0
			l.multi = true
		}
		l.insert(i, i+2, l.str[i+1:i+2], false)
		return
	}
	if l.inVar > 0 || l.p.valueOf != "" {
		l.p.errs.AddErr(l.f.pos(l.varRef), "meta-command in the value of a variable is not supported", ErrUnsupported)
		l.pos = len(b)
		return
	}
	if l.started {
		l.flush(i)
	}
	end := l.meta(b, i)
	l.pos = end
	if l.started {
		l.seg = end
	}
}

// ErrUnsupported is the Err of an Error for valid psql input that qrun does not
// support: a meta-command that needs a terminal, a shell or client files (\!, \e,
// \prompt, ...).
var ErrUnsupported = errors.New("not supported by qrun")

// cmdKind says what qrun does with a meta-command.
type cmdKind uint8

const (
	cmdInvalid     cmdKind = iota // not a psql 15 meta-command
	cmdDisplay                    // only changes or produces display output: skipped with a warning
	cmdReject                     // refused, for the reason in cmdInfo.why
	cmdUnsupported                // not supported yet
	cmdCopy                       // \copy: a statement of its own (clientcopy.go)
	cmdConnect                    // \c, \connect (clientcopy.go)
	cmdSet
	cmdUnset
	cmdInclude
	cmdRestrict
	cmdSend // \g, \gx, \crosstabview: end and send the statement
	cmdGset
	cmdGexec
	cmdGdesc
	cmdQuit
	cmdEcho // \echo, \qecho, \warn
	cmdOut
	cmdGetenv
	cmdSetenv
	cmdIf
	cmdElif
	cmdElse
	cmdEndif
	cmdReset
	cmdEncoding
	cmdLargeObject // \lo_import, \lo_export, \lo_unlink, \lo_list (lo.go)
)

// cmdInfo describes a meta-command: what it does, whether psql reads the rest of the
// line as its argument (OT_WHOLE_LINE), or takes a file name that may be a |pipe.
type cmdInfo struct {
	kind  cmdKind
	whole bool
	pipe  bool
	why   string
}

// lookupCmd returns what qrun does with meta-command \name, after psql 15's exec_command.
func lookupCmd(name string) cmdInfo {
	switch name {
	case "set":
		return cmdInfo{kind: cmdSet}
	case "unset":
		return cmdInfo{kind: cmdUnset}
	case "i", "include", "ir", "include_relative":
		return cmdInfo{kind: cmdInclude}
	case "restrict", "unrestrict":
		return cmdInfo{kind: cmdRestrict}
	case "g", "gx":
		return cmdInfo{kind: cmdSend, pipe: true}
	case "crosstabview":
		return cmdInfo{kind: cmdSend}
	case "gset":
		return cmdInfo{kind: cmdGset}
	case "gexec":
		return cmdInfo{kind: cmdGexec}
	case "gdesc":
		return cmdInfo{kind: cmdGdesc}
	case "q", "quit":
		return cmdInfo{kind: cmdQuit}
	case "echo", "qecho", "warn":
		return cmdInfo{kind: cmdEcho}
	case "o", "out":
		return cmdInfo{kind: cmdOut, pipe: true}
	case "getenv":
		return cmdInfo{kind: cmdGetenv}
	case "setenv":
		return cmdInfo{kind: cmdSetenv}
	case "if":
		return cmdInfo{kind: cmdIf}
	case "elif":
		return cmdInfo{kind: cmdElif}
	case "else":
		return cmdInfo{kind: cmdElse}
	case "endif":
		return cmdInfo{kind: cmdEndif}
	case "r", "reset":
		return cmdInfo{kind: cmdReset}
	case "encoding":
		return cmdInfo{kind: cmdEncoding}
	case "pset", "timing", "x", "a", "t", "T", "H", "html", "f", "C",
		"l", "l+", "list", "list+", "z", "errverbose", "conninfo", "copyright", "?", "p", "print", "s":
		return cmdInfo{kind: cmdDisplay}
	case "h", "help", "sf", "sf+", "sv", "sv+":
		return cmdInfo{kind: cmdDisplay, whole: true}
	case "!":
		return cmdInfo{kind: cmdReject, whole: true, why: "runs a shell command: qrun does not run shell commands from scripts"}
	case "e", "edit":
		return cmdInfo{kind: cmdReject, why: "opens an editor: qrun runs scripts without a terminal"}
	case "ef", "ev":
		return cmdInfo{kind: cmdReject, whole: true, why: "opens an editor: qrun runs scripts without a terminal"}
	case "prompt":
		return cmdInfo{kind: cmdReject, why: "reads a value from the terminal: qrun runs scripts without one (set the variable with -v NAME=VALUE)"}
	case "password":
		return cmdInfo{kind: cmdReject, why: "reads a password from the terminal: qrun runs scripts without one (use ALTER ROLE ... PASSWORD)"}
	case "cd":
		return cmdInfo{kind: cmdReject, why: "changes the working directory: not supported (\\ir includes a file relative to the script)"}
	case "w", "write":
		return cmdInfo{kind: cmdReject, pipe: true, why: "writes the query buffer to a file or a command: not supported"}
	case "watch":
		return cmdInfo{kind: cmdReject, why: "repeats a query until it is interrupted: not supported"}
	case "lo_import", "lo_export", "lo_unlink", "lo_list", "lo_list+":
		return cmdInfo{kind: cmdLargeObject}
	case "copy":
		return cmdInfo{kind: cmdCopy, whole: true}
	case "c", "connect":
		return cmdInfo{kind: cmdConnect}
	}
	if strings.HasPrefix(name, "d") {
		return cmdInfo{kind: cmdDisplay}
	}
	return cmdInfo{kind: cmdInvalid}
}

// meta runs the meta-command whose backslash is at b[i] and returns the index after it.
func (l *lexer) meta(b []byte, i int) int {
	p := l.p
	j := i + 1
	for j < len(b) && !isSlashSpace(b[j]) && b[j] != '\\' {
		j++
	}
	name := string(b[i+1 : j])
	info := lookupCmd(name)
	if p.split != nil {
		al := l.args(b, j, info, false)
		switch info.kind {
		case cmdSend, cmdGset, cmdGexec, cmdGdesc:
			if l.started {
				l.emit(l.endOff(al.end))
				l.depth, l.begin = 0, 0
			}
		case cmdCopy:
			return l.slashCopy(al.args, i, j, al.end)
		}
		return al.end
	}
	p.metas++
	at := l.f.pos(i)
	if p.restricted != "" && name != "unrestrict" {
		// pg_dump's \restrict: psql refuses every other meta-command until \unrestrict.
		p.errs.Add(at, fmt.Sprintf("backslash commands are restricted (\\restrict at %s); only \\unrestrict is allowed", p.restrictedAt))
		return l.lineEnd(b, j)
	}
	switch info.kind {
	case cmdIf, cmdElif, cmdElse, cmdEndif:
		return l.conditional(b, i, j, name, info, at)
	}
	if l.skipping {
		// psql runs no meta-command but the conditional ones in an inactive branch, and
		// expands no variable in their arguments; an unknown command is still an error.
		al := l.args(b, j, info, false)
		if info.kind == cmdInvalid {
			p.errs.Add(at, fmt.Sprintf("invalid command \\%s", name))
			return l.lineEnd(b, j)
		}
		return al.end
	}
	if info.kind == cmdInvalid {
		p.errs.Add(at, fmt.Sprintf("invalid command \\%s", name))
		return l.lineEnd(b, j)
	}
	al := l.args(b, j, info, true)
	end := al.end
	fail := func(format string, a ...any) int {
		p.errs.Add(at, fmt.Sprintf(format, a...))
		return end
	}
	if al.bad != "" {
		p.errs.Add(l.f.pos(al.badAt), fmt.Sprintf("\\%s: %s", name, al.bad))
		return end
	}
	args := al.args
	switch info.kind {
	case cmdSet:
		if len(args) == 0 {
			p.warn(name, at, "")
			return end
		}
		if al.dynArg[0] {
			p.errs.AddErr(at, "\\set: a variable name known only at run time is not supported", ErrUnsupported)
			return end
		}
		if !validVarName(args[0]) {
			return fail("\\set: invalid variable name %q", args[0])
		}
		l.setVar(at, i, args[0], strings.Join(args[1:], ""), false, al)
	case cmdUnset:
		if len(args) == 0 {
			return fail("\\unset: missing required argument")
		}
		if al.dynArg[0] {
			p.errs.AddErr(at, "\\unset: a variable name known only at run time is not supported", ErrUnsupported)
			return end
		}
		l.setVar(at, i, args[0], "", true, al)
	case cmdInclude:
		if len(args) == 0 {
			return fail("\\%s: missing required argument", name)
		}
		if al.dynArg[0] {
			l.runtimeInclude(at, i, name, al)
			return end
		}
		p.loadFile(l.includePath(name, args[0]), at, false)
	case cmdRestrict:
		// pg_dump's guard against a malicious server: between \restrict KEY and
		// \unrestrict KEY psql runs no other meta-command.
		switch {
		case len(args) == 0:
			return fail("\\%s: missing required argument", name)
		case name == "restrict":
			p.restricted, p.restrictedAt = args[0], at
		case p.restricted == "":
			return fail("\\unrestrict: not currently in restricted mode")
		case args[0] != p.restricted:
			return fail("\\unrestrict: wrong key")
		default:
			p.restricted = ""
		}
	case cmdSend:
		if len(args) > 0 || name == "crosstabview" {
			p.warn(name, at, fmt.Sprintf("\\%s: qrun shows no query results: the query is sent and its output options are ignored", name))
		}
		l.send(at, i, end, sendPlain, nil)
	case cmdGset:
		if !l.startedOrPrev() {
			return end
		}
		l.goLive() // before the \gset makes its variables run-time ones
		if len(args) > 0 && al.dynArg[0] {
			p.vt.gsetAll("")
		} else {
			prefix := ""
			if len(args) > 0 {
				prefix = args[0]
			}
			p.vt.gsetAll(prefix)
		}
		a := l.newAction(actGset, at, i, name, al)
		l.send(at, i, end, sendGset, a)
	case cmdGexec:
		if !l.startedOrPrev() {
			return end
		}
		l.goLive()
		l.send(at, i, end, sendGexec, nil)
	case cmdGdesc:
		// psql prepares the query to describe its result columns, and runs nothing.
		p.warn(name, at, "\\gdesc: the query is prepared to describe its columns, not run, and qrun shows no description")
		l.send(at, i, end, sendGdesc, nil)
	case cmdCopy:
		if p.guard != nil {
			p.errs.AddErr(at, "\\copy under an \\if decided at run time is not supported", ErrUnsupported)
			return end
		}
		return l.slashCopy(args, i, j, end)
	case cmdConnect:
		if p.guard != nil || p.live {
			p.errs.AddErr(at, "\\"+name+" in a script that uses variables set at run time is not supported", ErrUnsupported)
			return end
		}
		p.connect(args, at)
	case cmdQuit:
		if p.guard != nil {
			p.record(l.newAction(actQuit, at, i, name, al))
			return end
		}
		p.quit = true
	case cmdEcho:
		a := l.newAction(actEcho, at, i, name, al)
		if al.dyn {
			l.goLive()
		}
		p.record(a)
	case cmdOut:
		if len(args) > 0 && strings.HasPrefix(args[0], "|") {
			p.errs.AddErr(at, "\\o |command pipes query output to a shell command: qrun runs no shell commands", ErrUnsupported)
			return end
		}
		p.warn(name, at, "\\o: qrun writes no query results: \\qecho output goes to the file, and query results are counted, not written")
		a := l.newAction(actOut, at, i, name, al)
		if al.dyn {
			l.goLive()
		}
		p.record(a)
	case cmdGetenv:
		if len(args) < 2 {
			return fail("\\getenv: missing required argument")
		}
		if al.dynArg[0] {
			p.errs.AddErr(at, "\\getenv: a variable name known only at run time is not supported", ErrUnsupported)
			return end
		}
		l.getenv(at, i, args[0], args[1], al)
	case cmdSetenv:
		if len(args) == 0 {
			return fail("\\setenv: missing required argument")
		}
		if al.dynArg[0] {
			p.errs.AddErr(at, "\\setenv: an environment variable name known only at run time is not supported", ErrUnsupported)
			return end
		}
		if strings.IndexByte(args[0], '=') >= 0 {
			return fail("\\setenv: environment variable name must not contain \"=\"")
		}
		l.setenv(at, i, args, al)
	case cmdReset:
		l.reset()
	case cmdLargeObject:
		l.largeObject(name, at, i, end, al)
	case cmdEncoding:
		if len(args) == 0 {
			p.warn(name, at, "")
			return end
		}
		if al.dynArg[0] {
			p.errs.AddErr(at, "\\encoding: an encoding known only at run time is not supported", ErrUnsupported)
			return end
		}
		l.slashEncoding(args[0], at, i, end)
	case cmdDisplay:
		if name == "s" && len(args) > 0 {
			p.errs.AddErr(at, "\\s FILE writes the command history to a file: not supported", ErrUnsupported)
			return end
		}
		p.warn(name, at, "")
	case cmdReject:
		p.errs.AddErr(at, "\\"+name+" "+info.why, ErrUnsupported)
	case cmdUnsupported:
		p.errs.AddErr(at, "unsupported meta-command \\"+name, ErrUnsupported)
	}
	return end
}

// lineEnd returns the index of the end of the line that holds b[j].
func (l *lexer) lineEnd(b []byte, j int) int {
	if k := bytes.IndexByte(b[j:], '\n'); k >= 0 {
		return j + k
	}
	return len(b)
}

// includePath resolves the file of an \i or \ir (relative to the including file).
func (l *lexer) includePath(name, path string) string {
	if (name == "ir" || name == "include_relative") && !filepath.IsAbs(path) && l.f.name != stdinName {
		path = filepath.Join(filepath.Dir(l.f.name), path)
	}
	return path
}

// reset empties the query buffer, as \r does (and \gdesc, which sends nothing here).
func (l *lexer) reset() {
	l.pieces = l.pieces[:0]
	l.refs = l.refs[:0]
	l.varAction = false
	l.started, l.tok, l.multi = false, false, false
	l.seg = -1
	l.depth, l.begin = 0, 0
	l.idCount = 0
	l.copyCand, l.fromSeen, l.setCand = false, false, false
	l.copyStdin = 0
}

// startedOrPrev reports whether a send command has a query to send: the one in the
// buffer or, psql's rule for an empty buffer, the previous one, which it then puts in the
// buffer.
func (l *lexer) startedOrPrev() bool {
	if l.started {
		return true
	}
	return l.resend()
}

// send ends the statement with a send command (\g, \gset, \gexec ...) whose backslash
// is at buffer index i.
func (l *lexer) send(at Pos, i, end int, kind sendKind, gset *Action) {
	if !l.started && !l.resend() {
		return // psql sends nothing when there is nothing to send
	}
	l.sendKind, l.gsetAct = kind, gset
	l.extra = true
	l.emit(l.endOff(end))
	l.depth, l.begin = 0, 0 // psql resets its lexer after a forced send
}

// resend puts the previous statement in the empty buffer, as psql's send commands do.
func (l *lexer) resend() bool {
	p := l.p
	// The previous statement sent: the last one but a run-time \i, which sends nothing.
	var prev *Statement
	for k := p.n - 1; k >= 0 && prev == nil; k-- {
		if st := p.stmt(k); st.rt() == nil || st.rt().include == nil {
			prev = st
		}
	}
	if prev == nil {
		return false
	}
	at := l.f.pos(l.pos)
	switch {
	case prev.rt() != nil && prev.rt().tmpl != nil, p.guard != nil || prev.guard() != nil:
		p.errs.AddErr(at, "resending the previous query with an empty query buffer is not supported here: its text is known only at run time", ErrUnsupported)
		return false
	case prev.IsCopyFromStdin:
		p.errs.AddErr(at, "resending a COPY ... FROM STDIN with an empty query buffer is not supported", ErrUnsupported)
		return false
	}
	l.startStmt(l.pos)
	l.pieces = append(l.pieces, piece{s: prev.SQL, off: l.pos, fixed: true})
	l.tok, l.multi = prev.flags&flagToken != 0, prev.flags&flagMulti != 0
	l.seg = -1
	return true
}

// warn records a skipped display-only or ignored meta-command; warnings are reported
// once per command name when loading ends. msg replaces the default message.
func (p *parser) warn(name string, at Pos, msg string) {
	if w, ok := p.warns[name]; ok {
		w.count++
		return
	}
	p.warns[name] = &warning{pos: at, count: 1, msg: msg}
	p.warnOrder = append(p.warnOrder, name)
}

func isSlashSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// validVarName reports whether psql accepts name as a variable name.
func validVarName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !varChar[name[i]] {
			return false
		}
	}
	return true
}

// argList is the lexed arguments of a meta-command.
type argList struct {
	args   []string
	quoted []bool // the argument held quotes (\echo -n counts only unquoted)
	dynArg []bool // the argument reads a variable known only at run time
	dyn    bool   // some argument does: lex them again at run time
	start  int    // buffer index where the arguments start
	end    int    // buffer index after them (and after a "\\")
	bad    string // the first problem found, at badAt
	badAt  int
}

// raw returns the argument text, to be lexed again at run time.
func (al *argList) raw(l *lexer) string {
	return l.str[al.start:al.end]
}

// args lexes a meta-command's arguments from b[j] as psql's option lexer does (OT_NORMAL,
// or OT_WHOLE_LINE for info.whole, or a |pipe for info.pipe), up to the end of the line
// or a "\\" (eaten) or another backslash command. Variables are expanded when expand is
// set: psql expands none in an inactive \if branch.
func (l *lexer) args(b []byte, j int, info cmdInfo, expand bool) argList {
	n := len(b)
	lineEnd := n
	if k := bytes.IndexByte(b[j:], '\n'); k >= 0 {
		lineEnd = j + k
	}
	al := argList{start: j}
	whole := info.whole
	if info.pipe && !whole {
		k := j
		for k < lineEnd && isSlashSpace(b[k]) {
			k++
		}
		whole = k < lineEnd && b[k] == '|'
	}
	if whole {
		if a := strings.TrimSpace(string(b[j:lineEnd])); a != "" {
			al.args = append(al.args, a)
			al.quoted = append(al.quoted, false)
			al.dynArg = append(al.dynArg, false)
		}
		al.end = lineEnd
		return al
	}
	setBad := func(msg string, at int) {
		if al.bad == "" && expand {
			al.bad, al.badAt = msg, at
		}
	}
	for {
		for j < lineEnd && isSlashSpace(b[j]) {
			j++
		}
		if j >= lineEnd {
			al.end = lineEnd
			return al
		}
		if b[j] == '\\' {
			if j+1 < lineEnd && b[j+1] == '\\' {
				al.end = j + 2
				return al
			}
			al.end = j
			return al
		}
		var a []byte
		quoted, dyn := false, false
		for j < lineEnd && !isSlashSpace(b[j]) && b[j] != '\\' {
			switch c := b[j]; c {
			case '\'':
				quoted = true
				start := j
				j++
				closed := false
			quotedLoop:
				for j < lineEnd {
					switch b[j] {
					case '\'':
						if j+1 < lineEnd && b[j+1] == '\'' {
							a = append(a, '\'')
							j += 2
							continue
						}
						j++
						closed = true
						break quotedLoop
					case '\\':
						var k int
						a, k = slashEscape(a, b[:lineEnd], j)
						j = k
					default:
						a = append(a, b[j])
						j++
					}
				}
				if !closed {
					setBad("unterminated quoted string", start)
				}
			case '`':
				quoted = true
				setBad("backquote command substitution is not supported: qrun does not run shell commands from scripts", j)
				k := bytes.IndexByte(b[j+1:lineEnd], '`')
				if k < 0 {
					a = append(a, b[j:lineEnd]...)
					j = lineEnd
				} else {
					a = append(a, b[j:j+k+2]...)
					j += k + 2
				}
			case '"':
				quoted = true
				k := bytes.IndexByte(b[j+1:lineEnd], '"')
				if k < 0 {
					a = append(a, b[j:lineEnd]...)
					setBad("unterminated quoted string", j)
					j = lineEnd
				} else {
					a = append(a, b[j:j+k+2]...)
					j += k + 2
				}
			case ':':
				if !expand {
					a = append(a, c)
					j++
					continue
				}
				var k int
				var d bool
				a, k, d = l.argVar(a, b[:lineEnd], j)
				dyn = dyn || d
				j = k
			default:
				a = append(a, c)
				j++
			}
		}
		al.args = append(al.args, string(a))
		al.quoted = append(al.quoted, quoted)
		al.dynArg = append(al.dynArg, dyn)
		al.dyn = al.dyn || dyn
	}
}

// slashEscape decodes the backslash escape at b[j] inside a quoted meta-command
// argument and returns the index after it.
func slashEscape(a, b []byte, j int) ([]byte, int) {
	if j+1 >= len(b) {
		return append(a, '\\'), j + 1
	}
	c := b[j+1]
	switch c {
	case 'n':
		return append(a, '\n'), j + 2
	case 't':
		return append(a, '\t'), j + 2
	case 'b':
		return append(a, '\b'), j + 2
	case 'r':
		return append(a, '\r'), j + 2
	case 'f':
		return append(a, '\f'), j + 2
	case 'x':
		k := j + 2
		for k < len(b) && k < j+4 && isHex(b[k]) {
			k++
		}
		if k > j+2 {
			v, _ := strconv.ParseUint(string(b[j+2:k]), 16, 8)
			return append(a, byte(v)), k
		}
		return append(a, 'x'), j + 2
	}
	if c >= '0' && c <= '7' {
		k := j + 1
		for k < len(b) && k < j+4 && b[k] >= '0' && b[k] <= '7' {
			k++
		}
		v, _ := strconv.ParseUint(string(b[j+1:k]), 8, 16)
		return append(a, byte(v)), k
	}
	return append(a, c), j + 2
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// argVar interpolates a variable reference at b[j] inside a meta-command argument;
// there, unlike in SQL, a value is inserted as it is, without being lexed again. dyn
// reports a variable known only at run time, whose reference is kept as written.
func (l *lexer) argVar(a, b []byte, j int) ([]byte, int, bool) {
	p := l.p
	n := len(b)
	if j+1 < n && varChar[b[j+1]] {
		k := j + 1
		for k < n && varChar[b[k]] {
			k++
		}
		v, ok, dyn := p.lookupVar(string(b[j+1 : k]))
		if ok {
			return append(a, v...), k, false
		}
		return append(a, b[j:k]...), k, dyn
	}
	if j+1 < n && (b[j+1] == '\'' || b[j+1] == '"') {
		q := b[j+1]
		k := j + 2
		for k < n && varChar[b[k]] {
			k++
		}
		if k > j+2 && k < n && b[k] == q {
			v, ok, dyn := p.lookupVar(string(b[j+2 : k]))
			if ok {
				return append(a, quoteVar(v, q)...), k + 1, false
			}
			return append(a, b[j:k+1]...), k + 1, dyn
		}
	}
	if j+2 < n && b[j+1] == '{' && b[j+2] == '?' {
		k := j + 3
		for k < n && varChar[b[k]] {
			k++
		}
		if k > j+3 && k < n && b[k] == '}' {
			_, ok, dyn := p.lookupVar(string(b[j+3 : k]))
			if dyn {
				return append(a, b[j:k+1]...), k + 1, true
			}
			return append(a, boolWord(ok)...), k + 1, false
		}
	}
	return append(a, ':'), j + 1, false
}

// setVar runs \set name value (or \unset name) at load time and, when the script uses
// run-time variables, records it to be replayed at run time.
func (l *lexer) setVar(at Pos, i int, name, value string, unset bool, al argList) {
	p := l.p
	if al.dyn {
		// The value is known only at run time.
		l.goLive()
		if _, _, msg, refuse := assign(name, "", unset); refuse {
			p.errs.AddErr(at, msg, ErrUnsupported)
			return
		}
		p.record(l.newAction(actSet, at, i, map[bool]string{true: "unset", false: "set"}[unset], al))
		if l.started {
			l.varAction, l.extra = true, true
		}
		p.vt.setDynamic(name)
		l.varChanged(name)
		return
	}
	v, defined, msg, refuse := assign(name, value, unset)
	if msg != "" {
		if refuse {
			p.errs.AddErr(at, msg, ErrUnsupported)
		} else {
			p.errs.Add(at, fmt.Sprintf("\\%s: %s", map[bool]string{true: "unset", false: "set"}[unset], msg))
		}
		return
	}
	if p.live {
		a := l.newAction(actSet, at, i, "set", al)
		a.name, a.value, a.unset = name, v, !defined
		p.record(a)
		if l.started {
			l.varAction, l.extra = true, true
		}
	}
	p.vt.set(name, v, !defined)
	if p.guard != nil {
		p.vt.setDynamic(name)
	}
	l.varChanged(name)
}

// varChanged follows a change of a variable that changes how qrun runs: ON_ERROR_STOP
// applies from the next input line on, as psql reads it at the start of each line.
func (l *lexer) varChanged(name string) {
	if name != "ON_ERROR_STOP" {
		return
	}
	p := l.p
	p.oesPrev, p.oesFile, p.oesOff = p.oesNow, l.f, l.off(l.pos)
	p.oesNow = p.oesMode()
}

// oesMode is what ON_ERROR_STOP says now.
func (p *parser) oesMode() uint8 {
	v, ok, dyn := p.vt.lookup("ON_ERROR_STOP")
	switch {
	case dyn:
		return oesDynamic
	case ok:
		if b, _ := ParseBool(v); b {
			return oesOn
		}
	}
	return oesOff
}

// getenv runs \getenv var envvar.
func (l *lexer) getenv(at Pos, i int, name, envvar string, al argList) {
	p := l.p
	if al.dyn || p.envDyn[envvar] || p.envAll {
		l.goLive()
		p.record(l.newAction(actGetenv, at, i, "getenv", al))
		if l.started {
			l.varAction, l.extra = true, true
		}
		p.vt.setDynamic(name)
		l.varChanged(name)
		return
	}
	v, ok := p.lookupEnv(envvar)
	if !ok {
		return // psql leaves the variable as it was
	}
	l.setVar(at, i, name, v, false, argList{})
}

// setenv runs \setenv name [value].
func (l *lexer) setenv(at Pos, i int, args []string, al argList) {
	p := l.p
	name := args[0]
	if al.dyn || p.guard != nil {
		l.goLive()
		p.record(l.newAction(actSetenv, at, i, "setenv", al))
		if p.envDyn == nil {
			p.envDyn = map[string]bool{}
		}
		p.envDyn[name] = true
		return
	}
	if p.env == nil {
		p.env = map[string]envValue{}
	}
	ev := envValue{unset: len(args) < 2}
	if !ev.unset {
		ev.value = strings.Join(args[1:], "")
	}
	p.env[name] = ev
	delete(p.envDyn, name)
	if p.live {
		a := l.newAction(actSetenv, at, i, "setenv", al)
		a.name, a.value, a.unset = name, ev.value, ev.unset
		p.record(a)
	}
}

// lookupEnv reads an environment variable as \getenv sees it at load time: after the
// \setenv commands before it.
func (p *parser) lookupEnv(name string) (string, bool) {
	if ev, ok := p.env[name]; ok {
		return ev.value, !ev.unset
	}
	return os.LookupEnv(name)
}

// runtimeInclude records an \i whose file name reads a variable known only at run time:
// a statement of its own that reads the file when it runs.
func (l *lexer) runtimeInclude(at Pos, i int, name string, al argList) {
	p := l.p
	if l.started {
		p.errs.AddErr(at, "\\"+name+" of a file named at run time in the middle of a statement is not supported", ErrUnsupported)
		return
	}
	l.goLive()
	// The file may change any variable: from here on all of them are known only at run
	// time.
	p.vt.gsetAll("")
	for k := range specials {
		p.vt.setDynamic(k)
	}
	p.envAll = true
	l.varChanged("ON_ERROR_STOP")
	a := l.newAction(actInclude, at, i, name, al)
	a.dir = ""
	if (name == "ir" || name == "include_relative") && l.f.name != stdinName {
		a.dir = filepath.Dir(l.f.name)
	}
	end := al.end
	l.startStmt(i)
	l.pieces = append(l.pieces, piece{s: strings.TrimRight(l.str[i:end], " \t\r"), off: i})
	l.tok = true
	l.seg = -1
	l.includeAct = a
	l.extra = true
	l.emit(l.endOff(end))
}

// ifState is the state of one \if block, as psql's conditional stack keeps it, with one
// more: a branch whose activity is decided only at run time.
type ifState uint8

const (
	ifTrue      ifState = iota // in the active branch
	ifFalse                    // no branch taken yet: this one is inactive
	ifIgnored                  // a branch was taken (or the block is inside an inactive one)
	ifElseTrue                 // in an active \else
	ifElseFalse                // in an inactive \else
	ifRuntime                  // in a branch that runs if its run-time condition says so
	ifDead                     // in a branch of a run-time block that never runs
)

// ifFrame is one open \if block.
type ifFrame struct {
	pos       Pos
	state     ifState
	cond      *Cond  // the block's run-time condition, once a \if or \elif read a run-time variable
	branch    int    // the branch being read, counted from the first run-time one (1)
	constTrue bool   // a branch of the run-time block is taken whatever happens: later ones never are
	elseSeen  bool   // \else has been read
	outer     *Guard // p.guard outside the block
	saved     textState
}

// textState is the query buffer to return to when an inactive branch ends (psql's
// save_query_text_state and discard_query_text).
type textState struct {
	pieces, refs int
	started      bool
	tok, multi   bool
	startOff     int
	depth        int
	copyStdin    int
}

func (l *lexer) saveText() textState {
	return textState{pieces: len(l.pieces), refs: len(l.refs), started: l.started, tok: l.tok, multi: l.multi, startOff: l.startOff, depth: l.depth, copyStdin: l.copyStdin}
}

func (l *lexer) restoreText(t textState) {
	l.pieces = l.pieces[:t.pieces]
	l.refs = l.refs[:t.refs]
	l.started, l.startOff, l.depth, l.copyStdin = t.started, t.startOff, t.depth, t.copyStdin
	l.tok, l.multi = t.tok, t.multi
	l.seg = -1
}

// inactive reports whether a branch in this state sends nothing.
func (s ifState) inactive() bool {
	return s == ifFalse || s == ifIgnored || s == ifElseFalse || s == ifDead
}

// conditional runs \if, \elif, \else or \endif.
func (l *lexer) conditional(b []byte, i, j int, name string, info cmdInfo, at Pos) int {
	p := l.p
	var top *ifFrame
	if n := len(l.conds); n > 0 {
		top = &l.conds[n-1]
	}
	evaluate := info.kind == cmdIf && !l.skipping || info.kind == cmdElif && top != nil && (top.state == ifFalse || top.state == ifRuntime || top.state == ifDead) && !top.constTrue
	al := l.args(b, j, info, evaluate)
	end := al.end
	if evaluate && al.bad != "" {
		p.errs.Add(l.f.pos(al.badAt), fmt.Sprintf("\\%s: %s", name, al.bad))
		return end
	}
	// cond reads the condition: its value when known at load time, or rt when it is
	// known only at run time.
	cond := func() (value, rt bool) {
		if al.dyn {
			return false, true
		}
		expr := strings.Join(al.args, " ")
		v, ok := ParseBool(expr)
		if !ok {
			p.errs.Add(at, boolError(expr, "\\"+name+" expression"))
		}
		return v, false
	}
	needNoText := func() bool {
		if l.started {
			p.errs.AddErr(at, fmt.Sprintf("a statement that continues across the \\%s of an \\if decided at run time is not supported: end it with ; before the \\%s", name, name), ErrUnsupported)
			return false
		}
		return true
	}
	// decide sets f's state from the condition of this \if or \elif: true, false, or
	// known only at run time (then the chain becomes a run-time one).
	decide := func(f *ifFrame) {
		v, rt := cond()
		switch {
		case rt:
			if !needNoText() {
				f.state = ifIgnored
				return
			}
			l.goLive()
			f.state, f.cond, f.branch = ifRuntime, &Cond{pos: at}, 1
			a := l.newAction(actIf, at, i, name, al)
			a.cond, a.branch = f.cond, 1
			p.record(a)
		case v:
			f.state = ifTrue
		default:
			f.state = ifFalse
		}
	}
	switch info.kind {
	case cmdIf:
		f := ifFrame{pos: at, outer: p.guard, saved: l.saveText()}
		switch {
		case l.skipping:
			f.state = ifIgnored
		default:
			decide(&f)
		}
		l.conds = append(l.conds, f)
	case cmdElif, cmdElse:
		if top == nil {
			p.errs.Add(at, fmt.Sprintf("\\%s: no matching \\if", name))
			return end
		}
		if top.elseSeen {
			p.errs.Add(at, fmt.Sprintf("\\%s: cannot occur after \\else", name))
			return end
		}
		if top.state.inactive() {
			l.restoreText(top.saved)
		} else {
			top.saved = l.saveText()
		}
		if info.kind == cmdElse {
			top.elseSeen = true
		}
		switch top.state {
		case ifTrue, ifElseTrue:
			top.state = ifIgnored
		case ifIgnored, ifElseFalse:
		case ifFalse:
			if info.kind == cmdElse {
				top.state = ifElseTrue
				break
			}
			decide(top)
		case ifRuntime, ifDead:
			if top.state == ifRuntime && !needNoText() {
				top.state = ifIgnored
				break
			}
			top.branch++
			if top.constTrue {
				top.state = ifDead
				break
			}
			kind := actElif
			if info.kind == cmdElse {
				kind = actElse
				top.constTrue = true
			} else if v, rt := cond(); !rt {
				if !v {
					top.state = ifDead
					break
				}
				top.constTrue = true
			}
			top.state = ifRuntime
			a := l.newAction(kind, at, i, name, al)
			a.guard = top.outer
			a.cond, a.branch = top.cond, top.branch
			p.act(a)
		}
	case cmdEndif:
		if top == nil {
			p.errs.Add(at, "\\endif: no matching \\if")
			return end
		}
		if top.state.inactive() {
			l.restoreText(top.saved)
		} else if top.state == ifRuntime {
			needNoText()
		}
		l.conds = l.conds[:len(l.conds)-1]
	}
	l.setGuard()
	return end
}

// setGuard derives the skipping flag and the run-time guard from the open \if blocks.
func (l *lexer) setGuard() {
	p := l.p
	l.skipping = false
	for k := range l.conds {
		if l.conds[k].state.inactive() {
			l.skipping = true
		}
	}
	g := l.outerGuard
	for k := range l.conds {
		f := &l.conds[k]
		if f.state == ifRuntime {
			g = &Guard{cond: f.cond, branch: f.branch, parent: g}
		}
	}
	if !guardEqual(g, p.guard) {
		p.guard = g
	}
}

func guardEqual(a, b *Guard) bool {
	for a != nil && b != nil {
		if a.cond != b.cond || a.branch != b.branch {
			return false
		}
		a, b = a.parent, b.parent
	}
	return a == nil && b == nil
}
