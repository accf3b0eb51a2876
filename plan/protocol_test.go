package plan

import (
	"strings"
	"testing"
)

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

// FuzzExtendedFallback: ExtendedFallback and LeadingWord never panic; text without a ";"
// is never "several commands"; a COPY reason only for text whose leading word is COPY.
func FuzzExtendedFallback(f *testing.F) {
	for _, s := range []string{"SELECT 1", "SELECT 1; SELECT 2", "copy t from stdin", "/* c */ COPY x", "SELECT ';'", "$$;$$", "-- ;\nSELECT", "\"a;b\"", "E'\\';'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		why := ExtendedFallback(sql)
		w := LeadingWord(sql)
		if !strings.Contains(sql, ";") && strings.Contains(why, "several") {
			t.Errorf("ExtendedFallback(%q) = %q without a semicolon", sql, why)
		}
		if strings.HasPrefix(why, "COPY") && w != "COPY" {
			t.Errorf("ExtendedFallback(%q) = %q, but the leading word is %q", sql, why, w)
		}
	})
}
