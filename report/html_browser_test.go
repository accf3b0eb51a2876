package report

import (
	"bytes"
	"context"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qrunhq/qrun/result"
)

// chromiumPath is Debian's chromium package; override with QRUN_CHROMIUM.
func chromiumPath() string {
	if p := os.Getenv("QRUN_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// chromiumFlags run Chromium headless with no network, no first-run work and the page's
// console messages logged to stderr (as lines with ":CONSOLE").
func chromiumFlags(profile string) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0"}
}

var (
	timelineSVG = regexp.MustCompile(`(?s)<svg[^>]*\bid="timeline"[^>]*>.*?</svg>`)
	barRect     = regexp.MustCompile(`<rect[^>]*\bclass="bar [^"]*"[^>]*>`)
	dataName    = regexp.MustCompile(`\bdata-name="([^"]*)"`)
)

// TestHTMLInChromium loads an html report of a several-statement run in headless
// Chromium and checks the DOM it built: one .bar per statement inside #timeline, and no
// console error.
func TestHTMLInChromium(t *testing.T) {
	bin := chromiumPath()
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium not found at %s (install Debian's chromium package): %v", bin, err)
		}
		t.Skipf("chromium not found at %s: install Debian's chromium package (apt-get install chromium) to run this test", bin)
	}
	tests := []struct {
		name string
		r    func() *result.Report
	}{
		{"failures", failures},
		{"repeated", repeatedRuns},
		{"targets", twoTargets},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r()
			dir := t.TempDir()
			page := filepath.Join(dir, "report.html")
			var buf bytes.Buffer
			if err := Write(&buf, r, Options{Format: "html"}); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append(chromiumFlags(filepath.Join(dir, "profile")), "--dump-dom", "file://"+page)...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("chromium: %v\n%s", err, stderr.String())
			}
			for _, line := range strings.Split(stderr.String(), "\n") {
				if strings.Contains(line, ":CONSOLE") {
					t.Errorf("console message while loading the page: %s", line)
				}
			}
			svg := timelineSVG.FindString(stdout.String())
			if svg == "" {
				t.Fatalf("dumped DOM has no svg#timeline:\n%s", stdout.String())
			}
			var got []string
			for _, rect := range barRect.FindAllString(svg, -1) {
				if m := dataName.FindStringSubmatch(rect); m != nil {
					got = append(got, html.UnescapeString(m[1]))
				} else {
					got = append(got, "")
				}
			}
			sec := r
			if len(r.Targets) > 0 {
				sec = &r.Targets[0]
			}
			if len(got) != len(sec.Queries) {
				t.Fatalf("got %d .bar in #timeline, want %d (one per statement)", len(got), len(sec.Queries))
			}
			for i, q := range sec.Queries {
				if got[i] != q.Name {
					t.Errorf("bar %d: got data-name %q, want %q", i, got[i], q.Name)
				}
			}
		})
	}
}
