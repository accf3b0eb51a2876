package stats

import "math"

// OutlierThreshold is the modified Z-score above which a sample is an outlier. It is
// hyperfine's: 1.4826 turns the MAD into an estimate of the standard deviation of a
// normal distribution, and 10 is the number of such standard deviations. The threshold
// is deliberately far out: timing samples have long right tails, and only a sample that
// no ordinary noise explains should be called an outlier.
const OutlierThreshold = 1.4826 * 10

// MAD returns the median absolute deviation of xs: the median of |x - median(xs)|. It
// returns 0 when xs is empty.
func MAD(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	m := Median(xs)
	dev := make([]float64, len(xs))
	for i, x := range xs {
		dev[i] = math.Abs(x - m)
	}
	return Median(dev)
}

// ModifiedZScores returns, for every sample of xs in order, its modified Z-score
// (x - median) / MAD. When the MAD is 0 (more than half the samples are equal) it is
// replaced by the smallest float64 step above 1 (2⁻⁵²), as hyperfine does, so that any
// sample that differs from the median gets a very large score. It returns nil when xs is
// empty.
func ModifiedZScores(xs []float64) []float64 {
	if len(xs) == 0 {
		return nil
	}
	m := Median(xs)
	mad := MAD(xs)
	if mad <= 0 {
		mad = epsilon
	}
	z := make([]float64, len(xs))
	for i, x := range xs {
		z[i] = (x - m) / mad
	}
	return z
}

// epsilon is Rust's f64::EPSILON, which hyperfine uses for a zero MAD.
const epsilon = 0x1p-52

// Outliers returns the indexes, in ascending order, of the samples of xs whose modified
// Z-score exceeds OutlierThreshold in absolute value. It returns nil when there are none.
func Outliers(xs []float64) []int {
	var idx []int
	for i, z := range ModifiedZScores(xs) {
		if math.Abs(z) > OutlierThreshold {
			idx = append(idx, i)
		}
	}
	return idx
}
