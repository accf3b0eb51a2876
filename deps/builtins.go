package deps

import (
	"strings"
	"sync"
)

//go:generate go run ./internal/gencatalog catalog_gen.go

// effect is what calling a built-in function does, for ordering.
type effect uint8

const (
	effNone         effect = iota // side-effect free for ordering
	effBarrier                    // acts outside the data the file touches: a barrier
	effSetConfig                  // set_config(name, value, is_local)
	effAdvisory                   // session-level advisory lock: one session group
	effAdvisoryXact               // transaction-level advisory lock
	effSeqWrite                   // nextval, setval: write the sequence named by argument 1
	effSeqRead                    // currval: read the sequence and tie to the session of its nextval
	effLastval                    // lastval: tie to the session of every nextval
	effSessionState               // reads this session's cursors, prepared statements, channels
	effRunsSQL                    // executes SQL given as text: a barrier
)

// BuiltinEffect is one entry of the list of built-in functions that are not side-effect
// free for ordering. Every other pg_catalog function is.
type BuiltinEffect struct {
	Pattern string // a function name, or a prefix followed by "*"
	Effect  string // what Analyze does with a call
}

type builtinRule struct {
	pattern string
	eff     effect
	what    string
}

var builtinRules = []builtinRule{
	{"set_config", effSetConfig, "is_local false: Replay (the setting is re-applied on the other connections) and barrier; true: nothing outside the unit, except that search_path changes name resolution for the rest of the unit"},
	{"pg_advisory_lock*", effAdvisory, "session group \"advisory lock\" (the lock belongs to the session)"},
	{"pg_advisory_unlock*", effAdvisory, "session group \"advisory lock\""},
	{"pg_try_advisory_lock*", effAdvisory, "session group \"advisory lock\""},
	{"pg_advisory_xact_lock*", effAdvisoryXact, "nothing, unless the file also takes session-level advisory locks: then the session group \"advisory lock\" (one session never waits for itself)"},
	{"pg_try_advisory_xact_lock*", effAdvisoryXact, "as pg_advisory_xact_lock"},
	{"nextval", effSeqWrite, "writes its sequence (a literal regclass argument; otherwise a barrier)"},
	{"setval", effSeqWrite, "writes its sequence"},
	{"currval", effSeqRead, "reads its sequence, and joins the session group of the units that call nextval on it (currval is per session)"},
	{"lastval", effLastval, "joins the session group of every unit that calls nextval (lastval is per session)"},
	{"pg_sequence_last_value", effNone, "reads its sequence (regclass argument)"},
	{"pg_cursor", effSessionState, "joins every session group (it lists this session's cursors)"},
	{"pg_prepared_statement", effSessionState, "joins every session group"},
	{"pg_listening_channels", effSessionState, "joins every session group"},
	{"pg_terminate_backend", effBarrier, "barrier"},
	{"pg_cancel_backend", effBarrier, "barrier"},
	{"pg_reload_conf", effBarrier, "barrier"},
	{"pg_rotate_logfile*", effBarrier, "barrier"},
	{"pg_switch_wal", effBarrier, "barrier"},
	{"pg_promote", effBarrier, "barrier"},
	{"pg_create_restore_point", effBarrier, "barrier"},
	{"pg_backup_start", effBarrier, "barrier"},
	{"pg_backup_stop", effBarrier, "barrier"},
	{"pg_wal_replay_*", effBarrier, "barrier"},
	{"pg_log_standby_snapshot", effBarrier, "barrier"},
	{"pg_create_*_replication_slot", effBarrier, "barrier"},
	{"pg_copy_*_replication_slot", effBarrier, "barrier"},
	{"pg_drop_replication_slot", effBarrier, "barrier"},
	{"pg_replication_slot_advance", effBarrier, "barrier"},
	{"pg_logical_slot_*", effBarrier, "barrier (consumes a slot)"},
	{"pg_replication_origin_*", effBarrier, "barrier"},
	{"pg_stat_reset*", effBarrier, "barrier"},
	{"pg_logical_emit_message", effBarrier, "barrier"},
	{"pg_import_system_collations", effBarrier, "barrier"},
	{"pg_extension_config_dump", effBarrier, "barrier"},
	{"pg_file_write", effBarrier, "barrier"},
	{"lo_*", effBarrier, "barrier (large objects are not tracked)"},
	{"loread", effBarrier, "barrier"},
	{"lowrite", effBarrier, "barrier"},
	{"be_lo_*", effBarrier, "barrier"},
	{"dblink*", effBarrier, "barrier (not built in; listed for clarity)"},
	{"setseed", effBarrier, "barrier (random() after it depends on the session)"},
	{"query_to_xml*", effRunsSQL, "barrier (runs SQL text)"},
	{"query_to_xmlschema", effRunsSQL, "barrier (runs SQL text)"},
	{"cursor_to_xml*", effRunsSQL, "barrier (reads a cursor)"},
	{"schema_to_xml*", effRunsSQL, "barrier (reads every table of a schema)"},
	{"database_to_xml*", effRunsSQL, "barrier (reads every table)"},
	{"ts_stat", effRunsSQL, "barrier (runs SQL text)"},
	{"ts_rewrite", effRunsSQL, "barrier (its two-argument form runs SQL text)"},
	{"pg_notify", effNone, "nothing: a notification changes no data, and this file's listeners are one session"},
	{"pg_sleep*", effNone, "nothing"},
}

// BuiltinEffects lists the built-in (pg_catalog) functions whose calls are not free to
// reorder, and what Analyze does with each; every other built-in function (now(),
// clock_timestamp(), random(), gen_random_uuid(), txid_current(), pg_backend_pid(),
// version(), current_setting(), pg_sleep() ...) is side-effect free for ordering. A
// function with a regclass argument given as a literal (pg_relation_size('t'),
// has_table_privilege('t', ...)) reads that relation.
func BuiltinEffects() []BuiltinEffect {
	out := make([]BuiltinEffect, len(builtinRules))
	for i, r := range builtinRules {
		out[i] = BuiltinEffect{Pattern: r.pattern, Effect: r.what}
	}
	return out
}

var (
	catalogOnce    sync.Once
	builtinFuncSet map[string]effect // every pg_catalog function name → its effect
	builtinRelSet  map[string]bool   // pg_catalog relations
	infoSchemaSet  map[string]bool   // information_schema relations
	builtinTypes   map[string]bool   // pg_catalog types (and the grammar's names for them)
)

func loadCatalog() {
	catalogOnce.Do(func() {
		builtinFuncSet = make(map[string]effect, len(catalogFuncs)+8)
		for _, f := range catalogFuncs {
			builtinFuncSet[f] = ruleFor(f)
		}
		// Names in the rules that a newer server has and the generated list may lack.
		for _, r := range builtinRules {
			if !strings.ContainsRune(r.pattern, '*') {
				if _, ok := builtinFuncSet[r.pattern]; !ok && !strings.HasPrefix(r.pattern, "dblink") {
					builtinFuncSet[r.pattern] = r.eff
				}
			}
		}
		builtinRelSet = make(map[string]bool, len(catalogRels))
		for _, r := range catalogRels {
			builtinRelSet[r] = true
		}
		infoSchemaSet = make(map[string]bool, len(infoSchemaRels))
		for _, r := range infoSchemaRels {
			infoSchemaSet[r] = true
		}
		builtinTypes = make(map[string]bool, len(catalogTypes)+8)
		for _, t := range catalogTypes {
			builtinTypes[t] = true
		}
	})
}

func init() { loadCatalog() }

// ruleFor returns the effect of a built-in function by the rules above.
func ruleFor(name string) effect {
	for _, r := range builtinRules {
		if matchPattern(r.pattern, name) {
			return r.eff
		}
	}
	return effNone
}

// matchPattern matches name against a pattern with at most one '*' (any run of bytes).
func matchPattern(pattern, name string) bool {
	i := strings.IndexByte(pattern, '*')
	if i < 0 {
		return pattern == name
	}
	pre, suf := pattern[:i], pattern[i+1:]
	return len(name) >= len(pre)+len(suf) && strings.HasPrefix(name, pre) && strings.HasSuffix(name, suf)
}
