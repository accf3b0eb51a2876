package plan

import (
	"slices"
	"strings"
	"testing"
)

// schedStep is one scheduler operation in a test: "next" takes every ready unit and checks
// their names; "ok NAME" and "fail NAME" finish a unit (fail checks the skips).
type schedStep struct {
	op      string   // "next", "ok" or "fail"
	unit    string   // for ok and fail
	want    []string // next: the units handed out, in order
	skipped []string // fail: the units skipped, in order
}

func TestScheduler(t *testing.T) {
	lunchStages := `-- stage: prepare
@boil: SELECT pg_sleep(0.5);
@salad: SELECT pg_sleep(1);
-- stage: cook
@spaghetti: SELECT pg_sleep(0.7);
@sauce: SELECT pg_sleep(0.4);`
	lunchDAG := `@boil: SELECT pg_sleep(0.5);
@spaghetti after boil: SELECT pg_sleep(0.7);
@salad: SELECT pg_sleep(1);
@sauce: SELECT pg_sleep(0.4);`
	chain := `@a: SELECT 1;
@b after a: SELECT 2;
@c after b: SELECT 3;
@d after c: SELECT 4;
@e: SELECT 5;`
	tests := []struct {
		name  string
		src   string
		opts  Options
		steps []schedStep
	}{
		{
			name: "file order among ready units",
			src:  "@a: SELECT 1;\n@b: SELECT 2;\n@c: SELECT 3;",
			steps: []schedStep{
				{op: "next", want: []string{"a", "b", "c"}},
				{op: "ok", unit: "b"}, {op: "ok", unit: "a"}, {op: "ok", unit: "c"},
			},
		},
		{
			name: "stage barrier",
			src:  lunchStages,
			steps: []schedStep{
				{op: "next", want: []string{"boil", "salad"}},
				{op: "ok", unit: "boil"},
				{op: "next", want: nil},
				{op: "ok", unit: "salad"},
				{op: "next", want: []string{"spaghetti", "sauce"}},
				{op: "ok", unit: "sauce"}, {op: "ok", unit: "spaghetti"},
			},
		},
		{
			name: "dependencies",
			src:  lunchDAG,
			opts: Options{Parallel: true},
			steps: []schedStep{
				{op: "next", want: []string{"boil", "salad", "sauce"}},
				{op: "ok", unit: "sauce"},
				{op: "next", want: nil},
				{op: "ok", unit: "boil"},
				{op: "next", want: []string{"spaghetti"}},
				{op: "ok", unit: "spaghetti"}, {op: "ok", unit: "salad"},
			},
		},
		{
			name: "ready units come back in file order",
			src:  "@a: SELECT 1;\n@b after a: SELECT 2;\n@c: SELECT 3;\n@d: SELECT 4;",
			opts: Options{Parallel: true},
			steps: []schedStep{
				{op: "next", want: []string{"a", "c", "d"}},
				{op: "ok", unit: "a"},
				{op: "next", want: []string{"b"}},
				{op: "ok", unit: "b"}, {op: "ok", unit: "c"}, {op: "ok", unit: "d"},
			},
		},
		{
			name: "dependency on a later unit in parallel mode",
			src:  "@a after b: SELECT 1;\n@b: SELECT 2;",
			opts: Options{Parallel: true},
			steps: []schedStep{
				{op: "next", want: []string{"b"}},
				{op: "ok", unit: "b"},
				{op: "next", want: []string{"a"}},
				{op: "ok", unit: "a"},
			},
		},
		{
			name: "skip propagates through a chain",
			src:  chain,
			steps: []schedStep{
				{op: "next", want: []string{"a", "e"}},
				{op: "fail", unit: "a", skipped: []string{"b", "c", "d"}},
				{op: "next", want: nil},
				{op: "ok", unit: "e"},
			},
		},
		{
			name: "skip in the middle of a chain",
			src:  chain,
			steps: []schedStep{
				{op: "next", want: []string{"a", "e"}},
				{op: "ok", unit: "a"},
				{op: "next", want: []string{"b"}},
				{op: "fail", unit: "b", skipped: []string{"c", "d"}},
				{op: "ok", unit: "e"},
			},
		},
		{
			name: "skip of a diamond is reported once",
			src:  "@a: SELECT 1;\n@b after a: SELECT 2;\n@c after a: SELECT 3;\n@d after b, c: SELECT 4;",
			steps: []schedStep{
				{op: "next", want: []string{"a"}},
				{op: "fail", unit: "a", skipped: []string{"b", "c", "d"}},
			},
		},
		{
			name: "a unit waiting on a failed and a running unit is skipped",
			src:  "@a: SELECT 1;\n@b: SELECT 2;\n@c after a, b: SELECT 3;\n@d after b: SELECT 4;",
			steps: []schedStep{
				{op: "next", want: []string{"a", "b"}},
				{op: "fail", unit: "a", skipped: []string{"c"}},
				{op: "ok", unit: "b"},
				{op: "next", want: []string{"d"}},
				{op: "ok", unit: "d"},
			},
		},
		{
			name: "a failure in a stage still opens the next stage",
			src:  "-- stage: one\n@a: SELECT 1;\n@b after a: SELECT 2;\n-- stage: two\n@c: SELECT 3;\n@d after b: SELECT 4;",
			steps: []schedStep{
				{op: "next", want: []string{"a"}},
				{op: "fail", unit: "a", skipped: []string{"b", "d"}},
				{op: "next", want: []string{"c"}},
				{op: "ok", unit: "c"},
			},
		},
		{
			name: "a stage skipped whole opens the one after it",
			src:  "-- stage: one\n@a: SELECT 1;\n-- stage: two\n@b after a: SELECT 2;\n-- stage: three\n@c: SELECT 3;",
			steps: []schedStep{
				{op: "next", want: []string{"a"}},
				{op: "fail", unit: "a", skipped: []string{"b"}},
				{op: "next", want: []string{"c"}},
				{op: "ok", unit: "c"},
			},
		},
		{
			name: "dependency on an earlier stage",
			src:  "-- stage: one\n@a: SELECT 1;\n@b: SELECT 2;\n-- stage: two\n@c after a: SELECT 3;\n@d: SELECT 4;",
			steps: []schedStep{
				{op: "next", want: []string{"a", "b"}},
				{op: "ok", unit: "a"}, {op: "ok", unit: "b"},
				{op: "next", want: []string{"c", "d"}},
				{op: "ok", unit: "c"}, {op: "ok", unit: "d"},
			},
		},
		{
			name: "sequential plan in file order",
			src:  "@a: SELECT 1;\n@b after a: SELECT 2;\n@c: SELECT 3;",
			steps: []schedStep{
				{op: "next", want: []string{"a", "c"}},
				{op: "ok", unit: "a"},
				{op: "next", want: []string{"b"}},
				{op: "ok", unit: "b"}, {op: "ok", unit: "c"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustBuild(t, tt.src, tt.opts)
			s := NewScheduler(p)
			for i, st := range tt.steps {
				switch st.op {
				case "next":
					var got []string
					for u, ok := s.Next(); ok; u, ok = s.Next() {
						got = append(got, p.Units[u].Name())
					}
					if !slices.Equal(got, st.want) {
						t.Fatalf("schedStep %d: Next handed out %q, want %q", i, got, st.want)
					}
				case "ok", "fail":
					u := byName(t, p, st.unit)
					skips := s.Finish(u, st.op == "ok")
					var got []string
					for _, sk := range skips {
						got = append(got, p.Units[sk.Unit].Name())
						if sk.Cause != u {
							t.Errorf("schedStep %d: skip of %s: got cause %d, want %d", i, p.Units[sk.Unit].Name(), sk.Cause, u)
						}
					}
					if !slices.Equal(got, st.skipped) {
						t.Fatalf("schedStep %d: Finish(%s) skipped %q, want %q", i, st.unit, got, st.skipped)
					}
				default:
					t.Fatalf("schedStep %d: unknown op %q", i, st.op)
				}
			}
			if got := s.Remaining(); got != 0 {
				t.Errorf("Remaining at the end: got %d, want 0", got)
			}
			if got := s.Running(); got != 0 {
				t.Errorf("Running at the end: got %d, want 0", got)
			}
			if u, ok := s.Next(); ok {
				t.Errorf("Next at the end: got unit %d, want none", u)
			}
		})
	}
}

func TestSchedulerCounters(t *testing.T) {
	p := mustBuild(t, "@a: SELECT 1;\n@b after a: SELECT 2;\n@c: SELECT 3;\n@d after c: SELECT 4;\n@e: SELECT 5;", Options{})
	s := NewScheduler(p)
	check := func(when string, remaining, running int, unstarted []string) {
		t.Helper()
		if got := s.Remaining(); got != remaining {
			t.Errorf("%s: Remaining: got %d, want %d", when, got, remaining)
		}
		if got := s.Running(); got != running {
			t.Errorf("%s: Running: got %d, want %d", when, got, running)
		}
		if got := unitNames(p, s.Unstarted()); !slices.Equal(got, unstarted) {
			t.Errorf("%s: Unstarted: got %q, want %q", when, got, unstarted)
		}
	}
	check("at start", 5, 0, []string{"a", "b", "c", "d", "e"})
	a, _ := s.Next()
	c, _ := s.Next()
	check("after two Next", 5, 2, []string{"b", "d", "e"})
	s.Finish(a, false)
	check("after a failed", 3, 1, []string{"d", "e"})
	s.Finish(c, true)
	check("after c finished", 2, 0, []string{"d", "e"})
	d, _ := s.Next()
	check("after d started", 2, 1, []string{"e"})
	s.Finish(d, true)
	e, _ := s.Next()
	s.Finish(e, true)
	check("at the end", 0, 0, []string{})
}

func TestSchedulerFinishPanics(t *testing.T) {
	p := mustBuild(t, "@a: SELECT 1;\n@b: SELECT 2;", Options{})
	tests := []struct {
		name string
		run  func(s *Scheduler)
	}{
		{"not started", func(s *Scheduler) { s.Finish(1, true) }},
		{"finished twice", func(s *Scheduler) {
			u, _ := s.Next()
			s.Finish(u, true)
			s.Finish(u, true)
		}},
		{"out of range", func(s *Scheduler) { s.Finish(7, true) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, ok := r.(string); !ok || !strings.Contains(msg, "not running") {
					t.Errorf("got panic %v, want one saying the unit is not running", r)
				}
			}()
			tt.run(NewScheduler(p))
		})
	}
}

func TestSchedulerEmptyPlan(t *testing.T) {
	s := NewScheduler(mustBuild(t, "", Options{}))
	if u, ok := s.Next(); ok {
		t.Errorf("Next: got unit %d, want none", u)
	}
	if got := s.Remaining(); got != 0 {
		t.Errorf("Remaining: got %d, want 0", got)
	}
}
