package compare

import (
	"hash/fnv"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/qrunhq/qrun/result"
)

// Statement identity.
//
// A statement keeps its identity across two reports when what it is did not change,
// whatever moved around it:
//
//   - a named statement ("-- name: NAME") is its name;
//   - an unnamed one is "FILE FINGERPRINT", and " #K" for the K-th (K ≥ 2) statement of
//     the file with that fingerprint. FILE is the file's name without its directory —
//     the path relative to the file's own directory — so that running from another
//     directory, or naming the file by another relative path, changes nothing.
//     FINGERPRINT is libpg_query's fingerprint ("fp:" and 16 hex digits): it ignores
//     whitespace, comments and the values of constants, so that editing a comment,
//     re-indenting or moving lines keeps a statement's identity. SQL that libpg_query
//     cannot parse is identified by its text with comments and runs of whitespace
//     normalised instead ("text:" and a 64-bit FNV-1a hash).
//
// A name has no spaces (queries rejects them), so the two kinds never collide.

// Identify sets the ID of every query in qs, in order: named(i) says whether query i
// was named by a "-- name:" line. Long lists are fingerprinted on every CPU.
func Identify(qs []result.Query, named func(i int) bool) {
	ids := identities(qs, named)
	for i := range qs {
		qs[i].ID = ids[i]
	}
}

// IdentifyReport sets the IDs of the queries of r and of each of its targets, telling
// named statements from unnamed ones as LooksNamed does. qrun itself knows which
// statements were named and calls Identify.
func IdentifyReport(r *result.Report) {
	if r == nil {
		return
	}
	Identify(r.Queries, func(i int) bool { return LooksNamed(&r.Queries[i]) })
	for i := range r.Targets {
		IdentifyReport(&r.Targets[i])
	}
}

// LooksNamed guesses whether q was named by a "-- name:" line from its name alone, for
// reports written before qrun recorded identities: an unnamed statement is named
// FILE:LINE (or FILE:LINE:COL, with #2, #3 ... when that is taken).
func LooksNamed(q *result.Query) bool {
	rest, ok := strings.CutPrefix(q.Name, q.File+":")
	if !ok || rest == "" {
		return true
	}
	return rest[0] < '0' || rest[0] > '9'
}

// identities returns the identity of every query of qs.
func identities(qs []result.Query, named func(i int) bool) []string {
	ids := make([]string, len(qs))
	// The fingerprints first, on every CPU when there are many: libpg_query parses each
	// statement.
	fps := make([]string, len(qs))
	const chunk = 256
	workers := min(runtime.GOMAXPROCS(0), (len(qs)+chunk-1)/chunk)
	var wg sync.WaitGroup
	var next int
	var mu sync.Mutex
	for range max(workers, 1) {
		wg.Go(func() {
			for {
				mu.Lock()
				lo := next
				next += chunk
				mu.Unlock()
				if lo >= len(qs) {
					return
				}
				for i := lo; i < min(lo+chunk, len(qs)); i++ {
					if named(i) {
						continue
					}
					fps[i] = fingerprint(qs[i].SQL)
				}
			}
		})
	}
	wg.Wait()
	seen := make(map[string]int)
	for i := range qs {
		q := &qs[i]
		if named(i) {
			ids[i] = q.Name
			continue
		}
		id := fileKey(q.File) + " " + fps[i]
		seen[id]++
		if k := seen[id]; k > 1 {
			id += " #" + strconv.Itoa(k)
		}
		ids[i] = id
	}
	return ids
}

// fileKey is the part of an unnamed statement's identity that names its file: the
// file's name without its directory, with either kind of separator.
func fileKey(file string) string {
	return path.Base(filepath.ToSlash(strings.ReplaceAll(file, `\`, "/")))
}

// fingerprint is libpg_query's fingerprint of sql, or a hash of its normalised text when
// libpg_query cannot parse it.
func fingerprint(sql string) string {
	if fp, err := pgFingerprint(sql); err == nil {
		return "fp:" + hex16(fp)
	}
	h := fnv.New64a()
	h.Write([]byte(NormalizeSQL(sql)))
	return "text:" + hex16(h.Sum64())
}

func hex16(x uint64) string {
	s := strconv.FormatUint(x, 16)
	return strings.Repeat("0", 16-len(s)) + s
}

// groupOf is the identity of an unnamed statement without its " #K": the statements of
// one file whose SQL differs at most in whitespace, comments and constants.
func groupOf(id string) string {
	i := strings.LastIndex(id, " #")
	if i <= 0 || isNamedID(id) {
		return id
	}
	if _, err := strconv.ParseUint(id[i+2:], 10, 32); err != nil {
		return id
	}
	return id[:i]
}

// isNamedID reports whether id is a name rather than an unnamed statement's identity.
func isNamedID(id string) bool { return !strings.Contains(id, " ") }

// NormalizeSQL returns sql without its comments, with every run of whitespace between
// tokens made one space, unquoted keywords and identifiers lower-cased, and without a
// trailing semicolon: two statements with the same normal form are the same SQL. Text
// libpg_query cannot tokenise has only its whitespace normalised.
func NormalizeSQL(sql string) string {
	res, err := pgScan(sql)
	if err != nil || !utf8.ValidString(sql) {
		return strings.TrimSuffix(strings.Join(strings.Fields(sql), " "), ";")
	}
	var b strings.Builder
	b.Grow(len(sql))
	for _, tok := range res.Tokens {
		switch tok.Token {
		case pg_query.Token_SQL_COMMENT, pg_query.Token_C_COMMENT:
			continue
		}
		lo, hi := int(tok.Start), int(tok.End)
		if lo < 0 || hi > len(sql) || lo > hi {
			continue
		}
		text := sql[lo:hi]
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if tok.Token == pg_query.Token_IDENT || tok.KeywordKind != pg_query.KeywordKind_NO_KEYWORD {
			if !strings.HasPrefix(text, `"`) {
				text = strings.ToLower(text)
			}
		}
		b.WriteString(text)
	}
	return strings.TrimSuffix(b.String(), " ;")
}
