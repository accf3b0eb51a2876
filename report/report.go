package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/qrunhq/qrun/result"
)

// Formats lists the output formats, the default first.
var Formats = []string{"table", "json", "csv", "markdown", "junit", "html", "github", "comment"}

// ErrUnknownFormat is returned (wrapped) by Write and WriteComparisons for a format that
// is not in Formats.
var ErrUnknownFormat = errors.New("unknown format")

// Options tune rendering. The zero value renders a colourless table 80 columns wide.
type Options struct {
	Format string // one of Formats; "" is "table"
	Color  bool   // ANSI colour in the table format (off for NO_COLOR or a non-terminal)
	Width  int    // terminal width for the text timeline; 0 means 80

	axisEndMs float64 // the end of the timeline's axis, when later than the run's own
}

func (o Options) width() int {
	if o.Width <= 0 {
		return 80
	}
	return o.Width
}

// Write renders r (a run, a dry-run plan, several targets, or a run compared with a
// baseline) to w in opts.Format.
func Write(w io.Writer, r *result.Report, opts Options) error {
	if r == nil {
		return errors.New("report: nil report")
	}
	switch opts.Format {
	case "", "table":
		return writeTable(w, r, opts)
	case "json":
		return writeJSON(w, r)
	case "csv":
		return writeCSV(w, r)
	case "markdown":
		return writeMarkdown(w, r)
	case "junit":
		return writeJUnit(w, r)
	case "html":
		return writeHTML(w, r)
	case "github":
		return writeGitHub(w, r)
	case "comment":
		return writeComment(w, r)
	}
	return fmt.Errorf("report: %w %q (want one of %v)", ErrUnknownFormat, opts.Format, Formats)
}

// WriteComparisons renders the output of qrun compare in opts.Format. The html format
// renders a small self-contained page with one table per comparison.
func WriteComparisons(w io.Writer, cs []result.Comparison, opts Options) error {
	switch opts.Format {
	case "", "table":
		return writeComparisonsTable(w, cs, opts)
	case "json":
		return writeComparisonsJSON(w, cs)
	case "csv":
		return writeComparisonsCSV(w, cs)
	case "markdown":
		return writeComparisonsMarkdown(w, cs)
	case "junit":
		return writeComparisonsJUnit(w, cs)
	case "html":
		return writeComparisonsHTML(w, cs)
	case "github":
		return writeComparisonsGitHub(w, cs)
	case "comment":
		return writeComparisonsComment(w, cs)
	}
	return fmt.Errorf("report: %w %q (want one of %v)", ErrUnknownFormat, opts.Format, Formats)
}

func newBufWriter(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(w, 64<<10) }
