// Package stats computes summary statistics of timing samples: order statistics,
// percentiles, mean and standard deviation, and outliers.
//
// Percentiles use linear interpolation between closest ranks, the default of numpy's
// percentile (method "linear", type 7 of Hyndman and Fan) and the definition hyperfine
// reports: for n sorted samples x[0] ≤ … ≤ x[n-1] and p in [0, 100], let h = (n-1)·p/100;
// the percentile is x[⌊h⌋] + (h-⌊h⌋)·(x[⌊h⌋+1] - x[⌊h⌋]). The median is the 50th
// percentile. Python's statistics.quantiles(xs, n=100, method="inclusive") gives the same
// numbers.
//
// Outliers are found as hyperfine finds them: a sample is an outlier when its modified
// Z-score, its distance from the median divided by the median absolute deviation (MAD),
// exceeds OutlierThreshold.
//
// The package depends on the standard library only. No function modifies the slice it
// is given, and all are safe for concurrent use.
package stats
