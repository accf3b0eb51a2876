package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from its golden file (go test ./report -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestGolden(t *testing.T) {
	for _, fx := range fixtures {
		for _, format := range Formats {
			t.Run(fx.name+"/"+format, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Write(&buf, fx.report(), Options{Format: format}); err != nil {
					t.Fatalf("Write: got error %v, want nil", err)
				}
				golden(t, fx.name+"."+format+".golden", buf.Bytes())
			})
		}
	}
	// The table at the width the brief asks to look at, and in colour.
	for _, fx := range fixtures {
		t.Run(fx.name+"/table-100-color", func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, fx.report(), Options{Width: 100, Color: true}); err != nil {
				t.Fatalf("Write: got error %v, want nil", err)
			}
			golden(t, fx.name+".table-100-color.golden", buf.Bytes())
		})
	}
}

func TestGoldenComparisons(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteComparisons(&buf, comparisons(), Options{Format: format}); err != nil {
				t.Fatalf("WriteComparisons: got error %v, want nil", err)
			}
			golden(t, "compare."+format+".golden", buf.Bytes())
		})
	}
}
