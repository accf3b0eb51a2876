package plan

import "strings"

// This file recognises the few commands the plan cares about (transaction control,
// session-changing commands, commands that cannot run in a transaction block) from the
// leading words of a statement. The queries package has already split the input exactly
// as psql does; here a small tokenizer only has to skip whitespace, comments, quoted
// strings and identifiers, and dollar quotes, so that keywords are found wherever a user
// may have put them ("/* x */ begin work;").

// tokens reads the tokens of SQL text one at a time. A token is a word (letters, digits,
// "_", "$", any non-ASCII byte), a quoted string or identifier, a dollar-quoted string,
// or one punctuation byte. Whitespace and comments are skipped.
type tokens struct {
	s string
	i int
}

// next returns the next token, or "" at the end of the text.
func (t *tokens) next() string {
	t.skipSpace()
	s := t.s
	if t.i >= len(s) {
		return ""
	}
	start := t.i
	c := s[t.i]
	switch {
	case wordStart[c]:
		t.skipWord(c)
	case c == '\'':
		t.quoted('\'', false)
	case c == '"':
		t.quoted('"', false)
	case c == '$':
		t.dollar()
	default:
		t.i++
	}
	return s[start:t.i]
}

// word returns the next token of the current command: like next, but it returns "" at a
// ";" and stays there.
func (t *tokens) word() string {
	start := t.i
	w := t.next()
	if w == ";" {
		t.i = start
		return ""
	}
	return w
}

// skipSpace skips whitespace, "--" comments and nested "/* */" comments.
func (t *tokens) skipSpace() {
	s := t.s
	for t.i < len(s) {
		switch c := s[t.i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			t.i++
		case c == '-' && t.i+1 < len(s) && s[t.i+1] == '-':
			nl := strings.IndexByte(s[t.i:], '\n')
			if nl < 0 {
				t.i = len(s)
				return
			}
			t.i += nl + 1
		case c == '/' && t.i+1 < len(s) && s[t.i+1] == '*':
			depth := 0
			for t.i < len(s) {
				if s[t.i] == '/' && t.i+1 < len(s) && s[t.i+1] == '*' {
					depth++
					t.i += 2
				} else if s[t.i] == '*' && t.i+1 < len(s) && s[t.i+1] == '/' {
					depth--
					t.i += 2
					if depth == 0 {
						break
					}
				} else {
					t.i++
				}
			}
		default:
			return
		}
	}
}

// quoted skips a string or identifier opened by the quote at t.i, where a doubled quote
// stands for itself and, when backslash is set, "\" escapes the next byte.
func (t *tokens) quoted(q byte, backslash bool) {
	s := t.s
	t.i++
	if !backslash {
		// Only the quote matters: jump from one to the next.
		for {
			k := strings.IndexByte(s[t.i:], q)
			if k < 0 {
				t.i = len(s)
				return
			}
			t.i += k + 1
			if t.i < len(s) && s[t.i] == q {
				t.i++
				continue
			}
			return
		}
	}
	for t.i < len(s) {
		c := s[t.i]
		t.i++
		switch {
		case backslash && c == '\\':
			t.i++
		case c == q:
			if t.i < len(s) && s[t.i] == q {
				t.i++
				continue
			}
			return
		}
	}
	t.i = len(s)
}

// dollar skips a dollar-quoted string ($$...$$, $tag$...$tag$) or a parameter ($1), or
// takes a lone "$".
func (t *tokens) dollar() {
	s := t.s
	j := t.i + 1
	if j < len(s) && s[j] >= '0' && s[j] <= '9' {
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		t.i = j
		return
	}
	for j < len(s) && isWordByte(s[j]) && s[j] != '$' {
		j++
	}
	if j >= len(s) || s[j] != '$' {
		t.i++
		return
	}
	tag := s[t.i : j+1]
	end := strings.Index(s[j+1:], tag)
	if end < 0 {
		t.i = len(s)
		return
	}
	t.i = j + 1 + end + len(tag)
}

func isWordStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isWordByte(c byte) bool {
	return isWordStart(c) || c >= '0' && c <= '9' || c == '$'
}

// is reports whether the token w is the keyword kw (upper case), ignoring case.
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

// classify recognises the command at the start of sql from its leading words. It reads
// only as far as it needs, except for ALTER SUBSCRIPTION and set_config calls.
func classify(sql string) command {
	t := tokens{s: sql}
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
		if chained(&t, n) {
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
		if chained(&t, n) {
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
		c = classifyCreate(&t)
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
		c.noTx = classifyAlter(&t)
	case is(w, "VACUUM"):
		c.noTx = "VACUUM"
	case is(w, "REINDEX"):
		c.noTx = classifyReindex(&t)
	case is(w, "CLUSTER"):
		n := t.word()
		if is(n, "VERBOSE") {
			n = t.word()
		} else if n == "(" {
			skipParens(&t)
			n = t.word()
		}
		if n == "" {
			c.noTx = "CLUSTER without a table"
		}
	}
	if c.tx == txNone && c.session == sessNone && c.noTx == "" && callsSetConfig(sql) {
		c.session = sessSetConfig
	}
	return c
}

// chained reports whether n starts "AND CHAIN" (and reads it).
func chained(t *tokens, n string) bool {
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

func classifyCreate(t *tokens) command {
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

func classifyAlter(t *tokens) string {
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

func classifyReindex(t *tokens) string {
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
func skipParens(t *tokens) {
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

// callsSetConfig reports whether sql calls set_config(...). It is pragmatic: a mention
// in a string or comment counts too, which at worst adds a warning.
func callsSetConfig(sql string) bool {
	for i := 0; ; {
		j := strings.IndexByte(sql[i:], '_')
		if j < 0 {
			return false
		}
		i += j
		if i >= 3 && is(sql[i-3:i], "SET") && i+7 <= len(sql) && is(sql[i+1:i+7], "CONFIG") &&
			(i == 3 || !isWordByte(sql[i-4])) {
			t := tokens{s: sql, i: i + 7}
			if t.next() == "(" {
				return true
			}
		}
		i++
	}
}

// splitCommands returns the commands of a query string that joins several with ";" (as
// psql's "\;" does), without their ";". It returns nil when sql holds a single command,
// which is by far the common case and costs one byte scan. Semicolons inside the body
// of CREATE ... BEGIN ATOMIC ... END do not split.
func splitCommands(sql string) []string {
	i := strings.IndexByte(sql, ';')
	if i < 0 || strings.TrimSpace(sql[i+1:]) == "" || !semicolonBeforeText(sql) {
		return nil
	}
	return splitTokens(sql)
}

// splitTokens is splitCommands without its quick checks: it reads every token of sql.
func splitTokens(sql string) []string {
	var cmds []string
	t := tokens{s: sql}
	start := 0
	first := true   // the next word is the first of its command
	create := false // the command is a CREATE, whose body may hold BEGIN ATOMIC
	depth := 0      // BEGIN ATOMIC / CASE nesting inside a CREATE
	prev := ""
	for {
		w := t.next()
		switch {
		case w == "":
			if s := strings.TrimSpace(sql[start:]); s != "" {
				cmds = append(cmds, sql[start:])
			}
			if len(cmds) < 2 {
				return nil
			}
			return cmds
		case w == ";" && depth == 0:
			if strings.TrimSpace(sql[start:t.i-1]) != "" {
				cmds = append(cmds, sql[start:t.i-1])
			}
			start, first, create, prev = t.i, true, false, ""
			continue
		case first:
			create = is(w, "CREATE")
			first = false
		case create:
			switch {
			case is(w, "ATOMIC") && is(prev, "BEGIN"):
				depth++
			case is(w, "CASE") && depth > 0:
				depth++
			case is(w, "END") && depth > 0:
				depth--
			}
		}
		prev = w
	}
}

// wordByte is isWordByte as a table, and wordStart isWordStart.
var wordByte, wordStart = func() (wb, ws [256]bool) {
	for c := range 256 {
		wb[c], ws[c] = isWordByte(byte(c)), isWordStart(byte(c))
	}
	return wb, ws
}()

// semicolonBeforeText reports whether sql, read as tokens reads it, has a ";" token with
// something other than white space after it. When it does not, sql holds one command:
// the loop of splitCommands would find no second one. Most statements with a ";" inside
// hold it in a string, a comment or a function body, so this is the scan every such
// statement costs: it reads the tokens' bytes in one loop, without making tokens
// (FuzzClassify checks it against reading every token with next).
func semicolonBeforeText(sql string) bool {
	t := tokens{s: sql}
	s := sql
	for t.i < len(s) {
		c := s[t.i]
		switch scanClass[c] {
		case scanOne:
			t.i++
		case scanSemi:
			return strings.TrimSpace(s[t.i+1:]) != ""
		case scanWord:
			t.skipWord(c)
		case scanDash:
			if t.i+1 < len(s) && s[t.i+1] == '-' {
				t.skipSpace() // a "--" comment
			} else {
				t.i++
			}
		case scanSlash:
			if t.i+1 < len(s) && s[t.i+1] == '*' {
				t.skipSpace() // a "/*" comment
			} else {
				t.i++
			}
		case scanQuote:
			t.quoted(c, false)
		case scanDollar:
			t.dollar()
		}
	}
	return false
}

// Byte classes for semicolonBeforeText.
const (
	scanOne    uint8 = iota // white space, or a token of one byte that starts nothing longer
	scanSemi                // ;
	scanWord                // a word's first byte
	scanDash                // -, which may start a comment
	scanSlash               // /, which may start a comment
	scanQuote               // ' or "
	scanDollar              // $
)

var scanClass = func() (t [256]uint8) {
	for c := range 256 {
		switch b := byte(c); {
		case wordStart[b]:
			t[c] = scanWord
		case b == ';':
			t[c] = scanSemi
		case b == '-':
			t[c] = scanDash
		case b == '/':
			t[c] = scanSlash
		case b == '\'', b == '"':
			t[c] = scanQuote
		case b == '$':
			t[c] = scanDollar
		}
	}
	return t
}()

// skipWord skips the word that starts at t.i with byte c, and the string after it when the
// word is a one-letter prefix: E'...', B'...', X'...', N'...' are one string token.
func (t *tokens) skipWord(c byte) {
	s := t.s
	start := t.i
	t.i++
	for t.i < len(s) && wordByte[s[t.i]] {
		t.i++
	}
	if t.i-start == 1 && t.i < len(s) && s[t.i] == '\'' {
		switch c {
		case 'e', 'E':
			t.quoted('\'', true)
		case 'b', 'B', 'x', 'X', 'n', 'N':
			t.quoted('\'', false)
		}
	}
}
