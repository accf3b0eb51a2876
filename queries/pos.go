package queries

import "unicode/utf8"

// PosOf maps a 1-based character position in s.SQL (as in pgconn.PgError.Position,
// which counts characters) to the position in the file. Text that came from a
// variable's value maps to the variable reference; a position outside SQL maps to s.Pos().
func (s *Statement) PosOf(char int) Pos {
	if char < 1 {
		return s.Pos()
	}
	off := 0
	for n := 1; n < char; n++ {
		if off >= len(s.SQL) {
			return s.Pos()
		}
		_, size := utf8.DecodeRuneInString(s.SQL[off:])
		off += size
	}
	if off >= len(s.SQL) {
		return s.Pos()
	}
	base := posMark{src: s.Pos()}
	var marks []posMark
	if c := s.cold(); c != nil {
		marks = c.posMap
	}
	for _, m := range marks {
		if m.sqlOff > off {
			break
		}
		base = m
	}
	if base.fixed {
		return base.src
	}
	p := base.src
	for _, r := range s.SQL[base.sqlOff:off] {
		if r == '\n' {
			p.Line++
			p.Col = 1
		} else {
			p.Col++
		}
	}
	p.Offset += off - base.sqlOff
	return p
}
