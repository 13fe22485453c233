package auditing

import (
	"context"
	"fmt"
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/auditpolicy"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var policyLintMeta = check.Metadata{
	ID:       "AG-AUDIT-009",
	Title:    "The audit policy records what matters without leaking credentials",
	Layer:    check.Auditing,
	Severity: check.High,
	Rationale: "A policy that kube-apiserver accepts can still fail silently: a misspelled field turns a rule into " +
		"a catch-all, `pods` does not match `pods/exec`, a catch-all at RequestResponse writes every Secret into the " +
		"log, a broad None rule hides the requests an investigator needs, and without a catch-all unmatched requests " +
		"are never logged. This check runs `apiguard audit policy lint` (kube-apiserver's own policy evaluator) on the " +
		"policy --audit-policy-file names and reports its findings (CIS 3.2.2): fail when one is high or critical, " +
		"warn for medium and low. The finding's severity is the worst lint finding's.",
	Remediation: "Run `apiguard audit policy lint <policy>` for every finding with its rule and line, and " +
		"`apiguard audit policy coverage <policy>` for what is recorded; `apiguard audit policy recommend` writes a " +
		"policy with no finding.",
	References: []check.Reference{
		{CIS: "3.2.2", Title: "Ensure that the audit policy covers key security concerns"},
		{Title: "Kubernetes auditing: audit policy", URL: "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy"},
	},
	Inputs: []check.Input{check.InputFlags, check.InputFiles},
}

// PolicyLint reports the lint findings of the audit policy.
var PolicyLint = check.Check{
	Metadata: policyLintMeta,
	Run: func(ctx context.Context, s *inputs.Snapshot) []check.Finding {
		m := policyLintMeta
		return check.PerAPIServer(m, s, func(a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
			v, file, na := check.FileOf(m, a, f, "audit-policy-file")
			if na != nil {
				return *na
			}
			ev := []check.Evidence{check.FlagEvidence(v)}
			if file == nil {
				return m.Result(check.NotApplicable, a.Name, "--audit-policy-file is not set: there is no policy to lint (AG-AUDIT-005 reports that)", ev...)
			}
			p, err := auditpolicy.Load(file.Path, file.Data)
			if err != nil {
				r := m.Result(check.Fail, a.Name, "the audit policy cannot be read: "+err.Error(), ev...)
				r.Location = &check.Location{File: file.Path}
				return r
			}
			fs, err := auditpolicy.LintContext(ctx, p)
			if err != nil {
				r := m.Result(check.NotAssessable, a.Name, "the audit policy cannot be linted: "+err.Error(), ev...)
				r.Location = &check.Location{File: file.Path}
				return r
			}
			if len(fs) == 0 {
				return m.Result(check.Pass, a.Name, fmt.Sprintf("the audit policy %s (%d rules) has no lint finding", file.Path, len(p.Internal.Rules)), ev...)
			}
			worst := fs[0]
			counts := map[check.Severity]int{}
			for _, x := range fs {
				counts[x.Severity]++
				if x.Severity > worst.Severity {
					worst = x
				}
			}
			for _, x := range fs {
				key := x.ID
				if x.RuleIndex != nil {
					key += fmt.Sprintf(" rule %d", *x.RuleIndex)
				}
				src := file.Path
				if x.Line > 0 {
					src = fmt.Sprintf("%s:%d", file.Path, x.Line)
				}
				ev = append(ev, check.Evidence{Key: key, Value: x.Severity.String() + ": " + x.Message, Source: src})
			}
			var parts []string
			for sev := check.Critical; sev >= check.Info; sev-- {
				if counts[sev] > 0 {
					parts = append(parts, fmt.Sprintf("%d %s", counts[sev], sev))
				}
			}
			status := check.Warn
			if worst.Severity >= check.High {
				status = check.Fail
			}
			msg := fmt.Sprintf("the audit policy %s has %d lint findings (%s); the worst: %s %s", file.Path, len(fs), strings.Join(parts, ", "), worst.ID, worst.Message)
			r := m.Result(status, a.Name, msg, ev...)
			r.Severity = worst.Severity
			r.Location = &check.Location{File: file.Path, Line: worst.Line}
			return r
		})
	},
}
