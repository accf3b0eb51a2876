package queries

import (
	"bytes"
	"errors"
	"fmt"
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
	switch c := b[i+1]; {
	case c == ':':
		l.text(i, i+2) // a cast, never a variable
		return
	case varChar[c]:
		j := i + 1
		for j < n && varChar[b[j]] {
			j++
		}
		name := b[i+1 : j]
		if v, ok := l.p.vars[string(name)]; ok && !l.p.expanding[string(name)] {
			l.expand(i, j, string(name), v)
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
			if v, ok := l.p.vars[string(b[i+2:j])]; ok {
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
				_, ok := l.p.vars[string(b[i+3:j])]
				l.insert(i, j+1, map[bool]string{true: "TRUE", false: "FALSE"}[ok], true)
				return
			}
		}
	}
	l.text(i, i+1)
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
		}
		l.insert(i, i+2, l.str[i+1:i+2], false)
		return
	}
	if l.inVar > 0 {
		l.p.errs = append(l.p.errs, &Error{Pos: l.f.pos(l.varRef), Msg: "meta-command in the value of a variable is not supported", Err: ErrUnsupported})
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
// support: a meta-command other than those documented, \g with arguments, several
// COPY ... FROM STDIN in one query string.
var ErrUnsupported = errors.New("not supported by qrun")

// Meta-commands that only change or produce display output: qrun skips them.
var displayOnly = map[string]bool{
	"pset": true, "echo": true, "qecho": true, "warn": true, "timing": true,
	"x": true, "a": true, "t": true, "T": true, "H": true, "html": true, "f": true, "C": true,
	"l": true, "l+": true, "list": true, "list+": true, "z": true, "z+": true,
	"sf": true, "sf+": true, "sv": true, "sv+": true, "conninfo": true, "errverbose": true,
	"h": true, "help": true, "?": true, "copyright": true,
}

// wholeLine reports whether psql reads the rest of the line as the command's argument.
func wholeLine(name string) bool {
	switch name {
	case "h", "help", "!", "copy", "sf", "sf+", "sv", "sv+":
		return true
	}
	return false
}

// meta runs the meta-command whose backslash is at b[i] and returns the index after it.
func (l *lexer) meta(b []byte, i int) int {
	p := l.p
	j := i + 1
	for j < len(b) && !isSlashSpace(b[j]) && b[j] != '\\' {
		j++
	}
	name := string(b[i+1 : j])
	args, end, bad, badAt := l.args(b, j, wholeLine(name))
	if p.split != nil {
		if name == "copy" {
			return l.slashCopy(args, i, j, end)
		}
		if (name == "g" || name == "gx") && len(args) == 0 && l.started {
			l.emit(l.endOff(end))
			l.depth, l.begin = 0, 0
		}
		return end
	}
	p.metas++
	at := l.f.pos(i)
	fail := func(format string, a ...any) int {
		p.errs.Add(at, fmt.Sprintf(format, a...))
		return end
	}
	unsupported := func(format string, a ...any) int {
		p.errs = append(p.errs, &Error{Pos: at, Msg: fmt.Sprintf(format, a...), Err: ErrUnsupported})
		return end
	}
	argErr := func() bool {
		if bad != "" {
			p.errs.Add(l.f.pos(badAt), fmt.Sprintf("\\%s: %s", name, bad))
			return true
		}
		return false
	}
	switch {
	case name == "set":
		if argErr() {
			return end
		}
		if len(args) == 0 {
			p.warn(name, at)
			return end
		}
		if !validVarName(args[0]) {
			return fail("\\set: invalid variable name %q", args[0])
		}
		if msg := checkBuiltin(args[0], strings.Join(args[1:], "")); msg != "" {
			return fail("\\set: %s", msg)
		}
		p.vars[args[0]] = strings.Join(args[1:], "")
	case name == "unset":
		if argErr() {
			return end
		}
		if len(args) == 0 {
			return fail("\\unset: missing required argument")
		}
		delete(p.vars, args[0])
	case name == "i" || name == "include" || name == "ir" || name == "include_relative":
		if argErr() {
			return end
		}
		if len(args) == 0 {
			return fail("\\%s: missing required argument", name)
		}
		path := args[0]
		if (name == "ir" || name == "include_relative") && !filepath.IsAbs(path) && l.f.name != stdinName {
			path = filepath.Join(filepath.Dir(l.f.name), path)
		}
		p.loadFile(path, at, false)
	case name == "restrict" || name == "unrestrict":
		// pg_dump's guard against a malicious server: no effect on the statements.
	case name == "g" || name == "gx":
		if len(args) > 0 || bad != "" {
			return unsupported("\\%s with arguments is not supported", name)
		}
		if !l.started {
			return fail("\\%s with an empty query buffer is not supported (psql would resend the previous query)", name)
		}
		l.emit(l.endOff(end))
		l.depth, l.begin = 0, 0 // psql resets its lexer after a forced send
	case name == "copy":
		return l.slashCopy(args, i, j, end)
	case name == "c" || name == "connect":
		if !argErr() {
			p.connect(args, at)
		}
	case name == "q" || name == "quit":
		p.quit = true
	case name == "encoding" && len(args) == 0:
		p.warn(name, at)
	case displayOnly[name] || strings.HasPrefix(name, "d"):
		p.warn(name, at)
	default:
		return unsupported("unsupported meta-command \\%s", name)
	}
	return end
}

// warn records a skipped display-only meta-command; warnings are reported once per
// command name when loading ends.
func (p *parser) warn(name string, at Pos) {
	if w, ok := p.warns[name]; ok {
		w.count++
		return
	}
	p.warns[name] = &warning{pos: at, count: 1}
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

// args lexes a meta-command's arguments from b[j] as psql's OT_NORMAL option lexer
// does, up to the end of the line or a "\\" (eaten) or another backslash command. It
// returns the arguments, the index after them and the first problem found, if any.
func (l *lexer) args(b []byte, j int, whole bool) (args []string, end int, bad string, badAt int) {
	n := len(b)
	lineEnd := n
	if k := bytes.IndexByte(b[j:], '\n'); k >= 0 {
		lineEnd = j + k
	}
	if whole {
		if a := strings.TrimSpace(string(b[j:lineEnd])); a != "" {
			args = append(args, a)
		}
		return args, lineEnd, "", 0
	}
	setBad := func(msg string, at int) {
		if bad == "" {
			bad, badAt = msg, at
		}
	}
	for {
		for j < lineEnd && isSlashSpace(b[j]) {
			j++
		}
		if j >= lineEnd {
			return args, lineEnd, bad, badAt
		}
		if b[j] == '\\' {
			if j+1 < lineEnd && b[j+1] == '\\' {
				return args, j + 2, bad, badAt
			}
			return args, j, bad, badAt
		}
		var a []byte
		for j < lineEnd && !isSlashSpace(b[j]) && b[j] != '\\' {
			switch c := b[j]; c {
			case '\'':
				start := j
				j++
				closed := false
			quoted:
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
						break quoted
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
				setBad("backquote command substitution is not supported", j)
				k := bytes.IndexByte(b[j+1:lineEnd], '`')
				if k < 0 {
					j = lineEnd
				} else {
					j += k + 2
				}
			case '"':
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
				var k int
				a, k = l.argVar(a, b[:lineEnd], j)
				j = k
			default:
				a = append(a, c)
				j++
			}
		}
		args = append(args, string(a))
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
// there, unlike in SQL, a value is inserted as it is, without being lexed again.
func (l *lexer) argVar(a, b []byte, j int) ([]byte, int) {
	n := len(b)
	if j+1 < n && varChar[b[j+1]] {
		k := j + 1
		for k < n && varChar[b[k]] {
			k++
		}
		if v, ok := l.p.vars[string(b[j+1:k])]; ok {
			return append(a, v...), k
		}
		return append(a, b[j:k]...), k
	}
	if j+1 < n && (b[j+1] == '\'' || b[j+1] == '"') {
		q := b[j+1]
		k := j + 2
		for k < n && varChar[b[k]] {
			k++
		}
		if k > j+2 && k < n && b[k] == q {
			if v, ok := l.p.vars[string(b[j+2:k])]; ok {
				return append(a, quoteVar(v, q)...), k + 1
			}
			return append(a, b[j:k+1]...), k + 1
		}
	}
	return append(a, ':'), j + 1
}
