//go:build unix

package e2e

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/internal/qruntest"
	"github.com/qrunhq/qrun/result"
)

// Issue 10: with --parallel, the inferred dependency graph must make a run end in the
// same database state, and give every statement the same outcome, as the sequential run.
// Each file runs sequentially into one fresh database and with --parallel -c 8 into
// others, repeatedly; the pg_dump of each database and every unit's status, SQLSTATE and
// row count must be the same.

// equivRuns is how many parallel runs each file gets: a race that the graph misses shows
// in some of them.
const equivRuns = 3

func TestParallelEqualsSequential(t *testing.T) {
	files, err := filepath.Glob("../../testdata/equiv/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in testdata/equiv: %v", err)
	}
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(strings.TrimSuffix(filepath.Base(f), ".sql"), func(t *testing.T) {
			t.Parallel()
			checkEquivalent(t, abs, equivRuns)
		})
	}
}

// TestParallelEqualsSequentialDump restores a plain pg_dump of a database with awkward
// content both ways.
func TestParallelEqualsSequentialDump(t *testing.T) {
	src := newDB(t)
	src.exec(t, awkwardSchema)
	dump := filepath.Join(t.TempDir(), "dump.sql")
	cmd := exec.Command("pg_dump", "--no-owner", "-f", dump, "-d", src.URL)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	checkEquivalent(t, dump, equivRuns)
}

// TestParallelEqualsSequentialRandom runs random sequences of statements over a few
// tables: reads, writes, DDL and views in any order.
func TestParallelEqualsSequentialRandom(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			path := qruntest.WriteFile(t, "random.sql", randomScript(rand.New(rand.NewPCG(seed, 42)), 60))
			checkEquivalent(t, path, 2)
		})
	}
}

// checkEquivalent runs path sequentially once and in parallel runs times, each into a
// fresh database, and compares outcomes and final states.
func checkEquivalent(t *testing.T, path string, runs int) {
	t.Helper()
	seqDB := newDB(t)
	seq := qrun(t, seqDB.URL, "--format", "json", path)
	if seq.Code != 0 && seq.Code != 1 {
		t.Fatalf("sequential run: exit %d\n%s", seq.Code, seq.Stderr)
	}
	seqRep := qruntest.Decode(t, seq.Stdout)
	want := dumpOf(t, seqDB)
	for i := range runs {
		parDB := newDB(t)
		par := qrun(t, parDB.URL, "--parallel", "-c", "8", "--format", "json", path)
		if par.Code != seq.Code {
			t.Errorf("parallel run %d: exit %d, sequential %d\n%s", i, par.Code, seq.Code, par.Stderr)
		}
		parRep := qruntest.Decode(t, par.Stdout)
		sameOutcomes(t, seqRep, parRep)
		if got := dumpOf(t, parDB); got != want {
			t.Errorf("parallel run %d: the database differs from the sequential run's:\n%s", i, diffLines(want, got))
		}
	}
}

// sameOutcomes compares every unit's status, SQLSTATE and rows.
func sameOutcomes(t *testing.T, seq, par result.Report) {
	t.Helper()
	if len(seq.Queries) != len(par.Queries) {
		t.Fatalf("sequential run has %d units, parallel %d", len(seq.Queries), len(par.Queries))
	}
	outcome := func(q result.Query) string {
		s := fmt.Sprintf("%s rows=%d", q.Status, q.Rows)
		if q.Error != nil {
			s += " " + q.Error.SQLState
		}
		for _, st := range q.Statements {
			s += fmt.Sprintf(" [%s rows=%d]", st.Status, st.Rows)
		}
		return s
	}
	for i := range seq.Queries {
		a, b := outcome(seq.Queries[i]), outcome(par.Queries[i])
		if a != b {
			t.Errorf("%s: sequential %s, parallel %s (waited for %v)", seq.Queries[i].Name, a, b, par.Queries[i].Deps)
		}
	}
}

// dumpOf returns the database's pg_dump, normalised: the lines that name the dump
// itself (\restrict keys, the database name) go, and the data lines of each COPY are
// sorted, since concurrent sessions may leave rows in another physical order.
func dumpOf(t *testing.T, db *testDB) string {
	t.Helper()
	out, err := exec.Command("pg_dump", "--no-owner", "--no-privileges", "-d", db.URL).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	var b strings.Builder
	var data []string
	inCopy := false
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case inCopy && line == `\.`:
			slices.Sort(data)
			for _, d := range data {
				b.WriteString(d + "\n")
			}
			data, inCopy = data[:0], false
			b.WriteString(line + "\n")
		case inCopy:
			data = append(data, line)
		case strings.HasPrefix(line, `\restrict`) || strings.HasPrefix(line, `\unrestrict`):
		default:
			inCopy = strings.HasPrefix(line, "COPY ") && strings.HasSuffix(line, "FROM stdin;")
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// diffLines shows the lines that one text has and the other lacks.
func diffLines(want, got string) string {
	count := func(s string) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(s, "\n") {
			m[l]++
		}
		return m
	}
	w, g := count(want), count(got)
	var out []string
	for l, n := range w {
		if g[l] < n {
			out = append(out, "- "+l)
		}
	}
	for l, n := range g {
		if w[l] < n {
			out = append(out, "+ "+l)
		}
	}
	slices.Sort(out)
	if len(out) > 40 {
		out = append(out[:40], fmt.Sprintf("... %d more", len(out)-40))
	}
	return strings.Join(out, "\n")
}

// awkwardSchema is a database whose dump exercises what pg_dump writes: quoted names,
// enums and domains, sequences and identities, views and a materialized view, FKs,
// triggers, SQL and PL/pgSQL functions, comments, check constraints, partitions, data
// with tabs, backslashes and NULLs.
const awkwardSchema = `
CREATE SCHEMA "Odd Schema";
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TABLE "Odd Schema"."Mixed Case" (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "Note" text, m mood);
CREATE TABLE parent (id serial PRIMARY KEY, name text UNIQUE, qty posint);
CREATE TABLE child (id bigserial PRIMARY KEY, parent_id int REFERENCES parent(id), payload jsonb, CHECK (id > 0));
CREATE TABLE events (at date NOT NULL, v int) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE big (id int, filler text);
CREATE INDEX big_id ON big (id);
CREATE INDEX big_filler ON big (filler);
CREATE FUNCTION twice(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 * 2';
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name := upper(NEW.name); RETURN NEW; END $$;
CREATE TRIGGER parent_touch BEFORE INSERT ON parent FOR EACH ROW EXECUTE FUNCTION touch();
CREATE VIEW parent_names AS SELECT id, name FROM parent;
INSERT INTO "Odd Schema"."Mixed Case" ("Note", m) VALUES (E'tab\there', 'ok'), (E'back\\slash', NULL), (NULL, 'happy');
INSERT INTO parent (name, qty) SELECT 'p' || g, g FROM generate_series(1, 200) g;
INSERT INTO child (parent_id, payload) SELECT 1 + g % 200, jsonb_build_object('g', g) FROM generate_series(1, 2000) g;
INSERT INTO events SELECT DATE '2024-01-01' + g, g FROM generate_series(0, 600) g;
INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 20000) g;
CREATE MATERIALIZED VIEW child_counts AS SELECT parent_id, count(*) AS n FROM child GROUP BY parent_id;
CREATE INDEX ON child_counts (parent_id);
COMMENT ON TABLE parent IS 'the parents';
COMMENT ON COLUMN "Odd Schema"."Mixed Case"."Note" IS 'quoted';
SELECT setval('parent_id_seq', 500);
`

// randomScript writes n random statements over a few tables: creates, inserts that
// copy between tables, updates, deletes, views, indexes, truncates and reads.
func randomScript(r *rand.Rand, n int) string {
	tables := []string{"ta", "tb", "tc"}
	var b strings.Builder
	for _, tb := range tables {
		fmt.Fprintf(&b, "CREATE TABLE %s (k int, v int);\n", tb)
	}
	pick := func() string { return tables[r.IntN(len(tables))] }
	for i := range n {
		t1, t2 := pick(), pick()
		switch r.IntN(11) {
		case 0, 1:
			fmt.Fprintf(&b, "INSERT INTO %s SELECT g, %d FROM generate_series(1, %d) g;\n", t1, i, 1+r.IntN(20))
		case 2:
			fmt.Fprintf(&b, "INSERT INTO %s SELECT k + %d, v FROM %s WHERE k %% 3 = %d;\n", t1, i, t2, r.IntN(3))
		case 3:
			fmt.Fprintf(&b, "UPDATE %s SET v = v + (SELECT count(*) FROM %s) WHERE k %% 2 = %d;\n", t1, t2, r.IntN(2))
		case 4:
			fmt.Fprintf(&b, "DELETE FROM %s WHERE k > %d;\n", t1, 5+r.IntN(30))
		case 5:
			fmt.Fprintf(&b, "SELECT count(*), sum(v) FROM %s;\n", t1)
		case 6:
			fmt.Fprintf(&b, "CREATE OR REPLACE VIEW v_%s AS SELECT k, v FROM %s WHERE v > %d;\n", t1, t1, r.IntN(10))
		case 7:
			fmt.Fprintf(&b, "SELECT count(*) FROM v_%s;\n", t1) // fails until the view exists, as in the sequential run
		case 8:
			fmt.Fprintf(&b, "CREATE INDEX IF NOT EXISTS i_%s_%d ON %s (k);\n", t1, r.IntN(3), t1)
		case 9:
			if r.IntN(4) == 0 {
				fmt.Fprintf(&b, "TRUNCATE %s;\n", t1)
			} else {
				fmt.Fprintf(&b, "SELECT pg_sleep(0.01) FROM %s LIMIT 1;\n", t1)
			}
		case 10:
			fmt.Fprintf(&b, "ALTER TABLE %s ADD COLUMN IF NOT EXISTS c%d int DEFAULT %d;\n", t1, r.IntN(3), i)
		}
	}
	return b.String()
}
