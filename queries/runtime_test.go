package queries

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

func TestParseBool(t *testing.T) {
	tests := []struct {
		in        string
		value, ok bool
	}{
		{"true", true, true}, {"TRUE", true, true}, {"t", true, true}, {"tr", true, true}, {"tru", true, true},
		{"false", false, true}, {"f", false, true}, {"FaL", false, true},
		{"yes", true, true}, {"y", true, true}, {"Ye", true, true},
		{"no", false, true}, {"n", false, true},
		{"on", true, true}, {"ON", true, true}, {"of", false, true}, {"off", false, true}, {"OFF", false, true},
		{"o", false, false}, {"onn", false, false}, {"offf", false, false},
		{"1", true, true}, {"0", false, true}, {"01", false, false}, {"2", false, false},
		{"", false, false}, {"truex", false, false}, {" true", false, false}, {"t r", false, false},
	}
	for _, tt := range tests {
		v, ok := ParseBool(tt.in)
		if v != tt.value || ok != tt.ok {
			t.Errorf("ParseBool(%q) = %v, %v; want %v, %v", tt.in, v, ok, tt.value, tt.ok)
		}
	}
}

func TestConditionalsAtLoadTime(t *testing.T) {
	tests := []struct {
		name string
		src  string
		vars map[string]string
		want []string
	}{
		{"if true", "\\if true\nSELECT 1;\n\\else\nSELECT 2;\n\\endif\n", nil, []string{"SELECT 1;"}},
		{"if false else", "\\if off\nSELECT 1;\n\\else\nSELECT 2;\n\\endif\n", nil, []string{"SELECT 2;"}},
		{"elif", "\\if 0\nSELECT 1;\n\\elif yes\nSELECT 2;\n\\elif yes\nSELECT 3;\n\\else\nSELECT 4;\n\\endif\n", nil, []string{"SELECT 2;"}},
		{"variable from -v", "\\if :x\nSELECT 'x';\n\\endif\n", map[string]string{"x": "on"}, []string{"SELECT 'x';"}},
		{"defined test", "\\if :{?x}\nSELECT 'x';\n\\else\nSELECT 'no x';\n\\endif\n", nil, []string{"SELECT 'no x';"}},
		{"nested", "\\if true\n\\if false\nSELECT 1;\n\\else\nSELECT 2;\n\\endif\n\\endif\n", nil, []string{"SELECT 2;"}},
		{"nested in inactive is ignored", "\\if false\n\\if true\nSELECT 1;\n\\endif\n\\else\nSELECT 3;\n\\endif\n", nil, []string{"SELECT 3;"}},
		{"inactive text is dropped", "SELECT 1\n\\if false\n, 2 ; , 4\n\\endif\n, 3;\n", nil, []string{"SELECT 1\n, 3;"}},
		{"inactive parentheses are forgotten", "SELECT (1\n\\if false\n, (2\n\\endif\n); SELECT 5;", nil, []string{"SELECT (1\n);", "SELECT 5;"}},
		{"no variables in an inactive branch", "\\if false\n\\set x 1\nSELECT :x;\n\\endif\nSELECT :{?x};", nil, []string{"SELECT FALSE;"}},
		{"no commands in an inactive branch", "\\if false\n\\! rm -rf /\n\\echo `date`\n\\i /nonexistent\n\\q\n\\endif\nSELECT 1;", nil, []string{"SELECT 1;"}},
		{"quotes still matter when inactive", "\\if false\nSELECT '\n\\endif\n';\n\\endif\nSELECT 1;", nil, []string{"SELECT 1;"}},
		{"send command ignored when inactive", "SELECT 1\n\\if false\n\\g\n\\endif\n;", nil, []string{"SELECT 1\n;"}},
		{"reset", "SELECT 'dropped' \\r\nSELECT 1;", nil, []string{"SELECT 1;"}},
		{"resend", "SELECT 1;\n\\g\n", nil, []string{"SELECT 1;", "SELECT 1;"}},
		{"nothing to resend", "\\g\nSELECT 1;", nil, []string{"SELECT 1;"}},
		{"crosstabview sends", "SELECT 1, 2, 3 \\crosstabview\nSELECT 2;", nil, []string{"SELECT 1, 2, 3 ", "SELECT 2;"}},
		{"g with a file sends", "SELECT 1 \\g /tmp/x\nSELECT 2;", nil, []string{"SELECT 1 ", "SELECT 2;"}},
		{"gdesc ends a statement", "SELECT 1 \\gdesc\nSELECT 2;", nil, []string{"SELECT 1 ", "SELECT 2;"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sqls(t, tt.src, Options{Vars: tt.vars})
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// fakeRun runs a script's statements as the runner would, without a server: each
// statement that is sent succeeds with the command tag "SELECT 1", and a \gset gets the
// row rows[SQL] (columns "a", "b"). It returns what was sent (or why not), one line per
// statement, and what was printed.
func fakeRun(t *testing.T, s *Script, rows map[string][]*string) (sent []string, printed string) {
	t.Helper()
	var out strings.Builder
	st := NewState(func(s Stream, text string) { fmt.Fprintf(&out, "%d:%s", s, text) })
	st.SetConnection(Connection{DBName: "db1", User: "u", Host: "h", Port: "5432", Encoding: "UTF8", ServerVersion: "15.4", ServerVersionNum: 150004})
	for _, stmt := range s.Statements {
		send, err := stmt.Prepare(st)
		switch {
		case err != nil:
			sent = append(sent, "error: "+err.Error())
		case send.Skip != "":
			sent = append(sent, "skip: "+send.Skip)
		default:
			sent = append(sent, send.SQL)
			if send.Gset {
				var row [][]byte
				n := 0
				if r, ok := rows[send.SQL]; ok {
					n = 1
					for _, v := range r {
						if v == nil {
							row = append(row, nil)
						} else {
							row = append(row, []byte(*v))
						}
					}
				}
				if err := st.Gset(send.Prefix, []string{"a", "b"}[:len(row)], row, n); err != nil {
					sent = append(sent, "gset error: "+err.Error())
					break
				}
			}
			st.Succeeded("SELECT 1")
		}
		if err := stmt.Finish(st); err != nil {
			sent = append(sent, "finish error: "+err.Error())
		}
	}
	return sent, out.String()
}

func strp(s string) *string { return &s }

func TestRunTime(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		rows    map[string][]*string
		want    []string
		printed string
	}{
		{"gset then read", "SELECT 1 AS a \\gset\nSELECT :a, :'a', :\"a\", :{?a}, :{?b};\n",
			map[string][]*string{"SELECT 1 AS a ": {strp("7")}},
			[]string{"SELECT 1 AS a ", `SELECT 7, '7', "7", TRUE, FALSE;`}, ""},
		{"gset prefix and NULL", "\\set p_b old\nSELECT 1 \\gset p_\nSELECT :p_a, :{?p_b};\n",
			map[string][]*string{"SELECT 1 ": {strp("1"), nil}},
			[]string{"SELECT 1 ", "SELECT 1, FALSE;"}, ""},
		{"gset with no row", "SELECT 1 \\gset\nSELECT :ROW_COUNT;\n", nil,
			[]string{"SELECT 1 ", "gset error: no rows returned for \\gset", "SELECT :ROW_COUNT;"}, ""},
		{"built-ins", "SELECT :'DBNAME', :PORT, :SERVER_VERSION_NUM;\nSELECT :ROW_COUNT, :ERROR;\n", nil,
			[]string{"SELECT 'db1', 5432, 150004;", "SELECT 1, false;"}, ""},
		{"static variables before a run-time one", "\\set x 1\nSELECT 2 AS a \\gset\n\\set y 3\nSELECT :x, :a, :y;\n",
			map[string][]*string{"SELECT 2 AS a ": {strp("2")}},
			[]string{"SELECT 2 AS a ", "SELECT 1, 2, 3;"}, ""},
		{"run-time if", "SELECT 1 AS a \\gset\n\\if :a\nSELECT 'yes';\n\\else\nSELECT 'no';\n\\endif\n",
			map[string][]*string{"SELECT 1 AS a ": {strp("on")}},
			[]string{"SELECT 1 AS a ", "SELECT 'yes';", "skip: not sent: its \\if branch was not taken (\\if at t.sql:2:1)"}, ""},
		{"run-time elif", "SELECT 1 AS a \\gset\n\\if :a\nSELECT 1;\n\\elif :b\nSELECT 2;\n\\elif true\nSELECT 3;\n\\else\nSELECT 4;\n\\endif\n",
			map[string][]*string{"SELECT 1 AS a ": {strp("off"), strp("0")}},
			[]string{"SELECT 1 AS a ", "skip: not sent: its \\if branch was not taken (\\if at t.sql:2:1)", "skip: not sent: its \\if branch was not taken (\\if at t.sql:2:1)",
				"SELECT 3;"}, ""}, // the \else after an \elif true never runs: not even loaded
		{"set under a run-time if", "\\set y 0\nSELECT 1 AS a \\gset\n\\if :a\n\\set y 1\n\\endif\nSELECT :y;\n",
			map[string][]*string{"SELECT 1 AS a ": {strp("off")}},
			[]string{"SELECT 1 AS a ", "SELECT 0;"}, ""},
		{"quit under a run-time if", "SELECT 1 AS a \\gset\n\\if :a\n\\q\n\\endif\nSELECT 2;\nSELECT 3;\n",
			map[string][]*string{"SELECT 1 AS a ": {strp("yes")}},
			[]string{"SELECT 1 AS a ", "skip: not sent: the script ended at \\q (t.sql:3:1)", "skip: not sent: the script ended at \\q (t.sql:3:1)"}, ""},
		{"echo in order", "\\echo one\nSELECT 1;\n\\echo -n two :DBNAME\n\\warn three\nSELECT 2;\n\\qecho four\n", nil,
			[]string{"SELECT 1;", "SELECT 2;"}, "0:one\n0:two db12:three\n1:four\n"},
		{"set from a run-time value", "SELECT 1 AS a \\gset\n\\set b :a x\n\\echo :b\n", map[string][]*string{"SELECT 1 AS a ": {strp("5")}},
			[]string{"SELECT 1 AS a "}, "0:5x\n"},
		{"value lexed in place", "SELECT 1 AS a \\gset\nSELECT :a;\n", map[string][]*string{"SELECT 1 AS a ": {strp("1 /* c */ + 2")}},
			[]string{"SELECT 1 AS a ", "SELECT 1 /* c */ + 2;"}, ""},
		{"value with a semicolon", "SELECT 1 AS a \\gset\nSELECT :a;\n", map[string][]*string{"SELECT 1 AS a ": {strp("1; DROP TABLE t")}},
			[]string{"SELECT 1 AS a ", "error: t.sql:2:8: the value of :a ends the statement, which would change where the statement ends: qrun splits the script before it runs (use :'a' for a literal)"}, ""},
		{"value with a parenthesis", "SELECT 1 AS a \\gset\nSELECT :a 1);\n", map[string][]*string{"SELECT 1 AS a ": {strp("(")}},
			[]string{"SELECT 1 AS a ", "error: t.sql:2:8: the value of :a leaves a parenthesis open or closes one, which would change where the statement ends: qrun splits the script before it runs (use :'a' for a literal)"}, ""},
		{"value with a quote", "SELECT 1 AS a \\gset\nSELECT :a;\n", map[string][]*string{"SELECT 1 AS a ": {strp("'x")}},
			[]string{"SELECT 1 AS a ", "error: t.sql:2:8: the value of :a leaves a quote or a comment open, which would change where the statement ends: qrun splits the script before it runs (use :'a' for a literal)"}, ""},
		{"quoted value is safe", "SELECT 1 AS a \\gset\nSELECT :'a';\n", map[string][]*string{"SELECT 1 AS a ": {strp("it's; (")}},
			[]string{"SELECT 1 AS a ", "SELECT 'it''s; (';"}, ""},
		{"value inside a value", "\\set q 'SELECT :a'\nSELECT 1 AS a \\gset\n:q;\n", map[string][]*string{"SELECT 1 AS a ": {strp("9")}},
			[]string{"SELECT 1 AS a ", "SELECT 9;"}, ""},
		{"trailing meta-commands", "SELECT 1 AS a \\gset\n\\echo :a\n", map[string][]*string{"SELECT 1 AS a ": {strp("8")}},
			[]string{"SELECT 1 AS a "}, "0:8\n"},
		{"bad boolean at run time", "SELECT 1 AS a \\gset\n\\if :a\nSELECT 1;\n\\endif\n", map[string][]*string{"SELECT 1 AS a ": {strp("maybe")}},
			[]string{"SELECT 1 AS a ", "skip: not sent: its \\if branch was not taken (\\if at t.sql:2:1)"},
			"2:t.sql:2:1: unrecognized value \"maybe\" for \"\\if expression\": Boolean expected\n"},
		{"setenv and getenv at run time", "SELECT 1 AS a \\gset\n\\setenv QRUN_TEST_RT :a\n\\getenv e QRUN_TEST_RT\n\\echo :e\n",
			map[string][]*string{"SELECT 1 AS a ": {strp("env")}}, []string{"SELECT 1 AS a "}, "0:env\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.sql", []byte(tt.src), Options{})
			if err != nil {
				t.Fatal(err)
			}
			sent, printed := fakeRun(t, s, tt.rows)
			if !reflect.DeepEqual(sent, tt.want) {
				t.Errorf("sent\n%q\nwant\n%q", sent, tt.want)
			}
			if printed != tt.printed {
				t.Errorf("printed %q, want %q", printed, tt.printed)
			}
		})
	}
}

func TestRuntimeStatements(t *testing.T) {
	src := "\\set x 1\nSELECT :x;\n\\echo hi\nSELECT 2;\nSELECT 3 AS a \\gset\nSELECT :a;\n\\if :a\nSELECT 4;\n\\endif\nSELECT 5 \\gexec\nALTER DATABASE :DBNAME RESET ALL;\n\\set y 2\nSELECT 6;\n"
	s, err := Parse("t.sql", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"",
		"dynamic: runs \\echo",
		"dynamic: \\gset",
		"dynamic: reads :a at run time",
		"dynamic: runs \\if; under the \\if at t.sql:7:1, decided at run time",
		"dynamic: \\gexec",
		"dynamic: reads :DBNAME at run time",
		"dynamic: runs \\set",
	}
	var got []string
	for _, st := range s.Statements {
		if st.Runtime() != (st.RuntimeReason() != "") {
			t.Errorf("%q: Runtime %v but reason %q", st.SQL, st.Runtime(), st.RuntimeReason())
		}
		got = append(got, st.RuntimeReason())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestOnErrorStop(t *testing.T) {
	src := "SELECT 1;\n\\set ON_ERROR_STOP on \\\\ SELECT 2;\nSELECT 3;\n\\unset ON_ERROR_STOP\nSELECT 4;\n"
	for _, vars := range []map[string]string{nil, {"ON_ERROR_STOP": "1"}} {
		s, err := Parse("t.sql", []byte(src), Options{Vars: vars})
		if err != nil {
			t.Fatal(err)
		}
		var got []bool
		for _, st := range s.Statements {
			got = append(got, st.OnErrorStop(nil))
		}
		want := []bool{vars != nil, vars != nil, true, false}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("with -v %v: got %v, want %v", vars, got, want)
		}
	}
}

// TestStatementSize keeps a Statement at 64 bytes: a million of them are loaded at
// once, and the run-time parts live in stmtCold.
func TestStatementSize(t *testing.T) {
	if n := unsafe.Sizeof(Statement{}); n != 64 {
		t.Errorf("Statement is %d bytes, want 64", n)
	}
}

// TestMetaCommandsOnly checks that a script of meta-commands alone runs them, as psql
// does: one statement that sends nothing carries them.
func TestMetaCommandsOnly(t *testing.T) {
	var warns []string
	s, err := Parse("t.sql", []byte("-- only meta-commands\n\\echo hi\n\\set x 1\n\\warn w :x\n"), Options{Warn: func(e *Error) { warns = append(warns, e.Error()) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Statements) != 1 || len(warns) != 0 {
		t.Fatalf("got %d statements and warnings %q, want 1 and none", len(s.Statements), warns)
	}
	st := s.Statements[0]
	if st.SQL != "\\echo hi\n\\set x 1\n\\warn w :x" || st.Pos().String() != "t.sql:2:1" || !st.Runtime() {
		t.Errorf("statement %q at %s (Runtime %v)", st.SQL, st.Pos(), st.Runtime())
	}
	var out []string
	state := NewState(func(_ Stream, text string) { out = append(out, text) })
	send, err := st.Prepare(state)
	if err != nil {
		t.Fatal(err)
	}
	if send.Skip == "" || send.SQL != "" {
		t.Errorf("send %+v, want nothing sent", send)
	}
	if want := []string{"hi\n", "w 1\n"}; !reflect.DeepEqual(out, want) {
		t.Errorf("printed %q, want %q", out, want)
	}
	if err := st.Finish(state); err != nil {
		t.Fatal(err)
	}
}

// TestPosOfRuntime checks that a server position in a statement completed at run time
// maps into the file up to the first run-time value, and to the statement after it.
func TestPosOfRuntime(t *testing.T) {
	s, err := Parse("t.sql", []byte("SELECT 1 AS a \\gset\nSELECT x, :a, y;\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := s.Statements[1]
	if got := st.PosOf(8).String(); got != "t.sql:2:8" {
		t.Errorf("PosOf(8) = %s, want t.sql:2:8", got)
	}
	if got := st.PosOf(15).String(); got != "t.sql:2:1" {
		t.Errorf("PosOf(15) = %s, want the statement's start", got)
	}
}

// TestSlashEncoding checks \encoding: a statement of its own sending what libpq sends,
// outside psql's log, and the lines after it read in the new encoding.
func TestSlashEncoding(t *testing.T) {
	s, err := Parse("t.sql", []byte("SELECT 1\n\\encoding LATIN1\n;\nSELECT 'caf\xe9';\n\\encoding 'UTF8'\nSELECT 'caf\u00e9';\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range s.Statements {
		got = append(got, fmt.Sprintf("%s %q hidden=%v", st.Pos(), st.SQL, st.Hidden()))
	}
	want := []string{
		`t.sql:2:1 "set client_encoding to 'LATIN1'" hidden=true`,
		`t.sql:1:1 "SELECT 1\n;" hidden=false`,
		`t.sql:4:1 "SELECT 'caf\xe9';" hidden=false`,
		`t.sql:5:1 "set client_encoding to 'UTF8'" hidden=true`,
		`t.sql:6:1 "SELECT 'café';" hidden=false`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
