//go:build unix

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests run the built binary, as a user or a supervisor does: inputs
// that would block (FIFOs, a pipe whose writer never closes) and signals.
// Timeouts are generous: the machines that run them are noisy.

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

func apiguard(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "apiguard-signal")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "apiguard")
		out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary != "" {
		os.RemoveAll(filepath.Dir(binary))
	}
	os.Exit(code)
}

// run starts the binary; wait returns its exit status, or fails the test
// after limit.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan error
}

func start(t *testing.T, stdin io.Reader, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(apiguard(t), args...), done: make(chan error, 1)}
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = stdin, &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
		}
	})
	return p
}

func (p *proc) wait(t *testing.T, limit time.Duration) *os.ProcessState {
	t.Helper()
	select {
	case err := <-p.done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return p.cmd.ProcessState
	case <-time.After(limit):
		p.cmd.Process.Kill()
		t.Fatalf("%v still running after %s\nstderr: %s", p.cmd.Args[1:], limit, p.stderr.String())
		return nil
	}
}

// A FIFO named as an input is refused at once, without a signal.
func TestFIFOInputsDoNotBlock(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "input")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	for _, args := range [][]string{
		{"scan", "--flags-file", fifo},
		{"scan", "--manifest", fifo},
		{"audit", "policy", "lint", fifo},
		{"audit", "scan", fifo},
		{"kubeconfig", "audit", fifo},
		{"scan", "--kubeconfig", fifo},
		{"rbac", "admins", "--kubeconfig", fifo},
		{"snapshot", "--kubeconfig", fifo, "--out", filepath.Join(dir, "snap")},
	} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			p := start(t, nil, args...)
			st := p.wait(t, 30*time.Second)
			if st.ExitCode() != 2 || !strings.Contains(p.stderr.String(), "is a named pipe (FIFO), not a regular file") {
				t.Fatalf("exit %d\nstderr: %s", st.ExitCode(), p.stderr.String())
			}
		})
	}
}

// A command reading standard input from a writer that never closes ends
// on SIGTERM: audit scan reports what it read (the stream's end is the
// signal, as with --follow); audit policy lint says it was interrupted.
func TestSIGTERMEndsSlowInput(t *testing.T) {
	const event = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/configmaps","verb":"list","user":{"username":"alice"},"sourceIPs":["10.0.0.8"],"objectRef":{"resource":"configmaps","namespace":"default","apiVersion":"v1"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2026-11-27T10:00:00.000000Z","stageTimestamp":"2026-11-27T10:00:00.010000Z"}`
	cases := []struct {
		name   string
		args   []string
		input  string
		code   int
		stdout string
		stderr string
	}{
		{"audit scan -", []string{"audit", "scan", "-", "-o", "json", "--fail-on", "none"}, event + "\n", 0, `"events": 1`, ""},
		{"audit scan - with workers", []string{"audit", "scan", "-", "-o", "json", "--fail-on", "none", "--workers", "2"}, event + "\n", 0, `"events": 1`, ""},
		{"audit policy lint -", []string{"audit", "policy", "lint", "-"}, "apiVersion: audit.k8s.io/v1\nkind: Policy\n", 2, "", "apiguard: interrupted (terminated signal received): the command did not finish"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer pw.Close()
			p := start(t, pr, c.args...)
			pr.Close()
			if _, err := pw.WriteString(c.input); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second) // let it read what was written and block for more
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			st := p.wait(t, 20*time.Second)
			if st.ExitCode() != c.code || !strings.Contains(p.stdout.String(), c.stdout) || !strings.Contains(p.stderr.String(), c.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", st.ExitCode(), c.code, p.stdout.String(), p.stderr.String())
			}
		})
	}
}

// After the first signal the default handling is back: a second one ends
// apiguard at once, even in work that does not stop on the first (here
// loading a 4 MiB audit policy, which takes seconds).
func TestSecondSignalKills(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n")
	for b.Len() < 4<<20-200 {
		fmt.Fprintf(&b, "- level: Metadata\n  users: [user-%d]\n  resources:\n  - group: \"\"\n    resources: [pods, configmaps]\n", b.Len())
	}
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"audit", "policy", "eval", policy, "--user", "alice", "--verb", "get", "--resource", "pods", "-n", "x"}
	// How long the work takes here, undisturbed: the signals must come
	// well before its end for the test to say anything.
	t0 := time.Now()
	if st := start(t, nil, args...).wait(t, 120*time.Second); st.ExitCode() != 0 {
		t.Fatalf("exit %d", st.ExitCode())
	}
	if took := time.Since(t0); took < 2*time.Second {
		t.Skipf("loading the policy took %s: too fast to send two signals before its end", took)
	}
	p := start(t, nil, args...)
	time.Sleep(300 * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGTERM)
	st := p.wait(t, 10*time.Second)
	if ws, ok := st.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("not ended by the second signal: %v\nstderr: %s", st, p.stderr.String())
	}
}
