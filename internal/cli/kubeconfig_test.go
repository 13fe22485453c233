package cli

import (
	"strings"
	"testing"
)

func TestKubeconfigCLI(t *testing.T) {
	runGoldens(t, "kubeconfig", []goldenCase{
		{"audit-all-kinds", "kubeconfig audit testdata/kubeconfig/all-kinds.yaml", 1},
		{"audit-all-kinds-json", "kubeconfig audit testdata/kubeconfig/all-kinds.yaml -o json", 1},
		{"audit-fail-on-critical", "kubeconfig audit testdata/kubeconfig/all-kinds.yaml --fail-on critical -o sarif", 1},
		{"audit-exec-only", "kubeconfig audit testdata/kubeconfig/exec-only.yaml --show-passed", 0},
		{"audit-missing", "kubeconfig audit testdata/kubeconfig/does-not-exist.yaml", 2},
		{"audit-not-kubeconfig", "kubeconfig audit testdata/kubeconfig/not-a-kubeconfig.yaml", 2},
		{"audit-a-list", "kubeconfig audit testdata/kubeconfig/a-list.yaml", 2},
		{"audit-a-directory", "kubeconfig audit testdata/kubeconfig", 2},
		{"audit-bad-format", "kubeconfig audit testdata/kubeconfig/exec-only.yaml -o xml", 2},
	})
}

// TestKubeconfigAuditDefault: without FILE, $KUBECONFIG is audited; no
// secret of the file reaches any output format.
func TestKubeconfigAuditDefault(t *testing.T) {
	t.Setenv("KUBECONFIG", "testdata/kubeconfig/all-kinds.yaml")
	for _, f := range []string{"table", "json", "sarif", "junit", "markdown"} {
		o, e, code := runCLI("kubeconfig", "audit", "-o", f, "--show-passed")
		if code != 1 || !strings.Contains(o, "AG-KCFG-003") {
			t.Fatalf("%s: exit %d\n%s%s", f, code, o, e)
		}
		for _, secret := range []string{"hunter2", "do-not-print", "ya29", "0123456789abcdef0123456789abcdef", "0123456789abcdef\n", ".0123456789abcdef", "ZmFrZS1zaWduYXR1cmU", "eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ"} {
			if strings.Contains(o, secret) || strings.Contains(e, secret) {
				t.Errorf("%s output leaks %q", f, secret)
			}
		}
	}
	t.Setenv("KUBECONFIG", "testdata/kubeconfig/none-here.yaml")
	if _, e, code := runCLI("kubeconfig", "audit"); code != 2 || !strings.Contains(e, "no kubeconfig") {
		t.Fatalf("no kubeconfig: %d %s", code, e)
	}
}
