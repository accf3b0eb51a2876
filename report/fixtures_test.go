package report

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/qrunhq/qrun/result"
)

// The fixtures are hand-made reports with fixed times, one per shape a report takes, so
// that every format's golden file is deterministic.

var started = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

func ctx(target string) result.Context {
	return result.Context{QrunVersion: "v0.1.0", ServerVersion: "17.2", Target: target, Host: "localhost",
		Port: 5432, Database: "lunch", User: "chef", StartedAt: started, Files: []string{"examples/lunch.sql"}}
}

func q(name string, line int, stage string, startMs, endMs float64, rows int64) result.Query {
	return result.Query{Name: name, ID: name, File: "examples/lunch.sql", Line: line, Col: 1,
		SQL: "SELECT pg_sleep(" + fmt.Sprint((endMs-startMs)/1000) + ")", Stage: stage, Status: result.StatusOK,
		WallMs: endMs - startMs, Rows: rows, Command: "SELECT 1", StartMs: startMs, EndMs: endMs, Attempts: 1, Conn: 1}
}

// singleRun is examples/lunch_dag.sql run once in parallel.
func singleRun() *result.Report {
	boil := q("boil_water", 2, "", 0.4, 501.2, 1)
	salad := q("prepare_salad", 5, "", 0.5, 1002.9, 1)
	salad.Conn = 2
	spaghetti := q("cook_spaghetti", 9, "", 501.6, 1203.4, 1)
	spaghetti.After = []string{"boil_water"}
	sauce := q("cook_sauce", 13, "", 0.6, 401.1, 1)
	sauce.Conn = 3
	qs := []result.Query{boil, salad, spaghetti, sauce}
	return &result.Report{SchemaVersion: result.SchemaVersion, Context: ctx("chef@localhost:5432/lunch"),
		Mode: "parallel", Concurrency: 4, Runs: 1, ConnectMs: 12.345, TotalWallMs: 1204.1, SumMs: 2603.1,
		Speedup: 2603.1 / 1204.1, CriticalPath: []string{"boil_water", "cook_spaghetti"}, CriticalPathMs: 1202.6,
		Efficiency: 1202.6 / 1204.1, Summary: result.Counts{OK: 4}, Queries: qs}
}

// samples returns n run times around median with a fixed spread.
func samples(n int, median float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = median + float64((i*7)%n-n/2)*median/200
	}
	return out
}

func statsOf(runs []float64, errs int) *result.Stats {
	lo, hi, sum := runs[0], runs[0], 0.0
	for _, v := range runs {
		lo, hi, sum = min(lo, v), max(hi, v), sum+v
	}
	mean := sum / float64(len(runs))
	return &result.Stats{N: len(runs), MinMs: lo, P50Ms: mean, P90Ms: hi - (hi-lo)/10, P95Ms: hi - (hi-lo)/20,
		P99Ms: hi - (hi-lo)/100, MaxMs: hi, MeanMs: mean, StddevMs: (hi - lo) / 4, Errors: errs}
}

// repeatedRuns is the lunch run 10 times after 2 warmups, in two stages.
func repeatedRuns() *result.Report {
	r := singleRun()
	r.Runs, r.Warmup = 10, 2
	r.Queries[0].Stage, r.Queries[1].Stage = "first course", "first course"
	r.Queries[2].Stage, r.Queries[3].Stage = "second course", "second course"
	r.Queries[2].StageIndex, r.Queries[3].StageIndex = 1, 1
	r.Queries[2].After = nil
	r.Queries[2].StartMs, r.Queries[2].EndMs = 1003.5, 1705.0
	r.Queries[3].StartMs, r.Queries[3].EndMs = 1003.6, 1404.2
	for i := range r.Queries {
		qq := &r.Queries[i]
		qq.RunsMs = samples(10, qq.WallMs)
		qq.Stats = statsOf(qq.RunsMs, 0)
	}
	// cook_sauce failed in its fourth run: its statistics are over the other nine.
	sauce := &r.Queries[3]
	sauce.RunsStatus = make([]result.Status, len(sauce.RunsMs))
	for i := range sauce.RunsStatus {
		sauce.RunsStatus[i] = result.StatusOK
	}
	sauce.RunsStatus[3] = result.StatusError
	sauce.Stats = statsOf(append(slices.Clone(sauce.RunsMs[:3]), sauce.RunsMs[4:]...), 1)
	r.TotalRunsMs = samples(10, 1706)
	r.TotalStats = statsOf(r.TotalRunsMs, 0)
	r.TotalWallMs = 1706
	r.Speedup = r.SumMs / r.TotalWallMs
	r.CriticalPath = []string{"prepare_salad", "cook_spaghetti"}
	r.CriticalPathMs = 1704.3
	r.Efficiency = 1704.3 / 1706
	r.Warnings = []string{"the first run was 3.1× slower than the median of the others: cold cache? Try --warmup"}
	return r
}

// dryRun is a plan: two stages, a dependency, a transaction block.
func dryRun() *result.Report {
	r := &result.Report{SchemaVersion: result.SchemaVersion, Context: result.Context{QrunVersion: "v0.1.0",
		StartedAt: started, Files: []string{"examples/lunch_stages.sql"}}, Mode: "dry-run", Concurrency: 4, Runs: 1}
	add := func(name string, line int, stage string, after ...string) {
		si := 0
		if n := len(r.Queries); n > 0 {
			si = r.Queries[n-1].StageIndex
			if r.Queries[n-1].Stage != stage {
				si++
			}
		}
		r.Queries = append(r.Queries, result.Query{Name: name, File: "examples/lunch_stages.sql", Line: line, Col: 1,
			SQL: "SELECT pg_sleep(0.1)", Stage: stage, StageIndex: si, After: after, Status: result.StatusPlanned})
	}
	add("boil_water", 3, "prep")
	add("prepare_salad", 6, "prep")
	add("cook_spaghetti", 10, "cook", "boil_water")
	add("cook_sauce", 13, "cook")
	add("serve", 16, "serve")
	r.Queries[4].Statements = []result.Query{
		{Name: "serve", File: "examples/lunch_stages.sql", Line: 17, Col: 1, SQL: "BEGIN", Status: result.StatusPlanned},
		{Name: "serve:18", File: "examples/lunch_stages.sql", Line: 18, Col: 1, SQL: "INSERT INTO plates VALUES (1)", Status: result.StatusPlanned},
		{Name: "serve:19", File: "examples/lunch_stages.sql", Line: 19, Col: 1, SQL: "COMMIT", Status: result.StatusPlanned},
	}
	return r
}

// failures has an error, a timeout, skips, a unit not run, a transaction block that
// failed inside, waits for a connection, and names that need escaping.
func failures() *result.Report {
	ok1 := q("create_pot", 1, "", 0.3, 20.4, 0)
	ok1.Command = "CREATE TABLE"
	bad := q("fill_pot", 4, "", 20.9, 22.3, 0)
	bad.Status = result.StatusError
	bad.Error = &result.Error{SQLState: "42P01", Message: `relation "pan" does not exist`, Position: "examples/broken.sql:4:13",
		Hint: "Did you mean \"pot\"?"}
	skip := result.Query{Name: "boil_water", File: "examples/broken.sql", Line: 7, Col: 1, SQL: "SELECT 1", After: []string{"fill_pot"},
		Status: result.StatusSkipped, Reason: "fill_pot failed"}
	skip2 := result.Query{Name: "cook_spaghetti", File: "examples/broken.sql", Line: 10, Col: 1, SQL: "SELECT 1", After: []string{"boil_water"},
		Status: result.StatusSkipped, Reason: "boil_water was skipped"}
	slow := q("slow | <heavy> & \"big\"", 13, "", 20.5, 520.7, 0)
	slow.Status = result.StatusTimeout
	slow.Error = &result.Error{SQLState: "57014", Message: "canceling statement due to statement timeout"}
	slow.Conn = 2
	tx := q("transfer", 16, "", 22.5, 48.9, 0)
	tx.WaitMs = 1.6
	tx.StartMs = 24.1
	tx.WallMs = 24.8
	tx.Status = result.StatusError
	tx.Statements = []result.Query{
		{Name: "transfer", File: "examples/broken.sql", Line: 16, Col: 1, SQL: "BEGIN", Status: result.StatusOK, WallMs: 0.2, StartMs: 24.1, EndMs: 24.3, Command: "BEGIN"},
		{Name: "examples/broken.sql:17", File: "examples/broken.sql", Line: 17, Col: 1, SQL: "UPDATE pot SET water = water - 1", Status: result.StatusOK, WallMs: 3.1, StartMs: 24.3, EndMs: 27.4, Rows: 1, Command: "UPDATE 1"},
		{Name: "examples/broken.sql:18", File: "examples/broken.sql", Line: 18, Col: 1, SQL: "UPDATE pot SET water = 1/0", Status: result.StatusError, WallMs: 21.5, StartMs: 27.4, EndMs: 48.9,
			Error: &result.Error{SQLState: "22012", Message: "division by zero", Position: "examples/broken.sql:18:27"}},
	}
	late := q("examples/broken.sql:25", 25, "", 49.5, 60.2, 3)
	late.ID = "broken.sql fp:50fde20626009aba"
	late.WaitMs = 28.7
	late.StartMs = 49.5
	notRun := result.Query{Name: "dessert", File: "examples/broken.sql", Line: 28, Col: 1, SQL: "SELECT 2", Status: result.StatusNotRun, Reason: "interrupted"}
	for _, p := range []*result.Query{&ok1, &bad, &slow, &tx, &late} {
		p.File = "examples/broken.sql"
	}
	qs := []result.Query{ok1, bad, skip, skip2, slow, tx, late, notRun}
	return &result.Report{SchemaVersion: result.SchemaVersion, Context: ctx("chef@localhost:5432/lunch"),
		Mode: "parallel", Concurrency: 2, Runs: 1, ConnectMs: 3.2, TotalWallMs: 520.9, SumMs: 580.2, Speedup: 580.2 / 520.9,
		Summary: result.Counts{OK: 2, Error: 2, Timeout: 1, Skipped: 2, NotRun: 1}, Interrupted: true,
		Warnings: []string{"SET on line 30 affects only the connection it runs on; use --setup or a transaction block"},
		Queries:  qs}
}

// twoTargets is the lunch on two servers, 5 runs each, compared.
func twoTargets() *result.Report {
	a := repeatedRuns()
	a.Warnings = nil
	a.Context = ctx("chef@pg16:5432/lunch")
	b := repeatedRuns()
	b.Warnings = nil
	b.Context = ctx("chef@pg17:5432/lunch")
	b.Context.ServerVersion = "17.4"
	b.Queries[1].WallMs = 1502.9
	b.Queries[1].EndMs = 1503.4
	b.Queries[1].RunsMs = samples(10, 1502.9)
	b.Queries[1].Stats = statsOf(b.Queries[1].RunsMs, 0)
	b.Queries[3].Status = result.StatusError
	b.Queries[3].Error = &result.Error{SQLState: "53100", Message: "could not extend file: No space left on device"}
	b.Summary = result.Counts{OK: 3, Error: 1}
	cmp := result.Comparison{Base: a.Context.Target, New: b.Context.Target, Alpha: 0.05, Rows: []result.ComparisonRow{
		{Name: "boil_water", BaseMs: 500.8, NewMs: 500.8, BaseN: 10, NewN: 10, DeltaPct: 0, Ratio: 1, P: 0.97, Verdict: result.VerdictSame},
		{Name: "prepare_salad", BaseMs: 1002.4, NewMs: 1502.9, BaseN: 10, NewN: 10, DeltaPct: 49.93, Ratio: 1.4993, P: 0.00018, Verdict: result.VerdictSlower},
		{Name: "cook_spaghetti", BaseMs: 701.5, NewMs: 690.1, BaseN: 10, NewN: 10, DeltaPct: -1.63, Ratio: 0.9837, P: 0.21, Verdict: result.VerdictSame},
		{Name: "cook_sauce", BaseMs: 400.6, NewMs: 400.6, BaseN: 10, NewN: 9, DeltaPct: 0, Ratio: 1, P: 1, Verdict: result.VerdictSame, Note: "1 error"},
	}, Total: &result.ComparisonRow{Name: "total", BaseMs: 1706, NewMs: 2205.3, BaseN: 10, NewN: 10, DeltaPct: 29.27, Ratio: 1.2927, P: 0.00018, Verdict: result.VerdictSlower}}
	return &result.Report{SchemaVersion: result.SchemaVersion, Context: result.Context{QrunVersion: "v0.1.0", StartedAt: started},
		Mode: "parallel", Concurrency: 4, Runs: 10, Warmup: 2, Targets: []result.Report{*a, *b}, Comparison: []result.Comparison{cmp},
		Warnings: []string{"targets run different server versions: 17.2, 17.4"}}
}

// baselineCmp compares a new run of the lunch with a saved baseline and gates at 10%.
func baselineCmp() *result.Report {
	r := repeatedRuns()
	r.Warnings = nil
	c := comparisons()[0]
	c.Rows = slices.DeleteFunc(c.Rows, func(row result.ComparisonRow) bool { return row.Verdict == result.VerdictFailedNew })
	c.Failures = 0 // every statement of this run is ok
	r.Comparison = []result.Comparison{c}
	return r
}

// comparisons is qrun compare base.json new.json --threshold 10%.
func comparisons() []result.Comparison {
	return []result.Comparison{{Base: "base.json", New: "new.json", ThresholdPct: 10, Alpha: 0.05, Regressions: 1,
		Rows: []result.ComparisonRow{
			{Name: "boil_water", BaseMs: 500.8, NewMs: 503.1, BaseN: 10, NewN: 10, DeltaPct: 0.46, Ratio: 1.0046, P: 0.62, Verdict: result.VerdictSame},
			{Name: "prepare_salad", BaseMs: 1002.4, NewMs: 2004.9, BaseN: 10, NewN: 10, DeltaPct: 100.01, Ratio: 2.0001, P: 0.00018, Verdict: result.VerdictSlower, Regression: true},
			{Name: "cook_spaghetti", BaseMs: 701.5, NewMs: 760.0, BaseN: 10, NewN: 10, DeltaPct: 8.34, Ratio: 1.0834, P: 0.003, Verdict: result.VerdictSlower,
				ChangedSQL: true, Note: "changed SQL"},
			{Name: "cook_sauce", BaseMs: 400.6, NewMs: 300.2, BaseN: 10, NewN: 10, DeltaPct: -25.06, Ratio: 0.7494, P: 0.00018, Verdict: result.VerdictFaster},
			{Name: "set_table", BaseMs: 0.85, NewMs: 0.9, BaseN: 2, NewN: 2, DeltaPct: 5.88, Ratio: 1.0588, P: 1, Verdict: result.VerdictSame, Note: "too few samples"},
			{Name: "wash_up", BaseMs: 30.2, NewMs: 0.41, BaseN: 10, NewN: 7, P: 1, Verdict: result.VerdictFailedNew, Note: "error in 3 of 10 runs"},
			{Name: "examples/lunch.sql:30", ID: "lunch.sql fp:50fde20626009aba #2", BaseName: "examples/lunch.sql:31", BaseMs: 0.2, NewMs: 0.21, BaseN: 10, NewN: 10,
				DeltaPct: 5, Ratio: 1.05, P: 0.4, Verdict: result.VerdictSame, Ambiguous: true,
				Note: "ambiguous (3 like it in base, 2 in new): not gated"},
			{Name: "dessert", NewMs: 120.3, NewN: 10, P: 1, Verdict: result.VerdictAdded},
			{Name: "coffee", BaseMs: 45.2, BaseN: 10, P: 1, Verdict: result.VerdictGone},
		},
		Failures: 1, Ambiguous: 1,
		Total: &result.ComparisonRow{Name: "total", BaseMs: 1706, NewMs: 2706.3, BaseN: 10, NewN: 10, DeltaPct: 58.63, Ratio: 1.5863, P: 0.00018, Verdict: result.VerdictSlower}}}
}

// connects is a sequential run whose \connect lines move it to another database, then
// fail to reach a third.
func connects() *result.Report {
	menu := q("menu", 1, "", 0.3, 2.1, 3)
	stock := q("stock", 4, "", 2.3, 5.2, 12)
	stock.Target = "chef@localhost:5432/pantry"
	count := q("count", 6, "", 5.4, 6.0, 1)
	count.Target = "chef@localhost:5432/pantry"
	lost := result.Query{Name: "examples/lunch.sql:9", File: "examples/lunch.sql", Line: 9, Col: 1, SQL: "SELECT 1", Status: result.StatusError,
		StartMs: 6.1, EndMs: 6.1, Conn: 1,
		Error: &result.Error{Message: `\connect: cannot connect to localhost:5432: database "cellar" does not exist (SQLSTATE 3D000)`, Position: "examples/lunch.sql:8:1"}}
	last := result.Query{Name: "dessert", File: "examples/lunch.sql", Line: 11, Col: 1, SQL: "SELECT 2", Status: result.StatusNotRun,
		Reason: `stopped after \connect at examples/lunch.sql:8:1 failed`}
	qs := []result.Query{menu, stock, count, lost, last}
	return &result.Report{SchemaVersion: result.SchemaVersion, Context: ctx("chef@localhost:5432/lunch"),
		Mode: "sequential", Concurrency: 1, Runs: 1, ConnectMs: 2.5, TotalWallMs: 6.1, SumMs: 5.6, Speedup: 5.6 / 6.1,
		Summary: result.Counts{OK: 3, Error: 1, NotRun: 1}, Queries: qs}
}

// flaky is a data load run three times, whose second and third runs hit duplicate keys,
// with a statement that never succeeds, and a fourth run cut short by Ctrl-C: made by
// result.Aggregate from the runs, as qrun makes it.
func flaky() *result.Report {
	// Times are binary fractions, so that equal samples are equal.
	mk := func(loadOK bool, loadMs float64) result.Run {
		load := q("load", 2, "", 0.25, 0.25+loadMs, 1000)
		if !loadOK {
			load.Status = result.StatusError
			load.Rows = 0
			load.Error = &result.Error{SQLState: "23505", Message: `duplicate key value violates unique constraint "items_pkey"`, Position: "examples/load.sql:2:1"}
		}
		bad := q("broken", 5, "", load.EndMs, load.EndMs+0.875, 0)
		bad.Status = result.StatusError
		bad.Error = &result.Error{SQLState: "42703", Message: `column "nme" does not exist`, Position: "examples/load.sql:5:8"}
		count := q("count", 8, "", bad.EndMs, bad.EndMs+3.125, 1)
		count.WallMs = 3.125
		return result.Run{WallMs: count.EndMs + 0.25, Queries: []result.Query{load, bad, count}}
	}
	partial := mk(true, 2.25)
	partial.Queries[0].Status = result.StatusCancelled
	partial.Queries[0].Error = nil
	partial.Queries[1].Status, partial.Queries[1].Error, partial.Queries[1].Reason = result.StatusNotRun, nil, "interrupted"
	partial.Queries[2].Status, partial.Queries[2].Reason = result.StatusNotRun, "interrupted"
	partial.Interrupted = true
	base := result.Report{Context: ctx("chef@localhost:5432/lunch"), Mode: "sequential", Concurrency: 1, Warmup: 0, ConnectMs: 4.1}
	base.Context.Files = []string{"examples/load.sql"}
	r := result.Aggregate(base, []result.Run{mk(true, 6000), mk(false, 2.5), mk(false, 2.375), partial})
	for i := range r.Queries {
		r.Queries[i].File = "examples/load.sql"
	}
	return &r
}

// scanned is the lunch under --parallel --scan c=1,2,4: three targets, each with its
// combination, the run's wall time falling as c grows and the statements' own times
// rising a little.
func scanned() *result.Report {
	var ts []result.Report
	for i, c := range []int{1, 2, 4} {
		t := repeatedRuns()
		t.Warnings = nil
		t.Context = ctx("chef@pg16:5432/lunch c=" + strconv.Itoa(c))
		t.Context.Scan = map[string]string{"c": strconv.Itoa(c)}
		t.Concurrency = c
		t.TotalWallMs = []float64{2604.1, 1502.7, 1003.2}[i]
		t.TotalRunsMs = samples(10, t.TotalWallMs)
		for j := range t.Queries {
			t.Queries[j].RunsMs = samples(10, t.Queries[j].WallMs*(1+0.05*float64(i)))
		}
		ts = append(ts, *t)
	}
	return &result.Report{SchemaVersion: result.SchemaVersion, Context: result.Context{QrunVersion: "v0.1.0", StartedAt: started},
		Mode: "parallel", Concurrency: 4, Runs: 10, Targets: ts}
}

// fixtures are the report shapes every format is tested with.
var fixtures = []struct {
	name   string
	report func() *result.Report
}{
	{"single", singleRun},
	{"repeated", repeatedRuns},
	{"dryrun", dryRun},
	{"failures", failures},
	{"targets", twoTargets},
	{"baseline", baselineCmp},
	{"connect", connects},
	{"flaky", flaky},
	{"scan", scanned},
	{"empty", empty},
}

// empty is the run of a file of comments alone: no statements, one warning.
func empty() *result.Report {
	return &result.Report{SchemaVersion: result.SchemaVersion, Context: ctx("chef@localhost:5432/lunch"),
		Mode: "sequential", Concurrency: 1, Runs: 1, ConnectMs: 5.5, Queries: []result.Query{},
		Warnings: []string{"comments.sql:1:1: no statements"}}
}
