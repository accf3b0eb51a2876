package report

import "github.com/qrunhq/qrun/result"

// view is a report's shape, resolved once: its sections (the report itself, or one per
// target) and its comparisons, each tied to the section of its new side by
// result.Comparison.NewTarget rather than by its position in the slice.
type view struct {
	sections []section
	// comparisons are all of the report's comparisons, in its order.
	comparisons []*result.Comparison
}

// section is one target's part of a report.
type section struct {
	label    string
	r        *result.Report
	dry      bool // a --dry-run plan: no times
	repeated bool // Runs > 1: statistics per query
	// vsFirst is the comparison of this target with the first one (several targets,
	// not the first); nil otherwise.
	vsFirst *result.Comparison
	// gates are the comparisons whose new side is this section: with the first target
	// and with a --baseline, in the report's order.
	gates []*result.Comparison
}

// newView resolves r's shape.
func newView(r *result.Report) *view {
	v := &view{}
	if len(r.Targets) == 0 {
		v.sections = []section{{label: r.Context.Target, r: r}}
	} else {
		v.sections = make([]section, len(r.Targets))
		for i := range r.Targets {
			v.sections[i] = section{label: label(&r.Targets[i], i), r: &r.Targets[i]}
		}
	}
	for i := range v.sections {
		s := &v.sections[i]
		s.dry, s.repeated = isDryRun(s.r), s.r.Runs > 1
	}
	v.comparisons = tiedComparisons(r)
	for _, c := range v.comparisons {
		i := c.NewTarget - 1
		if len(r.Targets) == 0 {
			i = 0
		}
		if i < 0 || i >= len(v.sections) {
			continue
		}
		s := &v.sections[i]
		s.gates = append(s.gates, c)
		if c.BaseTarget == 1 && i > 0 && s.vsFirst == nil {
			s.vsFirst = c
		}
	}
	return v
}

// tiedComparisons returns pointers to r's comparisons with NewTarget and BaseTarget
// set. A several-target report of an older version left them 0: its comparisons are
// then, by that version's contract, the first target against each other one, followed
// by one comparison with --baseline per target; those ties are set on copies.
func tiedComparisons(r *result.Report) []*result.Comparison {
	out := make([]*result.Comparison, len(r.Comparison))
	legacy := len(r.Targets) > 0
	for i := range r.Comparison {
		out[i] = &r.Comparison[i]
		if r.Comparison[i].NewTarget != 0 {
			legacy = false
		}
	}
	if !legacy {
		return out
	}
	n := len(r.Targets)
	for k := range out {
		c := *out[k]
		if k < n-1 {
			c.BaseTarget, c.NewTarget = 1, k+2
		} else {
			c.NewTarget = k - (n - 1) + 1
		}
		out[k] = &c
	}
	return out
}

// columns is the comparison whose numbers fill a section's comparison columns (csv):
// the one with a saved report (--baseline) when there is one, else the one with the
// first target.
func (s *section) columns() *result.Comparison {
	for _, c := range s.gates {
		if c.BaseTarget == 0 {
			return c
		}
	}
	return s.vsFirst
}
