// Package report holds the Report model and one renderer per output format:
// table (human, the default), json (a contract other tools rely on), sarif
// (code scanning), junit (CI test reports) and markdown (PR comments, wikis).
//
// Renderers are pure: the same Report always gives the same bytes (no
// timestamps, no map iteration order). Each renders into a buffer and writes
// it once, so a failing renderer never leaves half a document behind.
package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/rbac"
)

// Report is everything a renderer needs.
type Report struct {
	Tool    string
	Version string
	// Target names what was scanned: a kubeconfig context, a file, a directory.
	Target string
	// Findings are in report order (check.Sort: layer, status, severity, ID, resource).
	Findings []check.Finding
	Summary  check.Summary
	// Problems are input errors that did not stop the scan.
	Problems []inputs.Problem
	// Checks is every check that ran, for SARIF rules and JUnit test cases.
	Checks []check.Metadata
	// Benchmark is the CIS benchmark version the checks followed where
	// versions differ (scan, probe); empty for reports that judge no CIS
	// recommendation (kubeconfig audit).
	Benchmark check.Benchmark
	// Command names what ran in the table's header: "scan" when empty.
	Command string
	// RBAC is the cluster's RBAC model when the scan read one: the HTML
	// report draws its attack-path graph.
	RBAC *rbac.Policy
}

// New builds a report and computes its summary. Findings are kept in the
// given order, which the runner has already sorted.
func New(tool, version, target string, checks []check.Metadata, findings []check.Finding, problems []inputs.Problem) *Report {
	return &Report{
		Tool:     tool,
		Version:  version,
		Target:   target,
		Findings: findings,
		Summary:  check.Summarize(findings),
		Problems: problems,
		Checks:   checks,
	}
}

// Options tune the human formats.
type Options struct {
	// Color emits ANSI colours (table only). Callers set it when stdout is a
	// terminal and NO_COLOR is unset; renderers never guess.
	Color bool
	// ShowPassed lists passing findings (table and markdown). By default
	// passes are only counted in the summary.
	ShowPassed bool
	// FailOn (when FailOnSet, else high) and FailNever are --fail-on, for
	// the HTML report's exit verdict.
	FailOn    check.Severity
	FailOnSet bool
	FailNever bool
}

// Format names.
const (
	FormatTable    = "table"
	FormatJSON     = "json"
	FormatSARIF    = "sarif"
	FormatJUnit    = "junit"
	FormatMarkdown = "markdown"
)

// DefaultFormat is used when the format is empty.
const DefaultFormat = FormatTable

type renderer func(b *bytes.Buffer, r *Report, o Options) error

var renderers = []struct {
	name string
	fn   renderer
}{
	{FormatTable, renderTable},
	{FormatJSON, renderJSON},
	{FormatSARIF, renderSARIF},
	{FormatJUnit, renderJUnit},
	{FormatMarkdown, renderMarkdown},
	{FormatHTML, renderHTML},
}

// Formats lists the accepted format names, default first.
func Formats() []string {
	out := make([]string, len(renderers))
	for i, x := range renderers {
		out[i] = x.name
	}
	return out
}

// Render writes r to w in the named format ("" means DefaultFormat).
func Render(w io.Writer, format string, r *Report, o Options) error {
	if r == nil {
		return fmt.Errorf("render %s: no report", format)
	}
	name := strings.ToLower(strings.TrimSpace(format))
	if name == "" {
		name = DefaultFormat
	}
	for _, x := range renderers {
		if x.name != name {
			continue
		}
		var b bytes.Buffer
		if err := x.fn(&b, r, o); err != nil {
			return fmt.Errorf("render %s: %w", name, err)
		}
		_, err := w.Write(b.Bytes())
		return err
	}
	return fmt.Errorf("unknown output format %q (want one of %s)", format, strings.Join(Formats(), ", "))
}

// group is the findings of one layer, in report order.
type group struct {
	Layer    check.Layer
	Findings []check.Finding
}

// groupByLayer splits findings by layer in check.Layers order; layers that
// are not in check.Layers follow in order of first appearance. Layers without
// findings are left out.
func groupByLayer(fs []check.Finding) []group {
	idx := map[check.Layer]int{}
	var gs []group
	for _, l := range check.Layers {
		idx[l] = len(gs)
		gs = append(gs, group{Layer: l})
	}
	for _, f := range fs {
		i, ok := idx[f.Layer]
		if !ok {
			i = len(gs)
			idx[f.Layer] = i
			gs = append(gs, group{Layer: f.Layer})
		}
		gs[i].Findings = append(gs[i].Findings, f)
	}
	out := gs[:0]
	for _, g := range gs {
		if len(g.Findings) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// severitiesDesc is the order summaries list failing severities in.
var severitiesDesc = []check.Severity{check.Critical, check.High, check.Medium, check.Low, check.Info}

// failBySeverity renders "1 critical, 2 high" (only non-zero counts).
func failBySeverity(s check.Summary) string {
	var parts []string
	for _, sev := range severitiesDesc {
		if n := s.FailBySeverity[sev.String()]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, sev))
		}
	}
	return strings.Join(parts, ", ")
}

// statusLabel is the short, upper-case badge of a status.
func statusLabel(s check.Status) string {
	switch s {
	case check.Fail:
		return "FAIL"
	case check.Warn:
		return "WARN"
	case check.NotAssessable:
		return "UNKN" // the result is unknown: the check could not see its input
	case check.NotApplicable:
		return "N/A"
	case check.Error:
		return "ERROR"
	case check.Pass:
		return "PASS"
	}
	return strings.ToUpper(string(s))
}

// clean makes text that came from the scanned inputs safe to print on a
// terminal or embed in a document: invalid UTF-8 becomes U+FFFD, and control
// characters (ANSI escapes, carriage returns, C1 controls) and bidirectional
// overrides are shown escaped ("\x1b") instead of acting on the reader's
// screen. Newlines and tabs are kept.
func clean(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	safe := true
	for _, r := range s {
		if unsafeRune(r) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !unsafeRune(r):
			b.WriteRune(r)
		case r < utf8.RuneSelf:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true // bidi embeddings, overrides and isolates ("trojan source")
	case r == 0xfffe || r == 0xffff:
		return true // not characters; XML forbids them
	}
	return false
}

// oneLine cleans s and folds it onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(clean(s)), " ")
}

// wrap breaks text into lines of at most width runes on word boundaries.
// The first line starts with first, the others with rest. Explicit newlines
// start a new line. Spacing between words on a line is kept as written
// ("key = value  (source)"); spacing at a break is dropped. A word longer
// than the line stays whole.
func wrap(text, first, rest string, width int) []string {
	var lines []string
	prefix := first
	for _, para := range strings.Split(strings.ReplaceAll(text, "\t", " "), "\n") {
		words, gaps := splitWords(para)
		if len(words) == 0 {
			continue
		}
		// Keep a paragraph's own indentation (YAML snippets in remediations).
		indent := para[:len(para)-len(strings.TrimLeft(para, " "))]
		line := prefix + indent + words[0]
		n := utf8.RuneCountInString(line)
		for i, w := range words[1:] {
			gap := gaps[i]
			wn := utf8.RuneCountInString(w)
			if n+len(gap)+wn > width {
				lines = append(lines, line)
				line = rest + indent + w
				n = utf8.RuneCountInString(rest+indent) + wn
				continue
			}
			line += gap + w
			n += len(gap) + wn
		}
		lines = append(lines, line)
		prefix = rest
	}
	return lines
}

// splitWords splits s at runs of spaces; gaps[i] is the run between
// words[i] and words[i+1]. Leading and trailing spaces are dropped.
func splitWords(s string) (words, gaps []string) {
	s = strings.Trim(s, " ")
	for s != "" {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			words = append(words, s)
			break
		}
		words = append(words, s[:i])
		j := i
		for j < len(s) && s[j] == ' ' {
			j++
		}
		gaps = append(gaps, s[i:j])
		s = s[j:]
	}
	return words, gaps
}

// findingName is "ID title [resource]", the name of a finding in one line.
func findingName(f check.Finding) string {
	s := f.CheckID
	if f.Title != "" {
		s += " " + f.Title
	}
	if f.Resource != "" {
		s += " [" + f.Resource + "]"
	}
	return s
}

// evidenceLine renders one evidence as "key = value  (source)".
func evidenceLine(e check.Evidence) string {
	v := e.Value
	if v == "" {
		v = `""`
	}
	s := e.Key + " = " + v
	if e.Source != "" {
		s += "  (" + e.Source + ")"
	}
	return s
}

// stepLine renders one path step as "action (via X)".
func stepLine(s check.Step) string {
	switch {
	case s.Via == "":
		return s.Action
	case s.Action == "":
		return "via " + s.Via
	}
	return s.Action + " (via " + s.Via + ")"
}

// locationText renders "file:line".
func locationText(l *check.Location) string {
	if l == nil || l.File == "" {
		return ""
	}
	if l.Line > 0 {
		return fmt.Sprintf("%s:%d", l.File, l.Line)
	}
	return l.File
}

// showRemediation: remediation is shown for findings that need action.
func showRemediation(f check.Finding) bool {
	return f.Actionable() && f.Remediation != ""
}
