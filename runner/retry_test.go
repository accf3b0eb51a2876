package runner

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/result"
)

// sockets returns the sockets of the target's idle connections, in pool order.
func sockets(t *testing.T, tg *Target) []net.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []net.Conn
	for range tg.conns {
		c, err := tg.pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Release()
		out = append(out, c.Conn().PgConn().Conn())
	}
	return out
}

// TestRetryNotSent closes the socket of the run's connection before the unit is sent:
// the write fails without a byte leaving qrun, so --retries sends the unit again on a
// new connection, and the row is inserted once.
func TestRetryNotSent(t *testing.T) {
	t.Parallel()
	for _, retries := range []int{0, 2} {
		t.Run(map[int]string{0: "no retries", 2: "retried"}[retries], func(t *testing.T) {
			t.Parallel()
			url := pgtest.NewDatabase(t)
			exec(t, admin(t, url), "CREATE TABLE t (x int)")
			tg := connect(t, url, Config{}, Options{Parallel: true, Concurrency: 1, Retries: retries})
			for _, c := range sockets(t, tg) {
				c.Close()
			}
			r := run(t, tg, buildPlan(t, true, src{name: "ins", sql: "INSERT INTO t VALUES (1);"}))
			q := r.Queries[0]
			n := scalar[int64](t, url, "SELECT count(*) FROM t")
			if retries == 0 {
				if q.Status != result.StatusError || q.Attempts != 1 || n != 0 {
					t.Errorf("got %s after %d attempts and %d rows, want error, 1, 0", q.Status, q.Attempts, n)
				}
				return
			}
			if q.Status != result.StatusOK || q.Attempts != 2 || n != 1 {
				t.Errorf("got %s after %d attempts and %d rows (error %+v), want ok, 2, 1", q.Status, q.Attempts, n, q.Error)
			}
		})
	}
}

// TestNoRetryAfterSend loses the connection after the statement was sent and had
// committed its row (a procedure commits, then sleeps): the error is not retried,
// whatever --retries says, and the row is there once.
func TestNoRetryAfterSend(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	exec(t, admin(t, url), `CREATE TABLE t (x int);
CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN INSERT INTO t VALUES (1); COMMIT; PERFORM pg_sleep(30); END $$`)
	app := appName(t)
	tg := connect(t, url, Config{ApplicationName: app}, Options{Parallel: true, Concurrency: 1, Retries: 3})
	sock := sockets(t, tg)[0]
	watch := admin(t, url)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Once the row is committed, the reply can no longer come.
		for range 500 {
			var n int64
			if err := watch.QueryRow(context.Background(), "SELECT count(*) FROM t").Scan(&n); err != nil || n > 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		sock.Close()
	}()
	r := run(t, tg, buildPlan(t, true, src{name: "call", sql: "CALL p();"}))
	<-done
	q := r.Queries[0]
	if q.Status != result.StatusError || q.Attempts != 1 {
		t.Errorf("got %s after %d attempts, want error after 1", q.Status, q.Attempts)
	}
	if n := scalar[int64](t, url, "SELECT count(*) FROM t"); n != 1 {
		t.Errorf("got %d rows, want 1: the sent statement was sent again", n)
	}
	// The backend sleeps on: end it, so that the database can be dropped.
	scalar[int64](t, url, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", app)
}

// TestRetryReconnect makes the replacement of a lost connection fail for a while (the
// database refuses connections): --retries tries again with a pause, and the unit runs
// once the database accepts connections again; without retries it fails at once.
func TestRetryReconnect(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	exec(t, admin(t, url), "CREATE TABLE t (x int)")
	db := strings.TrimPrefix(url[strings.LastIndex(url, "/"):], "/")
	if i := strings.IndexByte(db, '?'); i >= 0 {
		db = db[:i]
	}
	other := pgtest.URL(t) // a connection to another database, to switch it back
	tg := connect(t, url, Config{}, Options{Parallel: true, Concurrency: 1, Retries: 8})
	exec(t, admin(t, other), `ALTER DATABASE "`+db+`" ALLOW_CONNECTIONS false`)
	t.Cleanup(func() { exec(t, admin(t, other), `ALTER DATABASE "`+db+`" ALLOW_CONNECTIONS true`) })
	for _, c := range sockets(t, tg) {
		c.Close()
	}
	reopen := admin(t, other)
	done := make(chan error, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		_, err := reopen.Exec(context.Background(), `ALTER DATABASE "`+db+`" ALLOW_CONNECTIONS true`)
		done <- err
	}()
	r := run(t, tg, buildPlan(t, true, src{name: "ins", sql: "INSERT INTO t VALUES (1);"}))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	q := r.Queries[0]
	if q.Status != result.StatusOK || q.Attempts < 3 {
		t.Errorf("got %s after %d attempts (error %+v), want ok after at least 3", q.Status, q.Attempts, q.Error)
	}
	if n := scalar[int64](t, url, "SELECT count(*) FROM t"); n != 1 {
		t.Errorf("got %d rows, want 1", n)
	}
}
