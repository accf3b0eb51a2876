package runner

import (
	"context"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/result"
)

// Behind 30 ms of latency a round trip per statement costs 30 ms each; --pipeline sends
// the statements of a sequential run and of a transaction block ahead, so the run costs
// about one round trip. Statements in a pipeline are timed completion to completion:
// each starts where the one before ended. Generous ratios only.
func TestPipelineOverlapsRoundTrips(t *testing.T) {
	t.Parallel()
	px, u := proxied(t, pgtest.NewDatabase(t))
	var srcs []src
	for range 8 {
		srcs = append(srcs, src{sql: "SELECT 1;"})
	}
	srcs = append(srcs, src{sql: "BEGIN;"})
	for range 6 {
		srcs = append(srcs, src{sql: "SELECT 2;"})
	}
	srcs = append(srcs, src{sql: "SELECT 1/0;"}, src{sql: "SELECT 3;"}, src{sql: "COMMIT;"})
	p := buildPlan(t, false, srcs...)
	wall := map[bool]float64{}
	outcomes := map[bool]string{}
	for _, pipe := range []bool{false, true} {
		for _, proto := range []Protocol{ProtocolExtended, ProtocolPrepared} {
			tg := connect(t, u, Config{}, Options{Protocol: proto, Pipeline: pipe})
			px.Add(t, "lat", "latency", "downstream", `{"latency":30}`)
			r := run(t, tg, p)
			px.Remove(t, "lat")
			var b string
			for i, q := range r.Queries {
				b += protoOutcome(p.Units[i], q)
			}
			if prev, ok := outcomes[pipe]; ok && prev != b {
				t.Errorf("pipeline %v: extended and prepared differ:\n%s\n%s", pipe, prev, b)
			}
			outcomes[pipe] = b
			if proto == ProtocolPrepared {
				continue
			}
			wall[pipe] = r.WallMs
			if !pipe {
				continue
			}
			for i := 1; i < 8; i++ {
				if r.Queries[i].StartMs != r.Queries[i-1].EndMs {
					t.Errorf("statement %d starts at %.3f ms, the one before ended at %.3f ms: want completion to completion", i+1, r.Queries[i].StartMs, r.Queries[i-1].EndMs)
				}
			}
			blk := r.Queries[8]
			if blk.Status != result.StatusError || len(blk.Statements) != 10 {
				t.Fatalf("block: %s with %d statements", blk.Status, len(blk.Statements))
			}
			if st := blk.Statements[8]; st.Status != result.StatusError || st.Error.SQLState != "25P02" {
				t.Errorf("the statement after the failure: %s %+v, want 25P02 as psql gets it", st.Status, st.Error)
			}
			if st := blk.Statements[9]; st.Command != "ROLLBACK" {
				t.Errorf("COMMIT of the failed block: %q, want ROLLBACK", st.Command)
			}
		}
	}
	if outcomes[false] != outcomes[true] {
		t.Errorf("--pipeline changed outcomes:\n%s\nwant:\n%s", outcomes[true], outcomes[false])
	}
	t.Logf("behind 30 ms of latency: %.0f ms without --pipeline, %.0f ms with", wall[false], wall[true])
	// 18 round trips of at least 30 ms without, about 2 (the run and the block) with.
	if wall[false] < 18*30 {
		t.Errorf("without --pipeline: %.0f ms, want at least 18 round trips of 30 ms", wall[false])
	}
	if wall[true] > wall[false]/3 {
		t.Errorf("with --pipeline: %.0f ms against %.0f ms without: the round trips do not overlap", wall[true], wall[false])
	}
}

// An interrupt stops a pipeline: the statements already sent after the cancelled one do
// not run on (the connection is closed), and are reported cancelled.
func TestPipelineStopsOnInterrupt(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	exec(t, admin(t, url), "CREATE TABLE t (n int)")
	var srcs []src
	for range 10 {
		srcs = append(srcs, src{sql: "INSERT INTO t SELECT 1 FROM pg_sleep(0.1);"})
	}
	p := buildPlan(t, false, srcs...)
	tg := connect(t, url, Config{}, Options{Protocol: ProtocolExtended, Pipeline: true})
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	r, err := tg.Run(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Interrupted || r.Queries[9].Status != result.StatusCancelled {
		t.Fatalf("interrupted %v, statuses %s: want the last ones cancelled", r.Interrupted, statuses(r))
	}
	time.Sleep(time.Second) // what the server would still run, had it the chance
	n := scalar[int64](t, url, "SELECT count(*) FROM t")
	t.Logf("%d of 10 inserts ran; statuses %s", n, statuses(r))
	if n > 5 {
		t.Errorf("%d of 10 inserts ran after an interrupt at about the third: the pipeline ran on", n)
	}
}

// A connection lost mid-pipeline fails the statement it was reading and ends the
// sequential run, as without --pipeline (no --reconnect): nothing hangs, nothing after it
// is reported ok, and the next run gets a fresh connection.
func TestPipelineLostConnection(t *testing.T) {
	t.Parallel()
	px, u := proxied(t, pgtest.NewDatabase(t))
	tg := connect(t, u, Config{}, Options{Protocol: ProtocolExtended, Pipeline: true})
	var srcs []src
	for range 5 {
		srcs = append(srcs, src{sql: "SELECT pg_sleep(0.05);"})
	}
	p := buildPlan(t, false, srcs...)
	px.Add(t, "reset", "reset_peer", "downstream", `{"timeout":0}`)
	start := time.Now()
	r := run(t, tg, p)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s, want the reset noticed at once", d)
	}
	for i, q := range r.Queries {
		if q.Status == result.StatusOK {
			t.Errorf("statement %d ok after the connection was reset: %s", i+1, statuses(r))
		}
	}
	if q := r.Queries[0]; q.Status != result.StatusError || q.Error == nil {
		t.Errorf("the first: %s %+v, want the lost connection's error", q.Status, q.Error)
	}
	px.Remove(t, "reset")
	if r := run(t, tg, p); statuses(r) != "ok ok ok ok ok" {
		t.Errorf("after the reset: %s, want ok", statuses(r))
	}
}
