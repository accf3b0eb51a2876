package queries

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"unsafe"

	"github.com/qrunhq/qrun/internal/nameidx"
)

// Pos is a position in an input file. Line and Col are 1-based; Col counts characters
// (runes), as editors and psql do. The zero Pos is "no position".
type Pos struct {
	File   string // file name as given (stdin is "<stdin>")
	Line   int
	Col    int
	Offset int // byte offset in the file
}

// IsValid reports whether p names a place in a file.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String formats p as file:line:col.
func (p Pos) String() string {
	if !p.IsValid() {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Error is an input error at a position: a bad quote, an unknown meta-command, a missing
// file, a duplicate name, ...
type Error struct {
	Pos Pos
	Msg string
	// Err is the underlying error, if any (for example an *fs.PathError for a file that
	// cannot be read), so that callers can use errors.Is and errors.As.
	Err error
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	if e.Pos.File == "" && !e.Pos.IsValid() {
		return e.Msg
	}
	return e.Pos.String() + ": " + e.Msg
}

// ErrorList is a list of input errors. Its Err method returns nil when it is empty, so a
// function can collect errors and return list.Err().
type ErrorList []*Error

// Add appends an error at pos.
func (l *ErrorList) Add(pos Pos, msg string) { l.AddErr(pos, msg, nil) }

// AddErr appends an error at pos whose cause is err (ErrUnsupported, an *fs.PathError,
// ...; nil for none), which errors.Is and errors.As then find through the list.
func (l *ErrorList) AddErr(pos Pos, msg string, err error) {
	*l = append(*l, &Error{Pos: pos, Msg: msg, Err: err})
}

// Sort orders the list by file, line and column.
func (l ErrorList) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// Error returns all errors, one per line.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the errors of the list, so errors.Is and errors.As see each of them.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// Err returns l as an error, or nil when l is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Statement is one query string as psql would send it, with where it came from and the
// annotations written above it.
//
// A large input holds a million statements, so a Statement keeps only what every one of
// them needs in its own fields (64 bytes; offsets past 4 GB take a slower path): the
// file name and the stage are shared by the statements of one file and stage, through
// one pointer, and what few statements have ("-- after:", COPY data, the position map of
// interpolated text) hangs from a copy of that shared part of their own. The methods
// read them. Load and Parse make the statements of a file, NewQuery one of a query
// string.
type Statement struct {
	// SQL is exactly what psql would send: leading whitespace and comments dropped,
	// variables interpolated, "\;" turned into ";", the terminating ";" kept.
	SQL string
	// Name is the statement's name: from a "-- name: NAME" line, else "FILE:LINE".
	Name string

	src *stmtSource // file name and stage, and the rare parts

	start     uint32 // Start()
	off, end  uint32 // Pos().Offset - start, End() - Pos().Offset
	line, col int32  // Pos().Line, Pos().Col

	// Named reports whether Name came from a "-- name:" annotation.
	Named bool
	// IsCopyFromStdin reports whether the statement is a COPY ... FROM STDIN.
	IsCopyFromStdin bool
	// OnErrorRollback reports that psql's ON_ERROR_ROLLBACK was on when the statement
	// was read: inside a transaction block it runs under a savepoint of its own.
	OnErrorRollback bool

	flags stmtFlags // what the splitter saw while it lexed the statement (in padding)
}

// stmtFlags are bits the splitter records while it lexes a statement, so that reading
// its commands (Commands, Head) can skip what is not there.
type stmtFlags uint8

const (
	flagToken stmtFlags = 1 << iota // SQL holds a token: not only white space, comments and ";"
	flagMulti                       // "\;" joined commands into it
)

// stmtSource is what consecutive statements of one file and one stage share. A
// statement with rare parts (cold) has a stmtSource of its own.
type stmtSource struct {
	file       *srcFile // its name only, unless the statement came from a parser
	stage      string
	stageIndex int
	conn       *Connect // the \connect in effect, nil before the first
	cold       *stmtCold
	guard      *Guard // the run-time condition of the statements' \if branch
	oes        uint8  // ON_ERROR_STOP for them
	scsOff     bool   // they were split with standard_conforming_strings off
}

// stmtCold holds the parts of a Statement that few statements have.
type stmtCold struct {
	after    []string
	afterPos Pos
	copyData []byte
	// copyMore holds the data of the second and later COPY ... FROM STDIN of a query
	// string of several (see CopyBlocks).
	copyMore [][]byte
	// posMap maps offsets in SQL back to the source (see PosOf); nil when SQL is one
	// piece of the file, as it is for all but statements with variables, "\;" or
	// dropped lines.
	posMap []posMark
	// wide holds the position and span when they do not fit the compact fields.
	wide *wideSpan
	// clientCopy describes a \copy (see ClientCopy).
	clientCopy *ClientCopy
	// largeObject is an \lo_ command (see LargeObject).
	largeObject *LargeObject
	// hidden: psql sends it outside its query log (see Hidden).
	hidden bool
	// rt is what the statement does at run time besides being sent (see Runtime).
	rt *stmtRT
}

// wideSpan is a position and span too large (or too odd) for Statement's fields.
type wideSpan struct {
	pos        Pos
	start, end int
}

// NewQuery makes a Statement of one query string that no file holds (qrun --setup and
// -c, tools): named name, at no position, with standard_conforming_strings on. Its
// Commands are read from sql as the splitter would read them.
func NewQuery(name, sql string) *Statement {
	s := &Statement{SQL: sql, Name: name, src: &stmtSource{file: &srcFile{}}}
	s.flags = textFlags(sql, true)
	return s
}

// textFlags reads the flags of a statement whose text sql the splitter did not lex
// itself (NewQuery, the statements of meta-commands): whether it holds a token and more
// than one command.
func textFlags(sql string, scs bool) stmtFlags {
	n := 0
	scanCommands(sql, scs, 1, false, nil, func([]string) bool { n++; return n < 2 })
	var f stmtFlags
	if n > 0 {
		f |= flagToken
	}
	if n > 1 {
		f |= flagMulti
	}
	return f
}

// cold returns the rare parts of s, or nil.
func (s *Statement) cold() *stmtCold {
	if s.src == nil {
		return nil
	}
	return s.src.cold
}

// coldPart returns the rare parts of s, making them first if need be: then s gets a
// stmtSource of its own, a copy of the one it shared.
func (s *Statement) coldPart() *stmtCold {
	if s.src == nil || s.src.cold == nil {
		var src stmtSource
		if s.src != nil {
			src = *s.src
		}
		src.cold = &stmtCold{}
		s.src = &src
	}
	return s.src.cold
}

// setSpan records the position and span of s; the file name of pos is s.src's.
func (s *Statement) setSpan(pos Pos, start, end int) {
	off, span := pos.Offset-start, end-pos.Offset
	if pos.Line < 0 || pos.Line > math.MaxInt32 || pos.Col < 0 || pos.Col > math.MaxInt32 ||
		start < 0 || start > math.MaxUint32 || off < 0 || off > math.MaxUint32 || span < 0 || span > math.MaxUint32 {
		s.coldPart().wide = &wideSpan{pos: pos, start: start, end: end}
		s.start, s.line, s.col, s.off, s.end = 0, 0, 0, 0, 0
		return
	}
	s.start, s.line, s.col, s.off, s.end = uint32(start), int32(pos.Line), int32(pos.Col), uint32(off), uint32(span)
}

// Pos is the position of the statement's first character in its file.
func (s *Statement) Pos() Pos {
	if c := s.cold(); c != nil && c.wide != nil {
		return c.wide.pos
	}
	return Pos{File: s.File(), Line: int(s.line), Col: int(s.col), Offset: int(s.start) + int(s.off)}
}

// File is the name of the statement's file (Pos().File).
func (s *Statement) File() string {
	if c := s.cold(); c != nil && c.wide != nil {
		return c.wide.pos.File
	}
	if s.src == nil || s.src.file == nil {
		return ""
	}
	return s.src.file.name
}

// Start and End are the byte offsets in Pos().File of the statement's whole span, from
// just after the previous statement (leading whitespace and comments included) to just
// after its terminating ";" (or the end of its COPY data). The spans of the statements of
// one file cover it in order, except for meta-command lines.
func (s *Statement) Start() int {
	if c := s.cold(); c != nil && c.wide != nil {
		return c.wide.start
	}
	return int(s.start)
}

// End: see Start.
func (s *Statement) End() int {
	if c := s.cold(); c != nil && c.wide != nil {
		return c.wide.end
	}
	return int(s.start) + int(s.off) + int(s.end)
}

// Stage is the label of the last "-- stage: LABEL" line before the statement ("" before
// the first one).
func (s *Statement) Stage() string {
	if s.src == nil {
		return ""
	}
	return s.src.stage
}

// StageIndex counts the stage lines seen before the statement (0 before the first one).
func (s *Statement) StageIndex() int {
	if s.src == nil {
		return 0
	}
	return s.src.stageIndex
}

// After lists the names from "-- after:" lines above the statement.
func (s *Statement) After() []string {
	if c := s.cold(); c != nil {
		return c.after
	}
	return nil
}

// AfterPos is the position of the "-- after:" annotation, for error messages.
func (s *Statement) AfterPos() Pos {
	if c := s.cold(); c != nil {
		return c.afterPos
	}
	return Pos{}
}

// CopyData holds the data lines that follow a COPY ... FROM STDIN statement, each with
// its newline, without the terminating "\." line. It is nil for other statements.
func (s *Statement) CopyData() []byte {
	if c := s.cold(); c != nil {
		return c.copyData
	}
	return nil
}

// CopyBlocks returns the data of each COPY ... FROM STDIN of the statement's query
// string, in order: psql sends them one after the other, each to the COPY that asks
// next ("SELECT 0\; COPY a FROM STDIN\; COPY b FROM STDIN" reads two blocks of lines,
// each ended by "\."). It is nil for a statement that is no COPY FROM STDIN; the first
// block is CopyData.
func (s *Statement) CopyBlocks() [][]byte {
	if !s.IsCopyFromStdin {
		return nil
	}
	blocks := [][]byte{s.CopyData()}
	if c := s.cold(); c != nil {
		blocks = append(blocks, c.copyMore...)
	}
	return blocks
}

// posMark records that byte offset sqlOff of SQL corresponds to source position src.
// Between marks, bytes correspond one to one.
type posMark struct {
	sqlOff int
	src    Pos
	fixed  bool // every byte from sqlOff to the next mark maps to src (a variable's value)
}

// Script is the result of loading input files: every statement in order.
type Script struct {
	Statements []*Statement
	// Files lists every file read, includes too, in the order they were opened.
	Files []string

	names nameidx.Index // the statements named by "-- name:" lines (Lookup)
}

// Lookup returns the index in Statements of the statement a "-- name:" line named name:
// the index the loader built to refuse duplicate names. Names given by qrun
// ("FILE:LINE") are not in it.
func (sc *Script) Lookup(name string) (int, bool) {
	if sc.names.NameOf == nil {
		return 0, false
	}
	i, ok := sc.names.Find(name)
	return int(i), ok
}

// Named returns the number of statements named by "-- name:" lines.
func (sc *Script) Named() int { return sc.names.Len() }

// Options tune Load.
type Options struct {
	// Vars are psql variables set before the first file is read (qrun -v NAME=VALUE).
	Vars map[string]string
	// Stdin is read for the file name "-".
	Stdin io.Reader
	// Warn receives warnings, such as a display-only meta-command that qrun skips.
	// Nil discards them.
	Warn func(*Error)
}

// JoinSQL returns the SQL of stmts joined by newlines, as a transaction block's text is
// shown. When the statements are consecutive lines of one file (each statement's SQL
// ends a line and the next one's starts the following line, as in "BEGIN;\nUPDATE
// ...;\nCOMMIT;"), the result is that piece of the file and nothing is copied.
func JoinSQL(stmts []*Statement) string {
	if s, ok := fileSpan(stmts); ok {
		return s
	}
	n := len(stmts) - 1 // newlines
	for _, st := range stmts {
		n += len(st.SQL)
	}
	if n <= 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(n)
	for i, st := range stmts {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(st.SQL)
	}
	return b.String()
}

// fileSpan returns the piece of one file that is the SQL of stmts joined by newlines,
// if there is one.
func fileSpan(stmts []*Statement) (string, bool) {
	if len(stmts) == 0 || stmts[0].src == nil || stmts[0].src.file == nil {
		return "", false
	}
	f := stmts[0].src.file
	text := f.text
	if text == "" {
		return "", false
	}
	// Go's heap objects never move, so comparing addresses tells whether a string lies
	// within the file's text (one object, kept alive by the result).
	base := uintptr(unsafe.Pointer(unsafe.StringData(text)))
	start, end := 0, 0
	for i, st := range stmts {
		if st.src == nil || st.src.file != f || st.SQL == "" {
			return "", false
		}
		p := uintptr(unsafe.Pointer(unsafe.StringData(st.SQL)))
		if p < base || p-base > uintptr(len(text)-len(st.SQL)) {
			return "", false
		}
		off := int(p - base)
		if i == 0 {
			start = off
		} else if off != end+1 || text[end] != '\n' {
			return "", false
		}
		end = off + len(st.SQL)
	}
	return text[start:end], true
}
