package cli

import "github.com/spf13/cobra"

// auditCmd groups the audit commands: the policy (what is recorded) and the
// log (what happened).
func (a *env) auditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Audit policy analysis and audit log detection",
	}
	cmd.AddCommand(
		a.auditPolicyCmd(),
		a.auditServeCmd(),
		a.auditScanCmd(),
		a.auditRulesCmd(),
	// subcommands: one line per capability
	)
	return cmd
}
