package queries

import "errors"

// Stubs: the queries engineer replaces this file with the real implementation.

// Load reads the files in order ("-" is Options.Stdin), splits them into statements as
// psql -f would and checks them. Its error is an ErrorList of file:line:col errors.
func Load(paths []string, opts Options) (*Script, error) { return nil, errors.New("not implemented") }

// PosOf maps a 1-based character position in s.SQL (as in PgError.Position) to the
// position in the file.
func (s *Statement) PosOf(char int) Pos { return s.Pos }
