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
//   - -- comments (to a newline or a carriage return) and nested /* */ comments.
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
// lexically: COPY first, FROM STDIN at depth 0, not COPY (query), where the "(" comes
// right after COPY; COPY "Name" (col, ...) is a column list), the following lines up
// to a line "\." (or end of file) are the statement's CopyData.
//
// # Meta-commands and variables
//
// A backslash outside quotes and comments starts a meta-command that runs to the end of
// the line or to "\\", with psql 15's argument lexing. lookupCmd (meta.go) lists what
// qrun does with each of psql's commands:
//
//   - \set, \unset (psql's special variables checked: ON_ERROR_STOP must be a boolean,
//     \unset leaves "off"), \i, \include, \ir, \include_relative, \getenv and
//     \setenv (which changes what later \getenv of the script see, never qrun's
//     environment) act when the file is read. Between \restrict KEY and \unrestrict
//     KEY (pg_dump writes them) any other meta-command is an error, as psql refuses them.
//   - \if, \elif, \else, \endif with psql's booleans (ParseBool). An inactive branch is
//     lexed to find where statements end, but sends nothing, interpolates no variable and
//     runs no meta-command but the conditional ones; its text is dropped from a statement
//     that spans it, and its parentheses forgotten. A condition on variables known at
//     load time is decided then; one on a variable set at run time makes the block a
//     run-time one: its statements carry a Guard and the branch is chosen when the run
//     reaches the \if (actions actIf, actElif, actElse).
//   - \g, \gx, \crosstabview end the statement (resending the previous one from an empty
//     buffer); \gset [PREFIX] and \gexec end it and act on its result at run time;
//     \gdesc ends it to be prepared, not run; \r empties the buffer; \q ends the input
//     (or the run, under a run-time \if).
//   - \echo, \qecho, \warn print at run time; \o FILE (an action, actOut) creates or
//     empties FILE when the run reaches it and sends later \qecho there, \o alone back
//     to StreamQuery; query results are never written (one warning), \o |command is
//     refused. \encoding ENC is a statement of its own sending libpq's
//     "set client_encoding to 'ENC'" (Statement.Hidden: outside psql's log), and the
//     lines after it are read in ENC, as after SET client_encoding.
//   - Display-only commands (\d..., \pset, \timing, \x, \p, \set without arguments,
//     ...) are skipped with one warning per command name through Options.Warn.
//   - \!, \e, \ef, \ev, \prompt, \password, \cd, \w, \watch and backquotes are errors
//     that say why; all these have Err ErrUnsupported. An unknown command is psql's
//     "invalid command".
//   - \lo_import FILE [COMMENT], \lo_export OID FILE, \lo_unlink OID and \lo_list[+]
//     (lo.go) are statements of their own, run where psql runs them (before a statement
//     being read); Statement.LargeObject says what to do, its arguments read when it
//     runs (they may use :LASTOID). They are Runtime: psql's query log holds none of
//     them, \lo_import sets LASTOID, and no parser sees what they touch.
//   - \copy (clientcopy.go) is a statement of its own: the COPY it sends, and the client
//     file or stream (Statement.ClientCopy).
//   - \c and \connect [-reuse-previous=on|off] [db|connstring [user [host [port]]]]
//     (psql's argument lexing; double quotes removed, case kept; "-" for "as before")
//     apply to the statements after them: Statement.Connect returns the one in effect,
//     which the runner resolves against the previous connection as psql does.
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
// is left as written; :: is a cast. Options.Vars presets variables (qrun -v), over
// psql's defaults (psqlDefaults).
//
// # Run time
//
// Some variables are known only when the script runs: those \gset sets, psql's built-in
// ERROR, SQLSTATE, ROW_COUNT, LAST_ERROR_MESSAGE, LAST_ERROR_SQLSTATE and LASTOID (after
// every statement), DBNAME, USER, HOST, PORT, ENCODING, SERVER_VERSION_NAME and
// SERVER_VERSION_NUM (from the connection), and those set from them or under a run-time
// \if (varTrack). A statement whose text reads one keeps its text as written, with the
// references as a template that Expand completes: a value is lexed in place, by the same
// lexer, and must not change where the statement ends. From the first such use on, every
// \set is also recorded, to be replayed at run time in file order, and the variables
// known so far seed the run-time store (actSeed). The meta-commands that act at run
// time are Actions attached to the statement after them (Statement.Prepare runs them)
// or, after the last one, to it (Statement.Finish); the runner keeps a State per run.
// Statement.Runtime reports all of this to the planner, RuntimeReason to --dry-run.
//
// ON_ERROR_STOP is recorded for each statement (Statement.OnErrorStop), from the line
// after the \set that changes it, as psql reads it per line.
//
// standard_conforming_strings follows SET, SET LOCAL, RESET, ROLLBACK (to a savepoint
// too) and COMMIT in the file; a statement whose split depends on it (a backslash in a
// '...' string) can check the server's setting before it is sent (CheckSCS).
//
// # Commands and their words
//
// Statement.Commands gives the leading words of each command of a statement (the whole
// statement, or each part "\;" joined to the others), read with the splitter's own
// state machine, so they are exactly the tokens psql's lexer saw: a ';' or a keyword
// inside a string (with standard_conforming_strings as the splitter had it for the
// statement), a comment or a dollar quote is no word. The splitter records while it lexes
// whether a statement holds a token and whether "\;" joined commands into it, in spare
// bits of the Statement; the words are read again from the statement's text when asked
// for, which for a statement of one command means its first few tokens (Head).
// LexCommands reads the words of text completed at run time. The words are lexical:
// what they mean (a BEGIN, a SET ROLE) is the plan package's business.
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
// directory (at the \i that names it, for includes), an include cycle, and invalid UTF-8
// or a NUL byte (at the first bad byte; psql would send them, qrun refuses). After SET
// client_encoding (or SET NAMES; pg_dump -E writes it), from the next line on, the bytes
// are sent as they are in that encoding (LATIN1, WIN1252, EUC_JP, KOI8R ...: their
// multibyte characters hold no ASCII byte, so the lexer reads them byte by byte); SJIS,
// BIG5, GBK, UHC, GB18030 and JOHAB are refused when a byte above 0x7f follows. A file
// named on the command line from which psql would send nothing but comments (an empty
// or comment-only file) is run as psql runs it, with a warning "no statements". An
// unterminated parenthesis is not an error: psql sends the text and the server reports
// it. A UTF-8 byte order mark at the start of a file is skipped, as psql skips it.
package queries
