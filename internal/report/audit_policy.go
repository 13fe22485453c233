package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	audit "k8s.io/apiserver/pkg/apis/audit"

	"github.com/apiguard/apiguard/internal/auditpolicy"
	"github.com/apiguard/apiguard/internal/check"
)

// The renderings of the audit policy commands: lint findings, the
// coverage table, one request's evaluation, the lint rules, and the
// documents of -o json.

// AuditPolicyLintJSON is the document of lint -o json.
func AuditPolicyLintJSON(fs []auditpolicy.Finding) any {
	return struct {
		Findings []auditpolicy.Finding `json:"findings"`
	}{fs}
}

// AuditPolicyLint prints each finding at file:line, then the count by
// severity.
func AuditPolicyLint(w io.Writer, file string, fs []auditpolicy.Finding) {
	counts := map[check.Severity]int{}
	for _, f := range fs {
		loc := file
		if f.Line > 0 {
			loc += ":" + strconv.Itoa(f.Line)
		}
		rule := ""
		if f.RuleIndex != nil {
			rule = fmt.Sprintf(" [rule %d]", *f.RuleIndex)
		}
		fmt.Fprintf(w, "%s: %s %s%s: %s\n", loc, f.Severity, f.ID, rule, f.Message)
		counts[f.Severity]++
	}
	if len(fs) == 0 {
		fmt.Fprintln(w, "no findings")
		return
	}
	var parts []string
	for s := check.Critical; s >= check.Info; s-- {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	noun := "findings"
	if len(fs) == 1 {
		noun = "finding"
	}
	fmt.Fprintf(w, "\n%d %s: %s\n", len(fs), noun, strings.Join(parts, ", "))
}

// AuditPolicyCoverageJSON is the document of coverage -o json.
func AuditPolicyCoverageJSON(who auditpolicy.Identity, rows []auditpolicy.Row) any {
	type identity struct {
		User   string   `json:"user"`
		Groups []string `json:"groups"`
	}
	return struct {
		Identity identity          `json:"identity"`
		Rows     []auditpolicy.Row `json:"rows"`
	}{identity{who.User, who.Groups}, rows}
}

// AuditPolicyCoverage prints the coverage table: each request's level,
// deciding rule (and its line), the level detections need and a status.
func AuditPolicyCoverage(w io.Writer, p *auditpolicy.Policy, who auditpolicy.Identity, rows []auditpolicy.Row) {
	fmt.Fprintf(w, "Requests as %s (groups %s), evaluated with kube-apiserver's audit policy evaluator.\n\n", who.User, strings.Join(who.Groups, ", "))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REQUEST\tUSER\tLEVEL\tRULE\tNEEDS\tSTATUS")
	counts := map[string]int{}
	var notes []string
	for _, r := range rows {
		rule := "-"
		if r.RuleIndex != nil {
			rule = strconv.Itoa(*r.RuleIndex)
			if l := p.RuleLine(*r.RuleIndex); l > 0 {
				rule += fmt.Sprintf(" (line %d)", l)
			}
		}
		user := r.User
		if user == who.User {
			user = "·"
		}
		req := r.Request
		if r.Note != "" {
			notes = append(notes, fmt.Sprintf("%s: %s", r.Request, r.Note))
			req += " *"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", req, user, r.Level, rule, Dash(string(r.Min)), r.Status)
		counts[r.Status]++
	}
	tw.Flush()
	for _, n := range notes {
		fmt.Fprintf(w, "\n* %s\n", n)
	}
	var parts []string
	for _, s := range []string{"ok", "degraded", "blind", "leak", "info"} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	fmt.Fprintf(w, "\n%d requests: %s\n", len(rows), strings.Join(parts, ", "))
}

// AuditPolicyEvalJSON is the document of eval -o json.
func AuditPolicyEvalJSON(d auditpolicy.Decision) any {
	var idx *int
	if d.RuleIndex >= 0 {
		idx = &d.RuleIndex
	}
	stages := d.OmitStages
	if stages == nil {
		stages = []audit.Stage{}
	}
	return struct {
		Level             audit.Level   `json:"level"`
		OmitStages        []audit.Stage `json:"omitStages"`
		OmitManagedFields bool          `json:"omitManagedFields"`
		RuleIndex         *int          `json:"ruleIndex"`
	}{d.Level, stages, d.OmitManagedFields, idx}
}

// AuditPolicyEval prints the request, its level, the stages omitted and
// the deciding rule with its line.
func AuditPolicyEval(w io.Writer, p *auditpolicy.Policy, req auditpolicy.Request, d auditpolicy.Decision) {
	fmt.Fprintf(w, "request: %s\n", req)
	if !req.NoUser {
		fmt.Fprintf(w, "groups: %s\n", Dash(strings.Join(req.Groups, ", ")))
	}
	fmt.Fprintf(w, "level: %s\n", d.Level)
	stages := make([]string, len(d.OmitStages))
	for i, s := range d.OmitStages {
		stages[i] = string(s)
	}
	fmt.Fprintf(w, "omitted stages: %s\n", Dash(strings.Join(stages, ", ")))
	if d.RuleIndex < 0 {
		fmt.Fprintln(w, "rule: none (no rule matches: the request is not logged)")
		return
	}
	line := ""
	if l := p.RuleLine(d.RuleIndex); l > 0 {
		line = fmt.Sprintf(" (%s:%d)", p.File, l)
	}
	fmt.Fprintf(w, "rule: %d%s\n", d.RuleIndex, line)
}

// AuditPolicyReplayDone is the line that ends eval --events (on stderr).
func AuditPolicyReplayDone(w io.Writer, events, differ int) {
	fmt.Fprintf(w, "apiguard: %d events replayed; %d logged at another level than this policy gives\n", events, differ)
}

// AuditPolicyLintRules prints the lint rules' table.
func AuditPolicyLintRules(w io.Writer, rules []auditpolicy.LintRule) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSEVERITY\tSUMMARY")
	for _, r := range rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Name, r.Severity, r.Summary)
	}
	return tw.Flush()
}

// AuditPolicyLintRulesMarkdown is the lint rules as docs/audit-policy.md
// lists them.
func AuditPolicyLintRulesMarkdown(w io.Writer) error {
	_, err := io.WriteString(w, auditpolicy.RulesMarkdown())
	return err
}
