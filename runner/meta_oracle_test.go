package runner

import (
	"bytes"
	"context"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
)

// metaOracle are scripts with the meta-commands qrun runs, each run by psql -f and by
// qrun (sequentially) in a database of its own: the statements the server received, what
// \echo printed and the database left behind must be the same. files are written beside
// the script (for \i); vars are -v settings.
var metaOracle = []struct {
	name  string
	src   string
	files map[string]string
	vars  map[string]string
}{
	{name: "set and unset", src: `\set t pg_class
\set q 'SELECT 1; SELECT 2'
SELECT count(*) > 0 FROM :t;
:q;
\unset t
SELECT :'t' IS NULL, :{?t}, :{?q};
\set a 1 2 '3'
SELECT :a;
\set ON_ERROR_STOP
\echo :ON_ERROR_STOP
\unset ON_ERROR_STOP
\echo :ON_ERROR_STOP :AUTOCOMMIT :{?VERSION_NUM} ok
`},
	{name: "echo qecho warn", src: `\echo -n a  b   'c  d' "e  f" :{?x}
\echo
\echo -n
\echo x -n y
\echo '-n' z
\qecho q1 q2
\warn w1 w2
\echo a\\SELECT 1;
\set v 'it''s'
\echo :v :'v' :"v" '\t|\x41|\101'
`},
	{name: "output redirection is a no-op", src: `\o {{dir}}/psql-out.txt
SELECT 1;
\o {{dir}}/psql-out2.txt
SELECT 2;
`},
	{name: "getenv and setenv", src: `\getenv h QRUN_ORACLE_ENV
\getenv nope QRUN_ORACLE_UNSET
SELECT :'h', :{?nope};
\setenv QRUN_ORACLE_NEW 'new value'
\getenv n QRUN_ORACLE_NEW
SELECT :'n';
\setenv QRUN_ORACLE_NEW
\getenv n QRUN_ORACLE_NEW
SELECT :'n';
`},
	{name: "if at load time", src: `\if of
SELECT 'of';
\elif t
SELECT 'elif t';
\else
SELECT 'else';
\endif
SELECT 1
\if false
, 2 ; , 4 :x \! echo never
\echo nope :x ` + "`echo never`" + `
\endif
, 3;
SELECT (1
\if false
, (2
\endif
);
\set x 1
\if :x
  \if no
  SELECT 'inner no';
  \elif YES
  SELECT 'inner yes';
  \endif
\elif :y
SELECT 'never';
\endif
\if 0
\if 1
SELECT 'ignored';
\endif
\else
SELECT 'else of 0';
\endif
`},
	{name: "if at run time", src: `SELECT true AS yes, false AS no, 'maybe' AS m \gset
\if :no
SELECT 'no';
\elif :yes
SELECT 'yes';
  \if :no
  SELECT 'inner no';
  \else
  SELECT 'inner else';
  \endif
\elif true
SELECT 'not after a taken branch';
\else
SELECT 'else';
\endif
\if :m
SELECT 'not a boolean is false';
\endif
\if :{?yes}
SELECT 'defined';
\endif
\if false
\elif :no
SELECT 'elif no';
\else
SELECT 'else after elif';
\endif
\set y 1
\if :no
\set y 2
\endif
SELECT :y;
`},
	{name: "gset", src: `SELECT 1 AS a, 'two' AS b \gset
SELECT :a, :'b';
SELECT 3 AS a, NULL AS b \gset p_
SELECT :p_a, :{?p_b};
SELECT 1 WHERE false \gset
SELECT :ERROR, :'SQLSTATE', :ROW_COUNT;
SELECT 1 AS a UNION ALL SELECT 2 \gset
SELECT :a;
SELECT 5 AS "ON_ERROR_STOP" \gset
SELECT 'x' AS "bad name" \gset
SELECT 6 AS a \gset
SELECT :a;
SELECT 7 AS v
\gset
SELECT :v, :'v' || 'x';
`},
	{name: "gexec", src: `CREATE TABLE g(a int);
SELECT format('INSERT INTO g VALUES (%s)', i), NULL, 'SELECT 1/0' FROM generate_series(1,2) i \gexec
SELECT :ERROR, :ROW_COUNT, :'LAST_ERROR_MESSAGE';
SELECT 'SELECT 42' \gexec
SELECT :ERROR, :ROW_COUNT;
SELECT 'CREATE TABLE h(b int)', 'INSERT INTO h VALUES (1)' \gexec
`},
	{name: "built-in variables", src: `SELECT :{?ERROR}, :'LAST_ERROR_SQLSTATE', :{?ROW_COUNT};
SELECT :'DBNAME' = current_database(), :'USER' = current_user, :'HOST', :PORT, :'ENCODING';
SELECT :SERVER_VERSION_NUM = current_setting('server_version_num')::int, :'SERVER_VERSION_NAME' = current_setting('server_version');
ALTER DATABASE :"DBNAME" SET work_mem = '8MB';
SELECT setting FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE datname = current_database();
CREATE TABLE t(a int);
INSERT INTO t VALUES (1), (2), (3);
SELECT :ROW_COUNT, :LASTOID, :ERROR;
UPDATE t SET a = a + 1 WHERE a > 1;
SELECT :ROW_COUNT;
SELECT 1/0;
SELECT :ERROR, :'SQLSTATE', :ROW_COUNT, :'LAST_ERROR_MESSAGE', :'LAST_ERROR_SQLSTATE';
SELECT 1 \; SELECT 2, 3 \; DELETE FROM t WHERE a = 2;
SELECT :ROW_COUNT, :'SQLSTATE', :'LAST_ERROR_SQLSTATE';
`},
	{name: "ON_ERROR_STOP in the file", src: `SELECT 1/0;
SELECT 'goes on';
\set ON_ERROR_STOP on \\ SELECT 1/0; SELECT 'same line goes on';
SELECT 'next line';
SELECT 1/0;
SELECT 'not sent';
`},
	{name: "ON_ERROR_STOP from -v", vars: map[string]string{"ON_ERROR_STOP": "1"}, src: `SELECT 1;
SELECT 1/0;
SELECT 'not sent';
`},
	{name: "ON_ERROR_STOP and a meta-command", vars: map[string]string{"ON_ERROR_STOP": "1"}, src: `SELECT 1 WHERE false \gset
SELECT 'not sent';
`},
	{name: "quit under a run-time if", src: `SELECT true AS done \gset
SELECT 'before';
\if :done
\echo bye
\quit
\endif
SELECT 'not sent';
`},
	{name: "reset and resend", src: `SELECT 'dropped' \r
SELECT 1;
\g
\gx
SELECT 2 \g
SELECT 3 AS x \crosstabview
`},
	{name: "client_encoding LATIN1", src: "SET client_encoding = 'LATIN1';\nCREATE TABLE l(t text);\nINSERT INTO l VALUES ('caf\xe9');\nCOPY l FROM stdin;\nna\xefve\n\\.\nSELECT :'ENCODING', t FROM l WHERE t = 'caf\xe9';\nRESET client_encoding;\nSELECT :'ENCODING', 'caf\u00e9';\n"},
	{name: "includes, display-only commands, gdesc, restrict", files: map[string]string{"sub/a.sql": "SELECT 'a', :'v';\n\\ir b.sql\n", "sub/b.sql": "SELECT 'b';\n\\set v from_b\n"},
		src: `\restrict k3y
SELECT 'restricted';
\unrestrict k3y
\set v main
\i {{dir}}/sub/a.sql
SELECT :'v';
\ir sub/a.sql
\d pg_class
\timing off
\pset format unaligned
\x
SELECT 1 AS a \gdesc
SELECT 1 AS a, 'x' AS b \gdesc
ALTER DATABASE :DBNAME SET work_mem = '4MB';
`},
	{name: "several COPY FROM STDIN in one query string", src: "CREATE TABLE c1 (i int);\nCREATE TABLE c2 (t text);\n" +
		"SELECT 0\\; COPY c1 FROM STDIN\\; COPY c2 FROM STDIN\\; SELECT 1;\n1\n2\n\\.\nx\n\\.\n" +
		"SELECT count(*) FROM c1\\; COPY c2 FROM STDIN\\; COPY c1 FROM stdin\\; COPY c2 FROM STDIN;\ny\n\\.\n3\n\\.\nz\n\\.\n" +
		"COPY c1 FROM STDIN\\; COPY c1 FROM STDIN;\n4\n\\.\nnot a number\n\\.\nSELECT 'after';\n" +
		"BEGIN;\nCOPY c2 FROM STDIN\\; COPY c2 FROM STDIN;\nin block\n\\.\n\\.\nCOMMIT;\n"},
	{name: "only meta-commands", src: "-- nothing is sent\n\\echo only\n\\set x 1\n\\echo :x :{?y}\n\\qecho q\n"},
	{name: "meta-commands after the last statement", src: "SELECT 1 AS y \\gset\n\\echo after :y\n\\if :y\n\\echo taken\n\\endif\n"},
	{name: "include named at run time", files: map[string]string{"inc.sql": "SELECT 'included', :'v';\n\\set w from_include\n"}, src: `SELECT '{{dir}}' AS dir, 'V' AS v \gset
\i :dir/inc.sql
SELECT :'w';
\i :dir/missing.sql
SELECT 'after a missing include';
`},
}

// psqlRun runs psql on path against url and returns the statements it sent and what it
// printed on standard output (\echo: its query output goes to /dev/null).
func psqlRun(t *testing.T, psql, url, path string, vars map[string]string) ([]string, string) {
	t.Helper()
	log := filepath.Join(t.TempDir(), "log.txt")
	args := []string{"-X", "-q", "-o", os.DevNull, "-L", log, "-d", url, "-f", path}
	for k, v := range vars {
		args = append(args, "-v", k+"="+v)
	}
	cmd := osexec.Command(psql, args...)
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c client_min_messages=error")
	var out bytes.Buffer
	cmd.Stdout = &out
	_ = cmd.Run() // SQL errors are expected in some scripts
	raw, err := os.ReadFile(log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("read psql log: %v", err)
	}
	const open, closing = "********* QUERY **********\n", "\n**************************\n"
	var sent []string
	s := string(raw)
	for {
		i := strings.Index(s, open)
		if i < 0 {
			break
		}
		s = s[i+len(open):]
		j := strings.Index(s, closing)
		if j < 0 {
			t.Fatalf("unterminated query in psql log")
		}
		sent = append(sent, s[:j])
		s = s[j+len(closing):]
	}
	return sent, out.String()
}

// dumpDB returns the schema and data of the database at url, without the lines that
// name it or the time.
func dumpDB(t *testing.T, url string) string {
	t.Helper()
	out, err := osexec.Command("pg_dump", "--no-owner", "--no-privileges", "-d", url).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	return regexp.MustCompile(`(?m)^(--|\\restrict |\\unrestrict ).*\n`).ReplaceAllString(string(out), "")
}

// TestMetaCommandsMatchPsql is the psql oracle for qrun's meta-commands.
func TestMetaCommandsMatchPsql(t *testing.T) {
	psql, err := osexec.LookPath("psql")
	if err != nil {
		t.Skip("psql not on PATH")
	}
	if _, err := osexec.LookPath("pg_dump"); err != nil {
		t.Skip("pg_dump not on PATH")
	}
	pgtest.URL(t)
	// Both psql and qrun read the environment of this process (os.Setenv, not t.Setenv,
	// which parallel subtests may not use).
	os.Setenv("QRUN_ORACLE_ENV", "from the environment")
	t.Cleanup(func() { os.Unsetenv("QRUN_ORACLE_ENV") })
	for _, tt := range metaOracle {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			src := strings.ReplaceAll(tt.src, "{{dir}}", dir)
			path := filepath.Join(dir, "script.sql")
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			for name, body := range tt.files {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}

			psqlURL := pgtest.NewDatabase(t)
			wantSent, wantEcho := psqlRun(t, psql, psqlURL, path, tt.vars)
			wantDump := dumpDB(t, psqlURL)

			qrunURL := pgtest.NewDatabase(t)
			script, err := queries.Load([]string{path}, queries.Options{Vars: tt.vars})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			p, err := plan.Build(script, plan.Options{})
			if err != nil {
				t.Fatalf("plan.Build: %v", err)
			}
			var mu sync.Mutex
			var echo strings.Builder
			opts := Options{Output: func(s queries.Stream, text string) {
				mu.Lock()
				defer mu.Unlock()
				if s == queries.StreamEcho {
					echo.WriteString(text)
				}
			}}
			tg := connect(t, qrunURL, Config{}, opts)
			var sent []string
			tg.onSend = func(sql string) { sent = append(sent, sql) }
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := tg.Run(ctx, p); err != nil {
				t.Fatalf("Run: %v", err)
			}
			// The databases have different names.
			wantSent = renameDB(wantSent, psqlURL, qrunURL)
			if !slices.Equal(sent, wantSent) {
				t.Errorf("statements sent:\ngot  %q\nwant %q", sent, wantSent)
			}
			if got, want := echo.String(), renameDB([]string{wantEcho}, psqlURL, qrunURL)[0]; got != want {
				t.Errorf("\\echo output:\ngot  %q\nwant %q", got, want)
			}
			if got := dumpDB(t, qrunURL); got != wantDump {
				t.Errorf("database after the run:\ngot\n%s\nwant\n%s", got, wantDump)
			}
		})
	}
}

// renameDB replaces the name of the database at from by that of the one at to.
func renameDB(list []string, from, to string) []string {
	name := func(url string) string {
		u := url[strings.LastIndexByte(url, '/')+1:]
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		return u
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strings.ReplaceAll(s, name(from), name(to))
	}
	return out
}
