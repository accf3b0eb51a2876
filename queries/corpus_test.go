package queries

import (
	"encoding/json"
	"errors"
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

// refusal returns why Parse refuses a corpus file: the message of the first error,
// when it is ErrUnsupported (what follows may be its consequence, such as the data
// lines of a \copy read as SQL); "" when it is not refused so.
func refusal(err error) string {
	var list ErrorList
	if !errors.As(err, &list) || !errors.Is(list[0], ErrUnsupported) {
		return ""
	}
	return list[0].Msg
}

// corpusRefused lists the corpus files that qrun refuses: why (the test's name says
// it), and the start of the message of the first error.
var corpusRefused = map[string][2]string{
}

// TestCorpus compares the split of each PostgreSQL regression file with the statements
// psql 15 sent for it. A statement that reads a variable set at run time (\gset)
// matches whatever psql sent in place of the variable.
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/pg-regress/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var pass, partial, refused, noLog int
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
		if why, ok := corpusRefused[name]; ok {
			refused++
			t.Run(name+"/refused: "+why[0], func(t *testing.T) {
				if got := refusal(perr); !strings.HasPrefix(got, why[1]) {
					t.Errorf("got refusal %q (%v), want one starting %q", got, perr, why[1])
				}
			})
			continue
		}
		t.Run(name, func(t *testing.T) {
			var want []string
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if perr != nil {
				t.Fatalf("Parse: %v", perr)
			}
			var got []string
			var pats []*regexp.Regexp
			firstCopy := -1
			for _, s := range script.Statements {
				if normalizeOne(s.SQL) == "" || s.LargeObject() != nil {
					// psql's log holds no large object command: it runs them through
					// libpq's large object calls and hidden queries.
					continue
				}
				if s.IsCopyFromStdin && firstCopy < 0 {
					firstCopy = len(got)
				}
				got = append(got, normalizeOne(s.SQL))
				pats = append(pats, pattern(s))
			}
			want = normalize(want)
			for i := 0; i < len(got) || i < len(want); i++ {
				if i < len(got) && i < len(want) && (got[i] == want[i] || pats[i] != nil && (pats[i].MatchString(want[i]) || pats[i].MatchString(want[i]+";"))) {
					continue
				}
				if firstCopy >= 0 && i > firstCopy {
					partial++
					t.Logf("%s: compared up to statement %d, after a COPY FROM stdin that may have failed in psql's run", name, i)
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
	t.Logf("corpus: %d files: %d pass, %d pass up to a COPY, %d refused, %d without a psql log", len(files), pass, partial, refused, noLog)
	if min := len(files) - len(corpusRefused) - noLog; pass+partial < min {
		t.Errorf("got %d files passing, want %d", pass+partial, min)
	}
}
