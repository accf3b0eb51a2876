package queries

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// mixedInput generates about size bytes of statements with dollar-quoted bodies,
// strings, comments and name annotations.
func mixedInput(size int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "-- name: q%d\nSELECT id, 'text; with '' quotes' AS s, \"Col\" FROM t%d WHERE a = $1 AND b::int > 3; -- trailing\n", i, i)
		case 1:
			fmt.Fprintf(&b, "CREATE FUNCTION f%d() RETURNS int LANGUAGE plpgsql AS $body$\nBEGIN\n  -- a comment; with a semicolon\n  RETURN (SELECT count(*) FROM t WHERE x = 'y;');\nEND\n$body$;\n", i)
		case 2:
			fmt.Fprintf(&b, "/* block comment ; */ INSERT INTO t%d (a, b) VALUES (1, E'esc\\'aped'), (2, 'plain');\n", i)
		default:
			fmt.Fprintf(&b, "UPDATE t SET v = v + 1 WHERE id IN (SELECT id FROM u WHERE name LIKE '%%x%%' ORDER BY id LIMIT 10);\n\n")
		}
	}
	return b.Bytes()
}

func BenchmarkSplit(b *testing.B) {
	src := mixedInput(8 << 20)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := Split(src, func(start, end int) bool { n++; return true }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	src := mixedInput(8 << 20)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("bench.sql", src, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLargeInputs(t *testing.T) {
	t.Run("10 MB single statement", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("SELECT 1")
		for b.Len() < 10<<20 {
			b.WriteString(" + 1 -- x\n   + length('a;b') + length($$c;d$$)")
		}
		b.WriteString(";")
		src := b.String()
		s, err := Parse("big.sql", []byte(src), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Statements) != 1 || s.Statements[0].SQL != src {
			t.Errorf("got %d statements, want 1 equal to the input", len(s.Statements))
		}
	})
	t.Run("a million statements", func(t *testing.T) {
		n := 1_000_000
		if testing.Short() {
			n = 100_000
		}
		src := bytes.Repeat([]byte("SELECT 1;\n"), n)
		s, err := Parse("many.sql", src, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Statements) != n {
			t.Fatalf("got %d statements, want %d", len(s.Statements), n)
		}
		last := s.Statements[n-1]
		if want := fmt.Sprintf("many.sql:%d", n); last.Name != want || last.SQL != "SELECT 1;" {
			t.Errorf("got last %q named %q, want %q named %q", last.SQL, last.Name, "SELECT 1;", want)
		}
	})
}

// BenchmarkHead reads the leading words of every statement of the benchmark input: two
// of each, as plan.Build reads first, and HeadWords: the cost of reading them again from
// the text instead of storing them while splitting (docs/BENCHMARKS.md, "One lexer").
func BenchmarkHead(b *testing.B) {
	sc, err := Parse("bench.sql", mixedInput(8<<20), Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{2, HeadWords} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var words []string
			b.ReportAllocs()
			for b.Loop() {
				for _, s := range sc.Statements {
					words, _ = s.Head(words[:0], n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(sc.Statements)), "ns/stmt")
		})
	}
}
