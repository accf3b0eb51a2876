package report

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qrunhq/qrun/result"
)

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func done(name string, run int, qq result.Query) result.Event {
	return result.Event{Kind: result.EventDone, Run: run, Name: name, Query: &qq}
}

func TestNarrator(t *testing.T) {
	boil := result.Query{Name: "boil_water", Status: result.StatusOK, WallMs: 500.2}
	bad := result.Query{Name: "cook_sauce", Status: result.StatusError,
		Error: &result.Error{SQLState: "42P01", Message: `relation "pot" does not exist`}}
	slow := result.Query{Name: "slow", Status: result.StatusTimeout, WallMs: 2000,
		Error: &result.Error{SQLState: "57014", Message: "canceling statement due to statement timeout"}}
	skip := result.Query{Name: "serve", Status: result.StatusSkipped, Reason: "cook_sauce failed"}
	tests := []struct {
		name          string
		runs, targets int
		events        []result.Event
		want          string
	}{
		{"single run", 0, 0, []result.Event{
			{Kind: result.EventStart, Name: "boil_water"},
			done("boil_water", 0, boil),
			done("cook_sauce", 0, bad),
			done("slow", 0, slow),
			done("serve", 0, skip),
		}, "start boil_water\ndone boil_water 0.50s\n" +
			"error cook_sauce: 42P01 relation \"pot\" does not exist\n" +
			"timeout slow: 57014 canceling statement due to statement timeout after 2.00s\n" +
			"skipped serve: cook_sauce failed\n"},
		{"several runs", 3, 1, []result.Event{
			{Kind: result.EventRunStart, Run: -1},
			{Kind: result.EventStart, Run: -1, Name: "boil_water"},
			{Kind: result.EventRunStart, Run: 0},
			{Kind: result.EventStart, Run: 0, Name: "boil_water"},
			done("boil_water", 0, boil),
			{Kind: result.EventRunDone, Run: 0, Elapsed: 1200 * time.Millisecond},
		}, "warmup 1: run started\nwarmup 1: start boil_water\nrun 1: run started\nrun 1: start boil_water\n" +
			"run 1: done boil_water 0.50s\nrun 1: run done 1.20s\n"},
		{"later runs without SetRuns", 0, 0, []result.Event{
			{Kind: result.EventStart, Run: 1, Name: "boil_water"},
		}, "run 2: start boil_water\n"},
		{"several targets", 1, 2, []result.Event{
			{Kind: result.EventStart, Target: 1, Name: "boil_water"},
		}, "target 2: start boil_water\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			n := NewNarrator(&buf)
			if tt.runs > 0 {
				n.SetRuns(tt.runs, tt.targets)
			}
			for _, e := range tt.events {
				n.Handle(e)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestNarratorConcurrent checks, under -race, that lines from concurrent workers are
// never interleaved.
func TestNarratorConcurrent(t *testing.T) {
	var buf syncBuffer
	n := NewNarrator(&buf)
	var wg sync.WaitGroup
	const workers, each = 8, 200
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				n.Handle(result.Event{Kind: result.EventStart, Name: "q" + strings.Repeat("x", w+i%7)})
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != workers*each {
		t.Fatalf("got %d lines, want %d", len(lines), workers*each)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "start q") || strings.Count(l, "start") != 1 || strings.Trim(l[len("start q"):], "x") != "" {
			t.Fatalf("got line %q, want one whole \"start q...\" line", l)
		}
	}
}

func TestProgress(t *testing.T) {
	for _, tt := range []struct {
		name      string
		totalRuns int
	}{{"known runs", 3}, {"unknown runs", 0}} {
		t.Run(tt.name, func(t *testing.T) {
			var buf syncBuffer
			p := NewProgress(&buf, tt.totalRuns, 4)
			var wg sync.WaitGroup
			for run := range 3 {
				p.Handle(result.Event{Kind: result.EventRunStart, Run: run})
				for u := range 4 {
					wg.Go(func() {
						name := "q" + string(rune('a'+u))
						p.Handle(result.Event{Kind: result.EventStart, Run: run, Name: name})
						p.Handle(done(name, run, result.Query{Name: name, Status: result.StatusOK, WallMs: 1}))
					})
				}
				wg.Wait()
				p.Handle(result.Event{Kind: result.EventRunDone, Run: run})
			}
			before := buf.String()
			p.Finish()
			p.Finish() // a second Finish is harmless
			p.Handle(result.Event{Kind: result.EventStart, Name: "late"})
			if !strings.Contains(before, "run ") || !strings.Contains(before, "running") {
				t.Errorf("got display %q, want it to show the run and the statements running", before)
			}
			if len(buf.String()) <= len(before) {
				t.Errorf("Finish wrote nothing, want it to clear the display")
			}
		})
	}
}
