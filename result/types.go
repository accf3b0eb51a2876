package result

import "time"

// SchemaVersion is the version of the JSON report. It changes when a stable key changes
// meaning or disappears; new keys may be added without a change.
const SchemaVersion = 1

// Status is the outcome of one query (or unit) in one run.
type Status string

// The statuses a query can end in.
const (
	StatusOK        Status = "ok"
	StatusError     Status = "error"
	StatusTimeout   Status = "timeout"   // cancelled on the server after --timeout
	StatusCancelled Status = "cancelled" // running when the run was interrupted
	StatusSkipped   Status = "skipped"   // a dependency failed
	StatusNotRun    Status = "not_run"   // never started: --stop-on-error or interrupted
	StatusPlanned   Status = "planned"   // --dry-run
)

// Error describes a failed query.
type Error struct {
	SQLState string `json:"sqlstate,omitempty"`
	Message  string `json:"message"`
	Detail   string `json:"detail,omitempty"`
	Hint     string `json:"hint,omitempty"`
	// Position is the file:line:col the server's error position points to, when it gave
	// one, else the statement's position.
	Position string `json:"position,omitempty"`
}

// Stats summarises samples in milliseconds.
type Stats struct {
	N        int     `json:"n"`
	MinMs    float64 `json:"min_ms"`
	P50Ms    float64 `json:"p50_ms"`
	P90Ms    float64 `json:"p90_ms"`
	P95Ms    float64 `json:"p95_ms"`
	P99Ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
	MeanMs   float64 `json:"mean_ms"`
	StddevMs float64 `json:"stddev_ms"`
	Errors   int     `json:"errors"`
}

// Query is one unit's measurements: a statement, or a transaction block whose statements
// are listed in Statements. Times are milliseconds; StartMs and EndMs are offsets from
// the start of the run.
type Query struct {
	Name string `json:"name"`
	// ID is the statement's identity across reports (compare pairs by it): its name when
	// a "-- name:" line gave one, else its file's base name and SQL fingerprint, with
	// " #K" for the K-th statement of the file with that fingerprint. See
	// compare.Identify. Empty in a dry run and in reports of older versions.
	ID    string `json:"id,omitempty"`
	File  string `json:"file"`
	Line  int    `json:"line"`
	Col   int    `json:"col"`
	SQL   string `json:"sql"`
	Stage string `json:"stage,omitempty"`
	// StageIndex numbers the unit's stage in the plan, from 0 in file order: a stage
	// barrier lies between two units whose StageIndex differ, whatever their labels (two
	// "-- stage:" lines may share one). 0 in reports of older versions, which then
	// tell stages apart by their labels only.
	StageIndex int      `json:"stage_index,omitempty"`
	After      []string `json:"after,omitempty"`
	// Deps lists, with --parallel, every unit this one waits for and why: its "-- after:"
	// lines and the dependencies inferred from what the statements read and write.
	Deps    []Dep   `json:"deps,omitempty"`
	Status  Status  `json:"status"`
	Reason  string  `json:"reason,omitempty"` // why skipped or not run
	WallMs  float64 `json:"wall_ms"`
	WaitMs  float64 `json:"wait_ms"`
	Rows    int64   `json:"rows"`
	Command string  `json:"command,omitempty"` // the command tag, e.g. "INSERT 0 3"
	StartMs float64 `json:"start_ms"`
	EndMs   float64 `json:"end_ms"`
	// Attempts is the number of times the query was sent (more than 1 after retries).
	Attempts int `json:"attempts,omitempty"`
	// Conn numbers the connection the query ran on (1-based), for timelines.
	Conn int `json:"conn,omitempty"`
	// Target is the server and database the query ran on (user@host:port/db) when a
	// \connect made it another than the run's.
	Target string `json:"target,omitempty"`
	Error  *Error `json:"error,omitempty"`

	// RunsMs holds the wall time of every measured run (repeated runs only).
	RunsMs []float64 `json:"runs_ms,omitempty"`
	// RunsStatus holds the status of every measured run, parallel to RunsMs, when some
	// run did not end ok; it is empty when every run was ok. Use Samples for the times of
	// the ok runs.
	RunsStatus []Status `json:"runs_status,omitempty"`
	Stats      *Stats   `json:"stats,omitempty"`

	// ServerStats holds, with --server-stats, what the server said about the unit; its
	// keys sit in the query's JSON object (server_ms, plan_ms, buffers,
	// plan_fingerprint, ...). Nil without --server-stats.
	*ServerStats

	// Statements lists a transaction block's statements with their own times.
	Statements []Query `json:"statements,omitempty"`
}

// ServerStats is the server's side of one unit (--server-stats): times and buffers from
// EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY, FORMAT JSON) run outside the measured
// runs, the normalised plan shape and its fingerprint. A statement that cannot be
// explained has only Note.
type ServerStats struct {
	// ServerMs is the median server execution time ("Execution Time") over the explain
	// passes, PlanMs the median planning time; ServerRunsMs holds every pass's.
	ServerMs     float64   `json:"server_ms,omitempty"`
	PlanMs       float64   `json:"plan_ms,omitempty"`
	ServerRunsMs []float64 `json:"server_runs_ms,omitempty"`
	ServerRows   int64     `json:"server_rows,omitempty"`
	Buffers      *Buffers  `json:"buffers,omitempty"`
	// PlanFingerprint is a short hash of PlanShape: node types, relations, indexes and
	// join order, without costs or row estimates.
	PlanFingerprint string   `json:"plan_fingerprint,omitempty"`
	PlanShape       []string `json:"plan_shape,omitempty"`
	// PlanJSON is the server's full EXPLAIN output of the last pass.
	PlanJSON string `json:"plan_json,omitempty"`
	QueryID  string `json:"query_id,omitempty"`
	// Note says why the unit was not explained ("utility statement", ...).
	Note string `json:"server_note,omitempty"`
	// GapMs is the client's median wall time less the server's execution and planning
	// time: network, protocol, result transfer and queueing.
	GapMs float64 `json:"gap_ms,omitempty"`
	// StatStatements holds the deltas of pg_stat_statements' counters over the measured
	// runs for the statement's query id; nil when the extension is absent (see
	// Report.PgStatStatements) or the statement has no query id.
	StatStatements *StatDelta `json:"pg_stat_statements,omitempty"`
}

// StatDelta is what pg_stat_statements counted for one query id over the measured runs
// (warmups and the explain pass excluded). Times are milliseconds.
type StatDelta struct {
	Calls         int64   `json:"calls"`
	TotalExecMs   float64 `json:"total_exec_ms"`
	MeanExecMs    float64 `json:"mean_exec_ms"`
	TotalPlanMs   float64 `json:"total_plan_ms"`
	Rows          int64   `json:"rows"`
	SharedHit     int64   `json:"shared_hit"`
	SharedRead    int64   `json:"shared_read"`
	SharedDirtied int64   `json:"shared_dirtied"`
	SharedWritten int64   `json:"shared_written"`
	TempRead      int64   `json:"temp_read"`
	TempWritten   int64   `json:"temp_written"`
	WalRecords    int64   `json:"wal_records"`
	WalBytes      int64   `json:"wal_bytes"`
}

// Buffers counts the blocks a plan touched (EXPLAIN's BUFFERS), executor only.
type Buffers struct {
	SharedHit     int64 `json:"shared_hit"`
	SharedRead    int64 `json:"shared_read"`
	SharedDirtied int64 `json:"shared_dirtied"`
	SharedWritten int64 `json:"shared_written"`
	LocalHit      int64 `json:"local_hit"`
	LocalRead     int64 `json:"local_read"`
	LocalDirtied  int64 `json:"local_dirtied"`
	LocalWritten  int64 `json:"local_written"`
	TempRead      int64 `json:"temp_read"`
	TempWritten   int64 `json:"temp_written"`
}

// Plan comparison outcomes (ComparisonRow.Plan); "" when either side has no plan.
const (
	PlanSame    = "same"
	PlanChanged = "changed"
)

// Dep is one dependency of a unit: the name of the unit it waits for, and why.
type Dep struct {
	After  string `json:"after"`
	Reason string `json:"reason"`
}

// Run is one execution of a plan, as the runner measured it.
type Run struct {
	StartedAt   time.Time
	WallMs      float64 // from the first send to the last result
	Queries     []Query // one per unit, in plan order
	Interrupted bool    // Ctrl-C, SIGTERM or --max-time
}

// Context records where and how a report was made. It never holds a password.
type Context struct {
	QrunVersion   string `json:"qrun_version"`
	ServerVersion string `json:"server_version,omitempty"`
	// Engine names what answered: PostgreSQL, or a PG-wire engine recognised by its
	// version() (CockroachDB, YugabyteDB, ...).
	Engine string `json:"engine,omitempty"`
	// Connections holds, for each connection opened before the runs, the server address
	// it reached (inet_server_addr), so that runs through a load balancer or a pooler
	// say where they went; "local socket" over a Unix socket.
	Connections []string `json:"connections,omitempty"`
	// Pooler is "transaction" or "statement" when the connections go through a pooler
	// that shares server sessions per transaction or per statement (PgBouncer's modes).
	Pooler string `json:"pooler,omitempty"`
	// Protocol is how statements were sent: "simple" (psql's), "extended" or "prepared"
	// (--protocol); "" in reports made before qrun recorded it, which used simple.
	Protocol string `json:"protocol,omitempty"`
	// Scan is the combination of --scan values this target ran with (c for the pool
	// size, else psql variables); nil outside a scan.
	Scan map[string]string `json:"scan,omitempty"`
	// Pipeline says that --pipeline sent statements ahead in pipelines (their times are
	// completion to completion).
	Pipeline  bool      `json:"pipeline,omitempty"`
	Target    string    `json:"target,omitempty"` // a label: user@host:port/db
	Host      string    `json:"host,omitempty"`
	Port      int       `json:"port,omitempty"`
	Database  string    `json:"database,omitempty"`
	User      string    `json:"user,omitempty"`
	StartedAt time.Time `json:"started_at"`
	Files     []string  `json:"files,omitempty"`
	// Labels are the --label k=v pairs that tell this instance from others running the
	// same workload.
	Labels map[string]string `json:"labels,omitempty"`
	// Instances lists, in a merged report (qrun merge), every process whose runs it
	// holds; StartSpreadMs is how far apart their first runs started.
	Instances     []Instance `json:"instances,omitempty"`
	StartSpreadMs float64    `json:"start_spread_ms,omitempty"`
}

// Counts counts units by status.
type Counts struct {
	OK        int `json:"ok"`
	Error     int `json:"error"`
	Timeout   int `json:"timeout"`
	Cancelled int `json:"cancelled"`
	Skipped   int `json:"skipped"`
	NotRun    int `json:"not_run"`
}

// Report is qrun's complete output for one target, or, with Targets set, for several.
type Report struct {
	SchemaVersion int     `json:"schema_version"`
	Context       Context `json:"context"`
	Mode          string  `json:"mode"` // "sequential", "parallel" or "dry-run"
	Concurrency   int     `json:"concurrency"`
	Runs          int     `json:"runs"`
	Warmup        int     `json:"warmup,omitempty"`
	ConnectMs     float64 `json:"connect_ms"`
	// TotalWallMs is the run's wall time; the median over runs when Runs > 1.
	TotalWallMs float64 `json:"total_wall_ms"`
	// SumMs is the sum of the queries' wall times (medians when Runs > 1).
	SumMs   float64 `json:"sum_ms"`
	Speedup float64 `json:"speedup"` // SumMs / TotalWallMs
	// CriticalPath names the longest chain of units by measured time (each unit's WallMs:
	// with several runs, its median over the runs it ended ok); CriticalPathMs is its
	// length, the sum of those times, and Efficiency is CriticalPathMs / TotalWallMs.
	CriticalPath []string `json:"critical_path,omitempty"`
	// CriticalPathWhy says, with --parallel, why each unit of the critical path waited for
	// the one before it (the first entry is empty): a dependency's reason, or its stage.
	CriticalPathWhy []string  `json:"critical_path_why,omitempty"`
	CriticalPathMs  float64   `json:"critical_path_ms,omitempty"`
	Efficiency      float64   `json:"efficiency,omitempty"`
	TotalRunsMs     []float64 `json:"total_runs_ms,omitempty"`
	TotalStats      *Stats    `json:"total_stats,omitempty"`
	Summary         Counts    `json:"summary"`
	Interrupted     bool      `json:"interrupted,omitempty"`
	// PartialRunMs is the wall time of a run cut short (Ctrl-C, SIGTERM, --max-time) that
	// counts in no statistic because complete runs exist; 0 when there was none.
	PartialRunMs float64  `json:"partial_run_ms,omitempty"`
	Warnings     []string `json:"warnings,omitempty"`
	Queries      []Query  `json:"queries"`

	// ServerPassMs is, with --server-stats, the wall time of the explain pass made after
	// the measured runs (outside them); PgStatStatements says whether pg_stat_statements
	// deltas were taken: "ok", or why not ("not installed in database app", ...).
	ServerPassMs     float64 `json:"server_pass_ms,omitempty"`
	PgStatStatements string  `json:"pg_stat_statements_status,omitempty"`

	// Targets holds one full report per server when qrun ran against several; the
	// top-level Queries is then empty and Comparison compares the first target with
	// each other one.
	Targets    []Report     `json:"targets,omitempty"`
	Comparison []Comparison `json:"comparison,omitempty"`
}

// Verdict is the outcome of comparing one query's samples.
type Verdict string

// Verdicts.
const (
	VerdictSame   Verdict = "~"      // no significant difference, or too few samples
	VerdictSlower Verdict = "slower" // significantly slower at alpha 0.05
	VerdictFaster Verdict = "faster" // significantly faster at alpha 0.05
	VerdictAdded  Verdict = "added"  // only in the new report
	VerdictGone   Verdict = "gone"   // only in the base report
	// VerdictFailedNew: the statement did not end ok in some run of the new report
	// (error, timeout, cancelled, skipped or not run). It fails the gate: its times say
	// nothing about its speed.
	VerdictFailedNew Verdict = "failed in new"
	// VerdictFailedBase: ok in the new report, but the base has no ok run of it to
	// compare with. Not gated.
	VerdictFailedBase Verdict = "failed in base"
)

// Comparison compares a base report with a new one, statement by statement.
type Comparison struct {
	Base string `json:"base"` // labels: a file name or a target
	New  string `json:"new"`
	// NewTarget and BaseTarget tie a comparison inside a several-target report to its
	// sides: 1 + the index in Report.Targets of the target on that side; 0 is the report
	// itself (NewTarget) or a saved report such as --baseline (BaseTarget). Reports of
	// older versions leave them 0; see report's view for how they are read then.
	NewTarget    int     `json:"new_target,omitempty"`
	BaseTarget   int     `json:"base_target,omitempty"`
	ThresholdPct float64 `json:"threshold_pct,omitempty"`
	// MinDeltaMs is the gate's absolute floor: a regression must also be slower by more
	// than this many milliseconds.
	MinDeltaMs float64         `json:"min_delta_ms,omitempty"`
	Alpha      float64         `json:"alpha"`
	Rows       []ComparisonRow `json:"rows"`
	Total      *ComparisonRow  `json:"total,omitempty"` // the run's total wall time
	// Regressions counts rows that are significantly slower by more than ThresholdPct.
	Regressions int `json:"regressions"`
	// Failures counts the rows that failed in new (VerdictFailedNew), the total
	// excluded: each fails the gate, with or without a threshold.
	Failures int `json:"failures"`
	// Ambiguous counts the rows whose pairing is ambiguous and which are therefore not
	// gated.
	Ambiguous int `json:"ambiguous,omitempty"`
	// PlanChanges counts the rows whose plan changed; with GatePlan each fails the gate.
	PlanChanges int  `json:"plan_changes,omitempty"`
	GatePlan    bool `json:"gate_plan,omitempty"`
}

// ComparisonRow compares one query's samples.
type ComparisonRow struct {
	Name string `json:"name"` // the new report's name (the base's when gone)
	// ID is the identity the two sides were paired by; BaseName is the base report's
	// name of the statement when it differs from Name (an unnamed statement that moved).
	ID       string  `json:"id,omitempty"`
	BaseName string  `json:"base_name,omitempty"`
	BaseMs   float64 `json:"base_ms"` // median
	NewMs    float64 `json:"new_ms"`
	BaseN    int     `json:"base_n"`
	NewN     int     `json:"new_n"`
	DeltaPct float64 `json:"delta_pct"` // (new - base) / base * 100
	Ratio    float64 `json:"ratio"`     // new / base
	P        float64 `json:"p"`         // Mann-Whitney U p-value; 1 when not computed
	Verdict  Verdict `json:"verdict"`
	// Regression is true when the row fails the --threshold gate.
	Regression bool `json:"regression,omitempty"`
	// ChangedSQL says that the two sides' SQL differs beyond whitespace, comments and
	// case: a named statement whose text was edited, or an unnamed one whose constants
	// changed.
	ChangedSQL bool `json:"changed_sql,omitempty"`
	// Ambiguous says that the pairing is a guess (several statements with the same SQL
	// on a side, in different numbers on the two sides): such a row is never gated.
	Ambiguous bool `json:"ambiguous,omitempty"`
	// Server times (--server-stats on both sides): medians of the explain passes and
	// their own Mann-Whitney verdict, beside the client's.
	ServerBaseMs  float64 `json:"server_base_ms,omitempty"`
	ServerNewMs   float64 `json:"server_new_ms,omitempty"`
	ServerP       float64 `json:"server_p,omitempty"`
	ServerVerdict Verdict `json:"server_verdict,omitempty"`
	// Plan is PlanSame or PlanChanged when both sides have a plan fingerprint;
	// PlanDiff names the first differing node, new ← base.
	Plan     string `json:"plan,omitempty"`
	PlanDiff string `json:"plan_diff,omitempty"`
	// PlanBase and PlanNew are the two plan shapes of a changed plan, for the plan diff
	// of the markdown and HTML; empty unless Plan is PlanChanged.
	PlanBase []string `json:"plan_base,omitempty"`
	PlanNew  []string `json:"plan_new,omitempty"`
	// PlanRegression: a changed plan that fails the gate (--gate-plan).
	PlanRegression bool   `json:"plan_regression,omitempty"`
	Note           string `json:"note,omitempty"` // e.g. "too few samples"
}

// Event is something the runner reports as a run goes, for progress displays and
// --verbose narration. Observers must not block.
type Event struct {
	Kind    EventKind
	Target  int    // index of the target (several --dsn)
	Run     int    // 0-based run number; negative for warmup runs
	Name    string // the unit's name
	Query   *Query // set for EventDone
	Elapsed time.Duration
}

// EventKind says what an Event reports.
type EventKind int

// Event kinds.
const (
	EventStart    EventKind = iota // a unit was sent
	EventDone                      // a unit finished (any status)
	EventRunStart                  // a run of the plan began
	EventRunDone                   // a run of the plan finished
)
