package report

import (
	"bufio"
	"encoding/xml"
	"io"
	"strconv"
	"time"

	"github.com/qrunhq/qrun/result"
)

// JUnitSuites is the root element of the junit format. The types are exported so that
// tests and tools can read the output back with xml.Unmarshal.
type JUnitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is one target's statements, or one comparison's rows.
type JUnitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []JUnitProperty `xml:"properties>property,omitempty"`
	Cases      []JUnitCase     `xml:"testcase"`
	SystemErr  string          `xml:"system-err,omitempty"`
}

// JUnitProperty is a name and value describing a suite's run.
type JUnitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// JUnitCase is one statement (unit) of a run, or one row of a comparison. Time is in
// seconds and Classname is the statement's file.
type JUnitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *JUnitFailure `xml:"failure,omitempty"`
	Skipped   *JUnitSkipped `xml:"skipped,omitempty"`
}

// JUnitFailure marks a failed statement (error, timeout) or a gated regression.
type JUnitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnitSkipped marks a statement that was skipped, not run, cancelled or only planned.
type JUnitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

func seconds(ms float64) string { return strconv.FormatFloat(ms/1000, 'f', 6, 64) }

func writeJUnit(w io.Writer, r *result.Report) error {
	root := JUnitSuites{Name: "qrun"}
	v := newView(r)
	for i := range v.sections {
		s := &v.sections[i]
		name := s.label
		if len(r.Targets) == 0 {
			name = "qrun"
		}
		root.Suites = append(root.Suites, junitSuite(s.r, name, s.gates))
	}
	return encodeJUnit(w, &root)
}

// junitSuite makes one target's suite; the comparisons cs gate its statements.
func junitSuite(r *result.Report, name string, cs []*result.Comparison) JUnitSuite {
	s := JUnitSuite{Name: name, Time: seconds(r.TotalWallMs), Cases: make([]JUnitCase, 0, len(r.Queries))}
	if !r.Context.StartedAt.IsZero() {
		s.Timestamp = r.Context.StartedAt.UTC().Format(time.RFC3339)
	}
	prop := func(k, v string) {
		if v != "" {
			s.Properties = append(s.Properties, JUnitProperty{Name: k, Value: v})
		}
	}
	prop("mode", r.Mode)
	prop("concurrency", strconv.Itoa(r.Concurrency))
	prop("runs", strconv.Itoa(r.Runs))
	prop("target", r.Context.Target)
	prop("server_version", r.Context.ServerVersion)
	prop("qrun_version", r.Context.QrunVersion)
	idx := make([]map[string]*result.ComparisonRow, len(cs))
	for k, c := range cs {
		idx[k] = rowIndex(c)
	}
	for i := range r.Queries {
		q := &r.Queries[i]
		tc := JUnitCase{Name: q.Name, Classname: q.File, Time: seconds(q.WallMs)}
		switch {
		case q.Status.OwnFailure():
			msg, _ := problem(q)
			tc.Failure = &JUnitFailure{Message: msg, Type: string(q.Status), Text: position(q) + ": " + q.Name + ": " + msg}
			if e := firstError(q); e != nil {
				if e.Detail != "" {
					tc.Failure.Text += "\nDETAIL: " + e.Detail
				}
				if e.Hint != "" {
					tc.Failure.Text += "\nHINT: " + e.Hint
				}
			}
		case q.OwnFailure():
			// Ok in the last run, failed in another: a failure all the same (exit 1).
			msg := statusCell(q, false)
			tc.Failure = &JUnitFailure{Message: msg, Type: "error", Text: position(q) + ": " + q.Name + ": " + msg}
		case q.Status == result.StatusPlanned:
			tc.Skipped = &JUnitSkipped{Message: "planned (dry run)"}
		case q.Status != result.StatusOK:
			msg, _ := problem(q)
			tc.Skipped = &JUnitSkipped{Message: msg}
		}
		for k := 0; k < len(cs) && tc.Failure == nil; k++ {
			if row := idx[k][q.Name]; row != nil && row.Regression {
				msg := regressionMessage(row, cs[k].ThresholdPct)
				tc.Failure = &JUnitFailure{Message: msg, Type: "regression",
					Text: q.Name + ": " + Duration(row.BaseMs) + " → " + Duration(row.NewMs) + ", " + msg}
			} else if row != nil && row.PlanRegression { // --gate-plan
				msg := planChangeMessage(row)
				tc.Failure = &JUnitFailure{Message: msg, Type: "plan", Text: q.Name + ": " + msg}
			}
		}
		if tc.Failure != nil {
			s.Failures++
		} else if tc.Skipped != nil {
			s.Skipped++
		}
		s.Cases = append(s.Cases, tc)
	}
	s.Tests = len(s.Cases)
	if len(r.Warnings) > 0 {
		for _, wn := range r.Warnings {
			s.SystemErr += "warning: " + wn + "\n"
		}
	}
	return s
}

func encodeJUnit(w io.Writer, root *JUnitSuites) error {
	total := 0.0
	for i := range root.Suites {
		s := &root.Suites[i]
		root.Tests += s.Tests
		root.Failures += s.Failures
		root.Errors += s.Errors
		root.Skipped += s.Skipped
		f, _ := strconv.ParseFloat(s.Time, 64)
		total += f
	}
	root.Time = strconv.FormatFloat(total, 'f', 6, 64)
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(xml.Header)
	enc := xml.NewEncoder(bw)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return err
	}
	bw.WriteByte('\n')
	return bw.Flush()
}

func writeComparisonsJUnit(w io.Writer, cs []result.Comparison) error {
	root := JUnitSuites{Name: "qrun compare"}
	for i := range cs {
		c := &cs[i]
		s := JUnitSuite{Name: c.Base + " → " + c.New, Cases: make([]JUnitCase, 0, len(c.Rows))}
		if c.Total != nil {
			s.Time = seconds(c.Total.NewMs)
		} else {
			s.Time = seconds(0)
		}
		s.Properties = []JUnitProperty{
			{Name: "threshold_pct", Value: num(c.ThresholdPct)},
			{Name: "alpha", Value: num(c.Alpha)},
		}
		for j := range c.Rows {
			row := &c.Rows[j]
			tc := JUnitCase{Name: row.Name, Classname: c.New, Time: seconds(row.NewMs)}
			switch {
			case row.Regression:
				msg := regressionMessage(row, c.ThresholdPct)
				tc.Failure = &JUnitFailure{Message: msg, Type: "regression",
					Text: row.Name + ": " + Duration(row.BaseMs) + " → " + Duration(row.NewMs) + ", " + msg}
				s.Failures++
			case row.PlanRegression: // --gate-plan
				msg := planChangeMessage(row)
				tc.Failure = &JUnitFailure{Message: msg, Type: "plan", Text: row.Name + ": " + msg}
				s.Failures++
			case row.Verdict == result.VerdictFailedNew:
				msg := "failed in " + c.New
				if row.Note != "" {
					msg += ": " + row.Note
				}
				tc.Failure = &JUnitFailure{Message: msg, Type: "failed", Text: row.Name + ": " + msg}
				s.Failures++
			case row.Verdict == result.VerdictGone:
				tc.Skipped = &JUnitSkipped{Message: "only in " + c.Base}
				s.Skipped++
			}
			s.Cases = append(s.Cases, tc)
		}
		s.Tests = len(s.Cases)
		root.Suites = append(root.Suites, s)
	}
	return encodeJUnit(w, &root)
}
