// Package runner executes a plan against PostgreSQL and measures it: sequentially on one
// connection like psql -f, or in parallel through a pgx pool with the plan's stages,
// dependencies and transaction blocks honoured. It streams and counts result rows, never
// holding them, cancels on the server what it abandons, and hands back plain result
// structs. It never prints: progress goes out as result.Event values.
//
// How it measures:
//   - Connections are opened, set up (Config.Setup) and checked by Connect, before any
//     clock starts; each run takes all of them from the pool before its clock starts,
//     and every run after the first resets them (DISCARD ALL, then the setup again), so
//     that a temporary table or SET of one run does not leak into the next.
//   - A unit's WallMs runs from sending its first statement to its last result; the
//     BEGIN and ROLLBACK that Options.Rollback wraps around a statement are not timed.
//     After retries, WallMs is the last attempt's and StartMs the first attempt's start.
//   - A transaction block is sent statement by statement as psql sends it: after an
//     error the later statements are still sent (the server ignores them with 25P02
//     until a ROLLBACK or ROLLBACK TO SAVEPOINT), each statement has its own status and
//     times, and the unit reports the first error. Options.StopOnError stops at the
//     first error and rolls back. With ON_ERROR_ROLLBACK on (Statement.OnErrorRollback)
//     each statement of an open transaction runs under psql's savepoint
//     pg_psql_temporary_savepoint; the SAVEPOINT and its RELEASE or ROLLBACK TO are
//     outside the statement's times, inside the block's.
//   - A \copy streams its file or standard input through fixed buffers, timed like
//     any statement (copy.go). In sequential mode the statements after a \connect run
//     on a connection of their own, opened while the run's clock is stopped
//     (connect_meta.go).
//   - WaitMs is the time a ready unit waited for a connection. In sequential mode units
//     run in file order and nothing waits: it is 0.
//   - A connection that dies mid-run is dropped and its worker takes a fresh one for its
//     next unit.
//
// psql's meta-commands that act at run time (queries.Statement.Runtime: \gset, \gexec,
// \echo, \if on a run-time variable, variables such as :ROW_COUNT or :DBNAME, \i of a
// file named at run time) run in a session per run (session.go): a queries.State seeded
// from the connection, Statement.Prepare before each statement, the built-in variables
// after it. \echo, \qecho and \warn output goes to Options.Output. A failure stops the
// run when Options.StopOnError or the statement's ON_ERROR_STOP says so.
//
// A cancelled context (Ctrl-C, --max-time), Options.Timeout and Options.StopOnError all
// end queries with a cancel request to the server, so no query goes on running behind
// qrun; the connection stays usable.
package runner
