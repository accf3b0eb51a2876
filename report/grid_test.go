package report

import (
	"bytes"
	"testing"

	"github.com/olekukonko/tablewriter/tw"
)

// TestGridMatchesTablewriter checks that drawBox, the fast path for large tables, draws
// the same bytes as tablewriter.
func TestGridMatchesTablewriter(t *testing.T) {
	tests := []struct {
		name string
		g    *grid
	}{
		{"plain", &grid{headers: []string{"NAME", "TIME"}, aligns: []tw.Align{left, right},
			rows: [][]string{{"boil_water", "0.50s"}, {"a", "12.3ms"}}}},
		{"unicode and colour", &grid{headers: []string{"NAME", "STATUS", "±STDDEV", "MIN…MAX"}, aligns: []tw.Align{left, left, right, right},
			rows: [][]string{{"naïve_€", ansiGreen + "ok" + ansiReset, "±5.63ms", "0.49s…0.51s"}, {"x", ansiRed + "error" + ansiReset, "", "1µs…2µs"}}}},
		{"wide header", &grid{headers: []string{"A LONG HEADER", "B"}, aligns: []tw.Align{left, right},
			rows: [][]string{{"", "1"}, {"z", ""}}}},
		{"no rows", &grid{headers: []string{"NAME", "STATUS"}, aligns: []tw.Align{left, left}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var slow, fast bytes.Buffer
			if err := tt.g.tablewriter(&slow); err != nil {
				t.Fatal(err)
			}
			if err := tt.g.drawBox(&fast); err != nil {
				t.Fatal(err)
			}
			if fast.String() != slow.String() {
				t.Errorf("drawBox:\n%s\nwant (tablewriter):\n%s", fast.String(), slow.String())
			}
		})
	}
	// Every table of every fixture, drawn the fast way, matches its golden file.
	defer func(n int) { gridFastRows = n }(gridFastRows)
	gridFastRows = -1
	for _, fx := range fixtures {
		for _, opts := range []Options{{}, {Width: 100, Color: true}} {
			var buf bytes.Buffer
			if err := Write(&buf, fx.report(), opts); err != nil {
				t.Fatal(err)
			}
			name := fx.name + ".table.golden"
			if opts.Color {
				name = fx.name + ".table-100-color.golden"
			}
			t.Run(name, func(t *testing.T) { golden(t, name, buf.Bytes()) })
		}
	}
}
