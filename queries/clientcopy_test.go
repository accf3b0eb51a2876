package queries

import (
	"strings"
	"testing"
	"unsafe"
)

// TestStatementSize64 keeps a Statement at 64 bytes: a million of them are loaded at once.
func TestStatementSize64(t *testing.T) {
	if n := unsafe.Sizeof(Statement{}); n != 64 {
		t.Errorf("got a %d-byte Statement, want 64", n)
	}
}

func TestOnErrorRollback(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		src  string
		want []bool // per statement
		err  string
	}{
		{name: "unset", src: "SELECT 1;", want: []bool{false}},
		{name: "from -v", vars: map[string]string{"ON_ERROR_ROLLBACK": "on"}, src: "SELECT 1;", want: []bool{true}},
		{
			name: "set and unset in the file",
			src:  "SELECT 1;\n\\set ON_ERROR_ROLLBACK on\nSELECT 2;\n\\set ON_ERROR_ROLLBACK OFF\nSELECT 3;\n\\set ON_ERROR_ROLLBACK t\nSELECT 4;\n\\unset ON_ERROR_ROLLBACK\nSELECT 5;\n",
			want: []bool{false, true, false, true, false},
		},
		{
			name: "interactive is off in a script",
			src:  "\\set ON_ERROR_ROLLBACK interactive\nSELECT 1;\n\\set ON_ERROR_ROLLBACK 1\nSELECT 2;\n",
			want: []bool{false, true},
		},
		{
			name: "the value when the statement ends",
			src:  "SELECT\n\\set ON_ERROR_ROLLBACK on\n1;\n",
			want: []bool{true},
		},
		{name: "a value psql rejects", src: "\\set ON_ERROR_ROLLBACK o\nSELECT 1;\n", err: `t.sql:1:1: \set: unrecognized value "o" for "ON_ERROR_ROLLBACK": available values are on, off, interactive`},
		{name: "empty", src: "\\set ON_ERROR_ROLLBACK\nSELECT 1;\n", err: `unrecognized value "" for "ON_ERROR_ROLLBACK"`},
		{name: "rejected from -v", vars: map[string]string{"ON_ERROR_ROLLBACK": "perhaps"}, src: "SELECT 1;", err: `unrecognized value "perhaps"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.sql", []byte(tt.src), Options{Vars: tt.vars})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Statements) != len(tt.want) {
				t.Fatalf("got %d statements, want %d", len(s.Statements), len(tt.want))
			}
			for i, st := range s.Statements {
				if st.OnErrorRollback != tt.want[i] {
					t.Errorf("statement %d (%q): got OnErrorRollback %v, want %v", i, st.SQL, st.OnErrorRollback, tt.want[i])
				}
			}
		})
	}
}

func TestSlashBool(t *testing.T) {
	for _, v := range []string{"on", "ON", "t", "tr", "true", "y", "yes", "1"} {
		if val, ok := slashBool(v); !ok || !val {
			t.Errorf("slashBool(%q): got %v %v, want true", v, val, ok)
		}
	}
	for _, v := range []string{"off", "of", "f", "FALSE", "n", "no", "0"} {
		if val, ok := slashBool(v); !ok || val {
			t.Errorf("slashBool(%q): got %v %v, want false", v, val, ok)
		}
	}
	for _, v := range []string{"", "o", "onn", "truee", "2", "yess", "nope"} {
		if _, ok := slashBool(v); ok {
			t.Errorf("slashBool(%q): got valid, want invalid", v)
		}
	}
}
