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
		if rt := c.rt; rt != nil && rt.tmpl != nil && off >= firstRef(rt.tmpl) {
			// The text sent had run-time values from here on: positions differ.
			return s.Pos()
		}
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

// firstRef returns the offset in the text as written of a template's first variable
// reference.
func firstRef(tmpl []tpiece) int {
	n := 0
	for _, pc := range tmpl {
		if pc.ref != nil {
			return n
		}
		n += len(pc.s)
	}
	return n
}
