package compare

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"golang.org/x/perf/benchmath"

	"github.com/qrunhq/qrun/result"
	"github.com/qrunhq/qrun/stats"
)

// DefaultAlpha is the significance level used when Options.Alpha is 0.
const DefaultAlpha = 0.05

// NoteTooFewSamples is the Note of a row whose samples are too few for the U test to
// reach alpha, whatever they hold.
const NoteTooFewSamples = "too few samples"

// Options tune Compare. The zero value compares at alpha 0.05 without a gate.
type Options struct {
	ThresholdPct float64 // gate: a significant slowdown above this is a regression; 0 = no gate
	// MinDeltaMs is the gate's absolute floor: a slowdown must also exceed this many
	// milliseconds to be a regression. Sub-millisecond statements move by tens of percent
	// between two processes on a busy machine (scheduling, CPU frequency, which backend
	// they land on) in ways no test on the samples of one process can see; the floor
	// keeps the gate from crying wolf on them. 0 means no floor.
	MinDeltaMs float64
	Alpha      float64 // significance level; 0 means 0.05
	// GatePlan makes a changed plan (--server-stats on both sides) fail the gate.
	GatePlan bool
}

func (o Options) alpha() float64 {
	if o.Alpha <= 0 || o.Alpha >= 1 {
		return DefaultAlpha
	}
	return o.Alpha
}

// Compare compares base with new, query by query, pairing queries by identity (see
// Identify): a named statement by its name, an unnamed one by its file's base name and
// its SQL's fingerprint, so that edited comments, moved lines and another working
// directory change no pairing. Labels name the two reports in the output.
//
// Rows follow new's order; a query only in new has VerdictAdded, and the queries only in
// base follow at the end with VerdictGone. A pair whose SQL differs (beyond whitespace,
// comments and case) is marked ChangedSQL and its Note says "changed SQL"; a pair that
// is a guess (see pairing) is marked Ambiguous, counted in Comparison.Ambiguous and
// never gated.
//
// A query that did not end ok in some run of new — an error, a timeout, skipped, not
// run — is VerdictFailedNew whatever its times (a failed statement is quick, and its
// speed says nothing), counted in Comparison.Failures: each fails the gate. One that is
// ok in new but has no ok run in base is VerdictFailedBase, not gated; one with some
// failed runs in base is compared on base's ok runs, and the Note counts the others
// ("error in 2 of 10 runs of base").
//
// Total compares the wall times of the runs in which every query ended ok. It is
// reported, never gated: a total can only regress through its queries, and gating it
// too would count one slowdown twice.
//
// Compare reads the top-level Queries only; for reports with Targets see CompareTargets.
// A nil report counts as an empty one.
func Compare(baseLabel string, base *result.Report, newLabel string, new *result.Report, opts Options) result.Comparison {
	if base == nil {
		base = &result.Report{}
	}
	if new == nil {
		new = &result.Report{}
	}
	alpha := opts.alpha()
	c := result.Comparison{
		Base:         baseLabel,
		New:          newLabel,
		ThresholdPct: math.Max(opts.ThresholdPct, 0),
		MinDeltaMs:   math.Max(opts.MinDeltaMs, 0),
		Alpha:        alpha,
		Rows:         []result.ComparisonRow{},
		GatePlan:     opts.GatePlan,
	}

	pairs := pairQueries(base.Queries, new.Queries)
	for i := range new.Queries {
		nq := &new.Queries[i]
		m := pairs.ofNew[i]
		var bq *result.Query
		if m.base >= 0 {
			bq = &base.Queries[m.base]
		}
		row := compareQuery(bq, nq, alpha)
		if row.Verdict == result.VerdictFailedNew {
			c.Failures++
		}
		if bq == nil {
			c.Rows = append(c.Rows, row)
			continue
		}
		if bq.Name != nq.Name {
			row.BaseName = bq.Name
		}
		if m.changed {
			row.ChangedSQL = true
			row.Note = joinNotes("changed SQL", row.Note)
		}
		if m.ambiguous != "" {
			row.Ambiguous = true
			c.Ambiguous++
			row.Note = joinNotes(row.Note, m.ambiguous)
		}
		serverSide(&c, &row, bq, nq, alpha)
		if c.ThresholdPct > 0 && !row.Ambiguous && row.Verdict == result.VerdictSlower && row.DeltaPct > c.ThresholdPct {
			if row.NewMs-row.BaseMs > c.MinDeltaMs {
				row.Regression = true
				c.Regressions++
			} else {
				row.Note = joinNotes(row.Note, "within the "+strconv.FormatFloat(c.MinDeltaMs, 'g', -1, 64)+" ms floor")
			}
		}
		c.Rows = append(c.Rows, row)
	}
	for i := range base.Queries {
		if pairs.pairedBase[i] {
			continue
		}
		bq := &base.Queries[i]
		s := bq.Samples()
		c.Rows = append(c.Rows, result.ComparisonRow{
			Name: bq.Name, ID: bq.ID, BaseMs: median(s, bq.WallMs), BaseN: len(s), P: 1, Verdict: result.VerdictGone,
			Note: sideNote("base", bq),
		})
	}

	if base.Runs > 0 && new.Runs > 0 {
		bt, nt := okTotals(base), okTotals(new)
		var total result.ComparisonRow
		switch {
		case len(nt) == 0:
			total = result.ComparisonRow{Name: "total", BaseMs: stats.Median(bt), BaseN: len(bt), P: 1,
				Verdict: result.VerdictFailedNew, Note: "no run of new ended ok"}
		case len(bt) == 0:
			total = result.ComparisonRow{Name: "total", NewMs: stats.Median(nt), NewN: len(nt), P: 1,
				Verdict: result.VerdictFailedBase, Note: "no run of base ended ok"}
		default:
			total = compareSamples("total", bt, nt, alpha)
		}
		c.Total = &total
	}
	return c
}

// compareQuery compares one query of new with its base (nil when it has none). A query
// that did not end ok in some run of new has failed in new, whatever its times: a failed
// statement is quick, and its speed says nothing.
func compareQuery(bq, nq *result.Query, alpha float64) result.ComparisonRow {
	ns := nq.Samples()
	if nq.FailedRuns() > 0 {
		row := result.ComparisonRow{Name: nq.Name, ID: nq.ID, NewMs: median(ns, nq.WallMs), NewN: len(ns), P: 1,
			Verdict: result.VerdictFailedNew, Note: runsNote(nq)}
		if bq != nil {
			bs := bq.Samples()
			row.BaseMs, row.BaseN = median(bs, bq.WallMs), len(bs)
		}
		return row
	}
	if bq == nil {
		return result.ComparisonRow{Name: nq.Name, ID: nq.ID, NewMs: median(ns, nq.WallMs), NewN: len(ns), P: 1, Verdict: result.VerdictAdded}
	}
	bs := bq.Samples()
	if len(bs) == 0 {
		return result.ComparisonRow{Name: nq.Name, ID: nq.ID, BaseMs: bq.WallMs, NewMs: median(ns, nq.WallMs), NewN: len(ns), P: 1,
			Verdict: result.VerdictFailedBase, Note: runsNote(bq)}
	}
	row := compareSamples(nq.Name, bs, ns, alpha)
	row.ID = nq.ID
	row.Note = joinNotes(sideNote("base", bq), row.Note)
	return row
}

// okTotals are the wall times of the runs of r in which every query ended ok: the runs
// whose totals mean something. A run with a failed statement is shorter for it.
func okTotals(r *result.Report) []float64 {
	all := r.TotalSamples()
	if len(r.TotalRunsMs) == 0 {
		if r.Failed() > 0 {
			return nil
		}
		return all
	}
	ok := make([]bool, len(all))
	for k := range ok {
		ok[k] = true
	}
	for i := range r.Queries {
		q := &r.Queries[i]
		if len(q.RunsStatus) == 0 {
			continue
		}
		for k := range ok {
			if k >= len(q.RunsStatus) || q.RunsStatus[k] != result.StatusOK {
				ok[k] = false
			}
		}
	}
	out := all[:0]
	for k, x := range all {
		if ok[k] {
			out = append(out, x)
		}
	}
	return out
}

// CompareTargets compares the first target of r with each other one, labelling each side
// with its target's Context.Target (or "target N", 1-based, when it has none). It returns
// nil when r has fewer than two targets.
func CompareTargets(r *result.Report, opts Options) []result.Comparison {
	if r == nil || len(r.Targets) < 2 {
		return nil
	}
	label := func(i int) string {
		if t := r.Targets[i].Context.Target; t != "" {
			return t
		}
		return fmt.Sprintf("target %d", i+1)
	}
	out := make([]result.Comparison, 0, len(r.Targets)-1)
	for i := 1; i < len(r.Targets); i++ {
		c := Compare(label(0), &r.Targets[0], label(i), &r.Targets[i], opts)
		c.BaseTarget, c.NewTarget = 1, i+1
		out = append(out, c)
	}
	return out
}

// compareSamples compares two samples of one query or of the total; it never gates.
func compareSamples(name string, base, new []float64, alpha float64) result.ComparisonRow {
	row := result.ComparisonRow{
		Name:    name,
		BaseMs:  stats.Median(base),
		NewMs:   stats.Median(new),
		BaseN:   len(base),
		NewN:    len(new),
		P:       1,
		Verdict: result.VerdictSame,
	}
	if row.BaseMs > 0 {
		row.Ratio = row.NewMs / row.BaseMs
		row.DeltaPct = (row.Ratio - 1) * 100
	}
	if len(base) == 0 || len(new) == 0 {
		return row // failureNote explains why
	}
	if minP(len(base), len(new)) > alpha {
		row.Note = NoteTooFewSamples
		return row
	}
	// benchmath sorts the values it is given, so it gets copies.
	th := &benchmath.Thresholds{CompareAlpha: alpha}
	cmp := benchmath.AssumeNothing.Compare(
		benchmath.NewSample(slices.Clone(base), th),
		benchmath.NewSample(slices.Clone(new), th))
	row.P = cmp.P
	if cmp.P >= alpha {
		return row
	}
	switch {
	case row.NewMs > row.BaseMs:
		row.Verdict = result.VerdictSlower
	case row.NewMs < row.BaseMs:
		row.Verdict = result.VerdictFaster
	}
	return row
}

// minP is the smallest two-sided p-value the Mann–Whitney U test can give for samples of
// sizes n1 and n2 (no ties): both tails of the one most extreme arrangement,
// 2 / C(n1+n2, n1).
func minP(n1, n2 int) float64 {
	// C(n1+n2, n1) grows fast; stop as soon as it is large enough to matter.
	c := 1.0
	for i := 1; i <= n1; i++ {
		c = c * float64(n2+i) / float64(i)
		if c > 1e12 {
			break
		}
	}
	return math.Min(1, 2/c)
}

func median(samples []float64, fallback float64) float64 {
	if len(samples) == 0 {
		return fallback
	}
	return stats.Median(samples)
}

// sideNote says how many runs of q failed, for a side that is still compared on its
// ok runs: "error in 2 of 10 runs of base".
func sideNote(side string, q *result.Query) string {
	if q.FailedRuns() == 0 {
		return ""
	}
	return runsNote(q) + " of " + side
}

// runsNote says how q failed: "error" for a single run, "error in 2 of 3 runs" (the
// status of the last failed run) for several.
func runsNote(q *result.Query) string {
	if len(q.RunsMs) == 0 {
		return string(q.Status)
	}
	status := q.Status
	for k := len(q.RunsStatus) - 1; k >= 0; k-- {
		if q.RunsStatus[k] != result.StatusOK {
			status = q.RunsStatus[k]
			break
		}
	}
	return fmt.Sprintf("%s in %d of %d runs", status, q.FailedRuns(), len(q.RunsMs))
}

func joinNotes(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
