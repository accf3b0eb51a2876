package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/result"
)

func TestWriteFailures(t *testing.T) {
	many := func() *result.Report {
		r := &result.Report{Runs: 1}
		for i := range 13 {
			r.Queries = append(r.Queries, result.Query{Name: fmt.Sprintf("q%d", i+1), File: "bulk.sql", Line: i + 1, Col: 1,
				Status: result.StatusError, Error: &result.Error{SQLState: "23505", Message: "duplicate key", Position: fmt.Sprintf("bulk.sql:%d:8", i+1)}})
		}
		r.Queries = append(r.Queries, result.Query{Name: "after", File: "bulk.sql", Line: 20, Col: 1, Status: result.StatusSkipped, Reason: "dependency q1 failed"})
		return r
	}
	var all bytes.Buffer
	for _, fx := range append(fixtures, struct {
		name   string
		report func() *result.Report
	}{"many", many}) {
		var buf bytes.Buffer
		wrote, err := WriteFailures(&buf, fx.report())
		if err != nil {
			t.Fatal(err)
		}
		if wrote != (buf.Len() > 0) {
			t.Errorf("%s: wrote %v with %d bytes", fx.name, wrote, buf.Len())
		}
		fmt.Fprintf(&all, "== %s\n%s", fx.name, buf.String())
	}
	got := all.String()
	golden(t, "failures.stderr.golden", []byte(got))
	for _, want := range []string{
		`examples/broken.sql:4:13: fill_pot: 42P01 relation "pan" does not exist`,
		"… and 3 more\nqrun: 13 statements failed, 1 skipped\n",
		`[chef@pg17:5432/lunch] examples/lunch.sql:13:1: cook_sauce: 53100`,
		"examples/load.sql:2:1: load: 23505 duplicate key value violates unique constraint \"items_pkey\" (in 2 of 3 runs)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("got:\n%s\nwant it to contain %q", got, want)
		}
	}
	if strings.Count(got, "bulk.sql:") != MaxFailureLines {
		t.Errorf("got %d lines of many, want %d", strings.Count(got, "bulk.sql:"), MaxFailureLines)
	}
}
