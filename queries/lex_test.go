package queries

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// sqls parses src and returns the SQL of its statements.
func sqls(t *testing.T, src string, opts Options) []string {
	t.Helper()
	s, err := Parse("t.sql", []byte(src), opts)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	var out []string
	for _, st := range s.Statements {
		out = append(out, st.SQL)
	}
	return out
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"simple", "SELECT 1; SELECT 2;", []string{"SELECT 1;", "SELECT 2;"}},
		{"leading whitespace and line comments dropped", "  -- c\n\tSELECT 1;", []string{"SELECT 1;"}},
		{"inner comments kept", "SELECT -- c\n1 /* ; */;", []string{"SELECT -- c\n1 /* ; */;"}},
		{"leading block comment kept", "/* c */ SELECT 1;", []string{"/* c */ SELECT 1;"}},
		{"nested block comment", "SELECT /* a /* b; */ c; */ 1;", []string{"SELECT /* a /* b; */ c; */ 1;"}},
		{"operator before comment", "SELECT 2 !=/**/ 1;", []string{"SELECT 2 !=/**/ 1;"}},
		{"no final semicolon", "SELECT 1;\nSELECT 2\n", []string{"SELECT 1;", "SELECT 2"}},
		{"double semicolon sends a lone one", "SELECT 1;;", []string{"SELECT 1;", ";"}},
		{"single quotes", "SELECT 'a;''b';", []string{"SELECT 'a;''b';"}},
		{"backslash in standard string", `SELECT 'a\'; SELECT 2;`, []string{`SELECT 'a\';`, "SELECT 2;"}},
		{"E string escapes", `SELECT E'a\';' ; SELECT 2;`, []string{`SELECT E'a\';' ;`, "SELECT 2;"}},
		{"lower e string", `SELECT e'\'' ;`, []string{`SELECT e'\'' ;`}},
		{"e inside identifier is no prefix", `SELECT somee'a\'; SELECT 2;`, []string{`SELECT somee'a\';`, "SELECT 2;"}},
		{"B and X strings", `SELECT B'1\'; SELECT X'f';`, []string{`SELECT B'1\';`, "SELECT X'f';"}},
		{"N string", `SELECT N'a;';`, []string{`SELECT N'a;';`}},
		{"U& string", `SELECT U&'d\0061t\+000061' UESCAPE '!'; SELECT 2;`, []string{`SELECT U&'d\0061t\+000061' UESCAPE '!';`, "SELECT 2;"}},
		{"U& identifier", `SELECT 1 AS U&"a;b";`, []string{`SELECT 1 AS U&"a;b";`}},
		{"quoted identifier", `SELECT 1 AS "a"";b";`, []string{`SELECT 1 AS "a"";b";`}},
		{"dollar quote", "SELECT $$a;b$$;", []string{"SELECT $$a;b$$;"}},
		{"tagged dollar quote", "SELECT $f$ $$; $x$ $f$;", []string{"SELECT $f$ $$; $x$ $f$;"}},
		{"parameter is no quote", "PREPARE p AS SELECT $1; SELECT $2;", []string{"PREPARE p AS SELECT $1;", "SELECT $2;"}},
		{"dollar inside identifier", "SELECT a$b$c; SELECT 2;", []string{"SELECT a$b$c;", "SELECT 2;"}},
		{"dollar after number starts a quote", "SELECT 1$a$;$a$;", []string{"SELECT 1$a$;$a$;"}},
		{"parentheses", "SELECT (1;2); SELECT 3;", []string{"SELECT (1;2);", "SELECT 3;"}},
		{"close paren never below zero", "SELECT 1); SELECT 2;", []string{"SELECT 1);", "SELECT 2;"}},
		{"brackets do not count", "SELECT a[1;", []string{"SELECT a[1;"}},
		{"unterminated paren at EOF is sent", "SELECT (1;\n", []string{"SELECT (1;"}},
		{"begin atomic", "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3;",
			[]string{"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;", "SELECT 3;"}},
		{"begin atomic with case", "create or replace procedure p() begin atomic select case when true then 1 end; end; select 2;",
			[]string{"create or replace procedure p() begin atomic select case when true then 1 end; end;", "select 2;"}},
		{"empty begin atomic", "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC END; SELECT 1;",
			[]string{"CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC END;", "SELECT 1;"}},
		{"begin outside create function", "BEGIN; SELECT 1; END;", []string{"BEGIN;", "SELECT 1;", "END;"}},
		{"create table is no function", "CREATE TABLE begin (a int); SELECT 1;", []string{"CREATE TABLE begin (a int);", "SELECT 1;"}},
		{"backslash semicolon", `SELECT 1\; SELECT 2;`, []string{"SELECT 1; SELECT 2;"}},
		{"backslash colon", `SELECT 1\:x;`, []string{"SELECT 1:x;"}},
		{"cast is no variable", "SELECT 1::int;", []string{"SELECT 1::int;"}},
		{"undefined variable left as is", "SELECT :nope, :'nope', :\"nope\";", []string{"SELECT :nope, :'nope', :\"nope\";"}},
		{"empty line inside statement dropped", "SELECT 1\n\n, 2;", []string{"SELECT 1\n, 2;"}},
		{"empty line inside quote kept", "SELECT 'a\n\nb';", []string{"SELECT 'a\n\nb';"}},
		{"CR kept", "SELECT 1\r\n\r\n, 2;", []string{"SELECT 1\r\n\r\n, 2;"}},
		{"trailing block comment is sent", "SELECT 1;\n/* tail */\n", []string{"SELECT 1;", "/* tail */"}},
		{"trailing line comment is not", "SELECT 1;\n-- tail\n", []string{"SELECT 1;"}},
		{"scs off applies from the next line", "SET standard_conforming_strings = off; SELECT 'a\\';\nSELECT 'b\\';';\nRESET standard_conforming_strings;\nSELECT 'c\\';",
			[]string{"SET standard_conforming_strings = off;", "SELECT 'a\\';", "SELECT 'b\\';';", "RESET standard_conforming_strings;", "SELECT 'c\\';"}},
		{"scs set with TO and session", "SET SESSION standard_conforming_strings TO 'off';\nSELECT 'b\\';';", []string{"SET SESSION standard_conforming_strings TO 'off';", "SELECT 'b\\';';"}},
		{"scs set in a rolled back block", "BEGIN;\nSET standard_conforming_strings = off;\nROLLBACK;\nSELECT 'a\\';\nSELECT 2;",
			[]string{"BEGIN;", "SET standard_conforming_strings = off;", "ROLLBACK;", "SELECT 'a\\';", "SELECT 2;"}},
		{"scs set local lasts to the end of the block", "BEGIN;\nSET LOCAL standard_conforming_strings = off;\nSELECT 'a\\';';\nCOMMIT;\nSELECT 'b\\';",
			[]string{"BEGIN;", "SET LOCAL standard_conforming_strings = off;", "SELECT 'a\\';';", "COMMIT;", "SELECT 'b\\';"}},
		{"scs set local outside a block does nothing", "SET LOCAL standard_conforming_strings = off;\nSELECT 'a\\';",
			[]string{"SET LOCAL standard_conforming_strings = off;", "SELECT 'a\\';"}},
		{"scs set in a committed block", "START TRANSACTION;\nSET standard_conforming_strings = off;\nEND;\nSELECT 'c\\';';",
			[]string{"START TRANSACTION;", "SET standard_conforming_strings = off;", "END;", "SELECT 'c\\';';"}},
		{"rollback to savepoint undoes scs", "BEGIN;\nSAVEPOINT s;\nSET standard_conforming_strings = off;\nROLLBACK TO SAVEPOINT s;\nSELECT 'd\\';\nABORT;",
			[]string{"BEGIN;", "SAVEPOINT s;", "SET standard_conforming_strings = off;", "ROLLBACK TO SAVEPOINT s;", "SELECT 'd\\';", "ABORT;"}},
		{"released savepoint keeps scs", "BEGIN;\nSAVEPOINT s;\nSET standard_conforming_strings = off;\nRELEASE s;\nSELECT 'd\\';';\nCOMMIT;\nSELECT 'e\\';';",
			[]string{"BEGIN;", "SAVEPOINT s;", "SET standard_conforming_strings = off;", "RELEASE s;", "SELECT 'd\\';';", "COMMIT;", "SELECT 'e\\';';"}},
		{"LATIN1 after SET client_encoding", "SET client_encoding = 'LATIN1';\nSELECT 'caf\xe9';\nCOPY t FROM stdin;\n\xe9\n\\.\n",
			[]string{"SET client_encoding = 'LATIN1';", "SELECT 'caf\xe9';", "COPY t FROM stdin;"}},
		{"SET NAMES WIN1252", "SET NAMES 'win1252';\nSELECT '\x80';", []string{"SET NAMES 'win1252';", "SELECT '\x80';"}},
		{"SJIS with ASCII only", "SET client_encoding = SJIS;\nSELECT 'a\\';", []string{"SET client_encoding = SJIS;", "SELECT 'a\\';"}},
		{"copy from stdin", "COPY t FROM STDIN;\n1\t;\n\\.\nSELECT 1;", []string{"COPY t FROM STDIN;", "SELECT 1;"}},
		{"copy to stdout has no data", "COPY t TO STDOUT;\nSELECT 1;", []string{"COPY t TO STDOUT;", "SELECT 1;"}},
		{"copy query form", "COPY (SELECT 1) TO STDOUT; SELECT 2;", []string{"COPY (SELECT 1) TO STDOUT;", "SELECT 2;"}},
		{"line comment ends at a carriage return", "SELECT 1 -- x\r; SELECT 2;", []string{"SELECT 1 -- x\r;", "SELECT 2;"}},
		{"leading line comment ends at a carriage return", "-- x\rSELECT 1;", []string{"SELECT 1;"}},
		{"carriage returns after several comments", "-- a\r\nSELECT 1 -- b\n; -- c\r; SELECT 2; -- d\r\n", []string{"SELECT 1 -- b\n;", ";", "SELECT 2;"}},
		{"carriage return in a comment of a variable's value", "\\set v '1 -- x\r, 2'\nSELECT :v;", []string{"SELECT 1 -- x\r, 2;"}},
		{"byte order mark skipped", "\xef\xbb\xbfSELECT 1;", []string{"SELECT 1;"}},
		{"byte order mark only at the start", "SELECT 1;\xef\xbb\xbfSELECT 2;", []string{"SELECT 1;", "\xef\xbb\xbfSELECT 2;"}},
		{"copy quoted name with columns", "COPY \"Quoted Name\" (a, b) FROM stdin;\n1\t2\n\\.\nSELECT 1;", []string{"COPY \"Quoted Name\" (a, b) FROM stdin;", "SELECT 1;"}},
		{"copy schema-qualified quoted name", "COPY s.\"T\"(a) FROM stdin;\n;\n\\.\nSELECT 1;", []string{"COPY s.\"T\"(a) FROM stdin;", "SELECT 1;"}},
		{"copy query form after a comment", "COPY /* c */ (SELECT 1) TO STDOUT; SELECT 2;", []string{"COPY /* c */ (SELECT 1) TO STDOUT;", "SELECT 2;"}},
		{"g ends a statement", "SELECT 1 \\g\nSELECT 2;", []string{"SELECT 1 ", "SELECT 2;"}},
		{"meta-only line inside statement dropped", "SELECT 1\n\\set x 1\n, 2;", []string{"SELECT 1\n, 2;"}},
		{"double backslash ends a meta-command", "\\set x 1 \\\\ SELECT :x;", []string{"SELECT 1;"}},
		{"restrict accepted", "\\restrict abc\nSELECT 1;\n\\unrestrict abc\n", []string{"SELECT 1;"}},
		{"quit stops reading", "SELECT 1;\n\\q\nSELECT 2;", []string{"SELECT 1;"}},
		{"lone backslash at end of line is text", "SELECT 1 \\\n;", []string{"SELECT 1 \\\n;"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sqls(t, tt.src, Options{}); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVariables(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		src  string
		want []string
	}{
		{"set and use", nil, "\\set t foo\nSELECT * FROM :t;", []string{"SELECT * FROM foo;"}},
		{"preset", map[string]string{"n": "42"}, "SELECT :n;", []string{"SELECT 42;"}},
		{"set concatenates", nil, "\\set v a 'b c' d\nSELECT ':v', :'v';", []string{"SELECT ':v', 'ab cd';"}},
		{"quoted literal escapes", map[string]string{"v": `it's \x`}, "SELECT :'v';", []string{`SELECT  E'it''s \\x';`}},
		{"quoted identifier", map[string]string{"v": `a"b`}, "SELECT 1 AS :\"v\";", []string{`SELECT 1 AS "a""b";`}},
		{"value is lexed again", map[string]string{"q": "SELECT 1; SELECT 2"}, ":q;", []string{"SELECT 1;", "SELECT 2;"}},
		{"not inside quotes or comments", map[string]string{"v": "X"}, "SELECT ':v', $$:v$$ /* :v */, \":v\";", []string{"SELECT ':v', $$:v$$ /* :v */, \":v\";"}},
		{"unset", map[string]string{"v": "X"}, "\\unset v\nSELECT :v;", []string{"SELECT :v;"}},
		{"existence test", map[string]string{"v": "X"}, "SELECT :{?v}, :{?w};", []string{"SELECT TRUE, FALSE;"}},
		{"quoted set argument escapes", nil, "\\set v 'a\\tb'\nSELECT :'v';", []string{"SELECT 'a\tb';"}},
		{"variable in set argument", map[string]string{"a": "x"}, "\\set b :a:a\nSELECT :b;", []string{"SELECT xx;"}},
		{"recursion is not expanded", map[string]string{"r": ":r"}, "SELECT :r;", []string{"SELECT :r;"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sqls(t, tt.src, Options{Vars: tt.vars}); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestInputErrors(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    string // the first error, as file:line:col: message
		unsuppd bool   // the error is ErrUnsupported
	}{
		{"unterminated quote", "SELECT 1;\nSELECT 'abc;\n", "t.sql:2:8: unterminated quoted string", false},
		{"unterminated E quote", `SELECT E'\';`, "t.sql:1:8: unterminated quoted string", false},
		{"unterminated identifier", `SELECT "a;`, "t.sql:1:8: unterminated quoted identifier", false},
		{"unterminated dollar quote", "SELECT $x$ a $y$;", "t.sql:1:8: unterminated dollar-quoted string", false},
		{"unterminated comment", "SELECT 1; /* a /* b */", "t.sql:1:11: unterminated /* comment", false},
		{"unknown meta-command", "SELECT 1;\n  \\bogus x\n", "t.sql:2:3: invalid command \\bogus", false},
		{"unknown meta-command in an inactive branch", "\\if false\n\\bogus\n\\endif\nSELECT 1;", "t.sql:2:1: invalid command \\bogus", false},
		{"shell", "SELECT 1;\n\\! ls -l\n", "t.sql:2:1: \\! runs a shell command: qrun does not run shell commands from scripts", true},
		{"editor", "SELECT 1 \\e", "t.sql:1:10: \\e opens an editor: qrun runs scripts without a terminal", true},
		{"edit", "\\edit f.sql 3\n", "t.sql:1:1: \\edit opens an editor: qrun runs scripts without a terminal", true},
		{"edit function", "\\ef f(int)\n", "t.sql:1:1: \\ef opens an editor: qrun runs scripts without a terminal", true},
		{"edit view", "\\ev v\n", "t.sql:1:1: \\ev opens an editor: qrun runs scripts without a terminal", true},
		{"prompt", "\\prompt 'Name? ' name\nSELECT :'name';", "t.sql:1:1: \\prompt reads a value from the terminal: qrun runs scripts without one (set the variable with -v NAME=VALUE)", true},
		{"password", "\\password bob\n", "t.sql:1:1: \\password reads a password from the terminal: qrun runs scripts without one (use ALTER ROLE ... PASSWORD)", true},
		{"backquote in set", "\\set x `date`\nSELECT 1;", "t.sql:1:8: \\set: backquote command substitution is not supported: qrun does not run shell commands from scripts", false},
		{"backquote in echo", "\\echo a `date` b\nSELECT 1;", "t.sql:1:9: \\echo: backquote command substitution is not supported: qrun does not run shell commands from scripts", false},
		{"backquote in if", "\\if `true`\n\\endif\nSELECT 1;", "t.sql:1:5: \\if: backquote command substitution is not supported: qrun does not run shell commands from scripts", false},
		{"meta-command after restrict", "\\restrict k\nSELECT 1;\n\\set v 1\n\\unrestrict k\n", "t.sql:3:1: backslash commands are restricted (\\restrict at t.sql:1:1); only \\unrestrict is allowed", false},
		{"unrestrict with a wrong key", "\\restrict k\nSELECT 1;\n\\unrestrict j\n", "t.sql:3:1: \\unrestrict: wrong key", false},
		{"unrestrict without restrict", "SELECT 1;\n\\unrestrict j\n", "t.sql:2:1: \\unrestrict: not currently in restricted mode", false},
		{"endif without if", "SELECT 1;\n\\endif\n", "t.sql:2:1: \\endif: no matching \\if", false},
		{"else without if", "\\else\nSELECT 1;", "t.sql:1:1: \\else: no matching \\if", false},
		{"elif without if", "\\elif true\nSELECT 1;", "t.sql:1:1: \\elif: no matching \\if", false},
		{"elif after else", "\\if false\n\\else\n\\elif true\n\\endif\nSELECT 1;", "t.sql:3:1: \\elif: cannot occur after \\else", false},
		{"else after else", "\\if true\n\\else\n\\else\n\\endif\nSELECT 1;", "t.sql:3:1: \\else: cannot occur after \\else", false},
		{"if without endif", "SELECT 1;\n\\if true\nSELECT 2;\n", "t.sql:2:1: \\if without \\endif before the end of the file", false},
		{"if not a boolean", "\\if maybe\n\\endif\nSELECT 1;", "t.sql:1:1: unrecognized value \"maybe\" for \"\\if expression\": Boolean expected", false},
		{"o is not a boolean", "\\if o\n\\endif\nSELECT 1;", "t.sql:1:1: unrecognized value \"o\" for \"\\if expression\": Boolean expected", false},
		{"ON_ERROR_STOP not a boolean", "\\set ON_ERROR_STOP sometimes\nSELECT 1;", "t.sql:1:1: \\set: unrecognized value \"sometimes\" for \"ON_ERROR_STOP\": Boolean expected", false},
		{"AUTOCOMMIT off", "\\set AUTOCOMMIT off\nSELECT 1;", "t.sql:1:1: \\set AUTOCOMMIT off is not supported: qrun runs every statement in autocommit mode (use BEGIN ... COMMIT)", true},
		{"set name known at run time", "SELECT 'x' AS n \\gset\n\\set :n 1\n", "t.sql:2:1: \\set: a variable name known only at run time is not supported", true},
		{"statement across a run-time if", "SELECT 1 AS x \\gset\nSELECT 1\n\\if :x\n, 2\n\\endif\n;", "t.sql:3:1: a statement that continues across the \\if of an \\if decided at run time is not supported: end it with ; before the \\if", true},
		{"copy under a run-time if", "SELECT 1 AS x \\gset\n\\if :x\nCOPY t FROM stdin;\n1\n\\.\n\\endif\n", "t.sql:3:1: COPY ... FROM STDIN under an \\if decided at run time is not supported: psql reads its data only when the branch runs", true},
		{"value changes the split at load time is fine", "\\set v 'SELECT 1; SELECT'\n:v 2;\n\\bogus", "t.sql:3:1: invalid command \\bogus", false},
		{"unterminated set argument", "\\set x 'abc\nSELECT 1;", "t.sql:1:8: \\set: unterminated quoted string", false},
		{"invalid variable name", "\\set a-b 1\nSELECT 1;", "t.sql:1:1: \\set: invalid variable name \"a-b\"", false},
		{"invalid UTF-8", "SELECT 1;\nSELECT 'a\xffb';", "t.sql:2:10: invalid UTF-8 (byte 0xff): give the file's encoding with SET client_encoding before it", false},
		{"invalid UTF-8 before SET client_encoding", "SELECT 'caf\xe9';\nSET client_encoding = 'LATIN1';\nSELECT 'caf\xe9';", "t.sql:1:12: invalid UTF-8 (byte 0xe9): give the file's encoding with SET client_encoding before it", false},
		{"invalid UTF-8 on the line of SET client_encoding", "SET client_encoding = 'LATIN1'; SELECT 'caf\xe9';", "t.sql:1:44: invalid UTF-8 (byte 0xe9): give the file's encoding with SET client_encoding before it", false},
		{"invalid UTF-8 after RESET client_encoding", "SET client_encoding = 'LATIN1';\nSELECT 'caf\xe9';\nRESET client_encoding;\nSELECT '\xe9';", "t.sql:4:9: invalid UTF-8 (byte 0xe9): give the file's encoding with SET client_encoding before it", false},
		{"SJIS", "SET client_encoding TO 'SJIS';\nSELECT '\x95\\';", "t.sql:1:1: client_encoding SJIS is not supported for a script: its multibyte characters can hold ASCII bytes such as \\, which qrun's lexer would misread (byte 0x95 at t.sql:2:9; convert the file to UTF8)", true},
		{"BIG5 by another name", "SET NAMES 'Big-5';\nSELECT '\xa4\\';", "t.sql:1:1: client_encoding BIG-5 is not supported for a script: its multibyte characters can hold ASCII bytes such as \\, which qrun's lexer would misread (byte 0xa4 at t.sql:2:9; convert the file to UTF8)", true},
		{"NUL byte", "SELECT 1;\nSE\x00LECT 2;", "t.sql:2:3: NUL byte in input", false},
		{"output to a pipe", "\\o | cat\nSELECT 1;", "t.sql:1:1: \\o |command pipes query output to a shell command: qrun runs no shell commands", true},
		{"lo_export without a file", "\\lo_export 42\nSELECT 1;", "t.sql:1:1: \\lo_export: missing required argument", false},
		{"missing include", "\\i /nonexistent/x.sql\nSELECT 1;", "t.sql:1:1: cannot include /nonexistent/x.sql: no such file or directory", false},
		{"empty name", "-- name:\nSELECT 1;", "t.sql:1:1: empty name in -- name: annotation", false},
		{"name with spaces", "-- name: a b c\nSELECT 1;", "t.sql:1:1: name \"a b c\" must not contain spaces", false},
		{"empty after item", "-- after: a,,b\nSELECT 1;", "t.sql:1:1: empty name in -- after: list", false},
		{"empty stage", "-- stage:\nSELECT 1;", "t.sql:1:1: empty label in -- stage: annotation", false},
		{"duplicate name", "-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;", "t.sql:3:1: duplicate name a (first at t.sql:1:1)", false},
		{"duplicate name after a byte order mark", "\xef\xbb\xbf-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;", "t.sql:3:1: duplicate name a (first at t.sql:1:1)", false},
		{"duplicate name, first indented", "SELECT 0; -- x\n\n\t-- name: é\r\n SELECT 1;\n-- name: é\nSELECT 2;", "t.sql:5:1: duplicate name é (first at t.sql:3:2)", false},
		{"duplicate name, first with a suffix below other comments", "-- name a, not yet\n-- stage: s\n  --  name:  a  :one\nSELECT 1;\n-- name: a\nSELECT 2;", "t.sql:5:1: duplicate name a (first at t.sql:3:3)", false},
		{"duplicate name, first in an included file", "\\i testdata/include/named_a.sql\n-- name: a\nSELECT 2;", "t.sql:2:1: duplicate name a (first at testdata/include/named_a.sql:2:1)", false},
		{"two names", "-- name: a\n-- name: b\nSELECT 1;", "t.sql:2:1: second -- name: annotation for one statement (already named a)", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.sql", []byte(tt.src), Options{})
			if s != nil {
				t.Errorf("got a script with %d statements, want nil", len(s.Statements))
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("got error %v, want an ErrorList", err)
			}
			if got := list[0].Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if got := errors.Is(err, ErrUnsupported); got != tt.unsuppd {
				t.Errorf("errors.Is(err, ErrUnsupported) = %v, want %v", got, tt.unsuppd)
			}
		})
	}
}

// TestNoStatements checks that a file from which psql sends nothing but comments is
// accepted, as psql runs it, with a warning.
func TestNoStatements(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"empty file", "", nil},
		{"comment-only file", "-- nothing\n\n", nil},
		{"block-comment-only file", "-- a\n/* b /* nested */ */\n", []string{"/* b /* nested */ */"}},
		{"semicolons and comments only", ";\n/* x */ ;\n-- y\n", []string{";", "/* x */ ;"}},
		{"byte order mark and a comment", "\xef\xbb\xbf-- c\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var warns []string
			got := sqls(t, tt.src, Options{Warn: func(e *Error) { warns = append(warns, e.Error()) }})
			if !slices.Equal(got, tt.want) {
				t.Errorf("got statements %q, want %q", got, tt.want)
			}
			if want := []string{"t.sql:1:1: no statements"}; !slices.Equal(warns, want) {
				t.Errorf("got warnings %q, want %q", warns, want)
			}
		})
	}
}

func TestErrorsCollected(t *testing.T) {
	_, err := Parse("t.sql", []byte("\\password x\nSELECT 1;\n\\! ls\n-- name:\nSELECT 2;\nSELECT 'x"), Options{})
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("got %v, want an ErrorList", err)
	}
	var lines []int
	for _, e := range list {
		lines = append(lines, e.Pos.Line)
	}
	if want := []int{1, 3, 4, 6}; !reflect.DeepEqual(lines, want) {
		t.Errorf("got errors on lines %v, want %v:\n%v", lines, want, err)
	}
}

func TestDisplayOnlyWarnings(t *testing.T) {
	var warns []string
	src := "\\echo hi\nSELECT 1;\n\\d t\n\\echo again :x\n\\d+ t\n\\timing on\n\\echo third\nSELECT 2;\n"
	got := sqls(t, src, Options{Warn: func(e *Error) { warns = append(warns, e.Error()) }})
	if want := []string{"SELECT 1;", "SELECT 2;"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got statements %q, want %q", got, want)
	}
	want := []string{
		`t.sql:3:1: skipped display-only meta-command \d (once)`,
		`t.sql:5:1: skipped display-only meta-command \d+ (once)`,
		`t.sql:6:1: skipped display-only meta-command \timing (once)`,
	}
	if !reflect.DeepEqual(warns, want) {
		t.Errorf("got warnings\n%s\nwant\n%s", strings.Join(warns, "\n"), strings.Join(want, "\n"))
	}
}

func TestCopyData(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		wantSQL  []string
		wantData []string // CopyBlocks
	}{
		{"terminated", "COPY t (a) FROM stdin;\n1\n2\n\\.\nSELECT 1;\n", []string{"COPY t (a) FROM stdin;", "SELECT 1;"}, []string{"1\n2\n"}},
		{"until EOF", "copy t from STDIN with (format csv);\na,b\n", []string{"copy t from STDIN with (format csv);"}, []string{"a,b\n"}},
		{"data looks like SQL", "COPY t FROM STDIN;\n'unterminated; /*\n\\.\nSELECT 1;", []string{"COPY t FROM STDIN;", "SELECT 1;"}, []string{"'unterminated; /*\n"}},
		{"CRLF terminator", "COPY t FROM STDIN;\r\n1\r\n\\.\r\nSELECT 1;", []string{"COPY t FROM STDIN;", "SELECT 1;"}, []string{"1\r\n"}},
		{"rest of line lexed after data", "COPY t FROM STDIN; SELECT 2;\n1\n\\.\nSELECT 3;", []string{"COPY t FROM STDIN;", "SELECT 2;", "SELECT 3;"}, []string{"1\n"}},
		{"two in one query string", "SELECT 0\\; COPY a FROM STDIN\\; COPY b FROM STDIN\\; SELECT 1;\n1\n\\.\n2\n3\n\\.\nSELECT 2;", []string{"SELECT 0; COPY a FROM STDIN; COPY b FROM STDIN; SELECT 1;", "SELECT 2;"}, []string{"1\n", "2\n3\n"}},
		{"three, the last to EOF", "COPY a FROM STDIN\\; COPY b FROM STDIN\\; COPY c FROM STDIN;\n\\.\nx\n\\.\ny\n", []string{"COPY a FROM STDIN; COPY b FROM STDIN; COPY c FROM STDIN;"}, []string{"", "x\n", "y\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.sql", []byte(tt.src), Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, st := range s.Statements {
				got = append(got, st.SQL)
			}
			if !reflect.DeepEqual(got, tt.wantSQL) {
				t.Fatalf("got %q, want %q", got, tt.wantSQL)
			}
			c := s.Statements[0]
			var blocks []string
			for _, b := range c.CopyBlocks() {
				blocks = append(blocks, string(b))
			}
			if !c.IsCopyFromStdin || string(c.CopyData()) != tt.wantData[0] || !reflect.DeepEqual(blocks, tt.wantData) {
				t.Errorf("got IsCopyFromStdin %v, CopyData %q, blocks %q; want true, %q", c.IsCopyFromStdin, c.CopyData(), blocks, tt.wantData)
			}
			if s.Statements[1%len(s.Statements)].IsCopyFromStdin && len(s.Statements) > 1 {
				t.Errorf("got IsCopyFromStdin on %q, want false", s.Statements[1].SQL)
			}
		})
	}
}

// TestDuplicateNamePositions checks that a name used twice is reported with the position
// of the "-- name:" line that gave the name first, not of another annotation above the
// same statement.
func TestDuplicateNamePositions(t *testing.T) {
	src := "-- name: y\nSELECT 0;\n-- name: y\n-- name: z\nSELECT 1;\n-- name: z\nSELECT 2;\n" +
		"SELECT 3; SELECT 4; -- name: w\n-- name: w\n  -- after: y\nSELECT 5;\n-- name: w\nSELECT 6;"
	_, err := Parse("t.sql", []byte(src), Options{})
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("got error %v, want an ErrorList", err)
	}
	want := []string{
		"t.sql:3:1: duplicate name y (first at t.sql:1:1)",
		"t.sql:6:1: duplicate name z (first at t.sql:4:1)",
		"t.sql:12:1: duplicate name w (first at t.sql:9:1)",
	}
	var got []string
	for _, e := range list {
		got = append(got, e.Error())
	}
	if !slices.Equal(got, want) {
		t.Errorf("got errors\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestErrorListAddErr checks that an error recorded with its cause is found through
// the list by errors.Is and errors.As, and that Add records none.
func TestErrorListAddErr(t *testing.T) {
	var l ErrorList
	at := Pos{File: "t.sql", Line: 2, Col: 3}
	l.Add(at, "plain")
	l.AddErr(at, "unsupported", ErrUnsupported)
	if l[0].Err != nil {
		t.Errorf("Add recorded the cause %v, want none", l[0].Err)
	}
	if l[1].Pos != at || l[1].Msg != "unsupported" || l[1].Err != ErrUnsupported {
		t.Errorf("AddErr recorded %+v", *l[1])
	}
	if err := l.Err(); !errors.Is(err, ErrUnsupported) {
		t.Errorf("errors.Is(%v, ErrUnsupported) = false", err)
	}
	if errors.Is(ErrorList{l[0]}.Err(), ErrUnsupported) {
		t.Error("errors.Is finds ErrUnsupported in a list without it")
	}
}
