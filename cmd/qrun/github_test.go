package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/internal/qruntest"
)

// --format github annotates the failed statement at its file and line, and appends the
// markdown summary to $GITHUB_STEP_SUMMARY.
func TestFormatGitHub(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	file := qruntest.WriteFile(t, "ci.sql", "SELECT 1;\n\nSELECT * FROM\n  missing_table;\n")
	summary := filepath.Join(t.TempDir(), "summary.md")
	if err := os.WriteFile(summary, []byte("earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := qrun(t, context.Background(), "", map[string]string{"GITHUB_STEP_SUMMARY": summary}, "-d", db, "--format", "github", file)
	if inv.code != exitFailed {
		t.Fatalf("exit %d, want %d", inv.code, exitFailed)
	}
	want := "::error file=" + file + ",line=4,col=3,title=qrun%3A " + strings.ReplaceAll(file, ":", "%3A") + "%3A3 error::"
	if !strings.Contains(inv.stdout, want) || !strings.Contains(inv.stdout, "42P01") {
		t.Errorf("stdout lacks the annotation %q at the server's error position:\n%s", want, inv.stdout)
	}
	if !strings.Contains(inv.stdout, "::notice title=qrun::1 ok · 1 error") {
		t.Errorf("stdout lacks the verdict notice:\n%s", inv.stdout)
	}
	got, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), "earlier step\n## qrun: 1 ok · 1 error") {
		t.Errorf("step summary was not appended as markdown:\n%s", got)
	}
}
