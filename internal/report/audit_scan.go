package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/detect"
)

// The report of audit scan: its model (the document -o json prints, built
// as alerts come, bounded whatever the log size) and the table.

// AuditScanMaxAlerts bounds the alerts an AuditScan lists (the summary
// counts them all).
const AuditScanMaxAlerts = 10000

// AuditScan is the report of one scan.
type AuditScan struct {
	Tool    string         `json:"tool"`
	Version string         `json:"version"`
	Inputs  []string       `json:"inputs"`
	Alerts  []detect.Alert `json:"alerts"`
	Summary *AlertSummary  `json:"summary"`
	// Coverage lists the rules blind under Policy.
	Coverage []detect.RuleCoverage `json:"blind"`
	Inactive []detect.InactiveRule `json:"inactive"`
	Problems []string              `json:"problems"`
	// Policy names the audit policy the logs were written under, if given.
	Policy string `json:"-"`
	// ListAlerts: Add lists alerts (-o json), not only counts them.
	ListAlerts bool `json:"-"`
}

// NewAuditScan starts an empty report.
func NewAuditScan(tool, version string, inputs []string) *AuditScan {
	return &AuditScan{Tool: tool, Version: version, Inputs: inputs, Alerts: []detect.Alert{},
		Summary:  &AlertSummary{BySeverity: map[string]int64{}, ByRule: []*RuleSummary{}, byRule: map[string]*RuleSummary{}},
		Coverage: []detect.RuleCoverage{}, Inactive: []detect.InactiveRule{}, Problems: []string{}}
}

// Add counts an alert in the summary and, with ListAlerts, lists it (at
// most AuditScanMaxAlerts).
func (r *AuditScan) Add(al detect.Alert) {
	r.Summary.add(al)
	if !r.ListAlerts {
		return
	}
	if len(r.Alerts) < AuditScanMaxAlerts {
		r.Alerts = append(r.Alerts, al)
	} else {
		r.Summary.AlertsOmitted++
	}
}

// AlertSummary is what a scan read and raised.
type AlertSummary struct {
	Events     int64            `json:"events"`
	Lines      int64            `json:"lines"`
	Bytes      int64            `json:"bytes"`
	Files      int64            `json:"files"`
	BadLines   int64            `json:"badLines"`
	Alerts     int64            `json:"alerts"`
	BySeverity map[string]int64 `json:"bySeverity"`
	ByRule     []*RuleSummary   `json:"byRule"`
	// AlertsOmitted counts alerts beyond the ones listed (-o json).
	AlertsOmitted int64 `json:"alertsOmitted,omitempty"`
	byRule        map[string]*RuleSummary
}

// RuleSummary is the alerts of one rule.
type RuleSummary struct {
	Rule     string         `json:"rule"`
	Title    string         `json:"title"`
	Severity check.Severity `json:"severity"`
	Tactic   string         `json:"tactic"`
	Count    int64          `json:"count"`
	First    time.Time      `json:"first"`
	Last     time.Time      `json:"last"`
	Example  string         `json:"example"`
}

func (s *AlertSummary) add(al detect.Alert) {
	s.Alerts++
	s.BySeverity[al.Severity.String()]++
	r := s.byRule[al.Rule]
	if r == nil {
		r = &RuleSummary{Rule: al.Rule, Title: al.Title, Severity: al.Severity, Tactic: al.Tactic, First: al.Timestamp, Example: al.Message}
		s.byRule[al.Rule] = r
		s.ByRule = append(s.ByRule, r)
	}
	r.Count++
	if al.Timestamp.Before(r.First) {
		r.First = al.Timestamp
	}
	if al.Timestamp.After(r.Last) {
		r.Last = al.Timestamp
	}
}

// Sort orders the rules by severity, then count, then ID.
func (s *AlertSummary) Sort() {
	sort.SliceStable(s.ByRule, func(i, j int) bool {
		a, b := s.ByRule[i], s.ByRule[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Rule < b.Rule
	})
}

// AtOrAbove reports whether a rule alerted at or above sev.
func (s *AlertSummary) AtOrAbove(sev check.Severity) bool {
	for _, rs := range s.ByRule {
		if rs.Severity >= sev {
			return true
		}
	}
	return false
}

// AuditScanDone is the line that ends a scan whose alerts were streamed
// (-o jsonl), for a terminal.
func AuditScanDone(w io.Writer, s *AlertSummary, elapsed time.Duration) {
	fmt.Fprintf(w, "apiguard: %s in %s\n", auditScanTotals(s), elapsed.Round(time.Millisecond))
}

// auditScanTotals is the summary in one line: "1,234 events in 2 files
// (3.4 MiB): 5 alerts (2 high, 3 medium) from 3 rules".
func auditScanTotals(s *AlertSummary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s events", Thousands(s.Events))
	if s.Files > 0 {
		fmt.Fprintf(&b, " in %d file%s (%s)", s.Files, plural(s.Files), HumanBytes(s.Bytes))
	}
	if s.Alerts == 0 {
		b.WriteString(": no alert")
		return b.String()
	}
	var sev []string
	for i := check.Critical; i >= check.Info; i-- {
		if n := s.BySeverity[i.String()]; n > 0 {
			sev = append(sev, fmt.Sprintf("%d %s", n, i))
		}
	}
	fmt.Fprintf(&b, ": %d alert%s (%s) from %d rule%s", s.Alerts, plural(s.Alerts), strings.Join(sev, ", "), len(s.ByRule), plural(int64(len(s.ByRule))))
	return b.String()
}

// AuditScanTable prints the alerts by rule, each rule's first alert, the
// totals, and the rules blind or inactive.
func AuditScanTable(w io.Writer, rep *AuditScan) {
	s := rep.Summary
	if len(s.ByRule) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SEVERITY\tRULE\tTACTIC\tALERTS\tFIRST SEEN\tTITLE")
		for _, r := range s.ByRule {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", r.Severity, r.Rule, r.Tactic, r.Count, r.First.UTC().Format(time.RFC3339), r.Title)
		}
		tw.Flush()
		fmt.Fprintln(w)
		fmt.Fprintln(w, "First alert of each rule:")
		for _, r := range s.ByRule {
			fmt.Fprintf(w, "  %s  %s\n", r.Rule, clipExample(r.Example, 160))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, capitalize(auditScanTotals(s))+".")
	if s.BadLines > 0 {
		fmt.Fprintf(w, "%d undecodable line%s (see the warnings).\n", s.BadLines, plural(s.BadLines))
	}
	if len(rep.Coverage) > 0 {
		fmt.Fprintf(w, "\nBlind under %s (%d rule%s cannot see what they need):\n", rep.Policy, len(rep.Coverage), plural(int64(len(rep.Coverage))))
		for _, c := range rep.Coverage {
			fmt.Fprintf(w, "  %s  %s\n", c.Rule, c.Reason)
		}
	}
	if len(rep.Inactive) > 0 {
		fmt.Fprintf(w, "\nInactive (%d rule%s):\n", len(rep.Inactive), plural(int64(len(rep.Inactive))))
		for _, in := range rep.Inactive {
			fmt.Fprintf(w, "  %s  %s\n", in.Rule, in.Reason)
		}
	}
}

// Thousands writes n with thousands separators: 1,234,567.
func Thousands(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// HumanBytes writes a size in B, KiB, MiB or GiB.
func HumanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// clipExample cuts s to n-1 bytes and "…" when it is longer than n.
func clipExample(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
