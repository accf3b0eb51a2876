package report

import (
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/qrunhq/qrun/result"
)

// Narrator writes --verbose lines as a run goes: "start boil_water", "done boil_water
// 0.50s", "error cook_sauce: 42P01 relation \"pot\" does not exist". With several runs
// (see SetRuns) or for any run but the first, lines start with the run ("run 2: ",
// "warmup 1: "), and with several targets with the target ("target 2: "). It is safe
// for concurrent use; each event is written with one Write call.
type Narrator struct {
	mu    sync.Mutex
	w     io.Writer
	runs  int
	buf   []byte
	multi bool
}

// NewNarrator returns a Narrator writing to w.
func NewNarrator(w io.Writer) *Narrator { return &Narrator{w: w} }

// SetRuns tells the narrator how many measured runs and targets to expect, so that
// every line names its run when there are several runs, and its target when there are
// several targets. Without it, only runs after the first and warmup runs are named.
func (n *Narrator) SetRuns(runs, targets int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.runs = runs
	n.multi = targets > 1
}

// Handle narrates one event.
func (n *Narrator) Handle(e result.Event) {
	n.mu.Lock()
	defer n.mu.Unlock()
	b := n.buf[:0]
	if n.multi {
		b = append(b, "target "...)
		b = strconv.AppendInt(b, int64(e.Target+1), 10)
		b = append(b, ": "...)
	}
	switch {
	case e.Run < 0:
		b = append(b, "warmup "...)
		b = strconv.AppendInt(b, int64(-e.Run), 10)
		b = append(b, ": "...)
	case e.Run > 0 || n.runs > 1:
		b = append(b, "run "...)
		b = strconv.AppendInt(b, int64(e.Run+1), 10)
		b = append(b, ": "...)
	}
	switch e.Kind {
	case result.EventRunStart:
		b = append(b, "run started"...)
	case result.EventRunDone:
		b = append(b, "run done "...)
		b = appendDuration(b, float64(e.Elapsed)/float64(time.Millisecond))
	case result.EventStart:
		b = append(b, "start "...)
		b = append(b, e.Name...)
	case result.EventDone:
		b = appendDone(b, e)
	default:
		return
	}
	b = append(b, '\n')
	n.buf = b
	n.w.Write(b) // narration is best effort: a failing stderr must not stop a run
}

func appendDone(b []byte, e result.Event) []byte {
	q := e.Query
	if q == nil {
		b = append(b, "done "...)
		b = append(b, e.Name...)
		return b
	}
	switch q.Status {
	case result.StatusOK:
		b = append(b, "done "...)
		b = append(b, e.Name...)
		b = append(b, ' ')
		return appendDuration(b, q.WallMs)
	case result.StatusError, result.StatusTimeout:
		b = append(b, q.Status...)
		b = append(b, ' ')
		b = append(b, e.Name...)
		msg, _ := problem(q)
		b = append(b, ": "...)
		b = append(b, oneLine(msg)...)
		if q.Status == result.StatusTimeout {
			b = append(b, " after "...)
			b = appendDuration(b, q.WallMs)
		}
		return b
	}
	b = append(b, q.Status...)
	b = append(b, ' ')
	b = append(b, e.Name...)
	if q.Reason != "" {
		b = append(b, ": "...)
		b = append(b, oneLine(q.Reason)...)
	}
	return b
}

// progressThrottle bounds how often the progress display redraws.
const progressThrottle = 100 * time.Millisecond

// Progress draws a progress display on a terminal with github.com/schollz/progressbar:
// runs done of N, statements running, elapsed time and ETA. It counts finished units
// against totalRuns × unitsPerRun, and redraws at most every 100ms. The caller creates
// it only when stderr is a terminal and not --quiet. It is safe for concurrent use.
type Progress struct {
	mu        sync.Mutex
	bar       *progressbar.ProgressBar
	totalRuns int
	runsDone  int
	running   int
	last      time.Time
	finished  bool
}

// NewProgress returns a Progress for totalRuns runs (warmup included) of unitsPerRun
// units each, drawing on w. A totalRuns of 0 means unknown (--duration): the display is
// then a spinner with the counts.
func NewProgress(w io.Writer, totalRuns, unitsPerRun int) *Progress {
	max := -1
	if totalRuns > 0 && unitsPerRun > 0 {
		max = totalRuns * unitsPerRun
	}
	p := &Progress{totalRuns: totalRuns}
	p.bar = progressbar.NewOptions(max,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetWidth(24),
		progressbar.OptionThrottle(progressThrottle),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(max > 0),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("statements"),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionSetDescription(p.describe()),
	)
	return p
}

// describe is the text before the bar: "run 3/10 · 2 running".
func (p *Progress) describe() string {
	run := "run " + strconv.Itoa(min(p.runsDone+1, max(p.totalRuns, p.runsDone+1)))
	if p.totalRuns > 0 {
		run += "/" + strconv.Itoa(p.totalRuns)
	}
	return run + " · " + strconv.Itoa(p.running) + " running"
}

// Handle updates the display with one event.
func (p *Progress) Handle(e result.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	switch e.Kind {
	case result.EventStart:
		p.running++
	case result.EventDone:
		p.running = max(0, p.running-1)
		p.bar.Add(1)
	case result.EventRunDone:
		p.runsDone++
	case result.EventRunStart:
	default:
		return
	}
	// Describe redraws at once; the bar's own throttle does not cover it.
	if now := time.Now(); now.Sub(p.last) >= progressThrottle || e.Kind == result.EventRunDone {
		p.last = now
		p.bar.Describe(p.describe())
	}
}

// Finish clears the display. Later events are ignored.
func (p *Progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	p.bar.Exit()
	p.bar.Clear()
}
