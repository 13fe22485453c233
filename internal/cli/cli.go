// Package cli holds apiguard's cobra commands: each binds its flags into an
// internal/app options struct, calls the use case, hands the result to
// internal/report and maps errors and findings to exit codes. No domain
// logic lives here.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/fileinput"
)

// Exit codes (DESIGN.md): 0 clean, 1 findings at or above --fail-on, 2 usage or input error.
const (
	ExitClean    = 0
	ExitFindings = 1
	ExitUsage    = 2
)

// Version is set at build time with -ldflags "-X github.com/apiguard/apiguard/internal/cli.Version=...".
var Version = "dev"

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, a...)}
}

func inputErr(err error) error { return &exitError{code: ExitUsage, err: err} }

// Run executes apiguard with argv and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(ctx, args, stdout, stderr)
	root.SetArgs(args[1:])
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitClean
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, fileinput.ErrInterrupted)) {
		// The command stopped before its end because of a signal: what
		// it would have reported is incomplete.
		fmt.Fprintf(stderr, "apiguard: interrupted (%v): the command did not finish\n", context.Cause(ctx))
		return ExitUsage
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.Error() != "" {
			fmt.Fprintln(stderr, "apiguard: "+ee.Error())
		}
		return ee.code
	}
	if app.IsInput(err) { // a use case refused what the user gave
		fmt.Fprintln(stderr, "apiguard: "+err.Error())
		return ExitUsage
	}
	// cobra's own errors: unknown command or flag, wrong argument count.
	fmt.Fprintln(stderr, "apiguard: "+err.Error())
	fmt.Fprintln(stderr, "Run 'apiguard --help' for usage.")
	return ExitUsage
}

// env is what every command shares: the process context, its output
// streams and the kubeconfig flags. (The use cases are package app.)
type env struct {
	// ctx ends when apiguard is interrupted (SIGINT, SIGTERM): for helpers
	// called without a command's context (reading standard input).
	ctx            context.Context
	stdout, stderr io.Writer
	kube           *genericclioptions.ConfigFlags
	// rbacNoBuiltins: rbac --no-builtin-roles (read --from dumps alone).
	rbacNoBuiltins bool
}

func newRoot(ctx context.Context, args []string, stdout, stderr io.Writer) *cobra.Command {
	a := &env{ctx: ctx, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "apiguard",
		Short: "Assess, explain and harden the security of the Kubernetes API server",
		Long: `apiguard secures kube-apiserver in depth: network exposure, authentication,
authorization, audit logging, patching and admin power. It reads static pod
manifests, kubeadm configuration, argv files, saved snapshots or a live cluster
(read-only), and reports every problem with its evidence, why it matters and the fix.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	if len(args) > 0 && strings.HasPrefix(filepath.Base(args[0]), "kubectl-") {
		// Running as a kubectl plugin: usage lines say "kubectl apiguard".
		root.Annotations = map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl apiguard"}
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(
		a.scanCmd(),
		a.fixCmd(),
		a.guardrailsCmd(),
		a.snapshotCmd(),
		a.checksCmd(),
		a.explainCmd(),
		a.versionCmd(),
		a.rbacCmd(),
		a.auditCmd(),
		a.probeCmd(),
		a.versionsCmd(),
		a.kubeconfigCmd(),
		// one line per command group
	)
	return root
}

// kubeFlags adds k8s.io/cli-runtime's standard flags (--kubeconfig,
// --context, --as, ...) to a command that may read a live cluster.
func (a *env) kubeFlags(cmd *cobra.Command) {
	if a.kube == nil {
		a.kube = genericclioptions.NewConfigFlags(false)
	}
	a.kube.AddFlags(cmd.Flags())
	// client-go opens the kubeconfig files itself, blocking on a FIFO:
	// check them first (regular files only), as every other input is.
	prev := cmd.PreRunE
	cmd.PreRunE = func(cmd *cobra.Command, args []string) error {
		if err := a.checkKubeconfigFiles(); err != nil {
			return err
		}
		if prev != nil {
			return prev(cmd, args)
		}
		return nil
	}
}

// checkKubeconfigFiles refuses a --kubeconfig or $KUBECONFIG file that is not
// a regular file (a missing one is client-go's to report).
func (a *env) checkKubeconfigFiles() error {
	var paths []string
	if a.kube.KubeConfig != nil && *a.kube.KubeConfig != "" {
		paths = append(paths, *a.kube.KubeConfig)
	} else {
		paths = filepath.SplitList(os.Getenv("KUBECONFIG"))
		if home, err := os.UserHomeDir(); err == nil && len(paths) == 0 {
			paths = append(paths, filepath.Join(home, ".kube", "config"))
		}
	}
	for _, p := range paths {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if st, err := fileinput.Stat(p); err != nil {
			return inputErr(fmt.Errorf("kubeconfig: %w", err))
		} else if st.IsDir() {
			return inputErr(fmt.Errorf("kubeconfig %s: is a directory, want a file", p))
		}
	}
	return nil
}

func (a *env) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print apiguard's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(a.stdout, "apiguard "+Version)
			return nil
		},
	}
}

// useColor: a terminal, and NO_COLOR (no-color.org) unset.
func useColor(w io.Writer) bool { return isTerminal(w) && os.Getenv("NO_COLOR") == "" }

// isTerminal reports whether w is a terminal (for colour and progress).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
