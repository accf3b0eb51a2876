//go:build unix

package pgtest

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// PgBouncer starts a real PgBouncer (Debian's pgbouncer) of the test's own on a free
// loopback port, in front of the test server, in pool mode mode ("session",
// "transaction" or "statement"), and returns dbURL (a URL of the test server, such as
// NewDatabase's) rewritten to go through it. It is stopped when the test ends. Without
// pgbouncer installed the test skips (fails under CI=true: .ci/run installs it).
func PgBouncer(t testing.TB, dbURL, mode string) string {
	t.Helper()
	unavailable := func(format string, args ...any) string {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("CI") == "true" {
			t.Fatalf("PgBouncer is required under CI=true: %s", msg)
		}
		t.Skipf("skipping: cannot start PgBouncer: %s (apt-get install pgbouncer)", msg)
		return ""
	}
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/pgbouncer"); serr != nil {
			return unavailable("pgbouncer not found")
		}
		bin = "/usr/sbin/pgbouncer"
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	server := u.Host
	host, port, err := net.SplitHostPort(server)
	if err != nil {
		host, port = server, "5432"
	}
	dir, err := os.MkdirTemp("", "qrun-pgbouncer-")
	if err != nil {
		return unavailable("%v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	listen := freePort(t)
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%s
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = %s
default_pool_size = 20
max_client_conn = 200
server_reset_query = DISCARD ALL
logfile = %s
pidfile = %s
ignore_startup_parameters = extra_float_digits,default_transaction_read_only
`, host, port, listen, filepath.Join(dir, "users.txt"), mode, filepath.Join(dir, "pgbouncer.log"), filepath.Join(dir, "pgbouncer.pid"))
	files := map[string]string{"pgbouncer.ini": ini, "users.txt": `"postgres" ""` + "\n" + `"root" ""` + "\n"}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return unavailable("%v", err)
		}
	}
	cmd := exec.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	if os.Geteuid() == 0 {
		// PgBouncer refuses to run as root: run it as postgres.
		c := (&Cluster{}).credential()
		if c == nil {
			return unavailable("running as root and no postgres user")
		}
		if err := os.Chown(dir, int(c.Uid), int(c.Gid)); err != nil {
			return unavailable("%v", err)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c}
	}
	if err := cmd.Start(); err != nil {
		return unavailable("%v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	addr := "127.0.0.1:" + strconv.Itoa(listen)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
			return unavailable("not listening on %s after 10s: %v\n%s", addr, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	u.Host = addr
	return u.String()
}
