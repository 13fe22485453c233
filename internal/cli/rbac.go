package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/apiguard/apiguard/internal/inputs/live/secretmeta"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/report"
)

// rbacMaxProblems bounds the input warnings printed before a summary line.
const rbacMaxProblems = 20

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
	cmd.AddCommand(a.rbacCanICmd(), a.rbacWhoCanCmd(), a.rbacPolicyCmd())
	cmd.AddCommand(a.rbacAdminsCmd())
	cmd.AddCommand(a.rbacPathsCmd())
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

// loadPolicy reads --from files, or the cluster live (impersonation
// already cleared by takeQuestionFlags), and prints input problems to
// stderr.
func (a *env) loadPolicy(ctx context.Context, from []string) (*rbac.Policy, error) {
	var (
		p   *rbac.Policy
		err error
	)
	if len(from) > 0 {
		p, err = rbac.LoadFilesWith(rbac.FileOptions{NoBuiltins: a.rbacNoBuiltins}, from...)
		if err != nil {
			return nil, inputErr(err)
		}
	} else {
		cfg, cerr := a.kube.ToRESTConfig()
		if cerr != nil {
			return nil, usageErr("no input: give --from DUMP, or a kubeconfig context (%v)", cerr)
		}
		client, cerr := kubernetes.NewForConfig(cfg)
		if cerr != nil {
			return nil, inputErr(cerr)
		}
		// Token Secrets (the analysis' legacy-token paths) only through
		// the guarded metadata lister.
		secrets, cerr := secretmeta.ForClientset(client)
		if cerr != nil {
			return nil, inputErr(cerr)
		}
		var opts rbac.LiveOptions
		if isTerminal(a.stderr) {
			// progress on a terminal only; quiet when piped or in CI
			opts.Progress = func(resource string, n int) {
				fmt.Fprintf(a.stderr, "\r\033[Kreading %s: %d", resource, n)
			}
		}
		p, err = rbac.LoadLive(ctx, client, secrets, opts)
		if opts.Progress != nil {
			fmt.Fprint(a.stderr, "\r\033[K")
		}
		if err != nil {
			return nil, inputErr(fmt.Errorf("%s: %w", a.targetName(cfg.Host), err))
		}
	}
	for i, pr := range p.Problems {
		if i == rbacMaxProblems {
			fmt.Fprintf(a.stderr, "apiguard: warning: ... and %d more input problems\n", len(p.Problems)-rbacMaxProblems)
			break
		}
		fmt.Fprintln(a.stderr, "apiguard: warning: "+pr.String())
	}
	return p, nil
}

// noteBuiltins says on stderr which built-ins were assumed (for outputs
// whose stdout is an answer or data).
func (a *env) noteBuiltins(p *rbac.Policy) {
	if s := p.Builtins.Summary(); s != "" {
		fmt.Fprintln(a.stderr, "apiguard: note: "+s)
	}
}

// parseRequest turns VERB RESOURCE [NAME] (or VERB /path) into a request.
func (a *env) parseRequest(args []string, subresource, namespace string) (rbac.Request, error) {
	req := rbac.Request{Verb: args[0]}
	if req.Verb == "" {
		return req, usageErr("VERB is empty")
	}
	if strings.HasPrefix(args[1], "/") {
		if len(args) > 2 || subresource != "" {
			return req, usageErr("a non-resource URL (%s) takes no NAME and no --subresource", args[1])
		}
		if namespace != "" {
			fmt.Fprintf(a.stderr, "apiguard: note: -n is ignored for the non-resource URL %s: only ClusterRoleBindings grant URLs\n", args[1])
		}
		req.Path = args[1]
		return req, nil
	}
	res, err := rbac.ParseResource(args[1])
	if err != nil {
		return req, usageErr("RESOURCE %v", err)
	}
	if subresource != "" {
		if res.Subresource != "" {
			return req, usageErr("subresource given twice (%s and --subresource %s)", args[1], subresource)
		}
		res.Subresource = subresource
	}
	if res.Inferred {
		fmt.Fprintf(a.stderr, "apiguard: note: %s means %s.%s, the built-in resource's group\n", res.Resource, res.Resource, res.Group)
	}
	req.APIGroup, req.Resource, req.Subresource = res.Group, res.Resource, res.Subresource
	if len(args) > 2 {
		req.Name = args[2]
	}
	req.Namespace = namespace
	switch {
	case res.Builtin && res.Group == "" && res.Resource == "namespaces" && req.Name != "":
		// GET /api/v1/namespaces/NAME carries namespace NAME
		// (apiserver's RequestInfoFactory), so a RoleBinding in that
		// namespace can grant access to the namespace itself.
		if namespace != "" && namespace != req.Name {
			fmt.Fprintf(a.stderr, "apiguard: note: a request for namespace %s is in namespace %s; -n %s is ignored\n", req.Name, req.Name, namespace)
		}
		req.Namespace = req.Name
	case res.ClusterScoped && namespace != "":
		fmt.Fprintf(a.stderr, "apiguard: note: %s is cluster-scoped: -n is ignored (RoleBindings never grant it)\n", res.String())
		req.Namespace = ""
	}
	return req, nil
}

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
			req, err := a.parseRequest(args, subresource, q.namespace)
			if err != nil {
				return err
			}
			req.User, req.Groups = q.user, q.groups
			p, err := a.loadPolicy(cmd.Context(), from)
			if err != nil {
				return err
			}
			ok, grants := p.Allowed(req)
			if !quiet {
				a.noteBuiltins(p)
				if ok {
					fmt.Fprintln(a.stdout, "yes")
				} else {
					fmt.Fprintln(a.stdout, "no")
				}
				if explain {
					rbacPrintExplain(a.stdout, req, ok, grants)
				}
			}
			if !ok {
				return &exitError{code: ExitFindings}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&from, "from", nil, "kubectl dump file or directory to read instead of the cluster (repeatable)")
	cmd.Flags().BoolVarP(&explain, "explain", "v", false, "print the bindings, roles and rules that allow it, and the groups considered")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print nothing; the exit code is the answer")
	cmd.Flags().StringVar(&subresource, "subresource", "", "subresource, as kubectl's flag (same as RESOURCE/SUBRESOURCE)")
	a.rbacKubeFlags(cmd, "the user the question is about: a user name or system:serviceaccount:NS:NAME (required; never impersonated)",
		"a group of that user, besides the implicit ones (repeatable; never impersonated)")
	return cmd
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

func rbacDescribe(req rbac.Request) string {
	if !req.IsResourceRequest() {
		return req.Verb + " " + req.Path
	}
	s := req.Verb + " " + rbac.ResourceArg{Group: req.APIGroup, Resource: req.Resource, Subresource: req.Subresource}.String()
	if req.Name != "" {
		s += " " + req.Name
	}
	if req.Namespace != "" {
		s += " in namespace " + req.Namespace
	} else {
		s += " cluster-wide"
	}
	return s
}

func rbacPrintExplain(w io.Writer, req rbac.Request, ok bool, grants []rbac.Grant) {
	fmt.Fprintf(w, "request: %s\n", rbacDescribe(req))
	fmt.Fprintf(w, "user: %s\n", req.User)
	fmt.Fprintf(w, "groups: %s\n", strings.Join(rbac.EffectiveGroups(req.User, req.Groups), ", "))
	if !ok {
		if req.Namespace != "" {
			fmt.Fprintf(w, "no ClusterRoleBinding, and no RoleBinding in namespace %s, grants it to the user or its groups\n", req.Namespace)
		} else {
			fmt.Fprintln(w, "no ClusterRoleBinding grants it to the user or its groups (RoleBindings apply only with -n)")
		}
		return
	}
	fmt.Fprintln(w, "allowed by:")
	for _, g := range grants {
		if g.BindingKind == rbac.KindPrivilegedGroup {
			fmt.Fprintf(w, "  group %s: %s\n", rbac.PrivilegedGroup, g.Rule)
			continue
		}
		fmt.Fprintf(w, "  %s (subject %s) → %s%s rule %d %s\n", g.Binding(), rbacSubjectText(g.Subject), g.Role(), g.AssumedNote(), g.RuleIndex, g.Rule)
	}
}

func rbacSubjectText(s rbacv1.Subject) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		return s.Kind + " " + s.Namespace + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

// rbacVia is one grant in who-can and policy JSON output.
type rbacVia struct {
	Binding   string `json:"binding"`             // "ClusterRoleBinding/NAME", "RoleBinding/NAME" or "PrivilegedGroup/system:masters"
	Namespace string `json:"namespace,omitempty"` // the RoleBinding's namespace
	Role      string `json:"role,omitempty"`      // "ClusterRole/NAME" or "Role/NAME" (in the binding's namespace)
	RuleIndex *int   `json:"ruleIndex,omitempty"` // index of the matching rule in the role
	Rule      string `json:"rule"`                // the rule, in kube-apiserver's compact form
	Subject   string `json:"subject,omitempty"`   // policy: the binding subject that matched ("Group system:authenticated")
	Assumed   string `json:"assumed,omitempty"`   // "binding", "role" or "binding and role": an assumed built-in, not in the input
}

func rbacViaOf(g rbac.Grant) rbacVia {
	v := rbacVia{Binding: g.BindingKind + "/" + g.BindingName, Namespace: g.BindingNamespace, Rule: g.Rule, Assumed: g.Assumed}
	if g.RoleKind != "" {
		v.Role = g.RoleKind + "/" + g.RoleName
		i := g.RuleIndex
		v.RuleIndex = &i
	}
	return v
}

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
			if q.user != "" || len(q.groups) > 0 || q.uid != "" || len(q.extra) > 0 {
				return usageErr("--as and --as-group do not apply to who-can (rbac commands never impersonate)")
			}
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			req, err := a.parseRequest(args, subresource, q.namespace)
			if err != nil {
				return err
			}
			p, err := a.loadPolicy(cmd.Context(), from)
			if err != nil {
				return err
			}
			subjects := p.WhoCan(req)
			a.noteBuiltins(p)
			if format == "json" {
				type subjectJSON struct {
					Kind      string    `json:"kind"`
					Name      string    `json:"name"`
					Namespace string    `json:"namespace,omitempty"`
					Via       []rbacVia `json:"via"`
				}
				out := make([]subjectJSON, 0, len(subjects))
				for _, s := range subjects {
					j := subjectJSON{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace, Via: make([]rbacVia, 0, len(s.Grants))}
					for _, g := range s.Grants {
						j.Via = append(j.Via, rbacViaOf(g))
					}
					out = append(out, j)
				}
				return writeJSON(a.stdout, out)
			}
			fmt.Fprintf(a.stdout, "# who can %s\n", rbacDescribe(req))
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KIND\tNAMESPACE\tNAME\tVIA")
			for _, s := range subjects {
				for _, g := range s.Grants {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Kind, report.Dash(s.Namespace), s.Name, rbacGrantText(g))
				}
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringArrayVar(&from, "from", nil, "kubectl dump file or directory to read instead of the cluster (repeatable)")
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output format: table or json")
	cmd.Flags().StringVar(&subresource, "subresource", "", "subresource, as kubectl's flag (same as RESOURCE/SUBRESOURCE)")
	a.rbacKubeFlags(cmd, "", "")
	return cmd
}

func rbacGrantText(g rbac.Grant) string {
	if g.BindingKind == rbac.KindPrivilegedGroup {
		return "kube-apiserver's privileged group (before RBAC; no binding can revoke it)"
	}
	return g.Binding() + " → " + g.Role() + g.AssumedNote()
}

// parseSubject reads user:NAME, group:NAME, sa:NS/NAME (or
// serviceaccount:NS/NAME) and system:serviceaccount:NS:NAME.
func rbacParseSubject(s string) (rbac.Subject, error) {
	if ns, name, ok := rbac.SplitServiceAccountUsername(s); ok {
		return rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: ns, Name: name}, nil
	}
	prefix, rest, ok := strings.Cut(s, ":")
	if ok && rest != "" {
		switch strings.ToLower(prefix) {
		case "user", "u":
			return rbac.Subject{Kind: rbac.KindUser, Name: rest}, nil
		case "group", "g":
			return rbac.Subject{Kind: rbac.KindGroup, Name: rest}, nil
		case "sa", "serviceaccount":
			ns, name, ok := strings.Cut(rest, "/")
			if ok && ns != "" && name != "" && !strings.Contains(name, "/") {
				return rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: ns, Name: name}, nil
			}
		}
	}
	return rbac.Subject{}, usageErr("SUBJECT %q: want user:NAME, group:NAME, sa:NAMESPACE/NAME or system:serviceaccount:NAMESPACE:NAME", s)
}

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
			subject, err := rbacParseSubject(args[0])
			if err != nil {
				return err
			}
			p, err := a.loadPolicy(cmd.Context(), from)
			if err != nil {
				return err
			}
			a.noteBuiltins(p)
			var rules []rbac.EffectiveRule
			for _, r := range p.RulesFor(subject, q.groups...) {
				if q.namespace == "" || r.Namespace == "" || r.Namespace == q.namespace {
					rules = append(rules, r)
				}
			}
			if format == "json" {
				type ruleJSON struct {
					Namespace string            `json:"namespace"`
					Rule      rbacv1.PolicyRule `json:"rule"`
					Via       rbacVia           `json:"via"`
				}
				out := make([]ruleJSON, 0, len(rules))
				for _, r := range rules {
					v := rbacViaOf(r.Grant)
					v.Subject = rbacSubjectText(r.Grant.Subject)
					out = append(out, ruleJSON{Namespace: r.Namespace, Rule: r.Rule, Via: v})
				}
				return writeJSON(a.stdout, out)
			}
			fmt.Fprintf(a.stdout, "# rules of %s\n", subject.String())
			if len(rules) == 0 {
				fmt.Fprintln(a.stdout, "# none: no binding names it or its groups")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAMESPACE\tVERBS\tAPIGROUPS\tRESOURCES\tRESOURCENAMES\tNONRESOURCEURLS\tVIA")
			for _, r := range rules {
				ns := r.Namespace
				if ns == "" {
					ns = "*"
				}
				via := rbacGrantText(r.Grant)
				if r.Grant.BindingKind != rbac.KindPrivilegedGroup {
					via += " (" + rbacSubjectText(r.Grant.Subject) + ")"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ns, rbacList(r.Rule.Verbs), rbacGroups(r.Rule.APIGroups), rbacList(r.Rule.Resources),
					rbacList(r.Rule.ResourceNames), rbacList(r.Rule.NonResourceURLs), via)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringArrayVar(&from, "from", nil, "kubectl dump file or directory to read instead of the cluster (repeatable)")
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output format: table or json")
	a.rbacKubeFlags(cmd, "", "a group the user belongs to, whose rules are added (repeatable; never impersonated)")
	if fl := cmd.Flags().Lookup("namespace"); fl != nil {
		fl.Usage = "show cluster-wide rules and those of this namespace only"
	}
	return cmd
}

func rbacList(l []string) string {
	if len(l) == 0 {
		return "-"
	}
	return strings.Join(l, ",")
}

// groups shows the core group as "" so it is not mistaken for none.
func rbacGroups(l []string) string {
	if len(l) == 0 {
		return "-"
	}
	out := make([]string, len(l))
	for i, g := range l {
		if g == "" {
			g = `""`
		}
		out[i] = g
	}
	return strings.Join(out, ",")
}
