package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGuardrailsGolden: the policies for an RBAC dump, and the replay of
// a log through them.
func TestGuardrailsGolden(t *testing.T) {
	runGoldens(t, "", []goldenCase{
		{"guardrails-no-rbac", "guardrails --no-rbac --admins group:platform-admins,sa:argocd/argocd-application-controller --action warn", 0},
	})
	dir := t.TempDir()
	stdout, stderr, code := runCLI("guardrails", "--no-rbac", "--action", "deny")
	if code != 0 {
		t.Fatalf("guardrails: %d %s", code, stderr)
	}
	p := filepath.Join(dir, "g.yaml")
	if err := os.WriteFile(p, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "audit.log")
	lines := []string{
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a1","stage":"ResponseComplete","requestURI":"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings","verb":"create","user":{"username":"bob","groups":["dev"]},"objectRef":{"resource":"clusterrolebindings","apiGroup":"rbac.authorization.k8s.io","apiVersion":"v1","name":"x"},"responseStatus":{"code":201},"requestObject":{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"x"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"User","name":"bob"}]},"requestReceivedTimestamp":"2026-12-07T10:00:00.000000Z","stageTimestamp":"2026-12-07T10:00:00.010000Z"}`,
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a2","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/x/secrets","verb":"create","user":{"username":"bob","groups":["dev"]},"objectRef":{"resource":"secrets","namespace":"x","apiVersion":"v1"},"responseStatus":{"code":201},"requestReceivedTimestamp":"2026-12-07T10:00:01.000000Z","stageTimestamp":"2026-12-07T10:00:01.010000Z"}`,
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a3","stage":"ResponseComplete","requestURI":"/api/v1/namespaces","verb":"create","user":{"username":"bob","groups":["dev"]},"objectRef":{"resource":"namespaces","apiVersion":"v1","name":"shop"},"responseStatus":{"code":201},"requestObject":{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}},"requestReceivedTimestamp":"2026-12-07T10:00:02.000000Z","stageTimestamp":"2026-12-07T10:00:02.010000Z"}`,
	}
	if err := os.WriteFile(log, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = runCLI("guardrails", "test", "--audit", log, "--policies", p)
	got := strings.ReplaceAll("--- exit: "+string(rune('0'+code))+"\n--- stdout:\n"+stdout+"--- stderr:\n"+stderr, dir, "DIR")
	compareGolden(t, "guardrails-test.golden", got)
}

func TestGuardrailsUsage(t *testing.T) {
	wantUsageErrors(t, []usageCase{
		{"guardrails --no-rbac --action block", `--action "block": want audit, warn or deny`},
		{"guardrails --no-rbac --admins alice", `"alice": want user:NAME, group:NAME or sa:NAMESPACE/NAME`},
		{"guardrails --no-rbac -o table", `-o "table"`},
		{"guardrails test --no-rbac", "--audit LOG is required"},
		{"guardrails test --no-rbac --audit testdata/nonexistent.log", "nonexistent.log"},
		{"guardrails test --audit testdata/auditscan/lab.log --policies testdata/kubeadm-config.yaml", "no ValidatingAdmissionPolicy"},
	})
}
