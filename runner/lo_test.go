package runner

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
)

// loOracle are scripts with large object commands (and \o, \encoding: other commands
// that read or write client files, or send outside psql's log), run by psql -f and by qrun in a
// database of their own, each in a directory of its own holding in.txt, bin.dat (over
// two chunks of random bytes) and empty.dat: the statements the server received (OIDs
// aside), the large objects left behind (contents and comments), the rows of table r and
// the files written must be the same.
var loOracle = []struct{ name, src string }{
	{name: "import, comment, export, unlink, list", src: `\lo_import {{dir}}/in.txt
\set a :LASTOID
\lo_import '{{dir}}/bin.dat' 'it''s a comment'
\set b :LASTOID
INSERT INTO r(t) SELECT md5(lo_get(:a)) || ' ' || length(lo_get(:b));
\lo_export :b {{dir}}/out.dat
\lo_export :a '{{dir}}/out.txt'
\lo_import {{dir}}/empty.dat
\lo_export :LASTOID {{dir}}/out-empty.dat
\lo_unlink :a
\lo_list
\lo_list+
INSERT INTO r(t) SELECT count(*) FROM pg_largeobject_metadata;
`},
	{name: "inside a transaction block it is the block's", src: `BEGIN;
\lo_import {{dir}}/in.txt
INSERT INTO r(t) SELECT count(*) FROM pg_largeobject_metadata;
ROLLBACK;
INSERT INTO r(t) SELECT count(*) FROM pg_largeobject_metadata;
BEGIN;
\lo_import {{dir}}/in.txt 'kept'
COMMIT;
`},
	{name: "failures", src: `BEGIN;
SELECT 1/0;
\lo_import {{dir}}/in.txt
ROLLBACK;
\lo_import {{dir}}/missing.txt
\lo_unlink 4000000000
\lo_export 4000000000 {{dir}}/never.dat
\lo_import {{dir}}/in.txt 'after failures'
INSERT INTO r(t) SELECT count(*) FROM pg_largeobject_metadata;
`},
	{name: "ON_ERROR_STOP stops at a failed one", src: `INSERT INTO r(t) VALUES ('before');
\set ON_ERROR_STOP on
\lo_import {{dir}}/missing.txt
INSERT INTO r(t) VALUES ('not reached');
`},
	{name: "comment with standard_conforming_strings off", src: `SET standard_conforming_strings = off;
\lo_import {{dir}}/in.txt 'back\\slash '' quote'
RESET standard_conforming_strings;
\lo_import {{dir}}/in.txt 'back\\slash'
`},
	{name: "\\o sends \\qecho to a file", src: `\qecho to stdout
\o {{dir}}/out-q.txt
\qecho one
INSERT INTO r(t) VALUES ('x');
\qecho two :'ENCODING'
\o '{{dir}}/out-q2.txt'
\echo not in the file
\qecho three
\o
\qecho four
\o {{dir}}/out-q.txt
\qecho again
`},
	{name: "\\encoding", src: "\\encoding LATIN1\nINSERT INTO r(t) VALUES ('caf\xe9');\nINSERT INTO r(t) VALUES (:'ENCODING');\n" +
		"INSERT INTO r(t) SELECT current_setting('client_encoding');\n\\encoding UTF8\nINSERT INTO r(t) VALUES ('caf\u00e9'), (:'ENCODING');\n"},
	{name: "mid-statement and at the end", src: `INSERT INTO r(t)
\lo_import {{dir}}/in.txt
SELECT 'after';
\lo_import {{dir}}/bin.dat
`},
}

// loFiles writes the input files of loOracle into dir.
func loFiles(t *testing.T, dir string, bin []byte) {
	t.Helper()
	files := map[string][]byte{
		"in.txt":    []byte("I wandered lonely as a cloud\nThat floats on high o'er vales and hills,\n"),
		"bin.dat":   bin,
		"empty.dat": {},
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// loState is what a script left: its large objects (in OID order: contents and
// comment), the rows of r, and the files in dir it wrote.
func loState(t *testing.T, url, dir string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(scalar[string](t, url, `SELECT coalesce(string_agg(md5(lo_get(oid)) || ' ' || coalesce(obj_description(oid, 'pg_largeobject'), '-'), E'\n' ORDER BY oid), '') FROM pg_largeobject_metadata`))
	b.WriteString("\nr: ")
	b.WriteString(scalar[string](t, url, `SELECT coalesce(string_agg(t, '|' ORDER BY id), '') FROM r`))
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "out") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(fmt.Sprintf("\n%s: %x (%d bytes)", e.Name(), md5.Sum(data), len(data)))
	}
	return b.String()
}

// oids hides the OIDs of large objects (16384 and above) in statement texts.
var oids = regexp.MustCompile(`\b[1-9][0-9]{4,9}\b`)

func hideOIDs(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = oids.ReplaceAllString(s, "OID")
	}
	return out
}

// TestLargeObjectsMatchPsql is the psql oracle for \lo_import, \lo_export, \lo_unlink and
// \lo_list.
func TestLargeObjectsMatchPsql(t *testing.T) {
	psql, err := osexec.LookPath("psql")
	if err != nil {
		t.Skip("psql not on PATH")
	}
	pgtest.URL(t)
	bin := make([]byte, 2*loChunk+12345)
	rand.Read(bin)
	for _, tt := range loOracle {
		t.Run(tt.name, func(t *testing.T) {
			prepare := func() (url, dir, path string) {
				dir = t.TempDir()
				loFiles(t, dir, bin)
				path = filepath.Join(dir, "script.sql")
				if err := os.WriteFile(path, []byte(strings.ReplaceAll(tt.src, "{{dir}}", dir)), 0o644); err != nil {
					t.Fatal(err)
				}
				url = pgtest.NewDatabase(t)
				c := admin(t, url)
				exec(t, c, "CREATE TABLE r (id serial, t text)")
				return url, dir, path
			}

			psqlURL, psqlDir, psqlPath := prepare()
			wantSent, _ := psqlRun(t, psql, psqlURL, psqlPath, nil)
			want := strings.ReplaceAll(loState(t, psqlURL, psqlDir), psqlDir, "DIR")

			qrunURL, qrunDir, qrunPath := prepare()
			script, err := queries.Load([]string{qrunPath}, queries.Options{})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			p, err := plan.Build(script, plan.Options{})
			if err != nil {
				t.Fatalf("plan.Build: %v", err)
			}
			tg := connect(t, qrunURL, Config{}, Options{})
			var sent []string
			tg.onSend = func(sql string) { sent = append(sent, sql) }
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := tg.Run(ctx, p); err != nil {
				t.Fatalf("Run: %v", err)
			}
			got := strings.ReplaceAll(loState(t, qrunURL, qrunDir), qrunDir, "DIR")
			// libpq's PQsetClientEncoding (\encoding) sends its SET outside psql's log.
			sent = slices.DeleteFunc(sent, func(s string) bool { return strings.HasPrefix(s, "set client_encoding to '") })
			if g, w := hideOIDs(sent), hideOIDs(wantSent); !slices.Equal(g, w) {
				t.Errorf("statements sent:\ngot  %q\nwant %q", g, w)
			}
			if got != want {
				t.Errorf("state after the run:\ngot\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestLargeObjectStatus checks what the report says of large object commands: psql's
// status line as the command, the errors psql gives, LASTOID for the next statement.
func TestLargeObjectStatus(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dir := t.TempDir()
	loFiles(t, dir, []byte("bin"))
	src := "\\lo_import " + dir + "/in.txt\nSELECT :LASTOID;\n\\lo_import " + dir + "/missing.txt\nBEGIN;\nSELECT 1/0;\n\\lo_unlink 1\nROLLBACK;\n"
	path := filepath.Join(dir, "s.sql")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	script, err := queries.Load([]string{path}, queries.Options{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	p, err := plan.Build(script, plan.Options{})
	if err != nil {
		t.Fatalf("plan.Build: %v", err)
	}
	tg := connect(t, url, Config{}, Options{})
	r := run(t, tg, p)
	if got, want := statuses(r), "ok ok error error"; got != want {
		t.Fatalf("statuses %q, want %q", got, want)
	}
	q := r.Queries[0]
	if !regexp.MustCompile(`^lo_import [1-9][0-9]*$`).MatchString(q.Command) {
		t.Errorf("\\lo_import command %q, want lo_import OID", q.Command)
	}
	if want := "SELECT 1"; r.Queries[1].Command != want {
		t.Errorf("SELECT :LASTOID: %q, want %q", r.Queries[1].Command, want)
	}
	if e := r.Queries[2].Error; e == nil || !strings.Contains(e.Message, `could not open file "`+dir+`/missing.txt": no such file or directory`) {
		t.Errorf("missing file: %+v", e)
	}
	block := r.Queries[3]
	if len(block.Statements) != 4 {
		t.Fatalf("block of %d statements", len(block.Statements))
	}
	if e := block.Statements[2].Error; e == nil || e.Message != `\lo_unlink: current transaction is aborted` {
		t.Errorf("\\lo_unlink in a failed block: %+v", e)
	}
	if n := scalar[int64](t, url, "SELECT count(*) FROM pg_largeobject_metadata"); n != 1 {
		t.Errorf("%d large objects, want 1", n)
	}
}

// TestLargeObjectBarrier checks that under --parallel a large object command waits for
// what precedes it and what follows waits for it: no parser sees what it touches.
func TestLargeObjectBarrier(t *testing.T) {
	dir := t.TempDir()
	loFiles(t, dir, []byte("x"))
	src := "CREATE TABLE a (i int);\nCREATE TABLE b (i int);\n\\lo_import " + dir + "/in.txt\nCREATE TABLE c (i int);\n"
	script, err := queries.Parse("s.sql", []byte(src), queries.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(script, plan.Options{Parallel: true, Infer: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Units) != 4 {
		t.Fatalf("%d units", len(p.Units))
	}
	waits := func(u, on int) bool {
		for _, d := range p.Deps(u) {
			if d.Unit == on {
				return true
			}
		}
		return false
	}
	if !waits(2, 1) || !waits(3, 2) {
		t.Errorf("\\lo_import waits for %v, CREATE TABLE c for %v: want the \\lo_import a barrier", p.Deps(2), p.Deps(3))
	}
}

// TestLargeObjectFlatMemory imports and exports a large file: the heap must not grow
// with its size (data moves in chunks of loChunk).
func TestLargeObjectFlatMemory(t *testing.T) {
	size := 64 << 20
	if testing.Short() {
		size = 8 << 20
	}
	url := pgtest.NewDatabase(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "big.dat")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	rand.Read(chunk)
	for i := 0; i < size>>20; i++ {
		chunk[0] = byte(i)
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.dat")
	src := "\\lo_import " + in + "\n\\lo_export :LASTOID " + out + "\n"
	script, err := queries.Parse("s.sql", []byte(src), queries.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(script, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tg := connect(t, url, Config{}, Options{})

	heap := watchHeap()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := tg.Run(ctx, p)
	base, peak := heap.stop()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := statuses(r); got != "ok ok" {
		t.Fatalf("statuses %q: %+v", got, r.Queries)
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() != int64(size) {
		t.Fatalf("exported file: %v, %v", fi, err)
	}
	// A few buffers of loChunk come and go; holding the file would be 64 MB.
	const limit = 16 << 20
	if growth := int64(peak) - int64(base); growth > limit {
		t.Errorf("got heap growth %d MB for a %d MB object, want under %d MB", growth>>20, size>>20, limit>>20)
	}
	t.Logf("%d MB in and out in %.0f + %.0f ms; heap in use %d MB before, %d MB at peak", size>>20, r.Queries[0].WallMs, r.Queries[1].WallMs, base>>20, peak>>20)
}
