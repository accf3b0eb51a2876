package main

import (
	"strings"
	"testing"
)

func TestScanCombos(t *testing.T) {
	axes, err := parseScan([]string{"c=1,2", "rows=10, 100"}, true)
	if err != nil {
		t.Fatal(err)
	}
	combos := scanCombos(axes, map[string]string{"x": "1"})
	var got []string
	for _, c := range combos {
		got = append(got, c.label)
		if c.vars["x"] != "1" || c.vars["c"] != "" || c.conc == 0 {
			t.Errorf("%s: vars %v conc %d: want -v kept, c not a variable", c.label, c.vars, c.conc)
		}
	}
	if want := "c=1 rows=10|c=1 rows=100|c=2 rows=10|c=2 rows=100"; strings.Join(got, "|") != want {
		t.Errorf("combinations %q, want %q", strings.Join(got, "|"), want)
	}
}

// FuzzParseScan: parseScan never panics, and what it accepts makes as many combinations
// as the product of its axes' values, each labelled with every axis.
func FuzzParseScan(f *testing.F) {
	for _, s := range []string{"c=1,2,4", "concurrency=8", "n=a,b", "c=0", "=1", "x=", "c=1,,2", "a=b=c,d"} {
		f.Add(s, "n=1,2")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		axes, err := parseScan([]string{a, b}, true)
		if err != nil {
			return
		}
		want := 1
		for _, ax := range axes {
			want *= len(ax.values)
		}
		if want > 10000 {
			return
		}
		combos := scanCombos(axes, nil)
		if len(combos) != want {
			t.Fatalf("%d combinations of %q %q, want %d", len(combos), a, b, want)
		}
		for _, c := range combos {
			if len(c.values) != len(axes) {
				t.Fatalf("%q: %d values for %d axes", c.label, len(c.values), len(axes))
			}
		}
	})
}
