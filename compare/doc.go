// Package compare compares two reports statement by statement: medians, change, and a
// verdict from a Mann–Whitney U test that separates a real change from noise, plus the
// --threshold gate.
//
// Only the samples of runs that ended ok count. A query is compared by the medians of its
// samples; the verdict comes from golang.org/x/perf/benchmath's AssumeNothing (the
// Mann–Whitney U test benchstat uses): "~" when p ≥ alpha, or when the samples are too
// few for even the most extreme difference to reach alpha (at 0.05, three runs or fewer
// on each side); the Note then says "too few samples".
//
// The gate is deliberately two-sided so that it does not cry wolf: a row is a regression
// only when the slowdown is statistically significant AND its median is more than
// ThresholdPct slower. Noise alone rarely passes both tests (at alpha 0.05 about one
// comparison in forty of identical distributions is "significantly slower", and those
// are nearly always a few percent apart, not more than the threshold).
package compare
