package plan

import (
	"errors"

	"github.com/qrunhq/qrun/queries"
)

// Stubs: the plan engineer replaces this file with the real implementation.

// Build groups statements into units, resolves dependencies and checks the graph. Its
// error is a queries.ErrorList.
func Build(stmts []*queries.Statement, opts Options) (*Plan, error) {
	return nil, errors.New("not implemented")
}

// CriticalPath returns the longest chain of units by the given durations (one per unit,
// in milliseconds), following dependencies and stage barriers, and its length.
func CriticalPath(p *Plan, ms []float64) (units []int, total float64) { return nil, 0 }
