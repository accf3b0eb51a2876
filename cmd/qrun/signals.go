package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Signals. SIGINT (Ctrl-C), SIGTERM, SIGHUP (the terminal went away) and SIGPIPE (the
// reader of a pipe went away) all end the run as Ctrl-C does: what runs is cancelled on
// the server and the report is still written; a second one exits at once, after
// removing the temporary file of a report being written. A SIGPIPE that a write to
// stderr caused is not one: stderr is only narration and warnings, and a closed stderr
// never ends a run (its writes are dropped, see quietWriter).

// stopSignals are the signals that end a run.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE}

// pipeSettle is how long a SIGPIPE waits for the write that raised it to report its
// EPIPE: the kernel raises the signal inside the write, which returns just after.
const pipeSettle = 50 * time.Millisecond

// watchSignals returns a context that the first stop signal cancels; the second one
// runs exit (after removing the temporary files of temps).
func watchSignals(parent context.Context, stderr *quietWriter, temps *tempFiles, exit func(int)) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 4)
	for _, sig := range stopSignals {
		// Under nohup SIGHUP is ignored, and must stay so: Notify would undo that.
		if sig == syscall.SIGHUP && signal.Ignored(sig) {
			continue
		}
		signal.Notify(sigs, sig)
	}
	go func() {
		n := 0
		for sig := range sigs {
			if sig == syscall.SIGPIPE && stderr.raisedPipe() {
				continue
			}
			n++
			if n == 1 {
				cancel()
				continue
			}
			temps.removeAll()
			exit(exitInterrupted)
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		cancel()
	}
}

// quietWriter is stderr as qrun writes it: best effort. A write that fails (the reader
// of the pipe has gone, the descriptor is closed) is dropped, as are all later ones, so
// that narration can never fail or end the run. It is safe for concurrent use.
type quietWriter struct {
	w    io.Writer
	dead atomic.Bool
	// pipeAt is when a write last failed with EPIPE (UnixNano), for watchSignals.
	pipeAt atomic.Int64
	// pending counts writes in progress: a SIGPIPE they raise arrives before they return.
	pending atomic.Int32
}

func (q *quietWriter) Write(b []byte) (int, error) {
	if q.dead.Load() {
		return len(b), nil
	}
	q.pending.Add(1)
	_, err := q.w.Write(b)
	if err != nil {
		q.pipeAt.Store(time.Now().UnixNano())
		q.dead.Store(true)
	}
	q.pending.Add(-1)
	return len(b), nil
}

// raisedPipe reports whether a SIGPIPE just received came from a write to stderr: one in
// progress, or one that failed a moment ago.
func (q *quietWriter) raisedPipe() bool {
	deadline := time.Now().Add(pipeSettle)
	for q.pending.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	at := q.pipeAt.Load()
	return at != 0 && time.Since(time.Unix(0, at)) < time.Second
}

// tempFiles are the temporary files of reports being written, removed when a second
// signal exits at once. It is safe for concurrent use; the zero value is empty.
type tempFiles struct {
	mu    sync.Mutex
	paths map[string]bool
}

// create makes a temporary file as os.CreateTemp does and registers it, under the lock:
// a second signal removes it or comes before it exists, never between the two.
func (t *tempFiles) create(dir, pattern string) (*os.File, error) {
	if t == nil {
		return os.CreateTemp(dir, pattern)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	t.add(f.Name())
	return f, nil
}

// add registers path; t.mu is held.
func (t *tempFiles) add(path string) {
	if t.paths == nil {
		t.paths = map[string]bool{}
	}
	t.paths[path] = true
}

func (t *tempFiles) remove(path string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.paths, path)
}

// removeAll removes every file still registered. It holds the lock until the end, so
// that no file is registered (created) meanwhile.
func (t *tempFiles) removeAll() {
	if t == nil {
		return
	}
	t.mu.Lock()
	for p := range t.paths {
		os.Remove(p)
	}
	t.paths = nil
	// Left locked: the process exits next, and a writer must not create another file.
}
