package runner

import (
	"context"
	"net"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgconn"
)

// Whether a statement reached the server.
//
// A unit may be sent again (--retries) only when the server provably never saw it: once
// a byte of it has left qrun, the server may have run and committed it although its
// reply was lost, and a second send would apply it twice. pgconn's SafeToRetry says
// that of many errors, but not of every path (an error reported after the query was
// written can carry it), so qrun counts what it writes itself: every connection's
// socket is a sentConn, and a unit whose attempt failed without a byte written since it
// began is one that was not sent.

// sentConn is a net.Conn that counts the bytes written through it.
type sentConn struct {
	net.Conn
	written atomic.Int64
}

func (c *sentConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.written.Add(int64(n))
	return n, err
}

// countWrites wraps the connections dial opens in a sentConn.
func countWrites(dial pgconn.DialFunc) pgconn.DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return c, err
		}
		return &sentConn{Conn: c}, nil
	}
}

// bytesWritten returns how many bytes pc has written to its socket, and false when it
// cannot tell (a connection qrun did not dial): a caller must then assume everything
// was sent.
func bytesWritten(pc *pgconn.PgConn) (int64, bool) {
	if pc == nil {
		return 0, false
	}
	c := pc.Conn()
	for c != nil {
		if s, ok := c.(*sentConn); ok {
			return s.written.Load(), true
		}
		// A TLS connection wraps the socket qrun dialed.
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return 0, false
		}
		c = u.NetConn()
	}
	return 0, false
}
