package queries

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// normalize prepares a list of statements for comparison as the corpus README says:
// trim whitespace, drop a trailing ";" and empty statements.
func normalize(stmts []string) []string {
	var out []string
	for _, s := range stmts {
		s = strings.TrimSpace(s)
		s = strings.TrimSpace(strings.TrimSuffix(s, ";"))
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// onlyUnsupported reports whether err holds only unsupported meta-command errors.
func onlyUnsupported(err error) bool {
	var list ErrorList
	if !errors.As(err, &list) {
		return false
	}
	for _, e := range list {
		if !errors.Is(e, ErrUnsupported) {
			return false
		}
	}
	return true
}

// TestCorpus compares the split of each PostgreSQL regression file with the statements
// psql 15 sent for it.
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/pg-regress/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var pass, partial, skipped int
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".sql")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(strings.TrimSuffix(path, ".sql") + ".psql.json")
			if errors.Is(err, fs.ErrNotExist) {
				t.Skipf("no psql log for %s", path)
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			script, err := Parse(path, src, Options{})
			if err != nil {
				if onlyUnsupported(err) {
					skipped++
					t.Logf("skipped: %v", strings.SplitN(err.Error(), "\n", 2)[0])
					return
				}
				t.Fatalf("Parse: %v", err)
			}
			var got []string
			firstCopy := -1
			for _, s := range script.Statements {
				if s.IsCopyFromStdin && firstCopy < 0 {
					firstCopy = len(normalize(got))
				}
				got = append(got, s.SQL)
			}
			got, want = normalize(got), normalize(want)
			for i := 0; i < len(got) || i < len(want); i++ {
				if i < len(got) && i < len(want) && got[i] == want[i] {
					continue
				}
				if firstCopy >= 0 && i > firstCopy {
					partial++
					t.Logf("%s: compared up to statement %d, after a COPY FROM stdin that may have failed in psql's run\ngot  %.80q\nwant %.80q", name, i, got[i], want[i])
					return
				}
				var g, w string
				if i < len(got) {
					g = got[i]
				}
				if i < len(want) {
					w = want[i]
				}
				t.Fatalf("statement %d (of got %d, want %d):\ngot  %q\nwant %q", i+1, len(got), len(want), g, w)
			}
			pass++
		})
	}
	t.Logf("corpus: %d files: %d pass, %d pass up to a COPY, %d skipped (unsupported meta-commands)", len(files), pass, partial, skipped)
	if min := len(files) * 6 / 10; pass+partial < min {
		t.Errorf("got %d files passing, want at least %d", pass+partial, min)
	}
}
