// Package runner executes a plan against PostgreSQL and measures it: sequentially on one
// connection like psql -f, or in parallel through a pgx pool with the plan's stages,
// dependencies and transaction blocks honoured. It streams and counts result rows, never
// holding them, cancels on the server what it abandons, and hands back plain result
// structs. It never prints: progress goes out as result.Event values.
package runner
