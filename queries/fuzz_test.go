package queries

import (
	"bytes"
	"testing"
)

// splitSeeds has one input per lexer state and meta-command path.
var splitSeeds = []string{
	"SELECT 1; SELECT 2",                                     // plain
	"SELECT 'a;''b' ;",                                       // standard string
	"SELECT E'\\';' ;",                                       // escape string
	"SELECT U&'\\' UESCAPE '!'; U&\"x\"",                     // unicode string and identifier
	"SELECT \"a\"\";\";",                                     // quoted identifier
	"SELECT $t$ $$ ; $t$; $1; a$b$",                          // dollar quotes, parameters
	"SELECT /* /* ; */ */ 1; -- ;\n",                         // comments
	"CREATE FUNCTION f() BEGIN ATOMIC ; END",                 // begin atomic
	"SELECT (1;2);;",                                         // parentheses, lone semicolon
	"\\set x 'a;b'\nSELECT :x, :'x', :\"x\" \\; \\g\n",       // meta-commands and variables
	"COPY t FROM STDIN;\n1\n\\.\n",                           // copy data
	"SET standard_conforming_strings = off;\nSELECT '\\';';", // scs off
	"SELECT 'unterminated",
	"\\copy t from stdin\n1\n\\.\nSELECT 1;\n\\copy (select ';') to 'x' csv\n", // \copy
	"SELECT 1 -- c\r; SELECT 2;",                                                          // comment ends at CR
	"\xef\xbb\xbfSELECT 1;",                                                               // byte order mark
	"COPY \"Q N\" (a) FROM stdin;\n1\n\\.\n",                                              // quoted name, column list
	"\\if false\nSELECT 1\n\\elif :{?x}\n;\n\\else\n(\n\\endif\n;",                        // conditionals at load time
	"SELECT 1 AS a \\gset p_\n\\if :p_a\nSELECT :p_a;\n\\endif\n",                         // run-time variables and \if
	"SELECT 'SELECT 1' \\gexec\n\\echo -n :ROW_COUNT :'DBNAME'\n\\warn w",                 // \gexec, built-ins, \echo
	"\\getenv h HOME\n\\setenv A b\n\\o /tmp/x\nSELECT :'h' \\r\n\\g",                     // environment, \o, \r, resend
	"\\set ON_ERROR_STOP on\n\\q\nSELECT 1;",                                              // ON_ERROR_STOP, \q
	"SELECT 1\n\\lo_import 'f' 'c'\n;\n\\lo_export :LASTOID g\n\\lo_unlink 1\n\\lo_list+", // large objects
	"\\encoding LATIN1\nSELECT 'caf\xe9';\n\\encoding UTF8\n",                             // \encoding
	"SELECT 0\\; COPY a FROM STDIN\\; COPY b FROM STDIN;\n1\n\\.\n2\n\\.\n",               // several COPY FROM STDIN
	"\\echo only\n\\qecho q\n",                                                            // meta-commands only
}

// onlyBlank reports whether b holds only whitespace and -- comments.
func onlyBlank(b []byte) bool {
	for i := 0; i < len(b); {
		switch {
		case class[b[i]] == cSpace || b[i] == '\n':
			i++
		case b[i] == '-' && i+1 < len(b) && b[i+1] == '-':
			k := bytes.IndexByte(b[i:], '\n')
			if k < 0 {
				return true
			}
			i += k
		default:
			return false
		}
	}
	return true
}

func FuzzSplit(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		simple := bytes.IndexByte(src, '\\') < 0 && !bytes.Contains(bytes.ToLower(src), []byte("copy"))
		hasCopy := bytes.Contains(bytes.ToLower(src), []byte("copy"))
		prev, prevStart := 0, 0
		if bytes.HasPrefix(src, utf8BOM) {
			prev, prevStart = len(utf8BOM), len(utf8BOM) // psql skips it
		}
		err := Split(src, func(start, end int) bool {
			// A statement on the rest of a COPY line is read after the COPY's data, as
			// psql does, so only its start is in order.
			if start < prevStart || start < prev && !hasCopy || end < start || end > len(src) {
				t.Fatalf("span [%d,%d) after %d in input of %d bytes", start, end, prev, len(src))
			}
			prevStart = start
			if simple && !onlyBlank(src[prev:start]) {
				t.Fatalf("gap %q before span [%d,%d) is not blank", src[prev:start], start, end)
			}
			prev = end
			return true
		})
		if err == nil && simple && !onlyBlank(src[prev:]) {
			t.Fatalf("tail %q is not blank", src[prev:])
		}
		s, perr := Parse("f.sql", src, Options{Vars: map[string]string{"x": "1;'"}})
		if perr != nil {
			return
		}
		end := 0
		if bytes.HasPrefix(src, utf8BOM) {
			end = len(utf8BOM)
		}
		for _, st := range s.Statements {
			if st.Start() < 0 || st.End() > len(src) || st.Start() > st.End() || st.Pos().Offset < st.Start() {
				t.Fatalf("bad span [%d,%d) pos %v in %d bytes", st.Start(), st.End(), st.Pos(), len(src))
			}
			if simple {
				if st.Start() != end {
					t.Fatalf("got Start %d, want %d (previous End)", st.Start(), end)
				}
				if !bytes.Contains(src[st.Start():st.End()], []byte(st.SQL)) && !bytes.Contains(src, []byte(":x")) && !bytes.Contains(src, []byte("\n\n")) && !bytes.Contains(src, []byte(":'x'")) && !bytes.Contains(src, []byte(":\"x\"")) && !bytes.Contains(src, []byte(":{?")) {
					t.Fatalf("SQL %q is not within its span %q", st.SQL, src[st.Start():st.End()])
				}
			}
			end = st.End()
			checkCommands(t, st)
			for i := 1; i <= len(st.SQL)+1; i++ {
				_ = st.PosOf(i)
			}
		}
		// Run the script's meta-commands as the runner would, every \gset getting the
		// row ("1;'", NULL): values that would change a split must fail, not panic.
		state := NewState(nil)
		state.NoFiles() // a \o of the input would create any file
		for _, st := range s.Statements {
			send, err := st.Prepare(state)
			if err == nil && send.Skip == "" && send.Gset {
				_ = state.Gset(send.Prefix, []string{"x", "y"}, [][]byte{[]byte("1;'"), nil}, 1)
			}
			state.Succeeded("SELECT 1")
			_ = st.Finish(state)
		}
	})
}

func FuzzAnnotations(f *testing.F) {
	for _, s := range []string{" name: a", " name: a :one", " stage: x y", " after: a, b", " after: ,", " name:", " other: x", "name:a b c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		kind, vals, msg := parseAnnotation(text)
		if bytes.ContainsAny([]byte(text), "\n\r\x00") {
			return
		}
		s, err := Parse("a.sql", []byte("--"+text+"\nSELECT 1;"), Options{})
		if msg != "" {
			if err == nil {
				t.Fatalf("parseAnnotation(%q) failed with %q but Parse succeeded", text, msg)
			}
			return
		}
		if err != nil {
			return // for example invalid UTF-8
		}
		st := s.Statements[0]
		switch kind {
		case annName:
			if !st.Named || st.Name != vals[0] {
				t.Fatalf("got name %q (named %v), want %q", st.Name, st.Named, vals[0])
			}
		case annStage:
			if st.Stage() != vals[0] || st.StageIndex() != 1 {
				t.Fatalf("got stage %q/%d, want %q/1", st.Stage(), st.StageIndex(), vals[0])
			}
		case annAfter:
			if len(st.After()) != len(vals) {
				t.Fatalf("got after %q, want %q", st.After(), vals)
			}
		default:
			if st.Named || st.Stage() != "" || st.After() != nil {
				t.Fatalf("plain comment %q annotated the statement", text)
			}
		}
	})
}
