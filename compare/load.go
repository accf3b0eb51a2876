package compare

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/qrunhq/qrun/result"
)

// ErrNotReport is returned (wrapped) by Load and Parse for input that is not a qrun JSON
// report: not JSON, or JSON without a schema_version.
var ErrNotReport = errors.New("not a qrun JSON report")

// VersionError is returned by Load and Parse for a report whose schema version this qrun
// cannot read, such as one written by a newer qrun.
type VersionError struct {
	Version   int // the report's schema_version
	Supported int // the newest version this qrun reads (result.SchemaVersion)
}

// Error says which version the report has and which this qrun reads.
func (e *VersionError) Error() string {
	if e.Version > e.Supported {
		return fmt.Sprintf("report schema version %d is newer than this qrun reads (%d): upgrade qrun", e.Version, e.Supported)
	}
	return fmt.Sprintf("unsupported report schema version %d (this qrun reads 1 to %d)", e.Version, e.Supported)
}

// Load reads a JSON report saved by qrun (--format json), such as a baseline. Errors name
// the file; a file that is not a qrun report wraps ErrNotReport, and one of an unsupported
// schema version is a *VersionError.
func Load(path string) (*result.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load report: %w", err)
	}
	defer f.Close()
	r, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Parse reads a JSON report from r. It checks schema_version before anything else, so
// that a newer report is refused with a *VersionError rather than misread, and other JSON
// with an error wrapping ErrNotReport.
func Parse(r io.Reader) (*result.Report, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	var probe struct {
		SchemaVersion *int `json:"schema_version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotReport, err)
	}
	if probe.SchemaVersion == nil {
		return nil, fmt.Errorf("%w: no schema_version", ErrNotReport)
	}
	if v := *probe.SchemaVersion; v < 1 || v > result.SchemaVersion {
		return nil, &VersionError{Version: v, Supported: result.SchemaVersion}
	}
	var rep result.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotReport, err)
	}
	return &rep, nil
}
