package cli

import (
	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/app"
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
		o   app.KubeconfigAuditOptions
		out reportFlags
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
			if err := out.parse(); err != nil {
				return err
			}
			if len(args) == 1 {
				o.File = args[0]
			}
			o.Now = now()
			res, err := app.KubeconfigAudit(o)
			if err != nil {
				return err
			}
			r := report.New("apiguard", Version, "kubeconfig "+res.Source, res.Rules, res.Findings, nil)
			r.Command = "kubeconfig audit"
			if err := report.Render(a.stdout, out.format, r, out.options(a)); err != nil {
				return err
			}
			return out.exit(res.Findings)
		},
	}
	out.add(cmd, "", "list passing findings too (table and markdown)")
	cmd.Flags().StringVar(&o.AsOf, "now", "", "judge expiry as of this date, YYYY-MM-DD (default: now)")
	return cmd
}
