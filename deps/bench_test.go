package deps

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// pgDumpUnits generates what pg_dump writes for n tables in schema app: the header SETs,
// then per table its CREATE TABLE, sequence, ownership, default, COPY, setval, primary
// key, two indexes and a foreign key to the previous table, a view and a comment.
func pgDumpUnits(n int) []Unit {
	var units []Unit
	add := func(format string, args ...any) {
		units = append(units, Unit{Stmts: []Stmt{{SQL: fmt.Sprintf(format, args...)}}})
	}
	for _, s := range []string{"SET statement_timeout = 0", "SET lock_timeout = 0", "SET client_encoding = 'UTF8'",
		"SET standard_conforming_strings = on", "SELECT pg_catalog.set_config('search_path', '', false)",
		"SET check_function_bodies = false", "SET client_min_messages = warning", "SET row_security = off"} {
		add("%s;", s)
	}
	add("CREATE SCHEMA app;")
	add("SET default_tablespace = '';")
	for i := 0; i < n; i++ {
		add("CREATE TABLE app.t%d (\n    id integer NOT NULL,\n    parent_id integer,\n    name text NOT NULL,\n    amount numeric(12,2) DEFAULT 0 NOT NULL,\n    created timestamp with time zone DEFAULT now() NOT NULL\n);", i)
		add("CREATE SEQUENCE app.t%d_id_seq\n    AS integer\n    START WITH 1\n    INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1;", i)
		add("ALTER SEQUENCE app.t%d_id_seq OWNED BY app.t%d.id;", i, i)
		add("CREATE VIEW app.v%d AS\n SELECT t.id,\n    t.name,\n    sum(t.amount) AS total\n   FROM app.t%d t\n  GROUP BY t.id, t.name;", i, i)
		add("COMMENT ON TABLE app.t%d IS 'table %d';", i, i)
	}
	for i := 0; i < n; i++ {
		add("ALTER TABLE ONLY app.t%d ALTER COLUMN id SET DEFAULT nextval('app.t%d_id_seq'::regclass);", i, i)
	}
	for i := 0; i < n; i++ {
		add("COPY app.t%d (id, parent_id, name, amount, created) FROM stdin;", i)
	}
	for i := 0; i < n; i++ {
		add("SELECT pg_catalog.setval('app.t%d_id_seq', %d, true);", i, 1000+i)
	}
	for i := 0; i < n; i++ {
		add("ALTER TABLE ONLY app.t%d\n    ADD CONSTRAINT t%d_pkey PRIMARY KEY (id);", i, i)
	}
	for i := 0; i < n; i++ {
		add("CREATE INDEX t%d_name ON app.t%d USING btree (name);", i, i)
		add("CREATE INDEX t%d_created ON app.t%d USING btree (created) WHERE (amount > (0)::numeric);", i, i)
	}
	for i := 1; i < n; i++ {
		add("ALTER TABLE ONLY app.t%d\n    ADD CONSTRAINT t%d_parent_fkey FOREIGN KEY (parent_id) REFERENCES app.t%d(id);", i, i, i-1)
	}
	return units
}

// mixUnits generates an application-like script: DDL, then many DML statements and
// queries (often the same text), some transaction blocks.
func mixUnits(n int) []Unit {
	rng := rand.New(rand.NewPCG(7, 7))
	var units []Unit
	for i := 0; i < 20; i++ {
		units = append(units, Unit{Stmts: []Stmt{{SQL: fmt.Sprintf("CREATE TABLE t%d (id bigserial PRIMARY KEY, k int, v text)", i)}}})
	}
	for len(units) < n {
		t := rng.IntN(20)
		var sql string
		switch rng.IntN(6) {
		case 0:
			sql = fmt.Sprintf("INSERT INTO t%d (k, v) VALUES (%d, 'x')", t, rng.IntN(100))
		case 1:
			sql = fmt.Sprintf("UPDATE t%d SET v = v || 'y' WHERE k = %d", t, rng.IntN(100))
		case 2:
			sql = fmt.Sprintf("SELECT k, count(*) FROM t%d JOIN t%d USING (k) GROUP BY k", t, rng.IntN(20))
		case 3:
			sql = fmt.Sprintf("SELECT * FROM t%d WHERE id IN (SELECT id FROM t%d WHERE k > 50) ORDER BY id LIMIT 10", t, rng.IntN(20))
		case 4:
			sql = "SELECT pg_sleep(0)"
		default:
			units = append(units, Unit{Stmts: []Stmt{{SQL: "BEGIN"}, {SQL: fmt.Sprintf("DELETE FROM t%d WHERE k = %d", t, rng.IntN(100))},
				{SQL: fmt.Sprintf("INSERT INTO t%d (k) SELECT k FROM t%d LIMIT 5", t, rng.IntN(20))}, {SQL: "COMMIT"}}})
			continue
		}
		units = append(units, Unit{Stmts: []Stmt{{SQL: sql}}})
	}
	return units
}

func benchAnalyze(b *testing.B, units []Unit, workers int) {
	stmts, bytes := 0, 0
	for _, u := range units {
		for _, s := range u.Stmts {
			stmts++
			bytes += len(s.SQL)
		}
	}
	b.SetBytes(int64(bytes))
	b.ReportAllocs()
	b.ResetTimer()
	var res *Result
	for i := 0; i < b.N; i++ {
		res = Analyze(units, Options{Workers: workers})
	}
	b.StopTimer()
	perStmt := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(stmts)
	b.ReportMetric(perStmt, "ns/stmt")
	b.ReportMetric(float64(len(res.Edges))/float64(len(units)), "edges/unit")
}

func BenchmarkAnalyze(b *testing.B) {
	dump := pgDumpUnits(500)
	mix := mixUnits(5000)
	for _, w := range []int{1, 0} {
		b.Run(fmt.Sprintf("pgdump-%dunits/workers=%d", len(dump), w), func(b *testing.B) { benchAnalyze(b, dump, w) })
		b.Run(fmt.Sprintf("mix-%dunits/workers=%d", len(mix), w), func(b *testing.B) { benchAnalyze(b, mix, w) })
	}
}

func TestBenchInputsCommute(t *testing.T) {
	// The benchmark inputs are analysed correctly too (and a dump's COPYs are independent).
	units := pgDumpUnits(30)
	res := checkGraph(t, units, Options{})
	copies := map[int32]bool{}
	for u, unit := range units {
		if strings.HasPrefix(unit.Stmts[0].SQL, "COPY") {
			copies[int32(u)] = true
		}
	}
	for _, e := range res.Edges {
		if copies[e.From] && copies[e.To] {
			t.Errorf("COPY units %d and %d are ordered (%v)", e.From, e.To, e)
		}
	}
	checkGraph(t, mixUnits(500), Options{})
}
