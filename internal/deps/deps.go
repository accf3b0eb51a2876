//go:build deps

// Package deps pins modules that the project is about to use, so that go mod tidy keeps
// them while the packages that import them are being written. It is never built.
package deps

import (
	_ "github.com/Shopify/toxiproxy/v2"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/olekukonko/tablewriter"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/spf13/cobra"
	_ "go.uber.org/goleak"
	_ "golang.org/x/perf/benchmath"
	_ "golang.org/x/term"
)
