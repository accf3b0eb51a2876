package main

import (
	"strings"
	"testing"

	"github.com/qrunhq/qrun/report"
)

// TestCompletion asks cobra's completion command what the shell would offer: files for
// the input files and the file flags, the formats for --format, and nothing (no files)
// for durations, numbers and names.
func TestCompletion(t *testing.T) {
	const (
		files    = ":0"  // ShellCompDirectiveDefault: the shell completes files
		noFiles  = ":4"  // ShellCompDirectiveNoFileComp
		filtered = ":8"  // ShellCompDirectiveFilterFileExt
		dirs     = ":16" // ShellCompDirectiveFilterDirs
	)
	formats := report.Formats
	tests := []struct {
		args      []string
		want      []string // the completions, in order
		directive string
	}{
		{[]string{"exa"}, nil, files},
		{[]string{"a.sql", "exa"}, nil, files},
		{[]string{"--parallel", "exa"}, nil, files},
		{[]string{"-f", ""}, nil, files},
		{[]string{"--format", ""}, formats, noFiles},
		{[]string{"--format", "j"}, []string{"json", "junit"}, noFiles},
		{[]string{"--format=m"}, []string{"markdown"}, noFiles},
		{[]string{"-o", ""}, nil, files},
		{[]string{"--baseline", ""}, []string{"json"}, filtered},
		{[]string{"--runs", ""}, nil, noFiles},
		{[]string{"--warmup", "1"}, nil, noFiles},
		{[]string{"-c", ""}, nil, noFiles},
		{[]string{"--timeout", ""}, nil, noFiles},
		{[]string{"--max-time", "1"}, nil, noFiles},
		{[]string{"--threshold", ""}, nil, noFiles},
		{[]string{"-d", ""}, nil, noFiles},
		{[]string{"-h", ""}, nil, dirs},
		{[]string{"--before-each", ""}, nil, noFiles},
		{[]string{"compare", ""}, []string{"json"}, filtered},
		{[]string{"compare", "a.json", "b.json", ""}, nil, noFiles},
		{[]string{"compare", "--format", ""}, formats, noFiles},
		{[]string{"compare", "--target", ""}, nil, noFiles},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, code, stdout, _ := parse(t, append([]string{"__complete"}, tt.args...)...)
			if code != exitOK {
				t.Fatalf("exit %d", code)
			}
			lines := strings.Split(strings.TrimSpace(stdout), "\n")
			directive := lines[len(lines)-1]
			var got []string
			for _, l := range lines[:len(lines)-1] {
				got = append(got, strings.SplitN(l, "\t", 2)[0])
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") || directive != tt.directive {
				t.Errorf("completions %q %s, want %q %s", got, directive, tt.want, tt.directive)
			}
		})
	}
}
