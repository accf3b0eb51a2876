//go:build unix

package e2e

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/qruntest"
)

// witness is the first statement of every bad file: if qrun ran anything, the table exists.
func witness(i int) (table, sql string) {
	table = fmt.Sprintf("witness_%d", i)
	return table, fmt.Sprintf("CREATE TABLE %s (x int);\n", table)
}

// TestBadInput runs qrun on every class of bad input of issue 5: each must exit 2 with a
// clear message (file:line:col for input errors, a usage line for flags), run nothing and
// never panic.
func TestBadInput(t *testing.T) {
	t.Parallel()
	db := newDB(t)

	type row struct {
		name string
		// body follows the witness statement; with noWitness the file is body alone.
		body      string
		noWitness bool
		args      []string // before the file name
		// file, when set, replaces the file written from body (the witness is not written).
		file func(t *testing.T) string
		// line is the line the error must point to (0: no line required, only the file).
		line int
		// usage: a flag error, reported as "qrun: ..." naming want.
		usage bool
		want  string // a substring of stderr (case-insensitive), "" for none
		skip  string // a reason to skip the row, for the lead to decide
	}
	rows := []row{
		// An empty or comment-only file runs as psql runs it, with a warning (issue 11):
		// cmd/qrun's TestNoStatementsRuns checks it.
		{name: "invalid UTF-8", body: "SELECT 'caf\xe9';\n", line: 2, want: "utf"},
		{name: "invalid UTF-8 in a comment", body: "-- \xff\xfe\nSELECT 1;\n", line: 2, want: "utf"},
		{name: "NUL byte", body: "SELECT 1\x00;\n", line: 2, want: ""},
		{name: "unterminated quote", body: "SELECT 'abc;\nSELECT 1;\n", line: 2, want: ""},
		{name: "unterminated E quote", body: "SELECT E'abc\\';\n", line: 2},
		{name: "unterminated quoted identifier", body: "SELECT \"abc;\n", line: 2},
		{name: "unterminated dollar quote", body: "SELECT $tag$ abc; $other$;\n", line: 2},
		{name: "unterminated block comment", body: "SELECT 1 /* abc /* nested */;\n", line: 2},
		{name: "unterminated transaction block", body: "BEGIN;\nSELECT 1;\n", line: 2},
		{name: "\\c with --parallel", args: []string{"--parallel"}, body: "\\c otherdb\nSELECT 1;\n", line: 2, want: `\c is not supported with --parallel`},
		{name: "meta-command \\prompt", body: "\\prompt 'Name? ' name\n", line: 2, want: `\prompt reads a value from the terminal`},
		{name: "meta-command \\!", body: "\\! touch /tmp/qrun-e2e-should-not-exist\n", line: 2, want: `\!`},
		{name: "\\copy from a missing file", body: "\\copy witness_x FROM 'no-such-x.csv'\n", line: 2, want: `cannot read no-such-x.csv`},
		{name: "\\copy program", body: "\\copy witness_x FROM PROGRAM 'cat'\n", line: 2, want: `program is not supported`},
		{name: "meta-command \\e", body: "SELECT 1 \\e\n", line: 2, want: `editor`},
		{name: "backquote", body: "\\set x `touch /tmp/qrun-e2e-should-not-exist`\n", line: 2, want: `backquote`},
		{name: "\\if without \\endif", body: "\\if true\nSELECT 1;\n", line: 2, want: `\endif`},
		{name: "\\else without \\if", body: "\\else\nSELECT 1;\n", line: 2, want: `no matching`},
		{name: "include of a missing file", body: "\\i no-such-include.sql\n", line: 2, want: "no-such-include.sql"},
		{name: "duplicate name", body: "-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;\n", want: "a"},
		{name: "unknown name in after", args: []string{"--parallel"}, body: "-- name: a\n-- after: nosuch\nSELECT 1;\n", want: "nosuch"},
		{name: "cycle", args: []string{"--parallel"}, body: "-- name: a\n-- after: b\nSELECT 1;\n-- name: b\n-- after: a\nSELECT 2;\n", want: "cycle"},
		{name: "self dependency", args: []string{"--parallel"}, body: "-- name: a\n-- after: a\nSELECT 1;\n", want: "a"},
		{name: "dependency on a later statement in sequential mode", body: "-- name: a\n-- after: b\nSELECT 1;\n-- name: b\nSELECT 2;\n", want: "b"},
		{name: "VACUUM under --rollback", args: []string{"--rollback"}, body: "VACUUM;\n", line: 2, want: "vacuum"},
		{name: "CREATE INDEX CONCURRENTLY under --rollback", args: []string{"--rollback"}, body: "CREATE INDEX CONCURRENTLY i ON t (x);\n", line: 2, want: "concurrently"},
		{name: "CREATE DATABASE under --rollback", args: []string{"--rollback"}, body: "CREATE DATABASE nope;\n", line: 2, want: "database"},

		{name: "missing file", file: func(t *testing.T) string { return filepath.Join(t.TempDir(), "missing.sql") }, want: "no such file"},
		{name: "directory", file: func(t *testing.T) string { return t.TempDir() }, want: "directory"},

		{name: "unknown format", args: []string{"--format", "yaml"}, usage: true, want: "yaml"},
		{name: "concurrency 0", args: []string{"--parallel", "-c", "0"}, usage: true, want: "concurrency"},
		{name: "concurrency -1", args: []string{"--parallel", "-c", "-1"}, usage: true, want: "concurrency"},
		{name: "runs 0", args: []string{"--runs", "0"}, usage: true, want: "runs"},
		{name: "runs -3", args: []string{"--runs", "-3"}, usage: true, want: "runs"},
		{name: "negative timeout", args: []string{"--timeout", "-1s"}, usage: true, want: "timeout"},
		{name: "negative duration", args: []string{"--duration", "-1s"}, usage: true, want: "duration"},
		{name: "negative max-time", args: []string{"--max-time", "-5ms"}, usage: true, want: "max-time"},
		{name: "negative connect-timeout", args: []string{"--connect-timeout", "-1s"}, usage: true, want: "connect-timeout"},
		{name: "negative retries", args: []string{"--retries", "-1"}, usage: true, want: "retries"},
		{name: "not a duration", args: []string{"--timeout", "soon"}, usage: true, want: "timeout"},
		{name: "unknown flag", args: []string{"--no-such-flag"}, usage: true, want: "no-such-flag"},
	}
	for i, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			if r.skip != "" {
				t.Skip(r.skip)
			}
			table, first := witness(i)
			var path string
			switch {
			case r.file != nil:
				path = r.file(t)
				table = ""
			case r.noWitness:
				path = qruntest.WriteFile(t, "bad.sql", r.body)
				table = ""
			default:
				path = qruntest.WriteFile(t, "bad.sql", first+r.body)
			}
			args := append(append([]string{}, r.args...), path)
			res := qrun(t, db.URL, args...)
			if res.Code != 2 {
				t.Errorf("exit %d, want 2", res.Code)
			}
			if table != "" && db.tableExists(t, table) {
				t.Errorf("table %s exists: qrun ran the first statement of a bad input", table)
			}
			if res.Stdout != "" && !r.usage {
				t.Errorf("stdout is not empty:\n%s", qruntest.Clip(res.Stdout, 2000))
			}
			stderr := strings.TrimSpace(res.Stderr)
			if stderr == "" {
				t.Fatal("stderr is empty: no message")
			}
			if r.want != "" && !strings.Contains(strings.ToLower(stderr), strings.ToLower(r.want)) {
				t.Errorf("stderr does not mention %q:\n%s", r.want, stderr)
			}
			switch {
			case r.usage:
				if !strings.HasPrefix(stderr, "qrun:") && !strings.Contains(stderr, "Error:") {
					t.Errorf("stderr is not a usage message:\n%s", stderr)
				}
			case r.line > 0:
				re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(path) + fmt.Sprintf(`:%d:\d+: \S`, r.line))
				if !re.MatchString(stderr) {
					t.Errorf("stderr has no %s:%d:COL: message line:\n%s", path, r.line, stderr)
				}
			default:
				// Errors about a whole file, or about names, must still start with the file.
				re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(path) + `(:\d+:\d+)?: \S`)
				if !re.MatchString(stderr) {
					t.Errorf("stderr has no %s[:LINE:COL]: message line:\n%s", path, stderr)
				}
			}
		})
	}
	if _, err := os.Stat("/tmp/qrun-e2e-should-not-exist"); err == nil {
		t.Error(`\! ran a shell command`)
		os.Remove("/tmp/qrun-e2e-should-not-exist")
	}
}

// TestUnreadableFile checks that a file qrun may not read is an input error. As root,
// mode 000 does not stop a read, so the test then runs qrun as the unprivileged user
// nobody instead.
func TestUnreadableFile(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir, err := os.MkdirTemp("", "qrun-e2e-unreadable-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "secret.sql")
	table, first := witness(0)
	if err := os.WriteFile(path, []byte(first), 0o000); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o000)

	c := call{Args: []string{path}, DB: db.URL, Dir: dir, Env: map[string]string{"HOME": dir}}
	cmd, stdout, stderr := command(t, c)
	cmd.Dir = dir
	if os.Geteuid() == 0 {
		// Root reads any file; run as nobody, who needs to reach the binary too.
		bin := binary(t)
		if err := os.Chmod(filepath.Dir(bin), 0o755); err != nil {
			t.Fatal(err)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		if f, err := os.Open(path); err == nil {
			f.Close() // expected as root; nobody cannot
		}
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start qrun as an unprivileged user: %v", err)
	}
	res := wait(t, cmd, 60*time.Second)
	res.Stdout, res.Stderr, res.Elapsed = stdout.String(), stderr.String(), time.Since(start)
	t.Logf("exit %d\nstderr:\n%s", res.Code, res.Stderr)
	checkSane(t, res)
	if res.Code != 2 {
		t.Errorf("exit %d, want 2", res.Code)
	}
	if db.tableExists(t, table) {
		t.Errorf("table %s exists: qrun ran an unreadable file", table)
	}
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(path) + `(:\d+:\d+)?: \S`)
	if !re.MatchString(res.Stderr) || !strings.Contains(strings.ToLower(res.Stderr), "permission denied") {
		t.Errorf("stderr has no %q: ... permission denied line:\n%s", path, res.Stderr)
	}
}

// TestBigInputs checks the two inputs of issue 5 that must work: a 10 MB statement, and
// a million statements (planned with --dry-run), plus 100,000 statements actually run.
func TestBigInputs(t *testing.T) {
	t.Parallel()
	db := newDB(t)

	t.Run("10 MB statement", func(t *testing.T) {
		const n = 10 << 20
		sql := "-- name: big\nSELECT length('" + strings.Repeat("x", n) + "') AS n;\n"
		path := qruntest.WriteFile(t, "big.sql", sql)
		res := qrun(t, db.URL, "--format", "json", path)
		if res.Code != 0 {
			t.Fatalf("exit %d, want 0", res.Code)
		}
		r := qruntest.Decode(t, res.Stdout)
		q := qruntest.Query(t, r, "big")
		if q.Status != "ok" || q.Rows != 1 {
			t.Errorf("big: status %s, rows %d; want ok, 1 (error %+v)", q.Status, q.Rows, q.Error)
		}
	})

	t.Run("a million statements, dry run", func(t *testing.T) {
		if testing.Short() {
			t.Skip("a million statements take seconds to plan and render; skipped with -short")
		}
		const n = 1_000_000
		path := qruntest.WriteFile(t, "million.sql", strings.Repeat("SELECT 1;\n", n))
		planPath := filepath.Join(t.TempDir(), "plan.csv")
		res := qrunCall(t, call{Args: []string{"--dry-run", "--format", "csv", "-o", planPath, path}, DB: db.URL, Limit: 120 * time.Second})
		if res.Code != 0 {
			t.Fatalf("exit %d, want 0", res.Code)
		}
		data, err := os.ReadFile(planPath)
		if err != nil {
			t.Fatal(err)
		}
		if lines := bytes.Count(data, []byte("\n")); lines < n {
			t.Errorf("the plan has %d lines, want one per statement (%d)", lines, n)
		}
	})

	t.Run("50,000 statements run", func(t *testing.T) {
		if testing.Short() {
			t.Skip("50,000 round trips take seconds; skipped with -short")
		}
		const n = 50_000
		path := qruntest.WriteFile(t, "many.sql", strings.Repeat("SELECT 1;\n", n))
		csvPath := filepath.Join(t.TempDir(), "report.csv")
		res := qrunCall(t, call{Args: []string{"--format", "csv", "-o", csvPath, path}, DB: db.URL, Limit: 120 * time.Second})
		if res.Code != 0 {
			t.Fatalf("exit %d, want 0", res.Code)
		}
		f, err := os.Open(csvPath)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatalf("report is not CSV: %v", err)
		}
		if len(recs) != n+1 {
			t.Errorf("CSV report has %d lines, want a header and %d rows", len(recs), n)
		}
	})
}
