package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// listValue is a repeatable string flag. Several flags may share one listValue, so that
// -d and --dsn append to the same list in command-line order.
type listValue struct {
	list *[]string
	typ  string
}

func (v *listValue) Set(s string) error {
	*v.list = append(*v.list, s)
	return nil
}

func (v *listValue) Type() string { return v.typ }

func (v *listValue) String() string {
	if v.list == nil || len(*v.list) == 0 {
		return ""
	}
	return strings.Join(*v.list, ",")
}

// varsValue collects psql variables from -v NAME=VALUE.
type varsValue struct {
	vars *map[string]string
	typ  string // "" for NAME=VALUE
}

func (v *varsValue) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	if *v.vars == nil {
		*v.vars = make(map[string]string)
	}
	(*v.vars)[name] = value
	return nil
}

func (v *varsValue) Type() string {
	if v.typ != "" {
		return v.typ
	}
	return "NAME=VALUE"
}

// timeValue is a wall-clock time in RFC 3339 (2026-12-02T15:04:05Z).
type timeValue struct{ t *time.Time }

func (v *timeValue) Set(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("want a time such as 2026-12-02T15:04:05Z (RFC 3339), got %q", s)
	}
	*v.t = t
	return nil
}

func (v *timeValue) Type() string { return "TIME" }

func (v *timeValue) String() string {
	if v.t.IsZero() {
		return ""
	}
	return v.t.Format(time.RFC3339Nano)
}

func (v *varsValue) String() string { return "" }

// percentValue is a percentage written "10%" or "10".
type percentValue struct {
	pct *float64
}

func (v *percentValue) Set(s string) error {
	p, err := parsePercent(s)
	if err != nil {
		return err
	}
	*v.pct = p
	return nil
}

func (v *percentValue) Type() string { return "P%" }

func (v *percentValue) String() string {
	if v.pct == nil || *v.pct == 0 {
		return ""
	}
	return strconv.FormatFloat(*v.pct, 'f', -1, 64) + "%"
}

// parsePercent parses "10%", "10" or "2.5%" into 10, 10 or 2.5. Negative, infinite and NaN
// values are errors.
func parsePercent(s string) (float64, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimSuffix(t, "%")
	p, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || p < 0 || p != p || p > 1e9 {
		return 0, fmt.Errorf("want a percentage such as 10%% or 10, got %q", s)
	}
	return p, nil
}

// isConnString reports whether a -d value is a whole connection string rather than a
// database name, with psql's rule: a URL, or anything that contains "=".
func isConnString(s string) bool {
	return strings.Contains(s, "=") ||
		strings.HasPrefix(s, "postgres://") ||
		strings.HasPrefix(s, "postgresql://")
}

// concurrencyValue is -c/--concurrency. psql users type -c for a command: a value that
// is not a number says what -c is here and where SQL goes instead.
type concurrencyValue struct{ n *int }

func (v *concurrencyValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("-c is the concurrency here (N connections with --parallel), not psql's command: put SQL in a file (qrun FILE, or qrun - to read standard input) or use --command SQL")
	}
	*v.n = n
	return nil
}

func (v *concurrencyValue) Type() string { return "N" }

func (v *concurrencyValue) String() string {
	if v.n == nil || *v.n == 0 {
		return ""
	}
	return strconv.Itoa(*v.n)
}
