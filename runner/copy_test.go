package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
)

// TestClientCopy runs \copy in and out, from the working directory as psql does, and
// compares what it leaves with psql -f running the same script.
func TestClientCopy(t *testing.T) {
	viaQrun, viaPsql := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.csv"), []byte("a,b\n1,one\n2,\"t,wo\"\n3,three\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Text data ends after a line "\." as psql 15 reads it; it sends the line, and the
	// server refuses one whose newline is not the data's.
	for name, data := range map[string]string{"end.txt": "10\tten\n\\.\n11\televen\n", "crlf.txt": "12\ttwelve\n\\.\r\n13\tthirteen\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	script := `CREATE TABLE t (x int, y text);
\copy t from 'in.csv' with (format csv, header)
\copy t (x, y) from stdin
4	four
5	\N
\.
\copy (SELECT x, y FROM t WHERE x > 1 ORDER BY x) to 'out/sel.txt'
CREATE TABLE u (x int, y text);
\copy u from out/sel.txt
\copy u to stdout
\copy t to pstdout with csv
\copy t from end.txt
\copy t from crlf.txt
\copy t to 'out/t.bin' with (format binary)
CREATE TABLE v (x int, y text);
\copy v from 'out/t.bin' (format binary)
`
	psqlScript(t, viaPsql, script)
	p := scriptPlan(t, "s.sql", script, queries.Options{}, plan.Options{})
	r := run(t, connect(t, viaQrun, Config{}, Options{}), p)
	if got := statuses(r); got != "ok ok ok ok ok ok ok ok ok error ok ok ok" {
		t.Fatalf("got statuses %q, want all ok but the CRLF marker: %+v", got, r.Queries)
	}
	if e := r.Queries[9].Error; e == nil || e.SQLState != "22P04" || e.Position != "s.sql:13:1" {
		t.Errorf("got error %+v, want 22P04 (end-of-copy marker does not match previous newline style) at s.sql:13:1", e)
	}
	wantRows := []int64{0, 3, 2, 4, 0, 4, 4, 5, 1, 0, 6, 0, 6}
	for i, q := range r.Queries {
		if q.Rows != wantRows[i] {
			t.Errorf("%s (%s): got %d rows, want %d", q.Name, q.SQL, q.Rows, wantRows[i])
		}
	}
	if got := r.Queries[1].Command; got != "COPY 3" {
		t.Errorf("got command %q, want COPY 3", got)
	}
	out, err := os.ReadFile(filepath.Join(dir, "out", "sel.txt"))
	if err != nil || string(out) != "2\tt,wo\n3\tthree\n4\tfour\n5\t\\N\n" {
		t.Errorf("got out/sel.txt %q (%v)", out, err)
	}
	for _, q := range []string{"SELECT x, y FROM t ORDER BY x", "SELECT x, y FROM u ORDER BY x", "SELECT x, y FROM v ORDER BY x"} {
		if got, oracle := state(t, viaQrun, q), state(t, viaPsql, q); got != oracle {
			t.Errorf("%s: qrun left %q, psql -f left %q", q, got, oracle)
		}
	}
}

// TestClientCopyErrorsAtRunTime: a file that vanished after loading, one that cannot be
// written, and a data error are the statement's errors, at the \copy; the run goes on.
func TestClientCopyErrorsAtRunTime(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	exec(t, admin(t, url), "CREATE TABLE t (x int)")
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	bad := filepath.Join(dir, "bad.txt")
	for _, f := range []struct{ path, data string }{{in, "1\n"}, {bad, "1\nnot a number\n"}} {
		if err := os.WriteFile(f.path, []byte(f.data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := fmt.Sprintf("\\copy t from '%s'\n\\copy t to '%s/no/such/dir.txt'\n\\copy t from '%s'\nSELECT 1;\n", in, dir, bad)
	p := scriptPlan(t, "s.sql", script, queries.Options{}, plan.Options{})
	if err := os.Remove(in); err != nil {
		t.Fatal(err)
	}
	r := run(t, connect(t, url, Config{}, Options{}), p)
	if got := statuses(r); got != "error error error ok" {
		t.Fatalf("got statuses %q, want error error error ok", got)
	}
	wants := []struct{ sqlstate, msg, pos string }{
		{"", in + ": no such file or directory", "s.sql:1:1"},
		{"", dir + "/no/such/dir.txt: no such file or directory", "s.sql:2:1"},
		{"22P02", `invalid input syntax for type integer: "not a number"`, "s.sql:3:1"},
	}
	for i, w := range wants {
		e := r.Queries[i].Error
		if e == nil || e.SQLState != w.sqlstate || e.Message != w.msg || e.Position != w.pos {
			t.Errorf("%d: got error %+v, want %q %q at %s", i, e, w.sqlstate, w.msg, w.pos)
		}
	}
	if n := scalar[int64](t, url, "SELECT count(*) FROM t"); n != 0 {
		t.Errorf("got %d rows, want 0", n)
	}
}

// TestCopyFromPstdin reads qrun's standard input: each \copy up to a line "\." or the
// end, as psql does; a later run cannot read it again.
func TestCopyFromPstdin(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	exec(t, admin(t, url), "CREATE TABLE t (x int)")
	in := NewStdin(strings.NewReader("1\n2\n\\.\n3\n"))
	defer in.Close()
	p := scriptPlan(t, "s.sql", "\\copy t from pstdin\n\\copy t from pstdin\n\\copy t from pstdin\n", queries.Options{}, plan.Options{})
	tg := connect(t, url, Config{}, Options{Stdin: in})
	r := run(t, tg, p)
	if got := statuses(r); got != "ok ok ok" {
		t.Fatalf("got statuses %q, want ok ok ok", got)
	}
	for i, want := range []int64{2, 1, 0} {
		if r.Queries[i].Rows != want {
			t.Errorf("copy %d: got %d rows, want %d", i, r.Queries[i].Rows, want)
		}
	}
	r = run(t, tg, p)
	if got := statuses(r); got != "error error error" {
		t.Fatalf("second run: got statuses %q, want error error error", got)
	}
	if e := r.Queries[0].Error; e == nil || !strings.Contains(e.Message, "ended in an earlier run") {
		t.Errorf("got error %+v, want standard input ended in an earlier run", e)
	}
	if n := scalar[int64](t, url, "SELECT count(*) FROM t"); n != 3 {
		t.Errorf("got %d rows, want 3", n)
	}
}

// TestCopyFromPstdinInterrupted: a \copy waiting for standard input ends with the run.
func TestCopyFromPstdinInterrupted(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	exec(t, admin(t, url), "CREATE TABLE t (x int)")
	pr, pw := io.Pipe()
	defer pw.Close()
	in := NewStdin(pr)
	defer in.Close()
	p := scriptPlan(t, "s.sql", "\\copy t from pstdin\nSELECT 1;\n", queries.Options{}, plan.Options{})
	tg := connect(t, url, Config{}, Options{Stdin: in})
	go func() { _, _ = pw.Write([]byte("1\n2\n")) }()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	r, err := tg.Run(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(r); got != "cancelled not_run" || !r.Interrupted {
		t.Fatalf("got statuses %q (interrupted %v), want cancelled not_run", got, r.Interrupted)
	}
	if n := scalar[int64](t, url, "SELECT count(*) FROM t"); n != 0 {
		t.Errorf("got %d rows, want 0", n)
	}
}

// genReader gives n lines "i\tsome text\n" without holding them, and counts its bytes.
type genReader struct {
	i, n  int
	buf   []byte
	line  []byte // the unread part of buf
	bytes int64
}

func (g *genReader) Read(p []byte) (int, error) {
	k := 0
	for k < len(p) {
		if len(g.line) == 0 {
			if g.i >= g.n {
				break
			}
			g.i++
			g.buf = strconv.AppendInt(g.buf[:0], int64(g.i), 10)
			g.buf = append(g.buf, "\tthe quick brown fox jumps over the lazy dog "...)
			g.buf = strconv.AppendInt(g.buf, int64(g.i), 10)
			g.buf = append(g.buf, '\n')
			g.line = g.buf
		}
		c := copy(p[k:], g.line)
		g.line = g.line[c:]
		k += c
	}
	g.bytes += int64(k)
	if k == 0 {
		return 0, io.EOF
	}
	return k, nil
}

// TestClientCopyStreams copies about 50 MB in (from standard input) and out (to a
// file) and checks that the bytes passed through without being held: all the memory
// allocated during the copies stays far below the data's size.
func TestClientCopyStreams(t *testing.T) {
	lines := 900_000 // about 50 MB
	if testing.Short() {
		lines = 80_000
	}
	url := pgtest.NewDatabase(t)
	exec(t, admin(t, url), "CREATE TABLE t (x int, y text)")
	out := filepath.Join(t.TempDir(), "out.txt")
	gen := &genReader{n: lines}
	in := NewStdin(gen)
	defer in.Close()
	p := scriptPlan(t, "s.sql", "\\copy t from pstdin\n\\copy t to '"+out+"'\n", queries.Options{}, plan.Options{})
	tg := connect(t, url, Config{}, Options{Stdin: in})

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r := run(t, tg, p)
	runtime.ReadMemStats(&after)
	if got := statuses(r); got != "ok ok" {
		t.Fatalf("got statuses %q (%+v), want ok ok", got, r.Queries)
	}
	if r.Queries[0].Rows != int64(lines) || r.Queries[1].Rows != int64(lines) {
		t.Errorf("got %d rows in and %d out, want %d", r.Queries[0].Rows, r.Queries[1].Rows, lines)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Size() != gen.bytes {
		t.Errorf("got %s of %v bytes (%v), want %d", out, fi.Size(), err, gen.bytes)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	if limit := uint64(gen.bytes / 8); alloc > limit {
		t.Errorf("got %d MB allocated to copy %d MB in and out, want under %d MB", alloc>>20, gen.bytes>>20, limit>>20)
	}
	t.Logf("%d MB in %.0f ms, out in %.0f ms; %d MB allocated", gen.bytes>>20, r.Queries[0].WallMs, r.Queries[1].WallMs, alloc>>20)
}

// TestClientCopyInParallel: a \copy is a unit like any other under --parallel.
func TestClientCopyInParallel(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	exec(t, admin(t, url), "CREATE TABLE a (x int); CREATE TABLE b (x int)")
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(in, []byte("1\n2\n3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := "\\copy a from '" + in + "'\n\\copy b from '" + in + "'\n-- stage: check\nSELECT * FROM a, b;\n"
	p := scriptPlan(t, "s.sql", script, queries.Options{}, plan.Options{Parallel: true})
	r := run(t, connect(t, url, Config{}, Options{Parallel: true, Concurrency: 2}), p)
	if got := statuses(r); got != "ok ok ok" || r.Queries[2].Rows != 9 {
		t.Fatalf("got statuses %q and %d rows, want ok ok ok and 9", got, r.Queries[2].Rows)
	}
	if r.Queries[0].Conn == r.Queries[1].Conn {
		t.Errorf("got both copies on connection %d, want one each", r.Queries[0].Conn)
	}
}
