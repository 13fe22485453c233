package rbac

import (
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

func rule(verbs, groups, resources []string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources}
}

func l(s ...string) []string { return s }

// TestRuleAllows is the matching matrix: every rule of
// evaluation_helpers.go and every trap other tools fall into. "want"
// is kube-apiserver's answer.
func TestRuleAllows(t *testing.T) {
	pods := Request{Verb: "get", Resource: "pods", Namespace: "ns"}
	exec := Request{Verb: "create", Resource: "pods", Subresource: "exec", Name: "web", Namespace: "ns"}
	deploy := Request{Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "ns"}
	cases := []struct {
		name string
		rule rbacv1.PolicyRule
		req  Request
		want bool
	}{
		// verbs
		{"verb exact", rule(l("get"), l(""), l("pods")), pods, true},
		{"verb other", rule(l("list"), l(""), l("pods")), pods, false},
		{"verb star", rule(l("*"), l(""), l("pods")), pods, true},
		{"verb case is not folded", rule(l("GET"), l(""), l("pods")), pods, false},
		{"no verbs", rule(nil, l(""), l("pods")), pods, false},
		// apiGroups
		{"core group is the empty string", rule(l("get"), l(""), l("pods")), pods, true},
		{"core is not an alias of the empty group", rule(l("get"), l("core"), l("pods")), pods, false},
		{"group star", rule(l("create"), l("*"), l("deployments")), deploy, true},
		{"rule without the request's group", rule(l("create"), l(""), l("deployments")), deploy, false},
		{"rule with the request's group", rule(l("create"), l("apps"), l("deployments")), deploy, true},
		{"extensions is not apps", rule(l("create"), l("extensions"), l("deployments")), deploy, false},
		{"no apiGroups", rule(l("get"), nil, l("pods")), pods, false},
		// resources and subresources
		{"resource star", rule(l("get"), l(""), l("*")), pods, true},
		{"resource star covers subresources", rule(l("create"), l(""), l("*")), exec, true},
		{"pods does not cover pods/exec", rule(l("create"), l(""), l("pods")), exec, false},
		{"pods/exec is exact", rule(l("create"), l(""), l("pods/exec")), exec, true},
		{"pods/exec does not cover pods", rule(l("get"), l(""), l("pods/exec")), pods, false},
		{"*/exec covers any resource's exec", rule(l("create"), l(""), l("*/exec")), exec, true},
		{"*/exec with group star", rule(l("create"), l("*"), l("*/exec")), exec, true},
		{"*/exec does not cover pods", rule(l("get"), l(""), l("*/exec")), pods, false},
		{"*/attach is not exec", rule(l("create"), l(""), l("*/attach")), exec, false},
		{"pods/* is not a wildcard", rule(l("create"), l(""), l("pods/*")), exec, false},
		{"pods/* does not cover pods", rule(l("get"), l(""), l("pods/*")), pods, false},
		{"pods/* matches only a subresource named *", rule(l("create"), l(""), l("pods/*")), Request{Verb: "create", Resource: "pods", Subresource: "*"}, true},
		{"*/* is not a wildcard either", rule(l("create"), l(""), l("*/*")), exec, false},
		{"pod (singular) is not pods", rule(l("get"), l(""), l("pod")), pods, false},
		{"resource prefix is not a match", rule(l("create"), l(""), l("pods/exe")), exec, false},
		{"resources are not case folded", rule(l("get"), l(""), l("Pods")), pods, false},
		// resourceNames
		{"resourceNames match the name", rbacv1.PolicyRule{Verbs: l("create"), APIGroups: l(""), Resources: l("pods/exec"), ResourceNames: l("web")}, exec, true},
		{"resourceNames other name", rbacv1.PolicyRule{Verbs: l("create"), APIGroups: l(""), Resources: l("pods/exec"), ResourceNames: l("db")}, exec, false},
		{"resourceNames never match list (no name)", rbacv1.PolicyRule{Verbs: l("list"), APIGroups: l(""), Resources: l("pods"), ResourceNames: l("web")}, Request{Verb: "list", Resource: "pods", Namespace: "ns"}, false},
		{"resourceNames never match create (no name)", rbacv1.PolicyRule{Verbs: l("create"), APIGroups: l("apps"), Resources: l("deployments"), ResourceNames: l("web")}, deploy, false},
		{"resourceNames with a star name are literal", rbacv1.PolicyRule{Verbs: l("get"), APIGroups: l(""), Resources: l("pods"), ResourceNames: l("*")}, Request{Verb: "get", Resource: "pods", Name: "web"}, false},
		{"empty resourceNames: every name", rule(l("create"), l(""), l("pods/exec")), exec, true},
		// non-resource URLs
		{"url exact", rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/healthz")}, Request{Verb: "get", Path: "/healthz"}, true},
		{"url star", rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("*")}, Request{Verb: "get", Path: "/metrics"}, true},
		{"url prefix star", rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/healthz/*")}, Request{Verb: "get", Path: "/healthz/etcd"}, true},
		{"url prefix star needs the slash", rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/healthz/*")}, Request{Verb: "get", Path: "/healthz"}, false},
		{"url prefix without slash", rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/healthz*")}, Request{Verb: "get", Path: "/healthzzz"}, true},
		{"url no prefix without star", rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/api")}, Request{Verb: "get", Path: "/api/v1"}, false},
		{"url star in the middle is literal", rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/apis/*/v1")}, Request{Verb: "get", Path: "/apis/apps/v1"}, false},
		{"url verb", rbacv1.PolicyRule{Verbs: l("post"), NonResourceURLs: l("/healthz")}, Request{Verb: "get", Path: "/healthz"}, false},
		{"url rule does not grant resources", rbacv1.PolicyRule{Verbs: l("*"), NonResourceURLs: l("*")}, pods, false},
		{"resource rule does not grant urls", rule(l("*"), l("*"), l("*")), Request{Verb: "get", Path: "/metrics"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := RuleAllows(&c.req, &c.rule); got != c.want {
				t.Fatalf("RuleAllows(%+v, %s) = %v, want %v", c.req, CompactString(c.rule), got, c.want)
			}
		})
	}
}

// TestRoleCapsAdmin: a role is cluster-admin when one rule covers */*/*
// as kube-apiserver's escalation check (validation.Covers) reads it, and
// names that rule; "every core resource" likewise.
func TestRoleCapsAdmin(t *testing.T) {
	cases := []struct {
		name           string
		rules          []rbacv1.PolicyRule
		admin, coreAll int32
	}{
		{"star", []rbacv1.PolicyRule{rule(l("get"), l(""), l("pods")), rule(l("*"), l("*"), l("*"))}, 1, -1},
		{"star and core star: admin wins", []rbacv1.PolicyRule{rule(l("*"), l(""), l("*")), rule(l("*"), l("*"), l("*"))}, 1, -1},
		{"enumerated verbs are not *", []rbacv1.PolicyRule{rule(l("get", "list", "create", "update", "patch", "delete"), l("*"), l("*"))}, -1, -1},
		{"split across rules is not one", []rbacv1.PolicyRule{rule(l("*"), l(""), l("*")), rule(l("*"), l("apps"), l("*"))}, -1, 0},
		{"resourceNames restrict", []rbacv1.PolicyRule{{Verbs: l("*"), APIGroups: l("*"), Resources: l("*"), ResourceNames: l("x")}}, -1, -1},
		{"*/* is not *", []rbacv1.PolicyRule{rule(l("*"), l("*"), l("*/*"))}, -1, -1},
		{"core star", []rbacv1.PolicyRule{rule(l("get"), l(""), l("pods")), rule(l("*"), l(""), l("*"))}, -1, 1},
		{"URLs only", []rbacv1.PolicyRule{{Verbs: l("*"), NonResourceURLs: l("*")}}, -1, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc := classifyCaps(&Role{Rules: c.rules})
			if rc.admin != c.admin || rc.coreAll != c.coreAll {
				t.Fatalf("admin rule %d, core rule %d; want %d, %d", rc.admin, rc.coreAll, c.admin, c.coreAll)
			}
		})
	}
}

func TestEffectiveGroups(t *testing.T) {
	cases := []struct {
		user   string
		groups []string
		want   []string
	}{
		{"alice", nil, l("system:authenticated")},
		{"alice", l("dev"), l("dev", "system:authenticated")},
		{"alice", l("dev", "dev"), l("dev", "system:authenticated")},
		{"system:anonymous", nil, l("system:unauthenticated")},
		{"system:anonymous", l("system:unauthenticated"), l("system:unauthenticated")},
		{"bob", l("system:unauthenticated"), l("system:unauthenticated")}, // the authenticator adder leaves it alone
		{"system:serviceaccount:ci:deployer", nil, l("system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated")},
		{"system:serviceaccount:ci", nil, l("system:authenticated")}, // not a ServiceAccount name
		{"system:serviceaccount:c:d:e", nil, l("system:authenticated")},
	}
	for _, c := range cases {
		got := EffectiveGroups(c.user, c.groups)
		if !slices.Equal(got, c.want) {
			t.Errorf("EffectiveGroups(%q, %q) = %q, want %q", c.user, c.groups, got, c.want)
		}
	}
}

func TestParseResource(t *testing.T) {
	cases := []struct {
		arg  string
		want ResourceArg
		err  bool
	}{
		{"pods", ResourceArg{Resource: "pods", Builtin: true}, false},
		{"po", ResourceArg{Resource: "pods", Builtin: true}, false},
		{"Pods", ResourceArg{Resource: "pods", Builtin: true}, false},
		{"pods/exec", ResourceArg{Resource: "pods", Subresource: "exec", Builtin: true}, false},
		{"deployments", ResourceArg{Group: "apps", Resource: "deployments", Inferred: true, Builtin: true}, false},
		{"deploy", ResourceArg{Group: "apps", Resource: "deployments", Inferred: true, Builtin: true}, false},
		{"deployments.apps", ResourceArg{Group: "apps", Resource: "deployments", Builtin: true}, false},
		{"deployments.v1.apps", ResourceArg{Group: "apps", Resource: "deployments", Builtin: true}, false},
		{"deployments.apps/scale", ResourceArg{Group: "apps", Resource: "deployments", Subresource: "scale", Builtin: true}, false},
		{"deployments/scale.apps", ResourceArg{Group: "apps", Resource: "deployments", Subresource: "scale", Builtin: true}, false},
		{"certificatesigningrequests.certificates.k8s.io/approval", ResourceArg{Group: "certificates.k8s.io", Resource: "certificatesigningrequests", Subresource: "approval", Builtin: true, ClusterScoped: true}, false},
		{"nodes/proxy", ResourceArg{Resource: "nodes", Subresource: "proxy", Builtin: true, ClusterScoped: true}, false},
		{"widgets.example.com", ResourceArg{Group: "example.com", Resource: "widgets"}, false},
		{"widgets", ResourceArg{Resource: "widgets"}, false},
		{"deployments.extensions", ResourceArg{Group: "extensions", Resource: "deployments"}, false},
		{"*", ResourceArg{Resource: "*"}, false},
		{"pods/", ResourceArg{}, true},
		{"pods/a/b", ResourceArg{}, true},
		{"deployments.apps/scale.apps", ResourceArg{}, true},
		{"", ResourceArg{}, true},
		{".apps", ResourceArg{}, true},
	}
	for _, c := range cases {
		got, err := ParseResource(c.arg)
		if (err != nil) != c.err {
			t.Errorf("ParseResource(%q) error = %v, want error %v", c.arg, err, c.err)
			continue
		}
		if err == nil && got != c.want {
			t.Errorf("ParseResource(%q) = %+v, want %+v", c.arg, got, c.want)
		}
	}
}
