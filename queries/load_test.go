package queries

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestAnnotations(t *testing.T) {
	src := `-- name: boil :exec
SELECT pg_sleep(0.5);
-- stage: cook
-- after: boil
-- after: salad, sauce
SELECT 2; SELECT 3;
-- ordinary: comment
SELECT 4; -- name: not-above
SELECT 5;
-- stage: serve
SELECT 6;
`
	s, err := Parse("lunch.sql", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Name       string
		Named      bool
		Stage      string
		StageIndex int
		After      []string
		AfterLine  int
	}
	want := []row{
		{"boil", true, "", 0, nil, 0},
		{"lunch.sql:6", false, "cook", 1, []string{"boil", "salad", "sauce"}, 4},
		{"lunch.sql:6:11", false, "cook", 1, nil, 0},
		{"lunch.sql:8", false, "cook", 1, nil, 0},
		{"lunch.sql:9", false, "cook", 1, nil, 0},
		{"lunch.sql:11", false, "serve", 2, nil, 0},
	}
	var got []row
	for _, st := range s.Statements {
		got = append(got, row{st.Name, st.Named, st.Stage(), st.StageIndex(), st.After(), st.AfterPos().Line})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseAnnotation(t *testing.T) {
	tests := []struct {
		name string
		text string
		kind annKind
		vals []string
		bad  bool
	}{
		{"name", " name: GetAuthor", annName, []string{"GetAuthor"}, false},
		{"name with sqlc suffix", " name: GetAuthor :one", annName, []string{"GetAuthor"}, false},
		{"no space", "name:x", annName, []string{"x"}, false},
		{"empty name", " name:   ", annName, nil, true},
		{"name with spaces", " name: a b", annName, nil, true},
		{"stage", " stage: cook pasta", annStage, []string{"cook pasta"}, false},
		{"after list", " after: a , b,c", annAfter, []string{"a", "b", "c"}, false},
		{"after empty item", " after: a,", annAfter, nil, true},
		{"unknown key", " foo: bar", annNone, nil, false},
		{"plain comment", " just words", annNone, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, vals, msg := parseAnnotation(tt.text)
			if kind != tt.kind || !reflect.DeepEqual(vals, tt.vals) || (msg != "") != tt.bad {
				t.Errorf("got (%v, %q, %q), want (%v, %q, bad=%v)", kind, vals, msg, tt.kind, tt.vals, tt.bad)
			}
		})
	}
}

// writeFiles creates files under a temporary directory and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadIncludes(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"main.sql":      "SELECT 1;\n\\ir sub/a.sql\nSELECT 2;\n\\ir sub/a.sql\n",
		"sub/a.sql":     "SELECT 'a'; \\ir b.sql\n",
		"sub/b.sql":     "SELECT :'v';",
		"cycle.sql":     "SELECT 1;\n\\ir cycle2.sql\n",
		"cycle2.sql":    "\\ir cycle.sql\n",
		"empty.sql":     "  \n-- nothing\n",
		"bad.sql":       "SELECT 'x",
		"stdin_inc.sql": "SELECT 'inc';\n",
	})
	t.Run("nested and repeated", func(t *testing.T) {
		s, err := Load([]string{filepath.Join(dir, "main.sql")}, Options{Vars: map[string]string{"v": "b"}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, st := range s.Statements {
			got = append(got, st.SQL+" @ "+filepath.Base(st.Pos().File)+" "+strings.TrimPrefix(st.Name, dir+"/"))
		}
		want := []string{
			"SELECT 1; @ main.sql main.sql:1",
			"SELECT 'a'; @ a.sql sub/a.sql:1",
			"SELECT 'b'; @ b.sql sub/b.sql:1",
			"SELECT 2; @ main.sql main.sql:3",
			"SELECT 'a'; @ a.sql sub/a.sql:1:1",
			"SELECT 'b'; @ b.sql sub/b.sql:1:1",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if len(s.Files) != 5 {
			t.Errorf("got files %q, want 5", s.Files)
		}
	})
	t.Run("stdin", func(t *testing.T) {
		s, err := Load([]string{"-"}, Options{Stdin: strings.NewReader("SELECT 1;\nSELECT 2;")})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Statements[1].Name; got != "<stdin>:2" {
			t.Errorf("got name %q, want <stdin>:2", got)
		}
	})
	errTests := []struct {
		name  string
		paths []string
		want  string
		is    error
	}{
		{"cycle", []string{"cycle.sql"}, "cycle2.sql:1:1: include cycle: cycle.sql -> cycle2.sql -> cycle.sql", nil},
		{"missing file", []string{"nope.sql"}, "nope.sql: cannot read: no such file or directory", fs.ErrNotExist},
		{"directory", []string{"sub"}, "sub: cannot read: is a directory", ErrIsDir},
		{"errors in several files", []string{"bad.sql", "nope.sql"}, "bad.sql:1:8: unterminated quoted string\nnope.sql: cannot read: no such file or directory", nil},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			var paths []string
			for _, p := range tt.paths {
				paths = append(paths, filepath.Join(dir, p))
			}
			_, err := Load(paths, Options{})
			if err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			if got := strings.ReplaceAll(err.Error(), dir+"/", ""); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false, want true", err, tt.is)
			}
		})
	}
}

func TestUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can read any file")
	}
	dir := writeFiles(t, map[string]string{"x.sql": "SELECT 1;"})
	path := filepath.Join(dir, "x.sql")
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	_, err := Load([]string{path}, Options{})
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("got %v, want a permission error", err)
	}
}

func TestPositions(t *testing.T) {
	src := "SELECT 1;\n  SELECT 'é',\n\n  bad\\; SELECT :v + nope;"
	s, err := Parse("p.sql", []byte(src), Options{Vars: map[string]string{"v": "1 + 2"}})
	if err != nil {
		t.Fatal(err)
	}
	st := s.Statements[1]
	if got, want := st.Pos().String(), "p.sql:2:3"; got != want {
		t.Errorf("got Pos %s, want %s", got, want)
	}
	if st.Start() != 9 || st.End() != len(src) {
		t.Errorf("got span [%d,%d), want [9,%d)", st.Start(), st.End(), len(src))
	}
	if want := "SELECT 'é',\n  bad; SELECT 1 + 2 + nope;"; st.SQL != want {
		t.Fatalf("got SQL %q, want %q", st.SQL, want)
	}
	char := func(sub string) int { // 1-based character position of sub in SQL
		return len([]rune(st.SQL[:strings.Index(st.SQL, sub)])) + 1
	}
	tests := []struct {
		name string
		char int
		want string
	}{
		{"first", 1, "p.sql:2:3"},
		{"after multibyte", char(","), "p.sql:2:13"},
		{"after dropped empty line", char("bad"), "p.sql:4:3"},
		{"semicolon from backslash", char("; SELECT"), "p.sql:4:6"},
		{"after backslash semicolon", char(" SELECT"), "p.sql:4:8"},
		{"inside variable value", char("2 +"), "p.sql:4:16"},
		{"after variable", char("nope"), "p.sql:4:21"},
		{"out of range", 1000, "p.sql:2:3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := st.PosOf(tt.char).String(); got != tt.want {
				t.Errorf("PosOf(%d) = %s, want %s", tt.char, got, tt.want)
			}
		})
	}
}

// TestAutoNames checks the names given to unnamed statements: FILE:LINE, FILE:LINE:COL
// for a second statement on a line or a name a "-- name:" line took, then #2, #3, ...
func TestAutoNames(t *testing.T) {
	src := "-- name: n.sql:3\nSELECT 0;\nSELECT 1; SELECT 2;\n-- name: n.sql:4:1\nSELECT 3;\nSELECT 4;\n"
	s, err := Parse("n.sql", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range s.Statements {
		got = append(got, st.Name)
	}
	want := []string{"n.sql:3", "n.sql:3:1", "n.sql:3:11", "n.sql:4:1", "n.sql:6"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got names %q, want %q", got, want)
	}
}

// TestJoinSQL checks JoinSQL against strings.Join on every run of consecutive statements
// of a script that has pieces of the file (which JoinSQL returns without copying) and
// statements that are not (interpolated, several on a line, from another file).
func TestJoinSQL(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "inc.sql"), []byte("SELECT 'inc';\nSELECT 2;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := "BEGIN;\nUPDATE t SET a = 1;\nCOMMIT;\n\\set v 'SELECT 9'\n:v;\nSELECT 1; SELECT 2;\n" +
		"\\i " + filepath.Join(dir, "inc.sql") + "\nSELECT 3;\n\nSELECT 4;\n-- c\nSELECT 5;\r\nSELECT 6;\nSELECT\n7;\nSELECT 8;"
	s, err := Parse("t.sql", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	stmts := s.Statements
	copied := 0
	for i := range stmts {
		for j := i + 1; j <= len(stmts); j++ {
			var sqls []string
			for _, st := range stmts[i:j] {
				sqls = append(sqls, st.SQL)
			}
			want := strings.Join(sqls, "\n")
			if got := JoinSQL(stmts[i:j]); got != want {
				t.Fatalf("JoinSQL(statements %d..%d) = %q, want %q", i, j, got, want)
			}
			if _, ok := fileSpan(stmts[i:j]); !ok {
				copied++
			}
		}
	}
	if _, ok := fileSpan(stmts[:3]); !ok {
		t.Error("BEGIN ... COMMIT on consecutive lines: JoinSQL copied them")
	}
	if copied == 0 {
		t.Error("every run of statements was a piece of the file: the test covers nothing else")
	}
	if got := JoinSQL(nil); got != "" {
		t.Errorf("JoinSQL(nil) = %q", got)
	}
	hand := []*Statement{NewQuery("a", "A;"), NewQuery("b", "B;")}
	if got := JoinSQL(hand); got != "A;\nB;" {
		t.Errorf("JoinSQL of statements made by hand = %q", got)
	}
}

// TestRarePartsKeepStage checks that a statement with rare parts ("-- after:", COPY data),
// which gets a stmtSource of its own, still has the stage of the lines above it, and
// that the statements after it share theirs again.
func TestRarePartsKeepStage(t *testing.T) {
	src := "-- stage: one\nSELECT 0;\n-- after: x\n-- stage: two\nSELECT 1;\nSELECT 2;\n" +
		"COPY t FROM STDIN;\n1\n\\.\nSELECT 3;\n-- stage: three\n-- after: y\nSELECT 4;\n"
	s, err := Parse("t.sql", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		stage string
		index int
		after []string
		copy  string
		file  string
	}
	var got []row
	for _, st := range s.Statements {
		got = append(got, row{st.Stage(), st.StageIndex(), st.After(), string(st.CopyData()), st.Pos().File})
	}
	want := []row{
		{"one", 1, nil, "", "t.sql"},
		{"two", 2, []string{"x"}, "", "t.sql"},
		{"two", 2, nil, "", "t.sql"},
		{"two", 2, nil, "1\n", "t.sql"},
		{"two", 2, nil, "", "t.sql"},
		{"three", 3, []string{"y"}, "", "t.sql"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if s.Statements[2].src != s.Statements[4].src || s.Statements[1].src == s.Statements[2].src {
		t.Error("statements without rare parts do not share their source, or one with them does")
	}
}
