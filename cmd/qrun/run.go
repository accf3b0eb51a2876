package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/qrunhq/qrun/compare"
	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
	"github.com/qrunhq/qrun/report"
	"github.com/qrunhq/qrun/result"
	"github.com/qrunhq/qrun/runner"
)

// run executes a checked command line: load and plan, connect, run, summarize, compare,
// write. Its error carries the exit status.
func run(ctx context.Context, o *Options) error {
	startedAt := time.Now()
	if o.MaxTime > 0 {
		// --max-time ends the run as Ctrl-C would: what runs is cancelled and the report
		// is still written.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.MaxTime)
		defer cancel()
	}

	p, files, warnings, err := load(o)
	if err != nil {
		return err
	}
	// --scan: a combination of values per target of each -d, each with its plan (scan.go).
	var (
		scan  []scanCombo
		plans []*plan.Plan
	)
	if len(o.scanAxes) > 0 {
		scan = scanCombos(o.scanAxes, o.Vars)
		if plans, err = scanPlans(o, scan, p); err != nil {
			return err
		}
	}
	beforeEach, err := hookStatements(o, "--before-each", o.BeforeEach)
	if err != nil {
		return err
	}
	afterEach, err := hookStatements(o, "--after-each", o.AfterEach)
	if err != nil {
		return err
	}
	// A report that cannot be written would throw the run away: check where it goes
	// first, and that it replaces no input.
	inputs := files
	for _, h := range append(slices.Clone(o.BeforeEach), o.AfterEach...) {
		if f, ok := strings.CutPrefix(h, "@"); ok {
			inputs = append(inputs, f)
		}
	}
	if o.Baseline != "" {
		inputs = append(inputs, o.Baseline)
	}
	if err := checkOutput(o.Output, inputs); err != nil {
		return &exitError{exitInput, err}
	}
	base := baseReport(o, p, startedAt, warnings)
	if o.DryRun {
		return writeDryRun(ctx, o, p, base)
	}
	var baseline *result.Report
	if o.Baseline != "" {
		if o.Baseline == o.Baselines[0] {
			baseline, err = compare.Load(o.Baseline)
		} else {
			// A history: the pooled samples of the last --history N reports.
			baseline, _, err = compare.LoadHistory(o.Baselines, o.History)
		}
		if err != nil {
			return &exitError{exitInput, fmt.Errorf("baseline: %w", err)}
		}
		if baseline.Mode == "dry-run" {
			return &exitError{exitInput, fmt.Errorf("baseline: %s is a --dry-run plan, without times to compare: save the JSON report of a run", o.Baseline)}
		}
	}

	ropts := runner.Options{
		Parallel:          o.Parallel,
		Concurrency:       base.Concurrency,
		StopOnError:       o.StopOnError,
		SingleTransaction: o.Single,
		Timeout:           o.Timeout,
		Retries:           o.Retries,
		Reconnect:         o.Reconnect,
		Rollback:          o.Rollback,
		ReadOnly:          o.ReadOnly,
		Protocol:          runner.Protocol(o.Protocol),
		Pipeline:          o.Pipeline,
	}
	if o.Env.In != nil {
		ropts.Stdin = runner.NewStdin(o.Env.In) // \copy ... from pstdin
		defer ropts.Stdin.Close()
	}
	output, closeOutput, err := echoOutput(o)
	if err != nil {
		return &exitError{exitInput, err}
	}
	defer closeOutput()
	ropts.Output = output
	var finish func()
	ropts.OnEvent, finish = observer(o, p)
	targets, err := connect(ctx, o, ropts, scan)
	defer func() {
		for _, t := range targets {
			t.Close()
		}
	}()
	if err != nil {
		finish()
		if ctx.Err() != nil {
			// Interrupted while connecting (a signal, --max-time): nothing ran, and the
			// report still says so.
			rep := runner.Summarize(p, base, []result.Run{runner.Interrupted(p, time.Now())})
			rep.Interrupted = true
			if werr := writeReport(o, &rep); werr != nil {
				return werr
			}
		}
		return err
	}
	if err := checkPoolers(o, p, targets, &base); err != nil {
		finish()
		return err
	}
	warnSideDoors(o, targets, &base)
	if baseline != nil {
		if err := checkBaseline(o, baseline, targets, scan); err != nil {
			finish()
			return err
		}
	}
	if !o.StartAt.IsZero() {
		// Connected; now wait for the start agreed with the other instances.
		if err := sleepUntil(ctx, o.StartAt); err == nil {
			base.Context.StartedAt = time.Now()
		}
	}
	bo := runner.BenchOptions{Runs: o.Runs, Warmup: o.Warmup, Duration: o.Duration, BeforeEach: beforeEach, AfterEach: afterEach,
		ServerStats: o.ServerStats}
	var runs [][]result.Run
	if scan != nil {
		runs, err = runner.BenchPlans(ctx, targets, targetPlans(plans, len(targets)), bo)
	} else {
		runs, err = runner.Bench(ctx, targets, p, bo)
	}
	finish()
	interrupted := ctx.Err() != nil
	var benchErr error
	if err != nil && !interrupted {
		made := 0
		for _, r := range runs {
			made += len(r)
		}
		if made == 0 {
			return &exitError{exitFailed, fmt.Errorf("run: %w", err)}
		}
		// What did run is still worth its report; the exit status says it is not all.
		benchErr = err
	}

	rep := assemble(o, p, base, targets, runs, interrupted, scan, plans)
	if baseline != nil {
		compareBaseline(o, &rep, baseline)
	}
	if err := writeReport(o, &rep); err != nil {
		return err
	}
	loudFailures(o, &rep)
	if benchErr != nil {
		return &exitError{exitFailed, fmt.Errorf("run: %w (the report holds the runs made before)", benchErr)}
	}
	return outcome(&rep)
}

// echoOutput returns where the script's \echo, \qecho and \warn print (--echo), and
// what closes it.
func echoOutput(o *Options) (func(queries.Stream, string), func(), error) {
	var echo io.Writer
	closeFn := func() {}
	switch o.Echo {
	case "", "stderr":
		echo = o.Env.ErrOut
	case "stdout":
		echo = o.Env.Out
	default:
		f, err := os.Create(o.Echo)
		if err != nil {
			return nil, nil, fmt.Errorf("--echo: %w", err)
		}
		echo, closeFn = f, func() { _ = f.Close() }
	}
	var mu sync.Mutex
	return func(s queries.Stream, text string) {
		mu.Lock()
		defer mu.Unlock()
		w := echo
		if s == queries.StreamWarn {
			w = o.Env.ErrOut
		}
		_, _ = io.WriteString(w, text)
	}, closeFn, nil
}

// hookStatements loads the values of --before-each or --after-each (flag): SQL is one
// statement, sent as it is (several separated by semicolons are one query string, as
// --setup sends them); @FILE is the statements of FILE, read and split as the input
// files are, psql variables included. Input errors are exit 2.
func hookStatements(o *Options, flag string, values []string) ([]*queries.Statement, error) {
	var out []*queries.Statement
	for _, v := range values {
		path, ok := strings.CutPrefix(v, "@")
		if !ok {
			out = append(out, queries.NewQuery(flag, v))
			continue
		}
		script, err := queries.Load([]string{path}, queries.Options{Vars: o.Vars, Stdin: o.Env.In})
		if err != nil {
			return nil, inputError(o.Env.ErrOut, err)
		}
		out = append(out, script.Statements...)
	}
	return out, nil
}

// loudFailures names the failed statements on stderr, whatever the format and wherever
// the report went (a CI log shows stderr, not the JSON file), unless --quiet — or unless
// the report is a table on the terminal, which lists them already on the same screen.
func loudFailures(o *Options, rep *result.Report) {
	sameScreen := (o.Format == "" || o.Format == "table") && (o.Output == "" || o.Output == "-") && o.Env.OutIsTerminal
	if o.Quiet || sameScreen {
		return
	}
	_, _ = report.WriteFailures(o.Env.ErrOut, rep) // best effort, as every stderr line
}

// baseReport holds what a report knows before anything runs.
func baseReport(o *Options, p *plan.Plan, startedAt time.Time, warnings []string) result.Report {
	r := result.Report{
		SchemaVersion: result.SchemaVersion,
		Context:       result.Context{QrunVersion: version(), StartedAt: startedAt, Files: o.Files, Labels: o.Labels},
		Mode:          "sequential",
		Concurrency:   1,
		Runs:          o.Runs,
		Warmup:        o.Warmup,
		Warnings:      warnings,
	}
	if o.Parallel {
		r.Mode = "parallel"
		r.Concurrency = o.Concurrency
		if r.Concurrency == 0 {
			r.Concurrency = max(1, min(len(p.Units), maxDefaultConcurrency))
		}
	}
	if o.DryRun {
		r.Mode = "dry-run"
		r.Runs, r.Warmup = 0, 0
	}
	return r
}

// observer returns what watches the run on stderr: --verbose narration, or a progress
// display when stderr is a terminal, or nothing; finish clears the display.
func observer(o *Options, p *plan.Plan) (onEvent func(result.Event), finish func()) {
	switch {
	case o.Verbose:
		return report.NewNarrator(o.Env.ErrOut).Handle, func() {}
	case !o.Quiet && o.Env.ErrIsTerminal:
		totalRuns := (o.Warmup + o.Runs) * max(1, len(o.Targets))
		if o.Duration > 0 {
			totalRuns = 0 // unknown
		}
		pr := report.NewProgress(o.Env.ErrOut, totalRuns, len(p.Units))
		return pr.Handle, pr.Finish
	}
	return nil, func() {}
}

// assemble summarizes each target's runs; several targets make one report with the
// targets side by side and the first compared with each other one.
func assemble(o *Options, p *plan.Plan, base result.Report, targets []*runner.Target, runs [][]result.Run, interrupted bool, scan []scanCombo, plans []*plan.Plan) result.Report {
	reps := make([]result.Report, len(targets))
	// Identities (the JSON "id", what compare pairs by) cost a parse of every statement:
	// they are made for reports that are saved as JSON or compared.
	needIDs := o.Format == "json" || o.Baseline != "" || len(targets) > 1
	named := func(i int) bool { return i < len(p.Units) && p.Units[i].Statements[0].Named }
	for i, t := range targets {
		b := base
		b.Context = t.Info()
		b.Context.QrunVersion = base.Context.QrunVersion
		b.Context.StartedAt = base.Context.StartedAt
		b.Context.Files = base.Context.Files
		b.Context.Labels = base.Context.Labels
		b.ConnectMs = t.ConnectMs()
		var tr []result.Run
		if i < len(runs) {
			tr = runs[i]
		}
		b.Warnings = append(slices.Clip(b.Warnings), t.ProtocolWarnings()...) // --protocol fallbacks
		tp := p
		if scan != nil {
			c := scan[i%len(scan)]
			b.Context.Target += " " + c.label
			b.Context.Scan = c.values
			if c.conc > 0 {
				b.Concurrency = c.conc
			}
			tp = plans[i%len(scan)]
		}
		reps[i] = runner.Summarize(tp, b, tr)
		t.AddServerStats(tp, &reps[i]) // --server-stats
		reps[i].Interrupted = reps[i].Interrupted || interrupted
		if needIDs {
			compare.Identify(reps[i].Queries, named) // a scan's plans share the statements' names
		}
	}
	if len(reps) == 1 {
		return reps[0]
	}
	rep := base
	rep.Targets = reps
	for _, r := range reps {
		rep.Interrupted = rep.Interrupted || r.Interrupted
	}
	rep.Comparison = compare.CompareTargets(&rep, compareOptions(o))
	return rep
}

// checkBaseline checks, before anything runs, that every target can be compared with
// the baseline: a baseline of several targets holds one of the same label for each.
func checkBaseline(o *Options, baseline *result.Report, targets []*runner.Target, scan []scanCombo) error {
	if len(baseline.Targets) == 0 {
		return nil
	}
	for i, t := range targets {
		label := t.Info().Target
		if scan != nil {
			label += " " + scan[i%len(scan)].label // as assemble labels it
		}
		if baselineFor(baseline, label) == nil {
			var labels []string
			for i := range baseline.Targets {
				labels = append(labels, baseline.Targets[i].Context.Target)
			}
			return &exitError{exitInput, fmt.Errorf("baseline: %s holds %d targets (%s) and none is %s: save a baseline of this target, or compare saved reports with qrun compare --target NAME",
				o.Baseline, len(baseline.Targets), strings.Join(labels, ", "), label)}
		}
	}
	return nil
}

// baselineFor is the report of baseline to compare target label with: the baseline
// itself, or its target of that label.
func baselineFor(baseline *result.Report, label string) *result.Report {
	if len(baseline.Targets) == 0 {
		return baseline
	}
	for i := range baseline.Targets {
		if baseline.Targets[i].Context.Target == label {
			return &baseline.Targets[i]
		}
	}
	return nil
}

// compareBaseline adds the comparison of the run (of each target) with --baseline.
func compareBaseline(o *Options, rep *result.Report, baseline *result.Report) {
	copts := compareOptions(o)
	if len(rep.Targets) == 0 {
		rep.Comparison = append(rep.Comparison, compare.Compare(o.Baseline, baselineFor(baseline, rep.Context.Target), "this run", rep, copts))
		return
	}
	for i := range rep.Targets {
		t := &rep.Targets[i]
		c := compare.Compare(o.Baseline, baselineFor(baseline, t.Context.Target), t.Context.Target, t, copts)
		c.NewTarget = i + 1
		rep.Comparison = append(rep.Comparison, c)
	}
}

// compareOptions are the gate's settings from the command line.
func compareOptions(o *Options) compare.Options {
	return compare.Options{ThresholdPct: o.ThresholdPct, MinDeltaMs: ms(o.MinDelta), GatePlan: o.GatePlan}
}

// ms converts d to milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// outcome maps a finished report to its exit status: interrupted first, then failed
// statements, then gated regressions.
func outcome(rep *result.Report) error {
	if rep.Interrupted {
		return &exitError{exitInterrupted, errors.New("interrupted")}
	}
	if rep.Failed() > 0 { // every target's units included
		return &exitError{exitFailed, nil}
	}
	return comparisonOutcome(rep.Comparison)
}

// comparisonOutcome is the exit status of comparisons: 1 when a statement failed in the
// new report, else 3 for a gated regression.
func comparisonOutcome(cs []result.Comparison) error {
	failures, regressions, plans := 0, 0, 0
	for _, c := range cs {
		failures += c.Failures
		regressions += c.Regressions
		for i := range c.Rows {
			if c.Rows[i].PlanRegression {
				plans++ // --gate-plan
			}
		}
	}
	if failures > 0 {
		what := "statements"
		if failures == 1 {
			what = "statement"
		}
		return &exitError{exitFailed, fmt.Errorf("%d %s failed in new", failures, what)}
	}
	if regressions > 0 {
		return &exitError{exitRegression, regressionError(regressions, cs[0].ThresholdPct)}
	}
	if plans > 0 {
		what := "plans"
		if plans == 1 {
			what = "plan"
		}
		return &exitError{exitRegression, fmt.Errorf("%d %s changed (--gate-plan)", plans, what)}
	}
	return nil
}

// load reads the files and builds the plan. Input errors are listed on stderr, one per
// line, and end the command with exit status 2 before anything is sent.
func load(o *Options) (p *plan.Plan, files, warnings []string, err error) {
	env := o.Env
	// A table on stdout ends with the report's warnings, on the same screen: printing them
	// on stderr first as well would say everything twice. Other formats and -o keep the
	// early line, or the warning would only reach a file.
	early := !o.Quiet && !(o.Output == "" && (o.Format == "" || o.Format == "table"))
	warn := func(e *queries.Error) {
		warnings = append(warnings, e.Error())
		if !early {
			return
		}
		if e.Pos.IsValid() {
			fmt.Fprintf(env.ErrOut, "%s: warning: %s\n", e.Pos, e.Msg)
		} else {
			fmt.Fprintf(env.ErrOut, "qrun: warning: %s\n", e.Msg)
		}
	}
	inFiles, stdin := o.Files, env.In
	if len(o.Commands) > 0 {
		// --command SQL is one more input after the files, read as standard input is: each
		// command ends a statement, as psql -c sends each as a query of its own.
		var b strings.Builder
		for _, c := range o.Commands {
			b.WriteString(c)
			if !strings.HasSuffix(strings.TrimSpace(c), ";") {
				b.WriteString("\n;")
			}
			b.WriteByte('\n')
		}
		inFiles, stdin = append(slices.Clone(inFiles), "-"), strings.NewReader(b.String())
	}
	script, err := queries.Load(inFiles, queries.Options{Vars: o.Vars, Stdin: stdin, Warn: warn})
	if err != nil {
		return nil, nil, nil, inputError(env.ErrOut, err)
	}
	p, err = plan.Build(script, plan.Options{Parallel: o.Parallel, Rollback: o.Rollback, ReadOnly: o.ReadOnly, Infer: o.Deps != "none"})
	if err != nil {
		return nil, nil, nil, inputError(env.ErrOut, err)
	}
	if err := runner.CheckInput(p, runner.Options{Parallel: o.Parallel}); err != nil { // \connect
		return nil, nil, nil, inputError(env.ErrOut, err)
	}
	for _, w := range p.Warnings {
		warn(w)
	}
	return p, script.Files, warnings, nil
}

// inputError lists input errors on w, one per line as file:line:col: message, and returns
// the exit status 2.
func inputError(w io.Writer, err error) error {
	var list queries.ErrorList
	var one *queries.Error
	switch {
	case errors.As(err, &list):
		for _, e := range list {
			fmt.Fprintln(w, e.Error())
		}
	case errors.As(err, &one):
		fmt.Fprintln(w, one.Error())
	default:
		fmt.Fprintf(w, "qrun: %s\n", err)
	}
	return &exitError{exitInput, nil}
}

// connect opens every target in turn. A ConnectError is one redacted line and exit
// status 2; an interrupt while connecting is exit status 130.
func connect(ctx context.Context, o *Options, ropts runner.Options, scan []scanCombo) ([]*runner.Target, error) {
	var targets []*runner.Target
	for _, cfg := range targetConfigs(o) {
		combos := scan
		if combos == nil {
			combos = []scanCombo{{}}
		}
		for _, c := range combos { // --scan: a target per combination, its own pool size
			topts := ropts
			if c.conc > 0 {
				topts.Concurrency = c.conc
			}
			t, err := connectWaiting(ctx, o, cfg, topts)
			if err != nil {
				if ctx.Err() != nil {
					return targets, &exitError{exitInterrupted, errors.New("interrupted while connecting")}
				}
				return targets, &exitError{exitInput, err}
			}
			targets = append(targets, t)
		}
	}
	return targets, nil
}

// targetPlans gives each of n targets its combination's plan: targets are made -d by -d,
// each with every combination in order.
func targetPlans(plans []*plan.Plan, n int) []*plan.Plan {
	out := make([]*plan.Plan, n)
	for i := range out {
		out[i] = plans[i%len(plans)]
	}
	return out
}

// connectWaiting connects to one target, and with --wait keeps trying, with a backoff,
// for as long while the server is not up yet: it refuses connections, its socket is not
// there, its name does not resolve yet, it is starting up (57P03), or an attempt timed
// out. Anything else — a wrong password, a missing database — fails at once.
func connectWaiting(ctx context.Context, o *Options, cfg runner.Config, ropts runner.Options) (*runner.Target, error) {
	deadline := time.Now().Add(o.Wait)
	pause := 100 * time.Millisecond
	said := false
	for {
		t, err := runner.Connect(ctx, cfg, ropts)
		if err == nil || o.Wait <= 0 || !notUpYet(err) || ctx.Err() != nil || !time.Now().Before(deadline) {
			if err != nil && said {
				err = fmt.Errorf("%w (after waiting %s)", err, o.Wait)
			}
			return t, err
		}
		if !said && !o.Quiet {
			fmt.Fprintf(o.Env.ErrOut, "qrun: waiting up to %s for the server: %s\n", o.Wait, runner.Redact(err.Error()))
		}
		said = true
		select {
		case <-time.After(min(pause, time.Until(deadline))):
		case <-ctx.Done():
			return nil, err
		}
		pause = min(2*pause, time.Second)
	}
}

// notUpYet reports whether a connection error is one a server that is still starting
// gives.
func notUpYet(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "57P03" // cannot_connect_now: starting up, in recovery
	}
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return true
	case errors.As(err, &dnsErr):
		return dnsErr.IsNotFound || dnsErr.IsTemporary
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err):
		return true
	}
	return false
}

// targetConfigs turns the connection flags into one runner.Config per target, as psql
// reads them: each -d value is a connection string (a URL or key=value pairs) or a
// database name; without one, $DATABASE_URL, else libpq's PG* variables.
func targetConfigs(o *Options) []runner.Config {
	dbs := o.Targets
	if len(dbs) == 0 {
		dbs = []string{""}
	}
	cfgs := make([]runner.Config, 0, len(dbs))
	for _, d := range dbs {
		cfg := runner.Config{
			ConnString:      o.Env.getenv("DATABASE_URL"),
			Host:            o.Host,
			Port:            o.Port,
			User:            o.Username,
			ApplicationName: "qrun",
			ConnectTimeout:  o.ConnectTimeout,
			Setup:           o.Setup,
			ReadOnly:        o.ReadOnly,
			Spread:          o.Spread,
		}
		if isConnString(d) {
			cfg.ConnString = d
		} else {
			cfg.Database = d
		}
		cfgs = append(cfgs, cfg)
	}
	return cfgs
}

// writeDryRun renders the plan (--dry-run). The json format streams the units into the
// report a range at a time, so a plan of a million statements is never held a second
// time as result.Query values; the other formats render a described run. A signal
// (ctx) stops it: exit 130, and no partial report is left at -o.
func writeDryRun(ctx context.Context, o *Options, p *plan.Plan, base result.Report) error {
	interrupted := &exitError{exitInterrupted, errors.New("interrupted")}
	if ctx.Err() != nil {
		return interrupted // while the files were read and planned
	}
	var write func(io.Writer) error
	if o.Format != "json" {
		rep := runner.Summarize(p, base, []result.Run{runner.Describe(p)})
		ropts := report.Options{Format: o.Format, Color: useColor(o.Env, o.Output), Width: o.Env.Width}
		write = func(w io.Writer) error { return report.Write(w, &rep, ropts) }
	} else {
		// Summarize of a run without queries gives the report of Describe's run but its
		// queries: no unit has a time, so there are no sums and no critical path.
		rep := runner.Summarize(p, base, []result.Run{{}})
		// Ranges of units are described and rendered on every CPU, and written in order.
		const chunk = 512
		n := (len(p.Units) + chunk - 1) / chunk
		write = func(w io.Writer) error {
			return report.WriteJSONChunks(w, &rep, n, func(i int) iter.Seq[*result.Query] {
				return runner.DescribeRange(p, i*chunk, min((i+1)*chunk, len(p.Units)))
			})
		}
	}
	err := writeOutput(o.Env, o.Output, func(w io.Writer) error { return write(ctxWriter{ctx, w}) })
	if ctx.Err() != nil {
		return interrupted
	}
	if err != nil {
		return &exitError{exitFailed, err}
	}
	if o.Format == "github" {
		return appendStepSummary(o.Env, func(w io.Writer) error {
			rep := runner.Summarize(p, base, []result.Run{runner.Describe(p)})
			return report.Write(w, &rep, report.Options{Format: "markdown"})
		})
	}
	return nil
}

// writeReport renders rep in the chosen format to stdout or --output.
func writeReport(o *Options, rep *result.Report) error {
	return renderReport(o.Env, o.Output, o.Format, rep)
}

// renderReport writes rep in format to stdout or atomically to output and, in the github
// format, appends its markdown to $GITHUB_STEP_SUMMARY: what a run, qrun merge and qrun
// show all do with a finished report.
func renderReport(env *Env, output, format string, rep *result.Report) error {
	ropts := report.Options{Format: format, Color: useColor(env, output), Width: env.Width}
	err := writeOutput(env, output, func(w io.Writer) error { return report.Write(w, rep, ropts) })
	if err != nil {
		return &exitError{exitFailed, err}
	}
	if format == "github" {
		return appendStepSummary(env, func(w io.Writer) error {
			return report.Write(w, rep, report.Options{Format: "markdown"})
		})
	}
	return nil
}

// appendStepSummary appends the markdown rendering of a report to the file that GitHub
// Actions names in $GITHUB_STEP_SUMMARY, shown on the run's summary page. Without the
// variable it does nothing.
func appendStepSummary(env *Env, write func(io.Writer) error) error {
	path := env.getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return &exitError{exitFailed, fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)}
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return &exitError{exitFailed, fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)}
	}
	return nil
}

// sleepUntil waits until t, or until ctx ends (its error then).
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// warnSideDoors says, under --read-only or --rollback, what the connected role can still
// do that they do not stop: in the report's warnings, and on stderr unless --quiet (or
// the table on the terminal shows them at its end).
func warnSideDoors(o *Options, targets []*runner.Target, base *result.Report) {
	early := !o.Quiet && !(o.Output == "" && (o.Format == "" || o.Format == "table"))
	for _, t := range targets {
		for _, d := range t.SideDoors() {
			msg := fmt.Sprintf("%s under --read-only/--rollback: %s", t.Info().Target, d)
			base.Warnings = append(base.Warnings, msg)
			if early {
				fmt.Fprintf(o.Env.ErrOut, "qrun: warning: %s\n", msg)
			}
		}
	}
}

// checkPoolers looks at what Connect found between qrun and each server: a statement
// pooler cannot run transaction blocks (exit 2 before anything runs); a transaction
// pooler is said in a warning, since session state does not carry from one unit to the
// next there (--setup is applied inside every unit instead).
func checkPoolers(o *Options, p *plan.Plan, targets []*runner.Target, base *result.Report) error {
	for _, t := range targets {
		if err := t.CheckProtocol(); err != nil {
			return &exitError{exitInput, err}
		}
		info := t.Info()
		switch info.Pooler {
		case "statement":
			for _, u := range p.Units {
				if u.Tx {
					fmt.Fprintf(o.Env.ErrOut, "%s: %s goes through a statement pooler (PgBouncer pool_mode = statement): "+
						"transaction blocks cannot run under statement pooling; connect through a session or transaction pooler, or to the server\n",
						u.Statements[0].Pos(), info.Target)
					return &exitError{exitInput, nil}
				}
			}
			base.Warnings = append(base.Warnings, fmt.Sprintf("%s goes through a statement pooler: every statement may run on another server session; "+
				"--setup is sent with each statement, and session state (SET, temporary tables, PREPARE) does not carry over", info.Target))
		case "transaction":
			base.Warnings = append(base.Warnings, fmt.Sprintf("%s goes through a transaction pooler (PgBouncer pool_mode = transaction): "+
				"each unit may run on another server session; --setup is sent at the start of every unit, and session state "+
				"(SET, temporary tables, PREPARE) does not carry from one unit to the next", info.Target))
		}
	}
	return nil
}
