package deps

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/qrunhq/qrun/internal/pgtest"
)

// serverScript writes a random script over a few objects whose statements fail or
// succeed, and return what they return, depending on what ran before them.
func serverScript(rng *rand.Rand, n int) string {
	tabs := []string{"a", "b", "s1.a"}
	tab := func() string { return tabs[rng.IntN(len(tabs))] }
	k := func() int { return rng.IntN(5) }
	gens := []func() string{
		func() string { return fmt.Sprintf("CREATE TABLE %s (id int, x int)", tab()) },
		func() string { return fmt.Sprintf("INSERT INTO %s VALUES (%d, %d)", tab(), k(), k()) },
		func() string { return fmt.Sprintf("INSERT INTO %s SELECT id, x FROM %s", tab(), tab()) },
		func() string { return fmt.Sprintf("UPDATE %s SET x = x + 1 WHERE id >= %d", tab(), k()) },
		func() string { return fmt.Sprintf("DELETE FROM %s WHERE x > %d", tab(), k()) },
		func() string { return fmt.Sprintf("SELECT count(*), sum(x) FROM %s", tab()) },
		func() string { return fmt.Sprintf("SELECT * FROM %s JOIN %s USING (id)", tab(), tab()) },
		func() string { return fmt.Sprintf("CREATE VIEW v AS SELECT id, x FROM %s", tab()) },
		func() string { return "SELECT * FROM v" },
		func() string { return "INSERT INTO v VALUES (9, 9)" },
		func() string { return "DROP VIEW v" },
		func() string { return fmt.Sprintf("DROP TABLE %s", tab()) },
		func() string { return fmt.Sprintf("CREATE INDEX ix ON %s (x)", tab()) },
		func() string { return fmt.Sprintf("CREATE INDEX ON %s (x)", tab()) },
		func() string { return "DROP INDEX ix" },
		func() string { return fmt.Sprintf("CREATE UNIQUE INDEX ON %s (id)", tab()) },
		func() string { return fmt.Sprintf("ALTER TABLE %s ADD PRIMARY KEY (id)", tab()) },
		func() string { return fmt.Sprintf("ALTER TABLE %s ADD COLUMN y int DEFAULT 7", tab()) },
		func() string { return fmt.Sprintf("ALTER TABLE %s DROP COLUMN y", tab()) },
		func() string {
			return fmt.Sprintf("ALTER TABLE %s ADD FOREIGN KEY (id) REFERENCES %s (id) ON DELETE CASCADE", tab(), tab())
		},
		func() string { return fmt.Sprintf("TRUNCATE %s", tab()) },
		func() string { return "CREATE SEQUENCE sq" },
		func() string { return "SELECT nextval('sq')" },
		func() string { return fmt.Sprintf("ALTER TABLE %s ALTER COLUMN x SET DEFAULT nextval('sq')", tab()) },
		func() string { return fmt.Sprintf("INSERT INTO %s (id) VALUES (%d)", tab(), k()) },
		func() string {
			return fmt.Sprintf("CREATE OR REPLACE FUNCTION f() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM %s'", tab())
		},
		func() string { return "SELECT f()" },
		func() string {
			return fmt.Sprintf("CREATE OR REPLACE FUNCTION tg() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN INSERT INTO %s VALUES (NEW.id, -1); RETURN NEW; END$$", tab())
		},
		func() string {
			return fmt.Sprintf("CREATE TRIGGER tr AFTER INSERT ON %s FOR EACH ROW EXECUTE FUNCTION tg()", tab())
		},
		func() string {
			return fmt.Sprintf("BEGIN;\nINSERT INTO %s VALUES (%d, %d);\nUPDATE %s SET x = 0;\nCOMMIT", tab(), k(), k(), tab())
		},
		func() string { return "CREATE SCHEMA s1" },
		func() string { return "SET search_path = s1, public" },
		func() string { return "RESET search_path" },
		func() string { return fmt.Sprintf("COMMENT ON TABLE %s IS 'c'", tab()) },
		func() string { return "CREATE TEMP TABLE tt (id int, x int)" },
		func() string { return fmt.Sprintf("INSERT INTO tt SELECT * FROM %s", tab()) },
		func() string { return "SELECT count(*) FROM tt" },
		func() string {
			return fmt.Sprintf("CREATE OR REPLACE FUNCTION h() RETURNS void LANGUAGE sql AS 'DELETE FROM %s WHERE x = 1'", tab())
		},
		func() string { return "SELECT h()" },
		func() string {
			return fmt.Sprintf("CREATE OR REPLACE FUNCTION pl() RETURNS int LANGUAGE plpgsql AS $$DECLARE n int; BEGIN SELECT count(*) INTO n FROM %s; UPDATE %s SET x = n; RETURN n; END$$", tab(), tab())
		},
		func() string { return "SELECT pl()" },
		func() string {
			return fmt.Sprintf("WITH d AS (DELETE FROM %s RETURNING *) INSERT INTO %s SELECT * FROM d", tab(), tab())
		},
		func() string {
			return fmt.Sprintf("INSERT INTO %s VALUES (%d, 1) ON CONFLICT (id) DO UPDATE SET x = 0", tab(), k())
		},
		func() string { return fmt.Sprintf("SELECT * FROM %s FOR UPDATE", tab()) },
		func() string {
			return fmt.Sprintf("CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n FROM %s", tab())
		},
		func() string { return "REFRESH MATERIALIZED VIEW mv" },
		func() string { return "SELECT * FROM mv" },
		func() string { return fmt.Sprintf("PREPARE ps AS DELETE FROM %s WHERE id = 2", tab()) },
		func() string { return "EXECUTE ps" },
		func() string {
			return fmt.Sprintf("CREATE RULE r AS ON INSERT TO %s DO ALSO DELETE FROM %s", tab(), tab())
		},
		func() string { return "CREATE TABLE p (id int, x int) PARTITION BY RANGE (id)" },
		func() string { return "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (3)" },
		func() string { return "CREATE TABLE p2 (id int, x int)" },
		func() string { return "ALTER TABLE p ATTACH PARTITION p2 FOR VALUES FROM (3) TO (10)" },
		func() string { return fmt.Sprintf("INSERT INTO p VALUES (%d, %d)", k()*2, k()) },
		func() string { return "SELECT count(*) FROM p1" },
		func() string { return "SELECT count(*) FROM p2" },
		func() string { return "SELECT pg_catalog.set_config('search_path', 's1, public', false)" },
		func() string { return "DO $$ BEGIN DELETE FROM a; END $$" },
		func() string { return fmt.Sprintf("EXPLAIN (COSTS OFF) SELECT * FROM %s WHERE x = 1", tab()) },
		func() string { return fmt.Sprintf("ANALYZE %s", tab()) },
		func() string { return fmt.Sprintf("SELECT pg_relation_size('%s') > -1", tab()) },
		func() string { return fmt.Sprintf("ALTER TABLE %s RENAME TO c", tab()) },
		func() string { return "ALTER TABLE c RENAME TO a" },
		func() string {
			return fmt.Sprintf("CREATE TABLE %s AS SELECT * FROM %s", []string{"c", "s1.c"}[rng.IntN(2)], tab())
		},
	}
	var b strings.Builder
	// A start that makes most statements succeed.
	b.WriteString("CREATE TABLE a (id int, x int);\nCREATE TABLE b (id int, x int);\n")
	for i := 0; i < n; i++ {
		b.WriteString(gens[rng.IntN(len(gens))]())
		b.WriteString(";\n")
	}
	return b.String()
}

// outcome runs one unit and describes what it did: per statement its SQLSTATE or its
// command tag and rows, sorted.
func outcome(ctx context.Context, c *pgx.Conn, u Unit) string {
	var out []string
	for _, s := range u.Stmts {
		res, err := c.PgConn().Exec(ctx, s.SQL).ReadAll()
		if err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				out = append(out, "ERROR "+pe.Code)
				continue
			}
			out = append(out, "ERROR "+err.Error())
			continue
		}
		for _, r := range res {
			rows := make([]string, len(r.Rows))
			for i, row := range r.Rows {
				var cells []string
				for _, v := range row {
					cells = append(cells, string(v))
				}
				rows[i] = strings.Join(cells, "|")
			}
			slices.Sort(rows)
			out = append(out, r.CommandTag.String()+" "+strings.Join(rows, ";"))
		}
	}
	return strings.Join(out, " / ")
}

// state describes the database: its relations, columns, indexes, triggers, functions and
// every table's rows.
func state(ctx context.Context, t *testing.T, c *pgx.Conn) string {
	var b strings.Builder
	q := func(sql string) {
		rows, err := c.Query(ctx, sql, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		for rows.Next() {
			vals, _ := rows.Values()
			fmt.Fprintln(&b, vals...)
		}
		if rows.Err() != nil {
			t.Fatalf("%s: %v", sql, rows.Err())
		}
	}
	const ns = "n.nspname IN ('public', 's1')"
	q("SELECT n.nspname, c.relname, c.relkind, obj_description(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " + ns + " ORDER BY 1, 2")
	q("SELECT n.nspname, c.relname, a.attname, a.atttypid::regtype, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attnum > 0 AND NOT a.attisdropped AND " + ns + " ORDER BY 1, 2, 3")
	q("SELECT schemaname, indexname, indexdef FROM pg_indexes WHERE schemaname IN ('public', 's1') ORDER BY 1, 2")
	q("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace IN (SELECT oid FROM pg_namespace n WHERE " + ns + ") ORDER BY 1, 2")
	q("SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2")
	q("SELECT proname, prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE " + ns + " ORDER BY 1")
	q("SELECT n.nspname, c.relname, pg_sequence_last_value(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND " + ns + " ORDER BY 1, 2")
	var tables []string
	rows, _ := c.Query(ctx, "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND "+ns+" ORDER BY 1", pgx.QueryExecModeSimpleProtocol)
	for rows.Next() {
		var s string
		rows.Scan(&s)
		tables = append(tables, s)
	}
	for _, tb := range tables {
		fmt.Fprintln(&b, tb)
		q("SELECT * FROM " + tb + " ORDER BY 1, 2")
	}
	return b.String()
}

func resetDB(ctx context.Context, t *testing.T, c *pgx.Conn) {
	for _, s := range []string{"DISCARD ALL", "DROP SCHEMA IF EXISTS s1 CASCADE", "DROP SCHEMA public CASCADE", "CREATE SCHEMA public"} {
		if _, err := c.Exec(ctx, s, pgx.QueryExecModeSimpleProtocol); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// TestAgainstServer runs random scripts on the server twice: in file order, and in a
// random order that respects the edges (one of the orders a parallel run may take). Every
// statement must have the same outcome and the database the same final state.
func TestAgainstServer(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	ctx := context.Background()
	seqConn := pgtest.Conn(t, pgtest.NewDatabase(t))
	parConn := pgtest.Conn(t, pgtest.NewDatabase(t))
	seed := uint64(11)
	if n, err := strconv.Atoi(os.Getenv("QRUN_DEPS_SEED")); err == nil {
		seed = uint64(n)
	}
	rng := rand.New(rand.NewPCG(seed, 12))
	scripts := 25
	if n, err := strconv.Atoi(os.Getenv("QRUN_DEPS_SCRIPTS")); err == nil {
		scripts = n
	}
	for i := 0; i < scripts; i++ {
		sql := serverScript(rng, 25)
		units := unitsOf(t, sql)
		res := Analyze(units, Options{User: "postgres"})
		order := randomTopo(rng, len(units), res.Edges)

		resetDB(ctx, t, seqConn)
		resetDB(ctx, t, parConn)
		want := make([]string, len(units))
		for u := range units {
			want[u] = outcome(ctx, seqConn, units[u])
		}
		got := make([]string, len(units))
		for _, u := range order {
			got[u] = outcome(ctx, parConn, units[u])
		}
		for u := range units {
			if got[u] != want[u] {
				t.Fatalf("script %d, unit %d %q: in order %v it gives %q, in file order %q\nscript:\n%s\nedges:\n%s",
					i, u, units[u].Stmts[0].SQL, order, got[u], want[u], numbered(units), strings.Join(edgeStrings(res.Edges), "\n"))
			}
		}
		if s1, s2 := state(ctx, t, seqConn), state(ctx, t, parConn); s1 != s2 {
			t.Fatalf("script %d: final states differ (order %v)\nfile order:\n%s\nother order:\n%s\nscript:\n%s", i, order, s1, s2, numbered(units))
		}
	}
}

func numbered(units []Unit) string {
	var b strings.Builder
	for u, unit := range units {
		var s []string
		for _, st := range unit.Stmts {
			s = append(s, st.SQL)
		}
		fmt.Fprintf(&b, "%d: %s\n", u, strings.Join(s, " "))
	}
	return b.String()
}

// randomTopo returns a random order of n units that respects the edges, preferring to run
// units early (as a parallel run would).
func randomTopo(rng *rand.Rand, n int, edges []Edge) []int {
	indeg := make([]int, n)
	succ := make([][]int, n)
	for _, e := range edges {
		indeg[e.To]++
		succ[e.From] = append(succ[e.From], int(e.To))
	}
	var ready, order []int
	for u := 0; u < n; u++ {
		if indeg[u] == 0 {
			ready = append(ready, u)
		}
	}
	for len(ready) > 0 {
		i := rng.IntN(len(ready))
		u := ready[i]
		ready = append(ready[:i], ready[i+1:]...)
		order = append(order, u)
		for _, s := range succ[u] {
			if indeg[s]--; indeg[s] == 0 {
				ready = append(ready, s)
			}
		}
	}
	return order
}
