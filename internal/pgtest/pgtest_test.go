package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSkipSaysSoOnce runs this package's test binary as go test would run several
// packages' without a server: every test skips, and one line on the terminal says why
// and how to run them.
func TestSkipSaysSoOnce(t *testing.T) {
	if os.Getenv("QRUN_PGTEST_CHILD") != "" {
		t.Skip("the child's own run")
	}
	t.Cleanup(func() {
		os.Remove(filepath.Join(os.TempDir(), fmt.Sprintf("qrun-pgtest-%d-%d.skipped", os.Getuid(), os.Getpid())))
	})
	tty := filepath.Join(t.TempDir(), "tty")
	if err := os.WriteFile(tty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// The children share a parent, this test, as the test binaries of one go test run
	// share the go command.
	for range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=TestChildNeedsADatabase", "-test.v")
		cmd.Env = append(os.Environ(), "QRUN_PGTEST_CHILD=1", "CI=", "QRUN_PGTEST_TTY="+tty,
			"QRUN_TEST_DATABASE_URL=postgres://nobody:secret@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "--- SKIP: TestChildNeedsADatabase") {
			t.Fatalf("child output %s, want the test skipped", out)
		}
	}
	b, err := os.ReadFile(tty)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("terminal got %q, want one line for the three runs", b)
	}
	for _, want := range []string{"qrun: database tests skipped: no PostgreSQL at postgres://nobody:xxxxx@127.0.0.1:1/none", "QRUN_TEST_DATABASE_URL"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("line %q, want it to contain %q", lines[0], want)
		}
	}
	if strings.Contains(lines[0], "secret") {
		t.Errorf("line %q shows the password", lines[0])
	}
}

// TestChildNeedsADatabase is the child's test: it needs a server that is not there.
func TestChildNeedsADatabase(t *testing.T) {
	if os.Getenv("QRUN_PGTEST_CHILD") == "" {
		t.Skip("run by TestSkipSaysSoOnce")
	}
	URL(t)
	t.Fatal("URL returned without a server")
}
