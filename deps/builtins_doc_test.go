package deps

import (
	"os"
	"strings"
	"testing"
)

// TestBuiltinsDoc keeps docs/deps-builtins.md, the list of built-in functions that
// --parallel does not reorder freely, equal to BuiltinEffects (go test ./deps -update
// rewrites it).
func TestBuiltinsDoc(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Built-in functions that order statements under `--parallel`\n\n")
	b.WriteString("Generated from `deps.BuiltinEffects` by `go test ./deps -update`; see deps/doc.go for the model.\n")
	b.WriteString("Every other built-in (pg_catalog) function — `now()`, `clock_timestamp()`, `random()`,\n")
	b.WriteString("`gen_random_uuid()`, `txid_current()`, `pg_backend_pid()`, `version()`, `current_setting()`,\n")
	b.WriteString("arithmetic, ... — is free of effects for ordering. A function of the file's own is read\n")
	b.WriteString("(SQL and PL/pgSQL bodies); any other function is a barrier.\n\n")
	b.WriteString("| function | what `--parallel` does |\n|---|---|\n")
	for _, e := range BuiltinEffects() {
		b.WriteString("| `" + e.Pattern + "` | " + strings.ReplaceAll(e.Effect, "|", `\|`) + " |\n")
	}
	const path = "../docs/deps-builtins.md"
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./deps -update writes it)", err)
	}
	if string(got) != b.String() {
		t.Errorf("%s differs from deps.BuiltinEffects: go test ./deps -update rewrites it", path)
	}
}
