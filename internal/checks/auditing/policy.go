package auditing

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/configfile"
	"github.com/apiguard/apiguard/internal/inputs"
)

var policyMeta = check.Metadata{
	ID:       "AG-AUDIT-005",
	Title:    "An audit policy is configured",
	Layer:    check.Auditing,
	Severity: check.High,
	Rationale: "The audit policy decides which requests are recorded and at which level. Without " +
		"--audit-policy-file kube-apiserver evaluates no policy and records no event at all, even " +
		"with a log path or webhook set. A policy with no rules is refused at startup. kube-apiserver " +
		"decodes the policy strictly first but, on unknown fields, only logs a warning and decodes it " +
		"leniently: a misspelled field is dropped, and a rule written with \"resource:\" instead of " +
		"\"resources:\" silently matches every request. apiguard therefore fails any policy that does " +
		"not decode strictly as an audit.k8s.io/v1 Policy. Whether the rules cover what matters " +
		"(CIS 3.2.2) is not assessed here.",
	Remediation: "Write an audit.k8s.io/v1 Policy (start from the GCE configure-helper.sh policy or the " +
		"Kubernetes docs example, ending with a catch-all Metadata rule), mount it into the " +
		"kube-apiserver pod and set --audit-policy-file to it (kubeadm: apiServer.extraArgs " +
		"audit-policy-file plus extraVolumes).",
	References: []check.Reference{
		{CIS: "3.2.1", Title: "Ensure that a minimal audit policy is created"},
		{Title: "Kubernetes auditing: audit policy", URL: "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy"},
	},
	Inputs: []check.Input{check.InputFlags, check.InputFiles},
}

// PolicyConfigured is CIS 3.2.1, plus a strict decode of the policy.
var PolicyConfigured = check.PerServer(policyMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	v, file, na := check.FileOf(m, a, f, "audit-policy-file")
	if na != nil {
		return *na
	}
	ev := []check.Evidence{check.FlagEvidence(v)}
	if file == nil {
		r := m.Result(check.Fail, a.Name, "--audit-policy-file is not set: kube-apiserver records no audit events, whatever backend is configured", ev...)
		r.Location = check.FlagLocation(v)
		return r
	}
	var p auditv1.Policy
	doc, err := configfile.Decode(file.Path, file.Data, &p)
	if len(strings.TrimSpace(string(file.Data))) == 0 {
		r := m.Result(check.Fail, a.Name, "the audit policy "+file.Path+" is empty: kube-apiserver refuses it and does not start", ev...)
		r.Location = &check.Location{File: file.Path}
		return r
	}
	if err != nil {
		msg := "the audit policy does not decode strictly: " + configfile.OneLine(err.Error())
		if strings.Contains(msg, "unknown field") {
			msg += " (kube-apiserver only logs a warning and decodes the policy leniently, dropping the field: " +
				"a misspelled field silently changes what the rule matches)"
		}
		r := m.Result(check.Fail, a.Name, msg, ev...)
		r.Location = &check.Location{File: file.Path, Line: configfile.ErrorLine(err)}
		return r
	}
	if p.APIVersion != "audit.k8s.io/v1" || p.Kind != "Policy" {
		r := m.Result(check.Fail, a.Name, fmt.Sprintf("%s is apiVersion %q kind %q, not an audit.k8s.io/v1 Policy: kube-apiserver refuses it and does not start",
			file.Path, p.APIVersion, p.Kind), ev...)
		r.Location = &check.Location{File: file.Path, Line: doc.Line("apiVersion")}
		return r
	}
	if len(p.Rules) == 0 {
		ev = append(ev, check.Evidence{Key: "rules", Value: "0", Source: doc.Source("rules")})
		r := m.Result(check.Fail, a.Name, "the audit policy "+file.Path+" has no rules: it would log nothing, and kube-apiserver refuses it (\"loaded illegal policy with 0 rules\") and does not start", ev...)
		r.Location = &check.Location{File: file.Path, Line: doc.Line("rules")}
		return r
	}
	ev = append(ev, check.Evidence{Key: "rules", Value: strconv.Itoa(len(p.Rules)) + " (" + levelCounts(p.Rules) + ")", Source: doc.Source("rules")})
	return m.Result(check.Pass, a.Name, fmt.Sprintf("audit policy %s has %d rules (coverage is not assessed here)", file.Path, len(p.Rules)), ev...)
})

// levelCounts summarises the levels of the rules: "Metadata×2, None×3".
func levelCounts(rules []auditv1.PolicyRule) string {
	n := map[string]int{}
	for _, r := range rules {
		l := string(r.Level)
		if l == "" {
			l = "(no level)"
		}
		n[l]++
	}
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, n[k])
	}
	return strings.Join(parts, ", ")
}
