package plan

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/queries"
)

// script loads a file named test.sql written in a compact test notation, one statement
// per line, through queries.Parse, so that plans are built from what the splitter makes:
//
//	-- stage: LABEL          starts a stage
//	@NAME: SQL               a named statement
//	@NAME after A,B: SQL     a named statement with "-- after: A, B"
//	@after A: SQL            an unnamed statement with "-- after: A"
//	SQL                      an unnamed statement, named test.sql:LINE
//
// Blank lines are skipped; join commands into one statement with "\;". Each line of
// the notation becomes three lines of the file: its "-- name:" line (or "--"), its
// "-- after:" line (or "--") and the statement, indented to the column where its SQL
// starts in the notation. testPos maps the file's line numbers back to the notation's,
// so that tests are written in the notation's lines and columns.
func script(t testing.TB, src string) *queries.Script {
	t.Helper()
	var b strings.Builder
	for i, line := range strings.Split(src, "\n") {
		lineNo := i + 1
		trimmed := strings.TrimSpace(line)
		name, after, sql := "--", "--", trimmed
		col := strings.Index(line, trimmed)
		if trimmed == "" {
			sql = ""
		} else if _, ok := strings.CutPrefix(trimmed, "-- stage:"); ok {
			col = 0
		} else if rest, ok := strings.CutPrefix(trimmed, "@"); ok {
			head, body, found := strings.Cut(rest, ": ")
			if !found {
				t.Fatalf("script line %d: %q has no \": \"", lineNo, line)
			}
			n, a, _ := strings.Cut(head, "after ")
			if n = strings.TrimSpace(n); n != "" {
				name = "-- name: " + n
			}
			var list []string
			for _, x := range strings.Split(a, ",") {
				if x = strings.TrimSpace(x); x != "" {
					if l, ok := strings.CutPrefix(x, "test.sql:"); ok {
						var k int
						if _, err := fmt.Sscan(l, &k); err == nil {
							x = fmt.Sprintf("test.sql:%d", 3*k)
						}
					}
					list = append(list, x)
				}
			}
			if len(list) > 0 {
				after = "-- after: " + strings.Join(list, ", ")
			}
			col += strings.Index(trimmed, body)
			sql = body
		}
		fmt.Fprintf(&b, "%s\n%s\n%s%s\n", name, after, strings.Repeat(" ", col), sql)
	}
	sc, err := queries.Parse("test.sql", []byte(b.String()), queries.Options{})
	if err != nil {
		t.Fatalf("script: %v\nof:\n%s", err, b.String())
	}
	return sc
}

// testLine matches a position or a name given by the queries package in test.sql.
var testLine = regexp.MustCompile(`test\.sql:(\d+)`)

// testPos rewrites the line numbers of test.sql in s (positions, FILE:LINE names) into
// the lines of script's notation.
func testPos(s string) string {
	return testLine.ReplaceAllStringFunc(s, func(m string) string {
		var n int
		fmt.Sscan(m[len("test.sql:"):], &n)
		return fmt.Sprintf("test.sql:%d", (n+2)/3)
	})
}

// mustBuild builds src and fails the test on an error.
func mustBuild(t testing.TB, src string, opts Options) *Plan {
	t.Helper()
	p, err := Build(script(t, src), opts)
	if err != nil {
		t.Fatalf("Build: unexpected error:\n%v", err)
	}
	return p
}

// unitNames returns the names of the given units of p.
func unitNames(p *Plan, units []int) []string {
	names := make([]string, len(units))
	for i, u := range units {
		names[i] = testPos(p.Units[u].Name())
	}
	return names
}

// byName returns the index of the unit named name.
func byName(t testing.TB, p *Plan, name string) int {
	t.Helper()
	for _, u := range p.Units {
		if testPos(u.Name()) == name {
			return int(u.Index)
		}
	}
	t.Fatalf("no unit named %q", name)
	return -1
}
