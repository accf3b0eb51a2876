package runner

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/plan"
	"github.com/qrunhq/qrun/queries"
	"github.com/qrunhq/qrun/result"
)

// TestMain fails the package when a test leaves a goroutine behind: pools, cancel
// requests and workers must all be gone once every target is closed.
//
// The one exception is the test harness's own TCP proxy: toxiproxy v2.5.0 can leave a
// toxic's pipe goroutine blocked on a channel send after a toxic is removed from a link
// whose connection is gone (seen in CI: (*NoopToxic).Pipe under (*ToxicStub).Run). That
// goroutine belongs to the proxy, never to qrun, so it alone is ignored.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2/toxics.(*ToxicStub).Run"),
		goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2.(*ToxicLink).read"),
		goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2.(*ToxicLink).write"),
	)
}

// src describes one statement of a test file, as the queries package would load it.
type src struct {
	name  string
	sql   string
	stage int      // StageIndex; the label is "s<stage>"
	after []string // "-- after:" names
	copy  string   // COPY data, for COPY ... FROM STDIN
}

// buildPlan builds a plan from the statements of a file "t.sql" that holds them in
// order, each below its annotations, loaded through queries.Parse.
func buildPlan(t testing.TB, parallel bool, srcs ...src) *plan.Plan {
	t.Helper()
	return buildPlanOpts(t, plan.Options{Parallel: parallel}, srcs...)
}

func buildPlanOpts(t testing.TB, opts plan.Options, srcs ...src) *plan.Plan {
	t.Helper()
	var b strings.Builder
	stage := 0
	for _, s := range srcs {
		for ; stage < s.stage; stage++ {
			fmt.Fprintf(&b, "-- stage: s%d\n", stage+1)
		}
		if s.name != "" {
			fmt.Fprintf(&b, "-- name: %s\n", s.name)
		}
		if len(s.after) > 0 {
			fmt.Fprintf(&b, "-- after: %s\n", strings.Join(s.after, ", "))
		}
		b.WriteString(s.sql + "\n")
		if s.copy != "" {
			b.WriteString(s.copy + "\\.\n")
		}
	}
	sc, err := queries.Parse("t.sql", []byte(b.String()), queries.Options{})
	if err != nil {
		t.Fatalf("queries.Parse: %v\n%s", err, b.String())
	}
	if len(sc.Statements) != len(srcs) {
		t.Fatalf("queries.Parse: got %d statements of %d sources:\n%s", len(sc.Statements), len(srcs), b.String())
	}
	p, err := plan.Build(sc, opts)
	if err != nil {
		t.Fatalf("plan.Build: %v", err)
	}
	return p
}

// connect connects to url with opts and closes the target when the test ends.
func connect(t testing.TB, url string, cfg Config, opts Options) *Target {
	t.Helper()
	cfg.ConnString = url
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tg, err := Connect(ctx, cfg, opts)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(tg.Close)
	return tg
}

// run runs p once with a generous deadline and fails the test on a runner error.
func run(t testing.TB, tg *Target, p *plan.Plan) result.Run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := tg.Run(ctx, p)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(r.Queries) != len(p.Units) {
		t.Fatalf("got %d queries, want %d", len(r.Queries), len(p.Units))
	}
	return r
}

// statuses lists the units' statuses, for messages and comparisons.
func statuses(r result.Run) string {
	s := make([]string, len(r.Queries))
	for i, q := range r.Queries {
		s[i] = string(q.Status)
	}
	return strings.Join(s, " ")
}

// scalar runs a one-value query on its own connection.
func scalar[T any](t testing.TB, url, sql string, args ...any) T {
	t.Helper()
	c := pgtest.Conn(t, url)
	var v T
	if err := c.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// admin opens a connection for checks beside the runner's.
func admin(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	return pgtest.Conn(t, url)
}

func exec(t testing.TB, c *pgx.Conn, sql string) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// appName returns an application_name unique to the test, to find its backends.
func appName(t testing.TB) string {
	return fmt.Sprintf("qrun_test_%d_%d", os.Getpid(), time.Now().UnixNano())
}
