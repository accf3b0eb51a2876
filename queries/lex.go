package queries

import (
	"bytes"
)

// state is the lexer's quoting context, one per psql lexer start condition that matters
// for splitting.
type state uint8

const (
	stPlain   state = iota // INITIAL (and xqs: just after a closing quote)
	stQuote                // '...', B'...', X'...', U&'...': '' doubles, backslash is text
	stEQuote               // E'...', and '...' with standard_conforming_strings off
	stIdent                // "..." and U&"...": "" doubles
	stDollar               // $tag$ ... $tag$
	stComment              // /* ... */, nested
)

// Byte classes for the plain state.
const (
	cOther uint8 = iota
	cSpace
	cNewline
	cIdent // ident_start: letters, '_', bytes >= 0x80
	cDigit
	cQuote
	cDQuote
	cDollar
	cDash
	cSlash
	cOpen
	cClose
	cSemi
	cBackslash
	cColon
	cDot
)

var (
	class     [256]uint8
	identCont [256]bool // ident_cont: ident_start, digits and '$'
	dolqCont  [256]bool // dolq_cont: ident_start and digits (no '$')
	varChar   [256]bool // variable_char: letters, digits, '_', bytes >= 0x80
)

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		letter := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_' || b >= 0x80
		digit := b >= '0' && b <= '9'
		switch {
		case letter:
			class[c] = cIdent
		case digit:
			class[c] = cDigit
		}
		identCont[c] = letter || digit || b == '$'
		dolqCont[c] = letter || digit
		varChar[c] = letter || digit
	}
	for _, b := range []byte(" \t\r\f\v") {
		class[b] = cSpace
	}
	class['\n'] = cNewline
	class['\''] = cQuote
	class['"'] = cDQuote
	class['$'] = cDollar
	class['-'] = cDash
	class['/'] = cSlash
	class['('] = cOpen
	class[')'] = cClose
	class[';'] = cSemi
	class['\\'] = cBackslash
	class[':'] = cColon
	class['.'] = cDot
}

// kwState follows psql's BEGIN ATOMIC heuristic for the current statement.
type kwState uint8

const (
	kwTracking kwState = iota // the statement may still be CREATE [OR REPLACE] FUNCTION/PROCEDURE
	kwDead                    // it is not: identifiers no longer matter for it
	kwActive                  // it is: BEGIN, CASE and END change the begin depth
)

// limit returns the end of the part of the buffer the lexer may scan now: the whole
// buffer, or the end of a COPY line whose data lines follow.
func (l *lexer) limit() int {
	if l.jumpAt >= 0 && l.inVar == 0 {
		return l.jumpAt
	}
	return len(l.buf)
}

// run lexes the current buffer from l.pos to its end.
func (l *lexer) run() {
	for !l.p.quit {
		end := l.limit()
		if l.pos >= end {
			if l.inVar == 0 && l.jumpAt >= 0 && l.pos == l.jumpAt {
				l.jump()
				continue
			}
			return
		}
		switch l.st {
		case stPlain:
			l.plain(end)
		case stQuote:
			l.quote(end)
		case stEQuote:
			l.equote(end)
		case stIdent:
			l.ident(end)
		case stDollar:
			l.dollar(end)
		case stComment:
			l.comment(end)
		}
	}
}

// jump skips the COPY data lines that follow the line of a COPY ... FROM STDIN
// statement, keeping the line's newline in a statement that is still open.
func (l *lexer) jump() {
	nl := l.jumpAt
	l.jumpAt = -1
	if l.started {
		l.flush(nl + 1)
		l.seg = l.jumpTo
	}
	l.pos = l.jumpTo
}

// startStmt records that a statement begins at buffer index i.
func (l *lexer) startStmt(i int) {
	l.started = true
	l.startOff = l.off(i)
	l.seg = i
}

// plain lexes SQL outside quotes and comments until the state changes or end.
func (l *lexer) plain(end int) {
	b := l.buf[:end]
	i := l.pos
	for i < len(b) {
		c := b[i]
		k := class[c]
		switch k {
		case cSpace:
			i++
			continue
		case cNewline:
			if l.started && l.inVar == 0 {
				// psql drops an empty line and a line holding only a meta-command,
				// and has no line after the last one: drop the newline before them.
				j := i + 1
				if j == len(l.buf) || l.buf[j] == '\n' || l.buf[j] == '\\' && j+1 < len(l.buf) && l.buf[j+1] != ';' && l.buf[j+1] != ':' && l.buf[j+1] != '\n' {
					l.flush(i)
					l.seg = j
				}
			}
			if l.scsAt >= 0 && i >= l.scsAt && l.inVar == 0 {
				l.p.applySCS()
				l.scsAt = -1
			}
			i++
			continue
		case cDash:
			if i+1 < len(b) && b[i+1] == '-' {
				// psql's comment runs to a newline or a carriage return.
				j := bytes.IndexByte(b[i:], '\n')
				if j < 0 {
					j = len(b) - i
				}
				if k := bytes.IndexByte(b[i:i+j], '\r'); k >= 0 {
					j = k
				}
				i += j
				continue
			}
		case cColon:
			l.pos = i
			l.colon()
			if l.st != stPlain {
				return
			}
			i = l.pos
			b = l.buf[:l.limit()]
			continue
		case cBackslash:
			if i+1 < len(b) && b[i+1] != '\n' {
				l.pos = i
				l.backslash()
				if l.p.quit || l.st != stPlain {
					return
				}
				i = l.pos
				b = l.buf[:l.limit()]
				continue
			}
		}
		if !l.started {
			l.startStmt(i)
		}
		if k != cSemi && k != cSlash { // a slash may open a comment
			l.tok = true
		}
		switch k {
		case cIdent:
			j := i + 1
			for j < len(b) && identCont[b[j]] {
				j++
			}
			if j-i == 1 && j < len(b) {
				switch c {
				case 'e', 'E':
					if b[j] == '\'' {
						l.open(stEQuote, i, j+1)
						return
					}
				case 'b', 'B', 'x', 'X':
					if b[j] == '\'' {
						l.open(stQuote, i, j+1)
						return
					}
				case 'n', 'N':
					if b[j] == '\'' {
						i = j // psql eats only the n; the quote follows
						continue
					}
				case 'u', 'U':
					if b[j] == '&' && j+1 < len(b) {
						if b[j+1] == '\'' {
							l.open(stQuote, i, j+2)
							return
						}
						if b[j+1] == '"' {
							l.open(stIdent, i, j+2)
							return
						}
					}
				}
			}
			if l.kw != kwDead || l.copyCand || l.idCount == 0 {
				l.identifier(b[i:j], j)
			}
			i = j
		case cDigit, cDot:
			i = number(b, i)
		case cQuote:
			if l.p.scsPending && (l.scsAt < 0 || i > l.scsAt) {
				l.p.applySCS()
				l.scsAt = -1
			}
			if l.p.scs {
				l.open(stQuote, i, i+1)
			} else {
				l.open(stEQuote, i, i+1)
			}
			return
		case cDQuote:
			l.open(stIdent, i, i+1)
			return
		case cDollar:
			if j, ok := dollarTag(b, i); ok {
				l.tag = b[i:j]
				l.open(stDollar, i, j)
				return
			}
			i++
			if i < len(b) && class[b[i]] == cDigit { // $1 parameter, and its junk
				i = number(b, i)
			}
		case cSlash:
			if i+1 < len(b) && b[i+1] == '*' {
				l.xcdepth = 0
				l.open(stComment, i, i+2)
				return
			}
			l.tok = true
			i++
		case cOpen:
			if l.copyCand && l.idCount == 1 && l.copyParen(i) {
				l.copyCand = false // COPY (query) only goes TO
			}
			l.depth++
			i++
		case cClose:
			if l.depth > 0 {
				l.depth--
			}
			i++
		case cSemi:
			i++
			if l.depth == 0 && l.begin == 0 {
				if l.skipping {
					// An inactive \if branch: psql sends nothing, and its text goes
					// when the branch ends.
					l.idCount = 0
					continue
				}
				l.pos = i
				l.flush(i)
				l.emit(l.off(i))
				if l.p.quit {
					return
				}
				i = l.pos
				b = l.buf[:l.limit()]
				if l.st != stPlain {
					return
				}
			}
		default:
			i++
			for i < len(b) && class[b[i]] == cOther {
				i++
			}
		}
	}
	l.pos = i
}

// open enters a quoting state whose opening starts at buffer index at; lexing
// continues at index next.
func (l *lexer) open(st state, at, next int) {
	l.st = st
	l.openOff = l.off(at)
	l.pos = next
}

// number skips a numeric literal at b[i] (digits, a fraction, an exponent) and, as
// psql 15 does, one identifier character of trailing junk.
func number(b []byte, i int) int {
	for i < len(b) && class[b[i]] == cDigit {
		i++
	}
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && class[b[i]] == cDigit {
			i++
		}
	}
	if i+1 < len(b) && (b[i] == 'e' || b[i] == 'E') {
		j := i + 1
		if b[j] == '+' || b[j] == '-' {
			j++
		}
		if j < len(b) && class[b[j]] == cDigit {
			i = j
			for i < len(b) && class[b[i]] == cDigit {
				i++
			}
		}
	}
	if i < len(b) && class[b[i]] == cIdent {
		i++
	}
	return i
}

// dollarTag reports whether b[i:] starts with a dollar-quote delimiter $tag$ and
// returns the index just past it.
func dollarTag(b []byte, i int) (int, bool) {
	j := i + 1
	if j < len(b) && class[b[j]] == cIdent {
		j++
		for j < len(b) && dolqCont[b[j]] {
			j++
		}
	}
	if j < len(b) && b[j] == '$' {
		return j + 1, true
	}
	return 0, false
}

// identifier applies psql's per-identifier bookkeeping: the BEGIN ATOMIC heuristic,
// COPY ... FROM STDIN and SET detection.
func (l *lexer) identifier(w []byte, end int) {
	if l.idCount == 0 {
		l.ids = [4]byte{}
		l.kw = kwTracking
		l.copyCand = foldEq(w, "copy")
		if l.copyCand {
			l.copyEnd, l.copyBuf = end, l.inVar
		}
		l.fromSeen = false
		l.setCand = foldEq(w, "set") || foldEq(w, "reset")
	}
	if l.idCount < len(l.ids) && (foldEq(w, "create") || foldEq(w, "function") ||
		foldEq(w, "procedure") || foldEq(w, "or") || foldEq(w, "replace")) {
		l.ids[l.idCount] = lower(w[0])
	}
	l.idCount++
	ids := &l.ids
	matched := ids[0] == 'c' && (ids[1] == 'f' || ids[1] == 'p' ||
		ids[1] == 'o' && ids[2] == 'r' && (ids[3] == 'f' || ids[3] == 'p'))
	switch {
	case matched:
		l.kw = kwActive
		if l.depth == 0 {
			switch {
			case foldEq(w, "begin"):
				l.begin++
			case foldEq(w, "case"):
				if l.begin >= 1 {
					l.begin++
				}
			case foldEq(w, "end"):
				if l.begin > 0 {
					l.begin--
				}
			}
		}
	case ids[0] != 'c' || l.idCount >= len(l.ids):
		l.kw = kwDead
	}
	if l.copyCand && l.depth == 0 && l.idCount > 1 {
		switch {
		case foldEq(w, "from"):
			l.fromSeen = true
		case l.fromSeen && (foldEq(w, "stdin") || foldEq(w, "stdout")):
			// The server reads COPY ... FROM STDOUT as FROM STDIN.
			l.copyStdin++
			l.fromSeen = false
		default:
			l.fromSeen = false
		}
	}
}

// copyParen reports whether the "(" at buffer index i comes right after the COPY that
// starts the statement, with only white space and comments between: COPY (query). After
// COPY "Quoted Name" the parenthesis opens a column list.
func (l *lexer) copyParen(i int) bool {
	return l.copyBuf == l.inVar && l.copyEnd <= i && !hasTokens(l.str[l.copyEnd:i], l.p.scs)
}

// txWord is a first word that begins or ends a transaction block.
type txWord uint8

const (
	txNone txWord = iota
	txBegin
	txCommit
	txRollback
	txSavepoint
	txRelease
)

// txFirst and txSecond hold, for the first and second letters of BEGIN, START, END,
// ABORT, COMMIT, ROLLBACK, SAVEPOINT and RELEASE, a bit per word: a statement whose
// letters share no bit (SELECT, CREATE, INSERT ...) starts with none of them.
var txFirst, txSecond [256]uint8

func init() {
	for bit, w := range []string{"begin", "start", "end", "abort", "commit", "rollback", "savepoint", "release"} {
		for _, c := range []byte{w[0], w[0] - 'a' + 'A'} {
			txFirst[c] |= 1 << bit
		}
		for _, c := range []byte{w[1], w[1] - 'a' + 'A'} {
			txSecond[c] |= 1 << bit
		}
	}
}

// maybeTxWord reports whether sql may start with a word txWordOf knows.
func maybeTxWord(sql string) bool {
	return len(sql) > 2 && txFirst[sql[0]]&txSecond[sql[1]] != 0
}

// txWordOf classifies the first word of a command of words w.
func txWordOf(w []string) txWord {
	if len(w) == 0 {
		return txNone
	}
	switch first := w[0]; {
	case wordIs(first, "begin"), wordIs(first, "start"):
		return txBegin
	case wordIs(first, "savepoint"):
		return txSavepoint
	case wordIs(first, "end"), wordIs(first, "commit"):
		return txCommit
	case wordIs(first, "abort"), wordIs(first, "rollback"):
		return txRollback
	case wordIs(first, "release"):
		return txRelease
	}
	return txNone
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// foldEq reports whether w equals the lower-case ASCII word s, ignoring ASCII case.
func foldEq(w []byte, s string) bool {
	if len(w) != len(s) {
		return false
	}
	for i := 0; i < len(w); i++ {
		if lower(w[i]) != s[i] {
			return false
		}
	}
	return true
}

// quote lexes inside '...' where only ” is special.
func (l *lexer) quote(end int) {
	b := l.buf[:end]
	i := l.pos
	for {
		k := bytes.IndexByte(b[i:], '\'')
		if k < 0 {
			l.pos = len(b)
			return
		}
		i += k + 1
		if i < len(b) && b[i] == '\'' {
			i++
			continue
		}
		l.st = stPlain
		l.pos = i
		return
	}
}

// equote lexes inside E'...' where a backslash escapes the next byte.
func (l *lexer) equote(end int) {
	b := l.buf[:end]
	i := l.pos
	for i < len(b) {
		switch b[i] {
		case '\\':
			i += 2
		case '\'':
			if i+1 < len(b) && b[i+1] == '\'' {
				i += 2
				continue
			}
			l.st = stPlain
			l.pos = i + 1
			return
		default:
			i++
		}
	}
	l.pos = len(b)
}

// ident lexes inside "..." where only "" is special.
func (l *lexer) ident(end int) {
	b := l.buf[:end]
	i := l.pos
	for {
		k := bytes.IndexByte(b[i:], '"')
		if k < 0 {
			l.pos = len(b)
			return
		}
		i += k + 1
		if i < len(b) && b[i] == '"' {
			i++
			continue
		}
		l.st = stPlain
		l.pos = i
		return
	}
}

// dollar lexes inside a dollar quote until its own $tag$.
func (l *lexer) dollar(end int) {
	b := l.buf[:end]
	i := l.pos
	for {
		k := bytes.IndexByte(b[i:], '$')
		if k < 0 {
			l.pos = len(b)
			return
		}
		i += k
		if bytes.HasPrefix(b[i:], l.tag) {
			l.st = stPlain
			l.pos = i + len(l.tag)
			return
		}
		i++
	}
}

// comment lexes inside a (nested) block comment.
func (l *lexer) comment(end int) {
	b := l.buf[:end]
	i := l.pos
	for i < len(b) {
		switch b[i] {
		case '*':
			if i+1 < len(b) && b[i+1] == '/' {
				i += 2
				if l.xcdepth == 0 {
					l.st = stPlain
					l.pos = i
					return
				}
				l.xcdepth--
				continue
			}
		case '/':
			if i+1 < len(b) && b[i+1] == '*' {
				l.xcdepth++
				i += 2
				continue
			}
		}
		i++
	}
	l.pos = len(b)
}
