//go:build !cgo

package deps

import (
	"errors"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// Without cgo there is no libpg_query: nothing parses, so every statement is a barrier
// and --parallel runs in file order (the README says so).

var errNoParser = errors.New("qrun was built without cgo: no SQL parser")

func pgParse(string) (*pg.ParseResult, error) { return nil, errNoParser }
func pgParsePlPgSQL(string) (string, error)   { return "", errNoParser }
func pgScan(string) (*pg.ScanResult, error)   { return nil, errNoParser }
