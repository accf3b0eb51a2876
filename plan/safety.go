package plan

import (
	"strings"

	"github.com/qrunhq/qrun/queries"
)

// This file holds the rules by which --read-only and --rollback reject, before anything
// runs, the commands a file could use to undo them. They read the words of one command
// at a time, as classify (keywords.go) does, from the queries package's lexer.
//
// Under --read-only the runner opens every unit's transaction READ ONLY itself (or, for
// a transaction block of the file, makes it READ ONLY right after its BEGIN), so the
// server enforces the mode; what is rejected here are the commands that could switch a
// transaction or the session back to read-write before the server has taken a snapshot,
// and the commands that cannot run inside the transaction the runner opens.

// readOnlyGUCs are the settings a file must not touch under --read-only.
func readOnlyGUC(w string) bool {
	w = strings.Trim(w, `"`)
	return is(w, "DEFAULT_TRANSACTION_READ_ONLY") || is(w, "TRANSACTION_READ_ONLY")
}

// readOnlyViolation says why the command whose words t reads, of the query string sql,
// cannot run under --read-only, or "". c is its classification.
func readOnlyViolation(sql string, t *words, c command) string {
	if c.noTx != "" {
		return c.noTx + " cannot run inside the READ ONLY transaction --read-only opens"
	}
	w := t.word()
	switch {
	case c.tx == txBegin:
		if hasReadWrite(t) {
			return "a read-write transaction cannot be opened under --read-only"
		}
	case c.tx == txPrepare:
		return "PREPARE TRANSACTION cannot run under --read-only"
	case is(w, "SET"):
		a := t.word()
		if is(a, "SESSION") || is(a, "LOCAL") {
			a = t.word()
			if is(a, "CHARACTERISTICS") {
				return "SET SESSION CHARACTERISTICS would change the transactions --read-only opens"
			}
		}
		if is(a, "TRANSACTION") {
			if hasReadWrite(t) {
				return "SET TRANSACTION READ WRITE cannot run under --read-only"
			}
			return ""
		}
		if readOnlyGUC(a) {
			return "--read-only owns " + strings.ToLower(strings.Trim(a, `"`)) + ": the file cannot set it"
		}
	case is(w, "RESET"):
		a := t.word()
		if is(a, "ALL") || readOnlyGUC(a) {
			return "RESET " + strings.ToUpper(a) + " would reset what --read-only set"
		}
	case is(w, "DISCARD"):
		if a := t.word(); is(a, "ALL") {
			return "DISCARD ALL cannot run under --read-only"
		}
	}
	if setsReadOnlyGUC(sql) {
		return "set_config() of transaction_read_only or default_transaction_read_only cannot run under --read-only"
	}
	return ""
}

// rollbackViolation says why the command whose words t reads cannot run under
// --rollback, beyond what checkRollback reports, or "".
func rollbackViolation(t *words, c command) string {
	if c.tx == txPrepare {
		return "PREPARE TRANSACTION would keep the transaction past --rollback's ROLLBACK"
	}
	if is(t.word(), "DISCARD") && is(t.word(), "ALL") {
		return "DISCARD ALL cannot run inside the transaction --rollback opens"
	}
	return ""
}

// hasReadWrite reports whether the rest of the command holds the words READ WRITE.
func hasReadWrite(t *words) bool {
	prev := ""
	for w := t.word(); w != ""; w = t.word() {
		if is(prev, "READ") && is(w, "WRITE") {
			return true
		}
		prev = w
	}
	return false
}

// setsReadOnlyGUC reports whether sql calls set_config and names one of the read-only
// settings anywhere (in a string literal, as set_config takes it): pragmatic, as
// queries.Calls and queries.Mentions are.
func setsReadOnlyGUC(sql string) bool {
	return queries.Calls(sql, "set_config") && queries.Mentions(sql, "transaction_read_only")
}

// safety says why, under --read-only and --rollback, the command of statement s whose
// words are cmd (its first ones, if cut) would undo the mode, or "". It reports false
// when it needs more of the command's words.
func (b *builder) safety(s *queries.Statement, cmd []string, c command, cut bool) (ro, rb string, ok bool) {
	if b.opts.ReadOnly {
		t := words{w: cmd, cut: cut}
		if ro = readOnlyViolation(s.SQL, &t, c); t.short {
			return "", "", false
		}
	}
	if b.opts.Rollback {
		t := words{w: cmd, cut: cut}
		if rb = rollbackViolation(&t, c); t.short {
			return "", "", false
		}
	}
	return ro, rb, true
}

// report records the safety violations ro and rb of statement s.
func (b *builder) report(s *queries.Statement, ro, rb string) {
	for _, why := range []string{ro, rb} {
		if why != "" {
			b.errorf(s.Pos(), "%s", why)
		}
	}
}

// ReadOnlyViolation says why sql, a statement completed at run time (a \gexec result, a
// statement with run-time variables), cannot run under --read-only, or "". scs is
// standard_conforming_strings on the connection, which decides how sql is lexed.
func ReadOnlyViolation(sql string, scs bool) string {
	cmds := queries.LexCommands(sql, scs, 0)
	if len(cmds) > 1 {
		for _, cmd := range cmds {
			if classify(cmd).tx != txNone {
				return "transaction control joined to other commands cannot run under --read-only"
			}
		}
	}
	for _, cmd := range cmds {
		if why := readOnlyViolation(sql, &words{w: cmd}, classify(cmd)); why != "" {
			return why
		}
	}
	return ""
}

// StatementControlsTransaction reports whether statement st holds a transaction
// control command (BEGIN, COMMIT, ROLLBACK, PREPARE TRANSACTION, ...), joined to
// others with "\;" or not.
func StatementControlsTransaction(st *queries.Statement) bool {
	for _, cmd := range st.Commands() {
		if classify(cmd).tx != txNone {
			return true
		}
	}
	return false
}

// ControlsTransaction reports whether sql holds a transaction control command (BEGIN,
// COMMIT, ROLLBACK, PREPARE TRANSACTION, ...); scs is standard_conforming_strings.
// Under --read-only a statement made at run time (\gexec) must not end the READ ONLY
// transaction qrun opened.
func ControlsTransaction(sql string, scs bool) bool {
	for _, cmd := range queries.LexCommands(sql, scs, queries.HeadWords) {
		if classify(cmd).tx != txNone {
			return true
		}
	}
	return false
}
