package pgtest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Toxi is a toxiproxy proxy (used as a library) in front of a test server, for faults
// that hit every connection through it alike: latency, a black hole, a reset.
type Toxi struct {
	Proxy *toxiproxy.Proxy
	Addr  string // where clients connect: 127.0.0.1:PORT
}

// NewToxi starts a proxy on loopback to the server of dbURL; it stops when the test
// ends.
func NewToxi(t testing.TB, dbURL string) *Toxi {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	p := toxiproxy.NewProxy(server, "pg", "127.0.0.1:0", net.JoinHostPort(u.Hostname(), port))
	if err := p.Start(); err != nil {
		t.Fatalf("start toxiproxy: %v", err)
	}
	t.Cleanup(p.Stop)
	return &Toxi{Proxy: p, Addr: p.Listen}
}

// URL returns dbURL pointed at the proxy.
func (x *Toxi) URL(t testing.TB, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = x.Addr
	return u.String()
}

// Add adds a toxic: typ is "latency", "timeout", "reset_peer", ...; stream is
// "upstream" (client to server) or "downstream"; attrs is its attributes as a JSON
// object.
func (x *Toxi) Add(t testing.TB, name, typ, stream, attrs string) {
	t.Helper()
	body := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"toxicity":1.0,"attributes":%s}`, name, typ, stream, attrs)
	if _, err := x.Proxy.Toxics.AddToxicJson(strings.NewReader(body)); err != nil {
		t.Fatalf("add toxic %s: %v", body, err)
	}
}

// Remove removes the toxic name.
func (x *Toxi) Remove(t testing.TB, name string) {
	t.Helper()
	if err := x.Proxy.Toxics.RemoveToxic(context.Background(), name); err != nil {
		t.Fatalf("remove toxic %s: %v", name, err)
	}
}
