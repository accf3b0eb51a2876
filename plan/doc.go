// Package plan turns a script's statements into units of work and the graph between
// them: transaction blocks become one unit, "-- stage:" lines become barriers, "-- after:"
// lines become edges. It checks the graph before anything runs (unknown names, cycles,
// open transaction blocks) and provides the Scheduler that hands out ready units in file
// order, and the critical path of a finished run. It never lexes SQL: it classifies
// commands from the words the queries package's psql lexer read (Statement.Commands) and
// resolves names through the script's own index (Script.Lookup). Standard library only.
package plan
