package cli

import (
	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/app"
)

// auditLogsHelp describes --audit, --since and --until where they are read
// (scan, rbac usage, rbac minimize).
const auditLogsHelp = `--audit reads files, .gz files, directories of rotated logs and - (stdin).
--since and --until take RFC 3339 times or durations back from now (30d, 12h).`

// addAuditLogsFlags adds --audit, --since and --until; use says what the
// logs are read for.
func addAuditLogsFlags(cmd *cobra.Command, l *app.AuditLogs, use string) {
	f := cmd.Flags()
	f.StringArrayVar(&l.Logs, "audit", nil, "audit log: a file, a .gz file, a directory of rotated logs or - for stdin; "+use+" (repeatable)")
	f.StringVar(&l.Since, "since", "", "with --audit: count only events at or after this time (RFC 3339, or a duration back from now: 30d, 12h)")
	f.StringVar(&l.Until, "until", "", "with --audit: count only events at or before this time (RFC 3339, or a duration back from now)")
}

// usageFlags are what rbac usage and rbac minimize read: the RBAC input,
// the audit logs and the audit policy they were written under.
type usageFlags struct {
	from   []string
	audit  app.AuditLogs
	policy string
}

func (u *usageFlags) add(a *env, cmd *cobra.Command, policyUse string) {
	rbacFromFlag(cmd, &u.from)
	addAuditLogsFlags(cmd, &u.audit, "the requests judged (required)")
	cmd.Flags().StringVar(&u.policy, "policy", "", "the audit policy the log was written under: "+policyUse+" (default: the one a snapshot given to --from names)")
	a.rbacKubeFlags(cmd, "", "")
}

// options are the app's options, or the usage error of a missing --audit.
func (u *usageFlags) options(a *env, cmd *cobra.Command) (app.RBACUsageOptions, error) {
	if len(u.audit.Logs) == 0 {
		return app.RBACUsageOptions{}, usageErr("--audit is required")
	}
	return app.RBACUsageOptions{Input: a.rbacInput(u.from), Audit: u.audit,
		Policy: app.PolicyFile{Path: u.policy, Stdin: cmd.InOrStdin()}, Warnings: a.stderr}, nil
}

// usageNotes says on stderr what the model and the audit policy were.
func (a *env) usageNotes(res *app.RBACUsageResult) {
	a.rbacWarn(res.Policy)
	a.rbacNote(res.Policy.Builtins.Summary())
	if res.PolicySource != "" {
		a.rbacNote("audit policy: " + res.PolicySource)
	}
}
