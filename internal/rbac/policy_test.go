package rbac

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func clusterRole(name string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
}

func role(ns, name string, rules ...rbacv1.PolicyRule) *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Rules: rules}
}

func user(n string) rbacv1.Subject {
	return rbacv1.Subject{Kind: "User", APIGroup: rbacv1.GroupName, Name: n}
}
func group(n string) rbacv1.Subject {
	return rbacv1.Subject{Kind: "Group", APIGroup: rbacv1.GroupName, Name: n}
}
func sa(ns, n string) rbacv1.Subject {
	return rbacv1.Subject{Kind: "ServiceAccount", Namespace: ns, Name: n}
}

func crb(name, roleName string, subjects ...rbacv1.Subject) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: roleName}, Subjects: subjects}
}

func rb(ns, name, kind, roleName string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: roleName}, Subjects: subjects}
}

// fixturePolicy is a small cluster exercising every binding rule.
func fixturePolicy() *Policy {
	return Load(
		clusterRole("cluster-admin", rule(l("*"), l("*"), l("*")), rbacv1.PolicyRule{Verbs: l("*"), NonResourceURLs: l("*")}),
		clusterRole("pod-reader", rule(l("get", "list", "watch"), l(""), l("pods"))),
		clusterRole("exec", rule(l("create"), l(""), l("pods/exec"))),
		clusterRole("star-exec", rule(l("create"), l("*"), l("*/exec"))),
		clusterRole("pods-star", rule(l("create"), l(""), l("pods/*"))),
		clusterRole("named-secret", rbacv1.PolicyRule{Verbs: l("get", "list", "create"), APIGroups: l(""), Resources: l("secrets"), ResourceNames: l("app-token")}),
		clusterRole("health", rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/healthz", "/healthz/*")}),
		clusterRole("deploy-core", rule(l("create"), l(""), l("deployments"))),
		clusterRole("deploy-apps", rule(l("create"), l("apps"), l("deployments"))),
		role("team", "secret-reader", rule(l("get"), l(""), l("secrets"))),
		role("other", "secret-reader", rule(l("*"), l("*"), l("*"))),

		crb("cluster-admin", "cluster-admin", group("system:masters"), user("root")),
		crb("ops-exec", "exec", group("ops")),
		crb("anon-health", "health", group("system:unauthenticated")),
		crb("sa-all-read", "pod-reader", group("system:serviceaccounts")),
		crb("authn-deploy-core", "deploy-core", group("system:authenticated")),
		crb("star-exec", "star-exec", user("stella")),
		crb("pods-star", "pods-star", user("pat")),
		crb("named", "named-secret", user("nora")),
		crb("sa-no-namespace", "cluster-admin", rbacv1.Subject{Kind: "ServiceAccount", Name: "ghost"}),
		crb("crb-to-role", "secret-reader", user("rolf")),
		crb("missing-role", "does-not-exist", user("mia")),
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "crb-to-role"},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "secret-reader"}, Subjects: []rbacv1.Subject{user("rolf")}},

		rb("team", "alice-pods", "ClusterRole", "pod-reader", user("alice")),
		rb("team", "alice-secrets", "Role", "secret-reader", user("alice")),
		rb("team", "deployer", "ClusterRole", "deploy-apps", rbacv1.Subject{Kind: "ServiceAccount", Name: "deployer"}), // namespace defaults to team
		rb("team", "ns-sas", "Role", "secret-reader", group("system:serviceaccounts:team")),
		rb("team", "stale", "Role", "gone", user("bob")),
		rb("team", "other-ns-sa", "ClusterRole", "exec", sa("other", "builder")),
		rb("team", "ns-health", "ClusterRole", "health", user("alice")),
	)
}

func TestAllowed(t *testing.T) {
	p := fixturePolicy()
	get := func(user, ns, group, resource, sub, name string, groups ...string) Request {
		return Request{User: user, Groups: groups, Verb: "get", Namespace: ns, APIGroup: group, Resource: resource, Subresource: sub, Name: name}
	}
	with := func(r Request, verb string) Request { r.Verb = verb; return r }
	cases := []struct {
		name string
		req  Request
		want bool
		by   string // Binding() of the first grant, when allowed
	}{
		{"RoleBinding to ClusterRole grants in its namespace", get("alice", "team", "", "pods", "", ""), true, "RoleBinding team/alice-pods"},
		{"RoleBinding to ClusterRole grants nothing elsewhere", get("alice", "prod", "", "pods", "", ""), false, ""},
		{"RoleBinding grants nothing cluster-wide", with(get("alice", "", "", "pods", "", ""), "list"), false, ""},
		{"RoleBinding to Role", get("alice", "team", "", "secrets", "", "x"), true, "RoleBinding team/alice-secrets"},
		{"Role of another namespace with the same name is not used", with(get("alice", "team", "", "secrets", "", "x"), "delete"), false, ""},
		{"ClusterRoleBinding is cluster-wide", get("root", "", "", "nodes", "", ""), true, "ClusterRoleBinding cluster-admin"},
		{"ClusterRoleBinding applies in every namespace", with(get("root", "anywhere", "apps", "deployments", "", ""), "delete"), true, "ClusterRoleBinding cluster-admin"},
		{"system:masters is allowed before RBAC", get("someone", "", "", "secrets", "", "", "system:masters"), true, "PrivilegedGroup system:masters"},
		{"group from --as-group", with(get("carl", "x", "", "pods", "exec", "web", "ops"), "create"), true, "ClusterRoleBinding ops-exec"},
		{"group not held", with(get("carl", "x", "", "pods", "exec", "web"), "create"), false, ""},
		{"system:authenticated is implicit", with(get("anyone", "x", "", "deployments", "", ""), "create"), true, "ClusterRoleBinding authn-deploy-core"},
		{"system:authenticated is not given to anonymous", with(get("system:anonymous", "x", "", "deployments", "", ""), "create"), false, ""},
		{"system:unauthenticated is given to anonymous", Request{User: "system:anonymous", Verb: "get", Path: "/healthz/etcd"}, true, "ClusterRoleBinding anon-health"},
		{"system:unauthenticated is not given to users", Request{User: "alice", Verb: "get", Path: "/healthz"}, false, ""},
		{"RoleBindings never grant URLs", Request{User: "alice", Verb: "get", Path: "/healthz", Namespace: "team"}, false, ""},
		{"system:serviceaccounts is implicit for SAs", get("system:serviceaccount:x:y", "z", "", "pods", "", ""), true, "ClusterRoleBinding sa-all-read"},
		{"system:serviceaccounts is not for users", get("x-y", "z", "", "pods", "", ""), false, ""},
		{"system:serviceaccounts:NS is implicit", get("system:serviceaccount:team:any", "team", "", "secrets", "", "s"), true, "RoleBinding team/ns-sas"},
		{"system:serviceaccounts:NS is only that namespace's", get("system:serviceaccount:prod:any", "team", "", "secrets", "", "s"), false, ""},
		{"SA subject without namespace takes the RoleBinding's", with(get("system:serviceaccount:team:deployer", "team", "apps", "deployments", "", ""), "create"), true, "RoleBinding team/deployer"},
		{"... and not another namespace's SA of that name", with(get("system:serviceaccount:prod:deployer", "team", "apps", "deployments", "", ""), "create"), false, ""},
		{"SA of another namespace bound in this one", with(get("system:serviceaccount:other:builder", "team", "", "pods", "exec", "w"), "create"), true, "RoleBinding team/other-ns-sa"},
		{"... only in the binding's namespace", with(get("system:serviceaccount:other:builder", "other", "", "pods", "exec", "w"), "create"), false, ""},
		{"SA subject without namespace in a ClusterRoleBinding matches nobody", get("system:serviceaccount:default:ghost", "default", "", "pods", "", ""), true, "ClusterRoleBinding sa-all-read"},
		{"ClusterRoleBinding to a Role grants nothing", get("rolf", "team", "", "secrets", "", "x"), false, ""},
		{"missing roleRef grants nothing", get("mia", "", "", "pods", "", ""), false, ""},
		{"RoleBinding to a missing Role grants nothing", get("bob", "team", "", "pods", "", ""), false, ""},
		{"rule without the request's apiGroup", with(get("anyone", "x", "apps", "deployments", "", ""), "create"), false, ""},
		{"*/exec with apiGroups *", with(get("stella", "x", "", "pods", "exec", "w"), "create"), true, "ClusterRoleBinding star-exec"},
		{"*/exec does not grant pods", get("stella", "x", "", "pods", "", "w"), false, ""},
		{"pods/* is not a wildcard", with(get("pat", "x", "", "pods", "exec", "w"), "create"), false, ""},
		{"resourceNames: get by name", get("nora", "x", "", "secrets", "", "app-token"), true, "ClusterRoleBinding named"},
		{"resourceNames: list has no name", with(get("nora", "x", "", "secrets", "", ""), "list"), false, ""},
		{"resourceNames: create has no name", with(get("nora", "x", "", "secrets", "", ""), "create"), false, ""},
		{"resourceNames: other name", get("nora", "x", "", "secrets", "", "db-password"), false, ""},
		{"user named like a group is not in it", get("system:masters", "", "", "secrets", "", ""), false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, grants := p.Allowed(c.req)
			if ok != c.want {
				t.Fatalf("Allowed(%+v) = %v (%v), want %v", c.req, ok, grants, c.want)
			}
			if ok && grants[0].Binding() != c.by {
				t.Fatalf("first grant = %s, want %s (all: %v)", grants[0].Binding(), c.by, grants)
			}
			if ok != (len(grants) > 0) {
				t.Fatalf("allowed %v with %d grants", ok, len(grants))
			}
		})
	}
}

func TestAllowedExplains(t *testing.T) {
	p := fixturePolicy()
	ok, grants := p.Allowed(Request{User: "alice", Verb: "list", Resource: "pods", Namespace: "team"})
	want := Grant{BindingKind: "RoleBinding", BindingName: "alice-pods", BindingNamespace: "team", RoleKind: "ClusterRole", RoleName: "pod-reader",
		RuleIndex: 0, Rule: `{APIGroups:[""], Resources:["pods"], Verbs:["get" "list" "watch"]}`, Subject: user("alice")}
	if !ok || len(grants) != 1 || !reflect.DeepEqual(grants[0], want) {
		t.Fatalf("got %v %#v\nwant %#v", ok, grants, want)
	}
	if s := grants[0].String(); s != "RoleBinding team/alice-pods → ClusterRole pod-reader" {
		t.Fatalf("String() = %q", s)
	}
	// Every allowing binding is listed, ClusterRoleBindings first.
	_, grants = p.Allowed(Request{User: "system:serviceaccount:team:x", Groups: l("system:masters"), Verb: "get", Resource: "secrets", Namespace: "team", Name: "s"})
	var got []string
	for _, g := range grants {
		got = append(got, g.Binding()+" via "+g.Subject.Name)
	}
	wantList := []string{"PrivilegedGroup system:masters via system:masters", "ClusterRoleBinding cluster-admin via system:masters", "RoleBinding team/ns-sas via system:serviceaccounts:team"}
	if !reflect.DeepEqual(got, wantList) {
		t.Fatalf("grants = %q\nwant %q", got, wantList)
	}
}

func TestProblems(t *testing.T) {
	p := fixturePolicy()
	var msgs []string
	for _, pr := range p.Problems {
		msgs = append(msgs, pr.String())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{
		"ClusterRoleBinding missing-role: roleRef: ClusterRole does-not-exist does not exist",
		"RoleBinding team/stale: roleRef: Role team/gone does not exist",
		"ClusterRoleBinding crb-to-role: roleRef: Role secret-reader does not exist",
		`ClusterRoleBinding sa-no-namespace: subject ServiceAccount "ghost" has no namespace`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
}

func subjectNames(ss []Subject) []string {
	var out []string
	for _, s := range ss {
		var via []string
		for _, g := range s.Grants {
			via = append(via, g.Binding())
		}
		out = append(out, fmt.Sprintf("%s [%s]", s, strings.Join(via, ", ")))
	}
	return out
}

func TestWhoCan(t *testing.T) {
	p := fixturePolicy()
	cases := []struct {
		name string
		req  Request
		want []string
	}{
		{"get secrets in team", Request{Verb: "get", Resource: "secrets", Namespace: "team", Name: "x"}, []string{
			"User alice [RoleBinding team/alice-secrets]",
			"User root [ClusterRoleBinding cluster-admin]",
			"Group system:masters [PrivilegedGroup system:masters, ClusterRoleBinding cluster-admin]",
			"Group system:serviceaccounts:team [RoleBinding team/ns-sas]",
		}},
		{"list secrets cluster-wide: RoleBindings do not count", Request{Verb: "list", Resource: "secrets"}, []string{
			"User root [ClusterRoleBinding cluster-admin]",
			"Group system:masters [PrivilegedGroup system:masters, ClusterRoleBinding cluster-admin]",
		}},
		{"get app-token by name", Request{Verb: "get", Resource: "secrets", Name: "app-token"}, []string{
			"User nora [ClusterRoleBinding named]",
			"User root [ClusterRoleBinding cluster-admin]",
			"Group system:masters [PrivilegedGroup system:masters, ClusterRoleBinding cluster-admin]",
		}},
		{"create pods/exec in team", Request{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "team", Name: "w"}, []string{
			"User root [ClusterRoleBinding cluster-admin]",
			"User stella [ClusterRoleBinding star-exec]",
			"Group ops [ClusterRoleBinding ops-exec]",
			"Group system:masters [PrivilegedGroup system:masters, ClusterRoleBinding cluster-admin]",
			"ServiceAccount other/builder [RoleBinding team/other-ns-sa]",
		}},
		{"create deployments.apps in team", Request{Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "team"}, []string{
			"User root [ClusterRoleBinding cluster-admin]",
			"Group system:masters [PrivilegedGroup system:masters, ClusterRoleBinding cluster-admin]",
			"ServiceAccount team/deployer [RoleBinding team/deployer]",
		}},
		{"get /healthz", Request{Verb: "get", Path: "/healthz", Namespace: "team"}, []string{
			"User root [ClusterRoleBinding cluster-admin]",
			"Group system:masters [PrivilegedGroup system:masters, ClusterRoleBinding cluster-admin]",
			"Group system:unauthenticated [ClusterRoleBinding anon-health]",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := subjectNames(p.WhoCan(c.req))
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("WhoCan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// TestWhoCanAgreesWithAllowed: every user WhoCan lists is Allowed, for
// every request of a matrix, and users it leaves out are not.
func TestWhoCanAgreesWithAllowed(t *testing.T) {
	p := fixturePolicy()
	users := []string{"alice", "bob", "root", "stella", "pat", "nora", "mia", "rolf", "system:anonymous",
		"system:serviceaccount:team:deployer", "system:serviceaccount:other:builder", "system:serviceaccount:team:x"}
	for _, ns := range []string{"", "team", "other"} {
		for _, verb := range []string{"get", "list", "create", "delete"} {
			for _, res := range []struct{ g, r, s, n string }{{"", "pods", "", ""}, {"", "pods", "exec", "w"}, {"", "secrets", "", "app-token"}, {"apps", "deployments", "", ""}} {
				req := Request{Verb: verb, APIGroup: res.g, Resource: res.r, Subresource: res.s, Name: res.n, Namespace: ns}
				subjects := p.WhoCan(req)
				for _, u := range users {
					req.User = u
					ok, _ := p.Allowed(req)
					listed := false
					for _, g := range EffectiveGroups(u, nil) {
						listed = listed || containsSubject(subjects, Subject{Kind: KindGroup, Name: g})
					}
					listed = listed || containsSubject(subjects, Subject{Kind: KindUser, Name: u})
					if sns, sname, isSA := SplitServiceAccountUsername(u); isSA {
						listed = listed || containsSubject(subjects, Subject{Kind: KindServiceAccount, Namespace: sns, Name: sname})
					}
					if ok != listed {
						t.Errorf("%+v: Allowed=%v but WhoCan lists the user or its groups: %v", req, ok, listed)
					}
				}
			}
		}
	}
}

func containsSubject(ss []Subject, s Subject) bool {
	for _, x := range ss {
		if x.Kind == s.Kind && x.Name == s.Name && x.Namespace == s.Namespace {
			return true
		}
	}
	return false
}

func TestRulesFor(t *testing.T) {
	p := fixturePolicy()
	show := func(rs []EffectiveRule) []string {
		var out []string
		for _, r := range rs {
			ns := r.Namespace
			if ns == "" {
				ns = "*"
			}
			out = append(out, ns+" "+CompactString(r.Rule)+" via "+r.Grant.Binding()+" ("+r.Grant.Subject.Kind+" "+r.Grant.Subject.Name+")")
		}
		return out
	}
	cases := []struct {
		name    string
		subject Subject
		groups  []string
		want    []string
	}{
		{"user with implicit system:authenticated", Subject{Kind: KindUser, Name: "alice"}, nil, []string{
			`* {APIGroups:[""], Resources:["deployments"], Verbs:["create"]} via ClusterRoleBinding authn-deploy-core (Group system:authenticated)`,
			`team {APIGroups:[""], Resources:["pods"], Verbs:["get" "list" "watch"]} via RoleBinding team/alice-pods (User alice)`,
			`team {APIGroups:[""], Resources:["secrets"], Verbs:["get"]} via RoleBinding team/alice-secrets (User alice)`,
			// ns-health's nonResourceURLs are dropped: a RoleBinding cannot grant them
		}},
		{"service account with its groups", Subject{Kind: KindServiceAccount, Namespace: "team", Name: "deployer"}, nil, []string{
			`* {APIGroups:[""], Resources:["deployments"], Verbs:["create"]} via ClusterRoleBinding authn-deploy-core (Group system:authenticated)`,
			`* {APIGroups:[""], Resources:["pods"], Verbs:["get" "list" "watch"]} via ClusterRoleBinding sa-all-read (Group system:serviceaccounts)`,
			`team {APIGroups:["apps"], Resources:["deployments"], Verbs:["create"]} via RoleBinding team/deployer (ServiceAccount deployer)`,
			`team {APIGroups:[""], Resources:["secrets"], Verbs:["get"]} via RoleBinding team/ns-sas (Group system:serviceaccounts:team)`,
		}},
		{"a group alone", Subject{Kind: KindGroup, Name: "ops"}, nil, []string{
			`* {APIGroups:[""], Resources:["pods/exec"], Verbs:["create"]} via ClusterRoleBinding ops-exec (Group ops)`,
		}},
		{"extra groups", Subject{Kind: KindUser, Name: "zed"}, l("system:masters"), []string{
			`* {APIGroups:["*"], Resources:["*"], Verbs:["*"]} via PrivilegedGroup system:masters (Group system:masters)`,
			`* {NonResourceURLs:["*"], Verbs:["*"]} via PrivilegedGroup system:masters (Group system:masters)`,
			`* {APIGroups:[""], Resources:["deployments"], Verbs:["create"]} via ClusterRoleBinding authn-deploy-core (Group system:authenticated)`,
			`* {APIGroups:["*"], Resources:["*"], Verbs:["*"]} via ClusterRoleBinding cluster-admin (Group system:masters)`,
			`* {NonResourceURLs:["*"], Verbs:["*"]} via ClusterRoleBinding cluster-admin (Group system:masters)`,
		}},
		{"anonymous", Subject{Kind: KindUser, Name: "system:anonymous"}, nil, []string{
			`* {NonResourceURLs:["/healthz" "/healthz/*"], Verbs:["get"]} via ClusterRoleBinding anon-health (Group system:unauthenticated)`,
		}},
		{"missing role grants nothing", Subject{Kind: KindUser, Name: "bob"}, nil, []string{
			`* {APIGroups:[""], Resources:["deployments"], Verbs:["create"]} via ClusterRoleBinding authn-deploy-core (Group system:authenticated)`,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := show(p.RulesFor(c.subject, c.groups...))
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("RulesFor:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestAggregation(t *testing.T) {
	lbl := func(r *rbacv1.ClusterRole, k, v string) *rbacv1.ClusterRole {
		if r.Labels == nil {
			r.Labels = map[string]string{}
		}
		r.Labels[k] = v
		return r
	}
	agg := func(name string, rules []rbacv1.PolicyRule, sels ...metav1.LabelSelector) *rbacv1.ClusterRole {
		return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules, AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: sels}}
	}
	match := func(k string) metav1.LabelSelector {
		return metav1.LabelSelector{MatchLabels: map[string]string{k: "true"}}
	}
	objs := []runtime.Object{
		// view <- view-a, view-b; edit <- edit-a + view (chain); admin <- edit (two links)
		agg("view", nil, match("agg-view")),
		lbl(agg("edit", nil, match("agg-edit")), "agg-admin", "true"),
		agg("admin", nil, match("agg-admin")),
		lbl(lbl(agg("viewish", nil, match("agg-view")), "agg-edit", "true"), "agg-admin", "true"),
		lbl(clusterRole("view-b", rule(l("get"), l(""), l("services"))), "agg-view", "true"),
		lbl(clusterRole("view-a", rule(l("get"), l(""), l("pods")), rule(l("get"), l(""), l("services"))), "agg-view", "true"),
		lbl(clusterRole("edit-a", rule(l("create"), l("apps"), l("deployments"))), "agg-edit", "true"),
		lbl(clusterRole("admin-a", rule(l("create"), l("rbac.authorization.k8s.io"), l("rolebindings"))), "agg-admin", "true"),
		lbl(clusterRole("not-selected", rule(l("*"), l("*"), l("*"))), "agg-view", "false"),
		// matchExpressions
		agg("expr", nil, metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: l("gold")}}}),
		lbl(clusterRole("gold", rule(l("get"), l(""), l("nodes"))), "tier", "gold"),
		// stored rules that differ from the union are kept, with a warning
		agg("stale", []rbacv1.PolicyRule{rule(l("delete"), l(""), l("pods"))}, match("agg-view")),
		// an invalid selector: the controller gives up
		agg("broken", nil, metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "x", Operator: "Near"}}}),
		crb("v", "view", user("v")), crb("e", "edit", user("e")), crb("a", "admin", user("a")), crb("x", "expr", user("x")),
		crb("s", "stale", user("s")), crb("b", "broken", user("b")),
	}
	p := Load(objs...)
	rules := func(name string) []string {
		var out []string
		for _, r := range p.ClusterRole(name).Rules {
			out = append(out, CompactString(r))
		}
		return out
	}
	pods := `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`
	svc := `{APIGroups:[""], Resources:["services"], Verbs:["get"]}`
	deploy := `{APIGroups:["apps"], Resources:["deployments"], Verbs:["create"]}`
	rbs := `{APIGroups:["rbac.authorization.k8s.io"], Resources:["rolebindings"], Verbs:["create"]}`
	for name, want := range map[string][]string{
		"view":    {pods, svc}, // sorted by role name, each rule once
		"viewish": {pods, svc},
		"edit":    {deploy, pods, svc},      // edit-a, then viewish
		"admin":   {rbs, deploy, pods, svc}, // admin-a, then edit, then viewish
		"expr":    {`{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}`},
		"stale":   {`{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}`},
		"broken":  nil,
	} {
		if got := rules(name); !reflect.DeepEqual(got, want) {
			t.Errorf("%s rules = %q, want %q", name, got, want)
		}
	}
	if !p.ClusterRole("view").Aggregated || p.ClusterRole("stale").Aggregated {
		t.Errorf("Aggregated flags wrong")
	}
	for _, c := range []struct {
		user, verb, group, resource string
		want                        bool
	}{
		{"v", "get", "", "pods", true}, {"v", "create", "apps", "deployments", false},
		{"a", "create", "apps", "deployments", true}, {"a", "get", "", "services", true},
		{"x", "get", "", "nodes", true}, {"s", "get", "", "pods", false}, {"s", "delete", "", "pods", true}, {"b", "get", "", "pods", false},
	} {
		if ok, _ := p.Allowed(Request{User: c.user, Verb: c.verb, APIGroup: c.group, Resource: c.resource, Namespace: "n"}); ok != c.want {
			t.Errorf("%s %s %s: %v, want %v", c.user, c.verb, c.resource, ok, c.want)
		}
	}
	var msgs []string
	for _, pr := range p.Problems {
		msgs = append(msgs, pr.String())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"ClusterRole stale: its rules grant more than the union", `ClusterRole broken: aggregationRule.clusterRoleSelectors: "Near" is not a valid`} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
}

func TestDuplicates(t *testing.T) {
	b := NewBuilder()
	b.Add(clusterRole("r", rule(l("get"), l(""), l("pods"))), "a.yaml:1")
	b.Add(clusterRole("r", rule(l("get"), l(""), l("pods"))), "b.yaml:1") // identical: silent
	b.Add(clusterRole("r", rule(l("list"), l(""), l("pods"))), "c.yaml:3")
	p := b.Build()
	if len(p.ClusterRoles) != 1 || p.ClusterRoles[0].Source != "c.yaml:3" {
		t.Fatalf("roles = %+v", p.ClusterRoles)
	}
	if len(p.Problems) != 1 || !strings.Contains(p.Problems[0].String(), "c.yaml:3: ClusterRole r is defined twice with different content (first at b.yaml:1)") {
		t.Fatalf("problems = %v", p.Problems)
	}
}

// TestConcurrentQueries: a Policy answers from many goroutines (go test -race).
func TestConcurrentQueries(t *testing.T) {
	p := fixturePolicy()
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			for i := 0; i < 50; i++ {
				p.Allowed(Request{User: "alice", Verb: "get", Resource: "pods", Namespace: "team"})
				p.WhoCan(Request{Verb: "get", Resource: "secrets", Namespace: "team"})
				p.RulesFor(Subject{Kind: KindServiceAccount, Namespace: "team", Name: "deployer"})
			}
			done <- true
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}

// problems is the model's problems, one a line.
func problems(p *Policy) string {
	var out []string
	for _, pr := range p.Problems {
		out = append(out, pr.String())
	}
	return strings.Join(out, "\n")
}

func names[T any](list []T, name func(T) string) []string {
	var out []string
	for _, x := range list {
		out = append(out, name(x))
	}
	return out
}

func roleNames(rs []*Role) []string { return names(rs, func(r *Role) string { return r.String() }) }
