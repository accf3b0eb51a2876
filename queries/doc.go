// Package queries reads files of SQL and splits them into statements exactly as psql -f
// does, so that a script means the same thing to qrun as to psql. It also reads the
// annotations written as comment lines above a statement. It uses the standard library
// only and never touches a database.
//
// # Splitting
//
// The lexer is a byte-level state machine with one state per psql quoting context
// (src/fe_utils/psqlscan.l):
//
//   - '...' with a quote doubled inside (and backslash escapes when standard_conforming_strings is off: a
//     SET [SESSION] standard_conforming_strings {TO|=} ... or RESET statement in the
//     file changes it from the next input line on, as psql re-reads the setting per
//     line); E'...' always has backslash escapes; B'...', X'...', N'...', U&'...' and
//     U&"..." — a prefix counts only when it is a whole token (somee'x' is not E'...').
//   - "..." with "".
//   - $tag$...$tag$ dollar quotes; $1 is a parameter and a$b$ an identifier.
//   - -- comments and nested /* */ comments.
//   - Parenthesis depth (never below 0; brackets do not count) and psql's BEGIN ATOMIC
//     heuristic for CREATE [OR REPLACE] FUNCTION/PROCEDURE.
//
// A statement ends at a ";" outside all of these (the ";" is kept, ";;" sends a lone
// ";"), at "\g", or at the end of a file. Its SQL is what psql sends: leading
// whitespace and -- comments dropped, inner comments kept, empty lines and lines holding
// only a meta-command dropped, "\;" and "\:" turned into ";" and ":", variables
// interpolated. Without rewriting, SQL shares the memory of the file.
//
// After COPY ... FROM STDIN (or FROM STDOUT, which the server reads alike; detected
// lexically: COPY first, FROM STDIN at depth 0, not COPY (query)), the following lines up
// to a line "\." (or end of file) are the statement's CopyData.
//
// # Meta-commands and variables
//
// A backslash outside quotes and comments starts a meta-command that runs to the end of
// the line or to "\\". Supported: \set NAME [VALUE...] (psql's argument lexing; backquotes
// are an error), \unset NAME, \i and \include, \ir and \include_relative (relative to the
// including file), \restrict and \unrestrict (no effect), \g and \gx without arguments
// (end the statement), \q (ends all input). Display-only commands (\d..., \pset, \echo,
// \qecho, \warn, \timing, \x, \a, \t, \T, \H, \f, \C, \l, \z, \sf, \sv, \conninfo,
// \encoding without argument, \errverbose, \h, \?, \copyright, \set without argument)
// are skipped with one warning per command name through Options.Warn. Every other
// meta-command (\if, \gset, \gexec, \!, \o, \getenv, ...) is an error whose Err is
// ErrUnsupported.
//
// \c and \connect [-reuse-previous=on|off] [db|connstring [user [host [port]]]] (psql's
// argument lexing; double quotes removed, case kept; "-" for "as before") apply to the
// statements after them: Statement.Connect returns the one in effect, which the runner
// resolves against the previous connection as psql does.
//
// \copy takes the rest of its line, parsed as psql's parse_slash_copy parses it, and is a
// statement of its own whose SQL is the COPY ... FROM STDIN or COPY ... TO STDOUT psql
// sends; Statement.ClientCopy says what the client reads or writes: a file (relative to
// the working directory, as psql opens it; a file to read must exist when loading unless
// an earlier \copy ... to writes it), the data lines that follow (from stdin, as for COPY
// ... FROM STDIN), or the standard streams (pstdin, stdout, pstdout). It is sent before a
// statement whose text is being read around it, as psql runs it at once. \copy ...
// program is not supported. ON_ERROR_ROLLBACK is read as each statement ends
// (Statement.OnErrorRollback).
//
// :name is replaced by the variable's value, which is lexed again; :'name' and :"name"
// insert it as a quoted literal or identifier; :{?name} tests it; an undefined variable
// is left as written; :: is a cast. Options.Vars presets variables (qrun -v).
//
// # Annotations
//
// Comment lines between the previous statement and a statement (each starting its line)
// may annotate it: "-- name: NAME" (an sqlc suffix such as :one is ignored; names have no
// spaces and must be unique), "-- stage: LABEL" (a new stage from this statement on) and
// "-- after: NAME[, NAME...]" (may repeat). Other "-- key:" comments are plain comments.
// An unnamed statement is named FILE:LINE, or FILE:LINE:COL when that is taken, then
// FILE:LINE:COL#2, ...
//
// # Input errors
//
// Load reads and checks all input before returning and reports every problem as an
// ErrorList of *Error, sorted, each file:line:col: an unterminated quote, quoted
// identifier, dollar quote or comment (at its opening), an unsupported meta-command,
// a malformed or duplicate annotation, a missing, unreadable or non-regular file or a
// directory (at the \i that names it, for includes), an include cycle, invalid UTF-8 or a
// NUL byte (at the first bad byte; psql would send them, qrun refuses), and a file named
// on the command line from which psql would send nothing and that holds no meta-command
// ("no statements": an empty or comment-only file). An unterminated parenthesis is not
// an error: psql sends the text and the server reports it.
package queries
