package secretmeta_test

import (
	"path/filepath"
	"testing"

	"github.com/apiguard/apiguard/internal/inputs/live/secretmeta"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/rbacdump"
)

// The roles in deploy/, judged by the RBAC engine (proven against the real
// authorizer in test/e2e): the default role grants nothing on Secrets; the
// opt-in grants list on them and nothing else; neither writes.
func TestDeployRoles(t *testing.T) {
	file := func(name string) string { return filepath.Join("..", "..", "..", "..", name) }
	reader := func(p *rbac.Policy, verb, resource, ns string) bool {
		t.Helper()
		ok, _ := p.Allowed(rbac.Request{User: "apiguard-reader", Groups: []string{"apiguard:readers"}, Verb: verb, Resource: resource, Namespace: ns})
		return ok
	}
	def, err := rbacdump.Load(file(secretmeta.DefaultFile))
	if err != nil {
		t.Fatal(err)
	}
	if def.ClusterRole(secretmeta.DefaultRole) == nil {
		t.Fatalf("%s has no ClusterRole %s", secretmeta.DefaultFile, secretmeta.DefaultRole)
	}
	both, err := rbacdump.Load(file(secretmeta.DefaultFile), file(secretmeta.OptInFile))
	if err != nil {
		t.Fatal(err)
	}
	if both.ClusterRole(secretmeta.OptInRole) == nil {
		t.Fatalf("%s has no ClusterRole %s", secretmeta.OptInFile, secretmeta.OptInRole)
	}
	for _, p := range []*rbac.Policy{def, both} {
		if len(p.Problems) > 0 {
			t.Fatalf("problems: %v", p.Problems)
		}
	}
	for _, ns := range []string{"", "kube-system", "default"} {
		for _, verb := range []string{"get", "list", "watch"} {
			if reader(def, verb, "secrets", ns) {
				t.Errorf("the default role allows %s secrets in %q", verb, ns)
			}
		}
		if !reader(both, "list", "secrets", ns) {
			t.Errorf("with the opt-in, list secrets in %q is denied", ns)
		}
		if reader(both, "get", "secrets", ns) || reader(both, "watch", "secrets", ns) {
			t.Errorf("the opt-in allows more than list on secrets in %q", ns)
		}
	}
	// What the default role must still allow for every live command.
	for _, r := range []struct{ verb, resource, ns string }{
		{"list", "pods", "kube-system"}, {"list", "pods", ""}, {"list", "nodes", ""}, {"list", "namespaces", ""},
		{"list", "serviceaccounts", ""},
	} {
		if !reader(def, r.verb, r.resource, r.ns) {
			t.Errorf("the default role denies %s %s in %q", r.verb, r.resource, r.ns)
		}
	}
	for _, verb := range []string{"create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate"} {
		for _, res := range []string{"secrets", "pods", "clusterroles", "clusterrolebindings", "users"} {
			if reader(both, verb, res, "") {
				t.Errorf("the roles allow %s %s", verb, res)
			}
		}
	}
}
