package auditing

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/auditpolicy"
	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestPolicyLint(t *testing.T) {
	medium := "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nomitManagedFields: true\nrules:\n" +
		"- level: Metadata\n  resources:\n  - group: \"\"\n    resources: [secrets, configmaps, serviceaccounts/token]\n" +
		"  - group: authentication.k8s.io\n    resources: [tokenreviews]\n  - group: certificates.k8s.io\n    resources: [certificatesigningrequests, certificatesigningrequests/status]\n" +
		"- level: Metadata\n"
	leaderLock := "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nomitManagedFields: true\nrules:\n" +
		"- level: None\n  verbs: [get, update]\n  resources:\n  - group: \"\"\n    resources: [configmaps]\n    resourceNames: [controller-leader]\n" +
		"- level: Request\n  verbs: [get, list, watch]\n  resources:\n  - group: \"\"\n" +
		"- level: Metadata\n  resources:\n  - group: \"\"\n    resources: [secrets, configmaps, serviceaccounts/token]\n  - group: authentication.k8s.io\n    resources: [tokenreviews]\n" +
		"- level: RequestResponse\n  resources:\n  - group: certificates.k8s.io\n" +
		"- level: Request\n"
	ct.Table(t, PolicyLint, []ct.Case{
		{Name: "recommended", Snap: withPolicy(string(auditpolicy.Recommend(auditpolicy.Standard))), Want: check.Pass, Contains: "no lint finding"},
		{Name: "typo catch-all", Snap: withPolicy(typoPolicy), Want: check.Fail, Contains: "AP001"},
		{Name: "only medium and low", Snap: withPolicy(medium), Want: check.Warn, Contains: "AP015"},
		// The upstream example's None rule for a leader-election lock
		// (low), CSRs at RequestResponse as kube-up logs them (no
		// credential) and reads of ConfigMaps at Request (no body): no
		// high finding.
		{Name: "leader lock, CSRs, configmap reads", Snap: withPolicy(leaderLock), Want: check.Warn, Contains: `worst: AP013 rule 0 (None) drops security-relevant requests, only for the objects named "controller-leader"`},
		{Name: "refused policy", Snap: withPolicy("apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n- level: Metadata\n"), Want: check.Fail, Contains: "AP002"},
		{Name: "not YAML", Snap: withPolicy("rules: [\n"), Want: check.Fail, Contains: "cannot be read"},
		{Name: "not a policy", Snap: withPolicy("apiVersion: v1\nkind: List\nitems: []\n"), Want: check.Fail, Contains: `kind "List" (apiVersion "v1") is not an audit policy`},
		{Name: "too many rules to lint", Snap: withPolicy("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n" + strings.Repeat("- level: None\n", auditpolicy.MaxLintRules+1)),
			Want: check.NotAssessable, Contains: "cannot be linted: /etc/kubernetes/audit-policy-file.yaml:3: 1001 rules: more than the 1000 apiguard lints"},
		{Name: "no policy flag", Snap: snap(), Want: check.NotApplicable, Contains: "AG-AUDIT-005"},
		{Name: "live: file unreadable", Snap: ct.Unavailable(ct.Snapshot(policyFlag), "audit-policy-file", "files on the node are not readable through the API"), Want: check.NotAssessable, Contains: "not readable"},
		{Name: "not collected", Snap: ct.Snapshot(policyFlag), Want: check.NotAssessable, Contains: "not collected"},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable},
	})
	f := ct.One(t, PolicyLint, withPolicy(typoPolicy))
	if f.Severity != check.High || f.Location == nil || f.Location.Line == 0 {
		t.Fatalf("finding = %+v", f)
	}
	var sawRule bool
	for _, e := range f.Evidence {
		if strings.HasPrefix(e.Key, "AP001 rule 0") && e.Source == "/etc/kubernetes/audit-policy-file.yaml:5" {
			sawRule = true
		}
	}
	if !sawRule {
		t.Fatalf("evidence = %+v", f.Evidence)
	}
	if w := ct.One(t, PolicyLint, withPolicy(medium)); w.Severity != check.Medium {
		t.Fatalf("the severity is the worst finding's: %+v", w)
	}
}
