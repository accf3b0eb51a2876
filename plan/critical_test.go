package plan

import (
	"slices"
	"testing"
)

func TestCriticalPath(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		opts      Options
		ms        map[string]float64 // by unit name; missing units take 0
		wantUnits []string
		wantTotal float64
	}{
		{
			name: "lunch in stages",
			src: `-- stage: prepare
@boil: SELECT pg_sleep(0.5);
@salad: SELECT pg_sleep(1);
-- stage: cook
@spaghetti: SELECT pg_sleep(0.7);
@sauce: SELECT pg_sleep(0.4);`,
			ms:        map[string]float64{"boil": 500, "salad": 1000, "spaghetti": 700, "sauce": 400},
			wantUnits: []string{"salad", "spaghetti"},
			wantTotal: 1700,
		},
		{
			name: "lunch with dependencies",
			src: `@boil: SELECT pg_sleep(0.5);
@spaghetti after boil: SELECT pg_sleep(0.7);
@salad: SELECT pg_sleep(1);
@sauce: SELECT pg_sleep(0.4);`,
			ms:        map[string]float64{"boil": 500, "salad": 1000, "spaghetti": 700, "sauce": 400},
			wantUnits: []string{"boil", "spaghetti"},
			wantTotal: 1200,
		},
		{
			name:      "one stage without dependencies",
			src:       "@a: SELECT 1;\n@b: SELECT 2;\n@c: SELECT 3;",
			ms:        map[string]float64{"a": 3, "b": 9, "c": 4},
			wantUnits: []string{"b"},
			wantTotal: 9,
		},
		{
			name:      "dependency on a later unit",
			src:       "@a after c: SELECT 1;\n@b: SELECT 2;\n@c: SELECT 3;",
			opts:      Options{Parallel: true},
			ms:        map[string]float64{"a": 5, "b": 8, "c": 4},
			wantUnits: []string{"c", "a"},
			wantTotal: 9,
		},
		{
			name: "dependency across a stage beats the barrier",
			src: `-- stage: one
@a: SELECT 1;
@b: SELECT 2;
-- stage: two
@c: SELECT 3;
@d after c: SELECT 4;
-- stage: three
@e after a: SELECT 5;`,
			ms:        map[string]float64{"a": 10, "b": 1, "c": 2, "d": 3, "e": 1},
			wantUnits: []string{"a", "c", "d", "e"},
			wantTotal: 16,
		},
		{
			name:      "skipped units count nothing",
			src:       "@a: SELECT 1;\n@b after a: SELECT 2;\n@c: SELECT 3;",
			ms:        map[string]float64{"a": 5, "c": 6},
			wantUnits: []string{"c"},
			wantTotal: 6,
		},
		{
			name:      "nothing measured",
			src:       "@a: SELECT 1;",
			wantUnits: nil,
			wantTotal: 0,
		},
		{
			name:      "no units",
			src:       "",
			wantUnits: nil,
			wantTotal: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustBuild(t, tt.src, tt.opts)
			ms := make([]float64, len(p.Units))
			for name, v := range tt.ms {
				ms[byName(t, p, name)] = v
			}
			units, total := CriticalPath(p, ms)
			if got := unitNames(p, units); !slices.Equal(got, tt.wantUnits) {
				t.Errorf("path: got %q, want %q", got, tt.wantUnits)
			}
			if total != tt.wantTotal {
				t.Errorf("total: got %v, want %v", total, tt.wantTotal)
			}
		})
	}
}

func TestCriticalPathShortDurations(t *testing.T) {
	p := mustBuild(t, "@a: SELECT 1;\n@b after a: SELECT 2;", Options{})
	units, total := CriticalPath(p, []float64{4})
	if got, want := unitNames(p, units), []string{"a"}; !slices.Equal(got, want) {
		t.Errorf("path: got %q, want %q", got, want)
	}
	if total != 4 {
		t.Errorf("total: got %v, want 4", total)
	}
}
