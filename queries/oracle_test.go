package queries

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/internal/pgtest"
)

// oracleInputs are tricky scripts whose split psql itself decides.
var oracleInputs = map[string]string{
	"quotes":        "SELECT 'a;''b', E'c\\';', U&'d\\0061' , \"e;\"\"f\" AS x;\nSELECT $$;$$, $t$ $$ ; $t$, 1 AS a$b$;\n",
	"comments":      "-- lead\n/* lead; */ SELECT 1 /* a /* ; */ b */ -- ;\n, 2;;\nSELECT 2 !=/**/ 1;\n",
	"lines":         "SELECT 1\n\n, 2\n\\set x 3\n, :x;\nSELECT 'a\n\nb';\n",
	"scs":           "SET standard_conforming_strings = off; SELECT 'a\\';\nSELECT 'b\\';';\nRESET standard_conforming_strings;\nSELECT 'c\\';\n",
	"atomic":        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; END;\nCREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC END;\nSELECT f();\n",
	"vars":          "\\set t pg_class\n\\set q 'SELECT 1; SELECT 2'\nSELECT count(*) > 0 FROM :t;\n:q;\nSELECT :'t', :\"t\" IS NULL FROM (SELECT 1 AS pg_class) s;\nSELECT 1::int, :nope;\n",
	"backslash":     "SELECT 1\\; SELECT 2;\nSELECT 3 \\g\n\\set a 1 \\\\ SELECT :a;\n",
	"copy":          "CREATE TABLE c (a int, b text);\nCOPY c FROM stdin;\n1\tx;y\n2\t'z\n\\.\nSELECT count(*) FROM c;\n",
	"parens":        "SELECT (1\n;\n); SELECT ARRAY[1;\n",
	"eof":           "SELECT 1;\nSELECT 2\n\n",
	"dollar-param":  "PREPARE s AS SELECT $1::int; EXECUTE s(1); SELECT 1$a$;$a$;\n",
	"cr-comment":    "SELECT 1 -- x\r; SELECT 2;\n-- y\rSELECT 3;\n",
	"bom":           "\xef\xbb\xbfSELECT 1;\nSELECT 2;\n",
	"copy-quoted":   "CREATE TABLE \"Quoted Name\" (a int, b text);\nCOPY \"Quoted Name\" (a, b) FROM stdin;\n1\tx;y\n\\.\nSELECT count(*) FROM \"Quoted Name\";\n",
	"comments-only": "-- a\n/* b */\n",
	"scs-rollback":  "BEGIN;\nSET standard_conforming_strings = off;\nROLLBACK;\nSELECT 'a\\';\nSELECT 2;\n",
	"scs-local":     "BEGIN;\nSET LOCAL standard_conforming_strings = off;\nSELECT 'a\\';';\nCOMMIT;\nSELECT 'b\\';\n",
	"scs-commit":    "START TRANSACTION;\nSET standard_conforming_strings = off;\nEND;\nSELECT 'c\\';';\n",
	"scs-savepoint": "BEGIN;\nSAVEPOINT s;\nSET standard_conforming_strings = off;\nROLLBACK TO SAVEPOINT s;\nSELECT 'd\\';\nABORT;\n",
	"scs-release":   "BEGIN;\nSAVEPOINT s;\nSET standard_conforming_strings = off;\nRELEASE s;\nSELECT 'd\\';';\nCOMMIT;\nSELECT 'e\\';';\n",
	// The design review's repros A and B (TestOracleCommands checks the commands of A).
	"scs-joined":     "SET standard_conforming_strings = off;\nBEGIN;\nSELECT 'it\\'s' \\; COMMIT;\nSELECT 2;\n",
	"scs-comment":    "SET /* c */ standard_conforming_strings = off;\nSELECT 'a\\'; SELECT 1';\n",
	"scs-joined-set": "SELECT 1 \\; SET standard_conforming_strings = off;\nSELECT 'f\\';';\n",
}

// psqlLog runs psql on path against url and returns the statements it sent.
func psqlLog(t *testing.T, psql, url, path string) []string {
	t.Helper()
	log := filepath.Join(t.TempDir(), "log.txt")
	cmd := exec.Command(psql, "-X", "-q", "-o", os.DevNull, "-L", log, "-d", url, "-f", path)
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c client_min_messages=error")
	_ = cmd.Run() // SQL errors are expected in some inputs; the log is what matters
	raw, err := os.ReadFile(log)
	if err != nil {
		t.Fatalf("read psql log: %v", err)
	}
	const open, closing = "********* QUERY **********\n", "\n**************************\n"
	var out []string
	s := string(raw)
	for {
		i := strings.Index(s, open)
		if i < 0 {
			return out
		}
		s = s[i+len(open):]
		j := strings.Index(s, closing)
		if j < 0 {
			t.Fatalf("unterminated query in psql log")
		}
		out = append(out, s[:j])
		s = s[j+len(closing):]
	}
}

// TestOracle compares the split of tricky inputs with what the real psql sends.
func TestOracle(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not on PATH")
	}
	pgtest.URL(t)
	for name, src := range oracleInputs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url := pgtest.NewDatabase(t)
			path := filepath.Join(t.TempDir(), name+".sql")
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			want := psqlLog(t, psql, url, path)
			s, err := Load([]string{path}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, st := range s.Statements {
				got = append(got, st.SQL)
			}
			if !reflect.DeepEqual(normalize(got), normalize(want)) {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
}
