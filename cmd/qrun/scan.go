package main

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/qrunhq/qrun/plan"
)

// scanAxis is one --scan NAME=v1,v2,...: the pool size (c, concurrency) or a psql
// variable, and its values in the order given.
type scanAxis struct {
	name   string
	values []string
	conc   bool
}

// scanCombo is one combination of the axes' values: a target of its own per -d.
type scanCombo struct {
	label  string            // "c=2 rows=100", in axis order
	values map[string]string // axis name → value; the pool size as "c"
	conc   int               // the pool size, 0 when no axis sets it
	vars   map[string]string // -v variables with the combination's
}

// parseScan reads the --scan values. c and concurrency name the pool size (a positive
// integer each, with --parallel); any other name a psql variable.
func parseScan(specs []string, parallel bool) ([]scanAxis, error) {
	var axes []scanAxis
	seen := map[string]bool{}
	for _, spec := range specs {
		name, list, ok := strings.Cut(spec, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.TrimSpace(list) == "" {
			return nil, fmt.Errorf("--scan wants NAME=v1,v2,..., got %q", spec)
		}
		a := scanAxis{name: name, values: strings.Split(list, ",")}
		for i, v := range a.values {
			a.values[i] = strings.TrimSpace(v)
			if slices.Contains(a.values[:i], a.values[i]) {
				return nil, fmt.Errorf("--scan %s lists %q twice", name, a.values[i])
			}
		}
		if name == "c" || name == "concurrency" {
			a.name, a.conc = "c", true
			if !parallel {
				return nil, fmt.Errorf("--scan %s scans the pool size of --parallel: add --parallel", name)
			}
			for _, v := range a.values {
				if n, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || n < 1 {
					return nil, fmt.Errorf("--scan %s: want connection counts of at least 1, got %q", name, v)
				}
			}
		}
		if seen[a.name] {
			return nil, fmt.Errorf("--scan %s is given twice", a.name)
		}
		seen[a.name] = true
		axes = append(axes, a)
	}
	return axes, nil
}

// scanCombos is every combination of the axes' values, the first axis varying slowest.
func scanCombos(axes []scanAxis, vars map[string]string) []scanCombo {
	combos := []scanCombo{{values: map[string]string{}, vars: maps.Clone(vars)}}
	for _, a := range axes {
		var next []scanCombo
		for _, c := range combos {
			for _, v := range a.values {
				v = strings.TrimSpace(v)
				n := scanCombo{label: strings.TrimSpace(c.label + " " + a.name + "=" + v),
					values: maps.Clone(c.values), conc: c.conc, vars: maps.Clone(c.vars)}
				n.values[a.name] = v
				if a.conc {
					n.conc, _ = strconv.Atoi(v)
				} else {
					if n.vars == nil {
						n.vars = map[string]string{}
					}
					n.vars[a.name] = v
				}
				next = append(next, n)
			}
		}
		combos = next
	}
	return combos
}

// scanPlans loads the plan of each combination: one load per distinct set of
// variables (a scan of the pool size alone shares one plan).
func scanPlans(o *Options, combos []scanCombo, first *plan.Plan) ([]*plan.Plan, error) {
	plans := make([]*plan.Plan, len(combos))
	byVars := map[string]*plan.Plan{}
	for i, c := range combos {
		key := varsKey(c.vars)
		if p, ok := byVars[key]; ok {
			plans[i] = p
			continue
		}
		p := first
		if key != varsKey(o.Vars) {
			oc := *o
			oc.Vars = c.vars
			var err error
			if p, _, _, err = load(&oc); err != nil {
				return nil, err
			}
		}
		byVars[key], plans[i] = p, p
	}
	return plans, nil
}

func varsKey(vars map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		b.WriteString(k + "=" + vars[k] + "\x00")
	}
	return b.String()
}
