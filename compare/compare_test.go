package compare

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/result"
)

// sample returns n samples around ms with seeded noise: a log-normal spread of sigma
// (0.1 is about ±10%) and, with spikes, one run in twenty taking 1.5–3× as long, as a
// busy machine does.
func sample(seed uint64, n int, ms, sigma float64, spikes bool) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = ms * math.Exp(sigma*rng.NormFloat64())
		if spikes && rng.IntN(20) == 0 {
			xs[i] *= 1.5 + 1.5*rng.Float64()
		}
	}
	return xs
}

func scale(xs []float64, f float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x * f
	}
	return out
}

// rep makes a repeated-run report whose queries have the given samples.
func rep(qs ...result.Query) *result.Report {
	r := &result.Report{SchemaVersion: result.SchemaVersion, Runs: 1, Queries: qs}
	for _, q := range qs {
		if len(q.RunsMs) > 0 {
			r.Runs = len(q.RunsMs)
		}
	}
	return r
}

func runsQ(name string, runs []float64) result.Query {
	return result.Query{Name: name, Status: result.StatusOK, RunsMs: runs, WallMs: median(runs, 0)}
}

func TestCompareVerdicts(t *testing.T) {
	base := sample(1, 30, 10, 0.03, false)
	tests := []struct {
		name           string
		base, new      []float64
		threshold      float64
		wantVerdict    result.Verdict
		wantRegression bool
		wantNote       string
	}{
		{"equal", base, base, 10, result.VerdictSame, false, ""},
		{"noisy equal", base, sample(2, 30, 10, 0.03, false), 10, result.VerdictSame, false, ""},
		{"2x slower", base, scale(base, 2), 10, result.VerdictSlower, true, ""},
		{"2x slower without a gate", base, scale(base, 2), 0, result.VerdictSlower, false, ""},
		{"2x faster", base, scale(base, 0.5), 10, result.VerdictFaster, false, ""},
		{"5% slower is significant but under the threshold", base, sample(3, 30, 10.5, 0.01, false), 10, result.VerdictSlower, false, ""},
		{"too few samples", base[:3], scale(base[:3], 2), 10, result.VerdictSame, false, NoteTooFewSamples},
		{"single runs", base[:1], scale(base[:1], 2), 10, result.VerdictSame, false, NoteTooFewSamples},
		{"four runs suffice for 2x", base[:4], scale(base[:4], 2), 10, result.VerdictSlower, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, n := rep(runsQ("q", tt.base)), rep(runsQ("q", tt.new))
			if len(tt.base) == 1 {
				b, n = rep(result.Query{Name: "q", Status: result.StatusOK, WallMs: tt.base[0]}), rep(result.Query{Name: "q", Status: result.StatusOK, WallMs: tt.new[0]})
			}
			c := Compare("base", b, "new", n, Options{ThresholdPct: tt.threshold})
			if len(c.Rows) != 1 {
				t.Fatalf("rows: got %d, want 1", len(c.Rows))
			}
			row := c.Rows[0]
			if row.Verdict != tt.wantVerdict {
				t.Errorf("verdict: got %q (p=%v, delta %.1f%%), want %q", row.Verdict, row.P, row.DeltaPct, tt.wantVerdict)
			}
			if row.Regression != tt.wantRegression {
				t.Errorf("regression: got %v, want %v", row.Regression, tt.wantRegression)
			}
			if wantN := map[bool]int{true: 1, false: 0}[tt.wantRegression]; c.Regressions != wantN {
				t.Errorf("Regressions: got %d, want %d", c.Regressions, wantN)
			}
			if row.Note != tt.wantNote {
				t.Errorf("note: got %q, want %q", row.Note, tt.wantNote)
			}
			if row.BaseN != len(tt.base) || row.NewN != len(tt.new) {
				t.Errorf("n: got %d/%d, want %d/%d", row.BaseN, row.NewN, len(tt.base), len(tt.new))
			}
			if row.Verdict == result.VerdictSame && row.Note == "" && row.P < c.Alpha {
				t.Errorf("p: got %v with verdict ~, want p >= %v", row.P, c.Alpha)
			}
		})
	}
}

func TestCompareMediansAndChange(t *testing.T) {
	c := Compare("a.json", rep(runsQ("q", []float64{9, 10, 11, 100})), "b.json", rep(runsQ("q", []float64{14, 15, 16, 15})), Options{})
	row := c.Rows[0]
	if row.BaseMs != 10.5 || row.NewMs != 15 {
		t.Errorf("medians: got %v/%v, want 10.5/15", row.BaseMs, row.NewMs)
	}
	if want := 15 / 10.5; math.Abs(row.Ratio-want) > 1e-12 {
		t.Errorf("ratio: got %v, want %v", row.Ratio, want)
	}
	if want := (15/10.5 - 1) * 100; math.Abs(row.DeltaPct-want) > 1e-9 {
		t.Errorf("delta: got %v, want %v", row.DeltaPct, want)
	}
	if c.Base != "a.json" || c.New != "b.json" {
		t.Errorf("labels: got %q/%q, want a.json/b.json", c.Base, c.New)
	}
	if c.Alpha != DefaultAlpha {
		t.Errorf("alpha: got %v, want %v", c.Alpha, DefaultAlpha)
	}
	zero := Compare("a", rep(runsQ("q", []float64{0, 0, 0, 0})), "b", rep(runsQ("q", []float64{0, 0, 0, 0})), Options{})
	if r := zero.Rows[0]; r.Ratio != 0 || r.DeltaPct != 0 || r.Verdict != result.VerdictSame {
		t.Errorf("zero base: got ratio %v delta %v verdict %q, want 0 0 ~", r.Ratio, r.DeltaPct, r.Verdict)
	}
}

// TestCompareNoFalseAlarms is the "must not cry wolf" requirement on synthetic data:
// identical distributions, noisy and spiky, compared at n=30 with a 10% gate, 200 seeded
// trials each. Measured over 5000 trials, the false-alarm rate per comparison is 0 at
// sigma 0.05, 0.2% at 0.10 and 1.1% at 0.15 (a noisy machine): the gate needs both
// significance and a median more than 10% slower, and noise rarely gives both.
func TestCompareNoFalseAlarms(t *testing.T) {
	const trials = 200
	tests := []struct {
		sigma     float64
		maxAlarms int
	}{
		{0.05, 2},
		{0.10, 2},
		{0.15, 4},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("sigma %.2f", tt.sigma), func(t *testing.T) {
			alarms := 0
			for i := range uint64(trials) {
				b := rep(runsQ("q", sample(2*i, 30, 10, tt.sigma, true)))
				n := rep(runsQ("q", sample(2*i+1, 30, 10, tt.sigma, true)))
				if c := Compare("base", b, "new", n, Options{ThresholdPct: 10}); c.Regressions > 0 {
					alarms++
				}
			}
			t.Logf("false alarms: %d of %d trials", alarms, trials)
			if alarms > tt.maxAlarms {
				t.Errorf("false alarms: got %d in %d trials, want at most %d", alarms, trials, tt.maxAlarms)
			}
		})
	}
}

// TestCompareCatchesSlowdown is the other half: a real 2× slowdown of a 10 ms statement
// fails the gate every time, even with noise and spikes.
func TestCompareCatchesSlowdown(t *testing.T) {
	const trials = 200
	missed := 0
	for i := range uint64(trials) {
		b := rep(runsQ("q", sample(2*i, 30, 10, 0.15, true)))
		n := rep(runsQ("q", sample(2*i+1, 30, 20, 0.15, true)))
		if c := Compare("base", b, "new", n, Options{ThresholdPct: 10}); c.Regressions != 1 {
			missed++
		}
	}
	if missed != 0 {
		t.Errorf("missed slowdowns: got %d in %d trials, want 0", missed, trials)
	}
}

func TestCompareRowsAddedGone(t *testing.T) {
	s := []float64{1, 2, 3, 4}
	base := rep(runsQ("a", s), runsQ("gone1", s), runsQ("b", s), runsQ("gone2", s))
	new := rep(runsQ("b", s), runsQ("added", scale(s, 3)), runsQ("a", s))
	c := Compare("base", base, "new", new, Options{ThresholdPct: 5})
	want := []struct {
		name    string
		verdict result.Verdict
	}{
		{"b", result.VerdictSame},
		{"added", result.VerdictAdded},
		{"a", result.VerdictSame},
		{"gone1", result.VerdictGone},
		{"gone2", result.VerdictGone},
	}
	if len(c.Rows) != len(want) {
		t.Fatalf("rows: got %d, want %d", len(c.Rows), len(want))
	}
	for i, w := range want {
		if r := c.Rows[i]; r.Name != w.name || r.Verdict != w.verdict {
			t.Errorf("row %d: got %s %q, want %s %q", i, r.Name, r.Verdict, w.name, w.verdict)
		}
	}
	if r := c.Rows[1]; r.NewMs != 7.5 || r.NewN != 4 || r.BaseN != 0 || r.Regression {
		t.Errorf("added row: got new %v n %d base n %d regression %v, want 7.5 4 0 false", r.NewMs, r.NewN, r.BaseN, r.Regression)
	}
	if r := c.Rows[3]; r.BaseMs != 2.5 || r.BaseN != 4 || r.NewN != 0 {
		t.Errorf("gone row: got base %v n %d new n %d, want 2.5 4 0", r.BaseMs, r.BaseN, r.NewN)
	}
	if c.Regressions != 0 {
		t.Errorf("Regressions: got %d, want 0 (added and gone rows are never regressions)", c.Regressions)
	}
}

func TestCompareFailures(t *testing.T) {
	ok := sample(7, 10, 10, 0.05, false)
	slow := scale(ok, 3)
	fast := scale(ok, 0.01)
	failedAll := result.Query{Name: "q", Status: result.StatusError, WallMs: 0.4}
	// partly fails the last of runs in status st (or the runs listed).
	partly := func(runs []float64, st result.Status, failed ...int) result.Query {
		q := runsQ("q", runs)
		q.RunsStatus = make([]result.Status, len(runs))
		for i := range q.RunsStatus {
			q.RunsStatus[i] = result.StatusOK
		}
		if len(failed) == 0 {
			failed = []int{len(runs) - 1}
		}
		for _, k := range failed {
			q.RunsStatus[k] = st
		}
		q.Status = q.RunsStatus[len(runs)-1]
		return q
	}
	skipped := result.Query{Name: "q", Status: result.StatusSkipped, Reason: "dependency p failed"}
	tests := []struct {
		name           string
		base, new      result.Query
		wantVerdict    result.Verdict
		wantRegression bool
		wantNote       string
		wantNewMs      float64
	}{
		{"failed in new", runsQ("q", ok), failedAll, result.VerdictFailedNew, false, "error", 0.4},
		{"failed quickly in every run of new", runsQ("q", ok), partly(fast, result.StatusError, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
			result.VerdictFailedNew, false, "error in 10 of 10 runs", median(fast, 0)},
		{"failed in some runs of new, faster in the others", runsQ("q", ok), partly(fast, result.StatusError, 1, 2),
			result.VerdictFailedNew, false, "error in 2 of 10 runs", median(append(fast[:1:1], fast[3:]...), 0)},
		{"timed out once in new, slower otherwise", runsQ("q", ok), partly(slow, result.StatusTimeout),
			result.VerdictFailedNew, false, "timeout in 1 of 10 runs", median(slow[:9], 0)},
		{"skipped in new", runsQ("q", ok), skipped, result.VerdictFailedNew, false, "skipped", 0},
		{"failed in base", failedAll, runsQ("q", ok), result.VerdictFailedBase, false, "error", median(ok, 0)},
		{"some runs failed in base, still slower", partly(ok, result.StatusError), runsQ("q", slow),
			result.VerdictSlower, true, "error in 1 of 10 runs of base", median(slow, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Compare("base", rep(tt.base), "new", rep(tt.new), Options{ThresholdPct: 10})
			row := c.Rows[0]
			if row.Verdict != tt.wantVerdict || row.Regression != tt.wantRegression {
				t.Errorf("verdict/regression: got %q/%v, want %q/%v", row.Verdict, row.Regression, tt.wantVerdict, tt.wantRegression)
			}
			if row.Note != tt.wantNote {
				t.Errorf("note: got %q, want %q", row.Note, tt.wantNote)
			}
			if row.NewMs != tt.wantNewMs {
				t.Errorf("new ms: got %v, want %v", row.NewMs, tt.wantNewMs)
			}
			wantFailures := 0
			if tt.wantVerdict == result.VerdictFailedNew {
				wantFailures = 1
			}
			if c.Failures != wantFailures {
				t.Errorf("Failures: got %d, want %d", c.Failures, wantFailures)
			}
		})
	}
	// A statement only in new that failed there has failed too.
	c := Compare("base", rep(), "new", rep(failedAll), Options{})
	if c.Rows[0].Verdict != result.VerdictFailedNew || c.Failures != 1 {
		t.Errorf("added and failed: got %q, Failures %d; want failed in new, 1", c.Rows[0].Verdict, c.Failures)
	}
}

// TestCompareTotalOfFailedRuns: the total compares only the runs in which everything
// was ok — a run whose statements failed is quick, and never "faster".
func TestCompareTotalOfFailedRuns(t *testing.T) {
	s := sample(11, 10, 100, 0.02, false)
	base := &result.Report{Runs: 10, TotalRunsMs: s, Queries: []result.Query{runsQ("q", s)}}
	failing := func(failed ...int) *result.Report {
		q := runsQ("q", scale(s, 0.01))
		q.RunsStatus = make([]result.Status, 10)
		for k := range q.RunsStatus {
			q.RunsStatus[k] = result.StatusOK
		}
		for _, k := range failed {
			q.RunsStatus[k] = result.StatusError
		}
		q.Status = q.RunsStatus[9]
		return &result.Report{Runs: 10, TotalRunsMs: scale(s, 0.01), Queries: []result.Query{q}}
	}
	c := Compare("base", base, "new", failing(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), Options{ThresholdPct: 10})
	if c.Total == nil || c.Total.Verdict != result.VerdictFailedNew {
		t.Errorf("total of a new report that failed in every run: got %+v, want failed in new", c.Total)
	}
	c = Compare("base", base, "new", failing(3, 4), Options{ThresholdPct: 10})
	if c.Total == nil || c.Total.NewN != 8 {
		t.Errorf("total of a new report with 2 failed runs: got %+v, want 8 samples", c.Total)
	}
	c = Compare("base", failing(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), "new", base, Options{ThresholdPct: 10})
	if c.Total == nil || c.Total.Verdict != result.VerdictFailedBase {
		t.Errorf("total of a base report that failed in every run: got %+v, want failed in base", c.Total)
	}
}

func TestCompareTotal(t *testing.T) {
	s := sample(11, 20, 100, 0.02, false)
	base := &result.Report{Runs: 20, TotalWallMs: median(s, 0), TotalRunsMs: s}
	new := &result.Report{Runs: 20, TotalWallMs: 2 * median(s, 0), TotalRunsMs: scale(s, 2)}
	c := Compare("base", base, "new", new, Options{ThresholdPct: 10})
	if c.Total == nil {
		t.Fatal("Total: got nil, want a row")
	}
	if c.Total.Verdict != result.VerdictSlower || c.Total.BaseN != 20 {
		t.Errorf("Total: got verdict %q n %d, want slower 20", c.Total.Verdict, c.Total.BaseN)
	}
	if c.Total.Regression || c.Regressions != 0 {
		t.Errorf("Total gated: got regression %v, Regressions %d, want false 0 (the total is reported, not gated)", c.Total.Regression, c.Regressions)
	}
	if c := Compare("base", &result.Report{}, "new", new, Options{}); c.Total != nil {
		t.Errorf("Total without runs: got %+v, want nil", c.Total)
	}
}

func TestCompareTargets(t *testing.T) {
	s := sample(5, 10, 10, 0.02, false)
	target := func(label string, f float64) result.Report {
		r := rep(runsQ("q", scale(s, f)))
		r.Context.Target = label
		return *r
	}
	r := &result.Report{Targets: []result.Report{target("u@a:5432/db", 1), target("u@b:5432/db", 2), target("", 1)}}
	got := CompareTargets(r, Options{ThresholdPct: 10})
	want := []struct {
		base, new string
		verdict   result.Verdict
	}{
		{"u@a:5432/db", "u@b:5432/db", result.VerdictSlower},
		{"u@a:5432/db", "target 3", result.VerdictSame},
	}
	if len(got) != len(want) {
		t.Fatalf("comparisons: got %d, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Base != w.base || got[i].New != w.new || got[i].Rows[0].Verdict != w.verdict {
			t.Errorf("comparison %d: got %s vs %s %q, want %s vs %s %q", i, got[i].Base, got[i].New, got[i].Rows[0].Verdict, w.base, w.new, w.verdict)
		}
	}
	if got := CompareTargets(&result.Report{Targets: []result.Report{target("x", 1)}}, Options{}); got != nil {
		t.Errorf("one target: got %d comparisons, want nil", len(got))
	}
}

func TestMinP(t *testing.T) {
	// Reference: benchmath's uTestMinP table for equal sizes, and 2/C(n1+n2, n1).
	tests := []struct {
		n1, n2 int
		want   float64
	}{
		{1, 1, 1},
		{2, 2, 0.3333333333333333},
		{3, 3, 0.1},
		{4, 4, 0.02857142857142857},
		{5, 5, 0.007936507936507936},
		{1, 30, 2.0 / 31},
		{30, 30, 2 / 1.1826458156486142e17},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d+%d", tt.n1, tt.n2), func(t *testing.T) {
			got := minP(tt.n1, tt.n2)
			// Large binomials are cut short: any p below 1e-11 is as good as the exact one.
			if tt.want < 1e-11 {
				if got > 1e-11 {
					t.Errorf("minP: got %v, want below 1e-11", got)
				}
				return
			}
			if math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("minP: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCompareDoesNotModifyReports(t *testing.T) {
	b := []float64{5, 1, 4, 2, 3}
	n := []float64{50, 10, 40, 20, 30}
	Compare("a", rep(runsQ("q", b)), "b", rep(runsQ("q", n)), Options{})
	if !strings.HasPrefix(fmt.Sprint(b, n), "[5 1 4 2 3] [50 10 40 20 30]") {
		t.Errorf("samples: got %v %v, want them unsorted as given", b, n)
	}
}

// TestCompareMinDelta checks the gate's absolute floor: a sub-millisecond statement
// that is significantly slower by more than the threshold is not a regression while the
// change stays within the floor, and a 10 ms statement's 2× slowdown still is.
func TestCompareMinDelta(t *testing.T) {
	tests := []struct {
		name       string
		baseMs     float64
		factor     float64
		minDeltaMs float64
		want       int
		wantNote   bool
	}{
		{"tiny doubling, no floor", 0.1, 2, 0, 1, false},
		{"tiny doubling within 1ms floor", 0.1, 2, 1, 0, true},
		{"10ms doubling beyond 1ms floor", 10, 2, 1, 1, false},
		{"10ms doubling within 20ms floor", 10, 2, 20, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := rep(runsQ("q", sample(1, 30, tt.baseMs, 0.05, false)))
			n := rep(runsQ("q", sample(2, 30, tt.baseMs*tt.factor, 0.05, false)))
			c := Compare("base", b, "new", n, Options{ThresholdPct: 10, MinDeltaMs: tt.minDeltaMs})
			if c.Regressions != tt.want {
				t.Errorf("regressions: got %d, want %d", c.Regressions, tt.want)
			}
			if c.Rows[0].Verdict != result.VerdictSlower {
				t.Errorf("verdict: got %q, want %q (the floor gates, it does not hide the change)", c.Rows[0].Verdict, result.VerdictSlower)
			}
			if got := strings.Contains(c.Rows[0].Note, "floor"); got != tt.wantNote {
				t.Errorf("note %q: mentions the floor %v, want %v", c.Rows[0].Note, got, tt.wantNote)
			}
			if c.MinDeltaMs != tt.minDeltaMs {
				t.Errorf("MinDeltaMs: got %v, want %v", c.MinDeltaMs, tt.minDeltaMs)
			}
		})
	}
}

func TestReportsShapes(t *testing.T) {
	s := sample(3, 10, 10, 0.02, false)
	one := func(label string) *result.Report {
		r := rep(runsQ("q", s))
		r.Context.Target = label
		return r
	}
	multi := func(labels ...string) *result.Report {
		r := &result.Report{SchemaVersion: result.SchemaVersion, Runs: 10}
		for _, l := range labels {
			r.Targets = append(r.Targets, *one(l))
		}
		return r
	}
	dry := &result.Report{SchemaVersion: result.SchemaVersion, Mode: "dry-run", Queries: []result.Query{{Name: "q", Status: result.StatusPlanned}}}
	tests := []struct {
		name      string
		base, new *result.Report
		target    string
		wantErr   string // a substring of the ShapeError; "" for none
		wantN     int    // comparisons
		wantLabel string // the first comparison's New label
	}{
		{"single vs single", one("a"), one("b"), "", "", 1, "new.json"},
		{"dry-run base", dry, one("a"), "", "base.json is a --dry-run plan", 0, ""},
		{"dry-run new", one("a"), dry, "", "new.json is a --dry-run plan", 0, ""},
		{"several targets vs one", multi("u@a:5432/x", "u@b:5432/x"), one("u@a:5432/x"), "",
			"base.json holds 2 targets (u@a:5432/x, u@b:5432/x), the other report one: pick one of them with --target NAME", 0, ""},
		{"one vs several targets", one("a"), multi("a", "b"), "", "new.json holds 2 targets", 0, ""},
		{"several vs several, same targets", multi("a", "b"), multi("a", "b"), "", "", 2, "new.json [a]"},
		{"several vs several, other targets", multi("a", "b"), multi("a", "c"), "", "compare one target of each with --target NAME", 0, ""},
		{"--target by label", multi("a", "b"), one("b"), "b", "", 1, "new.json"},
		{"--target by number", one("a"), multi("a", "b"), "2", "", 1, "new.json [b]"},
		{"--target unknown", multi("a", "b"), one("a"), "c", `base.json has no target "c": its targets are a, b`, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := Reports("base.json", tt.base, "new.json", tt.new, tt.target, Options{})
			if tt.wantErr != "" {
				var se *ShapeError
				if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want a ShapeError containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v, want none", err)
			}
			if len(cs) != tt.wantN || cs[0].New != tt.wantLabel {
				t.Fatalf("got %d comparisons (first new %q), want %d (%q)", len(cs), cs[0].New, tt.wantN, tt.wantLabel)
			}
			if len(cs[0].Rows) != 1 || cs[0].Rows[0].Verdict != result.VerdictSame {
				t.Errorf("rows %+v, want q compared ~", cs[0].Rows)
			}
		})
	}
}
