//go:build unix

package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a PostgreSQL primary and its streaming replica of a test's own, made with
// initdb and pg_basebackup -R on free loopback ports, and stopped when the test ends.
// Tests use it for replicas, failover and spreading connections over nodes.
type Cluster struct {
	Primary, Replica *Node
	bin              string
	cred             *syscall.Credential
}

// Node is one server of a Cluster.
type Node struct {
	Port int
	Dir  string
	URL  string // postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable
	c    *Cluster
}

// NewCluster starts a primary and a streaming replica, or skips the test (fails it
// under CI=true) when that cannot be done here.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	unavailable := func(format string, args ...any) *Cluster {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("CI") == "true" {
			t.Fatalf("a primary + replica pair is required under CI=true: %s", msg)
		}
		t.Skipf("skipping: cannot start a primary + replica pair: %s", msg)
		return nil
	}
	c, root, err := newCluster(t, "qrun-cluster-")
	if err != nil {
		return unavailable("%v", err)
	}
	c.Primary = &Node{Port: freePort(t), Dir: filepath.Join(root, "primary"), c: c}
	c.Replica = &Node{Port: freePort(t), Dir: filepath.Join(root, "replica"), c: c}
	for _, n := range []*Node{c.Primary, c.Replica} {
		n.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=5", n.Port)
	}
	t.Cleanup(func() {
		for _, n := range []*Node{c.Replica, c.Primary} {
			c.run("pg_ctl", "-D", n.Dir, "-m", "immediate", "-w", "stop")
		}
	})

	if out, err := c.run("initdb", "-D", c.Primary.Dir, "-U", "postgres", "--auth=trust", "-N", "-E", "UTF8", "--locale=C"); err != nil {
		return unavailable("initdb: %v\n%s", err, out)
	}
	conf := "\nlisten_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n" +
		"wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\nfsync = off\n" +
		"full_page_writes = off\nshared_buffers = 16MB\nmax_connections = 40\n"
	if err := appendFile(filepath.Join(c.Primary.Dir, "postgresql.conf"), fmt.Sprintf(conf, c.Primary.Port, c.Primary.Dir)); err != nil {
		return unavailable("%v", err)
	}
	if err := c.Primary.start(); err != nil {
		return unavailable("%v", err)
	}
	if out, err := c.run("pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(c.Primary.Port), "-U", "postgres",
		"-D", c.Replica.Dir, "-R", "-X", "stream", "-c", "fast"); err != nil {
		return unavailable("pg_basebackup: %v\n%s", err, out)
	}
	if err := appendFile(filepath.Join(c.Replica.Dir, "postgresql.conf"),
		fmt.Sprintf("\nport = %d\nunix_socket_directories = '%s'\n", c.Replica.Port, c.Replica.Dir)); err != nil {
		return unavailable("%v", err)
	}
	if err := c.Replica.start(); err != nil {
		return unavailable("%v", err)
	}
	if err := c.Replica.waitFor("SELECT pg_is_in_recovery()", "true"); err != nil {
		return unavailable("replica: %v", err)
	}
	return c
}

// Exec runs sql on the node, failing the test on an error.
func (n *Node) Exec(t testing.TB, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, n.URL)
	if err != nil {
		t.Fatalf("connect to %d: %v", n.Port, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s on %d: %v", sql, n.Port, err)
	}
}

// WaitReplay waits until the replica has replayed everything the primary has written.
func (c *Cluster) WaitReplay(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := pgx.Connect(ctx, c.Primary.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	var lsn string
	if err := p.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&lsn); err != nil {
		t.Fatal(err)
	}
	if err := c.Replica.waitFor("SELECT pg_last_wal_replay_lsn() >= '"+lsn+"'::pg_lsn", "true"); err != nil {
		t.Fatal(err)
	}
}

// Restart restarts the node, disconnecting every client (-m fast).
func (n *Node) Restart(t testing.TB) {
	t.Helper()
	// -l: the server must not inherit this command's output, or run would wait for it.
	if out, err := n.c.run("pg_ctl", "-D", n.Dir, "-l", filepath.Join(n.Dir, "server.log"), "-m", "fast", "-w", "-t", "30", "restart"); err != nil {
		t.Fatalf("restart %d: %v\n%s", n.Port, err, out)
	}
}

// Stop stops the node at once (-m immediate), as a crash would.
func (n *Node) Stop(t testing.TB) {
	t.Helper()
	if out, err := n.c.run("pg_ctl", "-D", n.Dir, "-m", "immediate", "-w", "stop"); err != nil {
		t.Fatalf("stop %d: %v\n%s", n.Port, err, out)
	}
}

// Promote makes the replica a primary and waits until it accepts writes.
func (c *Cluster) Promote(t testing.TB) {
	t.Helper()
	if out, err := c.run("pg_ctl", "-D", c.Replica.Dir, "-w", "promote"); err != nil {
		t.Fatalf("promote: %v\n%s", err, out)
	}
	if err := c.Replica.waitFor("SELECT pg_is_in_recovery()", "false"); err != nil {
		t.Fatal(err)
	}
}

func (n *Node) start() error {
	if out, err := n.c.run("pg_ctl", "-D", n.Dir, "-l", filepath.Join(n.Dir, "server.log"), "-w", "-t", "30", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(n.Dir, "server.log"))
		return fmt.Errorf("pg_ctl start on port %d: %v\n%s\n%s", n.Port, err, out, log)
	}
	return nil
}

// waitFor polls sql on the node until it returns want.
func (n *Node) waitFor(sql, want string) error {
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := pgx.Connect(ctx, n.URL)
		if err == nil {
			var got bool
			err = conn.QueryRow(ctx, sql).Scan(&got)
			conn.Close(ctx)
			if err == nil && strconv.FormatBool(got) == want {
				cancel()
				return nil
			}
		}
		cancel()
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s on port %d did not return %s within 30s (last error: %v)", sql, n.Port, want, last)
}

// run runs a server program from c.bin, as postgres when the test runs as root.
func (c *Cluster) run(prog string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, prog), args...)
	cmd.WaitDelay = 5 * time.Second // a server that kept the output pipes open must not hang us
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
		cmd.Dir = "/"
	}
	return cmd.CombinedOutput()
}

// credential is the postgres user's, for servers that refuse to run as root; nil when
// there is no such user.
func (*Cluster) credential() *syscall.Credential {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// serverBin returns the newest /usr/lib/postgresql/N/bin holding the server tools.
func serverBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		ok := true
		for _, p := range []string{"initdb", "pg_ctl", "pg_basebackup"} {
			if _, err := os.Stat(filepath.Join(d, p)); err != nil {
				ok = false
			}
		}
		if ok {
			return d
		}
	}
	return ""
}

func version(bin string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return n
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// portFree reports whether nothing listens on 127.0.0.1:port.
func portFree(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// HostPort is the node's address, 127.0.0.1:PORT.
func (n *Node) HostPort() string { return "127.0.0.1:" + strconv.Itoa(n.Port) }

// newCluster finds the server's programs and the user to run them as (postgres, when
// the test runs as root, which the server refuses), and makes a temporary directory
// owned by that user, removed when the test ends; an error says why a server of the
// test's own cannot be started here.
func newCluster(t testing.TB, prefix string) (*Cluster, string, error) {
	bin := serverBin()
	if bin == "" {
		return nil, "", errors.New("no initdb/pg_ctl/pg_basebackup under /usr/lib/postgresql/*/bin")
	}
	c := &Cluster{bin: bin}
	if os.Geteuid() == 0 {
		if c.cred = c.credential(); c.cred == nil {
			return nil, "", errors.New("running as root and no postgres user")
		}
	}
	root, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, "", err
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	if c.cred != nil {
		if err := os.Chown(root, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return nil, "", err
		}
	}
	return c, root, nil
}

// NewServer starts a lone PostgreSQL server of the test's own (initdb on a loopback
// port; port 0 picks a free one) with conf appended to its postgresql.conf — for what
// the shared test server lacks, such as shared_preload_libraries — and stops it when the
// test ends. A port already taken is replaced by a free one. It skips the test (fails
// it under CI=true) when that cannot be done here.
func NewServer(t testing.TB, port int, conf string) *Node {
	t.Helper()
	unavailable := func(format string, args ...any) *Node {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("CI") == "true" {
			t.Fatalf("a server of the test's own is required under CI=true: %s", msg)
		}
		t.Skipf("skipping: cannot start a server of the test's own: %s", msg)
		return nil
	}
	c, root, err := newCluster(t, "qrun-server-")
	if err != nil {
		return unavailable("%v", err)
	}
	if port == 0 || !portFree(port) {
		port = freePort(t) // the port asked for is taken: any other will do
	}
	n := &Node{Port: port, Dir: filepath.Join(root, "data"), c: c}
	n.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=5", n.Port)
	c.Primary = n
	if out, err := c.run("initdb", "-D", n.Dir, "-U", "postgres", "--auth=trust", "-N", "-E", "UTF8", "--locale=C"); err != nil {
		return unavailable("initdb: %v\n%s", err, out)
	}
	base := fmt.Sprintf("\nlisten_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n"+
		"fsync = off\nfull_page_writes = off\nshared_buffers = 16MB\nmax_connections = 40\n", n.Port, n.Dir)
	if err := appendFile(filepath.Join(n.Dir, "postgresql.conf"), base+conf+"\n"); err != nil {
		return unavailable("%v", err)
	}
	if err := n.start(); err != nil {
		return unavailable("%v", err)
	}
	t.Cleanup(func() { c.run("pg_ctl", "-D", n.Dir, "-m", "immediate", "-w", "stop") })
	return n
}
