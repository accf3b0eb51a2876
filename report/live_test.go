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

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// lastLine is what a terminal shows of the display: the text after the last \r.
func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\r'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimRight(s, " ")
}

// TestProgressClock drives the display with a fake clock: the running count follows the
// statements that run, and the elapsed time moves while one long statement runs.
func TestProgressClock(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	var buf syncBuffer
	p := newProgress(&buf, 2, 3, clk.now, 0)
	step := func(d time.Duration, events ...result.Event) string {
		clk.advance(d)
		for _, e := range events {
			p.Handle(e)
		}
		p.tick()
		return lastLine(buf.String())
	}
	start := func(name string, run int) result.Event {
		return result.Event{Kind: result.EventStart, Run: run, Name: name}
	}
	ok := func(name string, run int) result.Event {
		return done(name, run, result.Query{Name: name, Status: result.StatusOK})
	}
	skipped := func(name string, run int) result.Event {
		return done(name, run, result.Query{Name: name, Status: result.StatusSkipped})
	}
	steps := []struct {
		d      time.Duration
		events []result.Event
		want   string
	}{
		{0, []result.Event{{Kind: result.EventRunStart}, start("slow", 0)},
			"run 1/2 · 1 running · 0/6 statements ░░░░░░░░░░░░░░░░ 0% · 0:00"},
		{time.Second, nil, "run 1/2 · 1 running · 0/6 statements ░░░░░░░░░░░░░░░░ 0% · 0:01 · slow 0:01"},
		{2 * time.Second, nil, "run 1/2 · 1 running · 0/6 statements ░░░░░░░░░░░░░░░░ 0% · 0:03 · slow 0:03"},
		{time.Second, []result.Event{ok("slow", 0), start("a", 0), start("a", 0) /* a retry */},
			"run 1/2 · 1 running · 1/6 statements ██░░░░░░░░░░░░░░ 16% · 0:04 · ~0:20 left"},
		{500 * time.Millisecond, []result.Event{ok("a", 0), skipped("b", 0), {Kind: result.EventRunDone}},
			"run 2/2 · 0 running · 3/6 statements ████████░░░░░░░░ 50% · 0:04 · ~0:04 left"},
		{0, []result.Event{{Kind: result.EventRunStart, Run: 1}, start("slow", 1), start("a", 1), start("b", 1)},
			"run 2/2 · 3 running · 3/6 statements ████████░░░░░░░░ 50% · 0:04 · ~0:04 left"},
		{1500 * time.Millisecond, []result.Event{ok("a", 1)},
			"run 2/2 · 2 running · 4/6 statements ██████████░░░░░░ 66% · 0:06 · ~0:03 left · slow 0:01"},
	}
	for i, s := range steps {
		if got := step(s.d, s.events...); got != s.want {
			t.Errorf("step %d: display %q, want %q", i, got, s.want)
		}
	}
	p.Finish()
	p.Finish() // a second Finish is harmless
	p.Handle(start("late", 1))
	if got := lastLine(buf.String()); got != "" {
		t.Errorf("after Finish: display %q, want it cleared", got)
	}
}

// TestProgressUnknownRuns: with --duration the runs are not known in advance.
func TestProgressUnknownRuns(t *testing.T) {
	clk := &fakeClock{t: time.Unix(0, 0)}
	var buf syncBuffer
	p := newProgress(&buf, 0, 4, clk.now, 0)
	p.Handle(result.Event{Kind: result.EventRunDone})
	clk.advance(75 * time.Second)
	p.tick()
	if got, want := lastLine(buf.String()), "run 2 · 0 running · 0 statements · 1:15"; got != want {
		t.Errorf("display %q, want %q", got, want)
	}
	p.Finish()
}

// TestProgressTicks: without any event, the display redraws by itself on the real clock.
func TestProgressTicks(t *testing.T) {
	var buf syncBuffer
	p := newProgress(&buf, 1, 1, time.Now, 10*time.Millisecond)
	p.Handle(result.Event{Kind: result.EventStart, Name: "slow"})
	before := strings.Count(buf.String(), "\r")
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(buf.String(), "\r") < before+2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	p.Finish()
	if n := strings.Count(buf.String(), "\r"); n < before+2 {
		t.Errorf("%d redraws, want the display redrawn without events", n-before)
	}
}

// TestProgressConcurrent checks, under -race, events from concurrent workers.
func TestProgressConcurrent(t *testing.T) {
	var buf syncBuffer
	p := NewProgress(&buf, 3, 4)
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
	p.Finish()
	if got := lastLine(buf.String()); got != "" {
		t.Errorf("after Finish: display %q, want it cleared", got)
	}
	if !strings.Contains(buf.String(), "run 3/3 · 0 running · 12/12 statements") {
		t.Errorf("display %q, want the last run drawn with every statement done", buf.String())
	}
}
