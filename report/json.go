package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/qrunhq/qrun/result"
)

// writeJSON writes r as json.MarshalIndent(r, "", "  ") would, with a trailing newline,
// but without HTML escaping (SQL keeps its < > &) and streamed: the queries of a
// report (and the reports of several targets) are encoded one at a time through a
// bufio.Writer, so 100,000 statements never sit in memory as one JSON document.
func writeJSON(w io.Writer, r *result.Report) error {
	s := newJSONStreamer(w)
	if err := s.value(reflect.ValueOf(r).Elem(), ""); err != nil {
		return err
	}
	s.bw.WriteByte('\n')
	return s.bw.Flush()
}

func writeComparisonsJSON(w io.Writer, cs []result.Comparison) error {
	if cs == nil {
		cs = []result.Comparison{}
	}
	s := newJSONStreamer(w)
	if err := s.value(reflect.ValueOf(cs), ""); err != nil {
		return err
	}
	s.bw.WriteByte('\n')
	return s.bw.Flush()
}

// jsonStreamer writes structs field by field and slices element by element, and hands
// every other value to a reused json.Encoder.
type jsonStreamer struct {
	bw  *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
}

func newJSONStreamer(w io.Writer) *jsonStreamer {
	s := &jsonStreamer{bw: bufio.NewWriterSize(w, 64<<10)}
	s.enc = json.NewEncoder(&s.buf)
	s.enc.SetEscapeHTML(false)
	return s
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

// value writes v, indented as if it started at indent.
func (s *jsonStreamer) value(v reflect.Value, indent string) error {
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
				s.bw.WriteByte(',')
			}
			s.bw.WriteByte('\n')
		}
		s.bw.WriteString(indent)
		s.bw.WriteByte(']')
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
		if hasOpt(opts, "omitempty") && isEmptyValue(fv) {
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
		if err := s.value(fv, inner); err != nil {
			return err
		}
	}
	if first {
		s.bw.WriteString("{}")
		return nil
	}
	s.bw.WriteByte('\n')
	s.bw.WriteString(indent)
	s.bw.WriteByte('}')
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
