package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/result"
)

// writeFile writes content to dir/name, creating dir, and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// decodeComparisons parses qrun compare --format json.
func decodeComparisons(t *testing.T, s string) []result.Comparison {
	t.Helper()
	var cs []result.Comparison
	if err := json.Unmarshal([]byte(s), &cs); err != nil {
		t.Fatalf("not a JSON comparison: %v\n%s", err, s)
	}
	return cs
}

// TestCompareIdentity is the first complaint, through the real command: the
// same workload run from another directory, with a comment line deleted above its
// unnamed statements, pairs every statement with itself and passes the gate.
func TestCompareIdentity(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	dir := t.TempDir()
	base := writeFile(t, filepath.Join(dir, "main"), "bench.sql",
		"-- the bench\nSELECT 1;\n\n-- name: nap\nSELECT pg_sleep(0.01);\nSELECT pg_sleep(0.01);\n")
	moved := writeFile(t, filepath.Join(dir, "elsewhere", "checkout"), "bench.sql",
		"SELECT 1;\n-- name: nap\nSELECT pg_sleep(0.01);\nSELECT pg_sleep(0.01);\n")
	baseJSON, newJSON := filepath.Join(dir, "base.json"), filepath.Join(dir, "new.json")
	for _, run := range []struct{ file, out string }{{base, baseJSON}, {moved, newJSON}} {
		if inv := qrun(t, context.Background(), "", nil, "-d", db, "--runs", "5", "--format", "json", "-o", run.out, run.file); inv.code != exitOK {
			t.Fatalf("qrun %s: exit %d, want 0", run.file, inv.code)
		}
	}
	inv := qrun(t, context.Background(), "", nil, "compare", "--threshold", "50%", "--format", "json", baseJSON, newJSON)
	if inv.code != exitOK {
		t.Errorf("compare: exit %d, want 0 (the same workload)", inv.code)
	}
	cs := decodeComparisons(t, inv.stdout)
	if len(cs) != 1 || len(cs[0].Rows) != 3 {
		t.Fatalf("got %d comparisons, want 1 with 3 rows: %s", len(cs), inv.stdout)
	}
	wantBase := []string{base + ":2", "nap", base + ":6"}
	for i, row := range cs[0].Rows {
		if row.Verdict == result.VerdictAdded || row.Verdict == result.VerdictGone || row.ChangedSQL || row.Ambiguous {
			t.Errorf("row %s: verdict %q changed %v ambiguous %v, want a plain pairing", row.Name, row.Verdict, row.ChangedSQL, row.Ambiguous)
		}
		got := row.Name
		if row.BaseName != "" {
			got = row.BaseName
		}
		if got != wantBase[i] {
			t.Errorf("row %d (%s) paired with %s, want %s", i, row.Name, got, wantBase[i])
		}
		if row.ID == "" {
			t.Errorf("row %s has no id", row.Name)
		}
	}
}
