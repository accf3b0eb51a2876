package report

import (
	"io"
	"slices"
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

// width is the number of columns the grid takes on a terminal.
func (g *grid) width() int {
	w := 1
	for i := range g.headers {
		w += g.colWidth(i) + 3
	}
	return w
}

func (g *grid) colWidth(i int) int {
	w := displayWidth(g.headers[i])
	for _, row := range g.rows {
		if i < len(row) {
			w = max(w, displayWidth(row[i]))
		}
	}
	return w
}

// drop removes column i.
func (g *grid) drop(i int) {
	g.headers = append(g.headers[:i:i], g.headers[i+1:]...)
	g.aligns = append(g.aligns[:i:i], g.aligns[i+1:]...)
	for r, row := range g.rows {
		if i < len(row) {
			g.rows[r] = append(row[:i:i], row[i+1:]...)
		}
	}
}

// empty reports whether every cell of column i is "-" or "".
func (g *grid) empty(i int) bool {
	for _, row := range g.rows {
		if i < len(row) && row[i] != "-" && row[i] != "" {
			return false
		}
	}
	return true
}

// fit makes the grid at most width columns wide, as far as it can: it drops the columns
// named in drops, in order — those marked ifEmpty only when they hold nothing — until it
// fits, and then cuts the cells of column cut (with "…") down to no fewer than minCut
// columns.
func (g *grid) fit(width int, drops []gridDrop, cut, minCut int) {
	for _, d := range drops {
		if g.width() <= width {
			return
		}
		i := slices.Index(g.headers, d.header)
		if i < 0 || d.ifEmpty && !g.empty(i) {
			continue
		}
		g.drop(i)
	}
	over := g.width() - width
	if over <= 0 {
		return
	}
	to := max(minCut, g.colWidth(cut)-over)
	for _, row := range g.rows {
		if cut < len(row) && displayWidth(row[cut]) > to {
			row[cut] = twwidth.Truncate(row[cut], to-1, "") + "…"
		}
	}
}

// gridDrop is a column fit may drop.
type gridDrop struct {
	header  string
	ifEmpty bool
}

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
