package deps

import (
	"fmt"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/queries"
)

func init() { strictPanics = true }

// unitsOf splits a script as qrun does: queries, then transaction blocks from BEGIN (or
// START TRANSACTION) to COMMIT, END, ROLLBACK, ABORT or PREPARE TRANSACTION as one
// unit, as plan groups them (plan imports deps, so its tests cannot import plan).
func unitsOf(t testing.TB, sql string) []Unit {
	t.Helper()
	script, err := queries.Parse("test.sql", []byte(sql), queries.Options{})
	if err != nil {
		t.Fatalf("queries.Parse: %v", err)
	}
	var units []Unit
	open := false
	for _, s := range script.Statements {
		words := strings.Fields(strings.ToUpper(strings.TrimRight(s.SQL, "; \n")))
		first, second := "", ""
		if len(words) > 0 {
			first = words[0]
		}
		if len(words) > 1 {
			second = words[1]
		}
		if !open {
			units = append(units, Unit{})
		}
		u := &units[len(units)-1]
		u.Stmts = append(u.Stmts, Stmt{SQL: s.SQL})
		switch {
		case first == "BEGIN" || first == "START" && second == "TRANSACTION":
			open = true
		case first == "COMMIT" || first == "END" || first == "ABORT" ||
			first == "ROLLBACK" && second != "TO" || first == "PREPARE" && second == "TRANSACTION":
			open = false
		}
	}
	return units
}

func (e Edge) String() string { return fmt.Sprintf("%d->%d %s %s", e.From, e.To, e.Kind, e.Object) }

func edgeStrings(edges []Edge) []string {
	out := make([]string, len(edges))
	for i, e := range edges {
		out[i] = e.String()
	}
	return out
}

func dump(res *Result) string {
	var b strings.Builder
	for _, e := range res.Edges {
		fmt.Fprintln(&b, e)
	}
	for u := range res.Session {
		if res.Session[u] != 0 || res.Replay[u] != nil || res.Barrier[u] {
			fmt.Fprintf(&b, "unit %d: session=%d barrier=%v replay=%q\n", u, res.Session[u], res.Barrier[u], res.Replay[u])
		}
	}
	return b.String()
}
