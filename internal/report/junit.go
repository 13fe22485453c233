package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/apiguard/apiguard/internal/check"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Cases     []junitCase `xml:"testcase"`
	SystemErr *junitText  `xml:"system-err,omitempty"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitOutcome `xml:"failure,omitempty"`
	Error     *junitOutcome `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitOutcome struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"`
}

// junitText is element text kept as CDATA, so multi-line details stay
// readable (character data would turn every newline into "&#xA;"). The text
// is clean()ed first: CDATA cannot escape characters XML forbids.
type junitText struct {
	Text string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// inputsSuite names the extra, test-less suite that carries input problems.
const inputsSuite = "inputs"

// renderJUnit writes one <testsuite> per layer and one <testcase> per
// finding, named "<checkID> <title> [<resource>]", with classname the layer.
//
//   - fail ⇒ <failure type="<severity>">; error ⇒ <error>;
//     not-assessable ⇒ <skipped message="<reason>">; not-applicable ⇒
//     <skipped message="not applicable: <reason>">; pass ⇒ a bare testcase.
//   - warn is NOT a failure: JUnit has no warning outcome, and CI systems
//     fail a build on any <failure>, which would make warnings (advice, not
//     violations) gate merges. A warn is a passing testcase whose
//     <system-out> starts with "WARNING:" and carries the details; the exit
//     code (--fail-on) is what gates CI.
//   - a check in r.Checks that produced no finding is a passing testcase
//     named "<checkID> <title>", so every check that ran is counted.
//   - input problems go to the <system-err> of a final "inputs" suite with no
//     tests, so they are visible without changing the counts.
func renderJUnit(b *bytes.Buffer, r *Report, _ Options) error {
	suites := map[check.Layer]*junitSuite{}
	var order []check.Layer
	suite := func(l check.Layer) *junitSuite {
		if s, ok := suites[l]; ok {
			return s
		}
		suites[l] = &junitSuite{Name: clean(string(l))}
		order = append(order, l)
		return suites[l]
	}

	seen := map[string]bool{}
	for _, f := range r.Findings {
		seen[f.CheckID] = true
		suite(f.Layer).Cases = append(suite(f.Layer).Cases, junitFindingCase(f))
	}
	for _, m := range r.Checks {
		if seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		name := m.ID
		if m.Title != "" {
			name += " " + m.Title
		}
		suite(m.Layer).Cases = append(suite(m.Layer).Cases, junitCase{ClassName: clean(string(m.Layer)), Name: clean(name)})
	}

	name := r.Tool
	if name == "" {
		name = "apiguard"
	}
	if r.Target != "" {
		name += " " + r.Target
	}
	out := junitSuites{Name: clean(name)}
	for _, l := range layerOrder(order) {
		s := suites[l]
		for _, c := range s.Cases {
			s.Tests++
			switch {
			case c.Failure != nil:
				s.Failures++
			case c.Error != nil:
				s.Errors++
			case c.Skipped != nil:
				s.Skipped++
			}
		}
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Skipped += s.Skipped
		out.Suites = append(out.Suites, *s)
	}
	if len(r.Problems) > 0 {
		var lines []string
		for _, p := range r.Problems {
			lines = append(lines, clean(p.String()))
		}
		out.Suites = append(out.Suites, junitSuite{Name: inputsSuite, SystemErr: &junitText{Text: strings.Join(lines, "\n")}})
	}

	b.WriteString(xml.Header)
	enc := xml.NewEncoder(b)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	b.WriteByte('\n')
	return nil
}

// layerOrder sorts the layers seen in check.Layers order; unknown layers
// follow in order of first appearance.
func layerOrder(seen []check.Layer) []check.Layer {
	in := map[check.Layer]bool{}
	for _, l := range seen {
		in[l] = true
	}
	var out []check.Layer
	for _, l := range check.Layers {
		if in[l] {
			out = append(out, l)
			delete(in, l)
		}
	}
	for _, l := range seen {
		if in[l] {
			out = append(out, l)
		}
	}
	return out
}

func junitFindingCase(f check.Finding) junitCase {
	c := junitCase{ClassName: clean(string(f.Layer)), Name: clean(findingName(f))}
	switch f.Status {
	case check.Fail:
		c.Failure = &junitOutcome{Message: clean(f.Message), Type: f.Severity.String(), Body: junitDetails(f)}
	case check.Error:
		c.Error = &junitOutcome{Message: clean(firstLine(f.Message)), Type: "error", Body: junitDetails(f)}
	case check.NotAssessable:
		c.Skipped = &junitSkipped{Message: clean(f.Message)}
	case check.NotApplicable:
		c.Skipped = &junitSkipped{Message: clean("not applicable: " + f.Message)}
	case check.Warn:
		c.SystemOut = &junitText{Text: "WARNING (" + f.Severity.String() + "): " + junitDetails(f)}
	}
	return c
}

// junitDetails is the plain-text body of a failure: message, resource,
// location, evidence, path and remediation.
func junitDetails(f check.Finding) string {
	var b strings.Builder
	b.WriteString(f.Message)
	b.WriteString("\n")
	if f.Resource != "" {
		fmt.Fprintf(&b, "resource: %s\n", f.Resource)
	}
	if loc := locationText(f.Location); loc != "" {
		fmt.Fprintf(&b, "location: %s\n", loc)
	}
	if len(f.Evidence) > 0 {
		b.WriteString("evidence:\n")
		for _, e := range f.Evidence {
			fmt.Fprintf(&b, "  %s\n", evidenceLine(e))
		}
	}
	if len(f.Path) > 0 {
		b.WriteString("path:\n")
		for i, s := range f.Path {
			fmt.Fprintf(&b, "  %d. %s\n", i+1, stepLine(s))
		}
	}
	if showRemediation(f) {
		fmt.Fprintf(&b, "remediation: %s\n", f.Remediation)
	}
	return clean(b.String())
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
