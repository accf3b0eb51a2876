package deps

import (
	"os"
	"reflect"
	"testing"

	"github.com/qrunhq/qrun/queries"
)

// fuzzUnits splits src as psql would and groups the statements into units: every third
// unit takes the next statement too (a block), and a statement starting with "--opaque"
// is opaque.
func fuzzUnits(src string) []Unit {
	var units []Unit
	i := 0
	_ = queries.Split([]byte(src), func(start, end int) bool {
		sql := src[start:end]
		st := Stmt{SQL: sql, Opaque: len(sql) >= 8 && sql[:8] == "--opaque"}
		if i%3 == 2 && len(units) > 0 {
			units[len(units)-1].Stmts = append(units[len(units)-1].Stmts, st)
		} else {
			units = append(units, Unit{Stmts: []Stmt{st}})
		}
		i++
		return len(units) < 200
	})
	return units
}

func FuzzAnalyze(f *testing.F) {
	for _, c := range edgeCases {
		f.Add(c.sql)
	}
	if b, err := os.ReadFile("testdata/pgdump.sql"); err == nil {
		f.Add(string(b))
	}
	for _, s := range []string{
		"", ";", "SELECT", "SELECT 1; SELECT 2", "CREATE TABLE t(); CREATE TABLE t()",
		"SET search_path = '\"A b\", \"$user\"'; SELECT * FROM t;",
		"SELECT set_config('search_path', (SELECT 'x'), false); SELECT * FROM y;",
		"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT f()'; SELECT f();",
		"CREATE VIEW v AS SELECT * FROM v2; CREATE VIEW v2 AS SELECT * FROM v; SELECT * FROM v;",
		"CREATE TABLE a (id int REFERENCES b); CREATE TABLE b (id int REFERENCES a); DELETE FROM a;",
		"CREATE TABLE p (x int) PARTITION BY LIST (x); CREATE TABLE c PARTITION OF p FOR VALUES IN (1); ALTER TABLE c ATTACH PARTITION p FOR VALUES IN (2); INSERT INTO p VALUES (1);",
		"--opaque\nSELECT 1; CREATE TEMP TABLE x(); SELECT * FROM x;",
		"CREATE RULE r AS ON INSERT TO t DO INSTEAD NOTHING; INSERT INTO t VALUES (1);",
		"CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'SELECT 1'; x := (SELECT 1 FROM t); END $$; SELECT f();",
		"COPY (SELECT * FROM t) TO PROGRAM 'cat'; EXPLAIN ANALYZE DELETE FROM t; EXPLAIN DELETE FROM t;",
		"SELECT 'a.b'::regclass, 'f(int)'::regprocedure, 'x'::regtype, pg_relation_size('t');",
		"CREATE OPERATOR === (procedure = f, leftarg = int, rightarg = int); SELECT 1 === 2;",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		units := fuzzUnits(src)
		if len(units) == 0 {
			return
		}
		checkGraph(t, units, Options{Workers: 2})
	})
}

// TestBatchMatchesSingle checks that a batch parse gives each text what it gets alone.
func TestBatchMatchesSingle(t *testing.T) {
	var texts []string
	for _, c := range edgeCases {
		for _, u := range unitsOf(t, c.sql) {
			for _, s := range u.Stmts {
				texts = append(texts, s.SQL)
			}
		}
	}
	texts = append(texts, "SELECT 1 -- trailing comment", "/* lead */ SELECT 2", "SELECT 3; SELECT 4;", "", "-- only a comment",
		"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1", "SELECT 5;", "END", "SELEC 6", "SELECT 'x")
	out := make([]*stmtProg, len(texts))
	extractBatch(texts, out)
	for i, text := range texts {
		want := extract(text)
		if !reflect.DeepEqual(out[i], want) {
			t.Errorf("text %d %q: batch gives %+v, alone %+v", i, text, out[i], want)
		}
	}
}
