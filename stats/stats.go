package stats

import (
	"math"
	"slices"
)

// Summary summarises a sample. The zero Summary describes an empty sample.
type Summary struct {
	N      int     // number of samples
	Min    float64 // smallest sample
	P50    float64 // median
	P90    float64 // 90th percentile
	P95    float64 // 95th percentile
	P99    float64 // 99th percentile
	Max    float64 // largest sample
	Mean   float64 // arithmetic mean
	Stddev float64 // sample standard deviation (divides by n-1); 0 when N < 2
}

// Summarize returns the summary statistics of xs, which need not be sorted. It returns
// the zero Summary when xs is empty.
func Summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := sortedCopy(xs)
	return Summary{
		N:      len(s),
		Min:    s[0],
		P50:    Percentile(s, 50),
		P90:    Percentile(s, 90),
		P95:    Percentile(s, 95),
		P99:    Percentile(s, 99),
		Max:    s[len(s)-1],
		Mean:   Mean(xs),
		Stddev: Stddev(xs),
	}
}

// Mean returns the arithmetic mean of xs, or 0 when xs is empty.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

// Stddev returns the sample standard deviation of xs (the square root of the sum of
// squared deviations from the mean divided by n-1), or 0 when xs has fewer than two
// samples.
func Stddev(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	m := Mean(xs)
	var ss float64
	for _, x := range xs {
		d := x - m
		ss += d * d
	}
	return math.Sqrt(ss / float64(len(xs)-1))
}

// Median returns the median of xs, which need not be sorted: the middle sample, or the
// mean of the two middle samples when len(xs) is even. It returns 0 when xs is empty, so
// that results stay encodable as JSON; callers that must tell the cases apart check
// len(xs).
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return Percentile(sortedCopy(xs), 50)
}

// Percentile returns the p-th percentile (p in [0, 100]; values outside are clamped) of
// sorted, which must be in ascending order, interpolating linearly between the closest
// ranks as described in the package documentation. It returns 0 when sorted is empty.
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	switch {
	case p <= 0 || math.IsNaN(p):
		return sorted[0]
	case p >= 100:
		return sorted[n-1]
	}
	h := float64(n-1) * p / 100
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return sorted[n-1]
	}
	frac := h - float64(lo)
	return sorted[lo] + frac*(sorted[lo+1]-sorted[lo])
}

func sortedCopy(xs []float64) []float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s
}
