package report

import (
	"encoding/xml"
	"fmt"
	"math"
	"strings"
	"testing"
)

// The scan's figures come from the targets: throughput is the statements ok per second
// of the median run, and the chart is well-formed SVG with a point per value of c on
// every line.
func TestScanPointsAndChart(t *testing.T) {
	r := scanned()
	pts := scanPoints(r)
	if len(pts) != 3 {
		t.Fatalf("%d points, want 3", len(pts))
	}
	for i, p := range pts {
		tr := &r.Targets[i]
		if want := float64(tr.Summary.OK) / (tr.TotalWallMs / 1000); p.Throughput != want {
			t.Errorf("%s: throughput %v, want %v", p.Label, p.Throughput, want)
		}
		if p.Series != "chef@pg16:5432/lunch" || p.Conc != []int{1, 2, 4}[i] {
			t.Errorf("point %d: series %q c %d", i, p.Series, p.Conc)
		}
		if !(p.P50 <= p.P95 && p.P95 <= p.P99) || p.N == 0 {
			t.Errorf("%s: percentiles %v %v %v of %d", p.Label, p.P50, p.P95, p.P99, p.N)
		}
	}
	chart := string(scanChartHTML(r))
	var doc struct {
		Polylines []struct {
			Points string `xml:"points,attr"`
		} `xml:"g>polyline"`
	}
	if err := xml.Unmarshal([]byte(chart), &doc); err != nil {
		t.Fatalf("chart is not well-formed: %v", err)
	}
	if len(doc.Polylines) != 4 { // throughput, p50, p95, p99 of one series
		t.Fatalf("%d lines, want 4", len(doc.Polylines))
	}
	for _, l := range doc.Polylines {
		pts := strings.Fields(l.Points)
		if len(pts) != 3 {
			t.Errorf("a line with %d points, want 3", len(pts))
		}
		for _, pt := range pts {
			var x, y float64
			if _, err := fmt.Sscanf(pt, "%f,%f", &x, &y); err != nil {
				t.Fatalf("point %q: %v", pt, err)
			}
			// Inside a panel's plot area: x from its left axis to its right end, y
			// between the title and the axis labels (a panel is 460 wide, 260 high).
			if px := math.Mod(x, 460+24); px < 56 || px > 460-12 || y < 26 || y > 260-40 {
				t.Errorf("point %q outside the plot area", pt)
			}
		}
	}
	if r.Targets[0].Context.Scan = nil; scanPoints(r) != nil || scanChartHTML(r) != "" {
		t.Errorf("a report of several targets without a scan has a scan summary")
	}
}
