package report

import (
	"bytes"
	"encoding/json"
	"io"
	"iter"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/qrunhq/qrun/result"
)

// encodeStd is what writeJSON promises to match: json.MarshalIndent with two spaces and
// no HTML escaping, the first line without the prefix (as json.Encoder writes it).
func encodeStd(t testing.TB, v any, prefix string) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
}

// tricky strings for the escaper: quotes, backslashes, control bytes, HTML, DEL,
// invalid UTF-8, U+2028/2029, multi-byte runes.
var trickyStrings = []string{
	"", "a", `"`, `\`, "\b\f\n\r\t", "\x00\x01\x1f\x7f", "<script>&amp;</script>",
	"\xff", "a\xc3", "\xe2\x80\xa8\xe2\x80\xa9", "ünïcödé ✓ 😀", "SELECT 'x' || E'\\n';",
	"\xed\xa0\x80", "$$ body $$", "a\u2028b\u2029c\u2027",
}

func randString(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return trickyStrings[r.IntN(len(trickyStrings))]
	}
	n := r.IntN(12)
	b := make([]byte, n)
	for i := range b {
		switch r.IntN(4) {
		case 0:
			b[i] = byte(r.IntN(256))
		default:
			b[i] = byte(0x20 + r.IntN(0x60))
		}
	}
	return string(b)
}

var specialFloats = []float64{0, 1, -1, 0.5, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 123456789.123, -2.5e-9, 1e300, math.SmallestNonzeroFloat64, math.MaxFloat64, 3.14159}

func randFloat(r *rand.Rand) float64 {
	switch r.IntN(3) {
	case 0:
		return specialFloats[r.IntN(len(specialFloats))]
	case 1:
		return r.NormFloat64() * math.Pow(10, float64(r.IntN(40)-20))
	}
	return float64(r.IntN(100000)) / 1000
}

// fill sets v (and everything under it) to random values, by reflection, so that a field
// added to result.Query later is covered without changing this test. Zero values come
// up often enough to exercise omitempty.
func fill(r *rand.Rand, v reflect.Value, depth int) {
	if r.IntN(4) == 0 {
		v.SetZero()
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(randString(r))
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x := int64(r.IntN(2000) - 1000)
		if r.IntN(5) == 0 {
			x = r.Int64() >> (64 - v.Type().Bits())
		}
		v.SetInt(x)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(r.IntN(1000)))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(randFloat(r))
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(r, p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		if v.Type().Elem() == reflect.TypeFor[result.Query]() && depth > 3 {
			v.SetZero()
			return
		}
		n := r.IntN(4)
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			fill(r, s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(r.Int64N(1<<31), r.Int64N(1e9)).UTC()))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(r, v.Field(i), depth+1)
			}
		}
	}
}

func TestAppendQueryMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		var q result.Query
		fill(r, reflect.ValueOf(&q).Elem(), 0)
		indent := strings.Repeat(" ", 2*r.IntN(4))
		want := encodeStd(t, &q, indent)
		got, err := appendQuery(nil, &q, indent)
		if err != nil {
			t.Fatalf("query %d: appendQuery: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("query %d (indent %q): appendQuery differs from encoding/json\ngot:\n%s\nwant:\n%s", i, indent, got, want)
		}
	}
}

// TestAppendQueryEveryField makes sure the random queries above can reach every field:
// a query with every field set encodes as encoding/json does.
func TestAppendQueryEveryField(t *testing.T) {
	var q result.Query
	var set func(v reflect.Value, depth int)
	set = func(v reflect.Value, depth int) {
		switch v.Kind() {
		case reflect.String:
			v.SetString("s\"<\n")
		case reflect.Int, reflect.Int64:
			v.SetInt(7)
		case reflect.Float64:
			v.SetFloat(1.5e-7)
		case reflect.Bool:
			v.SetBool(true)
		case reflect.Pointer:
			p := reflect.New(v.Type().Elem())
			set(p.Elem(), depth+1)
			v.Set(p)
		case reflect.Slice:
			if depth > 1 {
				return
			}
			s := reflect.MakeSlice(v.Type(), 2, 2)
			set(s.Index(0), depth+1)
			set(s.Index(1), depth+1)
			v.Set(s)
		case reflect.Struct:
			for i := range v.NumField() {
				set(v.Field(i), depth+1)
			}
		default:
			t.Fatalf("result.Query has a field of kind %s that this test (and appendQuery) do not know", v.Kind())
		}
	}
	set(reflect.ValueOf(&q).Elem(), 0)
	want := encodeStd(t, &q, "  ")
	got, err := appendQuery(nil, &q, "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("appendQuery differs from encoding/json\ngot:\n%s\nwant:\n%s", got, want)
	}
}

func TestAppendQueryRejectsNaN(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		q := result.Query{Name: "a", WallMs: f}
		if _, err := appendQuery(nil, &q, ""); err == nil {
			t.Errorf("WallMs %v: got no error, want encoding/json's unsupported value", f)
		}
		var buf bytes.Buffer
		if err := writeJSON(&buf, &result.Report{Queries: []result.Query{q}}); err == nil {
			t.Errorf("WallMs %v: writeJSON got no error", f)
		}
	}
}

// TestWriteJSONMatchesEncodingJSON checks whole random reports (several targets and
// comparisons included) against json.MarshalIndent without HTML escaping.
func TestWriteJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		var rep result.Report
		fill(r, reflect.ValueOf(&rep).Elem(), 0)
		want := append(encodeStd(t, &rep, ""), '\n')
		var got bytes.Buffer
		if err := writeJSON(&got, &rep); err != nil {
			t.Fatalf("report %d: %v", i, err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("report %d: writeJSON differs from encoding/json\ngot:\n%s\nwant:\n%s", i, got.Bytes(), want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendJSONString(nil, s)
		want := encodeStd(t, s, "")
		if !bytes.Equal(got, want) {
			t.Fatalf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}

func FuzzAppendJSONFloat(f *testing.F) {
	for _, x := range specialFloats {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		got, err := appendJSONFloat(nil, x)
		if err != nil {
			t.Fatal(err)
		}
		if want := encodeStd(t, x, ""); !bytes.Equal(got, want) {
			t.Fatalf("appendJSONFloat(%v) = %s, want %s", x, got, want)
		}
	})
}

// TestAppendJSONStringWords checks the eight-bytes-at-a-time scan of appendJSONString:
// every byte that needs escaping, at every offset of strings around the word size.
func TestAppendJSONStringWords(t *testing.T) {
	specials := []string{"\"", "\\", "\x00", "\x1f", "\n", "\x7f", "é", "\u2028", "\xff", " ", "~", "!", "#", "[", "]"}
	for n := 0; n <= 24; n++ {
		for at := 0; at < n; at++ {
			for _, sp := range specials {
				s := strings.Repeat("a", at) + sp + strings.Repeat("b", n-at)
				if got, want := appendJSONString(nil, s), encodeStd(t, s, ""); !bytes.Equal(got, want) {
					t.Fatalf("appendJSONString(%q) = %s, want %s", s, got, want)
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	alphabet := []byte("ab \"\\\x01\x1f\x20\x21\x5b\x5d\x7f\x80\xc3\xa9\xe2\x80\xa8\xff;")
	for range 20000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		s := string(b)
		if got, want := appendJSONString(nil, s), encodeStd(t, s, ""); !bytes.Equal(got, want) {
			t.Fatalf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}

// TestWriteJSONChunks checks that rendering the queries in chunks, concurrently, writes
// what writeJSON writes, whatever the chunks (empty ones too), and that an error in a
// chunk is returned.
func TestWriteJSONChunks(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for i := range 200 {
		var rep result.Report
		fill(r, reflect.ValueOf(&rep).Elem(), 0)
		rep.Targets, rep.Comparison = nil, nil
		if rep.Queries == nil {
			rep.Queries = []result.Query{}
		}
		for range r.IntN(50) {
			var q result.Query
			fill(r, reflect.ValueOf(&q).Elem(), 1)
			rep.Queries = append(rep.Queries, q)
		}
		var want bytes.Buffer
		if err := writeJSON(&want, &rep); err != nil {
			t.Fatal(err)
		}
		qs := rep.Queries
		// Random chunk boundaries, some chunks empty.
		bounds := []int{0}
		for bounds[len(bounds)-1] < len(qs) || r.IntN(3) == 0 {
			bounds = append(bounds, min(len(qs), bounds[len(bounds)-1]+r.IntN(4)))
			if len(bounds) > 200 {
				break
			}
		}
		bounds[len(bounds)-1] = len(qs)
		hdr := rep
		hdr.Queries = nil
		var got bytes.Buffer
		err := WriteJSONChunks(&got, &hdr, len(bounds)-1, func(c int) iter.Seq[*result.Query] {
			return func(yield func(*result.Query) bool) {
				var scratch result.Query // reused, as the dry run does
				for _, q := range qs[bounds[c]:bounds[c+1]] {
					scratch = q
					if !yield(&scratch) {
						return
					}
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("report %d (chunks %v): WriteJSONChunks differs from writeJSON\ngot:\n%s\nwant:\n%s", i, bounds, got.Bytes(), want.Bytes())
		}
	}
	// A NaN in the fifth of ten chunks fails the write, as a NaN fails writeJSON.
	err := WriteJSONChunks(io.Discard, &result.Report{}, 10, func(c int) iter.Seq[*result.Query] {
		return func(yield func(*result.Query) bool) {
			q := result.Query{Name: "q"}
			if c == 4 {
				q.WallMs = math.NaN()
			}
			yield(&q)
		}
	})
	if err == nil {
		t.Fatal("WriteJSONChunks with a NaN: got no error")
	}
}
