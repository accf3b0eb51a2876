package plan

import (
	"strings"
	"testing"

	"github.com/qrunhq/qrun/queries"
)

// classifySQL classifies the first command of sql as Build does a statement's.
func classifySQL(sql string) command {
	var w []string
	if cmds := queries.LexCommands(sql, true, 0); len(cmds) > 0 {
		w = cmds[0]
	}
	c := classify(w)
	if c.none() && queries.Calls(sql, "set_config") {
		c.session = sessSetConfig
	}
	return c
}

func TestClassifyTransaction(t *testing.T) {
	tests := []struct {
		sql  string
		want txKind
	}{
		{"BEGIN;", txBegin},
		{"begin;", txBegin},
		{"begin", txBegin},
		{"Begin Work;", txBegin},
		{"BEGIN TRANSACTION;", txBegin},
		{"BEGIN ISOLATION LEVEL SERIALIZABLE;", txBegin},
		{"BEGIN READ ONLY;", txBegin},
		{"/* c */ -- d\n  BEGIN;", txBegin},
		{"START TRANSACTION;", txBegin},
		{"start transaction isolation level repeatable read;", txBegin},
		{"BEGIN ATOMIC SELECT 1; END;", txNone},
		{"START_REPLICATION;", txNone},
		{"COMMIT;", txCommit},
		{"commit work;", txCommit},
		{"COMMIT TRANSACTION;", txCommit},
		{"END;", txCommit},
		{"END TRANSACTION;", txCommit},
		{"end work", txCommit},
		{"COMMIT AND NO CHAIN;", txCommit},
		{"COMMIT AND CHAIN;", txCommitChain},
		{"END TRANSACTION AND CHAIN;", txCommitChain},
		{"ROLLBACK;", txRollback},
		{"ABORT;", txRollback},
		{"ROLLBACK WORK;", txRollback},
		{"ROLLBACK AND CHAIN;", txRollbackChain},
		{"abort and chain;", txRollbackChain},
		{"ROLLBACK TO SAVEPOINT s;", txNone},
		{"ROLLBACK TO s;", txNone},
		{"ROLLBACK TRANSACTION TO SAVEPOINT s;", txNone},
		{"PREPARE TRANSACTION 'x';", txPrepare},
		{"COMMIT PREPARED 'x';", txNone},
		{"ROLLBACK PREPARED 'x';", txNone},
		{"SAVEPOINT s;", txNone},
		{"SELECT 'BEGIN';", txNone},
		{`"begin";`, txNone},
		{"BEGINS;", txNone},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			if got := classifySQL(tt.sql).tx; got != tt.want {
				t.Errorf("classify(%q).tx: got %d, want %d", tt.sql, got, tt.want)
			}
		})
	}
}

func TestClassifySession(t *testing.T) {
	tests := []struct {
		sql  string
		want sessionKind
	}{
		{"SET search_path = a;", sessSet},
		{"set work_mem to '64MB';", sessSet},
		{"SET SESSION statement_timeout = 0;", sessSet},
		{"SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY;", sessSet},
		{"SET LOCAL work_mem = '1MB';", sessNone},
		{"SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;", sessNone},
		{"SET CONSTRAINTS ALL DEFERRED;", sessNone},
		{"SET ROLE alice;", sessRole},
		{"SET SESSION AUTHORIZATION alice;", sessRole},
		{"RESET ALL;", sessReset},
		{"RESET ROLE;", sessReset},
		{"SELECT set_config('search_path', 'a', false);", sessSetConfig},
		{"select pg_catalog.SET_CONFIG ('a.b', 'c', false);", sessSetConfig},
		{"SELECT my_set_config('a');", sessNone},
		{"SELECT set_configx('a');", sessNone},
		{"SELECT set_config;", sessNone},
		{"CREATE TEMP TABLE t (a int);", sessTemp},
		{"create temporary table t as select 1;", sessTemp},
		{"CREATE LOCAL TEMPORARY TABLE t (a int);", sessTemp},
		{"CREATE GLOBAL TEMP TABLE t (a int);", sessTemp},
		{"CREATE TEMP VIEW v AS SELECT 1;", sessTemp},
		{"CREATE OR REPLACE TEMP VIEW v AS SELECT 1;", sessTemp},
		{"CREATE TEMP RECURSIVE VIEW v (n) AS SELECT 1;", sessTemp},
		{"CREATE TEMP SEQUENCE s;", sessTemp},
		{"CREATE TABLE temp (a int);", sessNone},
		{"CREATE TABLE t (a int);", sessNone},
		{"DISCARD ALL;", sessDiscard},
		{"LISTEN chan;", sessListen},
		{"PREPARE q (int) AS SELECT $1;", sessPrepare},
		{"PREPARE TRANSACTION 'x';", sessNone},
		{"SELECT 1;", sessNone},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			if got := classifySQL(tt.sql).session; got != tt.want {
				t.Errorf("classify(%q).session: got %v, want %v", tt.sql, got, tt.want)
			}
		})
	}
}

func TestClassifyNoTransaction(t *testing.T) {
	tests := []struct {
		sql  string
		want string // "" when the command can run in a transaction block
	}{
		{"VACUUM;", "VACUUM"},
		{"vacuum (analyze) t;", "VACUUM"},
		{"CREATE INDEX CONCURRENTLY i ON t (a);", "CREATE INDEX CONCURRENTLY"},
		{"CREATE UNIQUE INDEX CONCURRENTLY i ON t (a);", "CREATE INDEX CONCURRENTLY"},
		{"CREATE INDEX i ON t (a);", ""},
		{"DROP INDEX CONCURRENTLY i;", "DROP INDEX CONCURRENTLY"},
		{"DROP INDEX i;", ""},
		{"REINDEX INDEX CONCURRENTLY i;", "REINDEX CONCURRENTLY"},
		{"REINDEX TABLE CONCURRENTLY t;", "REINDEX CONCURRENTLY"},
		{"REINDEX (VERBOSE, CONCURRENTLY) TABLE t;", "REINDEX CONCURRENTLY"},
		{"REINDEX TABLE t;", ""},
		{"REINDEX (VERBOSE) INDEX i;", ""},
		{"REINDEX DATABASE d;", "REINDEX DATABASE"},
		{"reindex system;", "REINDEX SYSTEM"},
		{"CREATE DATABASE d;", "CREATE DATABASE"},
		{"DROP DATABASE IF EXISTS d;", "DROP DATABASE"},
		{"ALTER DATABASE d SET TABLESPACE s;", "ALTER DATABASE ... SET TABLESPACE"},
		{`ALTER DATABASE "d" SET work_mem = '1MB';`, ""},
		{"CREATE TABLESPACE s LOCATION '/x';", "CREATE TABLESPACE"},
		{"DROP TABLESPACE s;", "DROP TABLESPACE"},
		{"ALTER SYSTEM SET work_mem = '1MB';", "ALTER SYSTEM"},
		{"CLUSTER;", "CLUSTER without a table"},
		{"CLUSTER VERBOSE;", "CLUSTER without a table"},
		{"CLUSTER (VERBOSE);", "CLUSTER without a table"},
		{"cluster", "CLUSTER without a table"},
		{"CLUSTER t USING i;", ""},
		{"CLUSTER VERBOSE t;", ""},
		{"CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p;", "CREATE SUBSCRIPTION"},
		{"DROP SUBSCRIPTION s;", "DROP SUBSCRIPTION"},
		{"ALTER SUBSCRIPTION s REFRESH PUBLICATION;", "ALTER SUBSCRIPTION ... REFRESH"},
		{"ALTER SUBSCRIPTION s CONNECTION 'refresh';", ""},
		{"ALTER SUBSCRIPTION s DISABLE;", ""},
		{"COMMIT PREPARED 'x';", "COMMIT PREPARED"},
		{"ROLLBACK PREPARED 'x';", "ROLLBACK PREPARED"},
		{"SELECT 'VACUUM';", ""},
		{"ANALYZE t;", ""},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			if got := classifySQL(tt.sql).noTx; got != tt.want {
				t.Errorf("classify(%q).noTx: got %q, want %q", tt.sql, got, tt.want)
			}
		})
	}
}

// TestClassifyLongCommands checks the commands whose words past queries.HeadWords
// matter: Build reads all of them.
func TestClassifyLongCommands(t *testing.T) {
	long := "ALTER SUBSCRIPTION s SET PUBLICATION p1, p2, p3, p4, p5, p6, p7 WITH (refresh = true);"
	if got := classifySQL(long).noTx; got != "ALTER SUBSCRIPTION ... REFRESH" {
		t.Errorf("classify(%q).noTx: got %q, want ALTER SUBSCRIPTION ... REFRESH", long, got)
	}
	sc, err := queries.Parse("t.sql", []byte("BEGIN ISOLATION LEVEL REPEATABLE READ, DEFERRABLE, NOT DEFERRABLE, READ WRITE;\nCOMMIT;\n"), queries.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(sc, Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "read-write") {
		t.Errorf("BEGIN ... READ WRITE past the first %d words under --read-only: got %v, want the read-write error", queries.HeadWords, err)
	}
}
