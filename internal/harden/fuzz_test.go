package harden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/versions"
)

// fuzzPlan is a plan that sets, removes and adds flags and writes files.
func fuzzPlan(t *testing.T, argv []string) *Plan {
	flags, _, err := ParseArgv(argv, apiserverflags.IsBool)
	if err != nil {
		return nil
	}
	p, err := Fix(flags, weakFailing, Options{Version: versions.MustParse("v1.36.3"), AuditPolicy: []byte("kind: Policy\n")})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// FuzzPatchManifest: any manifest text and argv lines give a patched
// manifest or an error, never a panic.
func FuzzPatchManifest(f *testing.F) {
	for _, n := range []string{"manifest-kubeadm.yaml", "manifest-novolumes.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("spec:\n  containers:\n  - args: [--profiling=true]\n"))
	f.Add([]byte("spec:\n  volumes: 3\n  containers:\n  - args:\n    - --profiling=true\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		args := manifestArgs(data)
		var texts []string
		for _, a := range args {
			texts = append(texts, a.Text)
		}
		p := fuzzPlan(t, texts)
		if p == nil {
			return
		}
		out, err := PatchManifest(data, args, p, apiserverflags.IsBool)
		if err == nil && len(args) > 0 && !strings.Contains(string(out), "--audit-log-path=") {
			t.Errorf("a patched manifest without the added flag:\n%s", out)
		}
	})
}

// FuzzPatchKubeadm: any kubeadm file gives a patched file or an error.
func FuzzPatchKubeadm(f *testing.F) {
	for _, n := range []string{"kubeadm-v1beta3.yaml", "kubeadm-v1beta4.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\napiServer: 3\n"))
	f.Add([]byte("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\napiServer:\n  extraArgs: [1, {name: 2}]\n  extraVolumes: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := fuzzPlan(t, []string{"--profiling=true", "--request-timeout=30m"})
		_, _, _ = PatchKubeadm(data, p)
	})
}

// FuzzParseArgv: any argv parses or is refused with the element named.
func FuzzParseArgv(f *testing.F) {
	f.Add("--a=1\n--profiling\n--etcd-servers\nhttps://e\n")
	f.Add("kube-apiserver\n--x")
	f.Fuzz(func(t *testing.T, s string) {
		argv := strings.Split(s, "\n")
		flags, elems, err := ParseArgv(argv, apiserverflags.IsBool)
		if err != nil {
			if !strings.Contains(err.Error(), "is not a flag") {
				t.Errorf("error without the element: %v", err)
			}
			return
		}
		if len(flags) != len(elems) {
			t.Errorf("%d flags, %d element lists", len(flags), len(elems))
		}
	})
}
