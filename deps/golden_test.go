package deps

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// render writes an analysis for a golden file: each unit with the start of its SQL, its
// session group, barrier and replay, then the edges into it.
func render(units []Unit, res *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %d units, %d edges; parsed %d, unique %d, failed %d\n", len(units), len(res.Edges), res.Parsed, res.Unique, res.Failed)
	e := 0
	for u, unit := range units {
		text := ""
		if len(unit.Stmts) > 0 {
			text = unit.Stmts[0].SQL
		}
		text = strings.Join(strings.Fields(text), " ")
		if len(text) > 72 {
			text = text[:72] + "…"
		}
		if len(unit.Stmts) > 1 {
			text += fmt.Sprintf(" (+%d)", len(unit.Stmts)-1)
		}
		fmt.Fprintf(&b, "\nunit %d: %s\n", u, text)
		if res.Barrier[u] {
			b.WriteString("  barrier\n")
		}
		if res.Session[u] != 0 {
			fmt.Fprintf(&b, "  session %d\n", res.Session[u])
		}
		for _, r := range res.Replay[u] {
			fmt.Fprintf(&b, "  replay %s\n", r)
		}
		for ; e < len(res.Edges) && res.Edges[e].To == int32(u); e++ {
			x := res.Edges[e]
			fmt.Fprintf(&b, "  <- %d %s %s\n", x.From, x.Kind, x.Object)
		}
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "fixture.sql") {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			units := unitsOf(t, string(src))
			res := Analyze(units, Options{})
			checkInvariants(t, units, res)
			got := render(units, res)
			golden := strings.TrimSuffix(f, ".sql") + ".edges"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./deps -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the analysis; run go test ./deps -run TestGolden -update and review the diff", golden)
			}
		})
	}
}

// checkInvariants checks what every Result promises.
func checkInvariants(t testing.TB, units []Unit, res *Result) {
	t.Helper()
	n := len(units)
	if len(res.Session) != n || len(res.Replay) != n || len(res.Barrier) != n {
		t.Fatalf("per-unit slices have lengths %d, %d, %d; want %d", len(res.Session), len(res.Replay), len(res.Barrier), n)
	}
	seen := make(map[[2]int32]bool)
	for i, e := range res.Edges {
		if e.From < 0 || e.To >= int32(n) || e.From >= e.To {
			t.Fatalf("edge %v out of range or not forward (%d units)", e, n)
		}
		if e.Kind < WriteRead || e.Kind > Session || e.Object == "" {
			t.Fatalf("edge %v has no kind or object", e)
		}
		if seen[[2]int32{e.From, e.To}] {
			t.Fatalf("duplicate edge %v", e)
		}
		seen[[2]int32{e.From, e.To}] = true
		if i > 0 {
			p := res.Edges[i-1]
			if p.To > e.To || p.To == e.To && p.From >= e.From {
				t.Fatalf("edges not sorted: %v before %v", p, e)
			}
		}
	}
	// Consecutive members of a session group are chained.
	last := make(map[int32]int32)
	for u, g := range res.Session {
		if g == 0 {
			continue
		}
		if p, ok := last[g]; ok && !seen[[2]int32{p, int32(u)}] {
			t.Fatalf("session group %d: no edge %d -> %d", g, p, u)
		}
		last[g] = int32(u)
	}
}
