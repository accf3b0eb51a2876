// Package queries reads files of SQL and splits them into statements exactly as psql -f
// does: quoting, dollar quotes, comments, parenthesis depth, BEGIN ATOMIC bodies, \;,
// COPY ... FROM stdin data, psql variables and the meta-commands qrun supports. It also
// reads the annotations written as comment lines above a statement (-- name:, -- stage:,
// -- after:). It uses the standard library only and never touches a database.
package queries
