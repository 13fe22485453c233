package rbac

import (
	"sort"
	"strings"
)

// Risks one capability forms alone, bindings that are a problem in
// themselves, and their order in results.

var riskRank = func() map[RiskKind]int {
	m := map[RiskKind]int{}
	for i, k := range []RiskKind{RiskNamespaceAdmin, RiskSecretsRead, RiskWorkloadCreate, RiskPVCreate, RiskNodesProxy, RiskEscalate,
		RiskBind, RiskImpersonate, RiskCSRMint, RiskTokenRequest, RiskWebhookWrite, RiskNamespacePatch, RiskPodExec} {
		m[k] = i
	}
	return m
}()

func sortRisks(rs []Risk) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := &rs[i], &rs[j]
		if a.Kind != b.Kind {
			return riskRank[a.Kind] < riskRank[b.Kind]
		}
		if a.Subject != b.Subject {
			return refLess(a.Subject, b.Subject)
		}
		return a.Namespace < b.Namespace
	})
}

func sortIssues(is []BindingIssue) {
	rank := map[BindingIssueKind]int{IssuePublicSubject: 0, IssueMissingSubject: 1, IssueMissingRole: 2}
	sort.SliceStable(is, func(i, j int) bool {
		if is[i].Kind != is[j].Kind {
			return rank[is[i].Kind] < rank[is[j].Kind]
		}
		return is[i].Binding < is[j].Binding
	})
}

// newRisk builds a risk of subject v from contributions.
func (a *analyzer) newRisk(kind RiskKind, v int32, ns string, cs []contrib, detail string, names []string) Risk {
	ref := a.g.nodes[v].ref
	builtin := defaultPrincipals()[ref]
	for _, c := range cs {
		if !c.b.Default {
			builtin = false
			break
		}
	}
	return Risk{Kind: kind, Subject: ref, Namespace: ns, Detail: detail, Grants: a.grants(cs), Names: names, Builtin: builtin}
}

// singleRisks reports the risks one capability forms alone. A */*/* rule
// is reported once, as namespace-admin (or, cluster-wide, as a direct
// admin): the other risks of a role holding it are not repeated.
func (a *analyzer) singleRisks() {
	g := a.g
	for v := int32(1); v <= g.subjects; v++ {
		for i := range a.aggs[v] {
			ag := &a.aggs[v][i]
			kind := capRisk[ag.kind]
			if kind == "" {
				continue
			}
			if ag.kind == capAdmin {
				if ag.ns != "" {
					detail := "every verb on every resource of every API group"
					if coreOnly(ag.cs) {
						detail = "every verb on every resource of the core API group (Secrets, pods and their exec, ServiceAccount tokens)"
					}
					a.risks = append(a.risks, a.newRisk(kind, v, ag.ns, ag.cs, detail, nil))
				}
				continue
			}
			cs := nonAdmin(ag.cs)
			if len(cs) == 0 {
				continue
			}
			var names []string
			switch ag.kind {
			case capSecrets, capNodesProxy, capTokenRequest, capNamespacePatch, capPodExec:
				names = namesOf(cs)
			case capWorkload:
				// one workload-create risk per scope: writes of running
				// pods join it
				if pp := a.agg(v, capPodPatch, ag.ns); pp != nil {
					cs = append(cs[:len(cs):len(cs)], nonAdmin(pp.cs)...)
				}
			case capPodPatch:
				if w := a.agg(v, capWorkload, ag.ns); w != nil && len(nonAdmin(w.cs)) > 0 {
					continue // reported with capWorkload
				}
				names = namesOf(cs)
			}
			a.risks = append(a.risks, a.newRisk(kind, v, ag.ns, cs, detailOf(cs), names))
		}
	}
}

// bindingIssues: bindings beyond the defaults to everyone, to
// ServiceAccounts that do not exist, and to roles that do not exist.
func (a *analyzer) bindingIssues() {
	p := a.p
	loaded := map[string]bool{}
	exists := map[nsName]bool{}
	for _, s := range p.ServiceAccounts {
		loaded[s.Namespace] = true
		exists[nsName{s.Namespace, s.Name}] = true
	}
	for _, list := range [][]*Binding{p.ClusterRoleBindings, p.RoleBindings} {
		for _, b := range list {
			role := b.RoleRef.Kind + " " + b.RoleRef.Name
			if b.Role != nil {
				role = b.Role.String()
			}
			if b.Role == nil {
				what := role
				if b.RoleRef.Kind == KindRole && b.Namespace != "" {
					what = KindRole + " " + b.Namespace + "/" + b.RoleRef.Name
				}
				detail := "roleRef " + what + " " + p.MissingRoleText() + ": the binding grants nothing until someone creates it, and whoever does decides what its subjects get"
				if b.RoleRef.Kind == KindRole && b.Namespace == "" {
					detail = "a ClusterRoleBinding to a Role never resolves: it grants nothing"
				} else if b.RoleRef.Kind != KindRole && b.RoleRef.Kind != KindClusterRole {
					detail = "roleRef kind " + quote(b.RoleRef.Kind) + " is neither Role nor ClusterRole: it grants nothing"
				}
				a.issues = append(a.issues, BindingIssue{Kind: IssueMissingRole, Binding: b.String(), Role: what, Detail: detail, Source: b.Source})
			}
			if b.Default {
				continue
			}
			for i := range b.Subjects {
				s := &b.Subjects[i]
				ref, ok := subjectRefOf(b, s)
				if !ok {
					continue
				}
				switch {
				case (ref.Kind == KindUser && ref.Name == Anonymous) || (ref.Kind == KindGroup && (ref.Name == AllUnauthenticated || ref.Name == AllAuthenticated)):
					r := ref
					a.issues = append(a.issues, BindingIssue{Kind: IssuePublicSubject, Binding: b.String(), Subject: &r, Role: role,
						Detail: publicDetail(r) + " " + a.roleBrief(b.Role), Source: b.Source})
				case ref.Kind == KindServiceAccount && loaded[ref.Namespace] && !exists[nsName{ref.Namespace, ref.Name}]:
					r := ref
					a.issues = append(a.issues, BindingIssue{Kind: IssueMissingSubject, Binding: b.String(), Subject: &r, Role: role,
						Detail: "ServiceAccount " + ref.Namespace + "/" + ref.Name + " does not exist (the namespace's ServiceAccounts were read): whoever may create it there gets " + role,
						Source: b.Source})
				}
			}
		}
	}
}

func publicDetail(r SubjectRef) string {
	switch r.Name {
	case Anonymous:
		return "every unauthenticated request (system:anonymous) gets"
	case AllUnauthenticated:
		return "every unauthenticated request (system:unauthenticated) gets"
	default:
		return "every authenticated user and ServiceAccount (system:authenticated) gets"
	}
}

// roleBrief says in brief what a role grants: cluster-admin power, the
// escalation risks it carries, or its first rules.
func (a *analyzer) roleBrief(r *Role) string {
	if r == nil {
		return "nothing yet (the role does not exist)"
	}
	rc := a.capsOf(r)
	if rc.admin >= 0 {
		return "every verb on every resource (" + r.String() + ")"
	}
	var kinds []string
	seen := map[RiskKind]bool{}
	for _, f := range rc.facts {
		k := capRisk[f.kind]
		switch f.kind {
		case capEscalateRoles, capEscalateClusterRoles:
			k = RiskEscalate
		case capBindRoles, capBindClusterRoles:
			k = RiskBind
		case capImpersonateUsers, capImpersonateServiceAccounts, capImpersonateGroups:
			k = RiskImpersonate
		case capCSRApprove:
			k = RiskCSRMint
		}
		if k != "" && !seen[k] {
			seen[k] = true
			kinds = append(kinds, string(k))
		}
	}
	s := r.String()
	if len(r.Rules) == 0 {
		return s + ", which has no rules"
	}
	s += ": " + summarizeRules(r.Rules)
	if len(kinds) > 0 {
		s += "; escalation risks: " + strings.Join(kinds, ", ")
	}
	return s
}
