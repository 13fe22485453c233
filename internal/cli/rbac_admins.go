package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/rbac"
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

// rbacPrintSteps prints numbered steps, each with its grants below.
func rbacPrintSteps(w io.Writer, indent string, steps []rbac.Step) {
	for i, s := range steps {
		fmt.Fprintf(w, "%s%d. %s\n", indent, i+1, s.Action)
		fmt.Fprintf(w, "%s   via %s\n", indent, s.Via)
	}
}

func rbacStepsWord(n int) string {
	if n == 1 {
		return "1 step"
	}
	return fmt.Sprintf("%d steps", n)
}

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
			q := a.takeQuestionFlags()
			if q.user != "" || len(q.groups) > 0 || q.uid != "" || len(q.extra) > 0 {
				return usageErr("--as and --as-group do not apply to admins (rbac commands never impersonate)")
			}
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			p, err := a.loadPolicy(cmd.Context(), from)
			if err != nil {
				return err
			}
			admins := p.Analysis().Admins
			gap := tokenPathsGap(p)
			if format == "json" {
				a.noteBuiltins(p)
				a.noteMissingRoles(p)
				a.noteGap(gap)
				return writeJSON(a.stdout, admins)
			}
			direct, builtin := 0, 0
			for _, ad := range admins {
				if ad.Direct {
					direct++
				}
				if ad.Builtin {
					builtin++
				}
			}
			fmt.Fprintf(a.stdout, "# %d subjects hold or can reach cluster-admin power (%d directly, %d through other identities; builtin, Kubernetes' own by default bindings: %d)\n",
				len(admins), direct, len(admins)-direct, builtin)
			rbacPrintAssumptions(a.stdout, p)
			if gap != "" {
				fmt.Fprintf(a.stdout, "# not assessed: %s\n", gap)
			}
			for _, ad := range admins {
				how := rbacStepsWord(len(ad.Path))
				if ad.Direct {
					how = "direct"
				}
				if ad.Builtin {
					how += ", builtin"
				}
				fmt.Fprintf(a.stdout, "%s (%s)\n", ad.Subject, how)
				rbacPrintSteps(a.stdout, "  ", ad.Path)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&from, "from", nil, "kubectl dump file or directory to read instead of the cluster (repeatable)")
	cmd.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
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
			q := a.takeQuestionFlags()
			if q.user != "" || len(q.groups) > 0 || q.uid != "" || len(q.extra) > 0 {
				return usageErr("--as and --as-group do not apply to paths: the subject is the SUBJECT argument (rbac commands never impersonate)")
			}
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			s, err := rbacParseSubject(args[0])
			if err != nil {
				return err
			}
			ref := rbac.SubjectRef{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace}
			p, err := a.loadPolicy(cmd.Context(), from)
			if err != nil {
				return err
			}
			paths := p.Analysis().Paths(ref)
			gap := tokenPathsGap(p)
			if format == "json" {
				a.noteBuiltins(p)
				a.noteMissingRoles(p)
				a.noteGap(gap)
				out := struct {
					Subject rbac.SubjectRef `json:"subject"`
					Paths   [][]rbac.Step   `json:"paths"`
					// BuiltInRolesAssumed is the Kubernetes version whose
					// built-in roles and bindings were assumed, when the
					// input lacked some.
					BuiltInRolesAssumed string `json:"builtInRolesAssumed,omitempty"`
				}{Subject: ref, Paths: paths}
				if p.Builtins.Count() > 0 {
					out.BuiltInRolesAssumed = p.Builtins.Version
				}
				if out.Paths == nil {
					out.Paths = [][]rbac.Step{}
				}
				return writeJSON(a.stdout, out)
			}
			if len(paths) == 0 {
				fmt.Fprintf(a.stdout, "%s has no path to cluster-admin power: nothing it or its groups hold leads there.\n", ref)
				rbacPrintAssumptions(a.stdout, p)
			} else {
				n := fmt.Sprintf("%d paths", len(paths))
				if len(paths) == 1 {
					n = "1 path"
				}
				fmt.Fprintf(a.stdout, "# %s reaches cluster-admin power in %s (%s, the shortest)\n", ref, rbacStepsWord(len(paths[0])), n)
				rbacPrintAssumptions(a.stdout, p)
				for i, path := range paths {
					fmt.Fprintf(a.stdout, "path %d:\n", i+1)
					rbacPrintSteps(a.stdout, "  ", path)
				}
			}
			if gap != "" {
				fmt.Fprintf(a.stdout, "# not assessed: %s\n", gap)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&from, "from", nil, "kubectl dump file or directory to read instead of the cluster (repeatable)")
	cmd.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	a.rbacKubeFlags(cmd, "", "")
	return cmd
}

// tokenPathsGap says which paths were not assessed because the legacy
// token Secrets could not be read (live, without the opt-in
// Secret-inventory role), when someone beyond the defaults and the cluster
// admins may read Secrets; "" otherwise.
func tokenPathsGap(p *rbac.Policy) string {
	if p.SecretsUnavailable == "" {
		return ""
	}
	readers := p.Analysis().SecretReaders()
	if len(readers) == 0 {
		return ""
	}
	names := make([]string, 0, len(readers))
	for i, r := range readers {
		if i == 5 {
			names = append(names, fmt.Sprintf("and %d more", len(readers)-5))
			break
		}
		names = append(names, r.String())
	}
	return fmt.Sprintf("paths through legacy ServiceAccount token Secrets, which %d subject(s) may read (%s): %s",
		len(readers), strings.Join(names, ", "), p.SecretsUnavailable)
}

// rbacPrintAssumptions prints, as "#" lines, the built-ins assumed and the
// bindings whose role is neither in the input nor built in.
func rbacPrintAssumptions(w io.Writer, p *rbac.Policy) {
	if s := p.Builtins.Summary(); s != "" {
		fmt.Fprintf(w, "# %s\n", s)
	}
	if s := missingRolesText(p); s != "" {
		fmt.Fprintf(w, "# %s\n", s)
	}
}

// missingRolesText says which bindings name a role that does not resolve
// (they grant nothing: no path goes through them), or "".
func missingRolesText(p *rbac.Policy) string {
	missing := p.MissingRoles()
	if len(missing) == 0 {
		return ""
	}
	list := missing
	if len(list) > 5 {
		list = append(append([]string(nil), list[:5]...), fmt.Sprintf("and %d more", len(missing)-5))
	}
	return fmt.Sprintf("%d binding(s) name a role that %s, and grant nothing (AG-AUTHZ-026): %s",
		len(missing), p.MissingRoleText(), strings.Join(list, ", "))
}

// noteMissingRoles prints missingRolesText on stderr (for -o json).
func (a *env) noteMissingRoles(p *rbac.Policy) {
	if s := missingRolesText(p); s != "" {
		fmt.Fprintln(a.stderr, "apiguard: note: "+s)
	}
}

// noteGap prints the gap on stderr (for -o json, whose stdout is data).
func (a *env) noteGap(gap string) {
	if gap != "" {
		fmt.Fprintln(a.stderr, "apiguard: note: not assessed: "+gap)
	}
}
