package plan

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
