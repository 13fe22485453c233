package cli

import (
	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/report"
)

func (a *env) rbacMinimizeCmd() *cobra.Command {
	var (
		in     usageFlags
		format string
	)
	cmd := &cobra.Command{
		Use:   "minimize SUBJECT --audit LOG [--audit LOG...] [--from DUMP] [--since T] [--until T] [--policy FILE]",
		Short: "Print the Roles and bindings that grant a subject exactly what the audit log shows it used",
		Long: `Print, as a v1 List that kubectl apply -f takes as it is, the Roles,
ClusterRoles and their bindings that grant SUBJECT exactly what it used in the
window (requests attributed as rbac usage attributes them):

  - a Role and RoleBinding in each namespace it used; a ClusterRole and
    ClusterRoleBinding only for cluster-scoped resources, requests across all
    namespaces and non-resource URLs;
  - subresources (pods/log) and non-resource URLs as requested; a wildcard
    only where a request itself named one;
  - resourceNames only for verbs kube-apiserver checks by name (never list,
    watch, create or deletecollection);
  - never a permission SUBJECT does not hold today: each is checked against
    its current grants, and one that is not held is left out and said on
    stderr;
  - with an audit policy (--policy, or the one a snapshot given to --from
    names), the rules it does not fully log (blind) are kept as held, in
    objects named ...-blind annotated apiguard.dev/blind.

Requests the default discovery bindings allow need nothing and are left out.
Objects are named apiguard-min-KIND-NAME, labelled
app.kubernetes.io/managed-by=apiguard and annotated with the subject and the
window. A subject with no use gets an empty List, and a note on stderr.

SUBJECT is user:NAME, group:NAME, sa:NAMESPACE/NAME or
system:serviceaccount:NAMESPACE:NAME.

` + auditLogsHelp + `

` + rbacInputHelp,
		Example: `  apiguard rbac minimize sa:ci/deployer --from dump.yaml --audit /var/log/kubernetes/audit/ --since 30d > min.yaml
  apiguard rbac minimize user:alice --audit audit.log.gz --policy audit-policy.yaml -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if q := a.takeQuestionFlags(); q.given() || q.namespace != "" {
				return usageErr("--as, --as-group and -n do not apply to minimize: the subject is the SUBJECT argument (rbac commands never impersonate)")
			}
			if err := checkFormat(format, "yaml", "json"); err != nil {
				return err
			}
			o, err := in.options(a, cmd)
			if err != nil {
				return err
			}
			res, err := app.RBACMinimize(cmd.Context(), app.RBACMinimizeOptions{Subject: args[0], Usage: o})
			if err != nil {
				return err
			}
			a.usageNotes(res.Usage)
			a.rbacNote(res.Notes...)
			if format == "json" {
				return report.RBACMinimizeJSON(a.stdout, res.Minimized)
			}
			return report.RBACMinimizeYAML(a.stdout, res.Minimized)
		},
	}
	in.add(a, cmd, "what it does not log is blind, and kept")
	rbacOutputFlag(cmd, &format, "yaml", "json")
	return cmd
}
