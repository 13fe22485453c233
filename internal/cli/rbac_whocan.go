package cli

import (
	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/report"
)

func (a *env) rbacWhoCanCmd() *cobra.Command {
	var (
		from        []string
		format      string
		subresource string
	)
	cmd := &cobra.Command{
		Use:   "who-can VERB RESOURCE[/SUBRESOURCE][.GROUP] [NAME] [-n NS]",
		Short: "List every subject allowed a request, with the bindings that allow it",
		Long: `List every subject (User, Group, ServiceAccount) that may perform a request,
each with the binding and role that grant it, as kube-apiserver's
SubjectAccessEvaluator does: system:masters, the subjects of every
ClusterRoleBinding and (with -n) every RoleBinding in the namespace whose role
allows it. Groups are listed as groups (system:authenticated is everyone
authenticated; system:serviceaccounts:NS every ServiceAccount of NS), not
expanded to members. RESOURCE is read as by can-i.

-o json prints an array of
  {"kind","name","namespace","via":[{"binding","namespace","role","ruleIndex","rule"}]}
where kind is User, Group or ServiceAccount (namespace only for
ServiceAccounts), binding is "ClusterRoleBinding/NAME" or "RoleBinding/NAME"
(then namespace is the binding's), role is "ClusterRole/NAME" or "Role/NAME",
and rule is the first matching rule. system:masters has
"binding":"PrivilegedGroup/system:masters" and no role. "assumed" ("binding",
"role" or "binding and role") marks a grant through a built-in the input does
not define.

` + rbacInputHelp,
		Example: `  apiguard rbac who-can get secrets -n kube-system --from dump.yaml
  apiguard rbac who-can create pods/exec -n prod -o json
  apiguard rbac who-can impersonate users`,
		Args: cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := a.takeQuestionFlags()
			if q.given() {
				return usageErr("--as and --as-group do not apply to who-can (rbac commands never impersonate)")
			}
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			req, err := a.rbacRequest(args, subresource, q.namespace)
			if err != nil {
				return err
			}
			res, err := app.RBACWhoCan(cmd.Context(), app.RBACWhoCanOptions{Input: a.rbacInput(from), Request: req})
			if err != nil {
				return err
			}
			a.rbacWarn(res.Policy)
			a.rbacNote(res.Policy.Builtins.Summary())
			if format == "json" {
				return report.WriteJSON(a.stdout, report.RBACWhoCanJSON(res.Subjects))
			}
			return report.RBACWhoCanTable(a.stdout, req, res.Subjects)
		},
	}
	rbacFromFlag(cmd, &from)
	rbacOutputFlag(cmd, &format, "table", "json")
	cmd.Flags().StringVar(&subresource, "subresource", "", "subresource, as kubectl's flag (same as RESOURCE/SUBRESOURCE)")
	a.rbacKubeFlags(cmd, "", "")
	return cmd
}
