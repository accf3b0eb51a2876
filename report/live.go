package report

import (
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

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
		b = append(b, OneLine(msg)...)
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
		b = append(b, OneLine(q.Reason)...)
	}
	return b
}

// progressThrottle bounds how often the progress display redraws on events, and
// progressTick is how often it redraws without them, so that the elapsed time moves
// while a long statement runs.
const (
	progressThrottle = 100 * time.Millisecond
	progressTick     = 250 * time.Millisecond
)

// Progress draws a one-line progress display on a terminal: the run (of how many), the
// statements running, the statements done (of how many, with a bar), the elapsed time
// and an estimate of the time left, and the longest-running statement when it has run
// for a second. It counts a unit running from its start event to its done event, once
// however often it was retried (units skipped or never run are done without having
// run), and redraws at most every 100ms on events, and every 250ms without them (with
// what the events since the last redraw changed). The
// caller creates it only when stderr is a terminal and not --quiet. It is safe for
// concurrent use.
type Progress struct {
	mu        sync.Mutex
	w         io.Writer
	now       func() time.Time
	start     time.Time
	totalRuns int
	total     int // units in all runs; 0 when unknown (--duration)
	runsDone  int
	done      int
	running   map[runningKey]runningUnit
	seq       uint64    // starts so far
	last      time.Time // the last redraw
	dirty     bool      // an event changed what the last redraw shows
	width     int       // columns of the line last drawn
	finished  bool
	stop      chan struct{}
	stopped   chan struct{}
	buf       []byte
}

// runningKey identifies a unit in a run of a target.
type runningKey struct {
	target, run int
	name        string
}

type runningUnit struct {
	since time.Time
	seq   uint64 // order of starts, to tell apart units that started at one instant
}

// NewProgress returns a Progress for totalRuns runs (warmup included) of unitsPerRun
// units each, drawing on w. A totalRuns of 0 means unknown (--duration): the display then
// counts without a bar or estimate. Finish stops it.
func NewProgress(w io.Writer, totalRuns, unitsPerRun int) *Progress {
	return newProgress(w, totalRuns, unitsPerRun, time.Now, progressTick)
}

// newProgress is NewProgress with a clock and a redraw interval; an interval of 0 starts
// no redrawing goroutine (tests call tick).
func newProgress(w io.Writer, totalRuns, unitsPerRun int, now func() time.Time, interval time.Duration) *Progress {
	p := &Progress{w: w, now: now, start: now(), totalRuns: totalRuns, running: map[runningKey]runningUnit{}}
	if totalRuns > 0 && unitsPerRun > 0 {
		p.total = totalRuns * unitsPerRun
	}
	p.mu.Lock()
	p.draw(p.start)
	p.mu.Unlock()
	if interval > 0 {
		p.stop, p.stopped = make(chan struct{}), make(chan struct{})
		go func() {
			defer close(p.stopped)
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					p.tick()
				case <-p.stop:
					return
				}
			}
		}()
	}
	return p
}

// Handle updates the display with one event.
func (p *Progress) Handle(e result.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	now := p.now()
	k := runningKey{e.Target, e.Run, e.Name}
	switch e.Kind {
	case result.EventStart:
		if _, ok := p.running[k]; !ok { // a retry is the same unit running on
			p.seq++
			p.running[k] = runningUnit{since: now, seq: p.seq}
		}
	case result.EventDone:
		delete(p.running, k)
		p.done++
	case result.EventRunDone:
		p.runsDone++
	case result.EventRunStart:
	default:
		return
	}
	if now.Sub(p.last) >= progressThrottle || e.Kind == result.EventRunDone || e.Kind == result.EventRunStart {
		p.draw(now)
	} else {
		p.dirty = true // drawn by the next tick at the latest
	}
}

// tick redraws when no event has for a while: the elapsed time moves on.
func (p *Progress) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	if now := p.now(); p.dirty || now.Sub(p.last) >= progressThrottle {
		p.draw(now)
	}
}

// line is the display's text at now: "run 3/10 · 2 running · 12/40 statements ████░░░░
// 30% · 0:04 elapsed · ~0:09 left · prepare_salad 3s".
func (p *Progress) line(now time.Time) string {
	var b strings.Builder
	run := p.runsDone + 1
	if p.totalRuns > 0 {
		run = min(run, p.totalRuns)
	}
	b.WriteString("run " + strconv.Itoa(run))
	if p.totalRuns > 0 {
		b.WriteString("/" + strconv.Itoa(p.totalRuns))
	}
	b.WriteString(" · " + strconv.Itoa(len(p.running)) + " running · " + strconv.Itoa(p.done))
	elapsed := now.Sub(p.start)
	if p.total > 0 {
		frac := min(1, float64(p.done)/float64(p.total))
		const barW = 16
		full := int(frac * barW)
		b.WriteString("/" + strconv.Itoa(p.total) + " statements " + strings.Repeat("█", full) + strings.Repeat("░", barW-full) +
			" " + strconv.Itoa(int(frac*100)) + "%")
		b.WriteString(" · " + clock(elapsed))
		if p.done > 0 && p.done < p.total {
			left := time.Duration(float64(elapsed) * float64(p.total-p.done) / float64(p.done))
			b.WriteString(" · ~" + clock(left) + " left")
		}
	} else {
		b.WriteString(" statements · " + clock(elapsed))
	}
	// The longest-running unit, once it has run for a second: what the wait is for.
	var oldest runningKey
	var first runningUnit
	for k, u := range p.running {
		if first.seq == 0 || u.seq < first.seq {
			oldest, first = k, u
		}
	}
	if d := now.Sub(first.since); first.seq != 0 && d >= time.Second {
		name := OneLine(oldest.name)
		if len([]rune(name)) > 24 {
			name = string([]rune(name)[:23]) + "…"
		}
		b.WriteString(" · " + name + " " + clock(d))
	}
	return b.String()
}

// clock formats a duration for the display: 0:04, 2:13, 1:02:03.
func clock(d time.Duration) string {
	s := int64(d / time.Second)
	if s < 0 {
		s = 0
	}
	h, m, sec := s/3600, s/60%60, s%60
	out := strconv.FormatInt(m, 10) + ":" + string(appendTwo(nil, sec))
	if h > 0 {
		out = strconv.FormatInt(h, 10) + ":" + string(appendTwo(nil, m)) + ":" + string(appendTwo(nil, sec))
	}
	return out
}

// draw writes the line over the last one. p.mu is held.
func (p *Progress) draw(now time.Time) {
	p.last, p.dirty = now, false
	l := p.line(now)
	b := append(p.buf[:0], '\r')
	b = append(b, l...)
	w := displayWidth(l)
	if w < p.width {
		b = append(b, spaces(p.width-w)...)
		b = append(b, '\r')
		b = append(b, l...)
	}
	p.width = w
	p.buf = b
	p.w.Write(b) // the display is best effort: a failing stderr must not stop a run
}

// Finish clears the display and stops its redrawing. Later events are ignored.
func (p *Progress) Finish() {
	p.mu.Lock()
	if p.finished {
		p.mu.Unlock()
		return
	}
	p.finished = true
	p.w.Write([]byte("\r" + spaces(p.width) + "\r"))
	p.mu.Unlock()
	if p.stop != nil {
		close(p.stop)
		<-p.stopped
	}
}
