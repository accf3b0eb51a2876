package e2e

import (
	"strings"
	"testing"

	"github.com/qrunhq/qrun/internal/qruntest"
)

// Issue 14: --scan c=1,2,4 on a pg_sleep workload: throughput rises with the pool size,
// and each combination measures what a single run with its settings measures (generous
// ratios: the machine is shared). A psql variable scanned alongside sets the statements'
// text per combination.
func TestScanConcurrency(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	sql := qruntest.WriteFile(t, "sleep.sql", strings.Repeat("SELECT pg_sleep(:pause);\n", 8))
	o := qrun(t, db.URL, "--parallel", "--scan", "c=1,2,4", "-v", "pause=0.1", "--runs", "2", "--format", "json", sql)
	if o.Code != 0 {
		t.Fatalf("exit %d\n%s", o.Code, o.Stderr)
	}
	r := qruntest.Decode(t, o.Stdout)
	if len(r.Targets) != 3 {
		t.Fatalf("%d targets, want one per value of c", len(r.Targets))
	}
	thr := map[string]float64{}
	wall := map[string]float64{}
	for _, tr := range r.Targets {
		c := tr.Context.Scan["c"]
		if !strings.HasSuffix(tr.Context.Target, " c="+c) || tr.Concurrency != atoi(t, c) {
			t.Errorf("target %q, concurrency %d, scan %v: want the label and pool size of c", tr.Context.Target, tr.Concurrency, tr.Context.Scan)
		}
		if tr.Summary.OK != 8 || len(tr.TotalRunsMs) != 2 {
			t.Fatalf("c=%s: %d ok, %d runs", c, tr.Summary.OK, len(tr.TotalRunsMs))
		}
		thr[c] = float64(tr.Summary.OK) / (tr.TotalWallMs / 1000)
		wall[c] = tr.TotalWallMs
	}
	t.Logf("statements/s: c=1 %.1f, c=2 %.1f, c=4 %.1f", thr["1"], thr["2"], thr["4"])
	if thr["2"] < 1.4*thr["1"] || thr["4"] < 1.4*thr["2"] {
		t.Errorf("throughput %v: want it rising with c (at least 1.4x each doubling; ideal 2x)", thr)
	}

	single := qrun(t, db.URL, "--parallel", "-c", "2", "-v", "pause=0.1", "--runs", "2", "--format", "json", sql)
	if single.Code != 0 {
		t.Fatalf("single run: exit %d\n%s", single.Code, single.Stderr)
	}
	s := qruntest.Decode(t, single.Stdout)
	if ratio := s.TotalWallMs / wall["2"]; ratio < 0.7 || ratio > 1.4 {
		t.Errorf("single run with -c 2: %.0f ms, the scan's c=2: %.0f ms: want the same within noise", s.TotalWallMs, wall["2"])
	}

	o = qrun(t, db.URL, "--scan", "pause=0.01,0.05", "--format", "json", sql)
	if o.Code != 0 {
		t.Fatalf("variable scan: exit %d\n%s", o.Code, o.Stderr)
	}
	r = qruntest.Decode(t, o.Stdout)
	if len(r.Targets) != 2 || !strings.Contains(r.Targets[1].Queries[0].SQL, "pg_sleep(0.05)") || r.Targets[1].TotalWallMs < 2*r.Targets[0].TotalWallMs {
		t.Errorf("variable scan: want pause=0.05 in the second target's text and its run the longer")
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int(r-'0')
	}
	return n
}
