package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The helpers every command's tests share: running the whole CLI in
// process, comparing with goldens, usage errors, live test doubles.

// runCLI runs argv (after "apiguard") through the whole CLI and returns
// stdout, stderr and the exit code.
func runCLI(args ...string) (string, string, int) {
	var o, e bytes.Buffer
	code := Run(context.Background(), append([]string{"apiguard"}, args...), &o, &e)
	return o.String(), e.String(), code
}

// runCLIStdin is runCLI with stdin as the process's standard input: the
// CLI reads os.Stdin, so the test swaps it for a pipe fed from stdin.
func runCLIStdin(t *testing.T, stdin io.Reader, args ...string) (string, string, int) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdin
	os.Stdin = r
	go func() { io.Copy(w, stdin); w.Close() }()
	defer func() { os.Stdin = old; r.Close() }()
	return runCLI(args...)
}

type goldenCase struct {
	name string
	args string
	code int
}

// runGoldens runs each case's argv through the whole CLI and compares
// stdout, stderr and the exit code with testdata/<dir>/<name>.golden.
// Refresh with -update; failures name the test to run with it.
func runGoldens(t *testing.T, dir string, cases []goldenCase) {
	t.Helper()
	refresh := "go test ./internal/cli -run " + strings.SplitN(t.Name(), "/", 2)[0] + " -update"
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(strings.Fields(c.args)...)
			got := fmt.Sprintf("$ apiguard %s\n--- exit: %d\n--- stdout:\n%s--- stderr:\n%s", c.args, code, stdout, stderr)
			golden := filepath.Join("testdata", dir, c.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run %s)", err, refresh)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run %s and review the diff)\n--- got:\n%s", golden, refresh, got)
			}
			if code != c.code {
				t.Errorf("exit code = %d, want %d", code, c.code)
			}
		})
	}
}

// usageCase is a command line that must be refused as a usage error, and
// what its message must name.
type usageCase struct{ args, want string }

// wantUsageErrors runs each case and wants exit 2 with stderr naming
// case.want.
func wantUsageErrors(t *testing.T, cases []usageCase) {
	t.Helper()
	for _, c := range cases {
		_, stderr, code := runCLI(strings.Fields(c.args)...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 naming %q", c.args, code, stderr, c.want)
		}
	}
}

// waitUntil polls cond every 10 ms and fails the test with what() once
// timeout has passed without it holding.
func waitUntil(t *testing.T, timeout time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(what())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kubeconfigFor writes testdata/rbac/kubeconfig with its server replaced
// by serverURL (a fake API server) and returns its path.
func kubeconfigFor(t *testing.T, serverURL string) string {
	t.Helper()
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := strings.ReplaceAll(mustRead(t, "testdata/rbac/kubeconfig"), "https://127.0.0.1:6443", serverURL)
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return kubeconfig
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
