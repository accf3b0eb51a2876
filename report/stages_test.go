package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/result"
)

// Repro C of the design review: stages are the plan's, told apart by StageIndex, not by
// their labels. "load", "check", "load", "load" are four stage barriers (the last two
// "-- stage: load" lines in a row); a report of an older version, without the index,
// tells them apart by a change of label only (three).
func TestStagesByIndex(t *testing.T) {
	labels := []string{"load", "check", "load", "load"}
	run := func(indexed bool) *result.Report {
		r := &result.Report{SchemaVersion: result.SchemaVersion, Mode: "sequential", Concurrency: 1, Runs: 1,
			TotalWallMs: 40, Summary: result.Counts{OK: len(labels)}}
		for i, l := range labels {
			qq := q("u"+strings.Repeat("x", i), i+1, l, float64(i*10), float64(i*10+9), 1)
			if indexed {
				qq.StageIndex = i
			}
			r.Queries = append(r.Queries, qq)
		}
		return r
	}
	for _, tc := range []struct {
		indexed bool
		want    int
	}{{true, 4}, {false, 3}} {
		r := run(tc.indexed)
		var buf bytes.Buffer
		if err := Write(&buf, r, Options{Format: "table", Width: 100}); err != nil {
			t.Fatal(err)
		}
		// The timeline's stage line: one ┊ per barrier.
		var stageLine string
		for _, l := range strings.Split(buf.String(), "\n") {
			if strings.Contains(l, "check") && strings.ContainsRune(l, glyphStage) && !strings.ContainsRune(l, glyphRun) {
				stageLine = l
			}
		}
		if got := strings.Count(stageLine, string(glyphStage)); got != tc.want {
			t.Errorf("indexed %v: %d stage marks on the timeline, want %d:\n%s", tc.indexed, got, tc.want, buf.String())
		}
		buf.Reset()
		if err := Write(&buf, r, Options{Format: "html"}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(buf.String(), `<g class="stage">`); got != tc.want {
			t.Errorf("indexed %v: %d stages in the html timeline, want %d", tc.indexed, got, tc.want)
		}
		// The plan of the same file: "4 units · N stages".
		r.Mode = "dry-run"
		for i := range r.Queries {
			r.Queries[i].Status = result.StatusPlanned
		}
		buf.Reset()
		if err := Write(&buf, r, Options{Format: "table"}); err != nil {
			t.Fatal(err)
		}
		if want := "4 units · " + plural(tc.want, "stage"); !strings.Contains(buf.String(), want) {
			t.Errorf("indexed %v: dry run summary does not say %q:\n%s", tc.indexed, want, buf.String())
		}
	}
}
