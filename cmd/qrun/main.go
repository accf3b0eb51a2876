// Command qrun runs the statements of SQL files against PostgreSQL, one after another as
// psql -f would or concurrently with --parallel, and reports every statement's time.
//
// This file is the shim: signals become a context, Main runs the command, and its status
// becomes the process's exit code. Everything else is in Main and the packages it wires.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal cancels the run, which still writes its report; a second one
		// gives up at once.
		<-sigs
		cancel()
		<-sigs
		os.Exit(exitInterrupted)
	}()

	env := &Env{
		In:            os.Stdin,
		Out:           os.Stdout,
		ErrOut:        os.Stderr,
		OutIsTerminal: term.IsTerminal(int(os.Stdout.Fd())),
		ErrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		Getenv:        os.Getenv,
	}
	if env.OutIsTerminal {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			env.Width = w
		}
	}
	code := Main(ctx, os.Args[1:], env, nil)
	cancel()
	os.Exit(code)
}
