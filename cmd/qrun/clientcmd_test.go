package main

import (
	"context"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/internal/qruntest"
	"github.com/qrunhq/qrun/result"
)

// TestClientCopyAndConnectCommand runs \copy from qrun's standard input and \connect
// through the command: the JSON report names the target of the statements after \c.
func TestClientCopyAndConnectCommand(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	other := pgtest.NewDatabase(t)
	name := other[strings.LastIndex(other, "/")+1:]
	if i := strings.IndexByte(name, '?'); i >= 0 {
		name = name[:i]
	}
	path := qruntest.WriteFile(t, "c.sql", "CREATE TABLE t (x int);\n\\copy t from pstdin\n\\c "+name+"\nCREATE TABLE u (x int);\n\\copy u from stdin\n7\n\\.\n")
	inv := qrun(t, context.Background(), "1\n2\n3\n", nil, "-d", db, "--format", "json", path)
	if inv.code != exitOK {
		t.Fatalf("exit %d, want 0; stderr %s", inv.code, inv.stderr)
	}
	r := qruntest.Decode(t, inv.stdout)
	if got := qruntest.Statuses(r); len(got) != 4 || got[0] != result.StatusOK || got[3] != result.StatusOK {
		t.Fatalf("got statuses %v, want 4 ok", got)
	}
	if r.Queries[1].Rows != 3 || r.Queries[3].Rows != 1 {
		t.Errorf("got %d and %d rows copied, want 3 and 1", r.Queries[1].Rows, r.Queries[3].Rows)
	}
	if r.Queries[1].Target != "" || !strings.HasSuffix(r.Queries[2].Target, "/"+name) || !strings.Contains(inv.stdout, `"target": "`) {
		t.Errorf("got targets %q %q, want \"\" then .../%s", r.Queries[1].Target, r.Queries[2].Target, name)
	}
}

// TestConnectRejectedInParallel: \c with --parallel is an input error, before connecting.
func TestConnectRejectedInParallel(t *testing.T) {
	t.Parallel()
	path := qruntest.WriteFile(t, "p.sql", "SELECT 1;\n\\c other\nSELECT 2;\n")
	inv := qrun(t, context.Background(), "", nil, "--parallel", "-d", "postgres://nobody@127.0.0.1:1/none", path)
	if inv.code != exitInput || !strings.HasPrefix(inv.stderr, path+`:2:1: \c is not supported with --parallel: `) {
		t.Errorf("got exit %d, stderr %q; want 2 and the \\c's position", inv.code, inv.stderr)
	}
}
