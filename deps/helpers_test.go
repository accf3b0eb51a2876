package deps

import (
	"fmt"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
)

func init() { strictPanics = true }

// unitsOf splits a script as qrun does (queries, then plan's transaction blocks).
func unitsOf(t testing.TB, sql string) []Unit {
	t.Helper()
	script, err := queries.Parse("test.sql", []byte(sql), queries.Options{})
	if err != nil {
		t.Fatalf("queries.Parse: %v", err)
	}
	p, err := plan.Build(script.Statements, plan.Options{Parallel: true})
	if err != nil {
		t.Fatalf("plan.Build: %v", err)
	}
	units := make([]Unit, len(p.Units))
	for i, u := range p.Units {
		for _, s := range u.Statements {
			units[i].Stmts = append(units[i].Stmts, Stmt{SQL: s.SQL})
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
