package plan

import "strings"

// ExtendedFallback says why sql cannot go through the extended query protocol as one
// Parse/Bind/Execute, so that --protocol extended and prepared send it with the simple
// protocol instead; "" when it can. It reads only the leading words and, for a ";"
// outside quotes and comments, the tokens (as the plan's classification does): a query
// string of several commands (psql's \;) is refused by the server's Parse ("cannot
// insert multiple commands into a prepared statement"), and a COPY exchanges its data
// through the COPY sub-protocol that qrun drives from the simple protocol.
func ExtendedFallback(sql string) string {
	if splitCommands(sql) != nil {
		return "a query string of several commands (\\;) cannot be prepared"
	}
	t := tokens{s: sql}
	if is(t.word(), "COPY") {
		return "COPY runs through the simple protocol"
	}
	return ""
}

// LeadingWord returns the first word of sql, upper-cased, after white space and
// comments ("" when there is none).
func LeadingWord(sql string) string {
	t := tokens{s: sql}
	return strings.ToUpper(t.word())
}

// InvalidatesPrepared reports whether a command whose leading word (or command tag's first
// word) is verb may change what the text of a statement prepared before it means: DDL, a
// SET or RESET (standard_conforming_strings, search_path), DO, DISCARD, DEALLOCATE, ...
// --protocol prepared prepares again what follows such a command.
func InvalidatesPrepared(verb string) bool {
	switch verb {
	case "CREATE", "ALTER", "DROP", "SET", "RESET", "DISCARD", "DEALLOCATE", "DO", "IMPORT",
		"REFRESH", "GRANT", "REVOKE", "SECURITY", "COMMENT", "TRUNCATE", "CALL", "LOAD":
		return true
	}
	return false
}
