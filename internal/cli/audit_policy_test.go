package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/apiguard/apiguard/internal/auditpolicy"
)

// TestAuditPolicyCLI runs the audit policy commands and compares stdout,
// stderr and the exit code with testdata/auditpolicy/<name>.golden.
// Refresh with -update.
func TestAuditPolicyCLI(t *testing.T) {
	const d = "testdata/auditpolicy/"
	runGoldens(t, "auditpolicy", []goldenCase{
		{"help", "audit policy --help", 0},
		{"lint-typo", "audit policy lint " + d + "typo.yaml", 1},
		{"lint-typo-json", "audit policy lint " + d + "typo.yaml -o json", 1},
		{"lint-kube-up", "audit policy lint " + d + "kube-up.yaml", 1},
		{"lint-kube-up-fail-on-critical", "audit policy lint " + d + "kube-up.yaml --fail-on critical -o json", 0},
		{"lint-recommended", "audit policy lint " + d + "recommended.yaml", 0},
		{"lint-recommended-json", "audit policy lint " + d + "recommended.yaml -o json --fail-on low", 0},
		{"lint-missing", "audit policy lint " + d + "nope.yaml", 2},
		{"lint-not-yaml", "audit policy lint " + d + "not-yaml.yaml", 2},
		{"lint-an-event", "audit policy lint " + d + "events.log", 2},
		{"lint-a-list", "audit policy lint " + d + "list.yaml", 2},
		{"lint-a-directory", "audit policy lint " + d, 2},
		{"lint-bad-format", "audit policy lint " + d + "typo.yaml -o sarif", 2},
		{"lint-bad-fail-on", "audit policy lint " + d + "typo.yaml --fail-on worst", 2},
		{"lint-no-file", "audit policy lint", 2},
		{"coverage-kube-up", "audit policy coverage " + d + "kube-up.yaml", 0},
		{"coverage-typo-json", "audit policy coverage " + d + "typo.yaml -o json", 0},
		{"coverage-recommended-sa", "audit policy coverage " + d + "recommended.yaml --user system:serviceaccount:ci:deployer", 0},
		{"eval-exec", "audit policy eval " + d + "typo.yaml --user alice --verb create --resource pods/exec -n default --name web-0", 0},
		{"eval-exec-json", "audit policy eval " + d + "kube-up.yaml --user alice --verb create --resource pods --subresource exec -n default --name web-0 -o json", 0},
		{"eval-path-anonymous", "audit policy eval " + d + "kube-up.yaml --user system:anonymous --verb get --path /healthz/etcd", 0},
		{"eval-no-user", "audit policy eval " + d + "kube-up.yaml --verb list --resource secrets", 0},
		{"eval-group-inferred", "audit policy eval " + d + "kube-up.yaml --user alice --group dev --verb patch --resource deployments -n prod --name web", 0},
		{"eval-core-group-explicit", "audit policy eval " + d + "kube-up.yaml --user alice --verb patch --resource deployments --api-group= -n prod --name web", 0},
		{"eval-create-name-ignored", "audit policy eval " + d + "recommended.yaml --user alice --verb create --resource configmaps -n kube-system --name x", 0},
		{"eval-no-match", "audit policy eval " + d + "typo.yaml --user system:kube-proxy --verb get --path /healthz -o json", 0},
		{"eval-events", "audit policy eval " + d + "typo.yaml --events " + d + "events.log", 0},
		{"eval-events-missing", "audit policy eval " + d + "typo.yaml --events " + d + "nope.log", 2},
		{"eval-events-and-request", "audit policy eval " + d + "typo.yaml --events " + d + "events.log --verb get", 2},
		{"eval-no-verb", "audit policy eval " + d + "typo.yaml --resource pods", 2},
		{"eval-resource-and-path", "audit policy eval " + d + "typo.yaml --verb get --resource pods --path /x", 2},
		{"eval-group-without-user", "audit policy eval " + d + "typo.yaml --verb get --path /x --group dev", 2},
		{"recommend", "audit policy recommend", 0},
		{"recommend-minimal", "audit policy recommend --profile minimal", 0},
		{"recommend-strict", "audit policy recommend --profile strict", 0},
		{"recommend-bad-profile", "audit policy recommend --profile paranoid", 2},
		{"rules", "audit policy rules", 0},
		{"rules-json", "audit policy rules -o json", 0},
	})
}

// TestRecommendedFixture: testdata/auditpolicy/recommended.yaml is what
// 'recommend' writes (refreshed with -update).
func TestRecommendedFixture(t *testing.T) {
	path := filepath.Join("testdata", "auditpolicy", "recommended.yaml")
	want := auditpolicy.Recommend(auditpolicy.Standard)
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s differs from 'recommend' (run go test ./internal/cli -run TestRecommendedFixture -update): %v", path, err)
	}
}
