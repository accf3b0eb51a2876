package runner

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/qrunhq/qrun/queries"
)

// Client-side copies: \copy.
//
// A \copy runs the COPY ... FROM STDIN or COPY ... TO STDOUT that psql would send, and
// qrun reads or writes the data as psql would: a file relative to the working directory,
// the data lines of the script (\copy ... from stdin, which the queries package hands over
// as CopyData), qrun's standard input (pstdin, Options.Stdin). What psql would write to
// its standard output (to stdout, to pstdout) is counted and dropped: qrun's standard
// output carries the report, as the rows of a SELECT are counted and dropped.
//
// Data streams through buffers of copyBuffer bytes: a file of any size is never held.
// Text and CSV data end after a line "\." as psql 15 ends them (it sends the line, and
// the server stops there), binary data (recognised by the signature of the binary COPY
// format) at the end of the file.

// copyBuffer is the size of the buffers data passes through.
const copyBuffer = 256 << 10

// binarySignature starts a file in COPY's binary format.
var binarySignature = []byte("PGCOPY\n\377\r\n\000")

// clientCopy runs the \copy cc with the COPY command sql. It returns the command tag, or
// the error that kept it from being sent or from completing: a file that cannot be
// opened, read or written, as psql reports it. (\copy ... from stdin, whose data is in
// the script, is a COPY ... FROM STDIN and never comes here.)
func (e *execution) clientCopy(ctx context.Context, pc *pgconn.PgConn, cc *queries.ClientCopy, sql string) (pgconn.CommandTag, error) {
	if !cc.From {
		return copyTo(ctx, pc, cc, sql)
	}
	// Reading the data must end with the run even when ctx never does (cancel.go): then
	// the run's watch has cancelled the COPY on the server, and pgconn waits for the
	// reader.
	readCtx := ctx
	if ctx == e.unwatched {
		readCtx = e.stopCtx
	}
	if cc.Std {
		in := e.opts.Stdin
		if in == nil {
			return pgconn.CommandTag{}, errors.New(`\copy from pstdin: no standard input`)
		}
		release, err := in.acquire(readCtx, e)
		if err != nil {
			return pgconn.CommandTag{}, err
		}
		src := newCopyIn(in.r)
		tag, err := pc.CopyFrom(ctx, src, sql)
		// After an error the server reads no further, but psql reads the data to its
		// end: the next \copy from pstdin starts after it.
		_, _ = io.Copy(io.Discard, src)
		release(src.ended)
		return tag, copyInError(readCtx, "pstdin", src, err)
	}
	f, err := os.Open(cc.Path)
	if err != nil {
		return pgconn.CommandTag{}, fmt.Errorf("%s: %w", cc.Path, pathReason(err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return pgconn.CommandTag{}, fmt.Errorf("%s: cannot copy from/to a directory", cc.Path)
	}
	// A pipe or a device can block: the end of the run unblocks it, where the file
	// allows deadlines.
	stop := context.AfterFunc(readCtx, func() { _ = f.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	src := newCopyIn(bufio.NewReaderSize(f, copyBuffer))
	tag, err := pc.CopyFrom(ctx, src, sql)
	return tag, copyInError(readCtx, cc.Path, src, err)
}

// copyInError is the error of a COPY ... FROM STDIN that read src: its own read error
// (the server was told with a CopyFail, and what matters is why), unless the run ended,
// which the server's error tells.
func copyInError(readCtx context.Context, name string, src *copyIn, err error) error {
	if src.err == nil || readCtx.Err() != nil {
		return err
	}
	return fmt.Errorf("%s: %w", name, pathReason(src.err))
}

func copyTo(ctx context.Context, pc *pgconn.PgConn, cc *queries.ClientCopy, sql string) (pgconn.CommandTag, error) {
	if cc.Path == "" {
		// to stdout, to pstdout: counted and dropped.
		return pc.CopyTo(ctx, io.Discard, sql)
	}
	f, err := os.Create(cc.Path)
	if err != nil {
		return pgconn.CommandTag{}, fmt.Errorf("%s: %w", cc.Path, pathReason(err))
	}
	w := &copyOut{w: bufio.NewWriterSize(f, copyBuffer)}
	tag, err := pc.CopyTo(ctx, w, sql)
	if w.err == nil {
		w.err = w.w.Flush()
	}
	if cerr := f.Close(); w.err == nil {
		w.err = cerr
	}
	if err == nil && w.err != nil {
		err = fmt.Errorf("%s: %w", cc.Path, pathReason(w.err))
	}
	return tag, err
}

// pathReason strips the operation and path an *os.PathError repeats.
func pathReason(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// copyOut writes COPY data to a file. After a write error it drops the rest and keeps
// the error: pgconn closes the connection when a write fails, and psql, too, reads the
// COPY to its end.
type copyOut struct {
	w   *bufio.Writer
	err error
}

func (c *copyOut) Write(p []byte) (int, error) {
	if c.err == nil {
		_, c.err = c.w.Write(p)
	}
	return len(p), nil
}

// copyIn is the data a \copy ... from sends: its source up to and including a line that
// is exactly "\." (with "\n" or "\r\n"), as psql 15 reads text and CSV data; or, for the
// binary format, all of it.
type copyIn struct {
	r      *bufio.Reader
	rest   []byte // the unsent part of the last line read, in r's buffer
	bol    bool   // the next byte starts a line
	binary bool
	done   bool
	ended  bool  // the source has ended (not at a "\." line)
	err    error // a read error other than io.EOF
}

func newCopyIn(r *bufio.Reader) *copyIn {
	c := &copyIn{r: r, bol: true}
	if sig, _ := r.Peek(len(binarySignature)); bytes.Equal(sig, binarySignature) {
		c.binary = true
	}
	return c
}

func (c *copyIn) Read(p []byte) (int, error) {
	if c.binary {
		n, err := c.r.Read(p)
		switch {
		case err == io.EOF:
			c.ended = true
		case err != nil:
			c.err = err
		}
		return n, err
	}
	n := 0
	for n < len(p) {
		if len(c.rest) > 0 {
			k := copy(p[n:], c.rest)
			c.rest = c.rest[k:]
			n += k
			continue
		}
		// Hand over what there is rather than wait for more (pstdin may be a pipe).
		if c.done || n > 0 && c.r.Buffered() == 0 {
			break
		}
		line, err := c.r.ReadSlice('\n')
		if c.bol && (string(line) == "\\.\n" || string(line) == "\\.\r\n") {
			// psql 15 sends the marker line too (the server ends the data there and
			// checks its newline) and reads no further.
			c.done = true
		}
		c.bol = err == nil
		switch err {
		case nil, bufio.ErrBufferFull:
		case io.EOF:
			c.done, c.ended = true, true
		default:
			c.done, c.err = true, err
		}
		c.rest = line
	}
	if n == 0 && c.done {
		if c.err != nil {
			return 0, c.err
		}
		return 0, io.EOF
	}
	return n, nil
}

// Stdin is the standard input that \copy ... from pstdin reads (Options.Stdin). One Stdin
// serves every run and every target, one \copy at a time: each reads from where the last
// one stopped, as psql's do, and a run's reads end with its context (Ctrl-C, --timeout)
// even while the input has nothing to give. Once the input has ended, a \copy from pstdin
// of a later run fails: standard input cannot be read again. Close it when done.
type Stdin struct {
	mu  sync.Mutex // held by the \copy reading
	r   *bufio.Reader
	src *pump
	// endedIn is the run whose \copy found the end of the input, nil while it has not
	// ended.
	endedIn *execution
}

// NewStdin makes the Stdin that reads r.
func NewStdin(r io.Reader) *Stdin {
	p := &pump{src: r, req: make(chan struct{}), resp: make(chan chunk, 1)}
	return &Stdin{r: bufio.NewReaderSize(p, copyBuffer), src: p}
}

// Close stops the goroutine that reads the input, once a read it has under way returns.
func (s *Stdin) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.src.close()
}

// acquire takes s for one \copy of run e until release is called with whether it read
// to the end of the input. It reads with ctx.
func (s *Stdin) acquire(ctx context.Context, e *execution) (release func(ended bool), err error) {
	s.mu.Lock()
	if s.endedIn != nil && s.endedIn != e {
		s.mu.Unlock()
		return nil, errors.New(`\copy from pstdin: standard input ended in an earlier run and cannot be read again (use a file to repeat a \copy)`)
	}
	s.src.ctx = ctx
	return func(ended bool) {
		if ended && s.endedIn == nil {
			s.endedIn = e
		}
		s.src.ctx = nil
		s.mu.Unlock()
	}, nil
}

// chunk is what one read of the input gave.
type chunk struct {
	data []byte
	err  error
}

// pump reads its source in a goroutine of its own, one read per request, so that a
// reader can stop waiting when its context ends.
type pump struct {
	src     io.Reader
	ctx     context.Context // of the \copy reading; set under Stdin.mu
	req     chan struct{}
	resp    chan chunk
	started bool
	waiting bool   // a request is under way
	left    []byte // unread part of the last chunk
	err     error  // the source's error, once it has one
	closed  bool
}

func (p *pump) run() {
	buf := make([]byte, copyBuffer)
	for range p.req {
		n, err := p.src.Read(buf)
		p.resp <- chunk{buf[:n], err}
		if err != nil {
			return
		}
	}
}

func (p *pump) Read(b []byte) (int, error) {
	for len(p.left) == 0 {
		if p.err != nil {
			return 0, p.err
		}
		if p.closed {
			return 0, io.ErrClosedPipe
		}
		if !p.waiting {
			if !p.started {
				p.started = true
				go p.run()
			}
			p.req <- struct{}{}
			p.waiting = true
		}
		ctx := p.ctx
		if ctx == nil {
			ctx = context.Background()
		}
		select {
		case c := <-p.resp:
			p.waiting = false
			p.left, p.err = c.data, c.err
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	n := copy(b, p.left)
	p.left = p.left[n:]
	return n, nil
}

func (p *pump) close() {
	if !p.closed {
		p.closed = true
		if p.started {
			close(p.req)
		}
	}
}
