package queries

import (
	"fmt"
	"io"
	"sort"
	"strings"
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
func (l *ErrorList) Add(pos Pos, msg string) { *l = append(*l, &Error{Pos: pos, Msg: msg}) }

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
type Statement struct {
	// SQL is exactly what psql would send: leading whitespace and comments dropped,
	// variables interpolated, "\;" turned into ";", the terminating ";" kept.
	SQL string
	// Pos is the position of the statement's first character in its file.
	Pos Pos
	// Start and End are the byte offsets in Pos.File of the statement's whole span,
	// from just after the previous statement (leading whitespace and comments included)
	// to just after its terminating ";" (or the end of its COPY data). The spans of the
	// statements of one file cover it in order, except for meta-command lines.
	Start, End int

	// Name is the statement's name: from a "-- name: NAME" line, else "FILE:LINE".
	Name string
	// Stage is the label of the last "-- stage: LABEL" line before the statement
	// ("" before the first one); StageIndex counts stage lines seen so far (0 before the
	// first one).
	Stage      string
	StageIndex int
	// After lists the names from "-- after:" lines above the statement.
	After []string
	// AfterPos is the position of the "-- after:" annotation, for error messages.
	AfterPos Pos

	// CopyData holds the data lines that follow a COPY ... FROM STDIN statement, each with
	// its newline, without the terminating "\." line. It is nil for other statements.
	CopyData []byte

	// posMap maps offsets in SQL back to the source (see PosOf); nil when SQL is one
	// piece of the file, as it is for all but statements with variables, "\;" or
	// dropped lines. A pointer keeps the common statement small.
	posMap *[]posMark

	// Named reports whether Name came from a "-- name:" annotation.
	Named bool
	// IsCopyFromStdin reports whether the statement is a COPY ... FROM STDIN.
	IsCopyFromStdin bool
	// (The two flags come last, side by side, so that they share one word.)
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
}

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
