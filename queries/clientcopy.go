package queries

import "strings"

// This file holds what qrun reads of psql's client-side commands that act when a
// statement runs: the ON_ERROR_ROLLBACK setting, \copy and \connect.

// onErrorRollback follows psql's ON_ERROR_ROLLBACK variable as statements are read.
type onErrorRollback struct {
	last string // the value last parsed
	on   bool
}

// onErrorRollback returns the ON_ERROR_ROLLBACK setting for the statement being built, as
// psql reads the variable when it sends a statement: on, or off when it is off,
// interactive (off for a script, as under psql -f) or unset. checkBuiltin keeps values
// psql rejects out of the variables.
func (p *parser) onErrorRollback() bool {
	if len(p.vars) == 0 {
		return false
	}
	v, ok := p.vars["ON_ERROR_ROLLBACK"]
	if !ok {
		return false
	}
	if v != p.oer.last || v == "" {
		on, _ := slashBool(v)
		p.oer = onErrorRollback{last: v, on: on}
	}
	return p.oer.on
}

// checkBuiltin returns psql's complaint about value for a variable whose value psql
// checks when it is set, or "". psql prints it and keeps the old value; qrun reports it
// as an input error.
func checkBuiltin(name, value string) string {
	if name == "ON_ERROR_ROLLBACK" {
		if _, ok := slashBool(value); !ok && !strings.EqualFold(value, "interactive") {
			return `unrecognized value "` + value + `" for "ON_ERROR_ROLLBACK": available values are on, off, interactive`
		}
	}
	return ""
}

// slashBool parses a boolean as psql's ParseVariableBool does: any prefix of true,
// false, yes or no, a prefix of at least two letters of on or off, 1 or 0, ignoring case.
func slashBool(v string) (val, ok bool) {
	n := len(v)
	prefix := func(word string, minLen int) bool {
		return n >= minLen && n <= len(word) && strings.EqualFold(v, word[:n])
	}
	switch {
	case prefix("true", 1), prefix("yes", 1), prefix("on", 2), v == "1":
		return true, true
	case prefix("false", 1), prefix("no", 1), prefix("off", 2), v == "0":
		return false, true
	}
	return false, false
}
