// Package deps infers what each unit of a script reads and writes (stub until the
// analyzer lands).
package deps

type Stmt struct {
	SQL    string
	Opaque bool
}
type Unit struct{ Stmts []Stmt }
type Options struct{ Workers int }
type Kind uint8

const (
	WriteRead Kind = iota + 1
	ReadWrite
	WriteWrite
	Barrier
	Session
)

type Edge struct {
	From, To int32
	Kind     Kind
	Object   string
}
type Result struct {
	Edges                  []Edge
	Session                []int32
	Replay                 [][]string
	Barrier                []bool
	Parsed, Unique, Failed int
}

func Analyze(units []Unit, opts Options) *Result {
	return &Result{Session: make([]int32, len(units)), Replay: make([][]string, len(units)), Barrier: make([]bool, len(units))}
}
