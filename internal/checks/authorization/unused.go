package authorization

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/checks/rbacinput"
	"github.com/apiguard/apiguard/internal/inputs"
)

var unusedMeta = check.Metadata{
	ID:       "AG-AUTHZ-030",
	Title:    "Identities hold only permissions they used in the audit window",
	Layer:    check.Authorization,
	Severity: check.Medium,
	Rationale: "A grant nobody uses is pure risk: a stolen token or a compromised workload gets every permission its " +
		"identity holds, used or not. This check runs `apiguard rbac usage` over the scan's RBAC model and the audit " +
		"logs given with --audit (attribution as kube-apiserver authorizes: aggregation, groups, impersonation) and " +
		"reports each User, Group and ServiceAccount that holds rules which allowed no request in the window. Rules the " +
		"audit policy (--audit-policy-file of the scanned kube-apiserver) logs at None are blind: listed, never judged " +
		"unused; without the policy the judgement assumes every request is logged. Built-in principals (system:* users " +
		"and groups, ServiceAccounts of kube-system) are judged only on bindings that are not kube-apiserver defaults. " +
		"The check runs only when --audit is given.",
	Remediation: "Replace the subject's bindings with the roles `apiguard rbac minimize SUBJECT --from DUMP --audit LOG` " +
		"writes (exactly what it used in the window, applies with kubectl apply -f), then remove the old bindings; or " +
		"remove the unused rules by hand. Judge over a window long enough to see rare jobs (monthly, quarterly).",
	References: []check.Reference{
		{Title: "RBAC good practices: least privilege", URL: "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege"},
		{Title: "RBAC good practices: periodic review", URL: "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#periodic-review"},
	},
	Inputs: []check.Input{check.InputRBAC, check.InputAuditUsage},
}

// maxUnusedEvidence bounds the unused rules listed as evidence per subject.
const maxUnusedEvidence = 20

// UnusedPermissions is AG-AUTHZ-030: one finding per subject holding rules
// it did not use in the audit window.
var UnusedPermissions = check.Check{Metadata: unusedMeta, Run: func(_ context.Context, s *inputs.Snapshot) []check.Finding {
	m := unusedMeta
	u := s.AuditUsage
	switch {
	case u == nil:
		return []check.Finding{m.Result(check.NotAssessable, rbacinput.Resource, "no audit log given (--audit): what each identity used is unknown")}
	case u.Unavailable != "":
		return []check.Finding{m.Result(check.NotAssessable, rbacinput.Resource, u.Unavailable)}
	}
	window := usageWindow(u)
	var out []check.Finding
	for _, sub := range u.Subjects {
		if f, ok := unusedFinding(m, u, sub, window); ok {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		msg := "every subject used every permission it holds in the window " + window
		ev := []check.Evidence{{Key: "audit logs", Value: strings.Join(u.Logs, ", "), Source: "--audit"}}
		if u.Note != "" {
			ev = append(ev, check.Evidence{Key: "audit policy", Value: u.Note, Source: "--audit"})
		}
		out = append(out, m.Result(check.Pass, rbacinput.Resource, msg, ev...))
	}
	return out
}}

func usageWindow(u *inputs.AuditUsage) string {
	if u.From == nil || u.To == nil {
		return "(no request counted)"
	}
	return u.From.UTC().Format(time.RFC3339) + " to " + u.To.UTC().Format(time.RFC3339)
}

// builtinPrincipal: system:* users and groups, ServiceAccounts of
// kube-system (the controllers).
func builtinPrincipal(sub inputs.UsageSubject) bool {
	if sub.Kind == "ServiceAccount" {
		return sub.Namespace == "kube-system"
	}
	return strings.HasPrefix(sub.Name, "system:")
}

// SubjectArg is the subject as rbac minimize takes it.
func subjectArg(sub inputs.UsageSubject) string {
	switch sub.Kind {
	case "ServiceAccount":
		return "sa:" + sub.Namespace + "/" + sub.Name
	case "Group":
		return "group:" + sub.Name
	}
	return "user:" + sub.Name
}

func subjectName(sub inputs.UsageSubject) string {
	if sub.Kind == "ServiceAccount" {
		return sub.Kind + " " + sub.Namespace + "/" + sub.Name
	}
	return sub.Kind + " " + sub.Name
}

func unusedFinding(m check.Metadata, u *inputs.AuditUsage, sub inputs.UsageSubject, window string) (check.Finding, bool) {
	builtin := builtinPrincipal(sub)
	var unused, blind []check.Evidence
	for _, b := range sub.Bindings {
		if builtin && b.Default {
			continue
		}
		via := b.Binding + " → " + b.Role
		for _, r := range b.Rules {
			switch {
			case r.Requests > 0:
			case r.Blind:
				blind = append(blind, check.Evidence{Key: "blind, not judged", Value: r.Rule, Source: via})
			default:
				unused = append(unused, check.Evidence{Key: "unused", Value: r.Rule, Source: via})
			}
		}
	}
	if len(unused) == 0 {
		return check.Finding{}, false
	}
	name := subjectName(sub)
	msg := fmt.Sprintf("%s holds %d rule(s) it did not use in the window %s (%d request(s) counted)", name, len(unused), window, sub.Requests)
	if sub.Requests == 0 {
		msg = fmt.Sprintf("%s made no request in the window %s but holds %d rule(s)", name, window, len(unused))
	}
	if len(blind) > 0 {
		msg += fmt.Sprintf("; %d blind rule(s) the audit policy does not log are not judged", len(blind))
	}
	ev := []check.Evidence{{Key: "window", Value: window, Source: "--audit " + strings.Join(u.Logs, ", ")},
		{Key: "requests", Value: fmt.Sprint(sub.Requests), Source: "audit logs"}}
	if sub.LastSeen != nil {
		ev = append(ev, check.Evidence{Key: "last seen", Value: sub.LastSeen.UTC().Format(time.RFC3339), Source: "audit logs"})
	}
	if u.Note != "" {
		ev = append(ev, check.Evidence{Key: "audit policy", Value: u.Note, Source: "--audit"})
	} else if u.Policy != "" {
		ev = append(ev, check.Evidence{Key: "audit policy", Value: u.Policy, Source: "--audit-policy-file"})
	}
	if len(unused) > maxUnusedEvidence {
		more := len(unused) - maxUnusedEvidence
		unused = append(unused[:maxUnusedEvidence], check.Evidence{Key: "unused", Value: fmt.Sprintf("... and %d more", more), Source: "apiguard rbac usage"})
	}
	ev = append(append(ev, unused...), blind...)
	f := m.Result(check.Fail, name, msg, ev...)
	fix := fmt.Sprintf("Replace the bindings of %s with the roles of `apiguard rbac minimize %s --audit %s` (and the scan's RBAC input: "+
		"--from DUMP, or the current context); apply them, then delete the old bindings.", name, subjectArg(sub), strings.Join(u.Logs, " --audit "))
	switch {
	case sub.Minimized != "":
		fix += " The minimized roles:\n" + strings.TrimRight(sub.Minimized, "\n")
	case sub.MinimizedNote != "":
		fix += " " + sub.MinimizedNote
	}
	f.Remediation = fix
	return f, true
}
