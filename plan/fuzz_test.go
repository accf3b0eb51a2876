package plan

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/queries"
)

// fuzzScript turns bytes into a small script, loaded through queries.Parse: per
// statement one byte chooses its SQL, whether a stage line precedes it, whether it is
// named, and how many "-- after:" names it has; each name takes one more byte and may be
// unknown.
func fuzzScript(t testing.TB, data []byte) *queries.Script {
	var b strings.Builder
	if len(data) > 0 {
		n := 1 + int(data[0])%12
		data = data[1:]
		take := func() byte {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return b
		}
		sqls := []string{"SELECT 1;", "BEGIN;", "COMMIT;", "SET x = 1;", "ROLLBACK;", "COMMIT AND CHAIN;", "VACUUM;", "BEGIN \\; SELECT 1;"}
		stage := 0
		for i := range n {
			c := take()
			if c&0x40 != 0 {
				stage++
				fmt.Fprintf(&b, "-- stage: stage%d\n", stage)
			}
			if c&0x80 != 0 {
				fmt.Fprintf(&b, "-- name: s%d\n", i)
			}
			var after []string
			for range (c >> 3) & 3 {
				after = append(after, fmt.Sprint("s", int(take())%(n+2)))
			}
			if len(after) > 0 {
				fmt.Fprintf(&b, "-- after: %s\n", strings.Join(after, ", "))
			}
			b.WriteString(sqls[int(c)%len(sqls)] + "\n")
		}
	}
	sc, err := queries.Parse("f.sql", []byte(b.String()), queries.Options{})
	if err != nil {
		t.Fatalf("Parse of the fuzz script: %v\n%s", err, b.String())
	}
	return sc
}

func FuzzBuild(f *testing.F) {
	f.Add([]byte{}, byte(0), []byte{})
	f.Add([]byte{3, 0x80, 0x88, 0, 0x88, 1}, byte(1), []byte{1, 0, 1})                // chain s0 <- s1 <- s2
	f.Add([]byte{2, 0x88, 1, 0x88, 0}, byte(1), []byte{1})                            // cycle
	f.Add([]byte{4, 0x81, 0x80, 0x82, 0xc8, 0}, byte(3), []byte{0, 1})                // block, stage
	f.Add([]byte{5, 0x80, 0xd8, 0, 0, 0x80, 0xc0, 0x88, 1}, byte(2), []byte{0, 0, 0}) // stages, deps
	f.Fuzz(func(t *testing.T, graph []byte, mode byte, outcomes []byte) {
		sc := fuzzScript(t, graph)
		stmts := sc.Statements
		opts := Options{Parallel: mode&1 != 0, Rollback: mode&2 != 0}
		p, err := Build(sc, opts)
		if err != nil {
			var list queries.ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("Build: got error %v (%T), want a non-empty queries.ErrorList", err, err)
			}
			return
		}
		checkPlan(t, p, stmts, opts)
		simulate(t, p, 1+int(mode>>2)%4, outcomes)
	})
}

// checkPlan checks the invariants of a built plan.
func checkPlan(t *testing.T, p *Plan, stmts []*queries.Statement, opts Options) {
	t.Helper()
	var flat []*queries.Statement
	for i, u := range p.Units {
		if int(u.Index) != i {
			t.Fatalf("unit %d has Index %d", i, u.Index)
		}
		if i > 0 && u.Stage < p.Units[i-1].Stage {
			t.Fatalf("unit %d: stage %d after stage %d", i, u.Stage, p.Units[i-1].Stage)
		}
		for _, d := range u.After() {
			if d == i || d < 0 || d >= len(p.Units) {
				t.Fatalf("unit %d depends on %d", i, d)
			}
			if p.Units[d].Stage > u.Stage {
				t.Fatalf("unit %d (stage %d) depends on unit %d of a later stage %d", i, u.Stage, d, p.Units[d].Stage)
			}
			if !opts.Parallel && d > i {
				t.Fatalf("sequential unit %d depends on later unit %d", i, d)
			}
		}
		flat = append(flat, u.Statements...)
	}
	if len(flat) != len(stmts) {
		t.Fatalf("units hold %d statements, want %d", len(flat), len(stmts))
	}
	for i := range flat {
		if flat[i] != stmts[i] {
			t.Fatalf("statement %d is out of order in the units", i)
		}
	}
}

// simulate runs p through a Scheduler with the given number of workers, failing units
// as outcomes say, and checks that it terminates and respects every edge and stage.
func simulate(t *testing.T, p *Plan, workers int, outcomes []byte) {
	t.Helper()
	const (
		waiting = iota
		running
		succeeded
		failed
		skipped
	)
	state := make([]int, len(p.Units))
	s := NewScheduler(p)
	var run []int
	for step := 0; s.Remaining() > 0; step++ {
		if step > 2*len(p.Units)+1 {
			t.Fatalf("no progress after %d steps: %d remaining", step, s.Remaining())
		}
		for len(run) < workers {
			u, ok := s.Next()
			if !ok {
				break
			}
			if state[u] != waiting {
				t.Fatalf("unit %d handed out in state %d", u, state[u])
			}
			for _, d := range p.Units[u].After() {
				if state[d] != succeeded {
					t.Fatalf("unit %d started before its dependency %d succeeded (state %d)", u, d, state[d])
				}
			}
			for v := range u {
				if p.Units[v].Stage < p.Units[u].Stage && (state[v] == waiting || state[v] == running) {
					t.Fatalf("unit %d of stage %d started before unit %d of stage %d ended", u, p.Units[u].Stage, v, p.Units[v].Stage)
				}
			}
			state[u] = running
			run = append(run, u)
		}
		if len(run) == 0 {
			t.Fatalf("deadlock: nothing running, nothing ready, %d remaining", s.Remaining())
		}
		if got := s.Running(); got != len(run) {
			t.Fatalf("Running: got %d, want %d", got, len(run))
		}
		pick, ok := 0, true
		if step < len(outcomes) {
			pick = int(outcomes[step]>>3) % len(run)
			ok = outcomes[step]&7 != 0
		}
		u := run[pick]
		run = append(run[:pick], run[pick+1:]...)
		state[u] = failed
		if ok {
			state[u] = succeeded
		}
		for _, sk := range s.Finish(u, ok) {
			if ok || sk.Cause != u || state[sk.Unit] != waiting {
				t.Fatalf("Finish(%d, %v) skipped %d (cause %d, state %d)", u, ok, sk.Unit, sk.Cause, state[sk.Unit])
			}
			state[sk.Unit] = skipped
		}
	}
	for u, st := range state {
		if st == waiting || st == running {
			t.Fatalf("unit %d never ended (state %d)", u, st)
		}
		if st == skipped {
			continue
		}
		// A unit that ran had every dependency succeed; one skipped had one fail.
		for _, d := range p.Units[u].After() {
			if state[d] != succeeded {
				t.Fatalf("unit %d ran although dependency %d ended in state %d", u, d, state[d])
			}
		}
	}
	if got := s.Unstarted(); len(got) != 0 {
		t.Fatalf("Unstarted at the end: got %v, want none", got)
	}
}

// FuzzClassify classifies the commands of any text, lexed with
// standard_conforming_strings on and off, and checks that the first words Build reads of
// a command (two, then queries.HeadWords, then all, as classifyCut asks) classify it as
// all of its words do.
func FuzzClassify(f *testing.F) {
	for _, seed := range []string{
		"BEGIN;", "commit and chain", "/* a /* b */ */ END", "-- x\nROLLBACK TO s",
		"SET x = 'a''b'", `SELECT E'\'';`, `SELECT "a""b"`, "DO $t$ ; $t$; COMMIT;",
		"SELECT $1; SELECT 2", "CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; END; COMMIT;",
		"REINDEX (CONCURRENTLY", "CLUSTER (", "SELECT set_config(", "set_config",
		"SELECT 'a\\'; COMMIT; SELECT 1';", "ALTER SUBSCRIPTION s SET PUBLICATION a, b, c, d, e, f WITH (refresh = true)",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		for _, scs := range []bool{true, false} {
			all := queries.LexCommands(sql, scs, 0)
			for _, n := range []int{2, queries.HeadWords} {
				head := queries.LexCommands(sql, scs, n)
				if len(all) != len(head) {
					t.Fatalf("%q: %d commands with all words, %d with %d", sql, len(all), len(head), n)
				}
				for i, w := range head {
					got, short := classifyCut(w, len(w) == n)
					if short {
						continue
					}
					if want := classify(all[i]); got != want {
						t.Fatalf("%q, command %d: first words %q classify as %+v, all words as %+v", sql, i, w, got, want)
					}
				}
			}
		}
	})
}
