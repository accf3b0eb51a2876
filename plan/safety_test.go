package plan

import (
	"strings"
	"testing"
)

// TestSafetyRejects checks that the commands that could undo --read-only or --rollback
// are rejected at their file:line:col, and that harmless neighbours are not.
func TestSafetyRejects(t *testing.T) {
	ro, rb := Options{ReadOnly: true}, Options{Rollback: true}
	tests := []struct {
		sql  string
		opts Options
		want string // a part of the error; "" for none
	}{
		{"BEGIN READ WRITE;\nCOMMIT;", ro, "read-write transaction"},
		{"START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE;\nCOMMIT;", ro, "read-write transaction"},
		{"begin /* c */ read   write;\ncommit;", ro, "read-write transaction"},
		{"BEGIN READ ONLY;\nCOMMIT;", ro, ""},
		{"BEGIN;\nSET TRANSACTION READ WRITE;\nCOMMIT;", ro, "SET TRANSACTION READ WRITE"},
		{"BEGIN;\nSET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nCOMMIT;", ro, ""},
		{"SET default_transaction_read_only = off;", ro, "owns default_transaction_read_only"},
		{"SET SESSION default_transaction_read_only TO off;", ro, "owns default_transaction_read_only"},
		{"SET LOCAL transaction_read_only = off;", ro, "owns transaction_read_only"},
		{`SET "default_transaction_read_only" = off;`, ro, "owns"},
		{"SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE;", ro, "CHARACTERISTICS"},
		{"SELECT set_config('default_transaction_read_only', 'off', false);", ro, "set_config"},
		{"SELECT set_config('search_path', 'x', false);", ro, ""},
		{"RESET ALL;", ro, "RESET ALL"},
		{"RESET default_transaction_read_only;", ro, "RESET"},
		{"RESET search_path;", ro, ""},
		{"DISCARD ALL;", ro, "DISCARD ALL"},
		{"VACUUM t;", ro, "VACUUM cannot run"},
		{"BEGIN;\nPREPARE TRANSACTION 'x';", ro, "PREPARE TRANSACTION"},
		{"SELECT 1 \\; COMMIT \\; INSERT INTO t VALUES (1);", ro, "joined"},
		{"SET search_path = s1;", ro, ""},
		{"BEGIN;\nPREPARE TRANSACTION 'x';", rb, "PREPARE TRANSACTION"},
		{"PREPARE TRANSACTION 'x';", rb, "PREPARE TRANSACTION"},
		{"DISCARD ALL;", rb, "DISCARD ALL"},
		{"DISCARD PLANS;", rb, ""},
		{"SET default_transaction_read_only = off;", rb, ""},
		{"SET default_transaction_read_only = off;", Options{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			stmts := script(t, tt.sql)
			_, err := Build(stmts, tt.opts)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got %v, want no error", err)
			case tt.want != "" && err == nil:
				t.Fatalf("no error, want one with %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("got %v, want %q", err, tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), "test.sql:"):
				t.Fatalf("got %v, want a file:line:col", err)
			}
		})
	}
	if why := ReadOnlyViolation("SET default_transaction_read_only = off", true); why == "" {
		t.Error("ReadOnlyViolation accepts SET default_transaction_read_only")
	}
	if why := ReadOnlyViolation("SELECT 1", true); why != "" {
		t.Errorf("ReadOnlyViolation rejects SELECT 1: %s", why)
	}
}
