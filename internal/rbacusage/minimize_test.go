package rbacusage

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/rbacdump"
)

func loadMinimizeFixture(t *testing.T) *rbac.Policy {
	t.Helper()
	p, err := rbacdump.LoadWith(rbac.FileOptions{NoBuiltins: true}, "testdata/minimize.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// minimized is m as one line per rule: "KIND NS/NAME: RULE", plus
// "not held: ..." lines.
func minimized(m *Minimized) []string {
	var out []string
	line := func(kind, ns, name string, rules []rbacv1.PolicyRule) {
		for _, r := range rules {
			out = append(out, fmt.Sprintf("%s %s: %s", kind, nsName(ns, name), rbac.CompactString(r)))
		}
	}
	for _, r := range m.ClusterRoles {
		line("ClusterRole", "", r.Name, r.Rules)
	}
	for _, r := range m.Roles {
		line("Role", r.Namespace, r.Name, r.Rules)
	}
	for _, n := range m.NotHeld {
		out = append(out, "not held: "+n)
	}
	return out
}

func TestMinimize(t *testing.T) {
	p := loadMinimizeFixture(t)
	var (
		minU  = SubjectKey{Kind: "User", Name: "min"}
		root  = SubjectKey{Kind: "User", Name: "root"}
		named = SubjectKey{Kind: "User", Name: "named"}
		ops   = SubjectKey{Kind: "Group", Name: "ops"}
		bot   = SubjectKey{Kind: "ServiceAccount", Namespace: "ci", Name: "bot"}
	)
	core := func(verb, resource, ns, name string) UsedCount {
		res, sub, _ := strings.Cut(resource, "/")
		return UsedCount{UsedRequest{Verb: verb, Resource: res, Subresource: sub, Namespace: ns, Name: name}, 1}
	}
	url := func(verb, path string) UsedCount { return UsedCount{UsedRequest{Verb: verb, Path: path}, 1} }
	cases := []struct {
		name    string
		subject SubjectKey
		used    []UsedCount
		usage   *SubjectUsage
		want    []string
	}{
		{"namespaced use gives a Role in each namespace", minU, []UsedCount{
			core("list", "pods", "dev", ""), core("get", "pods", "prod", "a"),
		}, nil, []string{
			`Role dev/apiguard-min-user-min: {APIGroups:[""], Resources:["pods"], Verbs:["list"]}`,
			`Role prod/apiguard-min-user-min: {APIGroups:[""], Resources:["pods"], ResourceNames:["a"], Verbs:["get"]}`,
		}},
		{"cluster-wide list and cluster-scoped resource give a ClusterRole", minU, []UsedCount{
			core("list", "pods", "", ""), core("get", "nodes", "", "n1"), core("get", "pods", "dev", "a"),
		}, nil, []string{
			`ClusterRole apiguard-min-user-min: {APIGroups:[""], Resources:["nodes"], ResourceNames:["n1"], Verbs:["get"]}`,
			`ClusterRole apiguard-min-user-min: {APIGroups:[""], Resources:["pods"], Verbs:["list"]}`,
			`Role dev/apiguard-min-user-min: {APIGroups:[""], Resources:["pods"], ResourceNames:["a"], Verbs:["get"]}`,
		}},
		{"subresource kept", minU, []UsedCount{core("get", "pods/log", "dev", "a")}, nil, []string{
			`Role dev/apiguard-min-user-min: {APIGroups:[""], Resources:["pods/log"], ResourceNames:["a"], Verbs:["get"]}`,
		}},
		{"nonResourceURLs kept, cluster scope", minU, []UsedCount{url("get", "/metrics"), url("get", "/healthz")}, nil, []string{
			`ClusterRole apiguard-min-user-min: {NonResourceURLs:["/healthz" "/metrics"], Verbs:["get"]}`,
		}},
		{"resourceNames with get, never with list or create", minU, []UsedCount{
			core("get", "secrets", "dev", "s1"), core("list", "secrets", "dev", "s1"), core("create", "secrets", "dev", "s2"),
			core("watch", "pods", "dev", "a"),
		}, nil, []string{
			`Role dev/apiguard-min-user-min: {APIGroups:[""], Resources:["pods"], Verbs:["watch"]}`,
			`Role dev/apiguard-min-user-min: {APIGroups:[""], Resources:["secrets"], Verbs:["create" "list"]}`,
			`Role dev/apiguard-min-user-min: {APIGroups:[""], Resources:["secrets"], ResourceNames:["s1"], Verbs:["get"]}`,
		}},
		{"a verb also used without a name gets none", minU, []UsedCount{
			core("delete", "pods", "dev", "a"), core("delete", "pods", "dev", ""),
		}, nil, []string{
			`Role dev/apiguard-min-user-min: {APIGroups:[""], Resources:["pods"], Verbs:["delete"]}`,
		}},
		{"rules merged: verbs of one resource set, resources of one verb set", minU, []UsedCount{
			core("get", "configmaps", "dev", "a"), core("update", "configmaps", "dev", "a"),
			core("get", "secrets", "dev", "a"), core("update", "secrets", "dev", "a"), core("get", "pods", "dev", "a"),
			{UsedRequest{Verb: "patch", APIGroup: "apps", Resource: "deployments", Namespace: "dev", Name: "web"}, 3},
		}, nil, []string{
			`Role dev/apiguard-min-user-min: {APIGroups:[""], Resources:["configmaps" "secrets"], ResourceNames:["a"], Verbs:["get" "update"]}`,
			`Role dev/apiguard-min-user-min: {APIGroups:[""], Resources:["pods"], ResourceNames:["a"], Verbs:["get"]}`,
			`Role dev/apiguard-min-user-min: {APIGroups:["apps"], Resources:["deployments"], ResourceNames:["web"], Verbs:["patch"]}`,
		}},
		{"never beyond current grants", minU, []UsedCount{
			core("delete", "nodes", "", "n1"), core("get", "pods", "dev", "a"), url("post", "/metrics"),
		}, nil, []string{
			`Role dev/apiguard-min-user-min: {APIGroups:[""], Resources:["pods"], ResourceNames:["a"], Verbs:["get"]}`,
			`not held: delete nodes n1 (cluster-wide): not held today`,
			`not held: post /metrics: not held today`,
		}},
		{"list held only by name is not held without names", named, []UsedCount{
			core("list", "configmaps", "dev", "cfg"), core("get", "configmaps", "dev", "cfg"),
		}, nil, []string{
			`Role dev/apiguard-min-user-named: {APIGroups:[""], Resources:["configmaps"], ResourceNames:["cfg"], Verbs:["get"]}`,
			`not held: list configmaps in dev: not held without resourceNames (kube-apiserver cannot check names for list)`,
		}},
		{"no wildcard from a wildcard grant", root, []UsedCount{
			core("get", "pods", "dev", "a"), url("get", "/livez"),
			{UsedRequest{Verb: "list", APIGroup: "example.com", Resource: "widgets"}, 1},
		}, nil, []string{
			`ClusterRole apiguard-min-user-root: {APIGroups:["example.com"], Resources:["widgets"], Verbs:["list"]}`,
			`ClusterRole apiguard-min-user-root: {NonResourceURLs:["/livez"], Verbs:["get"]}`,
			`Role dev/apiguard-min-user-root: {APIGroups:[""], Resources:["pods"], ResourceNames:["a"], Verbs:["get"]}`,
		}},
		{"wildcard only where the request named one", root, []UsedCount{
			{UsedRequest{Verb: "get", APIGroup: "*", Resource: "*", Namespace: "dev", Name: "x"}, 1},
		}, nil, []string{
			`Role dev/apiguard-min-user-root: {APIGroups:["*"], Resources:["*"], ResourceNames:["x"], Verbs:["get"]}`,
		}},
		{"group: only the group's own grants", ops, []UsedCount{core("get", "pods", "dev", "a"), core("delete", "nodes", "", "n")}, nil, []string{
			`Role dev/apiguard-min-group-ops: {APIGroups:[""], Resources:["pods"], ResourceNames:["a"], Verbs:["get"]}`,
			`not held: delete nodes n (cluster-wide): not held today`,
		}},
		{"blind rules kept from the current grants, marked", minU, []UsedCount{core("get", "pods", "dev", "a")}, &SubjectUsage{
			Subject: minU, Bindings: []BindingUsage{
				{Kind: rbac.KindClusterRoleBinding, Name: "min-wide", Rules: []RuleUsage{
					{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}, Used: true},
					{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list"}, ResourceNames: []string{}, NonResourceURLs: []string{}, Blind: true}}},
				{Kind: rbac.KindRoleBinding, Namespace: "dev", Name: "x", Rules: []RuleUsage{
					{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"*"}, NonResourceURLs: []string{"/x"}, Blind: true},
					{NonResourceURLs: []string{"/y"}, Verbs: []string{"get"}, Blind: true}}},
			}}, []string{
			`ClusterRole apiguard-min-user-min-blind: {APIGroups:[""], Resources:["configmaps"], Verbs:["get" "list"]}`,
			`Role dev/apiguard-min-user-min: {APIGroups:[""], Resources:["pods"], ResourceNames:["a"], Verbs:["get"]}`,
			`Role dev/apiguard-min-user-min-blind: {APIGroups:[""], Resources:["events"], Verbs:["*"]}`,
		}},
		{"empty use gives nothing", bot, nil, nil, nil},
		{"serviceaccount", bot, []UsedCount{core("get", "pods", "ci", "a")}, nil, []string{
			`Role ci/apiguard-min-sa-ci-bot-` + MinimizedName(bot)[len(MinimizedName(bot))-8:] + `: {APIGroups:[""], Resources:["pods"], ResourceNames:["a"], Verbs:["get"]}`,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := Minimize(MinimizeInput{Policy: p, Used: &Used{Subject: c.subject, Requests: c.used}, Usage: c.usage})
			got := minimized(m)
			if !slices.Equal(got, c.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if m.Empty() != (len(m.Roles)+len(m.ClusterRoles) == 0) || (len(c.want) == 0) != m.Empty() {
				t.Errorf("Empty() = %v with %d objects", m.Empty(), len(m.Objects()))
			}
			for _, o := range m.Objects() {
				s := fmt.Sprint(o)
				if !strings.Contains(s, "app.kubernetes.io/managed-by:apiguard") {
					t.Errorf("%s: not labelled", s)
				}
			}
			for _, r := range m.Roles {
				blind := strings.HasSuffix(r.Name, "-blind")
				if _, ok := r.Annotations[BlindAnnotation]; ok != blind {
					t.Errorf("Role %s: blind annotation %v", r.Name, ok)
				}
			}
			if len(m.Roles) != len(m.RoleBindings) || len(m.ClusterRoles) != len(m.ClusterRoleBindings) {
				t.Errorf("%d Roles, %d RoleBindings, %d ClusterRoles, %d ClusterRoleBindings", len(m.Roles), len(m.RoleBindings), len(m.ClusterRoles), len(m.ClusterRoleBindings))
			}
		})
	}
}

func TestMinimizedName(t *testing.T) {
	cases := []struct {
		k    SubjectKey
		want string
	}{
		{SubjectKey{Kind: "User", Name: "alice"}, "apiguard-min-user-alice"},
		{SubjectKey{Kind: "Group", Name: "devs"}, "apiguard-min-group-devs"},
		{SubjectKey{Kind: "User", Name: "Alice@Example.com"}, "apiguard-min-user-alice-example-com-"},
		{SubjectKey{Kind: "Group", Name: "system:masters"}, "apiguard-min-group-system-masters-"},
		{SubjectKey{Kind: "ServiceAccount", Namespace: "ci", Name: "bot"}, "apiguard-min-sa-ci-bot-"},
		{SubjectKey{Kind: "User", Name: strings.Repeat("a", 300)}, "apiguard-min-user-" + strings.Repeat("a", 253-6-9-18) + "-"},
	}
	for _, c := range cases {
		got := MinimizedName(c.k)
		if strings.HasSuffix(c.want, "-") {
			if !strings.HasPrefix(got, c.want) || len(got) != len(c.want)+8 {
				t.Errorf("%s: %q, want %q and a hash", c.k, got, c.want)
			}
		} else if got != c.want {
			t.Errorf("%s: %q, want %q", c.k, got, c.want)
		}
		if len(got)+len("-blind") > 253 {
			t.Errorf("%s: %d characters", c.k, len(got))
		}
	}
	if a, b := MinimizedName(SubjectKey{Kind: "ServiceAccount", Namespace: "a-b", Name: "c"}),
		MinimizedName(SubjectKey{Kind: "ServiceAccount", Namespace: "a", Name: "b-c"}); a == b {
		t.Errorf("sa:a-b/c and sa:a/b-c are both %s", a)
	}
}
