package plan

import "testing"

func TestExtendedFallback(t *testing.T) {
	for _, tc := range []struct {
		name, sql string
		want      bool
	}{
		{"select", "SELECT 1", false},
		{"semicolon in string", "SELECT ';'; ", false},
		{"semicolon in comment", "SELECT 1 -- a; b\n", false},
		{"atomic body", "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END", false},
		{"several", "SELECT 1; SELECT 2", true},
		{"copy", "copy t from stdin", true},
		{"copy after comment", "/* x */ COPY t TO STDOUT", true},
		{"copyish word", "COPYRIGHT", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ExtendedFallback(tc.sql)
			if (got != "") != tc.want {
				t.Errorf("ExtendedFallback(%q) = %q, want a reason: %v", tc.sql, got, tc.want)
			}
		})
	}
}
