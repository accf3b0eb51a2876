package report

import (
	"io"
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/tw"
)

// gridFastRows is the number of rows above which a grid is drawn by drawBox instead of
// tablewriter. tablewriter costs about 30µs a row, which for 100,000 statements would
// take longer than running them; drawBox writes the same bytes (TestGridMatchesTablewriter)
// in a small fraction of that.
var gridFastRows = 2000

// grid is a table to draw: a header, column alignments and rows of cells.
type grid struct {
	headers []string
	aligns  []tw.Align
	rows    [][]string
}

func newGrid(aligns []tw.Align, headers ...string) *grid {
	return &grid{headers: headers, aligns: aligns}
}

func (g *grid) add(cells ...string) { g.rows = append(g.rows, cells) }

// render draws the grid with tablewriter, or with drawBox when it is large.
func (g *grid) render(w io.Writer) error {
	if len(g.rows) > gridFastRows {
		return g.drawBox(w)
	}
	return g.tablewriter(w)
}

func (g *grid) tablewriter(w io.Writer) error {
	t := newTable(w, g.aligns)
	h := make([]any, len(g.headers))
	for i, s := range g.headers {
		h[i] = s
	}
	t.Header(h...)
	if err := t.Bulk(g.rows); err != nil {
		return err
	}
	return t.Render()
}

// drawBox draws the grid as tablewriter does with qrun's style (newTable): light box
// lines, one space of padding, the header left-aligned.
func (g *grid) drawBox(w io.Writer) error {
	widths := make([]int, len(g.headers))
	for i, h := range g.headers {
		widths[i] = displayWidth(h)
	}
	for _, row := range g.rows {
		for i, c := range row {
			if i < len(widths) {
				widths[i] = max(widths[i], displayWidth(c))
			}
		}
	}
	var b strings.Builder
	b.Grow(64 << 10)
	flush := func() error {
		_, err := io.WriteString(w, b.String())
		b.Reset()
		return err
	}
	rule := func(l, m, r string) {
		b.WriteString(l)
		for i, n := range widths {
			if i > 0 {
				b.WriteString(m)
			}
			b.WriteString(strings.Repeat("─", n+2))
		}
		b.WriteString(r)
		b.WriteByte('\n')
	}
	line := func(cells []string, header bool) {
		b.WriteString("│")
		for i, n := range widths {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			pad := n - displayWidth(c)
			b.WriteByte(' ')
			if !header && i < len(g.aligns) && g.aligns[i] == tw.AlignRight {
				b.WriteString(spaces(pad))
				b.WriteString(c)
			} else {
				b.WriteString(c)
				b.WriteString(spaces(pad))
			}
			b.WriteString(" │")
		}
		b.WriteByte('\n')
	}
	rule("┌", "┬", "┐")
	line(g.headers, true)
	if len(g.rows) > 0 {
		rule("├", "┼", "┤")
	}
	for i, row := range g.rows {
		line(row, false)
		if i%512 == 511 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	rule("└", "┴", "┘")
	return flush()
}

const blanks = "                                                                "

func spaces(n int) string {
	if n <= 0 {
		return ""
	}
	if n <= len(blanks) {
		return blanks[:n]
	}
	return strings.Repeat(" ", n)
}

// displayWidth is the number of terminal columns s takes, ANSI escapes excluded.
func displayWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || c < 0x20 {
			return twwidth.WidthNoCache(s)
		}
	}
	return len(s)
}
