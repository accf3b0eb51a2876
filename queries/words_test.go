package queries

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

func TestCommands(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want [][][]string // per statement, its commands' words
	}{
		{"words and punctuation", "SELECT a.b, 1;", [][][]string{{{"SELECT", "a", ".b", ",", "1"}}}},
		{"comments", "/* a /* b */ c */ begin -- x\n work;", [][][]string{{{"begin", "work"}}}},
		{"strings and identifiers", `SET x = 'it''s; ok', E'a\'; b', "a;""b";`,
			[][][]string{{{"SET", "x", "=", `'it''s; ok'`, ",", `E'a\'; b'`, ",", `"a;""b"`}}}},
		{"dollar quotes and parameters", "DO $f$ $$ ; $f$; EXECUTE p($1, 2);",
			[][][]string{{{"DO", "$f$ $$ ; $f$"}}, {{"EXECUTE", "p", "(", "$1", ",", "2", ")"}}}},
		{"joined commands", "BEGIN \\; SELECT 1\\;\\; COMMIT;",
			[][][]string{{{"BEGIN"}, {"SELECT", "1"}, {"COMMIT"}}}},
		{"parentheses do not part commands", "SELECT (1 \\; 2);", [][][]string{{{"SELECT", "(", "1", ";", "2", ")"}}}},
		{"begin atomic body", "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END \\; COMMIT;",
			[][][]string{{{"CREATE", "FUNCTION", "f", "(", ")", "RETURNS", "int", "BEGIN", "ATOMIC", "SELECT", "1", ";", "END"}, {"COMMIT"}}}},
		{"standard_conforming_strings off", "SET standard_conforming_strings = off;\nSELECT 'a\\'b' \\; COMMIT;",
			[][][]string{{{"SET", "standard_conforming_strings", "=", "off"}}, {{"SELECT", `'a\'b'`}, {"COMMIT"}}}},
		{"head words only", "SELECT a, b, c, d, e, f, g, h, i, j FROM t;",
			[][][]string{{{"SELECT", "a", ",", "b", ",", "c", ",", "d", ",", "e", ",", "f", ",", "g", ",", "h"}}}},
		{"a variable's value", "\\set v 'BEGIN \\\\; COMMIT'\n:v;", [][][]string{{{"BEGIN"}, {"COMMIT"}}}},
		{"nothing but a semicolon", "/* c */ ;", [][][]string{nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := Parse("t.sql", []byte(tt.src), Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got [][][]string
			for _, s := range sc.Statements {
				got = append(got, s.Commands())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestCommandsAgreeWithSplitter reads the commands of every statement of the psql corpus
// and the fuzz seeds, and checks them against what the splitter saw while it lexed the
// statement: no command separator it did not see as "\;", tokens exactly when it saw
// some, and Head equal to the first command.
func TestCommandsAgreeWithSplitter(t *testing.T) {
	files, err := filepath.Glob("testdata/pg-regress/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	srcs := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		srcs[f] = b
	}
	for i, s := range splitSeeds {
		srcs[filepath.Join("seed", string(rune('a'+i)))] = []byte(s)
	}
	statements, multi := 0, 0
	for name, src := range srcs {
		sc, err := Parse(name, src, Options{})
		if err != nil {
			continue // refused corpus files and seeds: nothing to read
		}
		for _, s := range sc.Statements {
			statements++
			checkCommands(t, s)
			if s.flags&flagMulti != 0 {
				multi++
			}
		}
	}
	if statements < 10000 || multi == 0 {
		t.Errorf("read %d statements, %d of them joined with \\;: the test covers too little", statements, multi)
	}
}

// checkCommands checks what TestCommandsAgreeWithSplitter says of statement s.
func checkCommands(t *testing.T, s *Statement) {
	t.Helper()
	cmds := s.CommandWords(0)
	if len(cmds) > 1 && s.flags&flagMulti == 0 {
		t.Fatalf("%s: %q reads as %d commands, but the splitter saw no \\;", s.Pos(), s.SQL, len(cmds))
	}
	if tok := s.flags&flagToken != 0; tok != (len(LexCommands(s.SQL, s.scsAt(), 1)) > 0) {
		t.Fatalf("%s: %q: the splitter saw tokens: %v, reading it again finds %d commands", s.Pos(), s.SQL, tok, len(cmds))
	}
	head, more := s.Head(nil, HeadWords)
	var first []string
	if c := s.Commands(); len(c) > 0 {
		first = c[0]
	}
	if !slices.Equal(head, first) || more != (len(cmds) > 1) {
		t.Fatalf("%s: %q: Head gives %q, more %v; Commands %q", s.Pos(), s.SQL, head, more, s.Commands())
	}
	if two, more2 := s.Head(nil, 2); !slices.Equal(two, first[:min(2, len(first))]) || more2 != more {
		t.Fatalf("%s: %q: Head of 2 gives %q, more %v; Commands %q", s.Pos(), s.SQL, two, more2, s.Commands())
	}
}

func TestLookup(t *testing.T) {
	sc, err := Parse("t.sql", []byte("-- name: a\nSELECT 1;\nSELECT 2;\n-- name: b\nSELECT 3;\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		i    int
		ok   bool
	}{{"a", 0, true}, {"b", 2, true}, {"t.sql:3", 0, false}, {"c", 0, false}} {
		if i, ok := sc.Lookup(tt.name); i != tt.i || ok != tt.ok {
			t.Errorf("Lookup(%q) = %d, %v; want %d, %v", tt.name, i, ok, tt.i, tt.ok)
		}
	}
	if got := sc.Named(); got != 2 {
		t.Errorf("Named() = %d, want 2", got)
	}
	if _, ok := (&Script{}).Lookup("a"); ok {
		t.Error("Lookup in a script made by hand found a name")
	}
}

func TestNewQuery(t *testing.T) {
	for _, tt := range []struct {
		sql  string
		want [][]string
	}{
		{"SET search_path = x", [][]string{{"SET", "search_path", "=", "x"}}},
		{"SELECT 1; SELECT 2", [][]string{{"SELECT", "1"}, {"SELECT", "2"}}},
		{" -- nothing\n", nil},
	} {
		s := NewQuery("setup", tt.sql)
		if got := s.Commands(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("NewQuery(%q).Commands() = %q, want %q", tt.sql, got, tt.want)
		}
		checkCommands(t, s)
	}
}

func TestCalls(t *testing.T) {
	for _, tt := range []struct {
		sql  string
		want bool
	}{
		{"SELECT set_config('a', 'b', false);", true},
		{"select pg_catalog.SET_CONFIG ('a', 'b', false);", true},
		{"SELECT set_config /* c */ ('a', 'b', false);", true},
		{"SELECT my_set_config('a');", false},
		{"SELECT set_configx('a');", false},
		{"SELECT set_config;", false},
		{"DO $$ BEGIN PERFORM set_config('a', 'b', false); END $$;", true}, // pragmatic: bodies count
	} {
		if got := Calls(tt.sql, "set_config"); got != tt.want {
			t.Errorf("Calls(%q, set_config) = %v, want %v", tt.sql, got, tt.want)
		}
	}
	if !Mentions("SELECT 'TRANSACTION_READ_ONLY'", "transaction_read_only") || Mentions("SELECT 1", "transaction_read_only") {
		t.Error("Mentions does not find a word ignoring case, or finds one that is not there")
	}
}
