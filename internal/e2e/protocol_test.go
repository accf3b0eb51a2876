//go:build unix

package e2e

import (
	"strings"
	"testing"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/internal/qruntest"
)

// Issue 14: --protocol prepared is refused behind a transaction pooler (exit 2, nothing
// run), where a statement prepared on one server session would be executed on another;
// extended, which prepares only the unnamed statement of each round trip, runs there.
func TestProtocolBehindTransactionPooler(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	db.exec(t, "CREATE TABLE t (n int)")
	through := pgtest.PgBouncer(t, db.URL, "transaction")
	sql := qruntest.WriteFile(t, "q.sql", "INSERT INTO t VALUES (1);\nSELECT count(*) FROM t;\n")

	o := qrun(t, through, "--protocol", "prepared", "--parallel", "-c", "2", sql)
	if o.Code != 2 || !strings.Contains(o.Stderr, "transaction or statement pooler") {
		t.Errorf("prepared: exit %d, stderr %q; want exit 2 naming the pooler", o.Code, o.Stderr)
	}
	if n := scalar[int64](t, db, "SELECT count(*) FROM t"); n != 0 {
		t.Fatalf("%d rows written; nothing may run", n)
	}

	o = qrun(t, through, "--protocol", "extended", "--parallel", "-c", "2", "--format", "json", sql)
	if o.Code != 0 {
		t.Fatalf("extended: exit %d\n%s", o.Code, o.Stderr)
	}
	if r := qruntest.Decode(t, o.Stdout); r.Context.Protocol != "extended" {
		t.Errorf("context.protocol %q, want extended", r.Context.Protocol)
	}
}
