package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/internal/qruntest"
	"github.com/qrunhq/qrun/report"
	"github.com/qrunhq/qrun/result"
)

// writeFile writes content to dir/name, creating dir, and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// decodeComparisons parses qrun compare --format json.
func decodeComparisons(t *testing.T, s string) []result.Comparison {
	t.Helper()
	var cs []result.Comparison
	if err := json.Unmarshal([]byte(s), &cs); err != nil {
		t.Fatalf("not a JSON comparison: %v\n%s", err, s)
	}
	return cs
}

// TestCompareIdentity is the first complaint, through the real command: the
// same workload run from another directory, with a comment line deleted above its
// unnamed statements, pairs every statement with itself and passes the gate.
func TestCompareIdentity(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	dir := t.TempDir()
	base := writeFile(t, filepath.Join(dir, "main"), "bench.sql",
		"-- the bench\nSELECT 1;\n\n-- name: nap\nSELECT pg_sleep(0.01);\nSELECT pg_sleep(0.01);\n")
	moved := writeFile(t, filepath.Join(dir, "elsewhere", "checkout"), "bench.sql",
		"SELECT 1;\n-- name: nap\nSELECT pg_sleep(0.01);\nSELECT pg_sleep(0.01);\n")
	baseJSON, newJSON := filepath.Join(dir, "base.json"), filepath.Join(dir, "new.json")
	for _, run := range []struct{ file, out string }{{base, baseJSON}, {moved, newJSON}} {
		if inv := qrun(t, context.Background(), "", nil, "-d", db, "--runs", "5", "--format", "json", "-o", run.out, run.file); inv.code != exitOK {
			t.Fatalf("qrun %s: exit %d, want 0", run.file, inv.code)
		}
	}
	inv := qrun(t, context.Background(), "", nil, "compare", "--threshold", "50%", "--format", "json", baseJSON, newJSON)
	if inv.code != exitOK {
		t.Errorf("compare: exit %d, want 0 (the same workload)", inv.code)
	}
	cs := decodeComparisons(t, inv.stdout)
	if len(cs) != 1 || len(cs[0].Rows) != 3 {
		t.Fatalf("got %d comparisons, want 1 with 3 rows: %s", len(cs), inv.stdout)
	}
	wantBase := []string{base + ":2", "nap", base + ":6"}
	for i, row := range cs[0].Rows {
		if row.Verdict == result.VerdictAdded || row.Verdict == result.VerdictGone || row.ChangedSQL || row.Ambiguous {
			t.Errorf("row %s: verdict %q changed %v ambiguous %v, want a plain pairing", row.Name, row.Verdict, row.ChangedSQL, row.Ambiguous)
		}
		got := row.Name
		if row.BaseName != "" {
			got = row.BaseName
		}
		if got != wantBase[i] {
			t.Errorf("row %d (%s) paired with %s, want %s", i, row.Name, got, wantBase[i])
		}
		if row.ID == "" {
			t.Errorf("row %s has no id", row.Name)
		}
	}
}

// saveReport writes r as qrun --format json would and returns its path.
func saveReport(t *testing.T, dir, name string, r *result.Report) string {
	t.Helper()
	var b strings.Builder
	if err := report.Write(&b, r, report.Options{Format: "json"}); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, name, b.String())
}

// TestCompareRefusesNonsense: reports that cannot be compared are exit 2 with a
// sentence saying what to do, and a new report whose statements failed is never a pass.
func TestCompareRefusesNonsense(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	runs := []float64{10, 10.2, 9.9, 10.1, 10, 10.3, 9.8, 10, 10.1, 10.2}
	query := func(name string, st result.Status, ms []float64) result.Query {
		q := result.Query{Name: name, ID: name, File: "bench.sql", Line: 1, Col: 1, SQL: "SELECT 1", Status: st, RunsMs: ms, WallMs: 10}
		if st != result.StatusOK {
			q.RunsStatus = make([]result.Status, len(ms))
			for k := range q.RunsStatus {
				q.RunsStatus[k] = st
			}
		}
		return q
	}
	one := func(label string, st result.Status, ms []float64) *result.Report {
		return &result.Report{SchemaVersion: result.SchemaVersion, Mode: "sequential", Runs: len(ms), Context: result.Context{Target: label},
			TotalRunsMs: ms, TotalWallMs: 10, Queries: []result.Query{query("lookup", st, ms)}}
	}
	fast := []float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}
	ok := saveReport(t, dir, "ok.json", one("u@a:5432/x", result.StatusOK, runs))
	failing := saveReport(t, dir, "failing.json", one("u@a:5432/x", result.StatusError, fast))
	multi := saveReport(t, dir, "multi.json", &result.Report{SchemaVersion: result.SchemaVersion, Mode: "sequential", Runs: 10,
		Targets: []result.Report{*one("u@a:5432/x", result.StatusOK, runs), *one("u@b:5432/x", result.StatusOK, runs)}})
	dry := saveReport(t, dir, "dry.json", &result.Report{SchemaVersion: result.SchemaVersion, Mode: "dry-run",
		Queries: []result.Query{{Name: "lookup", Status: result.StatusPlanned}}})
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"same", []string{ok, ok, "--threshold", "10%"}, exitOK, "PASS", ""},
		{"every statement failed in new", []string{ok, failing}, exitFailed, "failed in new", "1 statement failed in new"},
		{"failed in new, with a gate", []string{ok, failing, "--threshold", "10%"}, exitFailed, "FAIL: 1 statement failed in new", ""},
		{"failed in new, json", []string{ok, failing, "--format", "json"}, exitFailed, `"verdict": "failed in new"`, ""},
		{"several targets against one", []string{multi, ok}, exitInput, "", "pick one of them with --target NAME"},
		{"one against several targets", []string{ok, multi, "--threshold", "10%"}, exitInput, "", multi + " holds 2 targets (u@a:5432/x, u@b:5432/x)"},
		{"--target picks one", []string{multi, ok, "--target", "u@a:5432/x", "--threshold", "10%"}, exitOK, "PASS", ""},
		{"--target by number", []string{ok, multi, "--target", "2"}, exitOK, "[u@b:5432/x]", ""},
		{"--target unknown", []string{multi, ok, "--target", "u@c:5432/x"}, exitInput, "", `has no target "u@c:5432/x"`},
		{"a dry run", []string{dry, ok}, exitInput, "", "is a --dry-run plan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := qrun(t, context.Background(), "", nil, append([]string{"compare"}, tt.args...)...)
			if inv.code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout: %s", inv.code, tt.wantCode, inv.stdout)
			}
			if !strings.Contains(inv.stdout, tt.wantStdout) {
				t.Errorf("stdout %q, want it to contain %q", inv.stdout, tt.wantStdout)
			}
			if !strings.Contains(inv.stderr, tt.wantStderr) {
				t.Errorf("stderr %q, want it to contain %q", inv.stderr, tt.wantStderr)
			}
			if tt.wantCode == exitInput && inv.stdout != "" {
				t.Errorf("stdout %q, want nothing when the reports cannot be compared", inv.stdout)
			}
		})
	}
}

// TestBaselineFailing: a run whose statements fail against a baseline in which they
// were ok exits 1, and its report says "failed in new" — never "faster".
func TestBaselineFailing(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	dir := t.TempDir()
	okFile := writeFile(t, dir, "ok.sql", "-- name: load\nSELECT pg_sleep(0.01);\n")
	badFile := writeFile(t, filepath.Join(dir, "bad"), "ok.sql", "-- name: load\nSELECT 1/0;\n")
	base := filepath.Join(dir, "base.json")
	if inv := qrun(t, context.Background(), "", nil, "-d", db, "--runs", "5", "--format", "json", "-o", base, okFile); inv.code != exitOK {
		t.Fatalf("baseline: exit %d, want 0", inv.code)
	}
	newJSON := filepath.Join(dir, "new.json")
	inv := qrun(t, context.Background(), "", nil, "-d", db, "--runs", "5", "--baseline", base, "--threshold", "10%", "--format", "json", "-o", newJSON, badFile)
	if inv.code != exitFailed {
		t.Errorf("run against the baseline: exit %d, want %d", inv.code, exitFailed)
	}
	r := qruntest.Decode(t, mustRead(t, newJSON))
	if len(r.Comparison) != 1 || len(r.Comparison[0].Rows) != 1 {
		t.Fatalf("comparison %+v, want one row", r.Comparison)
	}
	if row := r.Comparison[0].Rows[0]; row.Verdict != result.VerdictFailedNew || r.Comparison[0].Failures != 1 {
		t.Errorf("row %+v, failures %d; want failed in new, 1", row, r.Comparison[0].Failures)
	}
	if total := r.Comparison[0].Total; total == nil || total.Verdict != result.VerdictFailedNew {
		t.Errorf("total %+v, want failed in new (no run of new ended ok)", total)
	}
	cmp := qrun(t, context.Background(), "", nil, "compare", base, newJSON, "--threshold", "10%")
	if cmp.code != exitFailed || !strings.Contains(cmp.stdout, "failed in new") {
		t.Errorf("qrun compare: exit %d, stdout %q; want %d and failed in new", cmp.code, cmp.stdout, exitFailed)
	}
}

// TestBaselineOfSeveralTargets: a baseline of several targets compares a run with its
// target of the same label, and refuses a run of another target before running it.
func TestBaselineOfSeveralTargets(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	dir := t.TempDir()
	file := writeFile(t, dir, "nap.sql", "-- name: nap\nSELECT pg_sleep(0.01);\n")
	single := filepath.Join(dir, "single.json")
	if inv := qrun(t, context.Background(), "", nil, "-d", db, "--runs", "3", "--format", "json", "-o", single, file); inv.code != exitOK {
		t.Fatalf("baseline: exit %d", inv.code)
	}
	r := qruntest.Decode(t, mustRead(t, single))
	other := r
	other.Context.Target = "nobody@elsewhere:5432/x"
	matching := saveReport(t, dir, "matching.json", &result.Report{SchemaVersion: result.SchemaVersion, Mode: "sequential", Runs: 3,
		Targets: []result.Report{other, r}})
	foreign := saveReport(t, dir, "foreign.json", &result.Report{SchemaVersion: result.SchemaVersion, Mode: "sequential", Runs: 3,
		Targets: []result.Report{other, other}})
	inv := qrun(t, context.Background(), "", nil, "-d", db, "--runs", "3", "--baseline", matching, "--format", "json", file)
	if inv.code != exitOK {
		t.Errorf("against the matching target: exit %d, want 0", inv.code)
	}
	if got := qruntest.Decode(t, inv.stdout); len(got.Comparison) != 1 || got.Comparison[0].Rows[0].Verdict == result.VerdictAdded {
		t.Errorf("comparison %+v, want nap paired with the baseline's", got.Comparison)
	}
	slow := writeFile(t, dir, "slow.sql", "SELECT pg_sleep(5);\n")
	inv = qrun(t, context.Background(), "", nil, "-d", db, "--baseline", foreign, slow)
	if inv.code != exitInput || !strings.Contains(inv.stderr, "--target") || inv.elapsed > 4*time.Second {
		t.Errorf("against a baseline without this target: exit %d in %v, stderr %q; want %d at once, pointing to --target",
			inv.code, inv.elapsed, inv.stderr, exitInput)
	}
}

// TestStatisticsOfFailedAndPartialRuns: through the real command, statistics are over
// the runs that ended ok, and a run cut short by --max-time counts in none of them.
func TestStatisticsOfFailedAndPartialRuns(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	if _, err := pgtest.Conn(t, db).Exec(context.Background(), "CREATE TABLE items (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	load := writeFile(t, dir, "load.sql", "-- name: load\nINSERT INTO items SELECT generate_series(1, 1000);\n-- name: never\nSELECT nme FROM items;\n-- name: count\nSELECT count(*) FROM items;\n")
	inv := qrun(t, context.Background(), "", nil, "-d", db, "--runs", "3", "--format", "json", load)
	if inv.code != exitFailed {
		t.Errorf("exit %d, want %d", inv.code, exitFailed)
	}
	r := qruntest.Decode(t, inv.stdout)
	byName := map[string]result.Query{}
	for _, q := range r.Queries {
		byName[q.Name] = q
	}
	if s := byName["load"].Stats; s == nil || s.N != 1 || s.Errors != 2 || s.MaxMs != byName["load"].RunsMs[0] {
		t.Errorf("load stats %+v runs %v, want the first run alone, 2 errors", s, byName["load"].RunsMs)
	}
	if q := byName["never"]; q.WallMs != 0 || q.Stats == nil || q.Stats.N != 0 || q.Stats.P95Ms != 0 || q.Stats.Errors != 3 {
		t.Errorf("never: wall %v stats %+v, want no time and 3 errors", q.WallMs, q.Stats)
	}
	table := qrun(t, context.Background(), "", nil, "-d", db, "--runs", "3", load)
	never := regexp.MustCompile(`(?m)^│ never +│ error in 3 of 3 runs +│ +— +│ +— +│ +— +│`) // median, p95, min…max
	if !never.MatchString(table.stdout) {
		t.Errorf("table %s\nwant never's times shown as —", table.stdout)
	}

	nap := writeFile(t, dir, "nap.sql", "-- name: nap\nSELECT pg_sleep(0.2);\n")
	inv = qrun(t, context.Background(), "", nil, "-d", db, "--runs", "100", "--max-time", "3s", "--format", "json", nap)
	if inv.code != exitInterrupted {
		t.Errorf("--max-time: exit %d, want %d", inv.code, exitInterrupted)
	}
	r = qruntest.Decode(t, inv.stdout)
	// The deadline falls during a nap nearly always, and between two runs otherwise: the
	// partial run then never started, and took no time.
	if !r.Interrupted || r.PartialRunMs < 0 || r.Runs < 1 || len(r.TotalRunsMs) != r.Runs && r.Runs > 1 {
		t.Fatalf("interrupted %v partial %v runs %d total runs %v, want a partial run beside the complete ones", r.Interrupted, r.PartialRunMs, r.Runs, r.TotalRunsMs)
	}
	q := r.Queries[0]
	if q.Status != result.StatusOK || (r.Runs > 1 && (q.Stats.N != r.Runs || q.Stats.Errors != 0 || q.Stats.MinMs < 200)) {
		t.Errorf("nap: status %s stats %+v, want every complete run ok and nothing of the partial one", q.Status, q.Stats)
	}
	if r.TotalWallMs < 200 {
		t.Errorf("total %v ms, want at least the 200 ms nap: the partial run left out", r.TotalWallMs)
	}
	if len(r.Warnings) == 0 || !strings.Contains(strings.Join(r.Warnings, "\n"), "was interrupted") ||
		!strings.Contains(strings.Join(r.Warnings, "\n"), "and is left out of every statistic") {
		t.Errorf("warnings %q, want the partial run named", r.Warnings)
	}
}

// TestLoudFailures: a failed run names its failed statements on stderr whatever the
// format and destination — a report written to a file included — unless --quiet.
func TestLoudFailures(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	dir := t.TempDir()
	path := writeFile(t, dir, "broken.sql", "-- name: fine\nSELECT 1;\n-- name: fill_pot\nSELECT * FROM pan;\n-- name: after\n-- after: fill_pot\nSELECT 2;\n")
	line := path + ":4:15: fill_pot: 42P01 relation \"pan\" does not exist\n"
	tests := []struct {
		name string
		args []string
		want bool
	}{
		{"json to a file", []string{"--format", "json", "-o", filepath.Join(dir, "x.json")}, true},
		{"to /dev/null", []string{"-o", os.DevNull}, true},
		{"csv on stdout", []string{"--format", "csv"}, true},
		{"table on stdout that is no terminal", nil, true},
		{"quiet", []string{"--quiet", "-o", os.DevNull}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := qrun(t, context.Background(), "", nil, append(append([]string{"-d", db, "--parallel"}, tt.args...), path)...)
			if inv.code != exitFailed {
				t.Errorf("exit %d, want %d", inv.code, exitFailed)
			}
			if got := strings.Contains(inv.stderr, line) && strings.Contains(inv.stderr, "qrun: 1 statement failed, 1 skipped\n"); got != tt.want {
				t.Errorf("stderr %q: names the failure %v, want %v (%q)", inv.stderr, got, tt.want, line)
			}
			if !tt.want && inv.stderr != "" {
				t.Errorf("stderr %q, want nothing with --quiet", inv.stderr)
			}
		})
	}
}

// TestBeforeAndAfterEach: --before-each resets what a run changes, so that --runs 5 of
// a data load measures five loads; both run around every run, warmups too, outside the
// timings, and a failing one ends the command naming it.
func TestBeforeAndAfterEach(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	c := pgtest.Conn(t, db)
	ctx := context.Background()
	if _, err := c.Exec(ctx, "CREATE TABLE items (id int PRIMARY KEY); CREATE TABLE log (what text, at timestamptz DEFAULT clock_timestamp())"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	load := writeFile(t, dir, "load.sql", "-- name: load\nINSERT INTO items SELECT generate_series(1, 1000);\n-- name: nap\nSELECT pg_sleep(0.05);\n")
	reset := writeFile(t, dir, "reset.sql", "TRUNCATE items;\nINSERT INTO log (what) VALUES ('before');\n")
	count := func(sql string) int {
		var n int
		if err := c.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Without a reset, every run after the first is a duplicate key.
	inv := qrun(t, ctx, "", nil, "-d", db, "--runs", "3", "--format", "json", load)
	if inv.code != exitFailed || !strings.Contains(inv.stderr, "(in 2 of 3 runs)") {
		t.Errorf("without --before-each: exit %d, stderr %q; want 1 and the duplicate keys named", inv.code, inv.stderr)
	}

	for _, mode := range [][]string{nil, {"--parallel"}} {
		if _, err := c.Exec(ctx, "TRUNCATE log"); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"-d", db, "--runs", "5", "--warmup", "1", "--format", "json",
			"--before-each", "@" + reset, "--after-each", "INSERT INTO log (what) VALUES ('after')"}, mode...)
		inv = qrun(t, ctx, "", nil, append(args, load)...)
		if inv.code != exitOK {
			t.Fatalf("%v: exit %d, want 0; stderr %s", mode, inv.code, inv.stderr)
		}
		r := qruntest.Decode(t, inv.stdout)
		l := r.Queries[0]
		if l.Stats == nil || l.Stats.N != 5 || l.Stats.Errors != 0 || l.Rows != 1000 {
			t.Errorf("%v: load stats %+v rows %d, want five loads of 1000 rows", mode, l.Stats, l.Rows)
		}
		if b, a := count("SELECT count(*) FROM log WHERE what = 'before'"), count("SELECT count(*) FROM log WHERE what = 'after'"); b != 6 || a != 6 {
			t.Errorf("%v: %d before and %d after, want 6 of each (5 runs and a warmup)", mode, b, a)
		}
		// Outside the timings: the total is the statements', not the hooks' as well.
		if r.TotalWallMs > 5*r.SumMs+50 {
			t.Errorf("%v: total %.1f ms for a sum of %.1f ms", mode, r.TotalWallMs, r.SumMs)
		}
		// Before, run, after, in that order, every time.
		var order string
		rows, err := c.Query(ctx, "SELECT what FROM log ORDER BY at")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var w string
			rows.Scan(&w)
			order += w[:1]
		}
		rows.Close()
		if order != "bababababababa"[:12] {
			t.Errorf("%v: hooks in the order %q, want before and after alternating", mode, order)
		}
	}

	// Session settings of --before-each do not carry into the run: that is --setup's job.
	temp := writeFile(t, dir, "temp.sql", "-- name: read_temp\nSELECT * FROM scratch;\n")
	inv = qrun(t, ctx, "", nil, "-d", db, "--runs", "2", "--before-each", "CREATE TEMP TABLE scratch (x int)", "-o", os.DevNull, temp)
	if inv.code != exitFailed || !strings.Contains(inv.stderr, `relation "scratch" does not exist`) {
		t.Errorf("a temporary table of --before-each: exit %d, stderr %q; want the run not to see it", inv.code, inv.stderr)
	}

	// A failing hook ends the command and names the statement.
	inv = qrun(t, ctx, "", nil, "-d", db, "--before-each", "SELECT * FROM missing", load)
	if inv.code != exitFailed || !strings.Contains(inv.stderr, `--before-each "SELECT * FROM missing": 42P01 relation "missing" does not exist`) {
		t.Errorf("a failing --before-each: exit %d, stderr %q", inv.code, inv.stderr)
	}
	bad := writeFile(t, dir, "bad.sql", "SELECT 1;\nSELECT * FROM missing;\n")
	inv = qrun(t, ctx, "", nil, "-d", db, "--runs", "2", "--after-each", "@"+bad, load)
	if inv.code != exitFailed || !strings.Contains(inv.stderr, "--after-each: "+bad+":2:15: 42P01") {
		t.Errorf("a failing --after-each: exit %d, stderr %q", inv.code, inv.stderr)
	}
	inv = qrun(t, ctx, "", nil, "-d", db, "--before-each", "@"+filepath.Join(dir, "nope.sql"), load)
	if inv.code != exitInput || !strings.Contains(inv.stderr, "nope.sql") {
		t.Errorf("a missing @FILE: exit %d, stderr %q; want 2 naming it", inv.code, inv.stderr)
	}
}

// TestPsqlHabits: -f FILE and --command SQL as psql takes them.
func TestPsqlHabits(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	dir := t.TempDir()
	a := writeFile(t, dir, "a.sql", "-- name: from_a\nSELECT 1;\n")
	b := writeFile(t, dir, "b.sql", "-- name: from_b\nSELECT 2;\n")
	inv := qrun(t, context.Background(), "", nil, "-d", db, "-X", "-q", "--format", "json", b, "-f", a,
		"--command", "SELECT 3 -- no semicolon", "--command", "SELECT 4; SELECT 5;")
	if inv.code != exitOK {
		t.Fatalf("exit %d, want 0; stderr %s", inv.code, inv.stderr)
	}
	r := qruntest.Decode(t, inv.stdout)
	var got []string
	for _, q := range r.Queries {
		got = append(got, strings.TrimSpace(strings.SplitN(q.SQL, "--", 2)[0]))
	}
	want := []string{"SELECT 1;", "SELECT 2;", "SELECT 3", "SELECT 4;", "SELECT 5;"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("statements %q, want %q (-f files, then the arguments, then the commands)", got, want)
	}
}

// TestWait: --wait keeps connecting while the server is not up yet, as a CI service
// container starting beside the job, and gives up at once on anything else.
func TestWait(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, t.TempDir(), "one.sql", "SELECT 1;\n")
	freePort := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		_, port, _ := net.SplitHostPort(l.Addr().String())
		return port
	}
	at := func(port string) string {
		v := *u
		v.Host = "127.0.0.1:" + port
		return v.String()
	}

	t.Run("gives up after the wait", func(t *testing.T) {
		inv := qrun(t, context.Background(), "", nil, "-d", at(freePort()), "--wait", "1s", file)
		if inv.code != exitInput || !strings.Contains(inv.stderr, "waiting up to 1s for the server") ||
			!strings.Contains(inv.stderr, "(after waiting 1s)") || inv.elapsed < 950*time.Millisecond || inv.elapsed > 8*time.Second {
			t.Errorf("exit %d after %v, stderr %q; want 2 after about a second, saying it waited", inv.code, inv.elapsed, inv.stderr)
		}
	})
	t.Run("connects once the server is up", func(t *testing.T) {
		port := freePort()
		// The "server" comes up after a while: a proxy to the real one on that port.
		go func() {
			time.Sleep(800 * time.Millisecond)
			l, err := net.Listen("tcp", "127.0.0.1:"+port)
			if err != nil {
				return
			}
			t.Cleanup(func() { l.Close() })
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					s, err := net.Dial("tcp", u.Host)
					if err != nil {
						return
					}
					defer s.Close()
					go io.Copy(s, c)
					io.Copy(c, s)
				}()
			}
		}()
		inv := qrun(t, context.Background(), "", nil, "-d", at(port), "--wait", "20s", "--format", "csv", file)
		if inv.code != exitOK || inv.elapsed < 700*time.Millisecond {
			t.Errorf("exit %d after %v, stderr %q; want 0 once the server came up", inv.code, inv.elapsed, inv.stderr)
		}
	})
	t.Run("no wait for a missing database", func(t *testing.T) {
		v := *u
		v.Path = "/no_such_database_here"
		inv := qrun(t, context.Background(), "", nil, "-d", v.String(), "--wait", "30s", file)
		if inv.code != exitInput || inv.elapsed > 10*time.Second || strings.Contains(inv.stderr, "waiting") {
			t.Errorf("exit %d after %v, stderr %q; want 2 at once", inv.code, inv.elapsed, inv.stderr)
		}
	})
}
