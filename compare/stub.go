// Package compare compares two reports statement by statement: medians, change, and a
// verdict from a Mann–Whitney U test that separates a real change from noise, plus the
// --threshold gate.
package compare

import "github.com/qrunhq/qrun/result"

// Options tune Compare.
type Options struct {
	ThresholdPct float64 // gate: a significant slowdown above this is a regression; 0 = no gate
	Alpha        float64 // significance level; 0 means 0.05
}

// Compare compares base with new. Labels name them in the output.
func Compare(baseLabel string, base *result.Report, newLabel string, new *result.Report, opts Options) result.Comparison {
	return result.Comparison{Base: baseLabel, New: newLabel}
}
