// Package report renders finished results: table (with a text timeline), json, csv,
// markdown, junit and html; and, while a run goes, the progress display and --verbose
// narration. It never runs SQL.
package report

import (
	"errors"
	"io"

	"github.com/qrunhq/qrun/result"
)

// Stubs: the report engineer replaces this file with the real implementation.

// Formats lists the output formats, the default first.
var Formats = []string{"table", "json", "csv", "markdown", "junit", "html"}

// Options tune rendering.
type Options struct {
	Format string // one of Formats; "" is "table"
	Color  bool   // ANSI colour in the table format (off for NO_COLOR or a non-terminal)
	Width  int    // terminal width for the text timeline; 0 means 80
}

// Write renders r (a run, a dry-run plan, or several targets) to w.
func Write(w io.Writer, r *result.Report, opts Options) error { return errors.New("not implemented") }

// WriteComparisons renders the output of qrun compare.
func WriteComparisons(w io.Writer, cs []result.Comparison, opts Options) error {
	return errors.New("not implemented")
}

// Narrator writes --verbose lines as a run goes ("start boil_water",
// "done boil_water 0.50s"). It is safe for concurrent use.
type Narrator struct{ w io.Writer }

// NewNarrator returns a Narrator writing to w.
func NewNarrator(w io.Writer) *Narrator { return &Narrator{w: w} }

// Handle narrates one event.
func (n *Narrator) Handle(e result.Event) {}

// Progress draws a progress display on a terminal: runs done of N, statements running,
// elapsed time and ETA. It is safe for concurrent use.
type Progress struct{ w io.Writer }

// NewProgress returns a Progress for totalRuns runs (warmup included) of unitsPerRun
// units each, drawing on w. A totalRuns of 0 means unknown (--duration).
func NewProgress(w io.Writer, totalRuns, unitsPerRun int) *Progress { return &Progress{w: w} }

// Handle updates the display with one event.
func (p *Progress) Handle(e result.Event) {}

// Finish clears the display.
func (p *Progress) Finish() {}
