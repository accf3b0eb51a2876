package plan

import (
	"github.com/qrunhq/qrun/queries"
)

// Unit is what the runner executes as one piece: a single statement, or a transaction
// block from BEGIN/START TRANSACTION to COMMIT/END/ROLLBACK/ABORT that runs on one
// connection, in order.
type Unit struct {
	// Statements holds one statement, or every statement of a transaction block.
	Statements []*queries.Statement
	// after is what After returns; nil for a unit without "-- after:" (most units: a
	// pointer keeps the Unit small).
	after *[]int
	Index int32 // position in Plan.Units
	// Stage is the index of the unit's stage in Plan.Stages.
	Stage int32
	// Tx reports whether the unit is a transaction block.
	Tx bool
	// SessionChanging reports whether the unit changes session state (SET, RESET,
	// SET ROLE, set_config, CREATE TEMP ...) outside a transaction block.
	SessionChanging bool
}

// After returns the indexes of the units this one waits for (from "-- after:").
func (u *Unit) After() []int {
	if u.after == nil {
		return nil
	}
	return *u.after
}

// Name is the unit's name: its statement's; for a block, the name above its BEGIN.
func (u *Unit) Name() string { return u.Statements[0].Name }

// AfterNames are the names of the "-- after:" lines above the unit, as written, for
// reports.
func (u *Unit) AfterNames() []string { return u.Statements[0].After() }

// Plan is the checked graph of units. It is read-only once built and safe for concurrent
// readers.
type Plan struct {
	Units []*Unit
	// Stages holds the stage labels in order; Stages[0] is "" when statements come before
	// the first "-- stage:" line.
	Stages []string
	// Warnings are non-fatal remarks, such as a session-changing statement in parallel
	// mode, one per kind.
	Warnings []*queries.Error
	// Inferred is what dependency inference found (Options.Infer), or nil.
	Inferred *Inferred
}

// Options tune Build.
type Options struct {
	// Parallel is true for --parallel; in sequential mode a dependency on a later
	// statement is an error.
	Parallel bool
	// Rollback is true for --rollback: statements that cannot run inside a transaction
	// block are rejected, as are COMMIT AND CHAIN inside a block and transaction control
	// joined to other commands with "\;" (both would commit what must be rolled back).
	// Explicit transaction blocks are allowed: see Unit.Body.
	Rollback bool
	// ReadOnly is true for --read-only: the commands that could make a transaction or
	// the session read-write (BEGIN READ WRITE, SET TRANSACTION READ WRITE, SET or RESET
	// of default_transaction_read_only, set_config() of it, ...), PREPARE TRANSACTION,
	// DISCARD ALL, the commands that cannot run in a transaction block and transaction
	// control joined to others with "\;" are rejected (safety.go).
	ReadOnly bool
	// Infer infers dependencies from what each unit reads and writes (package deps), so
	// that a parallel run ends in the state the sequential run would: --parallel without
	// --deps none. It has no effect in sequential mode.
	Infer bool
}

// Body returns the statements to run under --rollback, between a BEGIN and the ROLLBACK
// that replaces the unit's own end. For a transaction block these are the statements
// between its first (the BEGIN, which the runner still sends, so that its isolation level
// holds) and its last (the COMMIT, END, ROLLBACK, ABORT or PREPARE TRANSACTION it ends
// with); for a single statement, the statement itself. The result shares u.Statements.
func (u *Unit) Body() []*queries.Statement {
	if !u.Tx {
		return u.Statements
	}
	return u.Statements[1 : len(u.Statements)-1]
}
