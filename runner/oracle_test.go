package runner

import (
	"context"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
	"github.com/qrunhq/qrun/result"
)

// scriptPlan loads script (named name, in dir when dir is not "") as Load would and
// builds its plan.
func scriptPlan(t testing.TB, name, script string, qopts queries.Options, popts plan.Options) *plan.Plan {
	t.Helper()
	s, err := queries.Parse(name, []byte(script), qopts)
	if err != nil {
		t.Fatalf("queries.Parse: %v", err)
	}
	p, err := plan.Build(s, popts)
	if err != nil {
		t.Fatalf("plan.Build: %v", err)
	}
	return p
}

// psqlScript runs script through psql -f against url, with the -v settings given, and
// returns its exit status. SQL errors are expected: the state psql leaves is the oracle.
func psqlScript(t testing.TB, url, script string, vars ...string) int {
	t.Helper()
	psql, err := osexec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	path := filepath.Join(t.TempDir(), "script.sql")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-X", "-q", "-o", os.DevNull, "-d", url, "-f", path}
	for _, v := range vars {
		args = append(args, "-v", v)
	}
	cmd := osexec.Command(psql, args...)
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c client_min_messages=error")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	if ee, ok := err.(*osexec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("psql: %v", err)
	}
	return 0
}

// state returns what query reads on url, one row a line, for comparing databases.
func state(t testing.TB, url, query string) string {
	t.Helper()
	c := admin(t, url)
	rows, err := c.Query(context.Background(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if i > 0 {
				b.WriteByte('|')
			}
			b.WriteString(fmtValue(v))
		}
		b.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return b.String()
}

func fmtValue(v any) string {
	if v == nil {
		return "NULL"
	}
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return fmt.Sprint(v)
}

// TestBlocksAsPsqlSendsThem runs transaction blocks with failing statements through qrun
// and through psql -f, each on a fresh database, and compares what they leave.
func TestBlocksAsPsqlSendsThem(t *testing.T) {
	t.Parallel()
	const schema = "CREATE TABLE t (x int PRIMARY KEY);\n"
	tests := []struct {
		name   string
		script string
		vars   []string // psql -v, also given to qrun
		opts   Options
		want   string // the unit statuses in qrun
		rows   string // the rows of t that both leave
	}{
		{
			name: "savepoint recovers and commits",
			script: "BEGIN;\nINSERT INTO t VALUES (1);\nSAVEPOINT s;\nINSERT INTO t VALUES (1);\n" +
				"INSERT INTO t VALUES (2);\nROLLBACK TO SAVEPOINT s;\nINSERT INTO t VALUES (3);\nCOMMIT;\n" +
				"INSERT INTO t VALUES (4);\n",
			want: "error ok",
			rows: "1\n3\n4\n",
		},
		{
			name:   "an error rolls the block back",
			script: "BEGIN;\nINSERT INTO t VALUES (1);\nSELECT 1/0;\nINSERT INTO t VALUES (2);\nCOMMIT;\nINSERT INTO t VALUES (5);\n",
			want:   "error ok",
			rows:   "5\n",
		},
		{
			name:   "explicit rollback after the error",
			script: "BEGIN;\nINSERT INTO t VALUES (1);\nSELECT nope;\nROLLBACK;\nINSERT INTO t VALUES (6);\n",
			want:   "error ok",
			rows:   "6\n",
		},
		{
			name: "stop on error stops inside the block",
			script: "INSERT INTO t VALUES (7);\nBEGIN;\nINSERT INTO t VALUES (1);\nSAVEPOINT s;\nSELECT 1/0;\n" +
				"ROLLBACK TO SAVEPOINT s;\nCOMMIT;\nINSERT INTO t VALUES (8);\n",
			vars: []string{"ON_ERROR_STOP=1"},
			opts: Options{StopOnError: true},
			want: "ok error not_run",
			rows: "7\n",
		},
		{
			name:   "ON_ERROR_ROLLBACK from -v",
			script: "BEGIN;\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\nCOMMIT;\n",
			vars:   []string{"ON_ERROR_ROLLBACK=on"},
			want:   "error",
			rows:   "1\n2\n",
		},
		{
			name: "ON_ERROR_ROLLBACK set and unset in the file",
			script: "\\set ON_ERROR_ROLLBACK on\nBEGIN;\nINSERT INTO t VALUES (1);\nSELECT 1/0;\nINSERT INTO t VALUES (2);\nCOMMIT;\n" +
				"\\unset ON_ERROR_ROLLBACK\nBEGIN;\nINSERT INTO t VALUES (3);\nSELECT 1/0;\nCOMMIT;\n" +
				"\\set ON_ERROR_ROLLBACK yes\nBEGIN;\nINSERT INTO t VALUES (4);\nSELECT 1/0;\nCOMMIT;\n",
			want: "error error error",
			rows: "1\n2\n4\n",
		},
		{
			name:   "ON_ERROR_ROLLBACK interactive is off in a script",
			script: "\\set ON_ERROR_ROLLBACK interactive\nBEGIN;\nINSERT INTO t VALUES (1);\nSELECT 1/0;\nCOMMIT;\nINSERT INTO t VALUES (9);\n",
			want:   "error ok",
			rows:   "9\n",
		},
		{
			name: "ON_ERROR_ROLLBACK beside the script's own savepoints",
			script: "BEGIN;\nSAVEPOINT a;\nINSERT INTO t VALUES (1);\nRELEASE a;\nSAVEPOINT b;\nINSERT INTO t VALUES (2);\n" +
				"SELECT 1/0;\nROLLBACK TO SAVEPOINT b;\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (3);\nCOMMIT;\n",
			vars: []string{"ON_ERROR_ROLLBACK=on"},
			want: "error",
			rows: "1\n3\n",
		},
		{
			// The design review's repro A: with standard_conforming_strings off, 'it\'s' is one
			// string, so the COMMIT joined to it with \; closes the block (qrun used to
			// refuse the file: "transaction block never closed").
			name:   "block closed by a COMMIT joined after a backslash-quoted string",
			script: "SET standard_conforming_strings = off;\nBEGIN;\nINSERT INTO t SELECT length('it\\'s') \\; COMMIT;\nINSERT INTO t VALUES (2);\n",
			want:   "ok ok ok",
			rows:   "2\n4\n",
		},
		{
			// The design review's repro B: a comment inside SET standard_conforming_strings
			// (qrun used to miss the SET, and refused the file: "unterminated quoted string").
			name:   "SET standard_conforming_strings with a comment inside",
			script: "SET /* c */ standard_conforming_strings = off;\nINSERT INTO t SELECT length('a\\'; SELECT 1');\n",
			want:   "ok ok",
			rows:   "12\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			viaQrun, viaPsql := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
			exec(t, admin(t, viaQrun), schema)
			exec(t, admin(t, viaPsql), schema)
			psqlScript(t, viaPsql, tt.script, tt.vars...)

			vars := map[string]string{}
			for _, v := range tt.vars {
				k, val, _ := strings.Cut(v, "=")
				vars[k] = val
			}
			p := scriptPlan(t, "t.sql", tt.script, queries.Options{Vars: vars}, plan.Options{})
			r := run(t, connect(t, viaQrun, Config{}, tt.opts), p)
			if got := statuses(r); got != tt.want {
				t.Errorf("got statuses %q, want %q", got, tt.want)
			}
			const q = "SELECT x FROM t ORDER BY x"
			got, oracle := state(t, viaQrun, q), state(t, viaPsql, q)
			if got != oracle {
				t.Errorf("qrun left rows %q, psql -f left %q", got, oracle)
			}
			if got != tt.rows {
				t.Errorf("got rows %q, want %q", got, tt.rows)
			}
		})
	}
}

// TestBlockReportsEveryStatement checks the per-statement outcomes of a block that fails
// and recovers: its own error for the failing statement, 25P02 for the ones the server
// ignored, ok again after the ROLLBACK TO SAVEPOINT, and the first error on the unit.
func TestBlockReportsEveryStatement(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	exec(t, admin(t, url), "CREATE TABLE t (x int PRIMARY KEY)")
	script := "BEGIN;\nSAVEPOINT s;\nSELECT nope;\nINSERT INTO t VALUES (2);\nROLLBACK TO SAVEPOINT s;\n" +
		"INSERT INTO t VALUES (3), (4);\nCOMMIT;\n"
	p := scriptPlan(t, "t.sql", script, queries.Options{}, plan.Options{})
	r := run(t, connect(t, url, Config{}, Options{Retries: 3}), p)
	q := r.Queries[0]
	if q.Status != result.StatusError || q.Error == nil || q.Error.SQLState != "42703" || q.Error.Position != "t.sql:3:8" {
		t.Fatalf("got unit %s with error %+v, want error 42703 at t.sql:3:8", q.Status, q.Error)
	}
	if q.Attempts != 1 {
		t.Errorf("got %d attempts, want 1: a block that committed is not retried", q.Attempts)
	}
	type want struct {
		status   result.Status
		sqlstate string
		command  string
	}
	wants := []want{
		{result.StatusOK, "", "BEGIN"},
		{result.StatusOK, "", "SAVEPOINT"},
		{result.StatusError, "42703", ""},
		{result.StatusError, "25P02", ""},
		{result.StatusOK, "", "ROLLBACK"},
		{result.StatusOK, "", "INSERT 0 2"},
		{result.StatusOK, "", "COMMIT"},
	}
	if len(q.Statements) != len(wants) {
		t.Fatalf("got %d statements, want %d", len(q.Statements), len(wants))
	}
	for i, w := range wants {
		s := q.Statements[i]
		state := ""
		if s.Error != nil {
			state = s.Error.SQLState
		}
		if s.Status != w.status || state != w.sqlstate || s.Command != w.command {
			t.Errorf("statement %d (%s): got %s %q %q, want %s %q %q", i, s.SQL, s.Status, state, s.Command, w.status, w.sqlstate, w.command)
		}
	}
	if q.Rows != 2 {
		t.Errorf("got %d rows, want 2 (the ok statements')", q.Rows)
	}
	if n := scalar[int64](t, url, "SELECT count(*) FROM t"); n != 2 {
		t.Errorf("got %d rows kept, want 2", n)
	}
}
