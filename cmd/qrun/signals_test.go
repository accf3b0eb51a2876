//go:build unix

package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestQuietWriterClosedPipe writes to a pipe nobody reads: the write reports success
// (narration never fails a run), stderr counts as dead, and the SIGPIPE it raised is
// recognised as its own.
func TestQuietWriterClosedPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r.Close()
	q := &quietWriter{w: w}
	if q.raisedPipe() {
		t.Fatal("got raisedPipe true before any write")
	}
	for i := range 3 {
		if n, err := q.Write([]byte("line\n")); err != nil || n != 5 {
			t.Fatalf("write %d: got %d, %v; want 5, nil", i, n, err)
		}
	}
	if !q.dead.Load() || !q.raisedPipe() {
		t.Errorf("got dead %v, raisedPipe %v; want both true after EPIPE", q.dead.Load(), q.raisedPipe())
	}
}

// TestTempFilesRemoveAll checks that what a second signal removes is exactly the files
// still registered.
func TestTempFilesRemoveAll(t *testing.T) {
	dir := t.TempDir()
	var temps tempFiles
	var paths []string
	for range 3 {
		f, err := temps.create(dir, ".r.*.tmp")
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		paths = append(paths, f.Name())
	}
	temps.remove(paths[2]) // renamed into place, say
	temps.removeAll()
	for i, p := range paths {
		_, err := os.Stat(p)
		if exists := err == nil; exists != (i == 2) {
			t.Errorf("%s exists: %v, want %v", filepath.Base(p), exists, i == 2)
		}
	}
}
