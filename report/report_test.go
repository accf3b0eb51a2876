package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/qrunhq/qrun/result"
)

func render(t *testing.T, r *result.Report, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, r, Options{Format: format}); err != nil {
		t.Fatalf("Write(%s): got error %v, want nil", format, err)
	}
	return buf.Bytes()
}

func TestDuration(t *testing.T) {
	tests := []struct {
		ms   float64
		want string
	}{
		{0, "0µs"},
		{0.0004, "0µs"},
		{0.85, "850µs"},
		{0.9994, "999µs"},
		{0.9996, "1.00ms"},
		{1.234, "1.23ms"},
		{9.996, "10.0ms"},
		{12.34, "12.3ms"},
		{99.96, "0.10s"},
		{500, "0.50s"},
		{1500, "1.50s"},
		{9996, "10.0s"},
		{12345, "12.3s"},
		{59960, "1m00s"},
		{123000, "2m03s"},
		{3723000, "1h02m03s"},
		{-12.34, "-12.3ms"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := Duration(tt.ms); got != tt.want {
				t.Errorf("Duration(%v): got %q, want %q", tt.ms, got, tt.want)
			}
		})
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, singleRun(), Options{Format: "yaml"}); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("Write: got error %v, want ErrUnknownFormat", err)
	}
	if err := WriteComparisons(&buf, comparisons(), Options{Format: "yaml"}); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("WriteComparisons: got error %v, want ErrUnknownFormat", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes for an unknown format, want 0", buf.Len())
	}
}

// TestJSON checks that the streamed JSON is byte for byte what encoding/json writes,
// and that it reads back into the same report.
func TestJSON(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			r := fx.report()
			got := render(t, r, "json")
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			if err := enc.Encode(r); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("streamed JSON differs from encoding/json's\ngot:\n%s\nwant:\n%s", got, want.Bytes())
			}
			var back result.Report
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("Unmarshal: got error %v, want nil", err)
			}
			if !reflect.DeepEqual(&back, r) {
				t.Errorf("round trip: got %+v, want %+v", back, *r)
			}
		})
	}
	t.Run("comparisons", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteComparisons(&buf, comparisons(), Options{Format: "json"}); err != nil {
			t.Fatal(err)
		}
		var back []result.Comparison
		if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatalf("Unmarshal: got error %v, want nil", err)
		}
		if !reflect.DeepEqual(back, comparisons()) {
			t.Errorf("round trip: got %+v, want %+v", back, comparisons())
		}
	})
}

func TestJUnit(t *testing.T) {
	tests := []struct {
		name                      string
		r                         *result.Report
		suites, tests, fail, skip int
	}{
		{"single", singleRun(), 1, 4, 0, 0},
		{"dryrun", dryRun(), 1, 5, 0, 5},
		{"failures", failures(), 1, 8, 3, 3},
		{"repeated: cook_sauce failed in one of its runs", repeatedRuns(), 1, 4, 1, 0},
		{"targets", twoTargets(), 2, 8, 2, 0},
		{"baseline: a regression and cook_sauce's failed run", baselineCmp(), 1, 4, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got JUnitSuites
			if err := xml.Unmarshal(render(t, tt.r, "junit"), &got); err != nil {
				t.Fatalf("xml.Unmarshal: got error %v, want nil", err)
			}
			if len(got.Suites) != tt.suites || got.Tests != tt.tests || got.Failures != tt.fail || got.Skipped != tt.skip {
				t.Errorf("got %d suites, %d tests, %d failures, %d skipped; want %d, %d, %d, %d",
					len(got.Suites), got.Tests, got.Failures, got.Skipped, tt.suites, tt.tests, tt.fail, tt.skip)
			}
			cases := 0
			for _, s := range got.Suites {
				cases += len(s.Cases)
				for _, c := range s.Cases {
					if c.Classname == "" {
						t.Errorf("testcase %q: got empty classname, want its file", c.Name)
					}
				}
			}
			if cases != tt.tests {
				t.Errorf("got %d testcases, want %d", cases, tt.tests)
			}
		})
	}
	t.Run("failure message", func(t *testing.T) {
		var got JUnitSuites
		if err := xml.Unmarshal(render(t, failures(), "junit"), &got); err != nil {
			t.Fatal(err)
		}
		c := got.Suites[0].Cases[1]
		if c.Failure == nil || c.Failure.Message != `42P01 relation "pan" does not exist` {
			t.Errorf("fill_pot failure: got %+v, want message %q", c.Failure, `42P01 relation "pan" does not exist`)
		}
		if c.Time != "0.001400" {
			t.Errorf("fill_pot time: got %q, want %q seconds", c.Time, "0.001400")
		}
	})
	t.Run("regression message", func(t *testing.T) {
		var got JUnitSuites
		if err := xml.Unmarshal(render(t, baselineCmp(), "junit"), &got); err != nil {
			t.Fatal(err)
		}
		want := "slower by 100.0% (p=0.00018), threshold 10%"
		if f := got.Suites[0].Cases[1].Failure; f == nil || f.Message != want {
			t.Errorf("prepare_salad failure: got %+v, want message %q", f, want)
		}
	})
}

func TestCSV(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			r := fx.report()
			recs, err := csv.NewReader(bytes.NewReader(render(t, r, "csv"))).ReadAll()
			if err != nil {
				t.Fatalf("csv: got error %v, want nil", err)
			}
			if !reflect.DeepEqual(recs[0], CSVColumns) {
				t.Errorf("header: got %v, want %v", recs[0], CSVColumns)
			}
			want := 0
			reports := []result.Report{*r}
			if len(r.Targets) > 0 {
				reports = r.Targets
			}
			for _, t := range reports {
				for _, q := range t.Queries {
					want += 1 + len(q.Statements)
				}
			}
			if got := len(recs) - 1; got != want {
				t.Errorf("got %d rows, want %d (one per unit, statement and target)", got, want)
			}
			if want == 0 {
				return
			}
			name := reports[0].Queries[0].Name
			if recs[1][1] != name {
				t.Errorf("first row's name: got %q, want %q", recs[1][1], name)
			}
		})
	}
}

func TestMarkdown(t *testing.T) {
	tests := []struct {
		name string
		r    *result.Report
		want []string
	}{
		{"escapes pipes", failures(), []string{`| slow \| &lt;heavy&gt; & "big" | timeout |`}},
		{"gate fails", baselineCmp(), []string{"❌ **FAIL: 1 regression", "gate FAIL"}},
		{"several targets", twoTargets(), []string{"| prepare_salad | 1.00s | 1.50s | 1.50× | slower |"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(render(t, tt.r, "markdown"))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("got:\n%s\nwant it to contain %q", got, w)
				}
			}
			// Every table row has as many cells as its header.
			cols := 0
			for _, line := range strings.Split(got, "\n") {
				if !strings.HasPrefix(line, "|") {
					cols = 0
					continue
				}
				n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
				if cols == 0 {
					cols = n
				} else if n != cols {
					t.Errorf("row %q: got %d cell separators, want %d", line, n, cols)
				}
			}
		})
	}
	t.Run("gate passes", func(t *testing.T) {
		cs := comparisons()
		cs[0].Regressions, cs[0].Failures = 0, 0
		cs[0].Rows[1].Regression = false
		cs[0].Rows = slices.DeleteFunc(cs[0].Rows, func(row result.ComparisonRow) bool { return row.Verdict == result.VerdictFailedNew })
		var buf bytes.Buffer
		if err := WriteComparisons(&buf, cs, Options{Format: "markdown"}); err != nil {
			t.Fatal(err)
		}
		if want := "✅ **PASS: no statement significantly slower by more than 10% · 1 not gated (ambiguous pairing)**"; !strings.Contains(buf.String(), want) {
			t.Errorf("got:\n%s\nwant it to contain %q", buf.String(), want)
		}
	})
}

// htmlBars parses a page as XML (which checks that it is well-formed) and returns the
// data-name of each rect of class "bar" inside the svg with the given id.
func htmlBars(t *testing.T, page []byte, id string) []string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = true
	d.Entity = xml.HTMLEntity
	var names []string
	depth, in := 0, false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("html is not well-formed: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			depth++
			attr := map[string]string{}
			for _, a := range el.Attr {
				attr[a.Name.Local] = a.Value
			}
			if el.Name.Local == "svg" && attr["id"] == id {
				in = true
			}
			if in && el.Name.Local == "rect" && strings.Contains(" "+attr["class"]+" ", " bar ") {
				names = append(names, attr["data-name"])
			}
		case xml.EndElement:
			depth--
			if el.Name.Local == "svg" {
				in = false
			}
		}
	}
	if depth != 0 {
		t.Errorf("html: got %d unclosed elements, want 0", depth)
	}
	return names
}

func TestHTML(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			r := fx.report()
			page := render(t, r, "html")
			for _, bad := range []string{"<script", "src=", "href=", "url(", "@import", "https://"} {
				if bytes.Contains(page, []byte(bad)) {
					t.Errorf("page contains %q, want a self-contained page", bad)
				}
			}
			sec := r
			if len(r.Targets) > 0 {
				sec = &r.Targets[0]
			}
			got := htmlBars(t, page, "timeline")
			var want []string
			if !isDryRun(sec) {
				for _, q := range sec.Queries {
					want = append(want, q.Name)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("bars in #timeline: got %q, want %q", got, want)
			}
		})
	}
	t.Run("distribution plots", func(t *testing.T) {
		page := string(render(t, repeatedRuns(), "html"))
		if got, want := strings.Count(page, `<svg class="dist"`), 4; got != want {
			t.Errorf("got %d distribution plots, want %d", got, want)
		}
	})
	t.Run("escaping", func(t *testing.T) {
		page := string(render(t, failures(), "html"))
		if strings.Contains(page, "<heavy>") {
			t.Errorf("page contains an unescaped name %q", "<heavy>")
		}
	})
}

// TestDryRunDynamic checks that the dry-run table names the units completed at run
// time, with the reason the runner gave.
func TestDryRunDynamic(t *testing.T) {
	r := dryRun()
	r.Queries[1].Reason = "dynamic: reads :n at run time"
	out := string(render(t, r, "table"))
	want := "examples/lunch_stages.sql:6:1: prepare_salad: dynamic: reads :n at run time\n"
	if !strings.Contains(out, want) {
		t.Errorf("table:\n%s\nwant a line %q", out, want)
	}
	if strings.Count(out, "dynamic:") != 1 {
		t.Errorf("table:\n%s\nwant one dynamic unit", out)
	}
}

// TestTargetsOnOneScale: the timelines of several targets share one time axis, the
// longest run's, so that they can be compared by eye.
func TestTargetsOnOneScale(t *testing.T) {
	r := twoTargets()
	b := &r.Targets[1]
	for i := range b.Queries {
		b.Queries[i].StartMs /= 4
		b.Queries[i].EndMs /= 4
	}
	table := string(render(t, r, "table"))
	rulers := regexp.MustCompile(`(?m)^ +0 +.*$`).FindAllString(table, -1)
	if len(rulers) != 2 || rulers[0] != rulers[1] {
		t.Errorf("tick labels %q, want two identical axes", rulers)
	}
	page := string(render(t, r, "html"))
	ticks := regexp.MustCompile(`<g class="tick"[^>]*>.*?</g>`)
	parts := strings.SplitN(page, `id="timeline-2"`, 2)
	if len(parts) != 2 {
		t.Fatalf("no second timeline in the page")
	}
	first, second := ticks.FindAllString(parts[0], -1), ticks.FindAllString(parts[1], -1)
	if len(first) == 0 || strings.Join(first, "") != strings.Join(second, "") {
		t.Errorf("ticks %d and %d, want the same axis on both timelines", len(first), len(second))
	}
}

// TestDistributionAxis: a distribution strip says what its ends are.
func TestDistributionAxis(t *testing.T) {
	page := string(render(t, repeatedRuns(), "html"))
	strip := regexp.MustCompile(`<svg class="dist"[\s\S]*?</svg>`).FindString(page)
	for _, want := range []string{`<g class="axis">`, `>0.49s</text>`, `text-anchor="end">0.51s</text>`} {
		if !strings.Contains(strip, want) {
			t.Errorf("strip %s\nwant it to contain %q", strip, want)
		}
	}
}

// TestRepeatedTableFits: the table of repeated runs fits an 80-column terminal, leaving
// out what says least, and shows every column where there is room.
func TestRepeatedTableFits(t *testing.T) {
	long := repeatedRuns()
	long.Queries[0].Name = "a_statement_with_a_rather_long_name_indeed"
	long.Queries[1].WaitMs = 1.25
	for _, tt := range []struct {
		name    string
		r       *result.Report
		width   int
		want    []string
		without []string
	}{
		{"80 columns", repeatedRuns(), 80, []string{"MEDIAN", "P95", "MIN…MAX"}, []string{"±STDDEV", "WAIT"}},
		{"100 columns", repeatedRuns(), 100, []string{"±STDDEV", "WAIT", "ROWS"}, nil},
		{"long names and waits", long, 80, []string{"MEDIAN", "a_statement_with_a_r…"}, []string{"±STDDEV"}},
		{"flaky", flaky(), 80, []string{"error in 2 of 3 runs"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tt.r, Options{Width: tt.width}); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "│") || strings.HasPrefix(line, "┌") {
					if w := displayWidth(line); w > tt.width {
						t.Errorf("line %q is %d columns, want at most %d", line, w, tt.width)
					}
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("table\n%s\nwant %q", out, w)
				}
			}
			for _, w := range tt.without {
				if strings.Contains(strings.SplitN(out, "\n\n", 2)[0], w) {
					t.Errorf("table\n%s\nwant no %q", out, w)
				}
			}
		})
	}
}
