//go:build unix

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/internal/qruntest"
)

// qrunBin is the qrun binary TestMain built; buildErr says why there is none.
var (
	qrunBin  string
	buildErr error
)

// TestMain builds ./cmd/qrun once for every test of the package.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "qrun-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	qrunBin, buildErr = build(dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles the qrun command into dir, with the race detector when QRUN_E2E_RACE=1.
func build(dir string) (string, error) {
	bin := filepath.Join(dir, "qrun")
	args := []string{"build", "-o", bin}
	if os.Getenv("QRUN_E2E_RACE") == "1" {
		args = append(args, "-race")
	}
	args = append(args, "github.com/qrunhq/qrun/cmd/qrun")
	cmd := exec.Command("go", args...)
	cmd.Dir = "../.." // the module root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/qrun: %v\n%s", err, out)
	}
	return bin, nil
}

// binary returns the qrun binary, failing the test when it could not be built.
func binary(t testing.TB) string {
	t.Helper()
	if buildErr != nil {
		t.Fatalf("no qrun binary: %v", buildErr)
	}
	return qrunBin
}

// exitHung is the status out reports for a qrun that did not exit within its time limit.
const exitHung = -1

// out is what one run of qrun left behind.
type out struct {
	Stdout, Stderr string
	Code           int
	Elapsed        time.Duration
}

// call describes one run of qrun.
type call struct {
	Args []string
	// DB is the connection string given as DATABASE_URL ("" for none).
	DB string
	// Env adds variables to the minimal environment.
	Env   map[string]string
	Stdin string
	// Limit bounds the run; 0 means 60s. A run that takes longer gets SIGQUIT (so its
	// goroutines are dumped on stderr) and reports exitHung.
	Limit time.Duration
	// Dir is the working directory; "" means the test's temporary directory.
	Dir string
}

// environ is the whole environment qrun runs with: nothing inherited but PATH, no
// password anywhere, no .pgpass or service file that could change the target.
func environ(t testing.TB, c call) []string {
	home := t.TempDir()
	env := map[string]string{
		"PATH":          os.Getenv("PATH"),
		"HOME":          home,
		"PGPASSFILE":    filepath.Join(home, "no-pgpass"),
		"PGSERVICEFILE": filepath.Join(home, "no-pg_service.conf"),
		"PGSYSCONFDIR":  home,
		"NO_COLOR":      "1",
		"LC_ALL":        "C",
		"GORACE":        "halt_on_error=1 exitcode=66",
	}
	if c.DB != "" {
		env["DATABASE_URL"] = c.DB
	}
	for k, v := range c.Env {
		env[k] = v
	}
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	return list
}

// command prepares qrun for c; the caller starts it.
func command(t testing.TB, c call) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(binary(t), c.Args...)
	cmd.Env = environ(t, c)
	cmd.Dir = c.Dir
	if cmd.Dir == "" {
		cmd.Dir = t.TempDir()
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Stdin = strings.NewReader(c.Stdin)
	return cmd, &stdout, &stderr
}

// qrunCall runs qrun as c says and checks it neither hung nor crashed.
func qrunCall(t testing.TB, c call) out {
	t.Helper()
	cmd, stdout, stderr := command(t, c)
	limit := c.Limit
	if limit == 0 {
		limit = 60 * time.Second
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start qrun: %v", err)
	}
	r := wait(t, cmd, limit)
	r.Stdout, r.Stderr, r.Elapsed = stdout.String(), stderr.String(), time.Since(start)
	t.Logf("qrun %s: exit %d in %v\nstderr:\n%s", strings.Join(c.Args, " "), r.Code, r.Elapsed.Round(time.Millisecond), qruntest.Clip(r.Stderr, 4000))
	checkSane(t, r)
	return r
}

// qrun runs qrun with args against the database at db (as DATABASE_URL).
func qrun(t testing.TB, db string, args ...string) out {
	t.Helper()
	return qrunCall(t, call{Args: args, DB: db})
}

// wait waits for a started qrun for at most limit; then it sends SIGQUIT, which makes a
// Go program print every goroutine's stack, and reports exitHung.
func wait(t testing.TB, cmd *exec.Cmd, limit time.Duration) out {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(limit):
		cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		t.Errorf("qrun %s did not exit within %v (hang); it was sent SIGQUIT", strings.Join(cmd.Args[1:], " "), limit)
		return out{Code: exitHung}
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out{Code: 0}
	case errors.As(err, &ee):
		return out{Code: ee.ExitCode()}
	default:
		t.Fatalf("wait for qrun: %v", err)
		return out{}
	}
}

// checkSane fails the test when qrun panicked, crashed or raced.
func checkSane(t testing.TB, r out) {
	t.Helper()
	for _, bad := range []string{"panic:", "goroutine ", "fatal error:", "WARNING: DATA RACE", "SIGSEGV"} {
		if strings.Contains(r.Stderr, bad) {
			t.Errorf("stderr holds %q: qrun crashed\n%s", bad, qruntest.Clip(r.Stderr, 8000))
			return
		}
	}
	if r.Code < 0 && r.Code != exitHung {
		t.Errorf("qrun was killed by a signal (exit %d)", r.Code)
	}
}

// testDB is a fresh database for one test.
type testDB struct {
	URL   string // connection URL, no password
	Name  string
	Admin *pgx.Conn // a connection to the database, for checks
}

// newDB creates a fresh database and, when the test ends, checks that qrun left no
// backend behind in it.
func newDB(t *testing.T) *testDB {
	t.Helper()
	u := pgtest.NewDatabase(t)
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	d := &testDB{URL: u, Name: strings.TrimPrefix(pu.Path, "/"), Admin: pgtest.Conn(t, u)}
	// Registered after NewDatabase's cleanup, so it runs before the database is dropped.
	t.Cleanup(func() { d.noBackends(t) })
	return d
}

// exec runs sql on the admin connection.
func (d *testDB) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := d.Admin.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// scalar runs a one-value query on the admin connection.
func scalar[T any](t testing.TB, d *testDB, sql string, args ...any) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var v T
	if err := d.Admin.QueryRow(ctx, sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// tableExists reports whether the table exists in the database.
func (d *testDB) tableExists(t testing.TB, name string) bool {
	t.Helper()
	return scalar[bool](t, d, "SELECT to_regclass($1) IS NOT NULL", name)
}

// backend is a row of pg_stat_activity.
type backend struct {
	PID   int32
	State string
	Query string
}

func (b backend) String() string { return fmt.Sprintf("pid %d %s: %q", b.PID, b.State, b.Query) }

// qrunBackends lists qrun's backends (application_name 'qrun') in the database.
func (d *testDB) qrunBackends(t testing.TB) []backend {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rows, err := d.Admin.Query(ctx, `SELECT pid, coalesce(state, ''), query FROM pg_stat_activity
		WHERE datname = $1 AND application_name = 'qrun' AND pid <> pg_backend_pid()`, d.Name)
	if err != nil {
		t.Fatalf("pg_stat_activity: %v", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (backend, error) {
		var b backend
		err := r.Scan(&b.PID, &b.State, &b.Query)
		return b, err
	})
	if err != nil {
		t.Fatalf("pg_stat_activity: %v", err)
	}
	return list
}

// noBackends checks that no qrun backend is left in the database once qrun has exited.
// Backends of closed connections take a moment to go; a backend still running a query
// would stay, and that is what this catches.
func (d *testDB) noBackends(t testing.TB) {
	t.Helper()
	var left []backend
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if left = d.qrunBackends(t); len(left) == 0 {
			return
		}
	}
	t.Errorf("qrun left %d backend(s) behind after it exited: %v", len(left), left)
}

// waitActive waits until a qrun backend runs a query that contains text, and returns it.
func (d *testDB) waitActive(t testing.TB, text string, limit time.Duration) backend {
	t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, b := range d.qrunBackends(t) {
			if b.State == "active" && strings.Contains(b.Query, text) {
				return b
			}
		}
	}
	t.Fatalf("no qrun backend ran %q within %v; backends: %v", text, limit, d.qrunBackends(t))
	return backend{}
}

// withPassword returns the URL u with user and password set.
func withUserPassword(t testing.TB, u, user, password string) string {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	pu.User = url.UserPassword(user, password)
	return pu.String()
}

// withHostPort returns the URL u pointing at hostport.
func withHostPort(t testing.TB, u, hostport string) string {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	pu.Host = hostport
	return pu.String()
}

// addQuery sets a query parameter on the URL u.
func addQuery(t testing.TB, u, key, value string) string {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := pu.Query()
	q.Set(key, value)
	pu.RawQuery = q.Encode()
	return pu.String()
}

// fileLineCol matches an input error line: FILE:LINE:COL: message.
func fileLineCol(file string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(file) + `:\d+:\d+: \S.*$`)
}

// proc is a qrun running in the background.
type proc struct {
	t              testing.TB
	cmd            *exec.Cmd
	stdout, stderr *bytes.Buffer
	start          time.Time
}

// startQrun starts qrun as c says; the caller must call wait.
func startQrun(t testing.TB, c call) *proc {
	t.Helper()
	cmd, stdout, stderr := command(t, c)
	p := &proc{t: t, cmd: cmd, stdout: stdout, stderr: stderr, start: time.Now()}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start qrun: %v", err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return p
}

// signal sends sig to qrun.
func (p *proc) signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal qrun: %v", err)
	}
}

// exited reports whether qrun has exited, without reaping it: a process that exited is a
// zombie (state Z) until wait.
func (p *proc) exited() bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return true
	}
	// The state follows the command name, which is in parentheses.
	rest := stat[bytes.LastIndexByte(stat, ')')+1:]
	f := strings.Fields(string(rest))
	return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
}

// wait waits for qrun to exit, for at most limit, and checks it did not crash.
func (p *proc) wait(limit time.Duration) out {
	p.t.Helper()
	r := wait(p.t, p.cmd, limit)
	r.Stdout, r.Stderr, r.Elapsed = p.stdout.String(), p.stderr.String(), time.Since(p.start)
	p.t.Logf("qrun %s: exit %d in %v\nstderr:\n%s", strings.Join(p.cmd.Args[1:], " "), r.Code, r.Elapsed.Round(time.Millisecond), qruntest.Clip(r.Stderr, 4000))
	checkSane(p.t, r)
	return r
}

// terminateWhenActive waits until a backend of the database runs a query holding text
// and terminates it, as an administrator or a failover would.
func (d *testDB) terminateWhenActive(t testing.TB, text string) {
	t.Helper()
	b := d.waitActive(t, text, 20*time.Second)
	if !scalar[bool](t, d, "SELECT pg_terminate_backend($1)", b.PID) {
		t.Fatal("pg_terminate_backend returned false")
	}
}
