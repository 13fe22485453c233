package rbac

import (
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
)

// The graph's subject nodes: every binding subject, every ServiceAccount
// known to exist, and system:masters.

// subjectRefOf is the node a binding subject stands for, as appliesToUser
// matches it: a User subject whose name is a ServiceAccount's user name
// matches that ServiceAccount; a ServiceAccount subject without a
// namespace takes the RoleBinding's, and in a ClusterRoleBinding matches
// nobody.
func subjectRefOf(b *Binding, s *rbacv1.Subject) (SubjectRef, bool) {
	switch s.Kind {
	case rbacv1.UserKind:
		if ns, name, ok := SplitServiceAccountUsername(s.Name); ok {
			return SubjectRef{Kind: KindServiceAccount, Namespace: ns, Name: name}, true
		}
		return SubjectRef{Kind: KindUser, Name: s.Name}, true
	case rbacv1.GroupKind:
		return SubjectRef{Kind: KindGroup, Name: s.Name}, true
	case rbacv1.ServiceAccountKind:
		ns := s.Namespace
		if ns == "" {
			ns = b.Namespace
		}
		if ns == "" {
			return SubjectRef{}, false
		}
		return SubjectRef{Kind: KindServiceAccount, Namespace: ns, Name: s.Name}, true
	}
	return SubjectRef{}, false
}

func refLess(a, b SubjectRef) bool {
	if a.Kind != b.Kind {
		return kindRank(a.Kind) < kindRank(b.Kind)
	}
	return lessNS(a.Namespace, a.Name, b.Namespace, b.Name)
}

// buildNodes creates a node per subject: every binding subject, every
// ServiceAccount known to exist, and system:masters.
//
// A ServiceAccount exists when it was loaded, when a pod runs as it, when
// it is the "default" of a known namespace (the ServiceAccount controller
// creates it), or, in a namespace whose ServiceAccounts were not loaded at
// all (an RBAC-only dump), when a binding or a token Secret names it.
func (a *analyzer) buildNodes() {
	p := a.p
	known := map[string]bool{}
	for _, n := range p.Namespaces {
		known[n.Name] = true
	}
	loaded := map[string]bool{}
	a.saExists = map[nsName]bool{}
	for _, s := range p.ServiceAccounts {
		loaded[s.Namespace], known[s.Namespace] = true, true
		a.saExists[nsName{s.Namespace, s.Name}] = true
	}
	for _, x := range p.Pods {
		known[x.Namespace] = true
		if x.ServiceAccountName != "" {
			a.saExists[nsName{x.Namespace, x.ServiceAccountName}] = true
		}
	}
	for _, r := range p.Roles {
		known[r.Namespace] = true
	}
	for _, x := range p.RoleBindings {
		known[x.Namespace] = true
	}
	for _, s := range p.Secrets {
		known[s.Namespace] = true
		if s.Type == SecretTypeServiceAccountToken && s.ServiceAccountName != "" && !loaded[s.Namespace] {
			a.saExists[nsName{s.Namespace, s.ServiceAccountName}] = true
		}
	}
	for ns := range known {
		a.saExists[nsName{ns, "default"}] = true
	}

	refs := map[SubjectRef]bool{{Kind: KindGroup, Name: PrivilegedGroup}: true}
	for _, list := range [][]*Binding{p.ClusterRoleBindings, p.RoleBindings} {
		for _, b := range list {
			for i := range b.Subjects {
				ref, ok := subjectRefOf(b, &b.Subjects[i])
				if !ok {
					continue
				}
				refs[ref] = true
				// An assumed built-in binding names the controllers'
				// ServiceAccounts, which kube-controller-manager creates
				// with the bindings: assumed too.
				if ref.Kind == KindServiceAccount && (!loaded[ref.Namespace] || b.Assumed) {
					a.saExists[nsName{ref.Namespace, ref.Name}] = true
				}
			}
		}
	}
	for k := range a.saExists {
		refs[SubjectRef{Kind: KindServiceAccount, Namespace: k.ns, Name: k.name}] = true
	}
	sorted := make([]SubjectRef, 0, len(refs))
	for r := range refs {
		sorted = append(sorted, r)
	}
	sort.Slice(sorted, func(i, j int) bool { return refLess(sorted[i], sorted[j]) })

	g := &graph{index: make(map[SubjectRef]int32, len(sorted)), hubs: map[string]int32{}, subjects: int32(len(sorted))}
	g.nodes = make([]gnode, 1, len(sorted)+64)
	a.saNodes, a.saAnyNodes = map[string][]int32{}, map[string][]int32{}
	a.saByName, a.saAnyName = map[string][]int32{}, map[string][]int32{}
	for _, r := range sorted {
		v := int32(len(g.nodes))
		g.nodes = append(g.nodes, gnode{ref: r})
		g.index[r] = v
		switch r.Kind {
		case KindUser:
			a.userNodes = append(a.userNodes, v)
		case KindGroup:
			a.groupNodes = append(a.groupNodes, v)
		case KindServiceAccount:
			a.saAnyNodes[r.Namespace] = append(a.saAnyNodes[r.Namespace], v)
			a.saAnyName[r.Name] = append(a.saAnyName[r.Name], v)
			if a.saExists[nsName{r.Namespace, r.Name}] {
				a.saNodes[r.Namespace] = append(a.saNodes[r.Namespace], v)
				a.saByName[r.Name] = append(a.saByName[r.Name], v)
			}
		}
	}
	for ns := range a.saAnyNodes {
		a.namespaces = append(a.namespaces, ns)
	}
	sort.Strings(a.namespaces)
	// implicit groups: a User or ServiceAccount acts with its groups' rights
	for v := int32(1); v <= g.subjects; v++ {
		var username string
		switch r := g.nodes[v].ref; r.Kind {
		case KindUser:
			username = r.Name
		case KindServiceAccount:
			username = ServiceAccountUsername(r.Namespace, r.Name)
		default:
			continue
		}
		for _, name := range EffectiveGroups(username, nil) {
			if gv, ok := g.index[SubjectRef{Kind: KindGroup, Name: name}]; ok {
				g.nodes[v].groups = append(g.nodes[v].groups, gv)
			}
		}
	}
	a.masters = g.index[SubjectRef{Kind: KindGroup, Name: PrivilegedGroup}]
	a.g = g
}
