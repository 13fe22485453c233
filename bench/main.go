// Command bench prints apiguard's performance figures against the budgets of
// the foundation issue: a scan of one manifest with its referenced files
// (budget 100 ms) and `apiguard --help` start-up (budget 50 ms).
//
//	go run ./bench
//
// Figures vary with the machine; they are printed, never asserted in tests.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/cli"
)

func main() {
	root := "examples/insecure-1.33/files"
	manifest := filepath.Join(root, "etc/kubernetes/manifests/kube-apiserver.yaml")
	if _, err := os.Stat(manifest); err != nil {
		fmt.Fprintln(os.Stderr, "bench: run from the repository root:", err)
		os.Exit(2)
	}
	argv := []string{"apiguard", "scan", "--manifest", manifest, "--root", root, "-o", "json", "--fail-on", "none"}
	if code := cli.Run(context.Background(), argv, io.Discard, io.Discard); code != 0 {
		fmt.Fprintf(os.Stderr, "bench: scan exited %d\n", code)
		os.Exit(1)
	}
	r := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			cli.Run(context.Background(), argv, io.Discard, io.Discard)
		}
	})
	perScan := time.Duration(r.NsPerOp())
	fmt.Printf("scan of one manifest + referenced files (in process): %v/op, %d allocs/op, %d B/op  (budget 100ms)\n",
		perScan.Round(time.Microsecond), r.AllocsPerOp(), r.AllocedBytesPerOp())

	dir, err := os.MkdirTemp("", "apiguard-bench")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "apiguard")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/apiguard").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: build: %v\n%s", err, out)
		os.Exit(1)
	}
	fmt.Printf("apiguard --help, process start to exit (median of 21): %v  (budget 50ms)\n", medianRun(bin, 21, "--help"))
	fmt.Printf("apiguard scan (process, same input, median of 21):      %v  (budget 100ms)\n", medianRun(bin, 21, argv[1:]...))
}

func medianRun(bin string, n int, args ...string) time.Duration {
	ds := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		start := time.Now()
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		_ = cmd.Run()
		ds = append(ds, time.Since(start))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[n/2].Round(100 * time.Microsecond)
}
