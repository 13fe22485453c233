package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/apiguard/apiguard/internal/detect"
)

// The renderings of audit rules: the catalogue by tactic, one rule in
// full, and the document of -o json.

// auditRuleView is a rule as audit rules -o json lists it.
type auditRuleView struct {
	detect.Rule
	Coverage *detect.RuleCoverage `json:"coverage,omitempty"`
}

// AuditRulesJSON is the document of audit rules -o json: the rules, each
// with its coverage under the policy when one was given.
func AuditRulesJSON(rules []detect.Rule, cov map[string]*detect.RuleCoverage) any {
	views := make([]auditRuleView, len(rules))
	for i, r := range rules {
		views[i] = auditRuleView{Rule: r, Coverage: cov[r.ID]}
	}
	return views
}

// AuditRulesTable prints the catalogue grouped by tactic, the rules blind
// under policy marked.
func AuditRulesTable(w io.Writer, rules []detect.Rule, cov map[string]*detect.RuleCoverage, policy string) {
	tactic := ""
	blind := 0
	for _, r := range rules {
		if r.Tactic != tactic {
			if tactic != "" {
				fmt.Fprintln(w)
			}
			tactic = r.Tactic
			n := 0
			for _, x := range rules {
				if x.Tactic == tactic {
					n++
				}
			}
			fmt.Fprintf(w, "%s (%d)\n", detect.TacticTitle(tactic), n)
		}
		status := ""
		if c := cov[r.ID]; c != nil && c.Status == "blind" {
			status = "  [BLIND: " + c.Reason + "]"
			blind++
		}
		fmt.Fprintf(w, "  %-11s %-8s  %-15s %-10s %s%s\n", r.ID, r.Severity, r.Level, r.Technique, r.Title, status)
	}
	fmt.Fprintf(w, "\n%d rules.", len(rules))
	if policy != "" {
		fmt.Fprintf(w, " %d blind under %s.", blind, policy)
	}
	fmt.Fprintln(w)
}

// AuditRules prints rules in full (description, CEL condition), a blank
// line between them.
func AuditRules(w io.Writer, rules []detect.Rule, cov map[string]*detect.RuleCoverage) {
	for i, r := range rules {
		if i > 0 {
			fmt.Fprintln(w)
		}
		auditRule(w, r, cov[r.ID])
	}
}

func auditRule(w io.Writer, r detect.Rule, c *detect.RuleCoverage) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintf(tw, "%s\t%s\n", r.ID, r.Title)
	fmt.Fprintf(tw, "severity\t%s\n", r.Severity)
	fmt.Fprintf(tw, "tactic\t%s (%s)\n", detect.TacticTitle(r.Tactic), r.Technique)
	if t, ok := detect.LookupMSTechnique(r.MSTechnique); ok {
		fmt.Fprintf(tw, "threat matrix\t%s %s (Threat Matrix for Kubernetes)\n", r.MSTechnique, t.Name)
	}
	fmt.Fprintf(tw, "needs\t%s level for %s\n", r.Level, r.Request)
	if len(r.Sources) > 0 {
		fmt.Fprintf(tw, "sources\t%s\n", strings.Join(r.Sources, ", "))
	}
	if len(r.Params) > 0 {
		fmt.Fprintf(tw, "active with\t%s\n", strings.Join(paramFlags(r.Params), " or "))
	}
	if r.Window != nil {
		by := r.Window.By
		if by == "" {
			by = detect.DefaultBy
		}
		what := "events"
		if r.Window.Distinct != "" {
			what = "distinct " + r.Window.Distinct
		}
		fmt.Fprintf(tw, "window\t%d %s within %s per %s\n", r.Window.Count, what, r.Window.Within, by)
	}
	if f := r.FirstSeen; f != nil {
		fmt.Fprintf(tw, "first seen\t%s, after learning for %s\n", strings.ReplaceAll(f.Describe(), "`", ""), f.Learn)
	}
	if s := r.Sequence; s != nil {
		by := s.By
		if by == "" {
			by = detect.DefaultBy
		}
		fmt.Fprintf(tw, "sequence\t%d step(s) then the condition, within %s per %s\n", len(s.After), s.Within, by)
		for k, step := range s.After {
			fmt.Fprintf(tw, "step %d\t%s\n", k+1, strings.Join(strings.Fields(step), " "))
		}
	}
	if c != nil {
		fmt.Fprintf(tw, "policy\t%s (recorded at %s)", c.Status, c.Level)
		if c.Reason != "" {
			fmt.Fprintf(tw, ": %s", c.Reason)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, foldWords(r.Description, 88))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "condition:")
	for _, l := range strings.Split(strings.TrimRight(r.Condition, "\n"), "\n") {
		fmt.Fprintln(w, "  "+l)
	}
}

// paramFlags are the flags that set rule params: allowCIDRs is
// --allow-cidrs.
func paramFlags(params []string) []string {
	out := make([]string, len(params))
	for i, p := range params {
		out[i] = "--" + strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(p, "CIDRs", "-cidrs"), "CIDR", "-cidr"))
	}
	return out
}

// foldWords joins the words of s into lines of at most width bytes (a
// longer word stays whole).
func foldWords(s string, width int) string {
	var b strings.Builder
	n := 0
	for _, word := range strings.Fields(s) {
		if n > 0 && n+1+len(word) > width {
			b.WriteByte('\n')
			n = 0
		} else if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}
