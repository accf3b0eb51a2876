package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/internal/qruntest"
)

// Issue 14: --baseline DIR --history N gates against the pooled samples of the last N
// saved reports: a 3x slower statement is still caught (exit 3), the same workload passes,
// and the comparison names the history.
func TestHistoryBaselineCatchesRegression(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir := t.TempDir()
	sql := qruntest.WriteFile(t, "gate.sql", "-- name: nap\nSELECT pg_sleep(:secs);\n")
	for i := range 3 {
		o := qrun(t, db.URL, "-v", "secs=0.01", "--runs", "8", "--format", "json", "-o", filepath.Join(dir, fmt.Sprintf("r%d.json", i)), sql)
		if o.Code != 0 {
			t.Fatalf("saving report %d: exit %d\n%s", i, o.Code, o.Stderr)
		}
	}
	slow := qrun(t, db.URL, "-v", "secs=0.03", "--runs", "8", "--baseline", dir, "--history", "3", "--threshold", "20%", "--format", "json", sql)
	if slow.Code != 3 {
		t.Fatalf("3x slower against the history: exit %d, want 3\n%s", slow.Code, slow.Stderr)
	}
	r := qruntest.Decode(t, slow.Stdout)
	if len(r.Comparison) != 1 || !strings.Contains(r.Comparison[0].Base, "the last 3 reports, pooled") || r.Comparison[0].Rows[0].BaseN != 24 {
		t.Errorf("comparison %+v: want the history named and 3 x 8 pooled samples", r.Comparison)
	}
	// qrun compare takes the history as its BASE too.
	slowFile := filepath.Join(t.TempDir(), "slow.json")
	if err := os.WriteFile(slowFile, []byte(slow.Stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if c := qrun(t, db.URL, "compare", dir, slowFile, "--history", "3", "--threshold", "20%"); c.Code != 3 || !strings.Contains(c.Stdout, "the last 3 reports, pooled") {
		t.Errorf("qrun compare DIR --history 3: exit %d, want 3 and the history named\n%s", c.Code, c.Stdout)
	}
	same := qrun(t, db.URL, "-v", "secs=0.01", "--runs", "8", "--baseline", dir, "--history", "3", "--threshold", "20%", sql)
	if same.Code != 0 {
		t.Errorf("the same workload against the history: exit %d\n%s", same.Code, same.Stderr)
	}

	// A scan's report is a baseline for the same scan: the targets' labels pair them.
	base := filepath.Join(t.TempDir(), "scan.json")
	if o := qrun(t, db.URL, "--parallel", "--scan", "c=1,2", "-v", "secs=0.01", "--runs", "4", "--format", "json", "-o", base, sql); o.Code != 0 {
		t.Fatalf("scan baseline: exit %d\n%s", o.Code, o.Stderr)
	}
	o := qrun(t, db.URL, "--parallel", "--scan", "c=1,2", "-v", "secs=0.01", "--runs", "4", "--baseline", base, "--format", "json", sql)
	if o.Code != 0 {
		t.Fatalf("scan against its baseline: exit %d\n%s", o.Code, o.Stderr)
	}
	if r := qruntest.Decode(t, o.Stdout); len(r.Comparison) < 2 {
		t.Errorf("%d comparisons, want one per combination against the baseline (and between them)", len(r.Comparison))
	}
}
