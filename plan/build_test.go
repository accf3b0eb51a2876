package plan

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/queries"
)

// unitShape is what a test expects of a unit.
type unitShape struct {
	name  string
	tx    bool
	stmts int
	stage int
}

func shapes(p *Plan) []unitShape {
	var got []unitShape
	for _, u := range p.Units {
		got = append(got, unitShape{testPos(u.Name()), u.Tx, len(u.Statements), int(u.Stage)})
	}
	return got
}

func TestBuildUnits(t *testing.T) {
	tests := []struct {
		name string
		src  string
		opts Options
		want []unitShape
	}{
		{
			name: "single statements",
			src:  "@a: SELECT 1;\n@b: SELECT 2;",
			want: []unitShape{{"a", false, 1, 0}, {"b", false, 1, 0}},
		},
		{
			name: "block from BEGIN to COMMIT",
			src:  "@a: SELECT 1;\n@t: BEGIN;\nINSERT INTO x VALUES (1);\nCOMMIT;\n@b: SELECT 2;",
			want: []unitShape{{"a", false, 1, 0}, {"t", true, 3, 0}, {"b", false, 1, 0}},
		},
		{
			name: "lower case begin and end",
			src:  "@t: begin;\nselect 1;\nend;",
			want: []unitShape{{"t", true, 3, 0}},
		},
		{
			name: "begin work and end transaction",
			src:  "@t: begin work;\nselect 1;\nEND TRANSACTION;",
			want: []unitShape{{"t", true, 3, 0}},
		},
		{
			name: "isolation level and rollback",
			src:  "@t: BEGIN ISOLATION LEVEL SERIALIZABLE;\nSELECT 1;\nROLLBACK;",
			want: []unitShape{{"t", true, 3, 0}},
		},
		{
			name: "start transaction and abort",
			src:  "@t: START TRANSACTION READ ONLY;\nSELECT 1;\nABORT;",
			want: []unitShape{{"t", true, 3, 0}},
		},
		{
			name: "comment before begin",
			src:  "@t: /* open */ BEGIN;\nCOMMIT;",
			want: []unitShape{{"t", true, 2, 0}},
		},
		{
			name: "chains continue the block",
			src:  "@t: BEGIN;\nSELECT 1;\nCOMMIT AND CHAIN;\nSELECT 2;\nROLLBACK AND CHAIN;\nCOMMIT;\n@b: SELECT 3;",
			want: []unitShape{{"t", true, 6, 0}, {"b", false, 1, 0}},
		},
		{
			name: "rollback to savepoint stays in the block",
			src:  "@t: BEGIN;\nSAVEPOINT s;\nROLLBACK TO SAVEPOINT s;\nROLLBACK TO s;\nCOMMIT;",
			want: []unitShape{{"t", true, 5, 0}},
		},
		{
			name: "prepare transaction ends the block",
			src:  "@t: BEGIN;\nSELECT 1;\nPREPARE TRANSACTION 'x';\n@c: COMMIT PREPARED 'x';",
			want: []unitShape{{"t", true, 3, 0}, {"c", false, 1, 0}},
		},
		{
			name: "begin atomic is no block",
			src:  "@f: CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END;\n@b: SELECT f();",
			want: []unitShape{{"f", false, 1, 0}, {"b", false, 1, 0}},
		},
		{
			name: "commit without begin is ordinary",
			src:  "@c: COMMIT;\n@b: SELECT 1;",
			want: []unitShape{{"c", false, 1, 0}, {"b", false, 1, 0}},
		},
		{
			name: "names inside a block",
			src:  "@t: BEGIN;\n@ins: INSERT INTO x VALUES (1);\nCOMMIT;\n@b after ins: SELECT 1;",
			opts: Options{Parallel: true},
			want: []unitShape{{"t", true, 3, 0}, {"b", false, 1, 0}},
		},
		{
			name: "block joined with backslash-semicolon",
			src:  "@t: BEGIN \\; INSERT INTO x VALUES (1);\nCOMMIT;\n@b: SELECT 1;",
			want: []unitShape{{"t", true, 2, 0}, {"b", false, 1, 0}},
		},
		{
			name: "self-contained joined block is one statement",
			src:  "@t: BEGIN \\; INSERT INTO x VALUES (1) \\; COMMIT;\n@b: SELECT 1;",
			want: []unitShape{{"t", false, 1, 0}, {"b", false, 1, 0}},
		},
		{
			// The lexer's quoting state decides: with standard_conforming_strings off,
			// 'it\'s' is one string and the COMMIT after it closes the block.
			name: "commit after a backslash-quoted string closes the block",
			src:  "@s: SET standard_conforming_strings = off;\n@t: BEGIN;\nSELECT 'it\\'s' \\; COMMIT;\n@b: SELECT 1;",
			want: []unitShape{{"s", false, 1, 0}, {"t", true, 2, 0}, {"b", false, 1, 0}},
		},
		{
			name: "keywords in strings, comments and dollar quotes are no commands",
			src:  "@a: SELECT 'x \\; COMMIT' /* \\; BEGIN */;\n@b: DO $$ BEGIN; END $$ \\; SELECT 1;",
			want: []unitShape{{"a", false, 1, 0}, {"b", false, 1, 0}},
		},
		{
			name: "stages",
			src:  "@a: SELECT 1;\n-- stage: one\n@b: SELECT 2;\n@c: SELECT 3;\n-- stage: two\n@d: SELECT 4;",
			want: []unitShape{{"a", false, 1, 0}, {"b", false, 1, 1}, {"c", false, 1, 1}, {"d", false, 1, 2}},
		},
		{
			name: "empty stage is dropped",
			src:  "-- stage: one\n@a: SELECT 1;\n-- stage: empty\n-- stage: two\n@b: SELECT 2;",
			want: []unitShape{{"a", false, 1, 0}, {"b", false, 1, 1}},
		},
		{
			name: "no statements",
			src:  "",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustBuild(t, tt.src, tt.opts)
			if got := shapes(p); !slices.Equal(got, tt.want) {
				t.Errorf("units: got %+v, want %+v", got, tt.want)
			}
			for i, u := range p.Units {
				if int(u.Index) != i {
					t.Errorf("unit %d: got Index %d, want %d", i, u.Index, i)
				}
			}
		})
	}
}

func TestBuildStages(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"no stage line", "SELECT 1;", []string{""}},
		{"statements before the first stage", "SELECT 1;\n-- stage: a\nSELECT 2;", []string{"", "a"}},
		{"stage first", "-- stage: a\nSELECT 1;\n-- stage: b\nSELECT 2;", []string{"a", "b"}},
		{"repeated label", "-- stage: a\nSELECT 1;\n-- stage: a\nSELECT 2;", []string{"a", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustBuild(t, tt.src, Options{})
			if !slices.Equal(p.Stages, tt.want) {
				t.Errorf("stages: got %q, want %q", p.Stages, tt.want)
			}
		})
	}
}

func TestBuildDependencies(t *testing.T) {
	src := `@a: SELECT 1;
@t: BEGIN;
@inner: SELECT 2;
COMMIT;
@b after a, inner, a: SELECT 3;
@c after b,t: SELECT 4;`
	p := mustBuild(t, src, Options{})
	tests := []struct {
		unit      string
		wantAfter []string
		wantNames []string
	}{
		{"a", nil, nil},
		{"t", nil, nil},
		{"b", []string{"a", "t"}, []string{"a", "inner", "a"}},
		{"c", []string{"b", "t"}, []string{"b", "t"}},
	}
	for _, tt := range tests {
		t.Run(tt.unit, func(t *testing.T) {
			u := p.Units[byName(t, p, tt.unit)]
			if got := unitNames(p, u.After()); !slices.Equal(got, tt.wantAfter) {
				t.Errorf("After: got %q, want %q", got, tt.wantAfter)
			}
			if !slices.Equal(u.AfterNames(), tt.wantNames) {
				t.Errorf("AfterNames: got %q, want %q", u.AfterNames(), tt.wantNames)
			}
		})
	}
}

// wantErr is an expected error: its position and a fragment of its message.
type wantErr struct {
	pos string
	msg string
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		opts Options
		want []wantErr
	}{
		{
			name: "open block",
			src:  "@a: SELECT 1;\n@t: BEGIN;\nSELECT 2;",
			want: []wantErr{{"test.sql:2:5", "transaction block never closed"}},
		},
		{
			name: "open block after a chain",
			src:  "BEGIN;\nCOMMIT AND CHAIN;",
			want: []wantErr{{"test.sql:1:1", "transaction block never closed"}},
		},
		{
			name: "after inside a block",
			src:  "@a: SELECT 1;\nBEGIN;\n@x after a: SELECT 2;\nCOMMIT;",
			want: []wantErr{{"test.sql:3:1", "-- after: inside a transaction block"}},
		},
		{
			name: "stage inside a block",
			src:  "BEGIN;\n-- stage: two\nSELECT 2;\nCOMMIT;",
			want: []wantErr{{"test.sql:3:1", "-- stage: inside a transaction block"}},
		},
		{
			name: "unknown name with a suggestion",
			src:  "@spaghetti: SELECT 1;\n@sauce after spagheti: SELECT 2;",
			want: []wantErr{{"test.sql:2:1", `unknown name "spagheti"; did you mean "spaghetti"?`}},
		},
		{
			name: "unknown name differing in case",
			src:  "@Boil: SELECT 1;\n@x after boil: SELECT 2;",
			want: []wantErr{{"test.sql:2:1", `unknown name "boil"; did you mean "Boil"?`}},
		},
		{
			name: "unknown name without a suggestion",
			src:  "@a: SELECT 1;\n@b after zzzzzz: SELECT 2;",
			want: []wantErr{{"test.sql:2:1", `-- after: unknown name "zzzzzz"`}},
		},
		{
			name: "unknown line name",
			src:  "SELECT 1;\n@after test.sql:3: SELECT 2;",
			want: []wantErr{{"test.sql:2:1", `unknown name "test.sql:3"; did you mean "test.sql:1"?`}},
		},
		{
			name: "self dependency",
			src:  "@a after a: SELECT 1;",
			want: []wantErr{{"test.sql:1:1", "cycle: a -> a"}},
		},
		{
			name: "self dependency through a block",
			src:  "@t after inner: BEGIN;\n@inner: SELECT 1;\nCOMMIT;",
			want: []wantErr{{"test.sql:1:1", "cycle: t -> t"}},
		},
		{
			name: "cycle of three",
			src:  "@a after c: SELECT 1;\n@b after a: SELECT 2;\n@c after b: SELECT 3;",
			opts: Options{Parallel: true},
			want: []wantErr{{"test.sql:1:1", "cycle: a -> c -> b -> a"}},
		},
		{
			name: "two cycles",
			src:  "@a after b: SELECT 1;\n@b after a: SELECT 2;\n@c after d: SELECT 3;\n@d after c: SELECT 4;\n@e after a, d: SELECT 5;",
			opts: Options{Parallel: true},
			want: []wantErr{{"test.sql:1:1", "cycle: a -> b -> a"}, {"test.sql:3:1", "cycle: c -> d -> c"}},
		},
		{
			name: "shortest way round a cycle",
			src:  "@a after b, x: SELECT 1;\n@b after c: SELECT 2;\n@c after a: SELECT 3;\n@x after a: SELECT 4;",
			opts: Options{Parallel: true},
			want: []wantErr{{"test.sql:1:1", "cycle: a -> x -> a"}},
		},
		{
			name: "dependency on a later stage",
			src:  "-- stage: one\n@a after b: SELECT 1;\n-- stage: two\n@b: SELECT 2;",
			opts: Options{Parallel: true},
			want: []wantErr{{"test.sql:2:1", `"b" is in a later stage ("two" at test.sql:4:5)`}},
		},
		{
			name: "dependency on a later statement in sequential mode",
			src:  "@a after b: SELECT 1;\n@b: SELECT 2;",
			want: []wantErr{{"test.sql:1:1", `"b" comes later in the file`}},
		},
		{
			name: "all problems at once, sorted",
			src:  "@b after nope: SELECT 1;\n@c after b, a: SELECT 2;\nBEGIN;",
			opts: Options{Parallel: true},
			want: []wantErr{
				{"test.sql:1:1", `unknown name "nope"`},
				{"test.sql:2:1", `unknown name "a"`},
				{"test.sql:3:1", "transaction block never closed"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Build(script(t, tt.src), tt.opts)
			checkErrors(t, p, err, tt.want)
		})
	}
}

func checkErrors(t *testing.T, p *Plan, err error, want []wantErr) {
	t.Helper()
	var list queries.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Build: got error %v (%T), want a queries.ErrorList", err, err)
	}
	if p != nil {
		t.Errorf("Build: got a plan with an error, want nil")
	}
	if len(list) != len(want) {
		t.Fatalf("Build: got %d errors, want %d:\n%v", len(list), len(want), err)
	}
	for i, e := range list {
		if got := testPos(e.Pos.String()); got != want[i].pos {
			t.Errorf("error %d: got position %s, want %s (%s)", i, got, want[i].pos, e.Msg)
		}
		if msg := testPos(e.Msg); !strings.Contains(msg, want[i].msg) {
			t.Errorf("error %d: got message %q, want it to contain %q", i, msg, want[i].msg)
		}
	}
}

func TestBuildParallelAllowsLaterDependency(t *testing.T) {
	p := mustBuild(t, "@a after b: SELECT 1;\n@b: SELECT 2;", Options{Parallel: true})
	if got, want := unitNames(p, p.Units[0].After()), []string{"b"}; !slices.Equal(got, want) {
		t.Errorf("After of a: got %q, want %q", got, want)
	}
}

func TestBuildRollback(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []wantErr // nil: accepted
	}{
		{"plain statements", "INSERT INTO t VALUES (1);\nSELECT 1;", nil},
		{"transaction block", "BEGIN;\nINSERT INTO t VALUES (1);\nCOMMIT;", nil},
		{"rollback and chain", "BEGIN;\nROLLBACK AND CHAIN;\nCOMMIT;", nil},
		{"stray commit", "COMMIT;", nil},
		{"vacuum", "SELECT 1;\nVACUUM t;", []wantErr{{"test.sql:2:1", "VACUUM cannot run inside a transaction block"}}},
		{"create index concurrently", "CREATE INDEX CONCURRENTLY i ON t (a);", []wantErr{{"test.sql:1:1", "CREATE INDEX CONCURRENTLY"}}},
		{"drop index concurrently", "DROP INDEX CONCURRENTLY i;", []wantErr{{"test.sql:1:1", "DROP INDEX CONCURRENTLY"}}},
		{"reindex concurrently", "REINDEX TABLE CONCURRENTLY t;", []wantErr{{"test.sql:1:1", "REINDEX CONCURRENTLY"}}},
		{"reindex database", "REINDEX DATABASE d;", []wantErr{{"test.sql:1:1", "REINDEX DATABASE"}}},
		{"create database", "CREATE DATABASE d;", []wantErr{{"test.sql:1:1", "CREATE DATABASE"}}},
		{"drop database", "DROP DATABASE d;", []wantErr{{"test.sql:1:1", "DROP DATABASE"}}},
		{"alter database set tablespace", "ALTER DATABASE d SET TABLESPACE s;", []wantErr{{"test.sql:1:1", "ALTER DATABASE ... SET TABLESPACE"}}},
		{"tablespaces", "CREATE TABLESPACE s LOCATION '/x';\nDROP TABLESPACE s;", []wantErr{
			{"test.sql:1:1", "CREATE TABLESPACE"}, {"test.sql:2:1", "DROP TABLESPACE"}}},
		{"alter system", "ALTER SYSTEM SET work_mem = '1MB';", []wantErr{{"test.sql:1:1", "ALTER SYSTEM"}}},
		{"cluster without a table", "CLUSTER;", []wantErr{{"test.sql:1:1", "CLUSTER without a table"}}},
		{"cluster with a table", "CLUSTER t USING i;", nil},
		{"subscriptions", "CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p;\nALTER SUBSCRIPTION s REFRESH PUBLICATION;\nDROP SUBSCRIPTION s;",
			[]wantErr{{"test.sql:1:1", "CREATE SUBSCRIPTION"}, {"test.sql:2:1", "ALTER SUBSCRIPTION ... REFRESH"}, {"test.sql:3:1", "DROP SUBSCRIPTION"}}},
		{"prepared transactions", "COMMIT PREPARED 'x';\nROLLBACK PREPARED 'y';", []wantErr{
			{"test.sql:1:1", "COMMIT PREPARED"}, {"test.sql:2:1", "ROLLBACK PREPARED"}}},
		{"inside a block", "BEGIN;\nVACUUM;\nCOMMIT;", []wantErr{{"test.sql:2:1", "VACUUM"}}},
		{"joined with another command", "SELECT 1 \\; VACUUM;", []wantErr{{"test.sql:1:1", "VACUUM"}}},
		{"commit and chain in a block", "BEGIN;\nINSERT INTO t VALUES (1);\nCOMMIT AND CHAIN;\nCOMMIT;", []wantErr{
			{"test.sql:3:1", "COMMIT AND CHAIN commits part of the transaction block"}}},
		{"transaction control joined", "INSERT INTO t VALUES (1) \\; COMMIT;", []wantErr{
			{"test.sql:1:1", "transaction control (BEGIN, COMMIT, ...) as a statement of its own"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stmts := script(t, tt.src)
			if _, err := Build(stmts, Options{}); err != nil {
				t.Fatalf("Build without --rollback: got %v, want no error", err)
			}
			p, err := Build(stmts, Options{Rollback: true})
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Build with --rollback: got %v, want no error", err)
				}
				return
			}
			checkErrors(t, p, err, tt.want)
		})
	}
}

func TestUnitBody(t *testing.T) {
	p := mustBuild(t, "@t: BEGIN;\n@x: SELECT 1;\n@y: SELECT 2;\nCOMMIT;\n@s: SELECT 3;\n@e: BEGIN;\nEND;", Options{Rollback: true})
	tests := []struct {
		unit string
		want []string
	}{
		{"t", []string{"x", "y"}},
		{"s", []string{"s"}},
		{"e", nil},
	}
	for _, tt := range tests {
		t.Run(tt.unit, func(t *testing.T) {
			var got []string
			for _, s := range p.Units[byName(t, p, tt.unit)].Body() {
				got = append(got, s.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Body: got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBuildSessionChanging(t *testing.T) {
	src := `@set1: SET search_path = a;
@set2: SET work_mem = '1MB';
@local: SET LOCAL work_mem = '1MB';
@role: SET ROLE alice;
@reset: RESET ALL;
@cfg: SELECT set_config('a.b', 'c', false);
@temp: CREATE TEMP TABLE t (a int);
@discard: DISCARD ALL;
@listen: LISTEN c;
@prep: PREPARE q AS SELECT 1;
@plain: SELECT 1;
@blk: BEGIN;
SET search_path = b;
COMMIT;`
	wantChanging := map[string]bool{
		"set1": true, "set2": true, "role": true, "reset": true, "cfg": true,
		"temp": true, "discard": true, "listen": true, "prep": true,
	}
	wantWarnings := []string{ // one per kind, at its first statement
		"test.sql:1:8: SET ",
		"test.sql:4:8: SET ROLE ",
		"test.sql:5:9: RESET ",
		"test.sql:6:7: set_config() ",
		"test.sql:7:8: CREATE TEMP ",
		"test.sql:8:11: DISCARD ",
		"test.sql:9:10: LISTEN ",
		"test.sql:10:8: PREPARE ",
	}
	for _, mode := range []struct {
		name string
		opts Options
	}{{"sequential", Options{}}, {"parallel", Options{Parallel: true}}} {
		t.Run(mode.name, func(t *testing.T) {
			p := mustBuild(t, src, mode.opts)
			for _, u := range p.Units {
				if u.SessionChanging != wantChanging[u.Name()] {
					t.Errorf("unit %s: got SessionChanging %v, want %v", u.Name(), u.SessionChanging, wantChanging[u.Name()])
				}
			}
			want := wantWarnings
			if !mode.opts.Parallel {
				want = nil
			}
			if len(p.Warnings) != len(want) {
				t.Fatalf("got %d warnings, want %d: %v", len(p.Warnings), len(want), p.Warnings)
			}
			for i, w := range p.Warnings {
				if got := testPos(w.Error()); !strings.HasPrefix(got, want[i]) || !strings.Contains(got, "--setup") {
					t.Errorf("warning %d: got %q, want it to start with %q and mention --setup", i, got, want[i])
				}
			}
		})
	}
}

func TestBuildUnnamedReferences(t *testing.T) {
	t.Run("by file and line", func(t *testing.T) {
		p := mustBuild(t, "SELECT 1;\n@b after test.sql:1: SELECT 2;", Options{})
		if got, want := unitNames(p, p.Units[1].After()), []string{"test.sql:1"}; !slices.Equal(got, want) {
			t.Errorf("After of b: got %q, want %q", got, want)
		}
	})
	t.Run("ambiguous when two statements share a line", func(t *testing.T) {
		sc := script(t, "SELECT 1;\nSELECT 2;\n@b after test.sql:1: SELECT 3;")
		sc.Statements[1].Name = sc.Statements[0].Name // as two files of one name could give
		p, err := Build(sc, Options{})
		checkErrors(t, p, err, []wantErr{{"test.sql:3:1", `name "test.sql:1" is ambiguous`}})
	})
	t.Run("shared line names without references are fine", func(t *testing.T) {
		sc := script(t, "SELECT 1;\nSELECT 2;")
		sc.Statements[1].Name = sc.Statements[0].Name
		if _, err := Build(sc, Options{}); err != nil {
			t.Fatalf("Build: got %v, want no error", err)
		}
	})
}
