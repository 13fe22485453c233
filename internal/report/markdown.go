package report

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/apiguard/apiguard/internal/check"
)

// renderMarkdown writes GitHub-flavoured markdown for PR comments and wikis:
// a heading with the target, a table of status counts, then per layer a
// table of the findings that need a human (fail, warn, error and
// not-assessable: a check that could not look is never a silent pass) with a
// details list below it. With ShowPassed, passes and not-applicable results
// are listed in collapsed <details> blocks per layer.
func renderMarkdown(b *bytes.Buffer, r *Report, o Options) error {
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }

	title := "apiguard report"
	if r.Target != "" {
		title += ": " + r.Target
	}
	p("# %s\n\n", mdText(oneLine(title)))
	tool := r.Tool
	if tool == "" {
		tool = "apiguard"
	}
	if r.Version != "" {
		tool += " " + r.Version
	}
	if r.Benchmark != "" {
		tool += ", following " + r.Benchmark.Name() + " where CIS versions differ"
	}
	p("Scanned by %s.\n\n", mdText(oneLine(tool)))

	s := r.Summary
	p("| Status | Count |\n|---|---:|\n")
	p("| Fail | %d |\n| Warn | %d |\n| Not assessable | %d |\n| Not applicable | %d |\n| Error | %d |\n| Pass | %d |\n| **Total** | **%d** |\n\n",
		s.Fail, s.Warn, s.NotAssessable, s.NotApplicable, s.Error, s.Pass, s.Total)
	if by := failBySeverity(s); by != "" {
		p("Failing by severity: %s.\n\n", by)
	}

	groups := groupByLayer(r.Findings)
	if len(groups) == 0 {
		p("No findings.\n\n")
	}
	for _, g := range groups {
		p("## %s\n\n", mdText(oneLine(g.Layer.Title())))
		var shown, passed, notApplicable []check.Finding
		for _, f := range g.Findings {
			switch f.Status {
			case check.Pass:
				passed = append(passed, f)
			case check.NotApplicable:
				notApplicable = append(notApplicable, f)
			default:
				shown = append(shown, f)
			}
		}
		if len(shown) == 0 {
			quiet := fmt.Sprintf("%d passed", len(passed))
			if len(notApplicable) > 0 {
				quiet += fmt.Sprintf(", %d not applicable", len(notApplicable))
			}
			p("No findings need attention (%s).\n\n", quiet)
		} else {
			p("| Status | Severity | Check | Resource | Message |\n|---|---|---|---|---|\n")
			for _, f := range shown {
				p("| %s | %s | %s | %s | %s |\n", statusLabel(f.Status), f.Severity,
					mdCell(f.CheckID), mdCell(f.Resource), mdCell(f.Message))
			}
			p("\n")
			for _, f := range shown {
				mdDetails(b, f)
			}
			p("\n")
		}
		if o.ShowPassed {
			mdCollapsed(b, "Passed", passed)
			mdCollapsed(b, "Not applicable", notApplicable)
		}
	}

	if len(r.Problems) > 0 {
		p("## Input problems\n\n")
		for _, pr := range r.Problems {
			p("- %s\n", mdInline(pr.String()))
		}
		p("\n")
	}
	// One trailing newline, not two.
	out := bytes.TrimRight(b.Bytes(), "\n")
	b.Truncate(len(out))
	b.WriteByte('\n')
	return nil
}

// mdCollapsed lists findings that need no action in a collapsed <details>
// block headed "<summary> (n)"; nothing when there are none.
func mdCollapsed(b *bytes.Buffer, summary string, fs []check.Finding) {
	if len(fs) == 0 {
		return
	}
	fmt.Fprintf(b, "<details>\n<summary>%s (%d)</summary>\n\n", summary, len(fs))
	for _, f := range fs {
		line := "- **" + mdText(oneLine(f.CheckID)) + "** " + mdText(oneLine(f.Title))
		if f.Resource != "" {
			line += " on " + mdText(oneLine(f.Resource))
		}
		if f.Message != "" {
			line += ": " + mdInline(f.Message)
		}
		b.WriteString(line + "\n")
	}
	b.WriteString("\n</details>\n\n")
}

// mdDetails is one list item per finding: what, where, evidence, path, fix.
// A finding with none of those (a not-assessable or error result) is fully
// told by its table row and gets no item.
func mdDetails(b *bytes.Buffer, f check.Finding) {
	if f.Location == nil && len(f.Evidence) == 0 && len(f.Path) == 0 && !showRemediation(f) {
		return
	}
	head := "- **" + mdText(oneLine(f.CheckID)) + "** " + mdText(oneLine(f.Title))
	if f.Resource != "" {
		head += " on " + mdText(oneLine(f.Resource))
	}
	b.WriteString(head + "\n")
	item := func(label, text string) {
		b.WriteString("  - " + label + ": " + text + "\n")
	}
	if loc := locationText(f.Location); loc != "" && !evidenceCites(f, loc) {
		item("Location", mdText(oneLine(loc)))
	}
	for _, e := range f.Evidence {
		item("Evidence", mdInline(evidenceLine(e)))
	}
	for i, s := range f.Path {
		item(fmt.Sprintf("Path %d", i+1), mdInline(stepLine(s)))
	}
	if showRemediation(f) {
		item("Remediation", mdInline(f.Remediation))
	}
}

// mdSpecial are the characters that could start markdown or HTML inside a
// line; they are backslash-escaped (CommonMark allows escaping any ASCII
// punctuation) so that scanned input renders as the literal text it is.
const mdSpecial = "\\`*_[]<>|~&!#"

// mdText escapes s for use in markdown running text (s is one line).
func mdText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 && strings.ContainsRune(mdSpecial, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdInline escapes text that may span lines: each line is escaped and the
// lines are joined with <br>.
func mdInline(s string) string {
	lines := strings.Split(clean(strings.TrimSpace(s)), "\n")
	for i, l := range lines {
		lines[i] = mdText(strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(lines, "<br>")
}

// mdCell is mdInline for a table cell ("|" is escaped by mdText).
func mdCell(s string) string { return mdInline(s) }
