package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/internal/pgtest"
)

// richSchema exercises what pg_dump writes: schemas, types, sequences, tables with
// awkward data, indexes, views, SQL-standard (BEGIN ATOMIC) and dollar-quoted function
// bodies, triggers, comments.
const richSchema = `
CREATE SCHEMA shop;
COMMENT ON SCHEMA shop IS 'the shop; with a semicolon';
CREATE TYPE shop.mood AS ENUM ('happy', 'sad', 'it''s complicated');
CREATE SEQUENCE shop.order_no START 1000 INCREMENT 5;
CREATE TABLE shop.customers (
	id serial PRIMARY KEY,
	name text NOT NULL,
	mood shop.mood,
	note text,
	data jsonb,
	created date DEFAULT '2024-01-01'
);
COMMENT ON TABLE shop.customers IS 'people who buy; it''s "quoted"';
COMMENT ON COLUMN shop.customers.name IS E'full name\nsecond line';
CREATE TABLE shop.orders (
	no int DEFAULT nextval('shop.order_no') PRIMARY KEY,
	customer int REFERENCES shop.customers (id),
	amount numeric(10, 2) CHECK (amount >= 0),
	tags text[]
);
CREATE TABLE public."Mixed Case" ("Key" text PRIMARY KEY, "semi;colon" int);
CREATE INDEX orders_customer_idx ON shop.orders (customer);
CREATE UNIQUE INDEX customers_lower_name ON shop.customers (lower(name));
INSERT INTO shop.customers (name, mood, note, data) VALUES
	('Ann', 'happy', E'tab\there\nnewline and \\ backslash', '{"a": [1, 2]}'),
	('O''Brien', 'it''s complicated', NULL, NULL),
	('Zoë ∑', NULL, '$$dollar$$ ; semicolon -- not a comment', '"x"');
INSERT INTO shop.orders (customer, amount, tags) VALUES
	(1, 9.99, '{a,b}'), (2, 0, NULL), (1, 12.5, '{"with space","q\"uote"}');
INSERT INTO public."Mixed Case" VALUES ('\.', 1), (E'back\\slash', NULL);
CREATE VIEW shop.big_orders AS
	SELECT c.name, o.amount FROM shop.orders o JOIN shop.customers c ON c.id = o.customer WHERE o.amount > 5;
COMMENT ON VIEW shop.big_orders IS 'orders above 5';
CREATE MATERIALIZED VIEW shop.totals AS SELECT customer, sum(amount) AS total FROM shop.orders GROUP BY customer;
CREATE FUNCTION shop.total(c int) RETURNS numeric LANGUAGE sql STABLE
BEGIN ATOMIC
	SELECT coalesce(sum(amount), 0) FROM shop.orders WHERE customer = c;
END;
CREATE PROCEDURE shop.bump(n numeric) LANGUAGE sql
BEGIN ATOMIC
	UPDATE shop.orders SET amount = amount + n WHERE amount > 100;
	INSERT INTO shop.orders (customer, amount) SELECT 1, n WHERE n > 1000;
END;
CREATE FUNCTION shop.greet(who text) RETURNS text LANGUAGE plpgsql AS $body$
BEGIN
	RETURN 'hello; ' || who || $$!$$;
END
$body$;
COMMENT ON FUNCTION shop.greet(text) IS 'says hello';
CREATE FUNCTION shop.stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.note := coalesce(NEW.note, 'n/a');
	RETURN NEW;
END
$$;
CREATE TRIGGER customers_stamp BEFORE INSERT ON shop.customers FOR EACH ROW EXECUTE FUNCTION shop.stamp();
SELECT setval('shop.order_no', 2000);
`

// pgDump finds pg_dump on PATH or in the Debian PostgreSQL directories.
func pgDump(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("pg_dump"); err == nil {
		return p
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
	if len(found) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("pg_dump is required under CI=true")
		}
		t.Skip("skipping: pg_dump not found")
	}
	slices.Sort(found)
	return found[len(found)-1]
}

// dump returns pg_dump's plain output for the database at url, without the
// \restrict/\unrestrict lines, whose key changes with every dump.
func dump(t *testing.T, pgdump, url string) string {
	t.Helper()
	out, err := exec.Command(pgdump, "--format=plain", "-d", url).Output()
	if err != nil {
		var stderr string
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("pg_dump: %v\n%s", err, stderr)
	}
	var kept []string
	for line := range strings.Lines(string(out)) {
		if strings.HasPrefix(line, `\restrict `) || strings.HasPrefix(line, `\unrestrict `) {
			continue
		}
		kept = append(kept, line)
	}
	return strings.Join(kept, "")
}

func TestPgDumpRoundTrip(t *testing.T) {
	t.Parallel()
	pgdump := pgDump(t)
	src, dst := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	if _, err := pgtest.Conn(t, src).Exec(context.Background(), richSchema); err != nil {
		t.Fatalf("build the source database: %v", err)
	}
	before := dump(t, pgdump, src)
	for _, want := range []string{"BEGIN ATOMIC", "COPY shop.customers", "CREATE VIEW", "COMMENT ON"} {
		if !strings.Contains(before, want) {
			t.Fatalf("the source dump has no %q; the test would prove little", want)
		}
	}
	path := filepath.Join(t.TempDir(), "dump.sql")
	if err := os.WriteFile(path, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}

	inv := qrun(t, context.Background(), "", nil, "-d", dst, "--quiet", "--format", "csv", path)
	if inv.code != exitOK {
		t.Fatalf("restore: exit %d, want 0\nstdout:\n%s", inv.code, inv.stdout)
	}
	after := dump(t, pgdump, dst)
	if after != before {
		t.Errorf("the dump of the restored database differs from the original:\n%s", lineDiff(before, after))
	}
}

// lineDiff lists the lines only in a (-) or only in b (+), enough to see what differs.
func lineDiff(a, b string) string {
	as, bs := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out strings.Builder
	for _, l := range as {
		if !slices.Contains(bs, l) {
			out.WriteString("- " + l + "\n")
		}
	}
	for _, l := range bs {
		if !slices.Contains(as, l) {
			out.WriteString("+ " + l + "\n")
		}
	}
	if out.Len() == 0 {
		return "(same lines, in another order)"
	}
	return out.String()
}
