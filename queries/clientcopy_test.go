package queries

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/qrunhq/qrun/internal/pgtest"
)

// TestStatementSize64 keeps a Statement at 64 bytes: a million of them are loaded at once.
func TestStatementSize64(t *testing.T) {
	if n := unsafe.Sizeof(Statement{}); n != 64 {
		t.Errorf("got a %d-byte Statement, want 64", n)
	}
}

func TestOnErrorRollback(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		src  string
		want []bool // per statement
		err  string
	}{
		{name: "unset", src: "SELECT 1;", want: []bool{false}},
		{name: "from -v", vars: map[string]string{"ON_ERROR_ROLLBACK": "on"}, src: "SELECT 1;", want: []bool{true}},
		{
			name: "set and unset in the file",
			src:  "SELECT 1;\n\\set ON_ERROR_ROLLBACK on\nSELECT 2;\n\\set ON_ERROR_ROLLBACK OFF\nSELECT 3;\n\\set ON_ERROR_ROLLBACK t\nSELECT 4;\n\\unset ON_ERROR_ROLLBACK\nSELECT 5;\n",
			want: []bool{false, true, false, true, false},
		},
		{
			name: "interactive is off in a script",
			src:  "\\set ON_ERROR_ROLLBACK interactive\nSELECT 1;\n\\set ON_ERROR_ROLLBACK 1\nSELECT 2;\n",
			want: []bool{false, true},
		},
		{
			name: "the value when the statement ends",
			src:  "SELECT\n\\set ON_ERROR_ROLLBACK on\n1;\n",
			want: []bool{true},
		},
		{name: "a value psql rejects", src: "\\set ON_ERROR_ROLLBACK o\nSELECT 1;\n", err: `t.sql:1:1: \set: unrecognized value "o" for "ON_ERROR_ROLLBACK"; available values are: on, off, interactive`},
		{name: "empty is on, as psql 15 has it", src: "\\set ON_ERROR_ROLLBACK\nSELECT 1;\n", want: []bool{true}},
		{name: "rejected from -v", vars: map[string]string{"ON_ERROR_ROLLBACK": "perhaps"}, src: "SELECT 1;", err: `unrecognized value "perhaps"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.sql", []byte(tt.src), Options{Vars: tt.vars})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Statements) != len(tt.want) {
				t.Fatalf("got %d statements, want %d", len(s.Statements), len(tt.want))
			}
			for i, st := range s.Statements {
				if st.OnErrorRollback != tt.want[i] {
					t.Errorf("statement %d (%q): got OnErrorRollback %v, want %v", i, st.SQL, st.OnErrorRollback, tt.want[i])
				}
			}
		})
	}
}

func TestSlashBool(t *testing.T) {
	for _, v := range []string{"on", "ON", "t", "tr", "true", "y", "yes", "1"} {
		if val, ok := slashBool(v); !ok || !val {
			t.Errorf("slashBool(%q): got %v %v, want true", v, val, ok)
		}
	}
	for _, v := range []string{"off", "of", "f", "FALSE", "n", "no", "0"} {
		if val, ok := slashBool(v); !ok || val {
			t.Errorf("slashBool(%q): got %v %v, want false", v, val, ok)
		}
	}
	for _, v := range []string{"", "o", "onn", "truee", "2", "yess", "nope"} {
		if _, ok := slashBool(v); ok {
			t.Errorf("slashBool(%q): got valid, want invalid", v)
		}
	}
}

// slashCopyScript exercises psql's \copy argument parsing; in.txt, in.csv and in.bin
// must exist beside it.
const slashCopyScript = `\copy t from 'in.txt'
\copy t (a, b) from in.csv with (format csv, header)
\copy public.t from 'in.csv' csv header
\copy "T" ("A") from 'in.csv' delimiter ','
\copy (select a, 'x  y)' from t where b <> ')') to 'out1.txt'
\copy ( select ( 1 ) ) to 'o3'
\copy binary t to 'out.bin'
\copy t to 'out2.txt';
\copy t to stdout
\copy t to pstdout with csv
\copy t from pstdin with csv
\copy t from stdin
1	x
\.
\copy t(a,b) FROM STDIN WITH (FORMAT csv)
2,y
\.
\copy public . t TO 'out4.txt'   WITH   CSV
\copy t from 'out1.txt'
\copy t from 'in''q.txt'
`

// TestSlashCopyOracle compares the COPY commands qrun makes of \copy lines with the ones
// psql sends (its -L log).
func TestSlashCopyOracle(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not on PATH")
	}
	url := pgtest.NewDatabase(t)
	dir := t.TempDir()
	for _, f := range []string{"in.txt", "in.csv", "in'q.txt", "script.sql"} {
		data := ""
		if f == "script.sql" {
			data = slashCopyScript
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(psql, "-X", "-q", "-o", os.DevNull, "-L", "log.txt", "-d", url,
		"-c", `CREATE TABLE t (a int, b text); CREATE TABLE "T" ("A" text)`, "-f", "script.sql")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c client_min_messages=error")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("psql: %v\n%s", err, out)
	}
	want := readPsqlLog(t, filepath.Join(dir, "log.txt"))[1:] // after the CREATE TABLE

	t.Chdir(dir)
	s, err := Load([]string{"script.sql"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range s.Statements {
		got = append(got, st.SQL)
	}
	if !reflect.DeepEqual(got, want) || len(want) != strings.Count(slashCopyScript, "\\copy") {
		t.Errorf("got\n%q\nwant (psql)\n%q", got, want)
	}
}

// readPsqlLog returns the queries of a psql -L log.
func readPsqlLog(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
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

func TestSlashCopy(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.csv"), []byte("1,a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	home, _ := os.UserHomeDir()
	type want struct {
		sql   string
		name  string
		cc    ClientCopy
		data  string // CopyData, for from stdin
		stdin bool   // IsCopyFromStdin
	}
	tests := []struct {
		name  string
		files []string // given to Load; "-" reads stdin
		src   string
		want  []want
		err   string
	}{
		{
			name: "file, named, with data after it",
			src:  "-- name: load\n\\copy t from 'in.csv' csv\nSELECT 1;\n",
			want: []want{
				{sql: "COPY  t FROM STDIN csv", name: "load", cc: ClientCopy{From: true, Path: "in.csv", PathPos: Pos{File: "s.sql", Line: 2, Col: 14, Offset: 27}}},
				{sql: "SELECT 1;", name: "s.sql:3"},
			},
		},
		{
			name: "from stdin: the data lines follow",
			src:  "\\copy t from stdin\n1\tx\n2\ty\n\\.\nSELECT 2;\n",
			want: []want{
				{sql: "COPY  t FROM STDIN ", name: "s.sql:1", cc: ClientCopy{From: true}, data: "1\tx\n2\ty\n", stdin: true},
				{sql: "SELECT 2;", name: "s.sql:5"},
			},
		},
		{
			name: "after a COPY on the same line",
			src:  "COPY t FROM STDIN; \\copy u from stdin\n1\n\\.\n2\n\\.\n",
			want: []want{
				{sql: "COPY t FROM STDIN;", name: "s.sql:1", data: "1\n", stdin: true},
				{sql: "COPY  u FROM STDIN ", name: "s.sql:1:20", cc: ClientCopy{From: true}, data: "2\n", stdin: true},
			},
		},
		{
			name: "inside a statement: sent first, as psql does",
			src:  "SELECT\n\\copy t to 'out.csv'\n1;\n",
			want: []want{
				{sql: "COPY  t TO STDOUT ", name: "s.sql:2", cc: ClientCopy{Path: "out.csv", PathPos: Pos{File: "s.sql", Line: 2, Col: 12, Offset: 18}}},
				{sql: "SELECT\n1;", name: "s.sql:1"},
			},
		},
		{
			name: "a file written first may be read",
			src:  "\\copy t to 'sub/new.csv'\n\\copy t from 'sub/./new.csv'\n",
			want: []want{
				{sql: "COPY  t TO STDOUT ", name: "s.sql:1", cc: ClientCopy{Path: "sub/new.csv", PathPos: Pos{File: "s.sql", Line: 1, Col: 12, Offset: 11}}},
				{sql: "COPY  t FROM STDIN ", name: "s.sql:2", cc: ClientCopy{From: true, Path: "sub/./new.csv", PathPos: Pos{File: "s.sql", Line: 2, Col: 14, Offset: 38}}},
			},
		},
		{
			name: "standard streams",
			src:  "\\copy t from pstdin\n\\copy t to stdout\n\\copy t to PSTDOUT\n",
			want: []want{
				{sql: "COPY  t FROM STDIN ", name: "s.sql:1", cc: ClientCopy{From: true, Std: true}},
				{sql: "COPY  t TO STDOUT ", name: "s.sql:2", cc: ClientCopy{}},
				{sql: "COPY  t TO STDOUT ", name: "s.sql:3", cc: ClientCopy{Std: true}},
			},
		},
		{
			name: "tilde",
			src:  "\\copy t to '~/x.csv'\n",
			want: []want{{sql: "COPY  t TO STDOUT ", name: "s.sql:1", cc: ClientCopy{Path: home + "/x.csv", PathPos: Pos{File: "s.sql", Line: 1, Col: 12, Offset: 11}}}},
		},
		{name: "missing file", src: "SELECT 1;\n  \\copy t from 'nope.csv'\n", err: "s.sql:2:16: \\copy: cannot read nope.csv: no such file or directory"},
		{name: "directory", src: "\\copy t to sub\n", err: "s.sql:1:12: \\copy: sub: cannot copy from/to a directory"},
		{name: "parse error", src: "\\copy t into 'x'\n", err: `s.sql:1:1: \copy: parse error at "into"`},
		{name: "parse error at the end", src: "\\copy t from\n", err: `s.sql:1:1: \copy: parse error at end of line`},
		{name: "no arguments", src: "\\copy\n", err: `s.sql:1:1: \copy: arguments required`},
		{name: "program", src: "\\copy t from program 'cat in.csv'\n", err: `s.sql:1:1: \copy ... program is not supported`},
		{name: "pstdin when the script is stdin", files: []string{"-"}, src: "\\copy t from pstdin\n", err: `<stdin>:1:1: \copy from pstdin: standard input is the script`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s *Script
			var err error
			if tt.files != nil {
				s, err = Load(tt.files, Options{Stdin: strings.NewReader(tt.src)})
			} else {
				s, err = Parse("s.sql", []byte(tt.src), Options{})
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Statements) != len(tt.want) {
				t.Fatalf("got %d statements, want %d", len(s.Statements), len(tt.want))
			}
			for i, w := range tt.want {
				st := s.Statements[i]
				if st.SQL != w.sql || st.Name != w.name || string(st.CopyData()) != w.data || st.IsCopyFromStdin != w.stdin {
					t.Errorf("statement %d: got %q %q data %q stdin %v, want %q %q data %q stdin %v",
						i, st.SQL, st.Name, st.CopyData(), st.IsCopyFromStdin, w.sql, w.name, w.data, w.stdin)
				}
				cc := st.ClientCopy()
				if (cc == nil) != (w.cc == ClientCopy{} && !strings.HasPrefix(w.sql, "COPY  ")) {
					t.Errorf("statement %d: got ClientCopy %+v, want %+v", i, cc, w.cc)
				} else if cc != nil && *cc != w.cc {
					t.Errorf("statement %d: got ClientCopy %+v, want %+v", i, *cc, w.cc)
				}
			}
		})
	}
}

func FuzzSlashCopy(f *testing.F) {
	for _, line := range strings.Split(slashCopyScript, "\n") {
		if a, ok := strings.CutPrefix(line, "\\copy "); ok {
			f.Add(a, true)
		}
	}
	f.Add("(select E'a\\') ') to x", false)
	f.Add("binary", true)
	f.Add("t ( a , from x", true)
	f.Fuzz(func(t *testing.T, arg string, scs bool) {
		c, msg := parseSlashCopy(arg, scs)
		if msg != "" {
			if !strings.HasPrefix(msg, `\copy: parse error at `) {
				t.Fatalf("got message %q", msg)
			}
			return
		}
		sql := c.sql()
		if !strings.HasPrefix(sql, "COPY ") || !strings.Contains(sql, " FROM STDIN ") && !strings.Contains(sql, " TO STDOUT ") {
			t.Fatalf("got SQL %q for %q", sql, arg)
		}
		if c.file != "" && (c.fileAt < 0 || c.fileAt >= len(arg)) {
			t.Fatalf("got file offset %d in %d bytes", c.fileAt, len(arg))
		}
	})
}

func TestConnect(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		src  string
		want []*Connect // per statement; nil: the run's own connection
		err  string
	}{
		{
			name: "positional arguments",
			src:  "SELECT 1;\n\\c db2\nSELECT 2;\nSELECT 3;\n\\connect - u2 \"My Host\" 5433\nSELECT 4;\n",
			want: []*Connect{nil,
				{Pos: Pos{File: "c.sql", Line: 2, Col: 1, Offset: 10}, Database: "db2"},
				{Pos: Pos{File: "c.sql", Line: 2, Col: 1, Offset: 10}, Database: "db2"},
				{Pos: Pos{File: "c.sql", Line: 5, Col: 1, Offset: 37}, User: "u2", Host: "My Host", Port: "5433"}},
		},
		{
			name: "variables, quotes and -reuse-previous",
			vars: map[string]string{"db": "x"},
			src:  "\\c -reuse-previous=off :db \"a\"\"b\"\nSELECT 1;\n",
			want: []*Connect{{Pos: Pos{File: "c.sql", Line: 1, Col: 1}, Reuse: ReuseOff, Database: "x", User: `a"b`}},
		},
		{
			name: "a connection string",
			src:  "\\c 'host=h dbname=d'\nSELECT 1;\n\\c -reuse-previous=on postgres://u@h/d\nSELECT 2;\n",
			want: []*Connect{
				{Pos: Pos{File: "c.sql", Line: 1, Col: 1}, Database: "host=h dbname=d", ConnString: true},
				{Pos: Pos{File: "c.sql", Line: 3, Col: 1, Offset: 31}, Reuse: ReuseOn, Database: "postgres://u@h/d", ConnString: true}},
		},
		{name: "user with a connection string", src: "\\c dbname=d u\nSELECT 1;\n", err: `c.sql:1:1: \connect: do not give user, host, or port separately when using a connection string`},
		{name: "bad -reuse-previous", src: "\\c -reuse-previous=maybe d\n", err: `c.sql:1:1: \connect: unrecognized value "maybe" for "-reuse-previous": Boolean expected`},
		{name: "extra argument", src: "\\c a b c d e\n", err: `c.sql:1:1: \connect: extra argument "e"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("c.sql", []byte(tt.src), Options{Vars: tt.vars})
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("got error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Statements) != len(tt.want) {
				t.Fatalf("got %d statements, want %d", len(s.Statements), len(tt.want))
			}
			for i, w := range tt.want {
				got := s.Statements[i].Connect()
				if (got == nil) != (w == nil) || got != nil && *got != *w {
					t.Errorf("statement %d: got %+v, want %+v", i, got, w)
				}
			}
			if len(tt.want) > 2 && tt.want[1] != nil && s.Statements[1].Connect() != s.Statements[2].Connect() {
				t.Errorf("statements after one \\c: got different Connects, want the same")
			}
		})
	}
}

// TestSplitSkipsSlashCopyData: Split, which runs no meta-command, still skips the data
// lines of \copy ... from stdin.
func TestSplitSkipsSlashCopyData(t *testing.T) {
	src := []byte("\\copy t from stdin\n1;'\n\\.\nSELECT 1;\n")
	var got []string
	if err := Split(src, func(start, end int) bool {
		got = append(got, string(src[start:end]))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []string{"SELECT 1;"}) {
		t.Errorf("got spans %q, want [\"SELECT 1;\"]", got)
	}
}
