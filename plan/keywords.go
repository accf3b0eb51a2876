package plan

import (
	"strings"

	"github.com/qrunhq/qrun/queries"
)

// This file recognises the few commands the plan cares about (transaction control,
// session-changing commands, commands that cannot run inside a transaction block) from
// the leading words of each command, as the queries package read them with psql's own
// lexer (queries.Statement.Commands): the plan never lexes SQL itself.

// words reads the words of one command in order. When w holds only the command's
// first words (cut), reading past them sets short: the caller reads more of the
// command's words and asks again. Most commands are told by their first word or two,
// so the plan lexes little more of most statements.
type words struct {
	w     []string
	i     int
	cut   bool
	short bool
}

// word returns the next word, or "" after the last one.
func (t *words) word() string {
	if t.i >= len(t.w) {
		t.short = t.short || t.cut
		return ""
	}
	w := t.w[t.i]
	t.i++
	return w
}

// is reports whether the word w is the keyword kw (upper case), ignoring case.
func is(w, kw string) bool {
	if len(w) != len(kw) {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != kw[i] {
			return false
		}
	}
	return true
}

// txKind is the effect of a command on an explicit transaction block.
type txKind uint8

const (
	txNone          txKind = iota
	txBegin                // BEGIN, START TRANSACTION
	txCommit               // COMMIT, END
	txRollback             // ROLLBACK, ABORT (not ROLLBACK TO SAVEPOINT)
	txCommitChain          // COMMIT AND CHAIN: ends the block and opens another
	txRollbackChain        // ROLLBACK AND CHAIN
	txPrepare              // PREPARE TRANSACTION 'id'
)

// sessionKind names a kind of command that changes the state of its session.
type sessionKind uint8

const (
	sessNone sessionKind = iota
	sessSet
	sessReset
	sessRole
	sessSetConfig
	sessTemp
	sessDiscard
	sessListen
	sessPrepare
)

// String names the kind as the user wrote it, for warnings.
func (k sessionKind) String() string {
	switch k {
	case sessSet:
		return "SET"
	case sessReset:
		return "RESET"
	case sessRole:
		return "SET ROLE"
	case sessSetConfig:
		return "set_config()"
	case sessTemp:
		return "CREATE TEMP"
	case sessDiscard:
		return "DISCARD"
	case sessListen:
		return "LISTEN"
	case sessPrepare:
		return "PREPARE"
	}
	return ""
}

// command is what the plan needs to know about one SQL command.
type command struct {
	tx      txKind
	session sessionKind
	// noTx names the command when it cannot run inside a transaction block
	// ("VACUUM", "CREATE INDEX CONCURRENTLY", ...), else "".
	noTx string
}

// classify recognises a command from its words. It does not see set_config calls: see
// callsSetConfig.
func classify(cmd []string) command {
	c, _ := classifyCut(cmd, false)
	return c
}

// classifyCut is classify of the first words of a command (all of them unless cut); it
// reports short when it would need more of them.
func classifyCut(cmd []string, cut bool) (command, bool) {
	t := words{w: cmd, cut: cut}
	c := classifyWords(&t)
	return c, t.short
}

func classifyWords(t *words) command {
	w := t.word()
	var c command
	switch {
	case is(w, "BEGIN"):
		// BEGIN ATOMIC only occurs in a function body; it is no transaction.
		if !is(t.word(), "ATOMIC") {
			c.tx = txBegin
		}
	case is(w, "START"):
		if is(t.word(), "TRANSACTION") {
			c.tx = txBegin
		}
	case is(w, "COMMIT"), is(w, "END"):
		n := t.word()
		if is(w, "COMMIT") && is(n, "PREPARED") {
			c.noTx = "COMMIT PREPARED"
			break
		}
		if is(n, "WORK") || is(n, "TRANSACTION") {
			n = t.word()
		}
		c.tx = txCommit
		if chained(t, n) {
			c.tx = txCommitChain
		}
	case is(w, "ROLLBACK"), is(w, "ABORT"):
		n := t.word()
		if is(w, "ROLLBACK") && is(n, "PREPARED") {
			c.noTx = "ROLLBACK PREPARED"
			break
		}
		if is(n, "WORK") || is(n, "TRANSACTION") {
			n = t.word()
		}
		if is(n, "TO") { // ROLLBACK TO SAVEPOINT stays in the block
			break
		}
		c.tx = txRollback
		if chained(t, n) {
			c.tx = txRollbackChain
		}
	case is(w, "PREPARE"):
		n := t.word()
		if is(n, "TRANSACTION") {
			c.tx = txPrepare
		} else if n != "" {
			c.session = sessPrepare
		}
	case is(w, "SET"):
		c.session = setKind(t.word(), t.word())
	case is(w, "RESET"):
		c.session = sessReset
	case is(w, "DISCARD"):
		c.session = sessDiscard
	case is(w, "LISTEN"):
		c.session = sessListen
	case is(w, "CREATE"):
		c = classifyCreate(t)
	case is(w, "DROP"):
		n := t.word()
		switch {
		case is(n, "INDEX"):
			if is(t.word(), "CONCURRENTLY") {
				c.noTx = "DROP INDEX CONCURRENTLY"
			}
		case is(n, "DATABASE"):
			c.noTx = "DROP DATABASE"
		case is(n, "TABLESPACE"):
			c.noTx = "DROP TABLESPACE"
		case is(n, "SUBSCRIPTION"):
			c.noTx = "DROP SUBSCRIPTION"
		}
	case is(w, "ALTER"):
		c.noTx = classifyAlter(t)
	case is(w, "VACUUM"):
		c.noTx = "VACUUM"
	case is(w, "REINDEX"):
		c.noTx = classifyReindex(t)
	case is(w, "CLUSTER"):
		n := t.word()
		if is(n, "VERBOSE") {
			n = t.word()
		} else if n == "(" {
			skipParens(t)
			n = t.word()
		}
		if n == "" {
			c.noTx = "CLUSTER without a table"
		}
	}
	return c
}

// none reports whether c is an ordinary command, which the plan need not know about.
func (c command) none() bool { return c.tx == txNone && c.session == sessNone && c.noTx == "" }

// chained reports whether n starts "AND CHAIN" (and reads it).
func chained(t *words, n string) bool {
	return is(n, "AND") && is(t.word(), "CHAIN")
}

// setKind classifies "SET a b ...", given a and b.
func setKind(a, b string) sessionKind {
	switch {
	case is(a, "LOCAL"), is(a, "TRANSACTION"), is(a, "CONSTRAINTS"):
		return sessNone // lasts until the end of the transaction
	case is(a, "ROLE"):
		return sessRole
	case is(a, "SESSION") && is(b, "AUTHORIZATION"):
		return sessRole
	}
	return sessSet
}

func classifyCreate(t *words) command {
	var c command
	n := t.word()
	if is(n, "OR") && is(t.word(), "REPLACE") {
		n = t.word()
	}
	if is(n, "UNIQUE") {
		n = t.word()
	}
	switch {
	case is(n, "INDEX"):
		if is(t.word(), "CONCURRENTLY") {
			c.noTx = "CREATE INDEX CONCURRENTLY"
		}
		return c
	case is(n, "DATABASE"):
		c.noTx = "CREATE DATABASE"
		return c
	case is(n, "TABLESPACE"):
		c.noTx = "CREATE TABLESPACE"
		return c
	case is(n, "SUBSCRIPTION"):
		c.noTx = "CREATE SUBSCRIPTION"
		return c
	case is(n, "GLOBAL"), is(n, "LOCAL"):
		n = t.word()
	}
	if is(n, "TEMP") || is(n, "TEMPORARY") {
		if k := t.word(); is(k, "TABLE") || is(k, "VIEW") || is(k, "SEQUENCE") || is(k, "RECURSIVE") {
			c.session = sessTemp
		}
	}
	return c
}

func classifyAlter(t *words) string {
	switch n := t.word(); {
	case is(n, "SYSTEM"):
		return "ALTER SYSTEM"
	case is(n, "DATABASE"):
		t.word() // the database name
		if is(t.word(), "SET") && is(t.word(), "TABLESPACE") {
			return "ALTER DATABASE ... SET TABLESPACE"
		}
	case is(n, "SUBSCRIPTION"):
		for w := t.word(); w != ""; w = t.word() {
			if is(w, "REFRESH") {
				return "ALTER SUBSCRIPTION ... REFRESH"
			}
		}
	}
	return ""
}

func classifyReindex(t *words) string {
	concurrently := false
	n := t.word()
	if n == "(" { // REINDEX (CONCURRENTLY, VERBOSE) TABLE t
		for w := t.word(); w != "" && w != ")"; w = t.word() {
			if is(w, "CONCURRENTLY") {
				concurrently = true
			}
		}
		n = t.word()
	}
	switch {
	case is(n, "DATABASE"), is(n, "SYSTEM"):
		return "REINDEX " + strings.ToUpper(n)
	case is(n, "INDEX"), is(n, "TABLE"), is(n, "SCHEMA"):
		if is(t.word(), "CONCURRENTLY") {
			concurrently = true
		}
	}
	if concurrently {
		return "REINDEX CONCURRENTLY"
	}
	return ""
}

// skipParens reads up to and including the ")" that closes an opened "(".
func skipParens(t *words) {
	for depth := 1; depth > 0; {
		switch t.word() {
		case "":
			return
		case "(":
			depth++
		case ")":
			depth--
		}
	}
}

// callsSetConfig reports whether statement s calls set_config(...). It is pragmatic (see
// queries.Calls): a mention in a string, a comment or a function body counts too, which
// at worst adds a warning, and under --read-only refuses what could switch it off.
func callsSetConfig(s *queries.Statement) bool { return queries.Calls(s.SQL, "set_config") }
