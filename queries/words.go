package queries

import "strings"

// This file reads the words of a statement's commands with the lexer's own state
// machine (the byte classes, number, dollarTag, the quote, comment and dollar states
// and psql's BEGIN ATOMIC heuristic of lex.go), so that what qrun knows of a
// statement's commands is exactly what psql's lexer saw: a backslash in a '...' string
// with standard_conforming_strings off, an E'...' string, a nested comment or a dollar
// quote hide a ";" or a keyword from it as they do from psql.
//
// The words are not stored: the splitter records two bits per statement while it lexes
// (whether it holds a token at all, and whether "\;" joined several commands into it),
// and the words are read again from the statement's text when they are asked for. Of a
// statement that holds one command (almost every statement) the plan reads its first
// two tokens, more only when those do not tell the command: 50–85 ns a statement
// (BenchmarkHead), once. Storing the words instead would put work on every token of the
// splitter's loop, which every run pays, and bytes on every Statement, which a million
// of them pay; the words themselves are substrings of SQL either way
// (docs/BENCHMARKS.md, "One lexer").
//
// Reading the text again sees what the splitter saw, with two exceptions that need odd
// input: a statement that spans the line where a SET standard_conforming_strings on
// its first line takes effect is read with the setting at its end, and a "\;" inside
// parentheses or a BEGIN ATOMIC body, which resets psql's BEGIN ATOMIC heuristic, reads
// as the ";" it sends. TestCommandsAgreeWithSplitter and FuzzSplit check the rest.

// HeadWords is the number of words Commands returns per command at most: enough for
// every command form the plan recognises by its leading words.
const HeadWords = 16

// Commands returns the leading words of each command of the statement, in order: the
// whole statement, or each part that "\;" joined to the others (a ";" inside
// parentheses or a BEGIN ATOMIC body does not part commands, as it does not for the
// server). A word is a token as written in SQL: a keyword or identifier, a quoted
// identifier or string with its quotes (E'...', $$...$$), a number, a parameter, or one
// byte of punctuation; white space and comments are no words. Each command has at most
// HeadWords words; a command with none (a lone ";") is left out. The words share the
// statement's text.
func (s *Statement) Commands() [][]string { return s.CommandWords(HeadWords) }

// CommandWords is Commands with at most limit words per command; limit <= 0 reads them
// all.
func (s *Statement) CommandWords(limit int) [][]string {
	if s.flags&flagToken == 0 && s.src != nil {
		return nil
	}
	var cmds [][]string
	scanCommands(s.SQL, s.scsAt(), limit, s.flags&flagMulti == 0 && s.src != nil, nil, func(w []string) bool {
		cmds = append(cmds, w)
		return true
	})
	return cmds
}

// Head appends to dst the leading words (at most limit, all when limit <= 0) of the
// statement's first command and reports whether more commands follow it. It lexes no
// further than the words it returns when the splitter saw no "\;" in the statement, and
// it allocates nothing when dst has room: what a caller that reads every statement of a
// large script, a word or two of most of them, wants.
func (s *Statement) Head(dst []string, limit int) (words []string, more bool) {
	if s.flags&flagToken == 0 && s.src != nil {
		return dst[:0], false
	}
	single := s.flags&flagMulti == 0 && s.src != nil
	n := 0
	words = dst[:0]
	scanCommands(s.SQL, s.scsAt(), limit, single, dst[:0], func(w []string) bool {
		n++
		if n == 1 {
			words = w
			return !single
		}
		more = true
		return false
	})
	return words, more
}

// LexCommands returns the words of each command of sql, a query string completed at run
// time (a \gexec result, a statement with run-time variables), as Commands does for a
// statement of the file; scs is standard_conforming_strings. limit <= 0 reads every
// word.
func LexCommands(sql string, scs bool, limit int) [][]string {
	var cmds [][]string
	scanCommands(sql, scs, limit, false, nil, func(w []string) bool {
		cmds = append(cmds, w)
		return true
	})
	return cmds
}

// hasTokens reports whether sql holds anything but white space, comments and ";".
func hasTokens(sql string, scs bool) bool {
	found := false
	var buf [1]string
	scanCommands(sql, scs, 1, true, buf[:0], func([]string) bool {
		found = true
		return false
	})
	return found
}

// scanCommands lexes sql in psql's plain state, as the splitter does, and calls yield
// with the words (at most limit, unless limit <= 0) of each command that has any, until
// yield returns false. With first, it stops after the first command, and as soon as it
// has limit words of it. words is the buffer the first command's words are appended to.
func scanCommands(sql string, scs bool, limit int, first bool, words []string, yield func([]string) bool) {
	var l lexer
	l.buf, l.str = stringBytes(sql), sql
	b := l.buf
	n := len(b)
	full := false // the command has its limit of words
	for i := 0; i < n; {
		c := b[i]
		k := class[c]
		start := i
		switch k {
		case cSpace, cNewline:
			i++
			continue
		case cDash:
			if i+1 < n && b[i+1] == '-' {
				for i < n && b[i] != '\n' && b[i] != '\r' {
					i++
				}
				continue
			}
			i++
		case cSlash:
			if i+1 < n && b[i+1] == '*' {
				l.xcdepth, l.st, l.pos = 0, stComment, i+2
				l.comment(n)
				i = l.pos
				continue
			}
			i++
		case cSemi:
			i++
			if l.depth != 0 || l.begin != 0 {
				break // no new command: the ";" is a word of this one
			}
			if len(words) > 0 {
				if !yield(words) || first {
					return
				}
				words = nil
			}
			full = false
			l.idCount = 0
			continue
		case cIdent:
			j := i + 1
			for j < n && identCont[b[j]] {
				j++
			}
			st := stPlain
			if j-i == 1 && j < n {
				switch c {
				case 'e', 'E':
					if b[j] == '\'' {
						st, j = stEQuote, j+1
					}
				case 'b', 'B', 'x', 'X', 'n', 'N':
					if b[j] == '\'' {
						st, j = stQuote, j+1
						if (c == 'n' || c == 'N') && !scs {
							st = stEQuote // psql eats the n; the quote follows as any other
						}
					}
				case 'u', 'U':
					if b[j] == '&' && j+1 < n {
						switch b[j+1] {
						case '\'':
							st, j = stQuote, j+2
						case '"':
							st, j = stIdent, j+2
						}
					}
				}
			}
			if st != stPlain {
				i = l.skip(st, j)
				break
			}
			if l.kw != kwDead || l.idCount == 0 {
				l.identifier(b[i:j], j)
			}
			i = j
		case cDigit, cDot:
			i = number(b, i)
		case cQuote:
			st := stEQuote
			if scs {
				st = stQuote
			}
			i = l.skip(st, i+1)
		case cDQuote:
			i = l.skip(stIdent, i+1)
		case cDollar:
			if j, ok := dollarTag(b, i); ok {
				l.tag = b[i:j]
				i = l.skip(stDollar, j)
				break
			}
			i++
			if i < n && class[b[i]] == cDigit {
				i = number(b, i)
			}
		case cOpen:
			l.depth++
			i++
		case cClose:
			if l.depth > 0 {
				l.depth--
			}
			i++
		default:
			i++ // one byte of punctuation is one word
		}
		if full {
			continue
		}
		words = append(words, sql[start:i])
		if limit > 0 && len(words) >= limit {
			full = true
			if first {
				break
			}
		}
	}
	if len(words) > 0 {
		yield(words)
	}
}

// skip lexes the quoted token whose opening ends at index i of l.buf in state st, and
// returns the index after it (the end of the buffer when it is not closed).
func (l *lexer) skip(st state, i int) int {
	l.st, l.pos = st, i
	n := len(l.buf)
	switch st {
	case stQuote:
		l.quote(n)
	case stEQuote:
		l.equote(n)
	case stIdent:
		l.ident(n)
	case stDollar:
		l.dollar(n)
	}
	if l.st != stPlain {
		return n
	}
	return l.pos
}

// Calls reports whether sql calls the function fn (lower case): fn as a whole word,
// ignoring ASCII case, and then "(" as the next token. It is pragmatic: it looks for fn
// in the bytes of the text, so a call written in a string, a comment or a function body
// counts too. That is what a caller that must not miss one (the --read-only checks)
// wants, and it costs a byte search, not a lexing pass.
func Calls(sql, fn string) bool {
	for i := 0; ; {
		j := foldIndex(sql[i:], fn)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(fn)
		i = end
		if start > 0 && identCont[sql[start-1]] {
			continue
		}
		if next(sql[end:]) == "(" {
			return true
		}
	}
}

// Mentions reports whether word (lower case) occurs in sql, ignoring ASCII case, anywhere
// (inside a longer word, a string or a comment too).
func Mentions(sql, word string) bool { return foldIndex(sql, word) >= 0 }

// next returns the first token of sql, or "".
func next(sql string) string {
	var w [1]string
	got := ""
	scanCommands(sql, true, 1, true, w[:0], func(words []string) bool {
		got = words[0]
		return false
	})
	return got
}

// foldIndex returns the index of the first occurrence of word (lower case) in s,
// ignoring ASCII case, or -1. It searches for the word's first '_' (or first byte) with
// a byte search, which for names such as set_config skips most of the text at once.
func foldIndex(s, word string) int {
	if word == "" {
		return 0
	}
	a := strings.IndexByte(word, '_')
	if a < 0 {
		return foldIndexSlow(s, word)
	}
	for i := a; i+len(word)-a <= len(s); {
		j := strings.IndexByte(s[i:], '_')
		if j < 0 {
			return -1
		}
		at := i + j - a
		if at >= 0 && at+len(word) <= len(s) && foldEq(stringBytes(s[at:at+len(word)]), word) {
			return at
		}
		i += j + 1
	}
	return -1
}

// foldIndexSlow is foldIndex for a word without '_'.
func foldIndexSlow(s, word string) int {
	for at := 0; at+len(word) <= len(s); at++ {
		if lower(s[at]) == word[0] && foldEq(stringBytes(s[at:at+len(word)]), word) {
			return at
		}
	}
	return -1
}
