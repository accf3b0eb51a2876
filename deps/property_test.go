package deps

import (
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
)

// conflict reports whether two accesses touch what may be one object, one of them writing.
func conflict(a, b access) bool {
	if !a.write && !b.write || a.key.kind != b.key.kind {
		return false
	}
	switch a.key.kind {
	case kSchema:
		return a.key.name == "" || b.key.name == "" || a.key.name == b.key.name
	case kRel, kFunc, kIndexSet:
		return a.key.name == b.key.name && (a.key.schema == b.key.schema || a.key.schema == "" || b.key.schema == "")
	}
	return a.key.name == b.key.name
}

// checkGraph checks, by brute force over every pair of units, that the edges order every
// pair the model says does not commute: conflicting accesses, a barrier on either side, or
// one session group.
func checkGraph(t testing.TB, units []Unit, opts Options) *Result {
	t.Helper()
	n := len(units)
	accs := make([][]access, n)
	barrier := make([]bool, n)
	res := analyze(units, opts, func(u int32, a []access, b string) {
		accs[u] = append([]access(nil), a...)
		barrier[u] = b != ""
	})
	checkInvariants(t, units, res)
	words := (n + 63) / 64
	reach := make([][]uint64, n) // reach[j]: the units with a path to j
	for j := range reach {
		reach[j] = make([]uint64, words)
	}
	for _, e := range res.Edges {
		r := reach[e.To]
		for w, x := range reach[e.From] {
			r[w] |= x
		}
		r[e.From/64] |= 1 << (e.From % 64)
	}
	for j := 0; j < n; j++ {
		for i := 0; i < j; i++ {
			why := ""
			switch {
			case barrier[i] || barrier[j]:
				why = "barrier"
			case res.Session[i] != 0 && res.Session[i] == res.Session[j]:
				why = "session"
			default:
			search:
				for _, a := range accs[i] {
					for _, b := range accs[j] {
						if conflict(a, b) {
							why = a.label() + " / " + b.label()
							break search
						}
					}
				}
			}
			if why != "" && reach[j][i/64]&(1<<(i%64)) == 0 {
				t.Fatalf("units %d and %d do not commute (%s) but no path orders them\n%d: %s\n%d: %s",
					i, j, why, i, units[i].Stmts[0].SQL, j, units[j].Stmts[0].SQL)
			}
		}
	}
	return res
}

// randomScript writes a script of statements over a few tables, views, sequences and
// functions, with blocks, SETs, temp tables and barriers.
func randomScript(rng *rand.Rand, n int) string {
	tables := []string{"a", "b", "c", "s1.a", "public.b"}
	tab := func() string { return tables[rng.IntN(len(tables))] }
	stmts := []func() string{
		func() string {
			return fmt.Sprintf("CREATE TABLE %s (id serial PRIMARY KEY, x int, r int REFERENCES c)", tab())
		},
		func() string { return fmt.Sprintf("INSERT INTO %s (x) VALUES (%d)", tab(), rng.IntN(9)) },
		func() string { return fmt.Sprintf("INSERT INTO %s SELECT * FROM %s", tab(), tab()) },
		func() string {
			return fmt.Sprintf("UPDATE %s SET x = x + 1 WHERE id IN (SELECT id FROM %s)", tab(), tab())
		},
		func() string { return fmt.Sprintf("DELETE FROM %s", tab()) },
		func() string { return fmt.Sprintf("SELECT count(*) FROM %s JOIN %s USING (id)", tab(), tab()) },
		func() string { return fmt.Sprintf("SELECT * FROM %s FOR UPDATE", tab()) },
		func() string { return fmt.Sprintf("CREATE INDEX ON %s (x)", tab()) },
		func() string { return fmt.Sprintf("CREATE INDEX i%d ON %s (x)", rng.IntN(3), tab()) },
		func() string {
			return fmt.Sprintf("CREATE OR REPLACE VIEW v%d AS SELECT * FROM %s", rng.IntN(2), tab())
		},
		func() string { return fmt.Sprintf("SELECT * FROM v%d", rng.IntN(2)) },
		func() string { return fmt.Sprintf("INSERT INTO v%d (x) VALUES (1)", rng.IntN(2)) },
		func() string { return fmt.Sprintf("DROP TABLE %s", tab()) },
		func() string { return fmt.Sprintf("TRUNCATE %s", tab()) },
		func() string {
			return fmt.Sprintf("ALTER TABLE %s ADD COLUMN y%d int DEFAULT nextval('sq')", tab(), rng.IntN(3))
		},
		func() string { return "CREATE SEQUENCE sq" },
		func() string { return "SELECT nextval('sq')" },
		func() string { return "SELECT currval('sq')" },
		func() string { return fmt.Sprintf("COPY %s (x) FROM stdin;\n1\n\\.\n", tab()) },
		func() string { return fmt.Sprintf("COPY %s TO stdout", tab()) },
		func() string { return "SET search_path = s1, public" },
		func() string { return "RESET search_path" },
		func() string { return "CREATE SCHEMA s1" },
		func() string { return "CREATE TEMP TABLE t1 (x int)" },
		func() string { return "INSERT INTO t1 VALUES (1)" },
		func() string {
			return fmt.Sprintf("CREATE OR REPLACE FUNCTION f%d() RETURNS int LANGUAGE sql AS 'SELECT count(*)::int FROM %s'", rng.IntN(2), tab())
		},
		func() string {
			return fmt.Sprintf("CREATE OR REPLACE FUNCTION g() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN INSERT INTO %s (x) VALUES (1); RETURN NEW; END$$", tab())
		},
		func() string {
			return fmt.Sprintf("CREATE TRIGGER tr AFTER INSERT ON %s FOR EACH ROW EXECUTE FUNCTION g()", tab())
		},
		func() string { return fmt.Sprintf("SELECT f%d()", rng.IntN(2)) },
		func() string {
			return fmt.Sprintf("BEGIN;\nINSERT INTO %s (x) VALUES (1);\nDELETE FROM %s;\nCOMMIT", tab(), tab())
		},
		func() string { return "SELECT pg_sleep(0)" },
		func() string { return "DO $$ BEGIN END $$" },
		func() string { return "PREPARE p AS SELECT * FROM a" },
		func() string { return "EXECUTE p" },
		func() string { return "SELEC broken" },
		func() string { return "SELECT pg_advisory_lock(1)" },
		func() string { return fmt.Sprintf("COMMENT ON TABLE %s IS 'x'", tab()) },
		func() string { return fmt.Sprintf("GRANT SELECT ON %s TO r%d", tab(), rng.IntN(2)) },
		func() string { return fmt.Sprintf("CREATE ROLE r%d", rng.IntN(2)) },
	}
	var b strings.Builder
	for i := 0; i < n; i++ {
		s := stmts[rng.IntN(len(stmts))]()
		b.WriteString(s)
		if !strings.HasSuffix(s, "\\.\n") {
			b.WriteString(";\n")
		}
	}
	return b.String()
}

func TestGraphProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		sql := randomScript(rng, 5+rng.IntN(40))
		units := unitsOf(t, sql)
		for _, user := range []string{"", "postgres"} {
			checkGraph(t, units, Options{User: user, Workers: 1 + i%3})
		}
	}
}

func TestGraphPropertyCases(t *testing.T) {
	for _, c := range edgeCases {
		checkGraph(t, unitsOf(t, c.sql), Options{User: c.user})
	}
}

// TestDeterministic: the result does not depend on the number of workers or on map order.
func TestDeterministic(t *testing.T) {
	src, err := os.ReadFile("testdata/pgdump.sql")
	if err != nil {
		t.Fatal(err)
	}
	inputs := [][]Unit{unitsOf(t, string(src)), pgDumpUnits(40), mixUnits(300)}
	for _, c := range edgeCases {
		inputs = append(inputs, unitsOf(t, c.sql))
	}
	for i, units := range inputs {
		want := Analyze(units, Options{Workers: 1})
		for _, w := range []int{2, 3, 8} {
			if got := Analyze(units, Options{Workers: w}); !reflect.DeepEqual(got, want) {
				t.Fatalf("input %d: workers=%d gives a different result", i, w)
			}
		}
	}
}
