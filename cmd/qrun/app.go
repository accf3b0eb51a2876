package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/qrunhq/qrun/report"
	"github.com/qrunhq/qrun/result"
	"github.com/qrunhq/qrun/runner"
)

// Exit statuses.
const (
	exitOK          = 0   // every statement ok
	exitFailed      = 1   // some statement failed (or the report could not be written)
	exitInput       = 2   // usage, input or connection error: nothing was run
	exitRegression  = 3   // a gated regression against a baseline or between targets
	exitInterrupted = 130 // Ctrl-C, SIGTERM, SIGHUP, SIGPIPE or --max-time
)

// Env is everything the command takes from its process: the standard streams, whether
// they are terminals, and the environment. Tests build one around buffers.
type Env struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutIsTerminal and ErrIsTerminal say whether Out and ErrOut are terminals: colour
	// and the progress display depend on them.
	OutIsTerminal bool
	ErrIsTerminal bool
	// Width is the terminal's width in columns for the table's timeline; 0 means 80.
	Width int
	// Getenv reads an environment variable; nil reads none.
	Getenv func(string) string
	// Temps registers the temporary files of reports being written, which a second
	// signal removes before it exits; nil registers nothing.
	Temps *tempFiles
}

func (e *Env) getenv(name string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(name)
}

// usageError is a mistake on the command line: exit 2 with one line and a pointer to
// --help.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// exitError ends the command with an exit status. A nil err means the reason was already
// written to stderr (input errors, for instance, are listed one per line).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// exitCode reports err on env.ErrOut, redacted, and maps it to an exit status.
func exitCode(w io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(w, "qrun: %s\nSee 'qrun --help'.\n", report.OneLine(runner.Redact(ue.Error())))
		return exitInput
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(w, "qrun: %s\n", runner.Redact(ee.err.Error()))
		}
		return ee.code
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintln(w, "qrun: interrupted")
		return exitInterrupted
	}
	fmt.Fprintf(w, "qrun: %s\n", runner.Redact(err.Error()))
	return exitFailed
}

// Main runs qrun with args (without the program name) and returns its exit status.
// runF executes a validated command line; nil means the real one.
func Main(ctx context.Context, args []string, env *Env, runF func(context.Context, *Options) error) int {
	cmd := newRootCmd(env, runF)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	return exitCode(env.ErrOut, err)
}

// regressionError says why the exit status is 3.
func regressionError(n int, thresholdPct float64) error {
	return fmt.Errorf("%s: significantly slower by more than %g%%", result.Plural(n, "regression", "regressions"), thresholdPct)
}
