package cli

import (
	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/report"
)

func (a *env) rbacUsageCmd() *cobra.Command {
	var (
		in     usageFlags
		format string
	)
	cmd := &cobra.Command{
		Use:   "usage --audit LOG [--audit LOG...] [--from DUMP] [--since T] [--until T] [--policy FILE]",
		Short: "Compare every subject's grants with what the audit log shows it used",
		Long: `For every subject that holds a grant (User, Group, ServiceAccount) and every
identity seen in the audit log: each binding it holds, each rule of the bound
role, whether the rule allowed a request in the window and how often, and the
requests authorization refused (403, or the authorization.k8s.io/decision
annotation "forbid").

Each request is attributed as kube-apiserver authorizes it, with rbac
who-can's engine: to the impersonated user when there is one (the
impersonator used impersonate), counted once (final stage, by auditID), and
against every grant that allows it. A request that a default discovery
binding allows counts against that grant only. Group bindings are credited
to the group and to the members whose requests carried it.

` + auditLogsHelp + `
--policy is the audit policy the log was written under: a rule that is unused
and partly logged at None is blind, never reported unused. Without it, the
policy file a snapshot given to --from names (--audit-policy-file) is read;
without either the judgement assumes every request is logged (said on stderr,
and in the table).

-o json prints {"window":{"from","to"},"events","stats","subjects":[{"subject":
{"kind","name","namespace"},"requests","lastSeen","members","unattributed",
"bindings":[{"kind","name","namespace","roleRef":{"kind","name"},"via","used",
"rules":[{"apiGroups","resources","verbs","resourceNames","nonResourceURLs",
"used","requests","blind"}]}],"denied":[{"verb",...,"requests"}]}],"blind":[...]}.

` + rbacInputHelp,
		Example: `  apiguard rbac usage --from dump.yaml --audit /var/log/kubernetes/audit/ --since 30d
  apiguard rbac usage --audit audit.log.gz --policy audit-policy.yaml -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if q := a.takeQuestionFlags(); q.given() || q.namespace != "" {
				return usageErr("--as, --as-group and -n do not apply to usage (rbac commands never impersonate)")
			}
			if err := checkFormat(format, "table", "json", "markdown", "html"); err != nil {
				return err
			}
			o, err := in.options(a, cmd)
			if err != nil {
				return err
			}
			res, err := app.RBACUsage(cmd.Context(), o)
			if err != nil {
				return err
			}
			a.usageNotes(res)
			switch format {
			case "json":
				a.rbacNote(res.Usage.Header().Note)
				return report.RBACUsageJSON(a.stdout, res.Usage)
			case "markdown":
				return report.RBACUsageMarkdown(a.stdout, res.Usage)
			case "html":
				return report.RBACUsageHTML(a.stdout, res.Usage)
			}
			return report.RBACUsageTable(a.stdout, res.Usage)
		},
	}
	in.add(a, cmd, "what it does not log is blind")
	rbacOutputFlag(cmd, &format, "table", "json", "markdown", "html")
	return cmd
}
