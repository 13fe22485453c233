package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFixGolden: apiguard fix on the insecure example snapshot: the
// report (output directory shown as OUT) and the fixed manifest. The
// encryption key is random, so the key file is not compared.
func TestFixGolden(t *testing.T) {
	out := t.TempDir()
	for _, c := range []struct{ name, args string }{
		{"fix-insecure", "fix --snapshot ../../examples/insecure-1.33 --out " + out},
		{"fix-insecure-json", "fix --snapshot ../../examples/insecure-1.33 --out " + out + " -o json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(strings.Fields(c.args)...)
			got := strings.ReplaceAll(fmt.Sprintf("$ apiguard %s\n--- exit: %d\n--- stdout:\n%s--- stderr:\n%s", c.args, code, stdout, stderr), out, "OUT")
			compareGolden(t, c.name+".golden", got)
			if code != 0 {
				t.Errorf("exit %d", code)
			}
		})
	}
	manifest, err := os.ReadFile(filepath.Join(out, "kube-apiserver.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	compareGolden(t, "fix-insecure-manifest.golden", string(manifest))
	if st, err := os.Stat(filepath.Join(out, "encryption-config.yaml")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("encryption-config.yaml: %v %v, want mode 0600", st, err)
	}
}

func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (go test ./internal/cli -run TestFixGolden -update)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test ./internal/cli -run TestFixGolden -update)\n--- got:\n%s", p, got)
	}
}

// TestFixUsage: bad input is refused with exit 2 and names what is wrong.
func TestFixUsage(t *testing.T) {
	out := t.TempDir()
	wantUsageErrors(t, []usageCase{
		{"fix --out " + out, "exactly one of --manifest FILE, --flags-file FILE or --snapshot DIR"},
		{"fix --manifest testdata/kubeadm-config.yaml", "--out DIR is required"},
		{"fix --manifest testdata/kubeadm-config.yaml --out testdata", "fix never overwrites its input"},
		{"fix --flags-file testdata/nonexistent.txt --out " + out, "nonexistent.txt"},
		{"fix --snapshot ../../examples/insecure-1.33 --out " + out + " -o yaml", `-o "yaml"`},
		{"fix --snapshot ../../examples/insecure-1.33 --out " + out + " --k8s-version banana", "--k8s-version"},
	})
}
