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

// benchScan: a scan of one manifest with its referenced files (budget
// 100 ms) and `apiguard --help` start-up (budget 50 ms).
func benchScan() error {
	root := "examples/insecure-1.33/files"
	manifest := filepath.Join(root, "etc/kubernetes/manifests/kube-apiserver.yaml")
	argv := []string{"apiguard", "scan", "--manifest", manifest, "--root", root, "-o", "json", "--fail-on", "none"}
	if code := cli.Run(context.Background(), argv, io.Discard, io.Discard); code != 0 {
		return fmt.Errorf("scan exited %d", code)
	}
	r := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			cli.Run(context.Background(), argv, io.Discard, io.Discard)
		}
	})
	fmt.Printf("scan of one manifest + referenced files (in process): %v/op, %d allocs/op, %d B/op  (budget 100ms)\n",
		time.Duration(r.NsPerOp()).Round(time.Microsecond), r.AllocsPerOp(), r.AllocedBytesPerOp())
	bin, cleanup, err := buildBinary()
	if err != nil {
		return err
	}
	defer cleanup()
	fmt.Printf("apiguard --help, process start to exit (median of 21): %v  (budget 50ms)\n", medianRun(bin, 21, "--help"))
	fmt.Printf("apiguard scan (process, same input, median of 21):      %v  (budget 100ms)\n", medianRun(bin, 21, argv[1:]...))
	return nil
}

// buildBinary builds cmd/apiguard into a temporary directory.
// workDir is keep, created if need be, or else a new temporary directory
// that cleanup removes.
func workDir(keep, prefix string) (dir string, cleanup func(), err error) {
	if keep != "" {
		return keep, func() {}, os.MkdirAll(keep, 0o755)
	}
	dir, err = os.MkdirTemp("", prefix)
	if err != nil {
		return "", nil, err
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

func buildBinary() (string, func(), error) {
	dir, err := os.MkdirTemp("", "apiguard-bench")
	if err != nil {
		return "", nil, err
	}
	bin := filepath.Join(dir, "apiguard")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/apiguard").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("build: %v\n%s", err, out)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// medianRun runs bin n times and returns the median wall time.
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
