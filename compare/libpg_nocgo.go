//go:build !cgo

package compare

import (
	"errors"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// Without cgo there is no libpg_query: statements are identified by their normalised
// text instead of their fingerprint.

var errNoParser = errors.New("qrun was built without cgo: no SQL parser")

func pgFingerprint(string) (uint64, error)        { return 0, errNoParser }
func pgScan(string) (*pg_query.ScanResult, error) { return nil, errNoParser }
