package cli

import (
	"context"
	"io"
	"testing"
)

// BenchmarkScanManifest: one manifest with its referenced files (budget 100 ms).
func BenchmarkScanManifest(b *testing.B) {
	argv := []string{"apiguard", "scan", "--manifest", "../../examples/insecure-1.33/files/etc/kubernetes/manifests/kube-apiserver.yaml",
		"--root", "../../examples/insecure-1.33/files", "-o", "json", "--fail-on", "none"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if code := Run(context.Background(), argv, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}

// BenchmarkHelp: command construction and help rendering, in process.
func BenchmarkHelp(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Run(context.Background(), []string{"apiguard", "--help"}, io.Discard, io.Discard)
	}
}
