package report

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"

	"github.com/qrunhq/qrun/result"
)

// CSVColumns are the columns of the csv format of a report, in order. They are stable:
// new columns may be added at the end, none is renamed or removed. There is one row per
// unit and target, in plan order, target by target; a transaction block's statements
// follow it with block set to the block's name (sum wall_ms over rows with an empty
// block only). Times are milliseconds rounded to the microsecond; cells that do not
// apply are empty (times of a dry-run plan or of a unit that never ran, statistics of a
// single run, the comparison of a report without one).
//
//   - target: the target's label (Context.Target), empty for a single unnamed target
//   - name, file, line, col, stage, status, reason: the unit and how it ended
//   - wall_ms, wait_ms, rows, start_ms, end_ms, attempts: its measurements (wall_ms is the
//     median when runs > 1)
//   - runs, min_ms, p50_ms, p95_ms, p99_ms, max_ms, mean_ms, stddev_ms, errors: the
//     statistics of repeated runs
//   - sqlstate, error: the error, when it failed
//   - base_ms, delta_pct, p, verdict, regression: the comparison with the baseline, or
//     for a target after the first, with the first target
//   - server_ms, plan_ms, gap_ms, shared_hit, shared_read, shared_dirtied,
//     shared_written, temp_read, temp_written, plan_fingerprint, server_note: with
//     --server-stats, the server's side (the explain pass); server_verdict, plan,
//     plan_diff: its comparison
var CSVColumns = []string{
	"target", "name", "file", "line", "col", "stage", "block", "status", "reason",
	"wall_ms", "wait_ms", "rows", "start_ms", "end_ms", "attempts",
	"runs", "min_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms", "stddev_ms", "errors",
	"sqlstate", "error",
	"base_ms", "delta_pct", "p", "verdict", "regression",
	"server_ms", "plan_ms", "gap_ms", "shared_hit", "shared_read", "shared_dirtied", "shared_written",
	"temp_read", "temp_written", "plan_fingerprint", "server_note", "server_verdict", "plan", "plan_diff",
}

// CSVComparisonColumns are the columns of the csv format of qrun compare, one row per
// statement and comparison, the run's total last with name "(total)". Stable like
// CSVColumns.
var CSVComparisonColumns = []string{
	"base", "new", "name", "base_ms", "new_ms", "base_n", "new_n", "delta_pct", "ratio", "p",
	"verdict", "regression", "threshold_pct", "note",
	"server_base_ms", "server_new_ms", "server_verdict", "plan", "plan_diff", "plan_regression",
}

// ms formats milliseconds rounded to the microsecond, without trailing zeros.
func ms(v float64) string {
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func writeCSV(w io.Writer, r *result.Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	row := make([]string, len(CSVColumns))
	v := newView(r)
	for i := range v.sections {
		s := &v.sections[i]
		if err := csvTarget(cw, row, s.r, s.label, rowIndex(s.comparisonColumns())); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvTarget(cw *csv.Writer, row []string, r *result.Report, target string, idx map[string]*result.ComparisonRow) error {
	dry := isDryRun(r)
	for i := range r.Queries {
		q := &r.Queries[i]
		csvRow(row, target, "", q, dry, idx[q.Name])
		if err := cw.Write(row); err != nil {
			return err
		}
		for j := range q.Statements {
			csvRow(row, target, q.Name, &q.Statements[j], dry, nil)
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	return nil
}

// csvRow fills row (len(CSVColumns)) for one unit or statement.
func csvRow(row []string, target, block string, q *result.Query, dry bool, c *result.ComparisonRow) {
	clear(row)
	row[0], row[1], row[2] = target, q.Name, q.File
	row[3], row[4] = strconv.Itoa(q.Line), strconv.Itoa(q.Col)
	row[5], row[6], row[7], row[8] = q.Stage, block, string(q.Status), q.Reason
	if !dry && !neverRan(q.Status) {
		row[9], row[10] = ms(q.WallMs), ms(q.WaitMs)
		row[11] = strconv.FormatInt(q.Rows, 10)
		row[12], row[13] = ms(q.StartMs), ms(q.EndMs)
		row[14] = strconv.Itoa(max(q.Attempts, 1))
	}
	if s := q.Stats; s != nil {
		row[15] = strconv.Itoa(s.N)
		row[16], row[17], row[18], row[19] = ms(s.MinMs), ms(s.P50Ms), ms(s.P95Ms), ms(s.P99Ms)
		row[20], row[21], row[22] = ms(s.MaxMs), ms(s.MeanMs), ms(s.StddevMs)
		row[23] = strconv.Itoa(s.Errors)
	}
	if e := q.Error; e != nil {
		row[24], row[25] = e.SQLState, e.Message
	}
	if c != nil {
		row[26], row[27], row[28] = ms(c.BaseMs), num(math.Round(c.DeltaPct*10)/10), num(c.P)
		row[29], row[30] = string(c.Verdict), strconv.FormatBool(c.Regression)
	}
	serverCSV(row[31:], q, c)
}

func writeComparisonsCSV(w io.Writer, cs []result.Comparison) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVComparisonColumns); err != nil {
		return err
	}
	row := make([]string, len(CSVComparisonColumns))
	put := func(c *result.Comparison, r *result.ComparisonRow, name string) error {
		row[0], row[1], row[2] = c.Base, c.New, name
		row[3], row[4] = ms(r.BaseMs), ms(r.NewMs)
		row[5], row[6] = strconv.Itoa(r.BaseN), strconv.Itoa(r.NewN)
		row[7], row[8], row[9] = num(math.Round(r.DeltaPct*10)/10), num(math.Round(r.Ratio*1000)/1000), num(r.P)
		row[10], row[11], row[12], row[13] = string(r.Verdict), strconv.FormatBool(r.Regression), num(c.ThresholdPct), r.Note
		serverComparisonCSV(row[14:], r)
		return cw.Write(row)
	}
	for i := range cs {
		c := &cs[i]
		for j := range c.Rows {
			if err := put(c, &c.Rows[j], c.Rows[j].Name); err != nil {
				return err
			}
		}
		if c.Total != nil {
			if err := put(c, c.Total, "(total)"); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
