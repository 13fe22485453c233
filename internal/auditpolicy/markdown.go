package auditpolicy

import (
	"fmt"
	"strings"

	audit "k8s.io/apiserver/pkg/apis/audit"
)

// RulesMarkdown is the lint rule list of docs/audit-policy.md (between the
// lint-rules markers), generated from LintRules.
func RulesMarkdown() string {
	var b strings.Builder
	b.WriteString("| ID | name | severity | the policy passes when |\n|---|---|---|---|\n")
	for _, r := range LintRules {
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", r.ID, r.Name, r.Severity, r.Summary)
	}
	b.WriteString("\n")
	for _, r := range LintRules {
		fmt.Fprintf(&b, "**%s %s.** %s\n\n", r.ID, r.Summary, r.Detail)
	}
	return b.String()
}

// NeedsMarkdown is the catalogue of security-relevant requests of
// docs/audit-policy.md (between the needs markers): each need, the level
// detections need, the most credentials may be logged at, and the level each
// recommended profile logs it at.
func NeedsMarkdown() string {
	var b strings.Builder
	b.WriteString("| id | request | needs | at most | minimal | standard | strict | why |\n|---|---|---|---|---|---|---|---|\n")
	in := map[Profile]map[string]audit.Level{}
	for _, p := range Profiles {
		in[p] = Intended(p)
	}
	dash := func(l audit.Level) string {
		if l == "" {
			return "-"
		}
		return string(l)
	}
	for _, n := range Needs {
		who := ""
		if n.Fixed != nil {
			who = " (" + n.Fixed.Name + ")"
		}
		fmt.Fprintf(&b, "| `%s` | %s%s | %s | %s | %s | %s | %s | %s |\n", n.ID, n.Request.Verb+" "+n.Request.Target(), who,
			dash(n.Min), dash(n.Max), in[Minimal][n.ID], in[Standard][n.ID], in[Strict][n.ID], n.Why)
	}
	return b.String()
}
