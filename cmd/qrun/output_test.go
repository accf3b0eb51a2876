package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteOutput(t *testing.T) {
	errRender := errors.New("render failed")
	tests := []struct {
		name      string
		old       string // existing content of the file; "" for none
		render    func(io.Writer) error
		wantFile  string
		wantError error
	}{
		{"new file", "", func(w io.Writer) error { _, err := io.WriteString(w, "report\n"); return err }, "report\n", nil},
		{"replaces a file", "old report\n", func(w io.Writer) error { _, err := io.WriteString(w, "new\n"); return err }, "new\n", nil},
		{"failure keeps the old file", "old report\n", func(w io.Writer) error {
			io.WriteString(w, "half a rep")
			return errRender
		}, "old report\n", errRender},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "report.json")
			if tt.old != "" {
				if err := os.WriteFile(path, []byte(tt.old), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var stdout bytes.Buffer
			err := writeOutput(&Env{Out: &stdout}, path, tt.render)
			if !errors.Is(err, tt.wantError) {
				t.Errorf("got error %v, want %v", err, tt.wantError)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tt.wantFile {
				t.Errorf("file holds %q, want %q", got, tt.wantFile)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout got %q, want nothing", stdout.String())
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("directory holds %d entries, want 1 (no temporary file left)", len(entries))
			}
			if fi, err := os.Stat(path); err == nil && fi.Mode().Perm() != 0o644 {
				t.Errorf("file mode %v, want 0644", fi.Mode().Perm())
			}
		})
	}
}

func TestWriteOutputStdoutAndDevices(t *testing.T) {
	for _, path := range []string{"", "-", os.DevNull} {
		t.Run(fmt.Sprintf("%q", path), func(t *testing.T) {
			var stdout bytes.Buffer
			if err := writeOutput(&Env{Out: &stdout}, path, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }); err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			want := "x"
			if path == os.DevNull {
				want = ""
				if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode().IsRegular() {
					t.Errorf("%s: got mode %v, %v; want it left a device", os.DevNull, fi.Mode(), err)
				}
			}
			if stdout.String() != want {
				t.Errorf("stdout got %q, want %q", stdout.String(), want)
			}
		})
	}
}

func TestUseColor(t *testing.T) {
	tests := []struct {
		name     string
		terminal bool
		noColor  string
		output   string
		want     bool
	}{
		{"terminal", true, "", "", true},
		{"not a terminal", false, "", "", false},
		{"NO_COLOR", true, "1", "", false},
		{"output file", true, "", "out.txt", false},
		{"output stdout", true, "", "-", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &Env{OutIsTerminal: tt.terminal, Getenv: func(k string) string {
				if k == "NO_COLOR" {
					return tt.noColor
				}
				return ""
			}}
			if got := useColor(env, tt.output); got != tt.want {
				t.Errorf("useColor = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantCode   int
		wantStderr string
	}{
		{"nil", nil, exitOK, ""},
		{"usage", usagef("bad %s", "flag"), exitInput, "qrun: bad flag\nSee 'qrun --help'.\n"},
		{"already reported", &exitError{exitInput, nil}, exitInput, ""},
		{"failed", &exitError{exitFailed, nil}, exitFailed, ""},
		{"regression", &exitError{exitRegression, errors.New("2 regressions")}, exitRegression, "qrun: 2 regressions\n"},
		{"wrapped exit", fmt.Errorf("outer: %w", &exitError{exitInterrupted, nil}), exitInterrupted, ""},
		{"cancelled", fmt.Errorf("run: %w", context.Canceled), exitInterrupted, "qrun: interrupted\n"},
		{"other", errors.New("disk full"), exitFailed, "qrun: disk full\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if got := exitCode(&stderr, tt.err); got != tt.wantCode {
				t.Errorf("exit %d, want %d", got, tt.wantCode)
			}
			if stderr.String() != tt.wantStderr {
				t.Errorf("stderr %q, want %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

func TestExitCodeRedactsPasswords(t *testing.T) {
	for _, err := range []error{
		errors.New("cannot parse `postgres://bob:hunter2@db/app`: bad port"),
		&exitError{exitInput, errors.New("connect to host=db password=hunter2 failed")},
	} {
		var stderr bytes.Buffer
		exitCode(&stderr, err)
		if strings.Contains(stderr.String(), "hunter2") {
			t.Errorf("stderr %q holds the password", stderr.String())
		}
	}
}

func TestCheckOutput(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	input := filepath.Join(dir, "in.sql")
	link := filepath.Join(dir, "link.sql")
	hard := filepath.Join(dir, "hard.sql")
	for _, p := range []string{file, input} {
		if err := os.WriteFile(p, []byte("SELECT 1;\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(input, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(input, hard); err != nil {
		t.Fatal(err)
	}
	inputs := []string{"-", input}
	tests := []struct {
		name    string
		path    string
		wantErr string // "" for none
	}{
		{"stdout", "", ""},
		{"dash", "-", ""},
		{"existing directory", filepath.Join(dir, "r.json"), ""},
		{"relative", "r.json", ""},
		{"existing report", file, ""},
		{"/dev/null", os.DevNull, ""},
		{"missing directory", filepath.Join(dir, "nope", "r.json"), "no such file"},
		{"a file as directory", filepath.Join(file, "r.json"), "not a directory"},
		{"a directory", dir, "is a directory"},
		{"the input", input, "is the input file"},
		{"the input by a symlink", link, "is the input file"},
		{"the input by a hard link", hard, "is the input file"},
		{"the input by another path", filepath.Join(dir, ".", "in.sql"), "is the input file"},
	}
	if fi, err := os.Stat("/proc/self"); err == nil && fi.IsDir() {
		// No file can be created in /proc, even by root.
		tests = append(tests, struct{ name, path, wantErr string }{"unwritable directory", "/proc/qrun-report.json", "cannot write"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkOutput(tt.path, inputs)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("checkOutput(%q) = %v, want nil", tt.path, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("checkOutput(%q) = %v, want an error with %q", tt.path, err, tt.wantErr)
			}
			if tmps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(tmps) > 0 {
				t.Errorf("temporary files left: %v", tmps)
			}
		})
	}
}

// TestSubcommandsOutputNotInput checks that merge, compare and show refuse an -o that
// names one of the reports they read (exit 2), and leave it as it was.
func TestSubcommandsOutputNotInput(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := [][]string{
		{"merge", a, b, "-o", b},
		{"compare", a, b, "-o", a},
		{"show", a, "-o", a},
	}
	for _, args := range tests {
		t.Run(args[0], func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := Main(context.Background(), args, &Env{Out: &stdout, ErrOut: &stderr}, nil)
			if code != exitInput || !strings.Contains(stderr.String(), "is the input file") {
				t.Errorf("exit %d, stderr %q; want 2 and the input named", code, stderr.String())
			}
			for _, p := range []string{a, b} {
				if got, _ := os.ReadFile(p); string(got) != "{}" {
					t.Errorf("%s was changed: %q", filepath.Base(p), got)
				}
			}
		})
	}
}
