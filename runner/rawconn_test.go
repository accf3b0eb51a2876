//go:build linux

package runner

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// rawPair returns a rawConn dialled to a loopback listener and the accepted end.
func rawPair(t *testing.T) (*rawConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	var d net.Dialer
	c, err := withRawIO(d.DialContext)(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer := <-accepted
	if peer == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { c.Close(); peer.Close() })
	rc, ok := c.(*rawConn)
	if !ok {
		t.Fatalf("got %T, want *rawConn", c)
	}
	return rc, peer
}

func TestRawConnLargeWriteAndRead(t *testing.T) {
	c, peer := rawPair(t)
	// Far more than the socket buffers hold: Write must wait for room, in pieces.
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(peer, int64(len(data))))
		got <- b
	}()
	n, err := c.Write(data)
	if err != nil || n != len(data) {
		t.Fatalf("Write: got %d, %v; want %d, nil", n, err, len(data))
	}
	if b := <-got; !bytes.Equal(b, data) {
		t.Fatalf("peer read %d bytes, not what was written", len(b))
	}
	// And back: Read returns what has arrived, waiting only when nothing has.
	go func() { _, _ = peer.Write(data) }()
	back, err := io.ReadAll(io.LimitReader(c, int64(len(data))))
	if err != nil || !bytes.Equal(back, data) {
		t.Fatalf("Read: got %d bytes, %v; want the %d written", len(back), err, len(data))
	}
}

func TestRawConnDeadline(t *testing.T) {
	c, _ := rawPair(t)
	if err := c.SetDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := c.Read(make([]byte, 10))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("got %v, want a net.Error that is a timeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Read returned after %s, want about 50ms", d)
	}
}

func TestRawConnEOFAndClose(t *testing.T) {
	c, peer := rawPair(t)
	peer.Close()
	if _, err := c.Read(make([]byte, 10)); err != io.EOF {
		t.Fatalf("got %v, want io.EOF after the peer closed", err)
	}

	c2, _ := rawPair(t)
	done := make(chan error, 1)
	go func() {
		_, err := c2.Read(make([]byte, 10))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	c2.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("got %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a waiting Read")
	}
}

func TestRawConnLeavesOtherConnsAlone(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if c := newRawConn(a); c != a {
		t.Errorf("got %T, want the pipe itself", c)
	}
}

// QRUN_RAW_IO=0 turns raw I/O off: connections are the dialler's own.
func TestRawIOOptOut(t *testing.T) {
	t.Setenv(rawIOEnv, "0")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	var d net.Dialer
	c, err := withRawIO(d.DialContext)(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.(*rawConn); ok {
		t.Fatalf("QRUN_RAW_IO=0 still gave a *rawConn")
	}
}
