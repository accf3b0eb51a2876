// Command gen writes the inputs of scripts/bench.sh (see docs/BENCHMARKS.md):
//
//	one.sql       a single "SELECT 1;", the pgbench script
//	select1.sql   N lines of "SELECT 1;" (targets 1, 2 and 5)
//	memory.sql    one statement returning ROWS rows of about 110 bytes (target 3)
//	mixed.sql     about MB megabytes of mixed statements (target 4): dollar quotes with and
//	              without tags, '' and E'' strings, U&'' strings, quoted identifiers,
//	              nested block comments, line comments, "-- name:" lines, $1 parameters,
//	              a$b$ identifiers, casts, parentheses, transaction blocks and BEGIN ATOMIC
//	              bodies
//
// The output is deterministic: the same flags write the same bytes, so a figure measured
// on one machine can be rerun on the same input elsewhere.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("out", "bench/out", "directory to write the inputs to")
	n := flag.Int("n", 20000, "statements in select1.sql")
	rows := flag.Int("rows", 5000000, "rows returned by memory.sql")
	mb := flag.Float64("mb", 100, "size of mixed.sql in megabytes (10^6 bytes)")
	flag.Parse()
	if err := run(*out, *n, *rows, *mb); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string, n, rows int, mb float64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := write(filepath.Join(dir, "one.sql"), func(w *bufio.Writer) {
		w.WriteString("SELECT 1;\n")
	}); err != nil {
		return err
	}
	if err := write(filepath.Join(dir, "select1.sql"), func(w *bufio.Writer) {
		for range n {
			w.WriteString("SELECT 1;\n")
		}
	}); err != nil {
		return err
	}
	if err := write(filepath.Join(dir, "memory.sql"), func(w *bufio.Writer) {
		fmt.Fprintf(w, "SELECT g, repeat('x', 100) FROM generate_series(1, %d) g;\n", rows)
	}); err != nil {
		return err
	}
	return write(filepath.Join(dir, "mixed.sql"), func(w *bufio.Writer) {
		mixed(w, int64(mb*1e6))
	})
}

// write creates path and fills it through fill.
func write(path string, fill func(*bufio.Writer)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fill(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// templates are the statements of mixed.sql. Each is a format string taking the
// statement's number (%[1]d) and a pseudo-random filler word (%[2]s); every ';' that is not
// the statement's own end sits inside a quote, a comment or a BEGIN ATOMIC body, so psql
// would send each template as exactly one statement.
var templates = []string{
	// Line comments, a plain string with '' and ';', a quoted identifier with "" and ';'.
	"-- a line comment; with a semicolon\n-- name: sel_%[1]d\nSELECT 'it''s; %[2]s' AS \"Col;\"\"%[1]d\", 42::int AS n FROM t WHERE x = 'a;b'; -- trailing\n",
	// A function body in a tagged dollar quote holding a different tag and line comments.
	"CREATE OR REPLACE FUNCTION f_%[1]d(a int) RETURNS int LANGUAGE plpgsql AS $body$\nBEGIN\n  -- %[2]s; inside the body\n  RAISE NOTICE '$x$ is not the end; %%', a;\n  RETURN a + 1; /* ; */\nEND;\n$body$;\n",
	// Nested block comments and an anonymous dollar quote.
	"/* outer /* nested; %[2]s */ still the comment; */\nDO $$ BEGIN PERFORM 1; PERFORM 'x;y'; END $$;\n",
	// E'' escapes, U&'' strings, a $1 parameter and an a$b$ identifier.
	"-- name: ins_%[1]d\nINSERT INTO t (a, b, c) VALUES (E'it\\'s;\\\\ %[2]s', U&'d\\0061t\\0061;', $1) RETURNING a$b$, (b || ';');\n",
	// Parentheses around a subquery with a semicolon in a string, and casts.
	"SELECT (SELECT count(*) FROM t WHERE s = ';' AND n > %[1]d)::bigint, ARRAY[1, 2, 3][1], '{%[2]s}'::text[];\n",
	// A transaction block: three statements that plan as one unit.
	"-- name: tx_%[1]d\nBEGIN;\nUPDATE t SET s = '%[2]s;' WHERE id = %[1]d;\nCOMMIT;\n",
	// A BEGIN ATOMIC body: the ';' inside do not end the statement.
	"CREATE PROCEDURE p_%[1]d() LANGUAGE sql\nBEGIN ATOMIC\n  INSERT INTO t VALUES (%[1]d);\n  SELECT CASE WHEN true THEN 1 ELSE 2 END;\nEND;\n",
	// A short statement on one line, the most common shape in real files.
	"UPDATE t SET n = n + 1 WHERE id = %[1]d;\n",
}

// words fill the strings and comments so that not every statement is the same length.
var words = []string{
	"alpha", "beta; gamma", "delta epsilon zeta", "eta -- not a comment", "theta /* not a comment */",
	"iota kappa lambda mu nu xi omicron pi rho sigma tau", "$$ not a quote $$", "\"quoted\"",
}

// mixed writes statements drawn from templates until size bytes are written.
func mixed(w *bufio.Writer, size int64) {
	rng := rand.New(rand.NewPCG(6, 2026))
	var written int64
	for i := 1; written < size; i++ {
		s := fmt.Sprintf(templates[rng.IntN(len(templates))], i, words[rng.IntN(len(words))])
		w.WriteString(s)
		written += int64(len(s))
	}
}
