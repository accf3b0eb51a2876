// Package deps infers, from the SQL itself, the dependency graph that lets --parallel end
// in the same database state, and give every statement the same outcome, as the
// sequential run, while independent statements still run concurrently.
//
// Analyze takes the units of a plan (one statement, or the statements of a transaction
// block) and returns edges between them, the session groups that must share one
// connection, the session settings other connections must replay, and the barriers. It is
// pure: SQL text in, edges out. Parsing is libpg_query's (github.com/pganalyze/pg_query_go,
// the server's own grammar); nothing here parses SQL by hand.
//
// # How it works
//
// Each distinct statement text is parsed once, on Options.Workers goroutines, several
// texts per call of the parser. A text becomes a short list of operations: reads, writes,
// row changes, function calls, definitions, settings, session keys, barriers, with names
// as written. One pass over the units in file order then resolves the names with what the
// file has set up so far (search_path, temporary names, views, functions, triggers,
// foreign keys, defaults, policies, partitions) into sets of objects read and written per
// unit, and adds the hazards in file order: unit i comes before unit j when i writes what
// j reads or writes, or i reads what j writes. Per object the graph remembers the last
// writer and the readers since, so a write depends on both and a read on the writer, and
// the edge count stays linear. A transaction block's sets are the union of its statements'.
//
// # Objects and names
//
// Relations (tables, views, materialized views, sequences, indexes) are one namespace, as
// in PostgreSQL; types share it (a table also creates a row type). Functions (procedures
// and aggregates too; overloads are one object), schemas, roles and the rest (collations,
// servers, publications, files of COPY ... TO 'file', ...) have their own. Unqualified
// names resolve through search_path as the file sets it (SET search_path, SELECT
// pg_catalog.set_config('search_path', ..., false) as pg_dump writes, SET LOCAL for the
// rest of the block; default "$user", public). "$user" is Options.User; when it is not
// known, or search_path is computed, the schema is unknown. Two references conflict when
// the names are equal and the schemas are equal or either is unknown. A name resolves to
// every schema of the path it may be in, and reads those schemas. Names inside function
// bodies (resolved by the server at call time) have an unknown schema. A name that the
// server would generate with a number (t_col_idx1, t_pkey2) is also the unnumbered name.
// Identifiers come folded by the parser; regclass literals ('public.s', '"S"') are folded
// as the server folds them.
//
// # What each statement reads and writes
//
//   - SELECT reads every relation it names (subqueries, CTEs, joins, expressions);
//     SELECT ... FOR UPDATE/SHARE writes them (row locks; conservative); SELECT INTO and
//     CREATE TABLE AS write the new table. Reading a view also reads what its query reads,
//     recursively, and runs its functions; reading a table reads its row security policies'
//     expressions, its user-defined column types, and its partitions or inheritance children.
//   - INSERT, UPDATE, DELETE, MERGE (also inside CTEs), COPY ... FROM and TRUNCATE change
//     the rows of their target and read every other relation. A row change of table t also:
//     runs t's triggers (CREATE TRIGGER ... EXECUTE FUNCTION f: what f does); makes the unit
//     a barrier when t has a rule; reads the tables t references and, for DELETE, UPDATE and
//     TRUNCATE, changes the tables that reference t (cascades, recursively); runs the
//     defaults of the columns an INSERT or COPY does not give (serial, identity and
//     DEFAULT nextval('s') columns write their sequence), CHECK and generated expressions;
//     writes through a view to the tables its query reads; changes its partitions and
//     carries its parents' triggers and foreign keys. COPY ... TO and COPY (query) TO read;
//     COPY to or from a server file writes or reads "file <path>"; COPY PROGRAM is a barrier.
//   - DDL writes what it creates, alters or drops, and reads what it references: a view
//     reads its tables and functions; a foreign key reads the referenced table; CREATE TABLE
//     reads its types, parents and referenced tables; an object in schema s reads "schema s".
//     CREATE INDEX reads its table and writes only the index name (generated as the server
//     does when omitted), so several indexes of one table build concurrently, as
//     pg_restore -j does; an index changes no query result, so a query after it does not
//     wait for it. ALTER TABLE writes the table (ADD PRIMARY KEY, UNIQUE and other
//     constraints too) and, like DROP, what goes with it (its indexes, owned sequences,
//     partitions). CREATE SCHEMA writes the schema and runs its elements with the schema
//     first in search_path. GRANT, REVOKE, ALTER ... OWNER, COMMENT ON and SECURITY LABEL
//     write the object and read the roles; CREATE/ALTER/DROP ROLE write the role.
//     CLUSTER, REINDEX, VACUUM and ANALYZE write their tables. REFRESH MATERIALIZED VIEW
//     writes the view and runs its query. ALTER DOMAIN ... ADD/VALIDATE CONSTRAINT, DROP
//     ... CASCADE, DROP SCHEMA, DROP OWNED, REASSIGN OWNED, TRUNCATE ... CASCADE, GRANT ON
//     ALL ... IN SCHEMA, ALTER DEFAULT PRIVILEGES, CREATE/ALTER/DROP EXTENSION and event
//     triggers are barriers; after CREATE EVENT TRIGGER, DDL runs the trigger's function.
//   - EXPLAIN ANALYZE of a statement is that statement; EXPLAIN without ANALYZE only reads.
//   - Functions: a call of a function defined in the file carries what its body does (and
//     reads "function f", which CREATE OR REPLACE writes): a LANGUAGE sql body (string or
//     BEGIN ATOMIC) is parsed; a plpgsql body goes through libpg_query's PL/pgSQL parser
//     and every embedded statement and expression is parsed (EXECUTE of a string literal
//     too; EXECUTE of computed SQL is a barrier). A body that cannot be read, another
//     language, or a function neither defined in the file nor built in: the call is a
//     barrier ("call of f (body unknown)"). An operator created in the file runs its
//     function where it is used. Built-in (pg_catalog) functions are side-effect free for
//     ordering except the list BuiltinEffects returns (set_config, advisory locks,
//     nextval/setval/currval/lastval, pg_terminate_backend and the other server-wide
//     functions, large objects, ...); a built-in with a regclass argument given as a
//     literal reads that relation, and so does a 'name'::regclass cast.
//   - Reading or writing a pg_catalog or information_schema relation is a barrier (the
//     catalogs change with every DDL).
//
// # Sessions
//
// Units tied to one connection share a session group; consecutive members of a group are
// chained by Session edges and must run on one connection: temporary objects (CREATE TEMP
// TABLE/VIEW/SEQUENCE, and every later reference to such a name unqualified or as
// pg_temp.x; ON COMMIT DROP tables stay inside their block), PREPARE/EXECUTE/DEALLOCATE
// (EXECUTE also carries what the prepared statement does), cursors declared WITH HOLD
// and their FETCH/MOVE/CLOSE (a cursor declared and used in one block needs nothing),
// LISTEN/UNLISTEN, session-level advisory locks (and, when the file has those, the
// transaction-level ones), and nextval/currval of a sequence the file reads back with
// currval (all of them with lastval). Groups are per object and merge when a unit touches
// several; DISCARD ALL, DEALLOCATE ALL, CLOSE ALL and an opaque statement join every
// group of their kind seen so far.
//
// # Barriers
//
// A barrier unit is ordered after every unit before it and before every unit after it
// (edges from the units since the previous barrier that have no successor yet, and from
// the barrier to the units after it that are not already behind one of those: O(n)).
// Barriers are: DO blocks; calls whose effects are unknown; LOCK; DISCARD; SET, RESET,
// SET ROLE, SET SESSION AUTHORIZATION and set_config(..., false) (session-level: their
// SQL is also the unit's Replay, to run on every other connection; SET LOCAL and SET
// TRANSACTION have no effect outside the unit, but SET LOCAL is a barrier all the same);
// statements libpg_query cannot parse (the server will reject them; they must not move);
// Opaque statements (known only at run time); CHECKPOINT, LOAD, ALTER SYSTEM, database,
// tablespace and subscription commands, two-phase commit; anything not recognised.
//
// # Limits
//
// Only what the file says is known: objects that exist before the run are assumed to have
// no triggers, rules, policies, foreign keys or views that would add effects, and
// functions not defined in the file are barriers. Casts and base types created with user
// functions, and domain CHECKs calling user functions, are not followed. Defaults copied
// by CREATE TABLE ... LIKE ... INCLUDING DEFAULTS are not followed. Concurrent units that
// the model says commute may still wait for each other's locks (never for ever: a unit
// is one statement or one block, and conflicting units are ordered), and an EXPLAIN may
// show a different plan while an index is being built beside it.
package deps
