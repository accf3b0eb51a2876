package report

import (
	"strconv"

	"github.com/qrunhq/qrun/result"
)

// gate summarises a comparison: the line to print and whether it passes. A statement
// that failed in new fails it, with or without a threshold. A comparison without a
// threshold is otherwise no gate: it passes and says how many statements changed.
func gate(c *result.Comparison) (line string, pass bool) {
	var fails string
	if c.Failures > 0 {
		fails = result.Plural(c.Failures, "statement", "statements") + " failed in new"
	}
	var ambiguous string
	if c.Ambiguous > 0 {
		ambiguous = " · " + strconv.Itoa(c.Ambiguous) + " not gated (ambiguous pairing)"
	}
	if n := planGated(c); n > 0 { // --gate-plan: a changed plan fails the gate
		plans := result.Plural(n, "plan", "plans") + " changed (--gate-plan)"
		if fails != "" {
			fails += "; " + plans
		} else {
			fails = plans
		}
	}
	if c.ThresholdPct <= 0 {
		if fails != "" {
			return "FAIL: " + fails + ambiguous, false
		}
		var slower, faster, same int
		for i := range c.Rows {
			switch c.Rows[i].Verdict {
			case result.VerdictSlower:
				slower++
			case result.VerdictFaster:
				faster++
			case result.VerdictSame:
				same++
			}
		}
		return strconv.Itoa(slower) + " slower, " + strconv.Itoa(faster) + " faster, " +
			strconv.Itoa(same) + " ~ (no threshold set)" + ambiguous, true
	}
	th := strconv.FormatFloat(c.ThresholdPct, 'f', -1, 64) + "%"
	if c.MinDeltaMs > 0 {
		th += " and " + Duration(c.MinDeltaMs)
	}
	regs := result.Plural(c.Regressions, "regression", "regressions") + " significantly slower by more than " + th
	switch {
	case fails != "" && c.Regressions > 0:
		return "FAIL: " + fails + "; " + regs + ambiguous, false
	case fails != "":
		return "FAIL: " + fails + ambiguous, false
	case c.Regressions > 0:
		return "FAIL: " + regs + ambiguous, false
	}
	return "PASS: no statement significantly slower by more than " + th + ambiguous, true
}

// regressionMessage is the junit failure message of a gated regression.
func regressionMessage(row *result.ComparisonRow, threshold float64) string {
	return "slower by " + strconv.FormatFloat(row.DeltaPct, 'f', 1, 64) + "% (p=" + strconv.FormatFloat(row.P, 'g', 2, 64) +
		"), threshold " + strconv.FormatFloat(threshold, 'f', -1, 64) + "%"
}

// rowIndex maps a comparison's rows by name.
func rowIndex(c *result.Comparison) map[string]*result.ComparisonRow {
	if c == nil {
		return nil
	}
	m := make(map[string]*result.ComparisonRow, len(c.Rows))
	for i := range c.Rows {
		m[c.Rows[i].Name] = &c.Rows[i]
	}
	return m
}
