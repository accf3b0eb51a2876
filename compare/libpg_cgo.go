//go:build cgo

package compare

import pg_query "github.com/pganalyze/pg_query_go/v6"

// libpg_query (cgo); libpg_nocgo.go stands in for it without cgo.

func pgFingerprint(sql string) (uint64, error)        { return pg_query.FingerprintToUInt64(sql) }
func pgScan(sql string) (*pg_query.ScanResult, error) { return pg_query.Scan(sql) }
