package stats

import (
	"math"
	"slices"
	"testing"
)

// The expected values below were computed with Python 3.11's statistics module:
// statistics.quantiles(xs, n=100, method="inclusive") for the percentiles,
// statistics.median, statistics.fmean and statistics.stdev.
var ten = []float64{12.5, 10.1, 11.3, 10.8, 30.2, 10.4, 11.0, 10.9, 10.6, 10.7}

const tol = 1e-9

func near(a, b float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

func TestSummarize(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want Summary
	}{
		{"empty", nil, Summary{}},
		{"one sample", []float64{4.2}, Summary{N: 1, Min: 4.2, P50: 4.2, P90: 4.2, P95: 4.2, P99: 4.2, Max: 4.2, Mean: 4.2}},
		{"two samples", []float64{3, 1}, Summary{N: 2, Min: 1, P50: 2, P90: 2.8, P95: 2.9, P99: 2.98, Max: 3, Mean: 2, Stddev: 1.4142135623730951}},
		{"five unsorted", []float64{5, 1, 4, 2, 3}, Summary{N: 5, Min: 1, P50: 3, P90: 4.6, P95: 4.8, P99: 4.96, Max: 5, Mean: 3, Stddev: 1.5811388300841898}},
		{"ten with a tail", ten, Summary{N: 10, Min: 10.1, P50: 10.85, P90: 14.27, P95: 22.235, P99: 28.607, Max: 30.2, Mean: 12.85, Stddev: 6.130298162043633}},
		{"all equal", []float64{2, 2, 2, 2}, Summary{N: 4, Min: 2, P50: 2, P90: 2, P95: 2, P99: 2, Max: 2, Mean: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := slices.Clone(tt.xs)
			got := Summarize(tt.xs)
			if got.N != tt.want.N {
				t.Errorf("N: got %d, want %d", got.N, tt.want.N)
			}
			fields := []struct {
				name      string
				got, want float64
			}{
				{"Min", got.Min, tt.want.Min},
				{"P50", got.P50, tt.want.P50},
				{"P90", got.P90, tt.want.P90},
				{"P95", got.P95, tt.want.P95},
				{"P99", got.P99, tt.want.P99},
				{"Max", got.Max, tt.want.Max},
				{"Mean", got.Mean, tt.want.Mean},
				{"Stddev", got.Stddev, tt.want.Stddev},
			}
			for _, f := range fields {
				if !near(f.got, f.want) {
					t.Errorf("%s: got %v, want %v", f.name, f.got, f.want)
				}
			}
			if !slices.Equal(tt.xs, before) {
				t.Errorf("Summarize modified its input: got %v, want %v", tt.xs, before)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	sorted := slices.Sorted(slices.Values(ten))
	tests := []struct {
		name   string
		sorted []float64
		p      float64
		want   float64
	}{
		{"empty", nil, 50, 0},
		{"p0 is the minimum", sorted, 0, 10.1},
		{"p100 is the maximum", sorted, 100, 30.2},
		{"below 0 clamps", sorted, -5, 10.1},
		{"above 100 clamps", sorted, 250, 30.2},
		{"first quartile", sorted, 25, 10.625},
		{"median interpolates", sorted, 50, 10.85},
		{"third quartile", sorted, 75, 11.225},
		{"exact rank", []float64{1, 2, 3, 4, 5}, 25, 2},
		{"one sample", []float64{7}, 99, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); !near(got, tt.want) {
				t.Errorf("Percentile(%v, %v): got %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{"empty", nil, 0},
		{"one", []float64{3}, 3},
		{"odd unsorted", []float64{9, 1, 5}, 5},
		{"even averages the middle two", []float64{4, 1, 3, 2}, 2.5},
		{"ten", ten, 10.85},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := slices.Clone(tt.xs)
			if got := Median(tt.xs); !near(got, tt.want) {
				t.Errorf("Median(%v): got %v, want %v", tt.xs, got, tt.want)
			}
			if !slices.Equal(tt.xs, before) {
				t.Errorf("Median modified its input: got %v, want %v", tt.xs, before)
			}
		})
	}
}

func TestMAD(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{"empty", nil, 0},
		{"one", []float64{5}, 0},
		{"ten", ten, 0.35},
		{"half equal", []float64{1, 1, 1, 9}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MAD(tt.xs); !near(got, tt.want) {
				t.Errorf("MAD(%v): got %v, want %v", tt.xs, got, tt.want)
			}
		})
	}
}

func TestModifiedZScores(t *testing.T) {
	// Python: m = median(ten); mad = median(|x - m|); (x - m) / mad.
	want := []float64{4.714285714285707, -2.1428571428571406, 1.2857142857142838, -0.1428571428571439,
		55.28571428571421, -1.2857142857142836, 0.4285714285714264, 0.1428571428571414,
		-0.7142857142857153, -0.42857142857142916}
	got := ModifiedZScores(ten)
	if len(got) != len(want) {
		t.Fatalf("len: got %d, want %d", len(got), len(want))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-6 {
			t.Errorf("score %d: got %v, want %v", i, got[i], want[i])
		}
	}
	if got := ModifiedZScores(nil); got != nil {
		t.Errorf("ModifiedZScores(nil): got %v, want nil", got)
	}
}

func TestOutliers(t *testing.T) {
	// The cases are hyperfine's own (src/outlier_detection.rs), so qrun flags the same
	// samples hyperfine would.
	normal := []float64{2.33269488, 1.42195907, -0.57527698, -0.31293437, 2.2948158,
		0.75813273, -1.0712388, -0.96394741, -1.15897446, 1.10976285}
	tests := []struct {
		name string
		xs   []float64
		want []int
	}{
		{"empty", nil, nil},
		{"one", []float64{50}, nil},
		{"two far apart", []float64{1000, 0}, nil},
		{"low variance", []float64{-0.2, 0, 0.2}, nil},
		{"one far out", []float64{-0.2, 0, 0.2, 4}, []int{3}},
		{"first run slow", []float64{0.5, 0.30, 0.29, 0.31, 0.30}, []int{0}},
		{"normal noise", normal, nil},
		{"two added", append(slices.Clone(normal), 20, -500), []int{10, 11}},
		{"zero MAD", []float64{10, 10, 10, 10, 10, 10, 10, 100}, []int{7}},
		{"zero MAD twice", []float64{10, 10, 10, 10, 10, 10, 10, 100, 100}, []int{7, 8}},
		{"ten with a tail", ten, []int{4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Outliers(tt.xs); !slices.Equal(got, tt.want) {
				t.Errorf("Outliers(%v): got %v, want %v", tt.xs, got, tt.want)
			}
		})
	}
}
