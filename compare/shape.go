package compare

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/qrunhq/qrun/result"
)

// ShapeError says why two reports cannot be compared statement by statement — a dry
// run, or one target against several — and what to do instead.
type ShapeError struct {
	Msg string
}

func (e *ShapeError) Error() string { return e.Msg }

func shapef(format string, args ...any) error {
	return &ShapeError{Msg: fmt.Sprintf(format, args...)}
}

// Reports compares two saved reports as qrun compare does, after checking that they can
// be compared: neither may be a --dry-run plan. A report of several targets (-d given
// more than once) is reduced to one target with target — its label
// (user@host:port/db, as the report shows it) or its number, 1-based — and when both
// reports have several targets and target is empty, their targets are compared pairwise
// by label, which must then be the same on both sides. Anything else is a *ShapeError
// saying what to do.
func Reports(baseLabel string, base *result.Report, newLabel string, new *result.Report, target string, opts Options) ([]result.Comparison, error) {
	for _, side := range []struct {
		label string
		r     *result.Report
	}{{baseLabel, base}, {newLabel, new}} {
		if side.r.Mode == "dry-run" {
			return nil, shapef("%s is a --dry-run plan, without times to compare: compare the JSON reports of two runs", side.label)
		}
	}
	multiBase, multiNew := len(base.Targets) > 0, len(new.Targets) > 0
	if target != "" {
		var err error
		if base, baseLabel, err = pick(baseLabel, base, target); err != nil {
			return nil, err
		}
		if new, newLabel, err = pick(newLabel, new, target); err != nil {
			return nil, err
		}
		return []result.Comparison{Compare(baseLabel, base, newLabel, new, opts)}, nil
	}
	switch {
	case multiBase && multiNew:
		bl, nl := labels(base), labels(new)
		if strings.Join(bl, "\n") != strings.Join(nl, "\n") {
			return nil, shapef("%s has the targets %s and %s has %s: compare one target of each with --target NAME",
				baseLabel, strings.Join(bl, ", "), newLabel, strings.Join(nl, ", "))
		}
		out := make([]result.Comparison, len(base.Targets))
		for i := range base.Targets {
			out[i] = Compare(baseLabel+" ["+bl[i]+"]", &base.Targets[i], newLabel+" ["+nl[i]+"]", &new.Targets[i], opts)
		}
		return out, nil
	case multiBase || multiNew:
		label, r := baseLabel, base
		if multiNew {
			label, r = newLabel, new
		}
		return nil, shapef("%s holds %d targets (%s), the other report one: pick one of them with --target NAME",
			label, len(r.Targets), strings.Join(labels(r), ", "))
	}
	return []result.Comparison{Compare(baseLabel, base, newLabel, new, opts)}, nil
}

// pick returns the target of r that name selects, and its label for the comparison. A
// report of one target is returned as it is.
func pick(label string, r *result.Report, name string) (*result.Report, string, error) {
	if len(r.Targets) == 0 {
		return r, label, nil
	}
	ls := labels(r)
	for i, l := range ls {
		if l == name {
			return &r.Targets[i], label + " [" + l + "]", nil
		}
	}
	if n, err := strconv.Atoi(name); err == nil && n >= 1 && n <= len(r.Targets) {
		return &r.Targets[n-1], label + " [" + ls[n-1] + "]", nil
	}
	return nil, "", shapef("%s has no target %q: its targets are %s (or give a number, 1 to %d)",
		label, name, strings.Join(ls, ", "), len(r.Targets))
}

// labels names the targets of r as reports show them.
func labels(r *result.Report) []string {
	out := make([]string, len(r.Targets))
	for i := range r.Targets {
		out[i] = r.TargetLabel(i)
	}
	return out
}
