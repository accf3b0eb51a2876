package runner

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/qrunhq/qrun/queries"
)

// Behind a pooler that hands server sessions out per transaction or per statement
// (PgBouncer's transaction and statement modes, found by probePooler at connect), a
// connection's --setup ran on whatever server session the pooler lent it then, and the
// next unit may run on another. So every unit gets the setup again, where the pooler
// keeps one session for it: a single statement is sent in one query string after the
// setup; a transaction block gets it right after its BEGIN; under --rollback it follows
// the BEGIN qrun sends. (A COPY cannot share a query string: its setup goes just
// before it, which a busy pooler may send to another session.) The setup's time is
// then part of the unit's.

// poolerSetup returns the setup to send with every unit, as the start of a query
// string, or "" when there is no pooler or no setup.
func (t *Target) poolerSetup() string {
	if t.pooler == "" || len(t.setup) == 0 {
		return ""
	}
	if t.setupPrefix == "" {
		var b strings.Builder
		for _, s := range t.setup {
			b.WriteString(strings.TrimRight(strings.TrimSpace(s), ";"))
			b.WriteString(";\n")
		}
		t.setupPrefix = b.String()
	}
	return t.setupPrefix
}

// prefixable reports whether the setup can go in the same query string as st.
func prefixable(e *execution, st *queries.Statement) bool {
	return e.sess == nil && !st.IsCopyFromStdin && st.ClientCopy() == nil && st.LargeObject() == nil
}

// shiftPosition makes the server's error position in a query string that began with
// n characters of setup point into the statement again.
func shiftPosition(err error, n int) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Position > 0 {
		if int(pgErr.Position) > n {
			pgErr.Position -= int32(n)
		} else {
			pgErr.Position = 0 // in the setup itself
		}
	}
	return err
}

// noTxBlock reports whether err says that the statement cannot run inside a transaction
// block (SQLSTATE 25001), as it cannot in a query string of several.
func noTxBlock(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "25001"
}
