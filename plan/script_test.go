package plan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/queries"
)

// script builds statements from a compact test notation, one statement per line, as
// queries.Load would return them for a file named test.sql:
//
//	-- stage: LABEL          starts a stage
//	@NAME: SQL               a named statement
//	@NAME after A,B: SQL     a named statement with "-- after: A, B"
//	@after A: SQL            an unnamed statement with "-- after: A"
//	SQL                      an unnamed statement, named test.sql:LINE
//
// Blank lines are skipped. A statement's position is its line and the column where its
// SQL starts; its "-- after:" position is column 1 of the same line.
func script(t testing.TB, src string) []*queries.Statement {
	t.Helper()
	var (
		stmts      []*queries.Statement
		stage      string
		stageIndex int
		offset     int
	)
	for i, line := range strings.Split(src, "\n") {
		lineNo := i + 1
		lineStart := offset
		offset += len(line) + 1
		trimmed := strings.TrimSpace(line)
		if trimmed == "" {
			continue
		}
		if label, ok := strings.CutPrefix(trimmed, "-- stage:"); ok {
			stage = strings.TrimSpace(label)
			stageIndex++
			continue
		}
		s := queries.StatementParts{
			Name:       fmt.Sprintf("test.sql:%d", lineNo),
			Stage:      stage,
			StageIndex: stageIndex,
		}
		col := strings.Index(line, trimmed)
		sql := trimmed
		if rest, ok := strings.CutPrefix(trimmed, "@"); ok {
			head, body, found := strings.Cut(rest, ": ")
			if !found {
				t.Fatalf("script line %d: %q has no \": \"", lineNo, line)
			}
			name, after, _ := strings.Cut(head, "after ")
			if name = strings.TrimSpace(name); name != "" {
				s.Name, s.Named = name, true
			}
			for _, a := range strings.Split(after, ",") {
				if a = strings.TrimSpace(a); a != "" {
					s.After = append(s.After, a)
				}
			}
			if len(s.After) > 0 {
				s.AfterPos = queries.Pos{File: "test.sql", Line: lineNo, Col: 1, Offset: lineStart}
			}
			col += strings.Index(trimmed, body)
			sql = body
		}
		s.SQL = sql
		s.Pos = queries.Pos{File: "test.sql", Line: lineNo, Col: col + 1, Offset: lineStart + col}
		s.Start, s.End = lineStart, lineStart+len(line)
		stmts = append(stmts, queries.NewStatement(s))
	}
	return stmts
}

// mustBuild builds src and fails the test on an error.
func mustBuild(t testing.TB, src string, opts Options) *Plan {
	t.Helper()
	p, err := Build(script(t, src), opts)
	if err != nil {
		t.Fatalf("Build: unexpected error:\n%v", err)
	}
	return p
}

// unitNames returns the names of the given units of p.
func unitNames(p *Plan, units []int) []string {
	names := make([]string, len(units))
	for i, u := range units {
		names[i] = p.Units[u].Name()
	}
	return names
}

// byName returns the index of the unit named name.
func byName(t testing.TB, p *Plan, name string) int {
	t.Helper()
	for _, u := range p.Units {
		if u.Name() == name {
			return int(u.Index)
		}
	}
	t.Fatalf("no unit named %q", name)
	return -1
}
