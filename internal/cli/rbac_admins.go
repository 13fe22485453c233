package cli

import (
	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/report"
)

const rbacAnalysisHelp = `Cluster-admin power is every verb on every resource of every API group,
cluster-wide: a ClusterRoleBinding (to the subject or one of its groups) to a
role holding */*/*, or membership of system:masters. A RoleBinding to such a role
is admin of one namespace only. A path is a chain of steps, each one subject
becoming another: creating pods or pod controllers in a namespace runs them as
any of its ServiceAccounts; exec, attach or ephemeral containers, update or
patch of running pods (a new container image), token requests and legacy
token Secrets become the ServiceAccounts they reach;
nodes/proxy (get is enough) reaches every pod of a node; impersonation and
client certificates (create, approve and signer kubernetes.io/kube-apiserver-client)
become any user or group they allow; bind and escalate write cluster-admin into
one's own bindings or roles. Users and ServiceAccounts act through their implicit
groups (system:authenticated, system:serviceaccounts[:NS]); a group takes
nothing from its members. Kubernetes' own principals holding the power by
unmodified default bindings are marked builtin.`

func (a *env) rbacAdminsCmd() *cobra.Command {
	var (
		from   []string
		format string
	)
	cmd := &cobra.Command{
		Use:   "admins",
		Short: "List every subject that holds cluster-admin power or can reach it, with the shortest path",
		Long: `List every subject (User, Group, ServiceAccount) that holds cluster-admin power
or can reach it through other identities, each with its shortest path: the
steps, and the binding and role that allow each one.

` + rbacAnalysisHelp + `

-o json prints an array of
  {"subject":{"kind","name","namespace"},"direct":bool,"path":[{"action","via","assumed"}],"builtin":true}
(namespace only for ServiceAccounts; builtin and assumed only when true). direct:
the subject's own cluster-wide rules, or its groups', hold the power (the path is
that one grant). assumed: the step goes through a built-in role or binding the
input does not define (see Built-in roles below; the note is on stderr).

` + rbacInputHelp,
		Example: `  apiguard rbac admins --from dump.yaml
  apiguard rbac admins -o json | jq '.[] | select(.builtin | not)'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.takeQuestionFlags().given() {
				return usageErr("--as and --as-group do not apply to admins (rbac commands never impersonate)")
			}
			if err := checkFormat(format, "text", "json", "html"); err != nil {
				return err
			}
			res, err := app.RBACAdmins(cmd.Context(), app.RBACAdminsOptions{Input: a.rbacInput(from)})
			if err != nil {
				return err
			}
			a.rbacWarn(res.Policy)
			if format == "json" {
				a.rbacNotes(res.Policy, res.Gap)
				return report.WriteJSON(a.stdout, res.Admins)
			}
			if format == "html" {
				return report.RBACAdminsHTML(a.stdout, res.Policy, res.Admins, res.Gap)
			}
			report.RBACAdminsText(a.stdout, res.Policy, res.Admins, res.Gap)
			return nil
		},
	}
	rbacFromFlag(cmd, &from)
	rbacOutputFlag(cmd, &format, "text", "json", "html")
	a.rbacKubeFlags(cmd, "", "")
	return cmd
}

func (a *env) rbacPathsCmd() *cobra.Command {
	var (
		from   []string
		format string
	)
	cmd := &cobra.Command{
		Use:   "paths SUBJECT",
		Short: "Print every shortest path from one subject to cluster-admin power",
		Long: `Print every shortest path (at most 10) from one subject to cluster-admin
power: each step, what it does and whom it makes the subject act as, with the
binding and role that allow it. A subject without a path gets a sentence saying
so, and exit code 0.

SUBJECT is user:NAME, group:NAME, sa:NAMESPACE/NAME or
system:serviceaccount:NAMESPACE:NAME. A user or ServiceAccount that no binding
names still acts through its implicit groups.

` + rbacAnalysisHelp + `

-o json prints {"subject":{"kind","name","namespace"},"paths":[[{"action","via","assumed"}]],"builtInRolesAssumed":"v1.36"}
(paths is [] when there is none; assumed only when true: the step goes through
a built-in the input does not define; builtInRolesAssumed only when some were).

` + rbacInputHelp,
		Example: `  apiguard rbac paths user:alice --from dump.yaml
  apiguard rbac paths sa:ci/deployer -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.takeQuestionFlags().given() {
				return usageErr("--as and --as-group do not apply to paths: the subject is the SUBJECT argument (rbac commands never impersonate)")
			}
			if err := checkFormat(format, "text", "json", "html"); err != nil {
				return err
			}
			subject, err := app.ParseRBACSubject(args[0])
			if err != nil {
				return err
			}
			res, err := app.RBACPaths(cmd.Context(), app.RBACPathsOptions{Input: a.rbacInput(from), Subject: subject})
			if err != nil {
				return err
			}
			a.rbacWarn(res.Policy)
			if format == "json" {
				a.rbacNotes(res.Policy, res.Gap)
				return report.WriteJSON(a.stdout, report.RBACPathsJSON(res.Policy, res.Subject, res.Paths))
			}
			if format == "html" {
				return report.RBACPathsHTML(a.stdout, res.Policy, res.Subject, res.Paths, res.Gap)
			}
			report.RBACPathsText(a.stdout, res.Policy, res.Subject, res.Paths, res.Gap)
			return nil
		},
	}
	rbacFromFlag(cmd, &from)
	rbacOutputFlag(cmd, &format, "text", "json", "html")
	a.rbacKubeFlags(cmd, "", "")
	return cmd
}

// rbacNotes says on stderr, for -o json whose stdout is data, what the
// text output says in "#" lines: the built-ins assumed, the bindings whose
// role is missing and the paths not assessed.
func (a *env) rbacNotes(p *rbac.Policy, gap string) {
	a.rbacNote(p.Builtins.Summary(), report.RBACMissingRoles(p))
	if gap != "" {
		a.rbacNote("not assessed: " + gap)
	}
}
