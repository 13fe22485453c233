package cli

import (
	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/report"
)

func (a *env) rbacCanICmd() *cobra.Command {
	var (
		from        []string
		explain     bool
		quiet       bool
		subresource string
	)
	cmd := &cobra.Command{
		Use:   "can-i VERB RESOURCE[/SUBRESOURCE][.GROUP] [NAME] --as USER [--as-group GROUP]... [-n NS]",
		Short: "May a user do something? Prints yes (exit 0) or no (exit 1)",
		Long: `Answer whether a user may perform a request, as kube-apiserver's RBAC
authorizer would, and print yes (exit 0) or no (exit 1), like kubectl auth can-i.

RESOURCE is read like kubectl reads it (deployments.apps, short names such as
po or deploy, a built-in resource's group when none is written) plus an
optional subresource: pods/exec, deployments.apps/scale,
certificatesigningrequests.certificates.k8s.io/approval. Unlike kubectl,
RESOURCE/X names a subresource, not an object; the object name is NAME. A
RESOURCE starting with / is a non-resource URL (/metrics, /healthz/etcd).

--as USER is the subject: a user name, or system:serviceaccount:NS:NAME for a
ServiceAccount. The groups the authenticator adds are added too:
system:authenticated (system:unauthenticated for system:anonymous) and, for a
ServiceAccount, system:serviceaccounts and system:serviceaccounts:NS. Other
groups (from certificates or OIDC) are not in RBAC objects: give them with
--as-group. system:masters is always allowed (kube-apiserver checks it before
RBAC).

` + rbacInputHelp,
		Example: `  apiguard rbac can-i create pods/exec -n prod --as alice --from dump.yaml
  apiguard rbac can-i get secrets --as system:serviceaccount:ci:deployer -n ci -v
  apiguard rbac can-i update certificatesigningrequests.certificates.k8s.io/approval --as bob --as-group ops
  apiguard rbac can-i get /metrics --as system:anonymous --context prod`,
		Args: cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := a.takeQuestionFlags()
			if q.user == "" {
				return usageErr("--as USER is required: the subject of the question (a user, or system:serviceaccount:NS:NAME)")
			}
			if q.uid != "" || len(q.extra) > 0 {
				return usageErr("--as-uid and --as-user-extra: RBAC does not look at UIDs or user extras")
			}
			req, err := a.rbacRequest(args, subresource, q.namespace)
			if err != nil {
				return err
			}
			req.User, req.Groups = q.user, q.groups
			res, err := app.RBACCanI(cmd.Context(), app.RBACCanIOptions{Input: a.rbacInput(from), Request: req})
			if err != nil {
				return err
			}
			a.rbacWarn(res.Policy)
			if !quiet {
				a.rbacNote(res.Policy.Builtins.Summary())
				report.RBACCanI(a.stdout, req, res.Allowed, res.Grants, explain)
			}
			if !res.Allowed {
				return &exitError{code: ExitFindings}
			}
			return nil
		},
	}
	rbacFromFlag(cmd, &from)
	cmd.Flags().BoolVarP(&explain, "explain", "v", false, "print the bindings, roles and rules that allow it, and the groups considered")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print nothing; the exit code is the answer")
	cmd.Flags().StringVar(&subresource, "subresource", "", "subresource, as kubectl's flag (same as RESOURCE/SUBRESOURCE)")
	a.rbacKubeFlags(cmd, "the user the question is about: a user name or system:serviceaccount:NS:NAME (required; never impersonated)",
		"a group of that user, besides the implicit ones (repeatable; never impersonated)")
	return cmd
}
