//go:build cgo

package deps

import pg "github.com/pganalyze/pg_query_go/v6"

// The server's parser, through libpg_query (cgo). libpg_nocgo.go stands in for it in a
// build without cgo.

func pgParse(sql string) (*pg.ParseResult, error)  { return pg.Parse(sql) }
func pgParsePlPgSQL(create string) (string, error) { return pg.ParsePlPgSqlToJSON(create) }
func pgScan(sql string) (*pg.ScanResult, error)    { return pg.Scan(sql) }
