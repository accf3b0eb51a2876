//go:build unix

package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOutputChecked gives -o a place the report cannot go: an input file (by its name,
// a symbolic link, or as a file \i includes) or a directory no file can be created in.
// Each is exit 2 before anything runs (no witness table), and the input is unchanged.
func TestOutputChecked(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	table, first := witness(0)
	dir := t.TempDir()
	main := filepath.Join(dir, "main.sql")
	inc := filepath.Join(dir, "inc.sql")
	body := first + "\\i inc.sql\n"
	for p, content := range map[string]string{main: body, inc: "SELECT 1;\n"} {
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(t.TempDir(), "link.sql")
	if err := os.Symlink(main, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, output string }{
		{"the input", main},
		{"a symlink to the input", link},
		{"an included file", inc},
		{"a directory", dir},
	}
	if fi, err := os.Stat("/proc/self"); err == nil && fi.IsDir() {
		tests = append(tests, struct{ name, output string }{"an unwritable directory", "/proc/qrun-e2e-report.json"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := qrunCall(t, call{Args: []string{"--format", "json", "-o", tt.output, "main.sql"}, DB: db.URL, Dir: dir})
			if res.Code != 2 {
				t.Errorf("exit %d, want 2", res.Code)
			}
			if db.tableExists(t, table) {
				t.Fatal("the witness table exists: statements ran before -o was checked")
			}
			for p, want := range map[string]string{main: body, inc: "SELECT 1;\n"} {
				if got, err := os.ReadFile(p); err != nil || string(got) != want {
					t.Errorf("%s: %q, %v; want it unchanged", filepath.Base(p), got, err)
				}
			}
			noTemp(t, dir)
		})
	}
}
