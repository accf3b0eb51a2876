package main

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// parse runs the command line through the real flag parsing with the run function
// replaced, and returns the Options it would have run with (nil when it was not called).
func parse(t *testing.T, args ...string) (o *Options, code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	code = Main(context.Background(), args, env, func(_ context.Context, got *Options) error {
		o = got
		return nil
	})
	return o, code, out.String(), errOut.String()
}

func TestParseOptions(t *testing.T) {
	defaults := func() Options {
		return Options{Files: []string{"a.sql"}, Runs: 1, Format: "table", ConnectTimeout: 10 * time.Second, MinDelta: time.Millisecond, Deps: "auto"}
	}
	tests := []struct {
		name string
		args []string
		want func(o *Options)
	}{
		{"defaults", []string{"a.sql"}, func(o *Options) {}},
		{"several files and stdin", []string{"a.sql", "-", "b.sql"}, func(o *Options) {
			o.Files = []string{"a.sql", "-", "b.sql"}
		}},
		{"psql connection flags", []string{"-h", "db.local", "-p", "5433", "-U", "bob", "-d", "app", "a.sql"}, func(o *Options) {
			o.Host, o.Port, o.Username, o.Targets = "db.local", 5433, "bob", []string{"app"}
		}},
		{"long connection flags", []string{"--host=/run/pg", "--port=6432", "--username=al", "--dbname=x", "a.sql"}, func(o *Options) {
			o.Host, o.Port, o.Username, o.Targets = "/run/pg", 6432, "al", []string{"x"}
		}},
		{"-d and --dsn append in order", []string{"--dsn", "postgres://a/x", "-d", "host=b dbname=y", "--dbname", "z", "a.sql"}, func(o *Options) {
			o.Targets = []string{"postgres://a/x", "host=b dbname=y", "z"}
		}},
		{"psql variables", []string{"-v", "n=10", "--set", "name=O'Brien", "-v", "empty=", "-v", "eq=a=b", "a.sql"}, func(o *Options) {
			o.Vars = map[string]string{"n": "10", "name": "O'Brien", "empty": "", "eq": "a=b"}
		}},
		{"execution", []string{"--parallel", "-c", "4", "--stop-on-error", "--setup", "SET work_mem = '64MB'", "--setup", "SET jit = off",
			"--timeout", "2s", "--max-time", "1m", "--connect-timeout", "3s", "--retries", "2", "--read-only", "--rollback", "a.sql"}, func(o *Options) {
			o.Parallel, o.Concurrency, o.StopOnError = true, 4, true
			o.Setup = []string{"SET work_mem = '64MB'", "SET jit = off"}
			o.Timeout, o.MaxTime, o.ConnectTimeout, o.Retries = 2*time.Second, time.Minute, 3*time.Second, 2
			o.ReadOnly, o.Rollback = true, true
		}},
		{"instances", []string{"--label", "shard=3", "--label", "job=nightly", "--start-at", "2026-12-02T15:04:05Z", "a.sql"}, func(o *Options) {
			o.Labels = map[string]string{"shard": "3", "job": "nightly"}
			o.StartAt = time.Date(2026, 12, 2, 15, 4, 5, 0, time.UTC)
		}},
		{"dependency inference off", []string{"--parallel", "--deps", "none", "a.sql"}, func(o *Options) {
			o.Parallel, o.Deps = true, "none"
		}},
		{"repetition", []string{"--runs", "30", "--warmup", "3", "--duration", "10s", "a.sql"}, func(o *Options) {
			o.Runs, o.Warmup, o.Duration = 30, 3, 10*time.Second
		}},
		{"output", []string{"--format", "json", "-o", "out.json", "--dry-run", "--verbose", "a.sql"}, func(o *Options) {
			o.Format, o.Output, o.DryRun, o.Verbose = "json", "out.json", true, true
		}},
		{"quiet", []string{"--quiet", "a.sql"}, func(o *Options) { o.Quiet = true }},
		{"baseline with threshold", []string{"--baseline", "base.json", "--threshold", "10%", "a.sql"}, func(o *Options) {
			o.Baseline, o.ThresholdPct = "base.json", 10
		}},
		{"min-delta", []string{"--baseline", "base.json", "--threshold", "10%", "--min-delta", "0", "a.sql"}, func(o *Options) {
			o.Baseline, o.ThresholdPct, o.MinDelta = "base.json", 10, 0
		}},
		{"threshold between targets", []string{"-d", "a", "-d", "b", "--threshold=2.5", "a.sql"}, func(o *Options) {
			o.Targets, o.ThresholdPct = []string{"a", "b"}, 2.5
		}},
		{"flags after files", []string{"a.sql", "--parallel"}, func(o *Options) { o.Parallel = true }},
		{"psql -f, repeatable, before the arguments", []string{"b.sql", "-f", "a.sql", "--file", "c.sql"}, func(o *Options) {
			o.Files = []string{"a.sql", "c.sql", "b.sql"}
		}},
		{"psql -q and -X", []string{"-q", "-X", "a.sql"}, func(o *Options) { o.Quiet = true }},
		{"--command", []string{"--command", "SELECT 1", "--command", "SELECT 2"}, func(o *Options) {
			o.Files, o.Commands = nil, []string{"SELECT 1", "SELECT 2"}
		}},
		{"before and after each", []string{"--before-each", "TRUNCATE t", "--before-each", "@reset.sql", "--after-each", "@x.sql", "a.sql"}, func(o *Options) {
			o.BeforeEach, o.AfterEach = []string{"TRUNCATE t", "@reset.sql"}, []string{"@x.sql"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, code, _, stderr := parse(t, tt.args...)
			if code != 0 || got == nil {
				t.Fatalf("exit %d (run called: %t), stderr %q; want 0 and a run", code, got != nil, stderr)
			}
			want := defaults()
			tt.want(&want)
			want.Env = got.Env
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("got  %+v\nwant %+v", *got, want)
			}
		})
	}
}

func TestParseUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in the first line of stderr
	}{
		{"no files", nil, "no input FILE"},
		{"zero concurrency", []string{"-c", "0", "a.sql"}, "--concurrency"},
		{"psql's -c", []string{"-c", "SELECT 1", "a.sql"}, "-c is the concurrency here (N connections with --parallel), not psql's command: put SQL in a file (qrun FILE, or qrun - to read standard input) or use --command SQL"},
		{"--command and stdin", []string{"--command", "SELECT 1", "-"}, "cannot be used together"},
		{"empty --before-each", []string{"--before-each", "", "a.sql"}, "--before-each wants SQL or @FILE"},
		{"--after-each @ alone", []string{"--after-each", "@", "a.sql"}, "--after-each wants SQL or @FILE"},
		{"negative concurrency", []string{"--concurrency=-2", "a.sql"}, "--concurrency"},
		{"zero runs", []string{"--runs", "0", "a.sql"}, "--runs"},
		{"bad --start-at", []string{"--start-at", "tomorrow", "a.sql"}, "RFC 3339"},
		{"unknown --deps", []string{"--deps", "maybe", "a.sql"}, "--deps must be auto or none"},
		{"negative warmup", []string{"--warmup=-1", "a.sql"}, "--warmup"},
		{"negative retries", []string{"--retries=-1", "a.sql"}, "--retries"},
		{"-1 and --reconnect", []string{"-1", "--reconnect", "a.sql"}, "--reconnect cannot be used together"},
		{"port 0", []string{"-p", "0", "a.sql"}, "--port must be from 1 to 65535, got 0"},
		{"negative min-delta", []string{"--baseline", "b.json", "--min-delta=-1ms", "a.sql"}, "--min-delta must not be negative"},
		{"compare: negative min-delta", []string{"compare", "a.json", "b.json", "--min-delta=-1ms"}, "--min-delta must not be negative"},
		{"stdin twice", []string{"-", "-"}, "- (standard input) is given 2 times: it can be read once"},
		{"stdin twice by -f", []string{"-f", "-", "a.sql", "-"}, "is given 2 times"},
		{"negative timeout", []string{"--timeout=-1s", "a.sql"}, "--timeout"},
		{"negative max-time", []string{"--max-time=-1s", "a.sql"}, "--max-time"},
		{"negative connect-timeout", []string{"--connect-timeout=-1s", "a.sql"}, "--connect-timeout"},
		{"negative duration", []string{"--duration=-5m", "a.sql"}, "--duration"},
		{"bad duration", []string{"--timeout", "soon", "a.sql"}, "timeout"},
		{"unknown format", []string{"--format", "xml", "a.sql"}, `"xml"`},
		{"unknown flag", []string{"--bogus", "a.sql"}, "bogus"},
		{"bad port", []string{"-p", "http", "a.sql"}, "port"},
		{"port out of range", []string{"-p", "70000", "a.sql"}, "port"},
		{"-h needs a host", []string{"-h"}, "h"},
		{"variable without value", []string{"-v", "n", "a.sql"}, "NAME=VALUE"},
		{"variable without name", []string{"-v", "=1", "a.sql"}, "NAME=VALUE"},
		{"bad threshold", []string{"--baseline", "b.json", "--threshold", "ten", "a.sql"}, "percentage"},
		{"negative threshold", []string{"--baseline", "b.json", "--threshold", "-5%", "a.sql"}, "percentage"},
		{"threshold alone", []string{"--threshold", "10%", "a.sql"}, "--baseline"},
		{"verbose and quiet", []string{"--verbose", "--quiet", "a.sql"}, "--quiet"},
		{"compare needs two files", []string{"compare", "a.json"}, "two reports"},
		{"compare unknown format", []string{"compare", "--format", "pdf", "a.json", "b.json"}, `"pdf"`},
		{"version takes no arguments", []string{"version", "x"}, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, code, stdout, stderr := parse(t, tt.args...)
			if code != exitInput {
				t.Errorf("exit %d, want %d", code, exitInput)
			}
			if got != nil {
				t.Errorf("run was called with %+v, want no run", got)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "qrun: ") || !strings.Contains(lines[0], tt.want) ||
				lines[1] != "See 'qrun --help'." {
				t.Errorf("stderr %q, want one line with %q, then \"See 'qrun --help'.\"", stderr, tt.want)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string // in stdout
	}{
		{"-?", []string{"-?"}, []string{"Usage:", "Examples:", "Connection flags:", "-h, --host", "-d, --dbname", "--dsn", "Exit status:"}},
		{"--help", []string{"--help"}, []string{"Execution flags:", "Repetition flags:", "Output flags:", "Comparing flags:", "-?, --help"}},
		{"help with files", []string{"--help", "a.sql"}, []string{"Usage:"}},
		{"compare help", []string{"compare", "-?"}, []string{"compare BASE.json NEW.json", "--threshold"}},
		{"--version", []string{"--version"}, []string{"qrun version " + version()}},
		{"-V", []string{"-V"}, []string{"qrun version " + version()}},
		{"version command", []string{"version"}, []string{"qrun version " + version()}},
		{"bash completion", []string{"completion", "bash"}, []string{"bash completion", "qrun"}},
		{"zsh completion", []string{"completion", "zsh"}, []string{"#compdef qrun"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, code, stdout, stderr := parse(t, tt.args...)
			if code != exitOK || got != nil {
				t.Fatalf("exit %d (run called: %t), stderr %q; want 0 and no run", code, got != nil, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout does not contain %q:\n%s", w, stdout)
				}
			}
		})
	}
}

func TestTargetConfigs(t *testing.T) {
	type target struct{ connString, database string }
	tests := []struct {
		name        string
		args        []string
		databaseURL string
		want        []target
	}{
		{"nothing: libpq variables", nil, "", []target{{"", ""}}},
		{"DATABASE_URL", nil, "postgres://env/app", []target{{"postgres://env/app", ""}}},
		{"database name", []string{"-d", "shop"}, "", []target{{"", "shop"}}},
		{"database name over DATABASE_URL", []string{"-d", "shop"}, "postgres://env/app", []target{{"postgres://env/app", "shop"}}},
		{"postgres URL", []string{"-d", "postgres://u@h/db"}, "postgres://env/app", []target{{"postgres://u@h/db", ""}}},
		{"postgresql URL", []string{"--dsn", "postgresql://h:5433/db"}, "", []target{{"postgresql://h:5433/db", ""}}},
		{"keyword/value string", []string{"-d", "host=h dbname=db"}, "", []target{{"host=h dbname=db", ""}}},
		{"database name with a dot", []string{"-d", "my.db"}, "", []target{{"", "my.db"}}},
		{"several targets", []string{"-d", "a", "--dsn", "postgres://h/b"}, "", []target{{"", "a"}, {"postgres://h/b", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-h", "H", "-p", "5444", "-U", "U", "--setup", "SET x = 1", "--read-only", "--connect-timeout", "4s"}, tt.args...)
			o, code, _, stderr := parse(t, append(args, "a.sql")...)
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			o.Env.Getenv = func(k string) string {
				if k == "DATABASE_URL" {
					return tt.databaseURL
				}
				return ""
			}
			cfgs := targetConfigs(o)
			if len(cfgs) != len(tt.want) {
				t.Fatalf("got %d configs, want %d", len(cfgs), len(tt.want))
			}
			for i, c := range cfgs {
				if got := (target{c.ConnString, c.Database}); got != tt.want[i] {
					t.Errorf("target %d: got %+v, want %+v", i, got, tt.want[i])
				}
				if c.Host != "H" || c.Port != 5444 || c.User != "U" || c.ApplicationName != "qrun" ||
					c.ConnectTimeout != 4*time.Second || !c.ReadOnly || !slices.Equal(c.Setup, []string{"SET x = 1"}) {
					t.Errorf("target %d: got %+v, want -h, -p, -U, --setup, --read-only and --connect-timeout carried", i, c)
				}
			}
		})
	}
}

func TestParsePercent(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		wantErr bool
	}{
		{"10%", 10, false},
		{"10", 10, false},
		{"2.5%", 2.5, false},
		{" 7 % ", 7, false},
		{"0", 0, false},
		{"", 0, true},
		{"%", 0, true},
		{"ten", 0, true},
		{"-1%", 0, true},
		{"NaN", 0, true},
		{"Inf", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parsePercent(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parsePercent(%q) = %v, %v; want %v, error %t", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
