package report

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/qrunhq/qrun/result"
)

// view is a report's shape, resolved once: its sections (the report itself, or one per
// target), each with the columns of its statements table and its stages, the
// side-by-side rows of several targets, and the comparisons, each tied to the section
// of its new side by result.Comparison.NewTarget rather than by its position in the
// slice. Every format reads the report through it; table, markdown and html only write
// what it holds.
type view struct {
	r        *result.Report
	sections []section
	// several is true for a report of several targets: a section per target and the
	// side-by-side table.
	several bool
	// comparisons are all of the report's comparisons, in its order.
	comparisons []*result.Comparison
}

// section is one target's part of a report.
type section struct {
	label    string
	r        *result.Report
	dry      bool // a --dry-run plan: no times
	repeated bool // Runs > 1: statistics per query
	// stageList and moved cache scan: the stages, and whether a \connect moved some
	// units to another target; scanned says whether they are set.
	stageList []stage
	moved     bool
	scanned   bool
	// vsFirst is the comparison of this target with the first one (several targets,
	// not the first); nil otherwise.
	vsFirst *result.Comparison
	// gates are the comparisons whose new side is this section: with the first target
	// and with a --baseline, in the report's order.
	gates []*result.Comparison
}

// newView resolves r's shape.
func newView(r *result.Report) *view {
	v := &view{r: r, several: len(r.Targets) > 0}
	if !v.several {
		v.sections = []section{{label: r.Context.Target, r: r}}
	} else {
		v.sections = make([]section, len(r.Targets))
		for i := range r.Targets {
			v.sections[i] = section{label: r.TargetLabel(i), r: &r.Targets[i]}
		}
	}
	for i := range v.sections {
		s := &v.sections[i]
		s.dry, s.repeated = isDryRun(s.r), s.r.Runs > 1
	}
	v.comparisons = tiedComparisons(r)
	for _, c := range v.comparisons {
		i := c.NewTarget - 1
		if !v.several {
			i = 0
		}
		if i < 0 || i >= len(v.sections) {
			continue
		}
		s := &v.sections[i]
		s.gates = append(s.gates, c)
		if c.BaseTarget == 1 && i > 0 && s.vsFirst == nil {
			s.vsFirst = c
		}
	}
	return v
}

// tiedComparisons returns pointers to r's comparisons with NewTarget and BaseTarget
// set. A several-target report of an older version left them 0: its comparisons are
// then, by that version's contract, the first target against each other one, followed
// by one comparison with --baseline per target; those ties are set on copies.
func tiedComparisons(r *result.Report) []*result.Comparison {
	out := make([]*result.Comparison, len(r.Comparison))
	legacy := len(r.Targets) > 0
	for i := range r.Comparison {
		out[i] = &r.Comparison[i]
		if r.Comparison[i].NewTarget != 0 {
			legacy = false
		}
	}
	if !legacy {
		return out
	}
	n := len(r.Targets)
	for k := range out {
		c := *out[k]
		if k < n-1 {
			c.BaseTarget, c.NewTarget = 1, k+2
		} else {
			c.NewTarget = k - (n - 1) + 1
		}
		out[k] = &c
	}
	return out
}

// sectionOf is the section of c's new side; nil when c names none.
func (v *view) sectionOf(c *result.Comparison) *section {
	for i := range v.sections {
		if slices.Contains(v.sections[i].gates, c) {
			return &v.sections[i]
		}
	}
	return nil
}

// stages are the plan's stages of the section, in order, each opening when every unit
// of the earlier stages had ended (newStage tells where one starts).
func (s *section) stages() []stage {
	s.scan()
	return s.stageList
}

// scan finds, in one pass over the units and on first use (csv, junit and github need
// neither), the section's stages and whether a \connect moved some units to another
// target.
func (s *section) scan() {
	if s.scanned {
		return
	}
	s.scanned = true
	qs := s.r.Queries
	end := 0.0
	for i := range qs {
		q := &qs[i]
		if i == 0 || newStage(&qs[i-1], q) {
			s.stageList = append(s.stageList, stage{name: q.Stage, openMs: end, first: i})
		}
		end = math.Max(end, q.EndMs)
		s.moved = s.moved || q.Target != ""
	}
}

// comparisonColumns is the comparison whose numbers fill a section's comparison
// columns (csv): the one with a saved report (--baseline) when there is one, else the
// one with the first target.
func (s *section) comparisonColumns() *result.Comparison {
	for _, c := range s.gates {
		if c.BaseTarget == 0 {
			return c
		}
	}
	return s.vsFirst
}

// column is a column of a statements table, the same in every format.
type column struct {
	// name heads the column in markdown and html; the table upper-cases it without
	// spaces ("± stddev" is ±STDDEV).
	name  string
	right bool // a number, aligned right
	text  bool // free text: flattened to one line in the table, escaped in markdown
	asIs  bool // headed by its name as it is in the table too (a target's label)
	// cell is the column's cell for q, the i-th unit; color asks for ANSI colour (the
	// table's status).
	cell func(i int, q *result.Query, color bool) string
}

// header is the column's name as the table heads it.
func (c *column) header() string {
	if c.asIs {
		return c.name
	}
	return strings.ToUpper(strings.ReplaceAll(c.name, " ", ""))
}

// The columns of the statements tables.
var (
	colNum = column{name: "#", right: true, cell: func(i int, _ *result.Query, _ bool) string {
		return strconv.Itoa(i + 1)
	}}
	colName = column{name: "name", text: true, cell: func(_ int, q *result.Query, _ bool) string {
		return unitName(q)
	}}
	colStage = column{name: "stage", text: true, cell: func(_ int, q *result.Query, _ bool) string {
		return q.Stage
	}}
	colAfter = column{name: "after", text: true, cell: func(_ int, q *result.Query, _ bool) string {
		return afterNames(q)
	}}
	colPosition = column{name: "position", text: true, cell: func(_ int, q *result.Query, _ bool) string {
		return written(q)
	}}
	// colStatus is a status word or "error in 2 of 3 runs": nothing to escape or flatten.
	colStatus = column{name: "status", cell: func(_ int, q *result.Query, color bool) string {
		return statusCell(q, color)
	}}
	colTime   = column{name: "time", right: true, cell: func(_ int, q *result.Query, _ bool) string { return timeCell(q) }}
	colRows   = column{name: "rows", right: true, cell: func(_ int, q *result.Query, _ bool) string { return rowsCell(q) }}
	colWait   = column{name: "wait", right: true, cell: func(_ int, q *result.Query, _ bool) string { return waitCell(q.WaitMs) }}
	colMedian = column{name: "median", right: true, cell: func(_ int, q *result.Query, _ bool) string { return medianCell(q) }}
	colP95    = column{name: "p95", right: true, cell: func(_ int, q *result.Query, _ bool) string { return p95Cell(q) }}
	colStddev = column{name: "± stddev", right: true, cell: func(_ int, q *result.Query, _ bool) string { return stddevCell(q) }}
	colMinMax = column{name: "min…max", right: true, cell: func(_ int, q *result.Query, _ bool) string { return minMaxCell(q) }}
	// colTarget is where a \connect ran a unit: the target, or "-" on the run's own.
	colTarget = column{name: "target", text: true, cell: func(_ int, q *result.Query, _ bool) string {
		if q.Target == "" {
			return "-"
		}
		return q.Target
	}}
)

var (
	dryColumns      = []column{colNum, colName, colStage, colAfter, colPosition}
	repeatedColumns = []column{colName, colStatus, colMedian, colP95, colStddev, colMinMax, colRows, colWait}
	singleColumns   = []column{colName, colStatus, colTime, colRows, colWait}
)

// columns are the columns of the section's statements table: a plan's, repeated runs'
// or a single run's; a single run of several stages adds each unit's stage, and a run
// in which a \connect moved some units to another server or database adds the target
// each ran on.
func (s *section) columns() []column {
	var cols []column
	switch {
	case s.dry:
		return dryColumns
	case s.repeated:
		cols = repeatedColumns
	default:
		cols = singleColumns
		if len(s.stages()) > 1 {
			cols = append(slices.Clip(cols), colStage)
		}
	}
	if s.scan(); s.moved {
		cols = append(slices.Clip(cols), colTarget)
	}
	return cols
}

// problemLine is a line of a section's list of problems.
type problemLine struct {
	q   *result.Query
	msg string
}

// problems lists the section's errors, timeouts, skips and units not run, and in a
// plan the units completed at run time ("dynamic: ..."), in plan order.
func (s *section) problems() []problemLine {
	var out []problemLine
	for i := range s.r.Queries {
		q := &s.r.Queries[i]
		msg, ok := problem(q)
		if !ok && q.Status == result.StatusPlanned && q.Reason != "" {
			msg, ok = q.Reason, true
		}
		if ok {
			out = append(out, problemLine{q, msg})
		}
	}
	return out
}

// why lists, for a plan, why each unit waits for the ones it waits for: one line per
// dependency, "NAME waits for AFTER: REASON".
func (s *section) why() []string {
	var out []string
	for i := range s.r.Queries {
		q := &s.r.Queries[i]
		for _, d := range q.Deps {
			out = append(out, unitName(q)+" waits for "+OneLine(d.After)+": "+OneLine(d.Reason))
		}
	}
	return out
}

// sideColumns head the side-by-side table of several targets: the name, then each
// target's time, headed by its label, and for each target after the first its ratio to
// the first and the verdict.
func (v *view) sideColumns() []column {
	cols := []column{{name: "name", text: true}}
	for i := range v.sections {
		cols = append(cols, column{name: v.sections[i].label, right: true, asIs: true})
		if i > 0 {
			cols = append(cols, column{name: "ratio", right: true}, column{name: "verdict", text: true})
		}
	}
	return cols
}

// sideRows are the rows of the side-by-side table, one per unit of the first target,
// matched by name in the others: cells as sideColumns says, a missing unit "-" with
// empty ratio and verdict.
func (v *view) sideRows(color bool) [][]string {
	byName := make([]map[string]*result.Query, len(v.sections))
	idx := make([]map[string]*result.ComparisonRow, len(v.sections))
	for i := 1; i < len(v.sections); i++ {
		qs := v.sections[i].r.Queries
		byName[i] = make(map[string]*result.Query, len(qs))
		for j := range qs {
			byName[i][qs[j].Name] = &qs[j]
		}
		idx[i] = rowIndex(v.sections[i].vsFirst)
	}
	first := v.sections[0].r
	rows := make([][]string, 0, len(first.Queries))
	for j := range first.Queries {
		q0 := &first.Queries[j]
		row := make([]string, 0, 3*len(v.sections))
		row = append(row, unitName(q0), targetCell(q0, color))
		for i := 1; i < len(v.sections); i++ {
			q := byName[i][q0.Name]
			if q == nil {
				row = append(row, "-", "", "")
				continue
			}
			row = append(row, targetCell(q, color))
			if c := idx[i][q0.Name]; c != nil {
				row = append(row, ratio(c.Ratio), verdictCell(c, color))
			} else {
				row = append(row, "", "")
			}
		}
		rows = append(rows, row)
	}
	return rows
}
