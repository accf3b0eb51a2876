//go:build !unix

package runner

import (
	"context"
	"net"
)

// withRawIO returns dial as it is: raw socket I/O (rawconn.go) is for Unix systems only.
func withRawIO(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return dial
}
