package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"math"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/qrunhq/qrun/result"
)

// writeJSON writes r as json.MarshalIndent(r, "", "  ") would, with a trailing newline,
// but without HTML escaping (SQL keeps its < > &) and streamed: the queries of a
// report (and the reports of several targets) are encoded one at a time through a
// bufio.Writer, so 100,000 statements never sit in memory as one JSON document.
func writeJSON(w io.Writer, r *result.Report) error {
	return newJSONStreamer(w).document(reflect.ValueOf(r).Elem())
}

// WriteJSONChunks writes r as Write does in the json format, except that the queries
// come from n chunks instead of r.Queries (which is ignored), so that a caller can
// describe a long plan without holding every result.Query in memory (qrun --dry-run):
// chunk(i) yields the queries of chunk i, in order, each encoded before the next one is
// asked for, so the iterator may reuse it. Chunks are rendered on up to GOMAXPROCS
// goroutines at once (each chunk's iterator runs on one of them) and written in order,
// a few chunks ahead at most, so that the output is that of the chunks' queries one
// after the other. No queries make "queries": [].
func WriteJSONChunks(w io.Writer, r *result.Report, n int, chunk func(i int) iter.Seq[*result.Query]) error {
	if r == nil {
		return fmt.Errorf("report: nil report")
	}
	s := newJSONStreamer(w)
	s.chunks = &queryChunks{n: n, chunk: chunk}
	return s.document(reflect.ValueOf(r).Elem())
}

// queryChunks are the queries of WriteJSONChunks.
type queryChunks struct {
	n     int
	chunk func(i int) iter.Seq[*result.Query]
}

func writeComparisonsJSON(w io.Writer, cs []result.Comparison) error {
	if cs == nil {
		cs = []result.Comparison{}
	}
	return newJSONStreamer(w).document(reflect.ValueOf(cs))
}

// jsonStreamer writes structs field by field and slices element by element, and hands
// every other value to a reused json.Encoder.
type jsonStreamer struct {
	bw  *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
	// scratch is the reused buffer of appendQuery.
	scratch []byte
	// chunks, when set, replaces the Queries of the top-level report (WriteJSONChunks).
	chunks *queryChunks
}

func newJSONStreamer(w io.Writer) *jsonStreamer {
	s := &jsonStreamer{bw: bufio.NewWriterSize(w, 64<<10)}
	s.enc = json.NewEncoder(&s.buf)
	s.enc.SetEscapeHTML(false)
	return s
}

// document writes v as a whole JSON document: v, a newline, and everything flushed.
func (s *jsonStreamer) document(v reflect.Value) error {
	if err := s.value(v, ""); err != nil {
		return err
	}
	s.bw.WriteByte('\n')
	return s.bw.Flush()
}

// Only the containers of long lists are streamed: a report (its queries, its targets),
// a comparison (its rows) and slices of these. Everything else, a query included, is
// encoded whole by encoding/json, which keeps the cost per query low.
var (
	streamedStructs = map[reflect.Type]bool{
		reflect.TypeFor[result.Report]():     true,
		reflect.TypeFor[result.Comparison](): true,
	}
	streamedElems = map[reflect.Type]bool{
		reflect.TypeFor[result.Report]():        true,
		reflect.TypeFor[result.Comparison]():    true,
		reflect.TypeFor[result.Query]():         true,
		reflect.TypeFor[result.ComparisonRow](): true,
	}
)

var (
	queryType  = reflect.TypeFor[result.Query]()
	reportType = reflect.TypeFor[result.Report]()
)

// value writes v, indented as if it started at indent.
func (s *jsonStreamer) value(v reflect.Value, indent string) error {
	if v.Type() == queryType {
		// The hot path: a report holds one per unit. appendQuery writes what
		// encoding/json would, without reflection or a second pass to indent.
		var q *result.Query
		if v.CanAddr() {
			q = v.Addr().Interface().(*result.Query)
		} else {
			c := v.Interface().(result.Query)
			q = &c
		}
		return s.query(q, indent)
	}
	switch {
	case v.Kind() == reflect.Struct && streamedStructs[v.Type()]:
		return s.object(v, indent)
	case v.Kind() == reflect.Slice && v.Len() > 0 && streamedElems[v.Type().Elem()]:
		inner := indent + "  "
		s.bw.WriteString("[\n")
		for i := 0; i < v.Len(); i++ {
			s.bw.WriteString(inner)
			if err := s.value(v.Index(i), inner); err != nil {
				return err
			}
			if i < v.Len()-1 {
				s.bw.WriteString(",\n")
			}
		}
		s.end(indent, ']')
		return nil
	}
	s.buf.Reset()
	s.enc.SetIndent(indent, "  ")
	if err := s.enc.Encode(v.Interface()); err != nil {
		return fmt.Errorf("report: json: %w", err)
	}
	s.bw.Write(bytes.TrimSuffix(s.buf.Bytes(), []byte{'\n'}))
	return nil
}

// object writes a struct of package result with its JSON tags, in field order,
// honouring omitempty as encoding/json does.
func (s *jsonStreamer) object(v reflect.Value, indent string) error {
	t := v.Type()
	inner := indent + "  "
	first := true
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fv := v.Field(i)
		stream := s.chunks != nil && t == reportType && f.Name == "Queries"
		if !stream && hasOpt(opts, "omitempty") && isEmptyValue(fv) {
			continue
		}
		if first {
			s.bw.WriteString("{\n")
			first = false
		} else {
			s.bw.WriteString(",\n")
		}
		s.bw.WriteString(inner)
		s.buf.Reset()
		s.enc.SetIndent("", "")
		s.enc.Encode(name) // a Go identifier or tag: cannot fail
		s.bw.Write(bytes.TrimSuffix(s.buf.Bytes(), []byte{'\n'}))
		s.bw.WriteString(": ")
		if stream {
			chunks := s.chunks
			s.chunks = nil // only the top-level report's
			if err := s.queryChunks(chunks, inner); err != nil {
				return err
			}
			continue
		}
		if err := s.value(fv, inner); err != nil {
			return err
		}
	}
	if first {
		s.bw.WriteString("{}")
		return nil
	}
	s.end(indent, '}')
	return nil
}

func hasOpt(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

// isEmptyValue is encoding/json's definition of empty for omitempty.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64,
		reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// end closes a non-empty object or array (closer is '}' or ']') on a line of its own at
// indent.
func (s *jsonStreamer) end(indent string, closer byte) {
	s.bw.WriteByte('\n')
	s.bw.WriteString(indent)
	s.bw.WriteByte(closer)
}

// query writes q, indented as if it started at indent.
func (s *jsonStreamer) query(q *result.Query, indent string) error {
	var err error
	s.scratch, err = appendQuery(s.scratch[:0], q, indent)
	if err != nil {
		return fmt.Errorf("report: json: %w", err)
	}
	s.bw.Write(s.scratch)
	return nil
}

// queryChunks writes the queries of c as one JSON array,
// rendering chunks concurrently and writing them in order.
func (s *jsonStreamer) queryChunks(c *queryChunks, indent string) error {
	inner := deeper(indent)
	workers := min(runtime.GOMAXPROCS(0), c.n)
	ahead := 2 * workers // chunks being rendered or waiting to be written, at most
	type rendered struct {
		b   []byte
		err error
	}
	results := make([]chan rendered, c.n)
	for i := range results {
		results[i] = make(chan rendered, 1)
	}
	tokens := make(chan struct{}, ahead)
	free := make(chan []byte, ahead)
	stop := make(chan struct{})
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				select {
				case tokens <- struct{}{}:
				case <-stop:
					return
				}
				i := int(next.Add(1)) - 1
				if i >= c.n {
					return
				}
				var b []byte
				select {
				case b = <-free:
				default:
					b = make([]byte, 0, 64<<10)
				}
				b, err := appendQueryElems(b[:0], c.chunk(i), inner)
				results[i] <- rendered{b, err}
			}
		})
	}
	defer func() {
		close(stop)
		wg.Wait()
	}()
	empty := true
	for i := range c.n {
		r := <-results[i]
		if r.err != nil {
			return fmt.Errorf("report: json: %w", r.err)
		}
		if len(r.b) > 0 {
			if empty {
				// The first element opens the array instead of following a comma.
				s.bw.WriteByte('[')
				r.b = r.b[1:]
				empty = false
			}
			s.bw.Write(r.b)
		}
		select {
		case free <- r.b[:0]:
		default:
		}
		<-tokens
	}
	if empty {
		s.bw.WriteString("[]")
		return nil
	}
	s.end(indent, ']')
	return nil
}

// appendQueryElems appends the queries of seq as elements of an array at indent
// (inner is indent + "  "), each after ",\n" and inner.
func appendQueryElems(b []byte, seq iter.Seq[*result.Query], inner string) ([]byte, error) {
	var err error
	for q := range seq {
		b = append(b, ',', '\n')
		b = append(b, inner...)
		if b, err = appendQuery(b, q, inner); err != nil {
			return b, err
		}
	}
	return b, nil
}

// jsonObject appends the members of one JSON object as json.MarshalIndent lays them
// out: each member on a line of its own at indent + "  ", the closing brace at indent.
type jsonObject struct {
	b      []byte
	indent string
	n      int
}

// key starts a member.
func (o *jsonObject) key(k string) {
	if o.n == 0 {
		o.b = append(o.b, '{', '\n')
	} else {
		o.b = append(o.b, ',', '\n')
	}
	o.n++
	o.b = append(o.b, o.indent...)
	o.b = append(o.b, ' ', ' ', '"')
	o.b = append(o.b, k...) // keys are plain ASCII tags
	o.b = append(o.b, '"', ':', ' ')
}

func (o *jsonObject) str(k, v string) {
	o.key(k)
	o.b = appendJSONString(o.b, v)
}

func (o *jsonObject) int(k string, v int64) {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
}

func (o *jsonObject) float(k string, v float64) error {
	o.key(k)
	var err error
	o.b, err = appendJSONFloat(o.b, v)
	return err
}

// end closes the object ("{}" when it has no members).
func (o *jsonObject) end() []byte {
	if o.n == 0 {
		return append(o.b, '{', '}')
	}
	o.b = append(o.b, '\n')
	o.b = append(o.b, o.indent...)
	return append(o.b, '}')
}

// appendQuery appends q as json.MarshalIndent(q, indent, "  ") would without HTML
// escaping (the first line without the prefix, as json.Encoder writes it), following
// the tags of result.Query: TestAppendQueryMatchesEncodingJSON checks it against
// encoding/json on random queries with every field set.
func appendQuery(b []byte, q *result.Query, indent string) ([]byte, error) {
	o := jsonObject{b: b, indent: indent}
	o.str("name", q.Name)
	if q.ID != "" {
		o.str("id", q.ID)
	}
	o.str("file", q.File)
	o.int("line", int64(q.Line))
	o.int("col", int64(q.Col))
	o.str("sql", q.SQL)
	if q.Stage != "" {
		o.str("stage", q.Stage)
	}
	if q.StageIndex != 0 {
		o.int("stage_index", int64(q.StageIndex))
	}
	// Every array of a query is laid out by appendElem and appendArrayEnd, its closing
	// bracket at inner and its elements one level deeper.
	inner := deeper(indent)
	if len(q.After) > 0 {
		o.key("after")
		for i, a := range q.After {
			o.b = appendJSONString(appendElem(o.b, i, inner), a)
		}
		o.b = appendArrayEnd(o.b, inner)
	}
	if len(q.Deps) > 0 {
		o.key("deps")
		for i, d := range q.Deps {
			do := jsonObject{b: appendElem(o.b, i, inner), indent: deeper(inner)}
			do.str("after", d.After)
			do.str("reason", d.Reason)
			o.b = do.end()
		}
		o.b = appendArrayEnd(o.b, inner)
	}
	o.str("status", string(q.Status))
	if q.Reason != "" {
		o.str("reason", q.Reason)
	}
	if err := o.float("wall_ms", q.WallMs); err != nil {
		return nil, err
	}
	if err := o.float("wait_ms", q.WaitMs); err != nil {
		return nil, err
	}
	o.int("rows", q.Rows)
	if q.Command != "" {
		o.str("command", q.Command)
	}
	if err := o.float("start_ms", q.StartMs); err != nil {
		return nil, err
	}
	if err := o.float("end_ms", q.EndMs); err != nil {
		return nil, err
	}
	if q.Attempts != 0 {
		o.int("attempts", int64(q.Attempts))
	}
	if q.Conn != 0 {
		o.int("conn", int64(q.Conn))
	}
	if q.Target != "" {
		o.str("target", q.Target)
	}
	if e := q.Error; e != nil {
		o.key("error")
		eo := jsonObject{b: o.b, indent: inner}
		if e.SQLState != "" {
			eo.str("sqlstate", e.SQLState)
		}
		eo.str("message", e.Message)
		if e.Detail != "" {
			eo.str("detail", e.Detail)
		}
		if e.Hint != "" {
			eo.str("hint", e.Hint)
		}
		if e.Position != "" {
			eo.str("position", e.Position)
		}
		o.b = eo.end()
	}
	if len(q.RunsMs) > 0 {
		o.key("runs_ms")
		for i, x := range q.RunsMs {
			o.b = appendElem(o.b, i, inner)
			var err error
			if o.b, err = appendJSONFloat(o.b, x); err != nil {
				return nil, err
			}
		}
		o.b = appendArrayEnd(o.b, inner)
	}
	if len(q.RunsStatus) > 0 {
		o.key("runs_status")
		for i, st := range q.RunsStatus {
			o.b = appendElem(o.b, i, inner)
			o.b = appendJSONString(o.b, string(st))
		}
		o.b = appendArrayEnd(o.b, inner)
	}
	if st := q.Stats; st != nil {
		o.key("stats")
		so := jsonObject{b: o.b, indent: inner}
		so.int("n", int64(st.N))
		for _, f := range [...]struct {
			k string
			v float64
		}{
			{"min_ms", st.MinMs}, {"p50_ms", st.P50Ms}, {"p90_ms", st.P90Ms}, {"p95_ms", st.P95Ms},
			{"p99_ms", st.P99Ms}, {"max_ms", st.MaxMs}, {"mean_ms", st.MeanMs}, {"stddev_ms", st.StddevMs},
		} {
			if err := so.float(f.k, f.v); err != nil {
				return nil, err
			}
		}
		so.int("errors", int64(st.Errors))
		o.b = so.end()
	}
	if ss := q.ServerStats; ss != nil {
		// The embedded struct's members sit in the query's object, as encoding/json
		// promotes them: encode it alone and splice its members in.
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent(indent, "  ")
		if err := enc.Encode(ss); err != nil {
			return nil, err
		}
		body := bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
		if len(body) > 2 { // not "{}"
			body = bytes.TrimSuffix(body[2:], []byte(indent+"}"))
			body = bytes.TrimSuffix(body, []byte{'\n'})
			if o.n == 0 {
				o.b = append(o.b, '{', '\n')
			} else {
				o.b = append(o.b, ',', '\n')
			}
			o.n++
			o.b = append(o.b, body...)
		}
	}
	if len(q.Statements) > 0 {
		o.key("statements")
		for i := range q.Statements {
			var err error
			if o.b, err = appendQuery(appendElem(o.b, i, inner), &q.Statements[i], deeper(inner)); err != nil {
				return nil, err
			}
		}
		o.b = appendArrayEnd(o.b, inner)
	}
	return o.end(), nil
}

// indentSpaces backs the indentation strings of deeper.
const indentSpaces = "                                                                "

// deeper returns indent + "  ", without allocating when indent is made of spaces (as
// every indentation of a report is).
func deeper(indent string) string {
	if n := len(indent) + 2; n <= len(indentSpaces) && indent == indentSpaces[:len(indent)] {
		return indentSpaces[:n]
	}
	return indent + "  "
}

// appendJSONFloat appends f as encoding/json encodes a float64 (ES6 number
// formatting); like encoding/json it rejects NaN and infinities.
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if f == 0 && !math.Signbit(f) {
		return append(b, '0'), nil // the times of every planned query
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, &json.UnsupportedValueError{Value: reflect.ValueOf(f), Str: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// load64 reads s[i:i+8] as a little-endian word (the compiler makes it one load).
func load64(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// needsLook reports whether one of the eight bytes of x is not jsonSafe: a control
// byte (< 0x20), '"', '\\' or a byte of a multi-byte rune (>= 0x80). Each test is the
// classic "has a byte less than n" (or "has a zero byte" of x xor a byte) trick, exact
// for whether any byte matches.
func needsLook(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := x ^ ('"' * ones)
	bs := x ^ ('\\' * ones)
	return ((x-0x20*ones)|(q-ones)|(bs-ones)|x)&highs != 0
}

// jsonSafe marks the ASCII bytes that encoding/json writes as they are when it does not
// escape HTML: everything from 0x20 up but '"' and '\\'.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json does with SetEscapeHTML(false):
// invalid UTF-8 becomes \ufffd, and U+2028 and U+2029 are escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while none of them needs a look: SQL is mostly plain
		// ASCII.
		for i+8 <= len(s) && !needsLook(load64(s, i)) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendElem starts element i of a non-empty array whose closing bracket is indented
// by indent: "[" before the first element, "," between them, each on its own line.
func appendElem(b []byte, i int, indent string) []byte {
	if i == 0 {
		b = append(b, '[')
	} else {
		b = append(b, ',')
	}
	b = append(b, '\n')
	b = append(b, indent...)
	return append(b, ' ', ' ')
}

// appendArrayEnd closes a non-empty array begun by appendElem.
func appendArrayEnd(b []byte, indent string) []byte {
	b = append(b, '\n')
	b = append(b, indent...)
	return append(b, ']')
}
