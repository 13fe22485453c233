package cli

import (
	"bytes"
	"context"
	"flag"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestCLI: the goldens of scan, checks, explain and snapshot in testdata.
func TestCLI(t *testing.T) {
	runGoldens(t, "", []goldenCase{
		{"help", "--help", 0},
		{"scan-kubeadm-snapshot", "scan --snapshot ../../examples/kubeadm-1.36", 1},
		{"scan-kubeadm-snapshot-passed", "scan --snapshot ../../examples/kubeadm-1.36 --show-passed -o markdown", 1},
		{"scan-insecure-json", "scan --snapshot ../../examples/insecure-1.33 -o json", 1},
		{"scan-insecure-sarif", "scan --snapshot ../../examples/insecure-1.33 -o sarif", 1},
		{"scan-insecure-junit", "scan --snapshot ../../examples/insecure-1.33 -o junit", 1},
		{"scan-fail-on-none", "scan --snapshot ../../examples/insecure-1.33 --fail-on none -o json", 0},
		{"scan-fail-on-critical-kubeadm", "scan --snapshot ../../examples/kubeadm-1.36 --fail-on critical -o json", 0},
		{"scan-flags-file", "scan --flags-file testdata/ps.txt", 1},
		{"scan-kubeadm-config", "scan --manifest testdata/kubeadm-config.yaml -o json", 1},
		{"scan-k8s-version-override", "scan --flags-file testdata/ps.txt --k8s-version v1.35.4 -o json --fail-on none", 0},
		{"bad-not-yaml", "scan --manifest testdata/not-yaml.yaml", 2},
		{"bad-binary", "scan --manifest testdata/binary.bin", 2},
		{"bad-no-apiserver", "scan --manifest testdata/no-apiserver.yaml", 2},
		{"bad-missing-file", "scan --manifest testdata/does-not-exist.yaml", 2},
		{"partial-input", "scan --flags-file testdata/ps.txt --manifest testdata/not-yaml.yaml -o json", 1},
		{"bad-format", "scan --snapshot ../../examples/kubeadm-1.36 -o xml", 2},
		{"bad-fail-on", "scan --snapshot ../../examples/kubeadm-1.36 --fail-on severe", 2},
		{"bad-flag", "scan --no-such-flag", 2},
		{"bad-snapshot-combo", "scan --snapshot ../../examples/kubeadm-1.36 --manifest testdata/no-apiserver.yaml", 2},
		{"no-kubeconfig", "scan --kubeconfig testdata/does-not-exist.kubeconfig", 2},
		{"checks", "checks", 0},
		{"explain", "explain AG-NET-005", 0},
		{"explain-lowercase-json", "explain ag-net-005 -o json", 0},
		{"explain-unknown", "explain AG-NOPE-001", 2},
		{"snapshot-needs-out", "snapshot --snapshot ../../examples/kubeadm-1.36", 2},
	})
}

// TestSnapshotRoundTrip: snapshot then scan --snapshot gives the same findings.
func TestSnapshotRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snap")
	if _, stderr, code := runCLI("snapshot", "--snapshot", "../../examples/insecure-1.33", "--out", dir); code != 0 {
		t.Fatalf("snapshot exit %d: %s", code, stderr)
	}
	scan := func(src string) string {
		o, _, _ := runCLI("scan", "--snapshot", src, "-o", "json", "--fail-on", "none")
		// Sources name the snapshot's own manifest path; compare the rest.
		return strings.ReplaceAll(o, dir, "SNAP")
	}
	a := scan("../../examples/insecure-1.33")
	b := scan(dir)
	if normalizeSources(a) != normalizeSources(b) {
		t.Fatalf("findings differ after a snapshot round trip:\n%s\n---\n%s", a, b)
	}
}

// normalizeSources drops "source" values, which name the file a snapshot
// was read from and legitimately differ between the two directories.
func normalizeSources(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, `"source":`) || strings.Contains(line, `"file":`) {
			continue
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// TestKubectlPlugin: installed as kubectl-apiguard, help speaks of "kubectl apiguard".
func TestKubectlPlugin(t *testing.T) {
	var out bytes.Buffer
	if code := Run(context.Background(), []string{"/usr/local/bin/kubectl-apiguard", "--help"}, &out, &out); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out.String(), "kubectl apiguard [command]") {
		t.Fatalf("plugin usage line missing:\n%s", out.String())
	}
}
