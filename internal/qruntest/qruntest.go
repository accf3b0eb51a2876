// Package qruntest holds what the tests that run qrun share, whether they call its Main
// in process (cmd/qrun) or run the built binary (internal/e2e): writing an input file,
// decoding the JSON report qrun wrote, and finding things in it. Only tests import it.
package qruntest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/result"
)

// WriteFile writes content to name in a fresh temporary directory and returns its path.
func WriteFile(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Decode parses a JSON report, failing the test when data is not one, or is one
// followed by more than white space.
func Decode(t testing.TB, data string) result.Report {
	t.Helper()
	var r result.Report
	dec := json.NewDecoder(strings.NewReader(data))
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, Clip(data, 4000))
	}
	if dec.More() {
		t.Fatalf("JSON report followed by more data:\n%s", Clip(data, 4000))
	}
	return r
}

// ReadReport reads and parses the JSON report at path.
func ReadReport(t testing.TB, path string) result.Report {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read report: %v", err)
	}
	return Decode(t, string(data))
}

// Query finds the report's query named name, failing the test when there is none.
func Query(t testing.TB, r result.Report, name string) result.Query {
	t.Helper()
	for _, q := range r.Queries {
		if q.Name == name {
			return q
		}
	}
	var names []string
	for _, q := range r.Queries {
		names = append(names, q.Name)
	}
	t.Fatalf("no query %q in the report; it has %q", name, names)
	return result.Query{}
}

// Statuses lists the statuses of the report's queries, in order.
func Statuses(r result.Report) []result.Status {
	var s []result.Status
	for _, q := range r.Queries {
		s = append(s, q.Status)
	}
	return s
}

// Clip shortens s to n bytes for a log, saying how much it left out.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("... (%d more bytes)", len(s)-n)
}
