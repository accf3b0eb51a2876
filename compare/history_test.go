package compare

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/qrunhq/qrun/result"
)

// process is one saved report of the gate's workload: one statement whose 30 samples sit
// around 10 ms times the process's offset (what its backend gives it), with a small spread.
func process(offset float64, at time.Time) *result.Report {
	runs := make([]float64, 30)
	for i := range runs {
		runs[i] = 10 * offset * (1 + 0.002*float64(i%7-3))
	}
	return &result.Report{SchemaVersion: result.SchemaVersion, Mode: "sequential", Runs: len(runs),
		Context: result.Context{StartedAt: at, Files: []string{"gate.sql"}},
		Queries: []result.Query{{Name: "ten_ms", ID: "ten_ms", Status: result.StatusOK, WallMs: 10 * offset, RunsMs: runs}}}
}

// Against one baseline from a fast process, a run of a slow process looks like a
// regression; against the pooled samples of the last five processes it does not. A real
// regression (2x) is still caught against the history. LoadHistory takes the newest
// reports of a directory by start time.
func TestHistoryBaseline(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	// An old outlier that --history 5 must leave out, then five processes.
	offsets := []float64{0.5, 0.93, 1.02, 0.97, 1.05, 0.92}
	for i, off := range offsets {
		data, err := json.Marshal(process(off, t0.Add(time.Duration(i)*time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		// Names out of time order: the start time orders them, not the name.
		if err := os.WriteFile(filepath.Join(dir, []string{"f", "e", "d", "c", "b", "a"}[i]+".json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts := Options{ThresholdPct: 10, MinDeltaMs: 0.5}
	noisy := process(1.04, t0.Add(10*time.Hour)) // a process on the slow side: no regression

	single := Compare("base", process(offsets[len(offsets)-1], t0), "new", noisy, opts)
	if single.Regressions != 1 {
		t.Fatalf("against the single fast baseline: %d regressions, want the false alarm this test is about", single.Regressions)
	}
	hist, used, err := LoadHistory([]string{dir}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(used) != 5 || filepath.Base(used[0]) != "e.json" || filepath.Base(used[4]) != "a.json" {
		t.Errorf("used %v, want the 5 newest by start time, oldest first", used)
	}
	if n := len(hist.Queries[0].Samples()); n != 150 {
		t.Errorf("pooled %d samples, want 5 x 30", n)
	}
	if c := Compare("history", hist, "new", noisy, opts); c.Regressions != 0 {
		t.Errorf("against the history: %d regressions (%+v), want none", c.Regressions, c.Rows[0])
	}
	if c := Compare("history", hist, "new", process(2, t0), opts); c.Regressions != 1 {
		t.Errorf("a 2x slower statement against the history: %d regressions, want it caught", c.Regressions)
	}
	all, _, err := LoadHistory([]string{dir}, 0)
	if err != nil || len(all.Queries[0].Samples()) != 180 {
		t.Errorf("--history 0 pools every report: %v", err)
	}
	if _, _, err := LoadHistory([]string{t.TempDir()}, 5); err == nil {
		t.Errorf("an empty directory: no error")
	}
}
