package compare

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/result"
)

var update = flag.Bool("update", false, "rewrite golden files")

// script turns a small SQL file into the queries qrun would report for it: statements
// end with ";" at the end of a line, a "-- name: X" line names the next statement, and
// unnamed statements are named FILE:LINE as queries names them. Every query ran ok in
// ten runs taking ms milliseconds, or the number after "-- ms:".
func script(file, src string) []result.Query {
	var qs []result.Query
	var sql strings.Builder
	name, named, start, ms := "", false, 0, 10.0
	for i, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if n, ok := strings.CutPrefix(t, "-- name:"); ok && sql.Len() == 0 {
			name, named = strings.TrimSpace(n), true
			continue
		}
		if v, ok := strings.CutPrefix(t, "-- ms:"); ok && sql.Len() == 0 {
			fmt.Sscan(v, &ms)
			continue
		}
		if t == "" && sql.Len() == 0 {
			continue
		}
		if sql.Len() == 0 {
			start = i + 1
		} else {
			sql.WriteByte('\n')
		}
		sql.WriteString(line)
		if strings.HasSuffix(t, ";") {
			if !named {
				name = fmt.Sprintf("%s:%d", file, start)
			}
			runs := make([]float64, 10)
			for k := range runs {
				runs[k] = ms * (1 + float64(k%5)/100)
			}
			q := runsQ(name, runs)
			q.File, q.Line, q.Col, q.SQL = file, start, 1, sql.String()
			qs = append(qs, q)
			sql.Reset()
			name, named, ms = "", false, 10
		}
	}
	return qs
}

func identified(file, src string) *result.Report {
	r := rep(script(file, src)...)
	IdentifyReport(r)
	return r
}

// pairs renders a comparison's pairing, one row a line: the new name, the base name it
// was paired with, the verdict and the flags.
func pairs(c result.Comparison) string {
	var b strings.Builder
	for _, row := range c.Rows {
		base := row.Name
		if row.BaseName != "" {
			base = row.BaseName
		}
		switch row.Verdict {
		case result.VerdictAdded:
			base = "-"
		case result.VerdictGone:
			fmt.Fprintf(&b, "%-16s ← %-16s gone\n", "-", row.Name)
			continue
		}
		fmt.Fprintf(&b, "%-16s ← %-16s %s", row.Name, base, row.Verdict)
		if row.Regression {
			b.WriteString(" (regression)")
		}
		if row.ChangedSQL {
			b.WriteString(" [changed SQL]")
		}
		if row.Ambiguous {
			b.WriteString(" [ambiguous]")
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "regressions %d, ambiguous %d\n", c.Regressions, c.Ambiguous)
	return b.String()
}

const lunch = `-- the lunch
SELECT 1;

-- name: boil
SELECT pg_sleep(0.5);

SELECT pg_sleep(0.01);
SELECT count(*) FROM pg_class;
`

// TestPairing is the golden and table test of statement identity: edits that do not
// change what a statement is (comments, blank lines, moved lines, another directory,
// another relative path) change no pairing, and edits that do are named.
func TestPairing(t *testing.T) {
	tests := []struct {
		name                string
		baseFile, newFile   string
		base, new           string
		wantSame            bool // every statement paired with its own self, nothing else
		wantChanged         int
		wantAmbiguous       int
		wantAdded, wantGone int
		wantRegressions     int
		threshold           float64
	}{
		{name: "identical", baseFile: "lunch.sql", newFile: "lunch.sql", base: lunch, new: lunch, wantSame: true},
		{name: "comment line deleted", baseFile: "lunch.sql", newFile: "lunch.sql", base: lunch,
			new: strings.Replace(lunch, "-- the lunch\n", "", 1), wantSame: true},
		{name: "comment edited and lines added", baseFile: "lunch.sql", newFile: "lunch.sql", base: lunch,
			new: strings.Replace(lunch, "-- the lunch\n", "-- the lunch,\n-- now with\n-- three lines\n\n", 1), wantSame: true},
		{name: "statements moved", baseFile: "lunch.sql", newFile: "lunch.sql", base: lunch,
			new: "SELECT count(*) FROM pg_class;\n-- name: boil\nSELECT pg_sleep(0.5);\nSELECT pg_sleep(0.01);\nSELECT 1;\n", wantSame: true},
		{name: "other directory", baseFile: "bench/lunch.sql", newFile: "/home/ci/src/bench/lunch.sql", base: lunch, new: lunch, wantSame: true},
		{name: "other relative path", baseFile: "lunch.sql", newFile: "../repo/./lunch.sql", base: lunch, new: lunch, wantSame: true},
		{name: "whitespace, case and comments inside", baseFile: "lunch.sql", newFile: "lunch.sql", base: lunch,
			new: strings.Replace(lunch, "SELECT count(*) FROM pg_class;", "select count(*)   -- how many\n  from PG_CLASS /* all */;", 1), wantSame: true},
		{name: "named statement's SQL changed", baseFile: "lunch.sql", newFile: "lunch.sql", base: lunch,
			new:         strings.Replace(lunch, "-- name: boil\nSELECT pg_sleep(0.5);", "-- name: boil\n-- ms: 30\nSELECT pg_sleep(1.5);", 1),
			wantChanged: 1, wantRegressions: 1, threshold: 10},
		{name: "unnamed statement's constant changed", baseFile: "lunch.sql", newFile: "lunch.sql", base: lunch,
			new: strings.Replace(lunch, "SELECT pg_sleep(0.01);", "SELECT pg_sleep(0.02);", 1), wantChanged: 1},
		{name: "unnamed statement replaced", baseFile: "lunch.sql", newFile: "lunch.sql", base: lunch,
			new:       strings.Replace(lunch, "SELECT count(*) FROM pg_class;", "SELECT count(*) FROM pg_attribute;", 1),
			wantAdded: 1, wantGone: 1},
		{name: "one of three identical statements removed", baseFile: "dup.sql", newFile: "dup.sql",
			base: "SELECT 1;\n-- ms: 1\nSELECT 1;\nSELECT 1;\n", new: "SELECT 1;\n-- ms: 30\nSELECT 1;\n",
			wantAmbiguous: 2, wantGone: 1, threshold: 10},
		{name: "identical statements in equal numbers", baseFile: "dup.sql", newFile: "dup.sql",
			base: "SELECT 1;\nSELECT 1;\n", new: "-- hello\nSELECT 1;\n\nSELECT 1;\n", wantSame: true},
		{name: "parameters reordered", baseFile: "p.sql", newFile: "p.sql",
			base: "SELECT * FROM pg_class WHERE oid = 1;\n-- ms: 50\nSELECT * FROM pg_class WHERE oid = 2;\n",
			new:  "-- ms: 50\nSELECT * FROM pg_class WHERE oid = 2;\nSELECT * FROM pg_class WHERE oid = 1;\n", wantSame: true, threshold: 10},
		{name: "two of a kind edited", baseFile: "p.sql", newFile: "p.sql",
			base: "SELECT * FROM pg_class WHERE oid = 1;\nSELECT * FROM pg_class WHERE oid = 2;\n",
			new:  "SELECT * FROM pg_class WHERE oid = 3;\nSELECT * FROM pg_class WHERE oid = 4;\n", wantChanged: 2, wantAmbiguous: 2},
		{name: "does not parse", baseFile: "bad.sql", newFile: "bad.sql",
			base: "-- old\nSELEKT 1;\nSELECT 2;\n", new: "SELEKT   1;\nSELECT 2;\n", wantSame: true},
	}
	var all strings.Builder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, new := identified(tt.baseFile, tt.base), identified(tt.newFile, tt.new)
			c := Compare("base", base, "new", new, Options{ThresholdPct: tt.threshold})
			got := pairs(c)
			fmt.Fprintf(&all, "== %s\n%s", tt.name, got)
			var changed, added, gone int
			for _, row := range c.Rows {
				if row.ChangedSQL {
					changed++
				}
				switch row.Verdict {
				case result.VerdictAdded:
					added++
				case result.VerdictGone:
					gone++
				}
				if tt.wantSame {
					bq := findQuery(base, row.BaseName, row.Name)
					nq := findQuery(new, row.Name, "")
					if bq == nil || nq == nil || NormalizeSQL(bq.SQL) != NormalizeSQL(nq.SQL) {
						t.Errorf("row %s paired with %s: want each statement paired with itself\n%s", row.Name, row.BaseName, got)
					}
				}
			}
			if changed != tt.wantChanged || c.Ambiguous != tt.wantAmbiguous || added != tt.wantAdded || gone != tt.wantGone {
				t.Errorf("changed %d, ambiguous %d, added %d, gone %d; want %d, %d, %d, %d\n%s",
					changed, c.Ambiguous, added, gone, tt.wantChanged, tt.wantAmbiguous, tt.wantAdded, tt.wantGone, got)
			}
			if c.Regressions != tt.wantRegressions {
				t.Errorf("regressions %d, want %d\n%s", c.Regressions, tt.wantRegressions, got)
			}
			for _, row := range c.Rows {
				if row.Ambiguous && (row.Regression || !strings.Contains(row.Note, "not gated")) {
					t.Errorf("ambiguous row %s: regression %v, note %q; want never gated, and said so", row.Name, row.Regression, row.Note)
				}
				if row.ChangedSQL && !strings.Contains(row.Note, "changed SQL") {
					t.Errorf("row %s: note %q, want it to say changed SQL", row.Name, row.Note)
				}
			}
		})
	}
	golden(t, "pairing.golden", all.String())
}

// findQuery returns the query of r named name, or alt when name is empty.
func findQuery(r *result.Report, name, alt string) *result.Query {
	if name == "" {
		name = alt
	}
	for i := range r.Queries {
		if r.Queries[i].Name == name {
			return &r.Queries[i]
		}
	}
	return nil
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./compare -update creates it)", err)
	}
	if !bytes.Equal([]byte(got), want) {
		t.Errorf("%s differs (go test ./compare -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestIdentityOldReports checks that reports without identities (older qrun) pair as
// if they had them, and that a report with them keeps what it recorded.
func TestIdentityOldReports(t *testing.T) {
	base := rep(script("lunch.sql", lunch)...) // no IDs
	new := identified("lunch.sql", strings.Replace(lunch, "-- the lunch\n", "", 1))
	c := Compare("base", base, "new", new, Options{})
	for _, row := range c.Rows {
		if row.Verdict != result.VerdictSame || row.ChangedSQL {
			t.Errorf("row %s: %s changed %v, want ~ and the same SQL\n%s", row.Name, row.Verdict, row.ChangedSQL, pairs(c))
		}
	}
	if len(c.Rows) != 4 {
		t.Errorf("got %d rows, want 4\n%s", len(c.Rows), pairs(c))
	}
}

func TestIdentify(t *testing.T) {
	r := identified("/x/y/lunch.sql", lunch+"SELECT 1;\n")
	want := []string{
		`^lunch\.sql fp:[0-9a-f]{16}$`,
		`^boil$`,
		`^lunch\.sql fp:[0-9a-f]{16}$`,
		`^lunch\.sql fp:[0-9a-f]{16}$`,
		`^lunch\.sql fp:[0-9a-f]{16} #2$`,
	}
	if len(r.Queries) != len(want) {
		t.Fatalf("got %d queries, want %d", len(r.Queries), len(want))
	}
	for i, w := range want {
		if id := r.Queries[i].ID; !regexp.MustCompile(w).MatchString(id) {
			t.Errorf("query %d id %q, want %s", i, id, w)
		}
	}
	if r.Queries[0].ID != strings.TrimSuffix(r.Queries[4].ID, " #2") {
		t.Errorf("ids %q and %q: want the second SELECT 1 to be the first's #2", r.Queries[0].ID, r.Queries[4].ID)
	}
	bad := identified("bad.sql", "SELEKT 1;\n")
	if id := bad.Queries[0].ID; !regexp.MustCompile(`^bad\.sql text:[0-9a-f]{16}$`).MatchString(id) {
		t.Errorf("unparsable statement id %q, want bad.sql text:HASH", id)
	}
}

func TestNormalizeSQL(t *testing.T) {
	tests := []struct{ a, b string }{
		{"SELECT 1;", "select   1"},
		{"SELECT /* c */ a\n-- x\nFROM t;", "select a from T"},
		{`SELECT "A" FROM t`, `select "A" from t`},
		{"SELECT 'a  b'", "SELECT 'a  b'"},
	}
	for _, tt := range tests {
		if x, y := NormalizeSQL(tt.a), NormalizeSQL(tt.b); x != y {
			t.Errorf("NormalizeSQL(%q) = %q, NormalizeSQL(%q) = %q; want equal", tt.a, x, tt.b, y)
		}
	}
	differ := []struct{ a, b string }{
		{`SELECT "A"`, `SELECT "a"`},
		{"SELECT 'a  b'", "SELECT 'a b'"},
		{"SELECT 1", "SELECT 2"},
	}
	for _, tt := range differ {
		if NormalizeSQL(tt.a) == NormalizeSQL(tt.b) {
			t.Errorf("NormalizeSQL(%q) == NormalizeSQL(%q) = %q; want different", tt.a, tt.b, NormalizeSQL(tt.a))
		}
	}
}
