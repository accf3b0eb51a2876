package runner

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/result"
)

// recorder collects the run-start events of several targets.
type recorder struct {
	mu   sync.Mutex
	runs [][2]int // target, run
}

func (r *recorder) on(ev result.Event) {
	if ev.Kind != result.EventRunStart {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs = append(r.runs, [2]int{ev.Target, ev.Run})
}

func TestBenchInterleaves(t *testing.T) {
	t.Parallel()
	a, b := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	rec := &recorder{}
	opts := Options{OnEvent: rec.on}
	targets := []*Target{connect(t, a, Config{}, opts), connect(t, b, Config{}, opts)}
	p := buildPlan(t, false, src{sql: "CREATE TEMP TABLE tt (x int);"}, src{sql: "SELECT 1;"})
	out, err := Bench(context.Background(), targets, p, BenchOptions{Runs: 3, Warmup: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, runs := range out {
		if len(runs) != 3 {
			t.Fatalf("target %d: got %d runs, want 3", i, len(runs))
		}
		for j, r := range runs {
			if got := statuses(r); got != "ok ok" { // the temp table is new in every run
				t.Errorf("target %d run %d: got %q, want ok ok", i, j, got)
			}
		}
	}
	want := [][2]int{{0, -1}, {1, -1}, {0, 0}, {1, 0}, {0, 1}, {1, 1}, {0, 2}, {1, 2}}
	if len(rec.runs) != len(want) {
		t.Fatalf("got runs %v, want %v", rec.runs, want)
	}
	for i := range want {
		if rec.runs[i] != want[i] {
			t.Fatalf("got runs %v, want %v", rec.runs, want)
		}
	}
}

func TestBenchDuration(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	tg := connect(t, url, Config{}, Options{})
	p := buildPlan(t, false, src{sql: "SELECT pg_sleep(0.05);"})
	tests := []struct {
		name     string
		bo       BenchOptions
		min, max int
	}{
		{"duration alone", BenchOptions{Duration: 300 * time.Millisecond}, 3, 7},
		{"runs beyond duration", BenchOptions{Duration: time.Millisecond, Runs: 4}, 4, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			out, err := Bench(context.Background(), []*Target{tg}, p, tt.bo)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(out[0]); n < tt.min || n > tt.max {
				t.Errorf("got %d runs, want %d to %d", n, tt.min, tt.max)
			}
			if d := time.Since(start); d < tt.bo.Duration {
				t.Errorf("got %s, want at least %s", d, tt.bo.Duration)
			}
		})
	}
}

func TestBenchInterrupted(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	tg := connect(t, url, Config{}, Options{})
	p := buildPlan(t, false, src{sql: "SELECT pg_sleep(0.1);"}, src{sql: "SELECT pg_sleep(0.1);"})
	ctx, cancel := context.WithTimeout(context.Background(), 450*time.Millisecond)
	defer cancel()
	out, err := Bench(ctx, []*Target{tg}, p, BenchOptions{Runs: 100})
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	runs := out[0]
	if len(runs) < 2 || len(runs) > 4 {
		t.Fatalf("got %d runs, want 2 to 4", len(runs))
	}
	last := runs[len(runs)-1]
	if !last.Interrupted {
		t.Error("got the last run not interrupted, want it marked")
	}
	for _, r := range runs[:len(runs)-1] {
		if r.Interrupted || statuses(r) != "ok ok" {
			t.Errorf("got an earlier run %q interrupted=%v, want complete", statuses(r), r.Interrupted)
		}
	}
}
