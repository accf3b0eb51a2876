package queries

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseBool parses a psql boolean as psql's ParseVariableBool does: true, false, yes,
// no and any non-empty prefix of them, on and off (and "of", but not "o"), 1 and 0,
// all without regard to case. ok is false for anything else.
func ParseBool(v string) (value, ok bool) {
	n := len(v)
	prefix := func(word string) bool { return n > 0 && n <= len(word) && strings.EqualFold(v, word[:n]) }
	switch {
	case prefix("true"):
		return true, true
	case prefix("false"):
		return false, true
	case prefix("yes"):
		return true, true
	case prefix("no"):
		return false, true
	case strings.EqualFold(v, "on"):
		return true, true
	case n >= 2 && n <= 3 && strings.EqualFold(v, "off"[:n]):
		return false, true
	case v == "1":
		return true, true
	case v == "0":
		return false, true
	}
	return false, false
}

// boolError is psql's message for a value that is not a boolean.
func boolError(v, name string) string {
	return fmt.Sprintf("unrecognized value \"%s\" for \"%s\": Boolean expected", v, name)
}

// special describes a variable that psql treats specially: a value it substitutes
// for \unset (and for \set NAME without a value), and a check of new values.
type special struct {
	unset string                      // the value "\unset NAME" leaves
	empty string                      // the value "\set NAME" leaves, if not ""
	check func(name, v string) string // a message for a bad value
	qrun  func(name, v string) string // a message when qrun cannot follow the value
	enum  []string                    // the values an enumeration accepts
	boolx string                      // a non-boolean value a boolean accepts too
}

// specials are the variables that psql 15 gives hooks (startup.c,
// EstablishVariableSpace). \gset never writes them.
var specials = map[string]*special{
	"AUTOCOMMIT": {unset: "off", empty: "on", check: checkBool, qrun: func(name, v string) string {
		if b, _ := ParseBool(v); !b {
			return "\\set AUTOCOMMIT off is not supported: qrun runs every statement in autocommit mode (use BEGIN ... COMMIT)"
		}
		return ""
	}},
	"ON_ERROR_STOP":          {unset: "off", empty: "on", check: checkBool},
	"QUIET":                  {unset: "off", empty: "on", check: checkBool},
	"SINGLELINE":             {unset: "off", empty: "on", check: checkBool, qrun: refuseOn("SINGLELINE on makes a newline end a statement: not supported")},
	"SINGLESTEP":             {unset: "off", empty: "on", check: checkBool, qrun: refuseOn("SINGLESTEP on asks on the terminal before each statement: not supported")},
	"HIDE_TOAST_COMPRESSION": {unset: "off", empty: "on", check: checkBool},
	"HIDE_TABLEAM":           {unset: "off", empty: "on", check: checkBool},
	"SHOW_ALL_RESULTS":       {unset: "off", empty: "on", check: checkBool},
	"ECHO_HIDDEN":            {unset: "off", empty: "on", check: checkBool, boolx: "noexec"},
	"ON_ERROR_ROLLBACK":      {unset: "off", empty: "on", check: checkOnErrorRollback, boolx: "interactive"},
	"FETCH_COUNT":            {unset: "0", check: checkInt},
	"HISTSIZE":               {unset: "500", check: checkInt},
	"IGNOREEOF":              {unset: "0"},
	"ECHO":                   {unset: "none", enum: []string{"none", "errors", "queries", "all"}},
	"VERBOSITY":              {unset: "default", enum: []string{"default", "verbose", "terse", "sqlstate"}},
	"SHOW_CONTEXT":           {unset: "errors", enum: []string{"never", "errors", "always"}},
	"COMP_KEYWORD_CASE":      {unset: "preserve-upper", enum: []string{"lower", "upper", "preserve-lower", "preserve-upper"}},
	"HISTCONTROL":            {unset: "none", enum: []string{"none", "ignorespace", "ignoredups", "ignoreboth"}},
	"PROMPT1":                {},
	"PROMPT2":                {},
	"PROMPT3":                {},
	"HISTFILE":               {},
}

func checkBool(name, v string) string {
	if _, ok := ParseBool(v); ok {
		return ""
	}
	return boolError(v, name)
}

// checkOnErrorRollback is psql's on_error_rollback_hook: a boolean, or interactive
// (which assign accepts before the check).
func checkOnErrorRollback(name, v string) string {
	if _, ok := ParseBool(v); ok {
		return ""
	}
	return fmt.Sprintf("unrecognized value \"%s\" for \"%s\"; available values are: on, off, interactive", v, name)
}

func checkInt(name, v string) string {
	if _, err := strconv.Atoi(strings.TrimSpace(v)); err == nil || v == "" {
		return ""
	}
	return fmt.Sprintf("invalid value \"%s\" for \"%s\": integer expected", v, name)
}

func refuseOn(msg string) func(name, v string) string {
	return func(name, v string) string {
		if b, _ := ParseBool(v); b {
			return "\\set " + msg
		}
		return ""
	}
}

// assign returns the value that "\set name v" (or "\unset name", unset true) leaves in
// psql, and a message when psql refuses the value (the variable is then unchanged) or
// when qrun cannot follow it (refuse).
func assign(name, v string, unset bool) (value string, defined bool, msg string, refuse bool) {
	sp := specials[name]
	if sp == nil {
		return v, !unset, "", false
	}
	switch {
	case unset && (sp.unset != "" || sp.check != nil || sp.enum != nil):
		v = sp.unset
	case unset:
		return "", false, "", false
	case v == "" && sp.empty != "":
		v = sp.empty
	}
	if sp.boolx != "" && strings.EqualFold(v, sp.boolx) {
		return v, true, "", false
	}
	if sp.check != nil {
		if m := sp.check(name, v); m != "" {
			return "", false, m, false
		}
	}
	if sp.enum != nil {
		ok := false
		for _, e := range sp.enum {
			if strings.EqualFold(v, e) {
				ok = true
				break
			}
		}
		if !ok {
			return "", false, fmt.Sprintf("unrecognized value \"%s\" for \"%s\"; available values are: %s", v, name, strings.Join(sp.enum, ", ")), false
		}
	}
	if sp.qrun != nil {
		if m := sp.qrun(name, v); m != "" {
			return "", false, m, true
		}
	}
	return v, true, "", false
}

// psqlDefaults are the variables psql 15 defines before it reads a script (psql -X -f
// with no -v), other than those that describe the connection. VERSION, VERSION_NAME
// and VERSION_NUM describe the psql that qrun follows.
var psqlDefaults = map[string]string{
	"AUTOCOMMIT":             "on",
	"COMP_KEYWORD_CASE":      "preserve-upper",
	"ECHO":                   "none",
	"ECHO_HIDDEN":            "off",
	"FETCH_COUNT":            "0",
	"HIDE_TABLEAM":           "off",
	"HIDE_TOAST_COMPRESSION": "off",
	"HISTCONTROL":            "none",
	"HISTSIZE":               "500",
	"IGNOREEOF":              "0",
	"LAST_ERROR_MESSAGE":     "",
	"LAST_ERROR_SQLSTATE":    "00000",
	"ON_ERROR_ROLLBACK":      "off",
	"ON_ERROR_STOP":          "off",
	"PROMPT1":                "%/%R%x%# ",
	"PROMPT2":                "%/%R%x%# ",
	"PROMPT3":                ">> ",
	"QUIET":                  "off",
	"SHOW_ALL_RESULTS":       "on",
	"SHOW_CONTEXT":           "errors",
	"SINGLELINE":             "off",
	"SINGLESTEP":             "off",
	"VERBOSITY":              "default",
	"VERSION":                "PostgreSQL 15.0 (psql as followed by qrun)",
	"VERSION_NAME":           "15.0",
	"VERSION_NUM":            "150000",
}

// Variables that psql sets after every query string (ERROR ... LASTOID) and from the
// connection (DBNAME ... ENCODING): qrun knows them only when the script runs.
var (
	resultVars = []string{"ERROR", "SQLSTATE", "ROW_COUNT", "LAST_ERROR_MESSAGE", "LAST_ERROR_SQLSTATE", "LASTOID"}
	connVars   = []string{"DBNAME", "USER", "HOST", "PORT", "SERVER_VERSION_NAME", "SERVER_VERSION_NUM", "ENCODING"}
)

func isResultVar(name string) bool {
	switch name {
	case "ERROR", "SQLSTATE", "ROW_COUNT", "LAST_ERROR_MESSAGE", "LAST_ERROR_SQLSTATE", "LASTOID":
		return true
	}
	return false
}

func isConnVar(name string) bool {
	switch name {
	case "DBNAME", "USER", "HOST", "PORT", "SERVER_VERSION_NAME", "SERVER_VERSION_NUM", "ENCODING":
		return true
	}
	return false
}

// varTrack is what the loader knows of the variables: the value of every variable whose
// value is known before the script runs, and which are known only when it runs.
type varTrack struct {
	vals map[string]string // known values; a name absent here and not dynamic is unset
	dyn  map[string]bool   // set at run time (\set from a run-time value or under a run-time \if)
	seq  int               // counts assignments, \gset commands and statements
	at   map[string]int    // seq of the last assignment of a name known at load time
	gset []gsetMark        // \gset commands, in order
	sent int               // seq of the last statement sent (0: none yet)
}

type gsetMark struct {
	prefix string
	seq    int
}

// dynamic reports whether the value of name is known only at run time.
func (t *varTrack) dynamic(name string) bool {
	if t.dyn[name] {
		return true
	}
	at, assigned := t.at[name]
	switch {
	case isResultVar(name):
		if t.sent > 0 && (!assigned || at < t.sent) {
			return true
		}
	case name == "ENCODING":
		if !assigned || at < t.sent {
			return true
		}
	case isConnVar(name):
		if !assigned {
			return true
		}
	case specials[name] != nil:
		return false // \gset never writes these
	}
	for i := len(t.gset) - 1; i >= 0; i-- {
		g := t.gset[i]
		if assigned && g.seq < at {
			break
		}
		if strings.HasPrefix(name, g.prefix) {
			return true
		}
	}
	return false
}

// lookup returns the load-time value of name; dyn reports that it is known only at run
// time (value and ok are then meaningless).
func (t *varTrack) lookup(name string) (value string, ok, dyn bool) {
	if t.dynamicFast(name) {
		return "", false, true
	}
	v, ok := t.vals[name]
	return v, ok, false
}

// dynamicFast is dynamic with a fast answer for scripts that use no run-time variable.
func (t *varTrack) dynamicFast(name string) bool {
	if len(t.dyn) == 0 && len(t.gset) == 0 {
		if !isResultVar(name) && !isConnVar(name) {
			return false
		}
	}
	return t.dynamic(name)
}

// set records a load-time assignment (unset: \unset).
func (t *varTrack) set(name, value string, unset bool) {
	t.seq++
	if t.at == nil {
		t.at = map[string]int{}
	}
	t.at[name] = t.seq
	delete(t.dyn, name)
	if unset {
		delete(t.vals, name)
	} else {
		t.vals[name] = value
	}
}

// setDynamic records that name gets a value known only at run time.
func (t *varTrack) setDynamic(name string) {
	if t.dyn == nil {
		t.dyn = map[string]bool{}
	}
	t.dyn[name] = true
}

// gsetAll records a \gset with prefix: every variable whose name starts with it may be
// set at run time.
func (t *varTrack) gsetAll(prefix string) {
	t.seq++
	t.gset = append(t.gset, gsetMark{prefix: prefix, seq: t.seq})
}

// statement records that a statement is sent.
func (t *varTrack) statement() {
	t.seq++
	t.sent = t.seq
}

// snapshot returns the variables known at load time, for the run-time store.
func (t *varTrack) snapshot() map[string]string {
	m := make(map[string]string, len(t.vals))
	for k, v := range t.vals {
		if !t.dynamic(k) {
			m[k] = v
		}
	}
	return m
}
