package rbac

import (
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
)

// The admins: subjects with a path to cluster-admin power, and which of
// them are Kubernetes' own principals.

// isDefaultPrincipal: a subject of kube-apiserver's default bindings
// (system:masters, the control-plane components and controllers, the
// implicit groups its defaults bind).
var defaultPrincipals = sync.OnceValue(func() map[SubjectRef]bool {
	m := map[SubjectRef]bool{{Kind: KindGroup, Name: PrivilegedGroup}: true}
	b := bootstrap()
	add := func(ns string, subjects []rbacv1.Subject) {
		for i := range subjects {
			if ref, ok := subjectRefOf(&Binding{Namespace: ns}, &subjects[i]); ok {
				m[ref] = true
			}
		}
	}
	for _, x := range b.ClusterRoleBindings {
		add("", x.Subjects)
	}
	for ns, list := range b.RoleBindings {
		for _, x := range list {
			add(ns, x.Subjects)
		}
	}
	return m
})

func (a *analyzer) admins() []Admin {
	g := a.g
	var out []Admin
	for v := int32(1); v <= g.subjects; v++ {
		if g.dist[v] < 0 {
			continue
		}
		ref := g.nodes[v].ref
		ps := g.paths(v, "", 1)
		if len(ps) == 0 {
			continue
		}
		out = append(out, Admin{Subject: ref, Direct: g.nodes[v].direct, Path: ps[0],
			Builtin: defaultPrincipals()[ref] && g.defaultPath(v), DefaultPrincipal: defaultPrincipals()[ref]})
	}
	return out // node order is kind, namespace, name
}

// SecretReaders are the subjects, beyond Kubernetes' own principals by
// unmodified defaults and the direct cluster admins, that may read Secrets
// (RiskSecretsRead), sorted. Reading a legacy ServiceAccount token Secret
// makes one that ServiceAccount, so when the model holds no token Secrets
// because they could not be read (Policy.SecretsUnavailable), these are
// the subjects whose paths onwards were not assessed.
func (a *Analysis) SecretReaders() []SubjectRef {
	direct := map[SubjectRef]bool{}
	for _, ad := range a.Admins {
		if ad.Direct {
			direct[ad.Subject] = true
		}
	}
	seen := map[SubjectRef]bool{}
	var out []SubjectRef
	for _, r := range a.Risks { // sorted by kind, subject
		if r.Kind != RiskSecretsRead || r.Builtin || direct[r.Subject] || seen[r.Subject] {
			continue
		}
		seen[r.Subject] = true
		out = append(out, r.Subject)
	}
	return out
}
