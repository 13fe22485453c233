package auditing

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
	"github.com/apiguard/apiguard/internal/inputs"
)

const policyFlag = "--audit-policy-file=/etc/kubernetes/audit-policy-file.yaml"

const goodPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: None
  nonResourceURLs: ["/healthz*"]
- level: Metadata
  resources:
  - group: ""
    resources: ["secrets", "configmaps"]
- level: Metadata
`

// The classic typo: "resource:" for "resources:". kube-apiserver warns,
// drops the field and the rule matches every request.
const typoPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: RequestResponse
  resource:
  - group: ""
    resources: ["pods"]
`

func withPolicy(content string) *inputs.Snapshot {
	return ct.File(ct.Snapshot(policyFlag), "audit-policy-file", content)
}

func TestPolicyConfigured(t *testing.T) {
	ct.Table(t, PolicyConfigured, []ct.Case{
		{Name: "not set", Snap: ct.Snapshot(), Want: check.Fail, Contains: "records no audit events"},
		{Name: "valid policy", Snap: withPolicy(goodPolicy), Want: check.Pass, Contains: "3 rules"},
		{Name: "unknown field names its line", Snap: withPolicy(typoPolicy), Want: check.Fail, Contains: "audit-policy-file.yaml:5"},
		{Name: "no rules", Snap: withPolicy("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []\n"), Want: check.Fail, Contains: "no rules"},
		{Name: "rules missing", Snap: withPolicy("apiVersion: audit.k8s.io/v1\nkind: Policy\n"), Want: check.Fail, Contains: "no rules"},
		{Name: "removed v1beta1", Snap: withPolicy("apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n- level: Metadata\n"), Want: check.Fail, Contains: "not an audit.k8s.io/v1 Policy"},
		{Name: "wrong kind", Snap: withPolicy("apiVersion: audit.k8s.io/v1\nkind: Event\nrules:\n- level: Metadata\n"), Want: check.Fail, Contains: "not an audit.k8s.io/v1 Policy"},
		{Name: "not YAML", Snap: withPolicy("rules: [\n"), Want: check.Fail, Contains: "not valid YAML"},
		{Name: "empty file", Snap: withPolicy(""), Want: check.Fail, Contains: "is empty"},
		{Name: "duplicate key", Snap: withPolicy("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  level: None\n"), Want: check.Fail},
		{Name: "unreadable", Snap: ct.Unavailable(ct.Snapshot(policyFlag), "audit-policy-file", "permission denied"), Want: check.NotAssessable, Contains: "permission denied"},
		{Name: "not collected", Snap: ct.Snapshot(policyFlag), Want: check.NotAssessable, Contains: "not collected"},
		{Name: "empty flag", Snap: ct.Snapshot("--audit-policy-file="), Want: check.Fail},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable},
	})
}

func TestPolicyLocation(t *testing.T) {
	f := ct.One(t, PolicyConfigured, withPolicy(typoPolicy))
	if f.Location == nil || f.Location.File != "/etc/kubernetes/audit-policy-file.yaml" || f.Location.Line != 5 {
		t.Fatalf("location = %+v", f.Location)
	}
	f = ct.One(t, PolicyConfigured, withPolicy("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  level: None\n"))
	if f.Location == nil || f.Location.Line != 5 {
		t.Fatalf("duplicate key location = %+v (%s)", f.Location, f.Message)
	}
	f = ct.One(t, PolicyConfigured, withPolicy(goodPolicy))
	if e := ct.Evidence(t, f, "rules"); e.Value != "3 (Metadata×2, None×1)" || e.Source != "/etc/kubernetes/audit-policy-file.yaml:4" {
		t.Fatalf("evidence = %+v", e)
	}
}
