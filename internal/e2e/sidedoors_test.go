//go:build unix

package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/qrunhq/qrun/internal/pgtest"
	"github.com/qrunhq/qrun/internal/qruntest"
)

// TestSideDoorWarnings checks that --read-only and --rollback say what the connected
// role can still do outside qrun's transaction, and say nothing for a role that cannot:
// a superuser, a plain role, one granted pg_write_server_files, one with dblink
// installed in its database; none of it without the safety modes.
func TestSideDoorWarnings(t *testing.T) {
	t.Parallel()
	role := fmt.Sprintf("qrun_e2e_plain_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	tests := []struct {
		name  string
		setup string // run by the superuser; ROLE is the plain role
		user  string // "" for the superuser of the test URL
		args  []string
		want  []string // in the warnings; nil for none
	}{
		{"superuser --read-only", "", "", []string{"--read-only"}, []string{"superuser"}},
		{"superuser --rollback", "", "", []string{"--rollback"}, []string{"superuser"}},
		{"superuser without a safety mode", "", "", nil, nil},
		{"plain role", "", role, []string{"--read-only"}, nil},
		{"plain role with pg_write_server_files", "GRANT pg_write_server_files TO ROLE", role, []string{"--read-only"}, []string{"write server files"}},
		{"plain role with dblink", "CREATE EXTENSION dblink", role, []string{"--rollback"}, []string{"dblink"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newDB(t)
			u := db.URL
			if tt.user != "" {
				r := fmt.Sprintf("%s_%d", tt.user, i)
				db.exec(t, "CREATE ROLE "+r+" LOGIN")
				// Cleanups run last first: the role's privileges go, then the role.
				t.Cleanup(func() { dropRole(t, r) })
				t.Cleanup(func() {
					db.exec(t, "REVOKE pg_write_server_files FROM "+r)
					db.exec(t, "DROP OWNED BY "+r)
				})
				pu, err := url.Parse(u)
				if err != nil {
					t.Fatal(err)
				}
				pu.User = url.User(r)
				u = pu.String()
				if tt.setup != "" {
					db.exec(t, strings.ReplaceAll(tt.setup, "ROLE", r))
				}
			}
			path := qruntest.WriteFile(t, "s.sql", "-- name: q\nSELECT 1;\n")
			report := filepath.Join(t.TempDir(), "r.json")
			res := qrunCall(t, call{Args: append(append([]string{"--format", "json", "-o", report}, tt.args...), path), DB: u})
			if res.Code != 0 {
				t.Fatalf("exit %d, want 0", res.Code)
			}
			var doors []string
			for _, w := range qruntest.ReadReport(t, report).Warnings {
				if strings.Contains(w, "--read-only/--rollback") {
					doors = append(doors, w)
				}
			}
			if len(tt.want) == 0 && len(doors) > 0 {
				t.Errorf("warnings %q, want none", doors)
			}
			for _, w := range tt.want {
				if !strings.Contains(strings.Join(doors, "\n"), w) {
					t.Errorf("warnings %q, want one about %q", doors, w)
				}
				if !strings.Contains(res.Stderr, w) {
					t.Errorf("stderr does not warn about %q:\n%s", w, res.Stderr)
				}
			}
		})
	}
}

// dropRole drops a role of the test cluster, on a connection of its own.
func dropRole(t *testing.T, role string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, pgtest.URL(t))
	if err != nil {
		t.Errorf("drop role %s: %v", role, err)
		return
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "DROP ROLE IF EXISTS "+role); err != nil {
		t.Errorf("drop role %s: %v", role, err)
	}
}
