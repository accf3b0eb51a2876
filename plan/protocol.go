package plan

import (
	"strings"

	"github.com/qrunhq/qrun/queries"
)

// ExtendedFallback says why sql cannot go through the extended query protocol as one
// Parse/Bind/Execute, so that --protocol extended and prepared send it with the simple
// protocol instead; "" when it can. It reads the commands as psql's lexer does
// (queries.LexCommands, standard_conforming_strings on): a query
// string of several commands (psql's \;) is refused by the server's Parse ("cannot
// insert multiple commands into a prepared statement"), and a COPY exchanges its data
// through the COPY sub-protocol that qrun drives from the simple protocol.
func ExtendedFallback(sql string) string {
	cmds := queries.LexCommands(sql, true, 1)
	if len(cmds) > 1 {
		return "a query string of several commands (\\;) cannot be prepared"
	}
	if len(cmds) == 1 && len(cmds[0]) > 0 && is(cmds[0][0], "COPY") {
		return "COPY runs through the simple protocol"
	}
	return ""
}

// LeadingWord returns the first word of sql, upper-cased, after white space and
// comments ("" when there is none).
func LeadingWord(sql string) string {
	cmds := queries.LexCommands(sql, true, 1)
	if len(cmds) == 0 || len(cmds[0]) == 0 {
		return ""
	}
	return strings.ToUpper(cmds[0][0])
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
