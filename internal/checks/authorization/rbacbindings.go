package authorization

import (
	"slices"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/checks/rbacinput"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/rbac"
)

// Bindings that are a problem in themselves, whatever their role grants.

func bindingCheck(kind rbac.BindingIssueKind, status check.Status, passMsg string, m check.Metadata) check.Check {
	return rbacinput.Check(m, func(m check.Metadata, s *inputs.Snapshot, a *rbac.Analysis) []check.Finding {
		var out []check.Finding
		for _, is := range a.BindingIssues {
			if is.Kind != kind {
				continue
			}
			msg := is.Binding
			if is.Subject != nil {
				msg += " names " + is.Subject.String()
			}
			msg += ": " + is.Detail
			f := m.Result(status, is.Binding, msg, check.Evidence{Key: "roleRef", Value: is.Role, Source: sourceOr(is.Source, is.Binding)})
			if is.Subject != nil {
				f.Evidence = append(f.Evidence, check.Evidence{Key: "subject", Value: is.Subject.String(), Source: sourceOr(is.Source, is.Binding)})
				// Bindings to everyone weigh by who "everyone" is.
				if kind == rbac.IssuePublicSubject && is.Subject.Name == "system:authenticated" && f.Severity > check.High {
					f.Severity = check.High
				}
				if kind == rbac.IssuePublicSubject && kubeadmClusterInfo(s.RBAC, is.Binding) {
					f.Status, f.Severity = check.Warn, check.Low
					f.Message = is.Binding + " lets anonymous callers read the ConfigMap kube-public/cluster-info (the cluster's CA " +
						"certificate and server URL): kubeadm creates it for `kubeadm join` with token discovery; delete it when " +
						"nodes join with file discovery"
				}
			}
			out = append(out, f)
		}
		if len(out) == 0 {
			msg := passMsg
			if kind == rbac.IssueMissingRole && s.RBAC.Builtins.Count() > 0 {
				msg += " (in the input, or among the Kubernetes " + s.RBAC.Builtins.Version + " built-ins assumed)"
			}
			return []check.Finding{m.Result(check.Pass, rbacinput.Resource, msg)}
		}
		return out
	})
}

func sourceOr(source, fallback string) string {
	if source != "" {
		return source
	}
	return fallback
}

var (
	RBACPublicBindings = bindingCheck(rbac.IssuePublicSubject, check.Fail,
		"no binding beyond Kubernetes' defaults names system:anonymous, system:unauthenticated or system:authenticated",
		check.Metadata{
			ID: "AG-AUTHZ-024", Title: "No binding grants rights to anonymous or all authenticated users beyond the defaults",
			Layer: check.Authorization, Severity: check.Critical,
			Rationale: "A binding to system:anonymous or system:unauthenticated gives its role to anyone who reaches the " +
				"endpoint, without credentials; system:authenticated gives it to every identity the cluster accepts, " +
				"every ServiceAccount of every pod included. Kubernetes' own bindings to these groups grant discovery, " +
				"version and health only, and are not reported.",
			Remediation: "Delete the binding, or replace the subject with the users, groups or ServiceAccounts that need " +
				"the role. `apiguard rbac who-can` shows what the role allows.",
			References: []check.Reference{
				{Title: "RBAC good practices: hardening", URL: "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#hardening"},
				{Title: "Default roles and role bindings", URL: "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#default-roles-and-role-bindings"},
			},
			Inputs: []check.Input{check.InputRBAC},
		})

	RBACMissingSubjects = bindingCheck(rbac.IssueMissingSubject, check.Warn,
		"every ServiceAccount named by a binding exists",
		check.Metadata{
			ID: "AG-AUTHZ-025", Title: "Bindings name only ServiceAccounts that exist",
			Layer: check.Authorization, Severity: check.Medium,
			Rationale: "A binding outlives the ServiceAccount it names: whoever may create ServiceAccounts in that " +
				"namespace (often every namespace editor) recreates it under the same name and inherits the rights. " +
				"Checked only in namespaces whose ServiceAccounts were read.",
			Remediation: "Delete the binding or remove the subject; if the ServiceAccount is still meant to exist, " +
				"recreate it from its owner's manifests.",
			References: []check.Reference{
				{Title: "RBAC good practices: periodic review", URL: "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#periodic-review"},
			},
			Inputs: []check.Input{check.InputRBAC},
		})

	RBACMissingRoles = bindingCheck(rbac.IssueMissingRole, check.Warn,
		"every binding refers to a role that exists",
		check.Metadata{
			ID: "AG-AUTHZ-026", Title: "Bindings refer to roles that exist",
			Layer: check.Authorization, Severity: check.Low,
			Rationale: "A binding whose roleRef names a missing role grants nothing today, but whoever may create that " +
				"role decides what its subjects get; it is also a sign of a half-removed application. Reading files, " +
				"Kubernetes' built-in roles (admin, edit, view, cluster-admin, the system: ones) count as existing: " +
				"every cluster has them; a role neither in the input nor built in is reported as such.",
			Remediation: "Delete the binding, or restore the role it was written for.",
			References: []check.Reference{
				{Title: "RBAC good practices: periodic review", URL: "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#periodic-review"},
			},
			Inputs: []check.Input{check.InputRBAC},
		})
)

// rbacChecks are this layer's checks of the RBAC model, in ID order.
func rbacChecks() []check.Check {
	return append(append([]check.Check{}, riskChecks...), RBACPublicBindings, RBACMissingSubjects, RBACMissingRoles)
}

// kubeadmClusterInfo recognises kubeadm's discovery binding: a RoleBinding
// in kube-public whose role allows only get on the ConfigMap cluster-info.
func kubeadmClusterInfo(p *rbac.Policy, binding string) bool {
	for _, b := range p.RoleBindings {
		if b.Namespace != "kube-public" || b.String() != binding || b.Role == nil || len(b.Role.Rules) == 0 {
			continue
		}
		for _, r := range b.Role.Rules {
			if !slices.Equal(r.Verbs, []string{"get"}) || !slices.Equal(r.Resources, []string{"configmaps"}) ||
				!slices.Equal(r.ResourceNames, []string{"cluster-info"}) || !slices.Equal(r.APIGroups, []string{""}) {
				return false
			}
		}
		return true
	}
	return false
}
