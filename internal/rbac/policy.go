package rbac

import (
	"slices"
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
)

// Policy is a cluster's RBAC model: roles with their effective rules,
// bindings resolved to their roles and indexed by subject, and the
// identities that use them (ServiceAccounts, the pods that run as them,
// token Secrets' metadata). Build one with Load, NewBuilder, LoadFiles or
// LoadLive; it is read-only afterwards and safe for concurrent queries.
type Policy struct {
	ClusterRoles        []*Role    // sorted by name
	Roles               []*Role    // sorted by namespace, name
	ClusterRoleBindings []*Binding // sorted by name
	RoleBindings        []*Binding // sorted by namespace, name
	ServiceAccounts     []ServiceAccount
	Namespaces          []Namespace
	Pods                []Pod
	Nodes               []Node
	Secrets             []Secret // token Secrets, metadata only
	// SecretsUnavailable says why the token Secrets were not read (live:
	// the credential lacks the opt-in Secret-inventory role, or the
	// server's answer was refused). The paths that read a legacy
	// ServiceAccount token Secret are then not assessed. "" when they were
	// read, and for files (a dump holds whatever Secrets it holds).
	SecretsUnavailable string
	// Problems are input problems and model warnings: a bad document
	// (file:line), a roleRef to a missing role, a subject that can never
	// match, aggregated rules that differ from their selectors' union.
	Problems []Problem
	// Live: the model is a cluster's own, read live (LoadLive) or from a
	// dump of a live read (WriteDump marks it): it holds the server's
	// built-in roles and bindings, none is assumed.
	Live bool
	// Builtins says whether kube-apiserver's bootstrap roles and bindings
	// the input lacks were assumed (files only, see
	// Builder.AssumeBuiltins), and which.
	Builtins BuiltinsAssumption

	clusterRoleByName map[string]*Role
	roleByKey         map[nsName]*Role
	allRoles          []*Role // ClusterRoles then Roles; Role.id indexes it
	objects           int

	// Subject indexes: binding positions in ClusterRoleBindings and
	// RoleBindings, ascending. "Users" are keyed by user name: a User
	// subject by its name, a ServiceAccount subject by
	// system:serviceaccount:NS:NAME (RoleBinding subjects without a
	// namespace take the binding's, as appliesToUser defaults them).
	crbByUser, crbByGroup map[string][]int32
	rbByUser, rbByGroup   map[string][]int32
	rbByNamespace         map[string][]int32

	analysisCache analysisCache // Analysis, computed once
}

// ClusterRole returns the named ClusterRole, or nil.
func (p *Policy) ClusterRole(name string) *Role { return p.clusterRoleByName[name] }

// Role returns the named Role, or nil.
func (p *Policy) Role(namespace, name string) *Role { return p.roleByKey[nsName{namespace, name}] }

// Objects is the number of distinct objects loaded.
func (p *Policy) Objects() int { return p.objects }

// index builds the subject indexes.
func (p *Policy) index() {
	p.crbByUser, p.crbByGroup = map[string][]int32{}, map[string][]int32{}
	p.rbByUser, p.rbByGroup = map[string][]int32{}, map[string][]int32{}
	p.rbByNamespace = map[string][]int32{}
	for i, x := range p.ClusterRoleBindings {
		p.indexBinding(x, int32(i), p.crbByUser, p.crbByGroup)
	}
	for i, x := range p.RoleBindings {
		p.indexBinding(x, int32(i), p.rbByUser, p.rbByGroup)
		p.rbByNamespace[x.Namespace] = append(p.rbByNamespace[x.Namespace], int32(i))
	}
}

func appendOnce(m map[string][]int32, key string, i int32) {
	l := m[key]
	if n := len(l); n > 0 && l[n-1] == i {
		return
	}
	m[key] = append(l, i)
}

func (p *Policy) indexBinding(x *Binding, i int32, users, groups map[string][]int32) {
	for _, s := range x.Subjects {
		switch s.Kind {
		case rbacv1.UserKind:
			appendOnce(users, s.Name, i)
		case rbacv1.GroupKind:
			appendOnce(groups, s.Name, i)
		case rbacv1.ServiceAccountKind:
			ns := s.Namespace
			if ns == "" {
				ns = x.Namespace
			}
			if ns == "" {
				p.objProblem(x.String(), x.Source, "subject ServiceAccount "+quote(s.Name)+" has no namespace: it matches nobody in a ClusterRoleBinding")
				continue
			}
			appendOnce(users, ServiceAccountUsername(ns, s.Name), i)
		default:
			p.objProblem(x.String(), x.Source, "subject kind "+quote(s.Kind)+" is not User, Group or ServiceAccount: it matches nobody")
		}
	}
}

// appliesTo is pkg/registry/rbac/validation/rule.go appliesTo: the index
// of the first subject that applies to the user, or -1. namespace is ""
// for a ClusterRoleBinding and the binding's namespace for a RoleBinding.
func appliesTo(username string, groups []string, subjects []rbacv1.Subject, namespace string) int {
	for i := range subjects {
		if appliesToUser(username, groups, &subjects[i], namespace) {
			return i
		}
	}
	return -1
}

// appliesToUser is rule.go appliesToUser.
func appliesToUser(username string, groups []string, s *rbacv1.Subject, namespace string) bool {
	switch s.Kind {
	case rbacv1.UserKind:
		return username == s.Name
	case rbacv1.GroupKind:
		return slices.Contains(groups, s.Name)
	case rbacv1.ServiceAccountKind:
		// default the namespace to the namespace we're working in
		saNamespace := namespace
		if s.Namespace != "" {
			saNamespace = s.Namespace
		}
		if saNamespace == "" {
			return false
		}
		return serviceaccount.MatchesUsername(saNamespace, s.Name, username)
	default:
		return false
	}
}

// candidates merges the binding positions indexed under the user name and
// each group, ascending and without duplicates.
func candidates(users, groups map[string][]int32, username string, groupNames []string, buf []int32) []int32 {
	buf = append(buf[:0], users[username]...)
	for _, g := range groupNames {
		buf = append(buf, groups[g]...)
	}
	if len(buf) < 2 {
		return buf
	}
	sort.Slice(buf, func(i, j int) bool { return buf[i] < buf[j] })
	out := buf[:1]
	for _, v := range buf[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

func privilegedGrant() Grant {
	return Grant{BindingKind: KindPrivilegedGroup, BindingName: PrivilegedGroup, RuleIndex: -1,
		Rule:    "every request: kube-apiserver authorizes the system:masters group before RBAC, and no binding can revoke it",
		Subject: rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: PrivilegedGroup}}
}

func grantOf(x *Binding, rule int, subject rbacv1.Subject) Grant {
	if subject.Kind == rbacv1.ServiceAccountKind && subject.Namespace == "" {
		subject.Namespace = x.Namespace // as appliesToUser defaults it
	}
	g := Grant{BindingKind: x.Kind, BindingName: x.Name, BindingNamespace: x.Namespace, RuleIndex: rule, Subject: subject, Assumed: assumedOf(x)}
	if x.Role != nil {
		g.RoleKind, g.RoleName = x.Role.Kind, x.Role.Name
		if rule >= 0 && rule < len(x.Role.Rules) {
			g.Rule = CompactString(x.Role.Rules[rule])
		}
	}
	return g
}

// normalize gives a request the shape kube-apiserver's authorizer sees:
// non-resource requests carry no namespace (only ClusterRoleBindings apply
// to them).
func normalize(req Request) Request {
	if !req.IsResourceRequest() {
		req.APIGroup, req.Resource, req.Subresource, req.Name, req.Namespace = "", "", "", "", ""
	}
	return req
}

// Allowed answers req as kube-apiserver would with RBAC (plus the
// system:masters privileged group, which the server checks first): it
// walks the ClusterRoleBindings, then the RoleBindings of req.Namespace,
// that apply to the user or one of its groups (the implicit groups are
// added, see EffectiveGroups) and checks their roles' rules (VisitRulesFor,
// pkg/registry/rbac/validation/rule.go). It returns every binding that
// allows the request, with the first matching rule of each: the first
// Grant is the one the authorizer would name.
func (p *Policy) Allowed(req Request) (bool, []Grant) {
	req = normalize(req)
	groups := EffectiveGroups(req.User, req.Groups)
	var grants []Grant
	if slices.Contains(groups, PrivilegedGroup) {
		grants = append(grants, privilegedGrant())
	}
	var buf [32]int32
	for _, i := range candidates(p.crbByUser, p.crbByGroup, req.User, groups, buf[:0]) {
		x := p.ClusterRoleBindings[i]
		if x.Role == nil {
			continue
		}
		s := appliesTo(req.User, groups, x.Subjects, "")
		if s < 0 {
			continue
		}
		if r := firstAllowing(&req, x.Role.Rules); r >= 0 {
			grants = append(grants, grantOf(x, r, x.Subjects[s]))
		}
	}
	if req.Namespace != "" {
		for _, i := range candidates(p.rbByUser, p.rbByGroup, req.User, groups, buf[:0]) {
			x := p.RoleBindings[i]
			if x.Namespace != req.Namespace || x.Role == nil {
				continue
			}
			s := appliesTo(req.User, groups, x.Subjects, x.Namespace)
			if s < 0 {
				continue
			}
			if r := firstAllowing(&req, x.Role.Rules); r >= 0 {
				grants = append(grants, grantOf(x, r, x.Subjects[s]))
			}
		}
	}
	return len(grants) > 0, grants
}

// WhoCan lists every subject that may perform req, as
// plugin/pkg/auth/authorizer/rbac/subject_locator.go AllowedSubjects does:
// the system:masters group, then the subjects of every
// ClusterRoleBinding, and every RoleBinding in req.Namespace, whose role
// allows req. Groups (system:authenticated, system:serviceaccounts:NS,
// ...) are listed as groups, not expanded to members. A ServiceAccount
// subject of a RoleBinding without a namespace is the binding's namespace's;
// one in a ClusterRoleBinding matches nobody and is left out. Subjects are
// sorted by kind (User, Group, ServiceAccount), namespace and name, each
// with every grant.
func (p *Policy) WhoCan(req Request) []Subject {
	req = normalize(req)
	// memo[role id]: 0 not evaluated, -1 no rule allows, else rule index + 1.
	memo := make([]int32, len(p.allRoles))
	ruleFor := func(r *Role) int {
		m := memo[r.id]
		if m == 0 {
			m = int32(firstAllowing(&req, r.Rules)) + 1
			if m == 0 {
				m = -1
			}
			memo[r.id] = m
		}
		if m < 0 {
			return -1
		}
		return int(m - 1)
	}
	type key struct{ kind, ns, name string }
	found := map[key]*Subject{}
	var order []*Subject
	add := func(kind, ns, name string, g Grant) {
		k := key{kind, ns, name}
		s := found[k]
		if s == nil {
			s = &Subject{Kind: kind, Namespace: ns, Name: name}
			found[k] = s
			order = append(order, s)
		}
		s.Grants = append(s.Grants, g)
	}
	add(KindGroup, "", PrivilegedGroup, privilegedGrant())
	visit := func(x *Binding) {
		if x.Role == nil {
			return
		}
		r := ruleFor(x.Role)
		if r < 0 {
			return
		}
		for _, s := range x.Subjects {
			switch s.Kind {
			case rbacv1.UserKind, rbacv1.GroupKind:
				add(s.Kind, "", s.Name, grantOf(x, r, s))
			case rbacv1.ServiceAccountKind:
				ns := s.Namespace
				if ns == "" {
					ns = x.Namespace
				}
				if ns != "" {
					add(s.Kind, ns, s.Name, grantOf(x, r, s))
				}
			}
		}
	}
	for _, x := range p.ClusterRoleBindings {
		visit(x)
	}
	if req.Namespace != "" {
		for _, i := range p.rbByNamespace[req.Namespace] {
			visit(p.RoleBindings[i])
		}
	}
	out := make([]Subject, len(order))
	for i, s := range order {
		out[i] = *s
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if a.Kind != b.Kind {
			return kindRank(a.Kind) < kindRank(b.Kind)
		}
		return lessNS(a.Namespace, a.Name, b.Namespace, b.Name)
	})
	return out
}

func kindRank(k string) int {
	switch k {
	case KindUser:
		return 0
	case KindGroup:
		return 1
	default:
		return 2
	}
}

// RulesFor returns every rule subject holds and where. For a User or a
// ServiceAccount the implicit groups are included (system:authenticated,
// system:serviceaccounts[:NS], see EffectiveGroups) plus extraGroups; a
// Group is taken alone (its rules, not its members'). Cluster-wide rules
// (ClusterRoleBindings, Namespace "") come first, then RoleBinding rules
// by namespace. A RoleBinding never grants nonResourceURLs (non-resource
// requests carry no namespace), so those parts of rules it binds are
// dropped. system:masters yields two rules that allow everything.
func (p *Policy) RulesFor(subject Subject, extraGroups ...string) []EffectiveRule {
	var (
		username  string
		groups    []string
		matchUser = true
	)
	switch subject.Kind {
	case KindUser:
		username = subject.Name
		groups = EffectiveGroups(username, extraGroups)
	case KindServiceAccount:
		username = ServiceAccountUsername(subject.Namespace, subject.Name)
		groups = EffectiveGroups(username, extraGroups)
	case KindGroup:
		matchUser = false
		groups = append([]string{subject.Name}, extraGroups...)
	default:
		return nil
	}
	var out []EffectiveRule
	if slices.Contains(groups, PrivilegedGroup) {
		g := privilegedGrant()
		out = append(out,
			EffectiveRule{Rule: rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}, Grant: g},
			EffectiveRule{Rule: rbacv1.PolicyRule{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}, Grant: g})
	}
	users := func(m map[string][]int32) map[string][]int32 {
		if matchUser {
			return m
		}
		return nil
	}
	for _, i := range candidates(users(p.crbByUser), p.crbByGroup, username, groups, nil) {
		x := p.ClusterRoleBindings[i]
		s := p.matchSubject(x, username, groups, matchUser, "")
		if s < 0 || x.Role == nil {
			continue
		}
		for r, rule := range x.Role.Rules {
			out = append(out, EffectiveRule{Rule: rule, Grant: grantOf(x, r, x.Subjects[s])})
		}
	}
	for _, i := range candidates(users(p.rbByUser), p.rbByGroup, username, groups, nil) {
		x := p.RoleBindings[i]
		s := p.matchSubject(x, username, groups, matchUser, x.Namespace)
		if s < 0 || x.Role == nil {
			continue
		}
		for r, rule := range x.Role.Rules {
			if len(rule.NonResourceURLs) > 0 {
				if len(rule.Resources) == 0 {
					continue
				}
				rule.NonResourceURLs = nil
			}
			out = append(out, EffectiveRule{Rule: rule, Namespace: x.Namespace, Grant: grantOf(x, r, x.Subjects[s])})
		}
	}
	return out
}

func (p *Policy) matchSubject(x *Binding, username string, groups []string, matchUser bool, namespace string) int {
	if matchUser {
		return appliesTo(username, groups, x.Subjects, namespace)
	}
	for i := range x.Subjects {
		if x.Subjects[i].Kind == rbacv1.GroupKind && slices.Contains(groups, x.Subjects[i].Name) {
			return i
		}
	}
	return -1
}
