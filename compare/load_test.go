package compare

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/result"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadRoundTrip(t *testing.T) {
	runs := []result.Run{
		{WallMs: 10, Queries: []result.Query{{Name: "a", Status: result.StatusOK, WallMs: 4}}},
		{WallMs: 11, Queries: []result.Query{{Name: "a", Status: result.StatusOK, WallMs: 6}}},
		{WallMs: 12, Queries: []result.Query{{Name: "a", Status: result.StatusError, WallMs: 1, Error: &result.Error{SQLState: "57014", Message: "canceled"}}}},
	}
	want := result.Aggregate(result.Report{Mode: "sequential", Concurrency: 1, Context: result.Context{Target: "u@h:5432/db"}}, runs)
	data, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Load(writeFile(t, "base.json", string(data)))
	if err != nil {
		t.Fatalf("Load: got error %v, want nil", err)
	}
	if got.Runs != 3 || got.Context.Target != "u@h:5432/db" || got.TotalWallMs != 10.5 {
		t.Errorf("report: got runs %d target %q total %v, want 3 u@h:5432/db 10.5 (the runs that ended ok)", got.Runs, got.Context.Target, got.TotalWallMs)
	}
	if len(got.Queries) != 1 || !slices.Equal(got.Queries[0].Samples(), []float64{4, 6}) {
		t.Errorf("samples: got %+v, want the ok runs [4 6]", got.Queries)
	}
	if e := got.Queries[0].Error; e == nil || e.SQLState != "57014" {
		t.Errorf("error: got %+v, want SQLSTATE 57014", e)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name        string
		content     string
		missing     bool
		wantIs      error
		wantVersion int
	}{
		{name: "missing file", missing: true, wantIs: fs.ErrNotExist},
		{name: "garbage", content: "not json at all", wantIs: ErrNotReport},
		{name: "empty file", content: "", wantIs: ErrNotReport},
		{name: "truncated", content: `{"schema_version": 1, "queries": [`, wantIs: ErrNotReport},
		{name: "other JSON", content: `{"name": "package.json", "version": "1.0.0"}`, wantIs: ErrNotReport},
		{name: "JSON array", content: `[1, 2, 3]`, wantIs: ErrNotReport},
		{name: "newer version", content: `{"schema_version": 99, "queries": []}`, wantVersion: 99},
		{name: "version zero", content: `{"schema_version": 0}`, wantVersion: 0},
		{name: "wrong field type", content: `{"schema_version": 1, "runs": "three"}`, wantIs: ErrNotReport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "absent.json")
			if !tt.missing {
				path = writeFile(t, "r.json", tt.content)
			}
			r, err := Load(path)
			if err == nil {
				t.Fatalf("Load: got report %+v, want an error", r)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error: got %q, want it to name %s", err, path)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error: got %v, want one wrapping %v", err, tt.wantIs)
			}
			if tt.wantIs == nil {
				var ve *VersionError
				if !errors.As(err, &ve) {
					t.Fatalf("error: got %v, want a *VersionError", err)
				}
				if ve.Version != tt.wantVersion || ve.Supported != result.SchemaVersion {
					t.Errorf("VersionError: got %d/%d, want %d/%d", ve.Version, ve.Supported, tt.wantVersion, result.SchemaVersion)
				}
			}
		})
	}
}

func TestParse(t *testing.T) {
	r, err := Parse(strings.NewReader(`{"schema_version": 1, "runs": 1, "total_wall_ms": 5, "queries": [{"name": "q", "status": "ok", "wall_ms": 5}]}`))
	if err != nil {
		t.Fatalf("Parse: got error %v, want nil", err)
	}
	if len(r.Queries) != 1 || r.Queries[0].Name != "q" || r.TotalWallMs != 5 {
		t.Errorf("Parse: got %+v, want one query q and total 5", r)
	}
}
