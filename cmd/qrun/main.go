// Command qrun runs the statements of SQL files against PostgreSQL, one after another as
// psql -f would or concurrently with --parallel, and reports every statement's time.
//
// This file is the shim: signals become a context, Main runs the command, and its status
// becomes the process's exit code. Everything else is in Main and the packages it wires.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"

	"golang.org/x/term"
)

func main() {
	stderr := &quietWriter{w: os.Stderr}
	temps := &tempFiles{}
	ctx, stop := watchSignals(context.Background(), stderr, temps, os.Exit)

	env := &Env{
		In:            os.Stdin,
		Out:           os.Stdout,
		ErrOut:        stderr,
		Temps:         temps,
		OutIsTerminal: term.IsTerminal(int(os.Stdout.Fd())),
		ErrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		Getenv:        os.Getenv,
	}
	if env.OutIsTerminal {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			env.Width = w
		}
	}
	stopProfiles := startProfiles(stderr)
	code := Main(ctx, os.Args[1:], env, nil)
	stop()
	stopProfiles()
	os.Exit(code)
}

// startProfiles profiles the whole process, for scripts that want to see where the
// real binary spends its time rather than an in-process benchmark's: QRUN_CPUPROFILE=FILE
// writes a CPU profile of the whole run, QRUN_MEMPROFILE=FILE an allocation profile
// (pprof's "allocs": bytes and objects allocated, and in use at exit) when qrun ends.
// Read them with go tool pprof. A second Ctrl-C exits at once and writes neither.
// Problems with the files are warnings on stderr: profiling never changes the outcome.
func startProfiles(stderr io.Writer) (stop func()) {
	warn := func(err error) { fmt.Fprintf(stderr, "qrun: warning: profile: %v\n", err) }
	var cpu *os.File
	if path := os.Getenv("QRUN_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			if err = pprof.StartCPUProfile(f); err != nil {
				f.Close()
			}
		}
		if err != nil {
			warn(err)
		} else {
			cpu = f
		}
	}
	mem := os.Getenv("QRUN_MEMPROFILE")
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			if err := cpu.Close(); err != nil {
				warn(err)
			}
		}
		if mem != "" {
			f, err := os.Create(mem)
			if err == nil {
				runtime.GC() // the in-use figures as of now, not of the last cycle
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				warn(err)
			}
		}
	}
}
