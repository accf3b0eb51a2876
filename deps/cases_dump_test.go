package deps

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestPrintCases prints the cases' edges as Go, to review and paste (QRUN_DEPS_PRINT=1).
func TestPrintCases(t *testing.T) {
	if os.Getenv("QRUN_DEPS_PRINT") == "" {
		t.Skip("set QRUN_DEPS_PRINT=1")
	}
	var b strings.Builder
	for _, c := range edgeCases {
		res := Analyze(unitsOf(t, c.sql), Options{User: c.user})
		fmt.Fprintf(&b, "%s:\n\t\tedges: []string{\n", c.name)
		for _, e := range res.Edges {
			fmt.Fprintf(&b, "\t\t\t%q,\n", e.String())
		}
		fmt.Fprintf(&b, "\t\t},\n\t\tsession: %#v,\n", res.Session)
	}
	os.WriteFile("/tmp/cases.txt", []byte(b.String()), 0o644)
}
