package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// writeOutput renders with write to stdout, or, when path is set (and not "-"), to the
// file at path. A regular file is written atomically: into a temporary file beside it
// that is renamed over path only once complete, so a reader never sees half a report.
// Anything else (/dev/null, a pipe) is written in place.
func writeOutput(env *Env, path string, write func(io.Writer) error) error {
	stdout := env.Out
	if path == "" || path == "-" {
		bw := bufio.NewWriter(stdout)
		if err := write(bw); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		return nil
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return writeInPlace(path, write)
	}
	f, err := env.Temps.create(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
		env.Temps.remove(tmp)
	}()
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	// CreateTemp makes the file 0600; a report is an ordinary file.
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	ok = true
	return nil
}

func writeInPlace(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	bw := bufio.NewWriter(f)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}

// useColor reports whether the table may use colour: only on a terminal, and only when
// NO_COLOR is unset or empty (https://no-color.org).
func useColor(env *Env, output string) bool {
	return (output == "" || output == "-") && env.OutIsTerminal && env.getenv("NO_COLOR") == ""
}

// checkOutput checks, before anything runs, that the report can go to path (--output):
// its directory exists and takes a new file — the temporary file the report is written
// into, tried now, so that a run does not commit its writes only to find it cannot
// report them — path is no directory, and it names none of inputs (the files the command
// reads: the report would replace the SQL it came from). Its errors are for exit 2.
func checkOutput(path string, inputs []string) error {
	if path == "" || path == "-" {
		return nil
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("output: %s is not a directory", dir)
	}
	out, err := os.Stat(path)
	if err == nil {
		if out.IsDir() {
			return fmt.Errorf("output: %s is a directory", path)
		}
		for _, in := range inputs {
			if in == "" || in == "-" {
				continue
			}
			if fi, err := os.Stat(in); err == nil && os.SameFile(fi, out) {
				return fmt.Errorf("output: %s is the input file %s: the report would replace it", path, in)
			}
		}
		if !out.Mode().IsRegular() {
			return nil // written in place (/dev/null, a pipe): opening a FIFO would block
		}
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("output: cannot write the report in %s: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// ctxWriter is a writer that fails once ctx has ended: a report being written stops at
// an interrupt, and writeOutput removes its temporary file.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(b)
}
