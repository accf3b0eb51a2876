// Package deps infers, from the SQL itself, the dependency graph a parallel run needs to
// end in the same state, with the same outcome for every statement, as the sequential run.
package deps
