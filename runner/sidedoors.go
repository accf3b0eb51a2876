package runner

import (
	"context"

	"github.com/jackc/pgx/v5/pgconn"
)

// Side doors: what PostgreSQL still lets a role do under --read-only and --rollback.
//
// Both modes work through qrun's transactions: a READ ONLY transaction refuses writes, a
// rolled-back one undoes them. Some effects are outside any transaction of the session:
// a server file that COPY ... TO 'file' writes (superuser, pg_write_server_files), a
// program that COPY ... TO PROGRAM runs (pg_execute_server_program), a write dblink_exec
// makes over a connection of its own, a large object lo_import reads from a server file
// (it is allowed in a READ ONLY transaction). The only sound way to close them is a role
// without those privileges (docs/safety.md); qrun says when the connected role has them.

// sideDoorQuery asks what the connected role can do outside qrun's transaction. Each
// column is false where the role, function or extension does not exist (an older server,
// an engine without them).
const sideDoorQuery = `SELECT
  coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false),
  CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pg_write_server_files')
    THEN pg_has_role(current_user, 'pg_write_server_files', 'USAGE') ELSE false END,
  CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pg_execute_server_program')
    THEN pg_has_role(current_user, 'pg_execute_server_program', 'USAGE') ELSE false END,
  coalesce((SELECT bool_or(has_function_privilege(p.oid, 'EXECUTE')) FROM pg_proc p WHERE p.proname IN ('dblink_exec', 'dblink')), false),
  coalesce((SELECT bool_or(has_function_privilege(p.oid, 'EXECUTE')) FROM pg_proc p
    WHERE p.proname = 'lo_import' AND p.pronamespace = 'pg_catalog'::regnamespace), false)`

// sideDoors lists, one sentence each, what the role of pc can do that --read-only and
// --rollback do not stop. Nothing when the server cannot say (the query fails).
func sideDoors(ctx context.Context, pc *pgconn.PgConn) []string {
	row, err := simpleRow(ctx, pc, sideDoorQuery)
	if err != nil || len(row) != 5 {
		return nil
	}
	super, writeFiles, program, dblink, loImport := row[0] == "t", row[1] == "t", row[2] == "t", row[3] == "t", row[4] == "t"
	var out []string
	if super {
		out = append(out, "the role is a superuser: nothing it runs is bound by --read-only or --rollback for certain (COPY TO a server file or PROGRAM, lo_import, dblink, untrusted languages); connect as a role without privileges (docs/safety.md)")
	}
	if writeFiles && !super {
		out = append(out, "the role can write server files (pg_write_server_files): COPY ... TO 'file' is allowed in a READ ONLY transaction and a rollback does not remove the file")
	}
	if program && !super {
		out = append(out, "the role can run server programs (pg_execute_server_program): COPY ... TO PROGRAM runs whatever --read-only or --rollback say")
	}
	if dblink {
		out = append(out, "the role can execute dblink: dblink_exec writes over a connection of its own, outside qrun's READ ONLY or rolled-back transaction")
	}
	if loImport && !super {
		out = append(out, "the role can execute the server's lo_import: it creates large objects from server files, in a READ ONLY transaction too")
	}
	return out
}
