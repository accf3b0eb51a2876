// Package report renders finished results: table (with a text timeline), json, csv,
// markdown, junit and html; and, while a run goes, the progress display and --verbose
// narration. It never runs SQL and never prints to os.Stdout: every function writes to
// the io.Writer it is given.
//
// The input is a *result.Report in one of its shapes — a single run, repeated runs
// (Runs > 1 with Stats per query), a dry-run plan (Mode "dry-run"), several targets
// (Targets set), or a run compared with a baseline — or, for qrun compare, a
// []result.Comparison alone. newView (view.go) resolves a report's shape once: its
// sections (the report, or one per target), each with the columns of its statements
// table (chosen once for a plan, repeated runs or a single run, the same in every
// format), its stages (by result.Query.StageIndex), its problems and why units wait;
// the side-by-side rows of several targets; and its comparisons, each tied to the target
// of its new side by result.Comparison.NewTarget (BaseTarget says whether the base is the
// first target or a saved report), never by position. Table, markdown and html write
// what the view holds; csv, junit and github read its ties.
//
// Times are rendered by one helper everywhere (see Duration): 850µs, 12.3ms, 0.50s,
// 1.50s, 2m03s. On a timeline, a query's wait for a connection is drawn just before its
// StartMs, as the segment StartMs-WaitMs..StartMs.
package report
