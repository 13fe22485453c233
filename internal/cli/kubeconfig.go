package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/kubeconfigaudit"
	"github.com/apiguard/apiguard/internal/report"
)

func (a *env) kubeconfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Judge the credentials in kubeconfig files",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.kubeconfigAuditCmd())
	return cmd
}

func (a *env) kubeconfigAuditCmd() *cobra.Command {
	var (
		format, failOn, at string
		showPassed         bool
	)
	cmd := &cobra.Command{
		Use:   "audit [FILE]",
		Short: "Report weak, irrevocable or exposed credentials in a kubeconfig",
		Long: `Report, per user and cluster of a kubeconfig, what its credentials are worth to
whoever copies the file: static bearer tokens and basic auth, client
certificates (O=system:masters: irrevocable and bypasses RBAC; expiry; key
size), insecure-skip-tls-verify, plain-HTTP servers, the deprecated
auth-provider, and exec credential plugins (the recommended path: OIDC or
cloud IAM). Secrets are never printed: a token appears as its kind and a short
SHA-256 fingerprint, a password not at all.

FILE defaults to $KUBECONFIG (all its files, merged as kubectl does) or
~/.kube/config. Exit codes as scan: 0 clean, 1 a finding at or above --fail-on,
2 usage or input error.`,
		Example: `  apiguard kubeconfig audit
  apiguard kubeconfig audit /etc/kubernetes/admin.conf -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			threshold, never, err := parseFailOn(failOn)
			if err != nil {
				return err
			}
			if err := checkFormat(format, report.Formats()...); err != nil {
				return err
			}
			t, err := evalDate(at)
			if err != nil {
				return err
			}
			// The files kubectl would read, each read as a regular file
			// of at most 4 MiB (kubeconfigaudit.Load), merged as kubectl does.
			files := clientcmd.NewDefaultClientConfigLoadingRules().GetLoadingPrecedence()
			if len(args) == 1 {
				files = args
			}
			cfg, existing, err := kubeconfigaudit.Load(files, len(args) == 1)
			if err != nil {
				return inputErr(err)
			}
			if len(existing) == 0 {
				return usageErr("no kubeconfig: give a FILE, or set KUBECONFIG (looked in %s)", strings.Join(files, ", "))
			}
			if len(cfg.AuthInfos) == 0 && len(cfg.Clusters) == 0 {
				return inputErr(fmt.Errorf("%s: no users and no clusters: not a kubeconfig", strings.Join(existing, ", ")))
			}
			source := strings.Join(existing, ", ")
			findings := kubeconfigaudit.Audit(cfg, source, t)
			r := report.New("apiguard", Version, "kubeconfig "+source, kubeconfigaudit.Rules, findings, nil)
			if err := report.Render(a.stdout, format, r, report.Options{Color: format == "table" && useColor(a.stdout), ShowPassed: showPassed}); err != nil {
				return err
			}
			if !never && check.FailsAt(findings, threshold) {
				return &exitError{code: ExitFindings}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output format: "+strings.Join(report.Formats(), ", "))
	cmd.Flags().StringVar(&failOn, "fail-on", "high", "exit 1 when a failing finding is at or above this severity (info, low, medium, high, critical, or none)")
	cmd.Flags().BoolVar(&showPassed, "show-passed", false, "list passing findings too (table and markdown)")
	cmd.Flags().StringVar(&at, "now", "", "judge expiry as of this date, YYYY-MM-DD (default: now)")
	return cmd
}
