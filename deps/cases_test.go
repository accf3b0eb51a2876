package deps

import (
	"slices"
	"testing"
)

type edgeCase struct {
	name  string
	sql   string
	user  string
	edges []string
	// session: per unit, the expected session groups (nil: not checked)
	session []int32
	// barrier: units expected to be barriers (nil: not checked)
	barriers []int
	replay   map[int][]string
}

var edgeCases = []edgeCase{
	{
		name: "orders",
		edges: []string{
			"0->1 write-write orders",
			"1->2 write-read orders",
			"1->3 write-read orders",
		},
		sql: `CREATE TABLE orders(id int primary key, amount numeric);
INSERT INTO orders SELECT g, g*1.5 FROM generate_series(1,100000) g;
CREATE INDEX ON orders(amount);
SELECT count(*) FROM orders WHERE amount > 500;`,
	},
	{
		// pg_dump writes an identity column's sequence name quoted, part by part.
		name: "identity sequence with a quoted name",
		edges: []string{
			"0->1 write-write Odd Schema.Mixed Case",
			"1->2 write-write Odd Schema.Mixed Case_id_seq",
		},
		sql: `CREATE TABLE "Odd Schema"."Mixed Case" (id integer NOT NULL);
ALTER TABLE "Odd Schema"."Mixed Case" ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME "Odd Schema"."Mixed Case_id_seq" START WITH 1);
SELECT pg_catalog.setval('"Odd Schema"."Mixed Case_id_seq"', 3, true);`,
	},
	{
		name:  "independent sleeps",
		edges: []string{},
		sql:   "SELECT pg_sleep(1);\nSELECT pg_sleep(1);",
	},
	{
		name: "two copies",
		edges: []string{
			"0->2 write-write a",
			"1->3 write-write b",
		},
		sql: `CREATE TABLE a(x int);
CREATE TABLE b(x int);
COPY a (x) FROM stdin;
1
\.
COPY b (x) FROM stdin;
2
\.
`,
	},
	{
		name: "two indexes of one table",
		edges: []string{
			"0->1 write-read t",
			"0->2 write-read t",
			"0->3 write-read t",
			"0->4 write-read t",
			"0->5 write-write t",
			"1->5 read-write t",
			"2->5 read-write t",
			"3->5 read-write t",
			"4->5 read-write t",
		},
		sql: `CREATE TABLE t(a int, b int);
CREATE INDEX t_a ON t(a);
CREATE INDEX t_b ON t(b);
CREATE INDEX ON t(a, b);
CREATE UNIQUE INDEX ON t(b, a);
ALTER TABLE t ADD PRIMARY KEY (a);`,
	},
	{
		name: "ddl dml queries",
		edges: []string{
			"0->1 barrier SET search_path",
			"0->2 barrier SET search_path",
			"1->3 write-write public.a",
			"2->4 write-write public.b",
			"3->4 write-read public.a",
			"3->5 write-write public.a",
			"4->5 read-write public.a",
			"5->6 write-read public.a",
			"4->7 write-read public.b",
			"4->8 write-write public.b",
			"5->8 write-read public.a",
			"7->8 read-write public.b",
		},
		sql: `SET search_path = public;
CREATE TABLE a(x int);
CREATE TABLE b(y int);
INSERT INTO a VALUES (1);
INSERT INTO b SELECT x FROM a;
UPDATE a SET x = 2;
SELECT * FROM a;
SELECT * FROM b;
DELETE FROM b WHERE y IN (SELECT x FROM a);`,
	},
	{
		name: "views",
		edges: []string{
			"0->2 write-read t",
			"0->3 write-read t",
			"2->3 write-read v",
			"0->4 write-write t",
			"2->4 read-write t",
			"3->4 read-write t",
			"1->5 write-write u",
			"2->6 write-read v",
			"3->6 write-read w",
			"4->6 write-read t",
			"2->7 write-write v",
			"3->7 read-write v",
			"4->7 write-write t",
			"6->7 read-write v",
			"7->8 write-read t",
		},
		sql: `CREATE TABLE t(x int);
CREATE TABLE u(x int);
CREATE VIEW v AS SELECT * FROM t;
CREATE VIEW w AS SELECT * FROM v;
INSERT INTO t VALUES (1);
INSERT INTO u VALUES (1);
SELECT * FROM w;
INSERT INTO v VALUES (2);
SELECT * FROM t;`,
	},
	{
		name: "foreign keys",
		edges: []string{
			"0->1 write-read a",
			"1->2 write-read b",
			"0->4 write-write a",
			"1->4 read-write a",
			"1->5 write-write b",
			"2->5 read-write b",
			"4->5 write-read a",
			"3->6 write-write d",
			"2->7 write-write c",
			"4->7 write-write a",
			"5->7 read-write a",
			"7->8 write-read c",
		},
		sql: `CREATE TABLE a(id int PRIMARY KEY);
CREATE TABLE b(id int PRIMARY KEY, a_id int REFERENCES a ON DELETE CASCADE);
CREATE TABLE c(b_id int REFERENCES b ON DELETE CASCADE);
CREATE TABLE d(x int);
INSERT INTO a VALUES (1);
INSERT INTO b VALUES (1, 1);
INSERT INTO d VALUES (1);
DELETE FROM a;
SELECT * FROM c;`,
	},
	{
		name: "trigger writes another table",
		edges: []string{
			"0->4 write-write t",
			"3->4 write-read function f",
			"2->5 write-write other",
			"1->6 write-write log",
			"3->6 write-read function f",
			"4->6 write-write t",
			"6->7 write-read log",
		},
		sql: `CREATE TABLE t(x int);
CREATE TABLE log(x int);
CREATE TABLE other(x int);
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO log VALUES (NEW.x);
  RETURN NEW;
END $$;
CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();
INSERT INTO other VALUES (1);
INSERT INTO t VALUES (1);
SELECT count(*) FROM log;`,
	},
	{
		name: "serial and sequences",
		edges: []string{
			"0->1 write-read t_id_seq",
			"0->3 write-write t",
			"1->3 read-write t_id_seq",
			"1->4 write-write u",
			"3->4 write-write t_id_seq",
			"3->5 write-write t",
			"4->6 write-write t_id_seq",
			"2->7 write-write s",
			"7->8 write-write s",
		},
		sql: `CREATE TABLE t(id serial, x int);
CREATE TABLE u(id int DEFAULT nextval('t_id_seq'), y int);
CREATE SEQUENCE s;
INSERT INTO t(x) VALUES (1);
INSERT INTO u(y) VALUES (1);
INSERT INTO t(id, x) VALUES (5, 1);
SELECT setval('t_id_seq', 10);
SELECT nextval('s');
SELECT nextval('s'::regclass);`,
	},
	{
		name: "sql function",
		edges: []string{
			"0->2 write-read t",
			"1->3 write-read u",
			"0->4 write-write t",
			"2->4 read-write t",
			"2->5 write-read function cnt",
			"4->5 write-read t",
			"1->6 write-write u",
			"3->6 write-read function add",
			"6->7 write-read u",
			"5->8 barrier call of unknown_fn (body unknown)",
			"7->8 barrier call of unknown_fn (body unknown)",
			"8->9 barrier call of unknown_fn (body unknown)",
		},
		sql: `CREATE TABLE t(x int);
CREATE TABLE u(x int);
CREATE FUNCTION cnt() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM t';
CREATE FUNCTION add(v int) RETURNS void LANGUAGE sql BEGIN ATOMIC INSERT INTO u VALUES (v); END;
INSERT INTO t VALUES (1);
SELECT cnt();
SELECT add(1);
SELECT * FROM u;
SELECT unknown_fn();
SELECT 1;`,
	},
	{
		name: "plpgsql function",
		edges: []string{
			"0->5 write-write t",
			"1->6 write-write u",
			"2->6 write-write w",
			"3->6 write-read function p",
			"5->6 write-read t",
			"6->7 write-read u",
			"6->8 write-read w",
			"4->9 write-read function q",
			"7->9 barrier EXECUTE of computed SQL",
			"8->9 barrier EXECUTE of computed SQL",
		},
		sql: `CREATE TABLE t(x int);
CREATE TABLE u(x int);
CREATE TABLE w(x int);
CREATE FUNCTION p() RETURNS int LANGUAGE plpgsql AS $$
DECLARE n int := (SELECT count(*) FROM t);
BEGIN
  IF n > 0 THEN
    UPDATE u SET x = x + 1;
  END IF;
  n := n + (SELECT max(x) FROM w);
  EXECUTE 'DELETE FROM w';
  RETURN n;
END $$;
CREATE FUNCTION q() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DELETE FROM %I', 't');
END $$;
INSERT INTO t VALUES (1);
SELECT p();
SELECT * FROM u;
SELECT * FROM w;
SELECT q();`,
	},
	{
		name: "temp tables",
		edges: []string{
			"1->2 write-write pg_temp.tmp",
			"0->4 write-write t",
			"2->4 write-read pg_temp.tmp",
			"2->5 write-read pg_temp.tmp",
			"4->5 session temp tmp",
			"6->7 write-read pg_temp.tmp2",
		},
		sql: `CREATE TABLE t(x int);
CREATE TEMP TABLE tmp(x int);
INSERT INTO tmp VALUES (1);
SELECT 1;
INSERT INTO t SELECT * FROM tmp;
SELECT * FROM pg_temp.tmp;
CREATE TEMP TABLE tmp2(y int);
SELECT * FROM tmp2;`,
		session: []int32{0, 1, 1, 0, 1, 1, 2, 2},
	},
	{
		name: "search_path",
		edges: []string{
			"0->2 barrier SET search_path",
			"1->2 barrier SET search_path",
			"2->3 barrier SET search_path",
			"2->4 barrier SET search_path",
			"3->5 write-write s1.t",
			"4->6 write-write s2.t",
			"5->7 barrier set_config(search_path)",
			"6->7 barrier set_config(search_path)",
			"7->8 barrier set_config(search_path)",
		},
		sql: `CREATE SCHEMA s1;
CREATE SCHEMA s2;
SET search_path = s1;
CREATE TABLE t(x int);
CREATE TABLE s2.t(x int);
INSERT INTO t VALUES (1);
INSERT INTO s2.t VALUES (1);
SELECT pg_catalog.set_config('search_path', 's2', false);
SELECT * FROM t;`,
		barriers: []int{2, 7},
		replay:   map[int][]string{2: {"SET search_path = s1"}, 7: {"SELECT pg_catalog.set_config('search_path', 's2', false)"}},
	},
	{
		name: "transaction blocks",
		edges: []string{
			"0->3 write-write a",
			"1->3 write-write b",
			"2->4 write-read c",
			"3->5 write-read b",
			"3->6 write-read nowhere.a",
			"4->6 barrier SET LOCAL search_path",
			"5->6 barrier SET LOCAL search_path",
			"6->7 barrier SET LOCAL search_path",
		},
		sql: `CREATE TABLE a(x int);
CREATE TABLE b(x int);
CREATE TABLE c(x int);
BEGIN;
INSERT INTO a VALUES (1);
INSERT INTO b VALUES (1);
COMMIT;
SELECT * FROM c;
SELECT * FROM b;
BEGIN;
SET LOCAL search_path = nowhere;
SELECT * FROM a;
COMMIT;
SELECT 1;`,
	},
	{
		name: "copy",
		edges: []string{
			"0->2 write-write t",
			"2->3 write-read t",
			"1->4 write-read u",
			"1->5 write-write u",
			"4->5 read-write u",
			"2->6 write-read t",
			"5->6 read-write file /tmp/u.data",
		},
		sql: `CREATE TABLE t(x int);
CREATE TABLE u(x int);
COPY t FROM stdin;
1
\.
COPY t TO stdout;
COPY (SELECT * FROM u) TO stdout;
COPY u FROM '/tmp/u.data';
COPY t TO '/tmp/u.data';`,
	},
	{
		name: "unparsable statement",
		edges: []string{
			"0->1 barrier unparsed statement",
			"1->2 barrier unparsed statement",
			"1->3 barrier unparsed statement",
		},
		sql:      "SELECT 1;\nSELEC 2;\nSELECT 3;\nSELECT 4;",
		barriers: []int{1},
	},
	{
		name: "do block",
		edges: []string{
			"0->2 barrier DO block",
			"1->2 barrier DO block",
			"2->3 barrier DO block",
			"2->4 barrier DO block",
		},
		sql:      "CREATE TABLE t(x int);\nSELECT 1;\nDO $$ BEGIN PERFORM 1; END $$;\nSELECT 3;\nSELECT 4;",
		barriers: []int{2},
	},
	{
		name: "prepared statements and cursors",
		edges: []string{
			"0->1 write-read t",
			"0->3 write-write t",
			"1->3 read-write t",
			"3->4 write-read t",
			"3->5 write-read t",
			"6->7 session cursor h",
			"3->9 session prepared ins",
		},
		sql: `CREATE TABLE t(x int);
PREPARE ins(int) AS INSERT INTO t VALUES ($1);
SELECT 1;
EXECUTE ins(1);
SELECT * FROM t;
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM t;
FETCH 1 FROM c;
COMMIT;
DECLARE h CURSOR WITH HOLD FOR SELECT 1;
FETCH 1 FROM h;
LISTEN ch;
DEALLOCATE ins;`,
	},
	{
		name: "currval",
		edges: []string{
			"0->2 write-write t",
			"1->3 write-write u",
			"2->4 write-read t_id_seq",
		},
		sql: `CREATE TABLE t(id serial, x int);
CREATE TABLE u(x int);
INSERT INTO t(x) VALUES (1);
INSERT INTO u VALUES (1);
SELECT currval('t_id_seq');`,
	},
	{
		name: "advisory locks",
		edges: []string{
			"0->2 session advisory lock",
			"2->3 session advisory lock",
		},
		sql: `SELECT pg_advisory_lock(1);
SELECT 1;
SELECT pg_advisory_xact_lock(2);
SELECT pg_advisory_unlock(1);`,
	},
	{
		name: "catalog and barriers",
		edges: []string{
			"0->1 barrier catalog pg_class",
			"1->2 barrier catalog pg_class",
			"2->3 barrier LOCK",
			"3->4 barrier pg_terminate_backend()",
			"4->5 barrier pg_terminate_backend()",
			"4->6 barrier pg_terminate_backend()",
		},
		sql: `CREATE TABLE t(x int);
SELECT count(*) FROM pg_class;
SELECT 1;
LOCK t;
SELECT pg_terminate_backend(1);
SELECT now(), random(), pg_backend_pid();
SELECT 2;`,
	},
}

func TestEdges(t *testing.T) {
	for _, c := range edgeCases {
		t.Run(c.name, func(t *testing.T) {
			units := unitsOf(t, c.sql)
			res := Analyze(units, Options{User: c.user})
			checkInvariants(t, units, res)
			got := edgeStrings(res.Edges)
			if !slices.Equal(got, c.edges) {
				t.Errorf("edges:\n got  %q\n want %q", got, c.edges)
			}
			if c.session != nil && !slices.Equal(res.Session, c.session) {
				t.Errorf("session groups: got %v, want %v", res.Session, c.session)
			}
			if c.barriers != nil {
				var got []int
				for u, b := range res.Barrier {
					if b {
						got = append(got, u)
					}
				}
				if !slices.Equal(got, c.barriers) {
					t.Errorf("barriers: got %v, want %v", got, c.barriers)
				}
			}
			for u, want := range c.replay {
				if !slices.Equal(res.Replay[u], want) {
					t.Errorf("replay of unit %d: got %q, want %q", u, res.Replay[u], want)
				}
			}
		})
	}
}
