package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
)

const (
	usageModel = "../rbacusage/testdata/cluster.yaml"
	usageLog   = "../cli/testdata/rbac/usage-audit.jsonl"
)

// TestScanAudit: scan --audit judges the grants of the scan's RBAC model
// against the logs, under the audit policy the scanned kube-apiserver
// names; without --audit AG-AUTHZ-030 does not run.
func TestScanAudit(t *testing.T) {
	ctx := context.Background()
	scan := func(in Inputs, a AuditLogs) (*CheckRun, error) {
		in.Cluster, in.NoBuiltinRoles = noCluster, true
		return Scan(ctx, ScanOptions{Inputs: in, Benchmark: check.DefaultBenchmark, Now: testNow, Audit: a})
	}
	findings := func(r *CheckRun) map[string]check.Finding {
		out := map[string]check.Finding{}
		for _, f := range r.Findings {
			if f.CheckID == "AG-AUTHZ-030" {
				out[string(f.Status)+" "+f.Resource] = f
			}
		}
		return out
	}
	has := func(f check.Finding, s string) bool {
		if strings.Contains(f.Message, s) || strings.Contains(f.Remediation, s) {
			return true
		}
		return slices.ContainsFunc(f.Evidence, func(e check.Evidence) bool { return strings.Contains(e.Key+"="+e.Value, s) })
	}

	// without --audit: not selected, no finding
	r, err := scan(Inputs{RBAC: []string{usageModel}}, AuditLogs{})
	if err != nil {
		t.Fatal(err)
	}
	if len(findings(r)) != 0 || slices.ContainsFunc(r.Checks, func(m check.Metadata) bool { return m.ID == "AG-AUTHZ-030" }) {
		t.Errorf("without --audit AG-AUTHZ-030 ran: %v", findings(r))
	}

	// RBAC dump alone: no policy, configmaps judged unused
	r, err = scan(Inputs{RBAC: []string{usageModel}}, AuditLogs{Logs: []string{usageLog}})
	if err != nil {
		t.Fatal(err)
	}
	got := findings(r)
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"fail Group devs", "fail Group system:serviceaccounts:web", "fail ServiceAccount ci/robot", "fail ServiceAccount web/frontend",
		"fail User alice", "fail User carol", "fail User dave"}
	if !slices.Equal(keys, want) {
		t.Fatalf("findings %v, want %v", keys, want)
	}
	alice := got["fail User alice"]
	for _, s := range []string{"unused=get secrets", "requests=2", "assumes every request is logged", "kind: RoleBinding", "name: apiguard-min-user-alice", "rbac minimize user:alice"} {
		if !has(alice, s) {
			t.Errorf("alice: %q missing: %+v", s, alice)
		}
	}
	if has(got["fail User bob"], "unused") {
		t.Error("bob's group binding is reported on bob")
	}

	// with the policy of the scanned kube-apiserver: configmaps are not
	// logged, so web/frontend's get configmaps is blind, not unused
	r, err = scan(Inputs{RBAC: []string{usageModel}, FlagsFiles: []string{"testdata/scanaudit/argv.txt"}, Root: "testdata/scanaudit/root"},
		AuditLogs{Logs: []string{usageLog}})
	if err != nil {
		t.Fatal(err)
	}
	got = findings(r)
	if _, ok := got["fail ServiceAccount web/frontend"]; ok {
		t.Errorf("web/frontend's blind rule judged unused: %+v", got["fail ServiceAccount web/frontend"])
	}
	if a := got["fail User alice"]; !has(a, "audit-policy.yaml") || has(a, "assumes every request") {
		t.Errorf("alice: the policy read is not named: %+v", a.Evidence)
	}

	// the window: between alice's requests, nothing she did counts
	r, err = scan(Inputs{RBAC: []string{usageModel}}, AuditLogs{Logs: []string{usageLog}, Since: "2026-11-01T12:01:00Z", Until: "2026-11-01T12:10:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	if a := findings(r)["fail User alice"]; !has(a, "unused=get,list,watch pods") {
		t.Errorf("--until: alice's pods still used: %+v", a.Evidence)
	}

	// no RBAC model: not assessable, and said why
	r, err = scan(Inputs{FlagsFiles: []string{"testdata/scanaudit/argv.txt"}, Root: "testdata/scanaudit/root"}, AuditLogs{Logs: []string{usageLog}})
	if err != nil {
		t.Fatal(err)
	}
	if got := findings(r); len(got) != 1 || got["not-assessable cluster RBAC"].Message == "" {
		t.Errorf("no RBAC: %v", got)
	}

	// bad inputs are input errors
	for _, a := range []AuditLogs{{Logs: []string{"testdata/scanaudit/missing.log"}}, {Logs: []string{usageLog}, Since: "30x"},
		{Logs: []string{usageLog}, Since: "2026-11-02T00:00:00Z", Until: "2026-11-01T00:00:00Z"}} {
		_, err := scan(Inputs{RBAC: []string{usageModel}}, a)
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("%+v: err %v, want an input error", a, err)
		}
	}
}
