package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/report"
)

const rbacInputHelp = `Input: --from names kubectl dumps (files or directories of .yaml, .yml and
.json: 'kubectl get clusterroles,clusterrolebindings,roles,rolebindings,serviceaccounts -A -o yaml',
List documents, several documents per file; repeat --from to combine). Without
--from the current kubeconfig context (--kubeconfig, --context) is read live and
read-only, with the reader's own credentials.

Built-in roles: a dump rarely holds kube-apiserver's own roles and bindings
(cluster-admin, admin/edit/view, the controllers'), yet every cluster has
them. Unless the input defines its own version (by name), they are assumed as
Kubernetes v1.36 defines them, and said so: "built-in roles assumed, v1.36",
"(built-in role, assumed)" after a grant. --no-builtin-roles reads the dumps
alone. A dump of a live read (apiguard snapshot) holds the server's own, and a
live read assumes nothing.

Impersonation: the rbac commands never impersonate. kubectl's --as, --as-group
and --as-uid would make the reader act as someone else; here --as and
--as-group are the subject of the question (can-i) or extra groups (policy),
and the cluster is read as the kubeconfig user (whose kubeconfig may itself
impersonate). -n/--namespace is the namespace of the question; without it the
question is cluster-wide, like kubectl auth can-i -A: only ClusterRoleBindings
count.`

func (a *env) rbacCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rbac",
		Short: "Answer RBAC questions exactly as kube-apiserver's authorizer: can-i, who-can, policy",
		Long: `Answer RBAC questions offline or live with kube-apiserver's own semantics:
rule matching (apiGroups "" is core, pods/* is not a wildcard, resourceNames
never match list or create), RoleBindings to ClusterRoles only inside their
namespace, the implicit groups (system:authenticated, system:unauthenticated,
system:serviceaccounts[:NS]), aggregated ClusterRoles, and system:masters,
which kube-apiserver allows before RBAC is asked.

` + rbacInputHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().BoolVar(&a.rbacNoBuiltins, "no-builtin-roles", false,
		"read --from dumps alone: do not assume kube-apiserver's built-in roles and bindings they lack")
	cmd.AddCommand(a.rbacCanICmd(), a.rbacWhoCanCmd(), a.rbacPolicyCmd(), a.rbacAdminsCmd(), a.rbacPathsCmd(), a.rbacUsageCmd(), a.rbacMinimizeCmd())
	return cmd
}

// rbacQuestion reads the kube flags that rbac commands reinterpret, and
// clears them so that no client built afterwards impersonates.
type rbacQuestion struct {
	user      string
	groups    []string
	uid       string
	extra     []string
	namespace string
}

// given reports whether --as, --as-group, --as-uid or --as-user-extra was
// given.
func (q rbacQuestion) given() bool {
	return q.user != "" || len(q.groups) > 0 || q.uid != "" || len(q.extra) > 0
}

func (a *env) takeQuestionFlags() rbacQuestion {
	var q rbacQuestion
	k := a.kube
	if k.Impersonate != nil {
		q.user, *k.Impersonate = *k.Impersonate, ""
	}
	if k.ImpersonateGroup != nil {
		q.groups, *k.ImpersonateGroup = *k.ImpersonateGroup, nil
	}
	if k.ImpersonateUID != nil {
		q.uid, *k.ImpersonateUID = *k.ImpersonateUID, ""
	}
	if k.ImpersonateUserExtra != nil {
		q.extra, *k.ImpersonateUserExtra = *k.ImpersonateUserExtra, nil
	}
	if k.Namespace != nil {
		q.namespace = *k.Namespace
	}
	return q
}

// rbacInput is where the rbac commands read: --from dumps, or the
// kubeconfig's cluster (impersonation already cleared by
// takeQuestionFlags), with progress on a terminal only.
func (a *env) rbacInput(from []string) app.RBACInput {
	in := app.RBACInput{From: from, NoBuiltins: a.rbacNoBuiltins, Cluster: a.kube.ToRESTConfig, ClusterName: a.targetName}
	if isTerminal(a.stderr) {
		in.Progress = a.stderr
	}
	return in
}

// rbacRequest reads VERB RESOURCE [NAME] (or VERB /URL) and prints on
// stderr how it was read.
func (a *env) rbacRequest(args []string, subresource, namespace string) (rbac.Request, error) {
	q := app.RBACQuestion{Verb: args[0], Resource: args[1], Subresource: subresource, Namespace: namespace}
	if len(args) > 2 {
		q.Name = args[2]
	}
	req, notes, err := app.ParseRBACRequest(q)
	a.rbacNote(notes...)
	return req, err
}

// rbacNote prints notes on stderr (for outputs whose stdout is an answer
// or data), skipping empty ones.
func (a *env) rbacNote(notes ...string) {
	for _, s := range notes {
		if s != "" {
			fmt.Fprintln(a.stderr, "apiguard: note: "+s)
		}
	}
}

// rbacWarn prints the model's input problems on stderr.
func (a *env) rbacWarn(p *rbac.Policy) {
	for _, s := range report.RBACWarnings(p) {
		fmt.Fprintln(a.stderr, "apiguard: warning: "+s)
	}
}

// rbacFromFlag adds --from.
func rbacFromFlag(cmd *cobra.Command, from *[]string) {
	cmd.Flags().StringArrayVar(from, "from", nil, "kubectl dump file or directory to read instead of the cluster (repeatable)")
}

// rbacOutputFlag adds -o with its formats, the first the default.
func rbacOutputFlag(cmd *cobra.Command, format *string, formats ...string) {
	last := len(formats) - 1
	help := strings.Join(formats[:last], ", ") + " or " + formats[last]
	cmd.Flags().StringVarP(format, "output", "o", formats[0], "output format: "+help)
}

// rbacKubeFlags adds the kube flags and rewords those rbac commands
// reinterpret: --as and --as-group are the question, -n its namespace.
func (a *env) rbacKubeFlags(cmd *cobra.Command, asUsage, groupUsage string) {
	a.kubeFlags(cmd)
	f := cmd.Flags()
	for name, usage := range map[string]string{
		"as":        asUsage,
		"as-group":  groupUsage,
		"namespace": "namespace of the question (default: cluster-wide, where only ClusterRoleBindings count)",
	} {
		if fl := f.Lookup(name); fl != nil {
			fl.Usage = usage
			if usage == "" {
				_ = f.MarkHidden(name)
			}
		}
	}
	for _, name := range []string{"as-uid", "as-user-extra"} {
		if f.Lookup(name) != nil {
			_ = f.MarkHidden(name)
		}
	}
}
