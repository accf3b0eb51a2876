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
// never gated. A query that failed in every run of one side
// is compared on nothing ("~", P 1) and its Note says so; one that failed in some runs
// is compared on its ok runs and the Note counts the failures. Failures are never
// latency regressions: they make qrun exit 1 on their own.
//
// Total compares the runs' total wall times. It is reported, never gated: a total can
// only regress through its queries, and gating it too would count one slowdown twice.
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
	}

	pairs := pairQueries(base.Queries, new.Queries)
	for i := range new.Queries {
		nq := &new.Queries[i]
		m := pairs.ofNew[i]
		if m.base < 0 {
			s := nq.Samples()
			c.Rows = append(c.Rows, result.ComparisonRow{
				Name: nq.Name, ID: nq.ID, NewMs: median(s, nq.WallMs), NewN: len(s), P: 1, Verdict: result.VerdictAdded,
			})
			continue
		}
		bq := &base.Queries[m.base]
		row := compareSamples(nq.Name, bq.Samples(), nq.Samples(), alpha)
		row.ID = nq.ID
		if bq.Name != nq.Name {
			row.BaseName = bq.Name
		}
		row.BaseMs = orWall(row.BaseN, row.BaseMs, bq.WallMs)
		row.NewMs = orWall(row.NewN, row.NewMs, nq.WallMs)
		row.Note = joinNotes(failureNote(bq, nq), row.Note)
		if m.changed {
			row.ChangedSQL = true
			row.Note = joinNotes("changed SQL", row.Note)
		}
		if m.ambiguous != "" {
			row.Ambiguous = true
			c.Ambiguous++
			row.Note = joinNotes(row.Note, m.ambiguous)
		}
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
		})
	}

	if base.Runs > 0 && new.Runs > 0 {
		total := compareSamples("total", base.TotalSamples(), new.TotalSamples(), alpha)
		c.Total = &total
	}
	return c
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
		out = append(out, Compare(label(0), &r.Targets[0], label(i), &r.Targets[i], opts))
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

// orWall keeps the median when there were ok samples and otherwise shows the report's
// own WallMs, so that a failed query still shows how long it took to fail.
func orWall(n int, med, wall float64) float64 {
	if n == 0 {
		return wall
	}
	return med
}

// failureNote describes the runs that did not end ok on either side.
func failureNote(base, new *result.Query) string {
	return joinNotes(sideNote("base", base), sideNote("new", new))
}

func sideNote(side string, q *result.Query) string {
	runs := max(len(q.RunsMs), 1)
	ok := len(q.Samples())
	switch {
	case ok == runs:
		return ""
	case ok == 0:
		return fmt.Sprintf("%s in %s", q.Status, side)
	default:
		return fmt.Sprintf("%d of %d runs failed in %s", runs-ok, runs, side)
	}
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
