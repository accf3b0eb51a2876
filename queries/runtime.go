package queries

// Runtime reports that the statement's text or effect is known only when the script runs:
// it reads a variable set at run time (\gset, a built-in such as ROW_COUNT), it stands
// under an \if whose condition is decided at run time, it feeds \gset or \gexec, or it
// carries meta-commands that act at run time. Dependency inference treats such a
// statement as a barrier.
//
// (Issue 11 fills this in; until then no statement is runtime.)
func (s *Statement) Runtime() bool { return false }
