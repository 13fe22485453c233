package report

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/apiguard/apiguard/internal/check"
)

// tableWidth is where the table renderer wraps messages and details.
const tableWidth = 100

// Layout of a finding line: two spaces, the badge padded to the widest badge
// ("ERROR"), the severity padded to the widest severity ("critical"), the
// check ID, the title and the resource. Details are indented under the
// severity column.
const (
	badgeWidth    = 5
	severityWidth = 8
	// maxIDWidth caps the ID column so one odd ID does not push every title right.
	maxIDWidth = 16
)

var detailIndent = strings.Repeat(" ", 2+badgeWidth+1)

// ANSI styles.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiMag    = "\x1b[35m"
	ansiGrey   = "\x1b[90m"
)

type styler struct{ on bool }

func (s styler) wrap(code, text string) string {
	if !s.on || text == "" {
		return text
	}
	return code + text + ansiReset
}

func (s styler) bold(text string) string { return s.wrap(ansiBold, text) }

// badge is the padded, coloured status badge.
func (s styler) badge(st check.Status) string {
	label := statusLabel(st)
	pad := strings.Repeat(" ", max(0, badgeWidth-len(label)))
	var code string
	switch st {
	case check.Fail:
		code = ansiBold + ansiRed
	case check.Warn:
		code = ansiYellow
	case check.NotAssessable, check.NotApplicable:
		code = ansiGrey
	case check.Error:
		code = ansiBold + ansiMag
	case check.Pass:
		code = ansiGreen
	}
	return s.wrap(code, label) + pad
}

// renderTable is the human report: findings grouped by layer, details
// indented under each, a summary line and the input problems.
func renderTable(b *bytes.Buffer, r *Report, o Options) error {
	st := styler{on: o.Color}
	writeln := func(s string) { b.WriteString(s); b.WriteByte('\n') }
	writeLines := func(ls []string) {
		for _, l := range ls {
			writeln(l)
		}
	}

	writeln(st.bold(tableHeader(r)))

	idWidth := 0
	for _, f := range r.Findings {
		if !quiet(f.Status) || o.ShowPassed {
			idWidth = max(idWidth, utf8.RuneCountInString(oneLine(f.CheckID)))
		}
	}
	idWidth = min(idWidth, maxIDWidth)

	groups := groupByLayer(r.Findings)
	if len(groups) == 0 {
		writeln("")
		writeln("No findings.")
	}
	for _, g := range groups {
		writeln("")
		writeln(st.bold(oneLine(g.Layer.Title())))
		passed, notApplicable := 0, 0
		for _, f := range g.Findings {
			if quiet(f.Status) && !o.ShowPassed {
				if f.Status == check.Pass {
					passed++
				} else {
					notApplicable++
				}
				continue
			}
			writeln(findingLine(st, f, idWidth))
			writeLines(findingDetails(f))
		}
		var hidden []string
		if passed > 0 {
			hidden = append(hidden, fmt.Sprintf("%d passed", passed))
		}
		if notApplicable > 0 {
			hidden = append(hidden, fmt.Sprintf("%d not applicable", notApplicable))
		}
		if len(hidden) > 0 {
			writeln("  " + strings.Join(hidden, ", ") + " (not shown)")
		}
	}

	writeln("")
	writeln(st.bold("Summary:") + " " + summaryText(r.Summary))

	if len(r.Problems) > 0 {
		writeln("")
		writeln(st.bold("Input problems:"))
		for _, p := range r.Problems {
			writeLines(wrap(clean(p.String()), "  ", "    ", tableWidth))
		}
	}
	return nil
}

func tableHeader(r *Report) string {
	tool := r.Tool
	if tool == "" {
		tool = "apiguard"
	}
	s := tool
	if r.Version != "" {
		s += " " + r.Version
	}
	cmd := r.Command
	if cmd == "" {
		cmd = "scan"
	}
	s += " " + cmd
	if r.Target != "" {
		s += " of " + r.Target
	}
	return oneLine(s)
}

// findingLine: "  FAIL  high      AG-NET-005    Title  [resource]"; the ID is padded
// to idWidth so titles line up.
func findingLine(st styler, f check.Finding, idWidth int) string {
	sev := f.Severity.String()
	id := oneLine(f.CheckID)
	line := "  " + st.badge(f.Status) + " " + sev + strings.Repeat(" ", max(0, severityWidth-len(sev))) +
		"  " + id
	if f.Title != "" {
		line += strings.Repeat(" ", max(0, idWidth-utf8.RuneCountInString(id)))
	}
	if f.Title != "" {
		line += "  " + oneLine(f.Title)
	}
	if f.Resource != "" {
		line += "  [" + oneLine(f.Resource) + "]"
	}
	return line
}

// findingDetails: message, evidence, location, path and remediation.
func findingDetails(f check.Finding) []string {
	in := detailIndent
	var ls []string
	ls = append(ls, wrap(clean(f.Message), in, in, tableWidth)...)
	for _, e := range f.Evidence {
		ls = append(ls, wrap(clean(evidenceLine(e)), in, in+"    ", tableWidth)...)
	}
	if loc := locationText(f.Location); loc != "" && !evidenceCites(f, loc) {
		ls = append(ls, wrap(clean(loc), in+"at ", in+"   ", tableWidth)...)
	}
	if len(f.Path) > 0 {
		ls = append(ls, in+"path:")
		for i, s := range f.Path {
			n := fmt.Sprintf("%d. ", i+1)
			ls = append(ls, wrap(clean(stepLine(s)), in+"  "+n, in+"  "+strings.Repeat(" ", len(n)), tableWidth)...)
		}
	}
	if showRemediation(f) {
		ls = append(ls, wrap(clean(f.Remediation), in+"fix: ", in+"     ", tableWidth)...)
	}
	return ls
}

// quiet statuses ask nothing of the reader: they are listed only with
// --show-passed (and always counted in the summary).
func quiet(s check.Status) bool { return s == check.Pass || s == check.NotApplicable }

// summaryText: "12 results: 3 fail (1 critical, 2 high), 1 warn, 2 not
// assessable, 1 error, 5 pass"; "N not applicable" only when there are some.
func summaryText(s check.Summary) string {
	fail := fmt.Sprintf("%d fail", s.Fail)
	if by := failBySeverity(s); by != "" {
		fail += " (" + by + ")"
	}
	noun := "results"
	if s.Total == 1 {
		noun = "result"
	}
	na := ""
	if s.NotApplicable > 0 {
		na = fmt.Sprintf(", %d not applicable", s.NotApplicable)
	}
	return fmt.Sprintf("%d %s: %s, %d warn, %d not assessable%s, %d error, %d pass",
		s.Total, noun, fail, s.Warn, s.NotAssessable, na, s.Error, s.Pass)
}

// evidenceCites reports whether an evidence source already names loc, so the
// table does not print the same file:line twice.
func evidenceCites(f check.Finding, loc string) bool {
	for _, e := range f.Evidence {
		if e.Source == loc || strings.Contains(e.Source, "("+loc+")") {
			return true
		}
	}
	return false
}
