package authentication

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
	"github.com/apiguard/apiguard/internal/inputs"
)

const authnFlag = "--authentication-config=/etc/kubernetes/authn.yaml"

// authn builds a snapshot with --authentication-config pointing at yaml.
func authn(yaml string, args ...string) *inputs.Snapshot {
	s := ct.Snapshot(append([]string{authnFlag}, args...)...)
	return ct.File(s, "authentication-config", yaml)
}

const anonHealth = `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
anonymous:
  enabled: true
  conditions:
  - path: /livez
  - path: /readyz
  - path: /healthz
`

func TestAnonymousAuth(t *testing.T) {
	rbac := "--authorization-mode=Node,RBAC"
	ct.Table(t, AnonymousAuth, []ct.Case{
		{Name: "default is on", Snap: ct.Snapshot(rbac), Want: check.Fail, Contains: "system:unauthenticated"},
		{Name: "default with default AlwaysAllow is reset by the server", Snap: ct.Snapshot(), Want: check.Warn, Contains: "resets it to false"},
		{Name: "explicit AlwaysAllow mode resets it", Snap: ct.Snapshot("--authorization-mode=AlwaysAllow"), Want: check.Warn},
		{Name: "AlwaysAllowX is not AlwaysAllow", Snap: ct.Snapshot("--authorization-mode=AlwaysAllowX,RBAC"), Want: check.Fail},
		{Name: "authorization-config: no reset", Snap: ct.Snapshot("--authorization-config=/etc/kubernetes/authz.yaml"), Want: check.Fail},
		{Name: "empty authorization-config is unused: reset applies", Snap: ct.Snapshot("--authorization-config="), Want: check.Warn},
		{Name: "explicit false", Snap: ct.Snapshot(rbac, "--anonymous-auth=false"), Want: check.Pass},
		{Name: "bare flag means true", Snap: ct.Snapshot(rbac, "--anonymous-auth"), Want: check.Fail},
		{Name: "last one wins", Snap: ct.Snapshot(rbac, "--anonymous-auth=false", "--anonymous-auth=true"), Want: check.Fail},
		{Name: "last one wins, off", Snap: ct.Snapshot(rbac, "--anonymous-auth=true", "--anonymous-auth=false"), Want: check.Pass},
		{Name: "not a boolean", Snap: ct.Snapshot(rbac, "--anonymous-auth=no"), Want: check.Fail, Contains: "not a boolean"},
		{Name: "config without anonymous block, flag decides", Snap: authn("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt: []\n", rbac, "--anonymous-auth=false"), Want: check.Pass},
		{Name: "config limited to health", Snap: authn(anonHealth, rbac), Want: check.Pass, Contains: "health endpoints"},
		{Name: "v1beta1 config limited to health", Snap: authn(strings.Replace(anonHealth, "/v1\n", "/v1beta1\n", 1), rbac), Want: check.Pass},
		{Name: "v1alpha1 config disabled", Snap: authn("apiVersion: apiserver.config.k8s.io/v1alpha1\nkind: AuthenticationConfiguration\nanonymous:\n  enabled: false\n"), Want: check.Pass},
		{Name: "config enabled without conditions", Snap: authn("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\nanonymous:\n  enabled: true\n"), Want: check.Fail, Contains: "authn.yaml:4"},
		{Name: "config disabled with conditions refuses to start", Snap: authn("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\nanonymous:\n  enabled: false\n  conditions:\n  - path: /livez\n"), Want: check.Fail, Contains: "refuses to start"},
		{Name: "config plus flag refuses to start", Snap: authn(anonHealth, "--anonymous-auth=false"), Want: check.Fail, Contains: "mutually exclusive"},
		{Name: "cluster-info is a documented extra", Snap: authn(anonHealth + "  - path: /api/v1/namespaces/kube-public/configmaps/cluster-info\n"), Want: check.Warn, Contains: "kubeadm"},
		{Name: "other paths are named", Snap: authn(anonHealth + "  - path: /api/v1/secrets\n"), Want: check.Warn, Contains: "/api/v1/secrets"},
		{Name: "misspelt conditions field", Snap: authn("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\nanonymous:\n  enabled: true\n  condition:\n  - path: /livez\n"), Want: check.Fail, Contains: "authn.yaml:5"},
		{Name: "wrong kind", Snap: authn("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nanonymous:\n  enabled: false\n"), Want: check.Fail, Contains: "not an AuthenticationConfiguration"},
		{Name: "wrong group", Snap: authn("apiVersion: apiserver.k8s.io/v1\nkind: AuthenticationConfiguration\n"), Want: check.Fail, Contains: "not an AuthenticationConfiguration"},
		{Name: "anonymous block on v1.30", Snap: ct.Version(authn(strings.Replace(anonHealth, "/v1\n", "/v1beta1\n", 1)), "v1.30.4"), Want: check.Fail, Contains: "v1.31"},
		{Name: "anonymous block on v1.31 without gate", Snap: ct.Version(authn(strings.Replace(anonHealth, "/v1\n", "/v1beta1\n", 1)), "v1.31.2"), Want: check.Fail, Contains: "feature-gates"},
		{Name: "anonymous block on v1.31 with gate", Snap: ct.Version(authn(strings.Replace(anonHealth, "/v1\n", "/v1beta1\n", 1), "--feature-gates=AnonymousAuthConfigurableEndpoints=true"), "v1.31.2"), Want: check.Pass},
		{Name: "v1 file on v1.33", Snap: ct.Version(authn(anonHealth), "v1.33.1"), Want: check.Fail, Contains: "not served"},
		{Name: "empty file", Snap: authn("", "--anonymous-auth=false"), Want: check.Fail, Contains: "empty"},
		{Name: "unreadable file", Snap: ct.Unavailable(ct.Snapshot(authnFlag), "authentication-config", "permission denied"), Want: check.NotAssessable, Contains: "permission denied"},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable, Contains: "EKS"},
	})
}

func TestAnonymousEvidence(t *testing.T) {
	f := ct.One(t, AnonymousAuth, ct.Snapshot("--authorization-mode=Node,RBAC"))
	if e := ct.Evidence(t, f, "--anonymous-auth"); e.Value != "true" || e.Source != "default for v1.36" {
		t.Fatalf("evidence = %+v", e)
	}
	if f.Severity != check.Medium {
		t.Fatalf("severity = %s", f.Severity)
	}
	w := ct.One(t, AnonymousAuth, authn(anonHealth+"  - path: /api/v1/namespaces/kube-public/configmaps/cluster-info\n"))
	if w.Severity != check.Low {
		t.Fatalf("cluster-info severity = %s", w.Severity)
	}
	if e := ct.Evidence(t, w, "anonymous.conditions[3].path"); e.Source != "/etc/kubernetes/authn.yaml:9" {
		t.Fatalf("condition evidence = %+v", e)
	}
	u := ct.One(t, AnonymousAuth, authn("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\nanonymous:\n  enabled: true\n  condition:\n  - path: /livez\n"))
	if u.Location == nil || u.Location.Line != 5 {
		t.Fatalf("location = %+v (%s)", u.Location, u.Message)
	}
}
