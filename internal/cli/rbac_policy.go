package cli

import (
	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/report"
)

func (a *env) rbacPolicyCmd() *cobra.Command {
	var (
		from   []string
		format string
	)
	cmd := &cobra.Command{
		Use:   "policy SUBJECT",
		Short: "Print the effective rules of one subject and where each comes from",
		Long: `Print every rule a subject holds, the namespace it holds it in (* is
cluster-wide: a ClusterRoleBinding) and the binding, role and matched subject
that grant it.

SUBJECT is user:NAME, group:NAME, sa:NAMESPACE/NAME or
system:serviceaccount:NAMESPACE:NAME. A user or ServiceAccount includes the
rules of its implicit groups (system:authenticated, system:serviceaccounts,
system:serviceaccounts:NS); --as-group adds groups the user belongs to (RBAC
objects do not say which). A group shows the group's own rules. -n limits the
output to cluster-wide rules and those of one namespace. RoleBindings never
grant nonResourceURLs, so those are not listed for them.

-o json prints an array of
  {"namespace","rule":{"verbs","apiGroups","resources","resourceNames","nonResourceURLs"},
   "via":{"binding","namespace","role","ruleIndex","rule","subject"}}
(namespace "" is cluster-wide; via as in who-can, subject is the binding
subject that matched).

` + rbacInputHelp,
		Example: `  apiguard rbac policy sa:kube-system/default --from dump.yaml
  apiguard rbac policy user:alice --as-group dev -o json
  apiguard rbac policy group:system:authenticated`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := a.takeQuestionFlags()
			if q.user != "" || q.uid != "" || len(q.extra) > 0 {
				return usageErr("--as does not apply to policy: the subject is the SUBJECT argument (rbac commands never impersonate)")
			}
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			subject, err := app.ParseRBACSubject(args[0])
			if err != nil {
				return err
			}
			res, err := app.RBACPolicy(cmd.Context(), app.RBACPolicyOptions{Input: a.rbacInput(from), Subject: subject, Groups: q.groups, Namespace: q.namespace})
			if err != nil {
				return err
			}
			a.rbacWarn(res.Policy)
			a.rbacNote(res.Policy.Builtins.Summary())
			if format == "json" {
				return report.WriteJSON(a.stdout, report.RBACPolicyJSON(res.Rules))
			}
			return report.RBACPolicyTable(a.stdout, subject, res.Rules)
		},
	}
	rbacFromFlag(cmd, &from)
	rbacOutputFlag(cmd, &format, "table", "json")
	a.rbacKubeFlags(cmd, "", "a group the user belongs to, whose rules are added (repeatable; never impersonated)")
	if fl := cmd.Flags().Lookup("namespace"); fl != nil {
		fl.Usage = "show cluster-wide rules and those of this namespace only"
	}
	return cmd
}
