package report

import (
	"bufio"
	"math"
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/qrunhq/qrun/result"
)

// The glyphs of the text timeline.
const (
	glyphRun   = '█'
	glyphWait  = '░'
	glyphStage = '┊'
)

// statusMark is the one-column mark of a status on the timeline.
func statusMark(s result.Status) rune {
	switch s {
	case result.StatusOK:
		return '✓'
	case result.StatusError, result.StatusTimeout:
		return '✗'
	case result.StatusCancelled:
		return '⊘'
	case result.StatusSkipped, result.StatusNotRun:
		return '-'
	}
	return ' '
}

// axis maps a run's time in milliseconds to columns or pixels.
type axis struct {
	endMs float64 // the end of the axis; > 0
	size  float64 // columns or pixels
}

// newAxis returns the axis of a run: from 0 to the last end, or to the run's wall time
// when it is later, or to endMs when that is later still (several targets drawn on one
// scale). ok is false when nothing ran.
func newAxis(r *result.Report, size, endMs float64) (axis, bool) {
	end := timelineEnd(r)
	end = math.Max(end, endMs)
	return axis{endMs: end, size: size}, end > 0
}

// timelineEnd is where a run's timeline ends: its last end, or its wall time.
func timelineEnd(r *result.Report) float64 {
	end := 0.0
	for i := range r.Queries {
		end = math.Max(end, r.Queries[i].EndMs)
	}
	if end <= 0 {
		end = r.TotalWallMs
	}
	return end
}

// commonEnd is the end of one scale for the timelines of several targets, so that
// they can be compared by eye: the latest of their ends.
func commonEnd(r *result.Report) float64 {
	end := 0.0
	for i := range r.Targets {
		end = math.Max(end, timelineEnd(&r.Targets[i]))
	}
	return end
}

func (a axis) at(ms float64) float64 {
	return math.Max(0, math.Min(a.size, ms/a.endMs*a.size))
}

// runTime is the time a timeline labels a unit's bar with: the unit's time in the run
// the timeline draws — the last one, when there were several, whose bars these are, not
// the median.
func runTime(r *result.Report, q *result.Query) float64 {
	if r.Runs > 1 || len(q.RunsMs) > 0 {
		return math.Max(0, q.EndMs-q.StartMs)
	}
	return q.WallMs
}

// ran reports whether a unit has a place on the timeline.
func ran(q *result.Query) bool {
	return !neverRan(q.Status) && (q.EndMs > 0 || q.StartMs > 0)
}

// stage is a stage of a run as drawn on a timeline: the time its barrier opened, and
// its first unit.
type stage struct {
	name   string
	openMs float64
	first  int // the index of its first unit in the report's queries
}

// newStage reports whether q, the unit after prev, starts a stage: by the plan's stage
// index, or in a report of an older version (no index) by a change of label.
func newStage(prev, q *result.Query) bool {
	return q.StageIndex != prev.StageIndex || q.Stage != prev.Stage
}

// drawnStages is stages as a timeline draws them: a run with one stage has none to draw.
func drawnStages(sts []stage) []stage {
	if len(sts) > 1 {
		return sts
	}
	return nil
}

// niceStep returns a round tick interval (1, 2 or 5 × 10^k ms) that puts about n ticks
// on an axis endMs long.
func niceStep(endMs float64, n int) float64 {
	raw := endMs / float64(max(n, 1))
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// cell is one column of a timeline line.
type cell struct {
	r     rune
	style string
}

// writeTimeline draws the (last) run as text: one line per unit, its wait as ░ and its
// run as █ on a time axis opts.Width columns wide, a status mark and the time, stage
// boundaries as ┊, and a ruler with ticks.
func writeTimeline(w *bufio.Writer, s *section, opts Options) {
	r := s.r
	if len(r.Queries) == 0 {
		return
	}
	width := opts.width()
	nameW := 4
	for i := range r.Queries {
		nameW = max(nameW, displayWidth(r.Queries[i].Name))
	}
	nameW = min(nameW, max(8, width/4))
	const sufW = 10 // " ✓ " + a time of up to 7 columns
	barW := max(10, width-nameW-1-sufW)
	ax, ok := newAxis(r, float64(barW), opts.axisEndMs)
	if !ok {
		return
	}
	sts := drawnStages(s.stages())
	stageCols := make([]int, len(sts))
	for i, s := range sts {
		stageCols[i] = min(barW-1, int(math.Round(ax.at(s.openMs))))
	}

	w.WriteByte('\n')
	title := "timeline"
	if r.Runs > 1 {
		title = "timeline (last run)"
	}
	w.WriteString(paint(opts.Color, ansiBold, title))
	w.WriteByte('\n')
	line := make([]cell, barW)
	pad := strings.Repeat(" ", nameW+1)

	if len(sts) > 0 {
		for i := range line {
			line[i] = cell{r: ' '}
		}
		for i, s := range sts {
			end := barW
			if i+1 < len(sts) {
				end = stageCols[i+1]
			}
			c := stageCols[i]
			line[c] = cell{r: glyphStage, style: ansiDim}
			for _, ch := range s.name {
				if c++; c >= end {
					break
				}
				line[c] = cell{r: ch, style: ansiDim}
			}
		}
		w.WriteString(pad)
		writeCells(w, line, opts.Color)
		w.WriteByte('\n')
	}

	var buf []byte
	for i := range r.Queries {
		q := &r.Queries[i]
		for j := range line {
			line[j] = cell{r: ' '}
		}
		for _, c := range stageCols {
			line[c] = cell{r: glyphStage, style: ansiDim}
		}
		if ran(q) {
			c0 := int(ax.at(q.StartMs))
			c1 := int(math.Ceil(ax.at(q.EndMs)))
			cw := int(ax.at(q.StartMs - q.WaitMs))
			c1 = max(c1, c0+1)
			for c := cw; c < c0 && c < barW; c++ {
				line[c] = cell{r: glyphWait, style: ansiDim}
			}
			style := statusStyle(q.Status)
			for c := c0; c < c1 && c < barW; c++ {
				line[c] = cell{r: glyphRun, style: style}
			}
		}
		writeName(w, q.Name, nameW)
		w.WriteByte(' ')
		writeCells(w, line, opts.Color)
		w.WriteByte(' ')
		w.WriteString(paint(opts.Color, statusStyle(q.Status), string(statusMark(q.Status))))
		w.WriteByte(' ')
		buf = buf[:0]
		if ran(q) {
			buf = appendDuration(buf, runTime(r, q))
		} else {
			buf = append(buf, q.Status...)
		}
		w.Write(buf)
		w.WriteByte('\n')
	}

	// The ruler: ├──┼──┤ with a tick every step, and the tick labels under it.
	step := niceStep(ax.endMs, max(2, barW/12))
	ruler := make([]rune, barW)
	labels := []rune(strings.Repeat(" ", barW+8))
	for i := range ruler {
		ruler[i] = '─'
	}
	ruler[0], ruler[barW-1] = '├', '┤'
	next := 0
	for t := 0.0; t <= ax.endMs+step/1e6; t += step {
		c := min(barW-1, int(math.Round(ax.at(t))))
		if c > 0 && c < barW-1 {
			ruler[c] = '┼'
		}
		lbl := []rune(Duration(t))
		if t == 0 {
			lbl = []rune("0")
		}
		if c >= next && c+len(lbl) <= len(labels) {
			copy(labels[c:], lbl)
			next = c + len(lbl) + 1
		}
	}
	if end := []rune(Duration(ax.endMs)); next <= barW-len(end) {
		copy(labels[barW-len(end):], end)
	}
	w.WriteString(pad)
	w.WriteString(string(ruler))
	w.WriteByte('\n')
	w.WriteString(pad)
	w.WriteString(strings.TrimRight(string(labels), " "))
	w.WriteByte('\n')
}

// writeName writes a name padded or cut with … to n columns.
func writeName(w *bufio.Writer, name string, n int) {
	name = OneLine(name)
	width := displayWidth(name)
	if width > n {
		name = twwidth.Truncate(name, n-1, "") + "…"
		width = displayWidth(name)
	}
	w.WriteString(name)
	for ; width < n; width++ {
		w.WriteByte(' ')
	}
}

// writeCells writes a line of cells, changing colour only where the style changes.
func writeCells(w *bufio.Writer, line []cell, color bool) {
	cur := ""
	for _, c := range line {
		if color && c.style != cur {
			if cur != "" {
				w.WriteString(ansiReset)
			}
			w.WriteString(c.style)
			cur = c.style
		}
		w.WriteRune(c.r)
	}
	if color && cur != "" {
		w.WriteString(ansiReset)
	}
}
