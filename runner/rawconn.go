//go:build linux

package runner

import (
	"context"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// Socket reads and writes without the scheduler's system-call hand-off.
//
// A SELECT 1 round trip is a write and a read or two on a socket. Through net.Conn each
// of those goes through syscall.Syscall, whose entersyscall wakes the runtime's sysmon
// thread whenever it was in deep sleep — and it is, every time the one goroutine of a
// sequential run waits in the netpoller with every P idle. So each statement costs the
// process a sysmon wake-up and a 20µs nap on top of its own wait: measured here on a
// bare socket loop, 1.3–2.1 context switches per SELECT 1 where psql makes 1.0, and
// 1.3–1.9× the CPU time, taken from the PostgreSQL backend on a 2-core machine
// (docs/BENCHMARKS.md, "Round-trip tuning (runner)").
//
// rawConn reads and writes the (non-blocking) socket with syscall.RawSyscall inside
// syscall.RawConn's Read and Write, which still wait through the netpoller when the
// socket is not ready and still obey deadlines and Close. A raw system call does not
// tell the scheduler it is in the kernel; that is only sound for calls that cannot
// block, and read and write on a non-blocking socket cannot: they copy what fits and
// return EAGAIN otherwise. Everything else (Close, deadlines, addresses) is the wrapped
// connection's own.

// rawIOEnv names the environment variable that turns raw socket I/O off: QRUN_RAW_IO=0
// makes every connection a plain net.Conn (docs/BENCHMARKS.md).
const rawIOEnv = "QRUN_RAW_IO"

// rawConn is a net.Conn whose Read and Write make raw system calls on its socket.
type rawConn struct {
	net.Conn
	rc syscall.RawConn

	rmu   sync.Mutex // one Read at a time: rbuf, rn, rerr and readFn belong to it
	rbuf  []byte
	rn    int
	rerr  error
	readF func(fd uintptr) bool

	wmu    sync.Mutex // one Write at a time
	wbuf   []byte
	wn     int
	werr   error
	writeF func(fd uintptr) bool
}

// withRawIO wraps the connections dial opens in a rawConn when they are sockets
// (TCP, Unix); others are returned as they are.
func withRawIO(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if os.Getenv(rawIOEnv) == "0" {
		return dial
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return c, err
		}
		return newRawConn(c), nil
	}
}

func newRawConn(c net.Conn) net.Conn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	r := &rawConn{Conn: c, rc: rc}
	// Method values made once: a closure per call would allocate per statement.
	r.readF, r.writeF = r.read, r.write
	return r
}

// Read reads what the socket has, waiting in the netpoller only when it has nothing.
func (c *rawConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	c.rbuf, c.rn, c.rerr = b, 0, nil
	err := c.rc.Read(c.readF)
	n, rerr := c.rn, c.rerr
	c.rbuf, c.rerr = nil, nil
	if err != nil {
		return n, err // deadline, closed: already a *net.OpError
	}
	if rerr == io.EOF {
		return n, rerr
	}
	if rerr != nil {
		return n, c.opError("read", rerr)
	}
	return n, nil
}

// read is one attempt of Read: false asks RawConn to wait until the socket is readable.
func (c *rawConn) read(fd uintptr) bool {
	for {
		n, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&c.rbuf[0])), uintptr(len(c.rbuf)))
		switch errno {
		case 0:
			c.rn = int(n)
			if n == 0 {
				c.rerr = io.EOF
			}
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		default:
			c.rerr = os.NewSyscallError("read", errno)
			return true
		}
	}
}

// Write writes all of b, waiting in the netpoller whenever the socket's buffer is full.
func (c *rawConn) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf, c.wn, c.werr = b, 0, nil
	err := c.rc.Write(c.writeF)
	n, werr := c.wn, c.werr
	c.wbuf, c.werr = nil, nil
	if err != nil {
		return n, err
	}
	if werr != nil {
		return n, c.opError("write", werr)
	}
	return n, nil
}

// write is one attempt of Write: it writes what fits and returns false, to wait until
// the socket is writable, when the rest does not.
func (c *rawConn) write(fd uintptr) bool {
	for c.wn < len(c.wbuf) {
		rest := c.wbuf[c.wn:]
		n, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&rest[0])), uintptr(len(rest)))
		switch errno {
		case 0:
			c.wn += int(n)
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		default:
			c.werr = os.NewSyscallError("write", errno)
			return true
		}
	}
	return true
}

// opError wraps err as net.Conn's own methods would, so that callers that look for a
// *net.OpError or a syscall.Errno (connection reset, broken pipe) still find one.
func (c *rawConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
