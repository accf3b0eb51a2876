package report

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"slices"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/result"
)

// Repro D of the design review: several targets plus --baseline. The comparisons are
// the first target against the second, then one per target against the baseline, each
// tied to its target by NewTarget. The baseline's regressions must fail junit's cases
// and fill csv's comparison columns.
func TestViewTiesComparisonsByTarget(t *testing.T) {
	target := func(lbl string) result.Report {
		return result.Report{Mode: "sequential", Runs: 5, Context: result.Context{Target: lbl},
			Queries: []result.Query{{Name: "q", File: "a.sql", Line: 1, Col: 1, Status: result.StatusOK, WallMs: 20}}}
	}
	row := func(regression bool, base float64) result.ComparisonRow {
		v := result.VerdictSame
		if regression {
			v = result.VerdictSlower
		}
		return result.ComparisonRow{Name: "q", BaseMs: base, NewMs: 20, Ratio: 20 / base, Verdict: v, Regression: regression, P: 0.01}
	}
	r := &result.Report{Mode: "sequential", Runs: 5, Targets: []result.Report{target("a"), target("b")},
		Comparison: []result.Comparison{
			{Base: "a", New: "b", BaseTarget: 1, NewTarget: 2, Rows: []result.ComparisonRow{row(false, 20)}},
			{Base: "base.json", New: "a", NewTarget: 1, ThresholdPct: 10, Regressions: 1, Rows: []result.ComparisonRow{row(true, 1)}},
			{Base: "base.json", New: "b", NewTarget: 2, ThresholdPct: 10, Regressions: 1, Rows: []result.ComparisonRow{row(true, 1)}},
		}}
	var buf bytes.Buffer
	if err := Write(&buf, r, Options{Format: "junit"}); err != nil {
		t.Fatal(err)
	}
	var root JUnitSuites
	if err := xml.Unmarshal(buf.Bytes(), &root); err != nil {
		t.Fatal(err)
	}
	if root.Failures != 2 || len(root.Suites) != 2 {
		t.Fatalf("junit: %d failures in %d suites, want 2 in 2:\n%s", root.Failures, len(root.Suites), buf.String())
	}
	for _, s := range root.Suites {
		if s.Failures != 1 || s.Cases[0].Failure == nil || s.Cases[0].Failure.Type != "regression" {
			t.Errorf("suite %s: %d failures, want the baseline's regression", s.Name, s.Failures)
		}
	}
	buf.Reset()
	if err := Write(&buf, r, Options{Format: "csv"}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) int {
		for i, c := range CSVColumns {
			if c == name {
				return i
			}
		}
		t.Fatalf("no csv column %s", name)
		return -1
	}
	for _, rec := range recs[1:] {
		if rec[col("regression")] != "true" || rec[col("base_ms")] != "1" {
			t.Errorf("csv row of %s: regression %s base_ms %s, want the baseline's (true, 1)", rec[0], rec[col("regression")], rec[col("base_ms")])
		}
	}
	// The side-by-side tables show the second target against the first (the same
	// time: "~", 1.00×), not against the baseline (a regression); each baseline
	// comparison follows, failing its gate.
	// In either order of the comparisons: they are found by their ties, not by position.
	rotated := *r
	rotated.Comparison = append(slices.Clone(r.Comparison[1:]), r.Comparison[0])
	for _, tc := range []struct {
		format, side, fail string
	}{
		{"table", "│ 20.0ms │ 20.0ms │ 1.00× │ ~ ", "FAIL: 1 regression"},
		{"markdown", "| q | 20.0ms | 20.0ms | 1.00× | ~ |", "❌ **FAIL: 1 regression"},
		{"html", "", `<p class="gate fail">FAIL: 1 regression`},
	} {
		for _, r := range []*result.Report{r, &rotated} {
			buf.Reset()
			if err := Write(&buf, r, Options{Format: tc.format}); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if !strings.Contains(out, tc.side) {
				t.Errorf("%s: the side-by-side row is not %q:\n%s", tc.format, tc.side, out)
			}
			if n := strings.Count(out, tc.fail); n != 2 {
				t.Errorf("%s: %d failed gates (%q), want 2, one per target's baseline comparison:\n%s", tc.format, n, tc.fail, out)
			}
			if n := strings.Count(out, "base.json → b"); n != 1 {
				t.Errorf("%s: %d comparisons of b with the baseline, want 1", tc.format, n)
			}
		}
	}
	v := newView(r)
	if v.sections[1].vsFirst != &r.Comparison[0] || v.sections[0].vsFirst != nil {
		t.Errorf("vsFirst tied wrongly: %+v", v.sections)
	}
	// A report of an older version (no ties) is read by the old positional contract.
	for i := range r.Comparison {
		r.Comparison[i].NewTarget, r.Comparison[i].BaseTarget = 0, 0
	}
	v = newView(r)
	if len(v.sections[0].gates) != 1 || len(v.sections[1].gates) != 2 || v.sections[1].vsFirst == nil || v.sections[1].vsFirst.New != "b" {
		t.Errorf("legacy ties: %+v", v.sections)
	}
}
