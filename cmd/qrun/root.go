package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/qrunhq/qrun/report"
	"github.com/qrunhq/qrun/runner"
)

// Options is a parsed and checked qrun command line.
type Options struct {
	Env *Env

	// Files are the input files in order ("-" is stdin): those of -f/--file first, as
	// psql takes them, then the arguments.
	Files []string
	// Commands are --command SQL values, run after the files as one more input read like
	// a file (shown as <stdin>).
	Commands []string

	// Connection. Targets holds every -d/--dsn value in order: a database name or a
	// connection string each; several mean several servers side by side.
	Host     string
	Port     uint16
	Username string
	Targets  []string
	Vars     map[string]string
	Spread   []string // --spread HOST[:PORT],...

	// Execution.
	Parallel       bool
	Deps           string // --deps: "auto" (infer from the SQL) or "none"
	Concurrency    int    // 0: the number of units, at most 16
	StopOnError    bool
	Single         bool // -1, --single-transaction
	Setup          []string
	Timeout        time.Duration
	MaxTime        time.Duration
	ConnectTimeout time.Duration
	Wait           time.Duration // keep trying to connect for this long while the server is not up
	Retries        int
	Reconnect      bool // sequential mode: replace a lost connection and go on
	ReadOnly       bool
	Rollback       bool
	Protocol       string // --protocol: simple, extended or prepared
	Pipeline       bool   // --pipeline
	// Scan holds the --scan NAME=v1,v2,... values; scanAxes them parsed (scan.go).
	Scan     []string
	scanAxes []scanAxis

	// Instances (sharded runs, qrun merge).
	Labels  map[string]string // --label k=v
	StartAt time.Time         // --start-at: zero for "now"

	// Repetition.
	Runs     int
	Warmup   int
	Duration time.Duration
	// BeforeEach and AfterEach are the --before-each and --after-each values: SQL, or
	// @FILE for the statements of a file.
	BeforeEach []string
	AfterEach  []string

	// Output.
	Format  string
	Output  string
	DryRun  bool
	Verbose bool
	Quiet   bool
	// Echo is where the script's \echo and \qecho print: "stderr" (the default),
	// "stdout" (only when the report goes to a file) or a file.
	Echo string

	// Comparing. Baseline is what comparisons name the baseline: the --baseline path,
	// or with several paths or --history, a description of the history (validate);
	// Baselines are the --baseline values, History the --history N.
	Baseline     string
	Baselines    []string
	History      int
	ThresholdPct float64
	MinDelta     time.Duration
	// GatePlan (--gate-plan) fails the gate when a statement's plan changed.
	GatePlan bool

	// ServerStats (--server-stats): the server's side of every statement, from an
	// explain pass after the measured runs and pg_stat_statements.
	ServerStats bool
}

// defaultMinDelta is the gate's default absolute floor (--min-delta).
const defaultMinDelta = time.Millisecond

// maxDefaultConcurrency caps the default --concurrency.
const maxDefaultConcurrency = 16

// flagGroup is a titled set of flags for the help text.
type flagGroup struct {
	title string
	flags *pflag.FlagSet
}

func newRootCmd(env *Env, runF func(context.Context, *Options) error) *cobra.Command {
	if runF == nil {
		runF = run
	}
	o := &Options{Env: env}
	cmd := &cobra.Command{
		Use:   "qrun [flags] FILE...",
		Short: "Run SQL files against PostgreSQL, in sequence or in parallel, and time every statement",
		Long: `qrun runs the statements of SQL files against PostgreSQL — one after another on one
connection, exactly as psql -f would, or concurrently with --parallel — and reports every
statement's time, the run's wall time and how close it came to its critical path.

Files are split as psql splits them. "-- name:", "-- stage:" and "-- after:" comment lines
above a statement name it, start a stage, or make it wait for others.`,
		Example: `  # Cook the lunch one dish after another, then all at once
  qrun examples/lunch.sql
  qrun --parallel examples/lunch.sql

  # Restore a pg_dump file into a new database, as psql -f would
  qrun -d postgres://app@db.internal/newdb dump.sql

  # Time a workload 30 times after 3 warmup runs and save a baseline
  qrun --runs 30 --warmup 3 --format json -o base.json bench.sql

  # Gate a change in CI: exit 3 if any statement got significantly slower by more than 10%
  qrun --runs 30 --baseline base.json --threshold 10% bench.sql

  # The same workload on two servers, side by side
  qrun --runs 20 -d postgres://pg15.internal/app -d postgres://pg17.internal/app bench.sql

  # Check and plan without connecting, and see what each statement waits for and why
  qrun --dry-run --parallel examples/lunch_dag.sql

  # Restore a plain pg_dump file with 4 connections, tables loading side by side
  qrun --parallel -c 4 -d newdb dump.sql`,
		Version:       version(),
		Args:          cobra.ArbitraryArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Files = append(o.Files, args...)
			if err := o.validate(cmd.Flags()); err != nil {
				return err
			}
			return runF(cmd.Context(), o)
		},
	}
	cmd.SetIn(env.In)
	cmd.SetOut(env.Out)
	cmd.SetErr(env.ErrOut)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	cmd.SetVersionTemplate("qrun version {{.Version}}\n")
	// -h is the host, as in psql; help is --help and -?.
	cmd.PersistentFlags().BoolP("help", "?", false, "show this help")

	conn := pflag.NewFlagSet("connection", pflag.ContinueOnError)
	conn.StringVarP(&o.Host, "host", "h", "", "database server `HOST` or socket directory (default: $PGHOST)")
	conn.Uint16VarP(&o.Port, "port", "p", 0, "database server `PORT` (default: $PGPORT or 5432)")
	conn.StringVarP(&o.Username, "username", "U", "", "database `USER` name (default: $PGUSER)")
	targets := &listValue{list: &o.Targets, typ: "DB"}
	conn.VarP(targets, "dbname", "d", "database name, or a connection string or URL; repeat for several servers\n(default: $DATABASE_URL, else $PGDATABASE and the other PG* variables)")
	conn.Var(targets, "dsn", "same as --dbname")
	conn.StringSliceVar(&o.Spread, "spread", nil, "spread the connections round-robin over `HOSTS` (HOST[:PORT],...): the nodes of one cluster")

	in := pflag.NewFlagSet("input", pflag.ContinueOnError)
	in.StringArrayVarP(&o.Files, "file", "f", nil, "read statements from `FILE`, as psql -f (repeatable; before the FILE arguments)")
	in.StringArrayVar(&o.Commands, "command", nil, "run `SQL`, as psql -c (repeatable; after the files; -c is --concurrency)")
	in.VarP(&varsValue{vars: &o.Vars}, "set", "v", "set psql variable NAME to VALUE (repeatable)")
	in.BoolP("no-psqlrc", "X", false, "accepted, as psql's: qrun reads no psqlrc")

	exec := pflag.NewFlagSet("execution", pflag.ContinueOnError)
	exec.BoolVar(&o.Parallel, "parallel", false, "run statements concurrently on a pool of connections")
	exec.StringVar(&o.Deps, "deps", "auto", "with --parallel, `MODE` auto: infer dependencies from what each statement reads and writes,\nso the run ends as the sequential one would; none: only -- after: and -- stage: order statements")
	exec.VarP(&concurrencyValue{n: &o.Concurrency}, "concurrency", "c", "`N` connections with --parallel (default: the number of statements, at most 16)")
	exec.BoolVarP(&o.Single, "single-transaction", "1", false, "run the file as one transaction, as psql -1 (sequential mode; a failed statement rolls it all back)")
	exec.BoolVar(&o.StopOnError, "stop-on-error", false, "stop at the first failed statement; the rest are not run")
	exec.StringArrayVar(&o.Setup, "setup", nil, "run `SQL` on every connection as it opens, outside the timings (repeatable)")
	exec.DurationVar(&o.Timeout, "timeout", 0, "cancel a statement on the server after `D` (0: no limit)")
	exec.DurationVar(&o.MaxTime, "max-time", 0, "stop the whole run after `D`, as Ctrl-C would (0: no limit)")
	exec.DurationVar(&o.ConnectTimeout, "connect-timeout", 10*time.Second, "give up opening a connection after `D`")
	exec.DurationVar(&o.Wait, "wait", 0, "wait up to `D` for the server to accept connections, retrying while it\nrefuses them or is starting up (a CI service container)")
	exec.IntVar(&o.Retries, "retries", 0, "retry a statement `N` times after a serialization failure, a deadlock, a\nconnection error before a byte of it was sent, or a failed reconnection")
	exec.BoolVar(&o.Reconnect, "reconnect", false, "sequential mode: replace a lost connection and go on (the session's state is gone);\nwithout it a lost connection ends the run, as in psql")
	exec.BoolVar(&o.ReadOnly, "read-only", false, "run every statement in a READ ONLY transaction the file cannot undo: writes fail")
	exec.BoolVar(&o.Rollback, "rollback", false, "run each statement in a transaction that is rolled back: writes timed, never kept")
	exec.StringVar(&o.Protocol, "protocol", "simple", "send statements with `PROTO` simple (psql's), extended (Parse/Bind/Execute, unnamed)\nor prepared (each distinct statement prepared once per connection, outside the timings)")
	exec.StringArrayVar(&o.Scan, "scan", nil, "run the workload for every combination of `NAME=v1,v2,...` (repeatable): c or concurrency\nthe pool size of --parallel, any other name a psql variable; side by side, interleaved")
	exec.BoolVar(&o.Pipeline, "pipeline", false, "with --protocol extended or prepared: send transaction blocks, and in sequential\nmode runs of single statements, in pipelines (times are completion to completion)")
	exec.BoolVar(&o.ServerStats, "server-stats", false, "after the measured runs, EXPLAIN ANALYZE every statement (rolled back) for server\ntime, buffers and plan; pg_stat_statements deltas over the measured runs")

	rep := pflag.NewFlagSet("repetition", pflag.ContinueOnError)
	rep.IntVar(&o.Runs, "runs", 1, "`N` measured runs of the whole file")
	rep.IntVar(&o.Warmup, "warmup", 0, "`W` unmeasured runs first")
	rep.DurationVar(&o.Duration, "duration", 0, "repeat until `D` has passed (at least --runs times)")
	rep.Var(&varsValue{vars: &o.Labels, typ: "K=V"}, "label", "label this instance K=V in the report (repeatable), for qrun merge")
	rep.Var(&timeValue{t: &o.StartAt}, "start-at", "connect, then wait until `TIME` (RFC 3339) to start, so that instances overlap")
	rep.StringArrayVar(&o.BeforeEach, "before-each", nil, "run `SQL`, or the statements of @FILE, before every run (warmups too),\noutside the timings: reset what a run changes (repeatable)")
	rep.StringArrayVar(&o.AfterEach, "after-each", nil, "run `SQL` or @FILE after every run, outside the timings (repeatable)")

	out := pflag.NewFlagSet("output", pflag.ContinueOnError)
	out.StringVar(&o.Format, "format", report.Formats[0], "output `FORMAT`: "+strings.Join(report.Formats, ", "))
	out.StringVarP(&o.Output, "output", "o", "", "write the report to `FILE` (atomically) instead of stdout")
	out.BoolVar(&o.DryRun, "dry-run", false, "read, check and plan the files without connecting, and print the plan")
	out.BoolVar(&o.Verbose, "verbose", false, "narrate on stderr as statements start and finish")
	out.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress display, warnings or failure lines on stderr")
	out.StringVar(&o.Echo, "echo", "", "where the script's \\echo and \\qecho print: stderr, stdout (with -o) or `FILE`\n(default: stderr; \\warn prints on stderr)")

	cmp := pflag.NewFlagSet("comparing", pflag.ContinueOnError)
	cmp.Var(&listValue{list: &o.Baselines, typ: "BASE"}, "baseline", "compare with `BASE`: a JSON report saved earlier; or, repeated or a directory of\nreports, the pooled samples of the saved reports (the last --history N)")
	cmp.IntVar(&o.History, "history", 0, "with --baseline DIR or several reports: pool the last `N` by start time (0: all)")
	cmp.Var(&percentValue{pct: &o.ThresholdPct}, "threshold", "with --baseline or several targets: exit 3 when a statement is\nsignificantly slower by more than this")
	cmp.BoolVar(&o.GatePlan, "gate-plan", false, "with --server-stats on both sides: exit 3 when a statement's plan changed")
	cmp.DurationVar(&o.MinDelta, "min-delta", defaultMinDelta, "with --threshold: a regression must also be slower by more than `D`\n(sub-millisecond noise between two runs is not a regression)")

	other := pflag.NewFlagSet("other", pflag.ContinueOnError)
	other.BoolP("version", "V", false, "print qrun's version")

	groups := []flagGroup{
		{"Input", in}, {"Connection", conn}, {"Execution", exec}, {"Repetition", rep},
		{"Output", out}, {"Comparing", cmp}, {"Other", other},
	}
	for _, g := range groups {
		g.flags.SortFlags = false
		cmd.Flags().AddFlagSet(g.flags)
	}
	// The help lists -? with the other flags; it is persistent so that subcommands have
	// it too, and so it is shown from a set of its own.
	shown := pflag.NewFlagSet("other", pflag.ContinueOnError)
	shown.SortFlags = false
	shown.AddFlagSet(other)
	shown.AddFlag(cmd.PersistentFlags().Lookup("help"))
	groups[len(groups)-1].flags = shown

	defaultHelp := cmd.HelpFunc()
	cmd.SetHelpFunc(func(c *cobra.Command, args []string) {
		if c != cmd {
			var b strings.Builder
			c.SetOut(&b)
			defaultHelp(c, args)
			c.SetOut(env.Out)
			fmt.Fprintln(env.Out, strings.TrimRight(b.String(), "\n"))
			return
		}
		writeHelp(c.OutOrStdout(), c, groups)
	})

	compareCmd := newCompareCmd(env)
	cmd.AddCommand(compareCmd, newMergeCmd(env), newShowCmd(env), newVersionCmd(env))
	setCompletions(cmd, compareCmd)
	return cmd
}

func writeHelp(w io.Writer, cmd *cobra.Command, groups []flagGroup) {
	fmt.Fprintf(w, "%s\n\nUsage:\n  %s\n  qrun compare BASE.json NEW.json [--threshold P%%] [--target NAME] [--format F]\n  qrun merge A.json B.json... [-o ALL.json]\n  qrun show REPORT.json [--format F]\n  qrun version\n  qrun completion bash|zsh|fish|powershell\n\nExamples:\n%s\n",
		cmd.Long, cmd.Use, cmd.Example)
	for _, g := range groups {
		fmt.Fprintf(w, "\n%s flags:\n%s", g.title, g.flags.FlagUsages())
	}
	fmt.Fprint(w, `
Environment:
  DATABASE_URL          connection string used unless -d gives one
  PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSSLMODE, ...
                        as libpq reads them, with .pgpass and the service file
  NO_COLOR              no colour in the table

Exit status:
  0 every statement ok; 1 some statement failed; 2 usage, input or connection error
  (nothing was run); 3 a gated regression, or a changed plan under --gate-plan;
  130 interrupted (Ctrl-C, SIGTERM, SIGHUP, SIGPIPE, --max-time)
`)
}

// validate checks the values that flag parsing cannot.
func (o *Options) validate(fs *pflag.FlagSet) error {
	if len(o.Files) == 0 && len(o.Commands) == 0 {
		return usagef("no input FILE given")
	}
	if len(o.Commands) > 0 && slices.Contains(o.Files, "-") {
		return usagef("--command and - (standard input) cannot be used together: --command is read as standard input")
	}
	if n := countStdin(o.Files); n > 1 {
		return usagef("- (standard input) is given %d times: it can be read once", n)
	}
	if fs.Changed("port") && o.Port == 0 {
		return usagef("--port must be from 1 to 65535, got 0 (leave it out for $PGPORT or 5432)")
	}
	if o.MinDelta < 0 {
		return usagef("--min-delta must not be negative, got %s", o.MinDelta)
	}
	if fs.Changed("concurrency") && o.Concurrency < 1 {
		return usagef("--concurrency must be at least 1, got %d", o.Concurrency)
	}
	if o.Runs < 1 {
		return usagef("--runs must be at least 1, got %d", o.Runs)
	}
	if o.Single && o.Parallel {
		return usagef("--single-transaction runs the file as one transaction on one connection: it cannot be used with --parallel")
	}
	if o.Single && o.Reconnect {
		return usagef("--single-transaction and --reconnect cannot be used together: the transaction dies with its connection, and what follows would run outside it")
	}
	if o.Single && o.Rollback {
		return usagef("--single-transaction and --rollback cannot be used together (--rollback already runs each statement in a transaction it rolls back)")
	}
	if _, err := runner.ParseProtocol(o.Protocol); err != nil {
		return usagef("--protocol: %v", err)
	}
	if o.Pipeline && (o.Protocol == "" || o.Protocol == "simple") {
		return usagef("--pipeline needs --protocol extended or prepared: a pipeline is made of extended-protocol messages")
	}
	if len(o.Scan) > 0 {
		axes, err := parseScan(o.Scan, o.Parallel)
		if err != nil {
			return usagef("%v", err)
		}
		for _, a := range axes {
			if a.conc && fs.Changed("concurrency") {
				return usagef("--scan c sets the pool size: drop -c/--concurrency")
			}
		}
		if o.DryRun {
			return usagef("--scan runs the workload once per combination: it cannot be used with --dry-run")
		}
		o.scanAxes = axes
	}
	switch o.Deps {
	case "auto", "none":
	default:
		return usagef("--deps must be auto or none, got %q", o.Deps)
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"warmup", o.Warmup}, {"retries", o.Retries}} {
		if n.v < 0 {
			return usagef("--%s must not be negative, got %d", n.name, n.v)
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"timeout", o.Timeout}, {"max-time", o.MaxTime}, {"connect-timeout", o.ConnectTimeout}, {"wait", o.Wait}, {"duration", o.Duration}} {
		if d.v < 0 {
			return usagef("--%s must not be negative, got %s", d.name, d.v)
		}
	}
	if err := checkFormat(o.Format); err != nil {
		return err
	}
	for _, h := range []struct {
		flag   string
		values []string
	}{{"before-each", o.BeforeEach}, {"after-each", o.AfterEach}} {
		for _, v := range h.values {
			if strings.TrimSpace(v) == "" || v == "@" {
				return usagef("--%s wants SQL or @FILE, got %q", h.flag, v)
			}
		}
	}
	if o.Verbose && o.Quiet {
		return usagef("--verbose and --quiet cannot be used together")
	}
	if o.History < 0 {
		return usagef("--history must not be negative, got %d", o.History)
	}
	if fs.Changed("history") && len(o.Baselines) == 0 {
		return usagef("--history needs --baseline DIR (or several --baseline reports)")
	}
	o.Baseline = baselineLabel(o.Baselines, o.History)
	if fs.Changed("threshold") && o.Baseline == "" && len(o.Targets) < 2 {
		return usagef("--threshold needs --baseline or several -d targets")
	}
	if o.GatePlan && !o.ServerStats && !o.DryRun {
		return usagef("--gate-plan compares plans: it needs --server-stats (and a baseline made with it, or several -d targets)")
	}
	if o.GatePlan && o.Baseline == "" && len(o.Targets) < 2 {
		return usagef("--gate-plan needs --baseline or several -d targets")
	}
	if o.DryRun && o.Baseline != "" {
		return usagef("--dry-run cannot be compared with --baseline")
	}
	if o.Echo == "stdout" && (o.Output == "" || o.Output == "-") {
		return usagef("--echo stdout needs -o FILE: the report goes to stdout")
	}
	return nil
}

// countStdin counts the files that are standard input ("-").
func countStdin(files []string) int {
	n := 0
	for _, f := range files {
		if f == "-" {
			n++
		}
	}
	return n
}

func checkFormat(f string) error {
	if !slices.Contains(report.Formats, f) {
		return usagef("unknown format %q (want one of %s)", f, strings.Join(report.Formats, ", "))
	}
	return nil
}

// baselineLabel names the baseline in comparisons: its path, or for a history, its
// paths and how many reports are pooled.
func baselineLabel(paths []string, history int) string {
	switch {
	case len(paths) == 0:
		return ""
	case len(paths) == 1 && history == 0 && !isDir(paths[0]):
		return paths[0]
	}
	l := strings.Join(paths, ", ")
	if history > 0 {
		return fmt.Sprintf("%s (the last %d reports, pooled)", l, history)
	}
	return l + " (pooled)"
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
