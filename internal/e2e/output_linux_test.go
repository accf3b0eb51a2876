//go:build linux

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/qrunhq/qrun/internal/qruntest"
)

// onTempCreated calls fn as soon as a report's temporary file (.NAME.*.tmp) is created
// in dir (inotify), once. The caller must arm it before the file can appear.
func onTempCreated(t *testing.T, dir string, fn func()) {
	t.Helper()
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC)
	if err != nil {
		t.Fatalf("inotify: %v", err)
	}
	if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_CREATE); err != nil {
		syscall.Close(fd)
		t.Fatalf("inotify: %v", err)
	}
	go func() {
		defer syscall.Close(fd)
		buf := make([]byte, 64*1024)
		for {
			n, err := syscall.Read(fd, buf)
			if err != nil || n <= 0 {
				return
			}
			for off := 0; off+syscall.SizeofInotifyEvent <= n; {
				ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := strings.TrimRight(string(buf[off+syscall.SizeofInotifyEvent:off+syscall.SizeofInotifyEvent+int(ev.Len)]), "\x00")
				off += syscall.SizeofInotifyEvent + int(ev.Len)
				if strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".tmp") {
					fn()
					return
				}
			}
		}
	}()
}

// bigScript writes a file of n statements.
func bigScript(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "SELECT %d;\n", i)
	}
	return qruntest.WriteFile(t, "big.sql", b.String())
}

// TestSignalDuringOutput signals qrun while it writes the report to -o, the moment the
// temporary file appears. After a run, one signal lets the report be finished: valid,
// no temporary file, no backend. During a --dry-run the signal stops it (exit 130, no
// report, no temporary file); two signals exit at once, and remove the temporary file.
// Whatever the timing, no temporary file is ever left.
func TestSignalDuringOutput(t *testing.T) {
	t.Parallel()
	for _, sig := range stopSignals {
		t.Run(sig.String()+" after a run", func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			path := bigScript(t, 1000)
			dir := t.TempDir()
			report := filepath.Join(dir, "report.json")
			p := startQrun(t, call{Args: []string{"--format", "json", "-o", report, path}, DB: db.URL})
			onTempCreated(t, dir, func() { p.cmd.Process.Signal(sig) })
			res := p.wait(60 * time.Second)
			if res.Code != 0 && res.Code != 130 {
				t.Errorf("exit %d, want 0 (the run had ended) or 130", res.Code)
			}
			r := qruntest.ReadReport(t, report)
			if len(r.Queries) != 1000 {
				t.Errorf("report has %d queries, want 1000", len(r.Queries))
			}
			noTemp(t, dir)
		})
	}
	for _, sigs := range [][]syscall.Signal{{syscall.SIGINT}, {syscall.SIGHUP}, {syscall.SIGINT, syscall.SIGINT}, {syscall.SIGTERM, syscall.SIGPIPE}} {
		t.Run(fmt.Sprintf("dry run, %v", sigs), func(t *testing.T) {
			t.Parallel()
			path := bigScript(t, 300_000)
			dir := t.TempDir()
			report := filepath.Join(dir, "report.json")
			p := startQrun(t, call{Args: []string{"--dry-run", "--format", "json", "-o", report, path}})
			onTempCreated(t, dir, func() {
				for _, sig := range sigs {
					p.cmd.Process.Signal(sig)
					time.Sleep(5 * time.Millisecond)
				}
			})
			res := p.wait(60 * time.Second)
			switch res.Code {
			case 130:
				if _, err := os.Stat(report); err == nil {
					t.Error("a report was written although the dry run was interrupted while writing it")
				}
			case 0:
				// On a loaded machine the write can end before the signal is handled:
				// then the report must be whole.
				t.Logf("the report was written before the signal was handled")
				if r := qruntest.ReadReport(t, report); len(r.Queries) != 300_000 {
					t.Errorf("report has %d queries, want 300000", len(r.Queries))
				}
			default:
				t.Errorf("exit %d, want 130 (or 0 when the write ended first)", res.Code)
			}
			noTemp(t, dir)
		})
	}
}
