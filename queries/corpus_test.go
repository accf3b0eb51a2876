package queries

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// normalize prepares a list of statements for comparison as the corpus README says:
// trim whitespace, drop a trailing ";" and empty statements.
func normalize(stmts []string) []string {
	var out []string
	for _, s := range stmts {
		if s = normalizeOne(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func normalizeOne(s string) string {
	s = strings.TrimSpace(s)
	return strings.TrimSpace(strings.TrimSuffix(s, ";"))
}

// pattern matches what psql may send for a statement whose text reads variables known
// only at run time: its text, any value in place of each such reference.
func pattern(s *Statement) *regexp.Regexp {
	rt := s.rt()
	if rt == nil || rt.tmpl == nil {
		return nil
	}
	var b strings.Builder
	b.WriteString(`^\s*`)
	for _, pc := range rt.tmpl {
		if pc.ref != nil {
			b.WriteString(`(?s:.*?)`)
		} else {
			b.WriteString(regexp.QuoteMeta(pc.s))
		}
	}
	b.WriteString(`\s*;?\s*$`)
	return regexp.MustCompile(b.String())
}

// compareCorpus compares the statements of script with those psql sent (want,
// normalised). A statement after a COPY FROM stdin may differ where psql's COPY failed
// and psql read its data lines as SQL: then the comparison goes on from the first two
// statements in a row that agree again (within a few of qrun's, anywhere later in
// psql's), or ends when the COPY read the rest of the file; resyncs lists those COPY
// statements (1-based). fail says where the lists differ otherwise.
func compareCorpus(script *Script, want []string) (resyncs []int, fail string) {
	var got []string
	var pats []*regexp.Regexp
	var copies []bool
	for _, s := range script.Statements {
		if normalizeOne(s.SQL) == "" || s.Hidden() {
			// psql's log holds no large object command (it runs them through libpq's
			// large object calls and hidden queries), nor the SET of \encoding.
			continue
		}
		got = append(got, normalizeOne(s.SQL))
		pats = append(pats, pattern(s))
		copies = append(copies, s.IsCopyFromStdin)
	}
	same := func(g, w int) bool {
		return g < len(got) && w < len(want) && (got[g] == want[w] || pats[g] != nil && (pats[g].MatchString(want[w]) || pats[g].MatchString(want[w]+";")))
	}
	const window = 3
	g, w := 0, 0
	for g < len(got) || w < len(want) {
		if same(g, w) {
			g, w = g+1, w+1
			continue
		}
		if g == len(got) && copies[g-1] {
			// The last COPY read the rest of the file as its data.
			resyncs = append(resyncs, g)
			break
		}
		if g > 0 && copies[g-1] {
			found := false
			for dg := 0; dg <= window && !found; dg++ {
				for dw := 0; w+dw < len(want) && !found; dw++ {
					if same(g+dg, w+dw) && (same(g+dg+1, w+dw+1) || g+dg+1 == len(got) && (w+dw+1 == len(want) || copies[g+dg])) {
						resyncs = append(resyncs, g)
						g, w, found = g+dg, w+dw, true
					}
				}
			}
			if found {
				continue
			}
		}
		var gs, ws string
		if g < len(got) {
			gs = got[g]
		}
		if w < len(want) {
			ws = want[w]
		}
		return resyncs, fmt.Sprintf("statement %d (psql's %d; of got %d, want %d):\ngot  %q\nwant %q", g+1, w+1, len(got), len(want), gs, ws)
	}
	return resyncs, ""
}

// TestCorpus compares the split of each PostgreSQL regression file with the statements
// psql 15 sent for it. A statement that reads a variable set at run time (\gset)
// matches whatever psql sent in place of the variable.
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/pg-regress/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var pass, partial, noLog int
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".sql")
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(strings.TrimSuffix(path, ".sql") + ".psql.json")
		if err != nil {
			// test_setup.sql has no log of its own: it ran before each of the others.
			noLog++
			t.Run(name+"/accepted (no psql log: it set up the others)", func(t *testing.T) {
				if _, err := Parse(path, src, Options{}); err != nil {
					t.Fatalf("Parse: %v", err)
				}
			})
			continue
		}
		script, perr := Parse(path, src, Options{})
		var want []string
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		var resyncs []int
		var fail string
		if perr != nil {
			fail = "Parse: " + perr.Error()
		} else {
			resyncs, fail = compareCorpus(script, normalize(want))
		}
		sub := name
		if len(resyncs) > 0 {
			// psql's run of the file failed a COPY FROM stdin (its table or column
			// missing on a fresh database) and lexed the data lines as SQL: the
			// statements are compared again from where the two agree.
			sub = fmt.Sprintf("%s/after a COPY FROM stdin that failed in psql's run (statements %v), compared from where psql read its data as SQL", name, resyncs)
			partial++
		} else if fail == "" {
			pass++
		}
		t.Run(sub, func(t *testing.T) {
			if fail != "" {
				t.Fatal(fail)
			}
		})
	}
	t.Logf("corpus: %d files: %d pass, %d pass around a COPY that failed in psql's run, %d without a psql log", len(files), pass, partial, noLog)
	if want := 108; len(files) != want {
		t.Errorf("got %d corpus files, want %d", len(files), want)
	}
	if pass+partial+noLog != len(files) {
		t.Errorf("got %d files passing, want all %d", pass+partial+noLog, len(files))
	}
}
