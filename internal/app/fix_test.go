package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/checks"
)

var fixNow = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

// TestFixRenderScan: apiguard fix on the bundled examples and a kubeadm
// ClusterConfiguration, then a scan of what it wrote (with the written
// files installed where the flags expect them): no high or critical
// failure of a configuration check except those under "needs you", and
// every change names a check that failed before.
func TestFixRenderScan(t *testing.T) {
	config := map[string]bool{}
	for _, c := range checks.All() {
		config[c.ID] = slices.Contains(c.Inputs, check.InputFlags) || slices.Contains(c.Inputs, check.InputFiles)
	}
	for _, c := range []struct {
		name string
		o    FixOptions
		// fixed are checks the fix must fix.
		fixed []string
	}{
		{"kubeadm snapshot", FixOptions{Snapshot: "../../examples/kubeadm-1.36"}, []string{"AG-AUDIT-001", "AG-NET-005", "AG-ADMIN-003"}},
		{"insecure snapshot", FixOptions{Snapshot: "../../examples/insecure-1.33"}, []string{"AG-AUTHZ-001", "AG-AUTHN-002", "AG-NET-002", "AG-AUDIT-005"}},
		{"kubeadm ClusterConfiguration", FixOptions{Manifest: "../cli/testdata/kubeadm-config.yaml"}, []string{"AG-AUDIT-001", "AG-AUTHZ-009", "AG-ADMIN-003"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			o := c.o
			o.Out, o.Now, o.Root = filepath.Join(root, "out"), fixNow, "/nonexistent"
			res, err := Fix(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Servers) != 1 {
				t.Fatalf("%d servers", len(res.Servers))
			}
			s := res.Servers[0]
			for _, id := range c.fixed {
				if !slices.Contains(s.Fixed, id) {
					t.Errorf("%s not fixed; fixed %v", id, s.Fixed)
				}
			}
			failedBefore := map[string]bool{}
			for _, f := range s.Before {
				if f.Actionable() {
					failedBefore[f.CheckID] = true
				}
			}
			for _, ch := range s.Changes {
				if !failedBefore[ch.Check] && ch.Check != "AG-PATCH-001" {
					t.Errorf("change %s %s names a check that did not fail", ch.Check, ch.Flag)
				}
			}
			// Install the files where the fixed flags expect them, and scan.
			for _, f := range s.Files {
				p := filepath.Join(root, "host", filepath.FromSlash(f.Path))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				data, err := os.ReadFile(f.Written)
				if err != nil || !bytes.Equal(data, f.Data) {
					t.Fatalf("%s: %v", f.Written, err)
				}
				if err := os.WriteFile(p, data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			in := Inputs{Manifests: []string{s.Output}, Root: filepath.Join(root, "host")}
			if o.Snapshot != "" && strings.HasSuffix(s.Output, ".args") {
				in = Inputs{FlagsFiles: []string{s.Output}, Root: filepath.Join(root, "host")}
			}
			run, err := Scan(context.Background(), ScanOptions{Inputs: in, Now: fixNow})
			if err != nil {
				t.Fatal(err)
			}
			needs := map[string]bool{}
			for _, n := range s.Needs {
				needs[n.Check] = true
			}
			scanned := 0
			for _, f := range run.Findings {
				if !config[f.CheckID] {
					continue
				}
				scanned++
				if f.Actionable() && f.Severity >= check.High && !needs[f.CheckID] {
					t.Errorf("the fixed configuration still fails %s (%s), not under needs you: %s", f.CheckID, f.Severity, f.Message)
				}
			}
			if scanned < 30 {
				t.Errorf("only %d configuration findings on the fixed output: it was not read as a kube-apiserver", scanned)
			}
		})
	}
}

// TestFixInputErrors: fix refuses to run without one input and an --out
// that is not the input's directory.
func TestFixInputErrors(t *testing.T) {
	for _, c := range []struct {
		o    FixOptions
		want string
	}{
		{FixOptions{Out: t.TempDir()}, "exactly one of"},
		{FixOptions{Manifest: "a.yaml", FlagsFile: "b", Out: t.TempDir()}, "exactly one of"},
		{FixOptions{Manifest: "../cli/testdata/kubeadm-config.yaml"}, "--out DIR is required"},
		{FixOptions{Manifest: "../cli/testdata/kubeadm-config.yaml", Out: "../cli/testdata"}, "fix never overwrites its input"},
		{FixOptions{Manifest: "../cli/testdata", Out: t.TempDir()}, "give the file, not a directory"},
	} {
		_, err := Fix(context.Background(), c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want %q", c.o, err, c.want)
		}
	}
}

// TestFixFlowStyleManifest: a manifest whose argv is not one item per line
// cannot be edited in place: the fixed argv is written instead, and said so.
func TestFixFlowStyleManifest(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "kube-apiserver.yaml")
	manifest := "apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver, namespace: kube-system}\nspec:\n  containers:\n" +
		"  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.36.3\n    command: [kube-apiserver, --profiling=true, --secure-port=6443]\n"
	if err := os.WriteFile(in, []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := Fix(context.Background(), FixOptions{Manifest: in, Out: filepath.Join(dir, "out"), Now: fixNow})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Servers[0]
	data, err := os.ReadFile(s.Output)
	if err != nil || filepath.Base(s.Output) != "kube-apiserver.yaml.args" || !strings.Contains(string(data), "--profiling=false\n") {
		t.Fatalf("output %s: %v\n%s", s.Output, err, data)
	}
	found := false
	for _, n := range s.Needs {
		found = found || strings.Contains(n.What, "could not be edited in place")
	}
	if !found {
		t.Errorf("no note on the manifest: %+v", s.Needs)
	}
}
