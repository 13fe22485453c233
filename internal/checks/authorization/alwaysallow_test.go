package authorization

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestNoAlwaysAllow(t *testing.T) {
	ct.Table(t, NoAlwaysAllow, []ct.Case{
		{Name: "default is AlwaysAllow", Snap: ct.Snapshot(), Want: check.Fail, Contains: "binary default is AlwaysAllow"},
		{Name: "empty mode list is the default", Snap: ct.Snapshot("--authorization-mode="), Want: check.Fail, Contains: "binary default AlwaysAllow"},
		{Name: "kubeadm", Snap: ct.Snapshot("--authorization-mode=Node,RBAC"), Want: check.Pass},
		{Name: "AlwaysAllow item", Snap: ct.Snapshot("--authorization-mode=Node,RBAC,AlwaysAllow"), Want: check.Fail, Contains: "includes AlwaysAllow"},
		{Name: "slice flags accumulate", Snap: ct.Snapshot("--authorization-mode=Node,RBAC", "--authorization-mode=AlwaysAllow"), Want: check.Fail, Contains: "includes AlwaysAllow"},
		{Name: "AlwaysAllowX is not AlwaysAllow", Snap: ct.Snapshot("--authorization-mode=Node,RBAC,AlwaysAllowX"), Want: check.Fail, Contains: `"AlwaysAllowX" is not a valid mode`},
		{Name: "repeated mode refuses to start", Snap: ct.Snapshot("--authorization-mode=Node,RBAC", "--authorization-mode=RBAC"), Want: check.Fail, Contains: "more than once"},
		{Name: "config Node,RBAC", Snap: authz(nodeRBAC), Want: check.Pass, Contains: "authz.yaml (--authorization-config)"},
		{Name: "config v1beta1", Snap: authz(v1beta1(nodeRBAC)), Want: check.Pass},
		{Name: "config AlwaysAllow", Snap: authz(withAlwaysAllow), Want: check.Fail, Contains: "authz.yaml:8: authorizers[2] is type AlwaysAllow"},
		{Name: "config AlwaysAllow v1beta1", Snap: authz(v1beta1(withAlwaysAllow)), Want: check.Fail, Contains: "AlwaysAllow"},
		{Name: "config and mode flag refuse to start", Snap: authz(nodeRBAC, "--authorization-mode=Node,RBAC"), Want: check.Fail, Contains: "mutually exclusive"},
		{Name: "config and mode flag, file unreadable", Snap: ct.Unavailable(ct.Snapshot(authzFlag, "--authorization-mode=Node,RBAC"), "authorization-config", "permission denied"), Want: check.Fail, Contains: "mutually exclusive"},
		{Name: "config and webhook ttl flag", Snap: authz(nodeRBAC, "--authorization-webhook-cache-authorized-ttl=1m"), Want: check.Fail, Contains: "--authorization-webhook-cache-authorized-ttl"},
		{Name: "config name mismatch refuses to start", Snap: authz(strings.Replace(nodeRBAC, "name: rbac", "name: my-rbac", 1)), Want: check.Fail, Contains: `name must be "rbac"`},
		{Name: "config unknown type", Snap: authz(strings.Replace(nodeRBAC, "type: RBAC", "type: RBACX", 1)), Want: check.Fail, Contains: `"RBACX" is not one of`},
		{Name: "config empty chain", Snap: authz("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers: []\n"), Want: check.Fail, Contains: "at least one"},
		{Name: "config unknown field", Snap: authz(nodeRBAC + "  webhok: {}\n"), Want: check.Fail, Contains: "authz.yaml:8"},
		{Name: "config wrong kind", Snap: authz(strings.Replace(nodeRBAC, "kind: AuthorizationConfiguration", "kind: AuthenticationConfiguration", 1)), Want: check.Fail, Contains: "not an AuthorizationConfiguration"},
		{Name: "config v1 on v1.31", Snap: ct.Version(authz(nodeRBAC), "v1.31.5"), Want: check.Fail, Contains: "not served"},
		{Name: "empty authorization-config means unused", Snap: ct.Snapshot("--authorization-config=", "--authorization-mode=Node,RBAC"), Want: check.Pass},
		{Name: "config v1alpha1 on v1.29 without gate", Snap: ct.Version(authz(strings.Replace(nodeRBAC, "/v1\n", "/v1alpha1\n", 1)), "v1.29.9"), Want: check.Fail, Contains: "StructuredAuthorizationConfiguration=true"},
		{Name: "config v1alpha1 on v1.29 with gate", Snap: ct.Version(authz(strings.Replace(nodeRBAC, "/v1\n", "/v1alpha1\n", 1), "--feature-gates=StructuredAuthorizationConfiguration=true"), "v1.29.9"), Want: check.Pass},
		{Name: "config empty file", Snap: authz("\n"), Want: check.Fail, Contains: "empty"},
		unreadable(),
		managed(),
	})
}

func TestNoAlwaysAllowEvidence(t *testing.T) {
	f := ct.One(t, NoAlwaysAllow, ct.Snapshot())
	e := ct.Evidence(t, f, "--authorization-mode")
	if e.Value != "AlwaysAllow" || !strings.HasPrefix(e.Source, "default for v1.36") {
		t.Fatalf("evidence = %+v", e)
	}
	if f.Severity != check.Critical {
		t.Fatalf("severity = %s", f.Severity)
	}
	c := ct.One(t, NoAlwaysAllow, authz(withAlwaysAllow))
	if c.Location == nil || c.Location.File != "/etc/kubernetes/authz.yaml" || c.Location.Line != 8 {
		t.Fatalf("location = %+v", c.Location)
	}
	x := ct.One(t, NoAlwaysAllow, ct.Snapshot("--authorization-mode=Node,RBAC,AlwaysAllowX"))
	if x.Severity == check.Critical || strings.Contains(x.Message, "includes AlwaysAllow") {
		t.Fatalf("AlwaysAllowX taken for AlwaysAllow: %s %s", x.Severity, x.Message)
	}
}
