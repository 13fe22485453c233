package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/apiguard/apiguard/internal/rbac"
)

// The renderings of rbac admins and rbac paths.

// RBACMissingRoles says which bindings name a role that does not resolve
// (they grant nothing: no path goes through them), or "".
func RBACMissingRoles(p *rbac.Policy) string {
	missing := p.MissingRoles()
	if len(missing) == 0 {
		return ""
	}
	names := missing
	if len(names) > 5 {
		names = append(append([]string(nil), names[:5]...), fmt.Sprintf("and %d more", len(missing)-5))
	}
	return fmt.Sprintf("%d binding(s) name a role that %s, and grant nothing (AG-AUTHZ-026): %s",
		len(missing), p.MissingRoleText(), strings.Join(names, ", "))
}

// rbacAssumptions prints, as "#" lines, the built-ins assumed and the
// bindings whose role is neither in the input nor built in.
func rbacAssumptions(w io.Writer, p *rbac.Policy) {
	for _, l := range rbacAssumptionLines(p) {
		fmt.Fprintf(w, "# %s\n", l)
	}
}

// rbacAssumptionLines are the built-ins assumed and the bindings whose
// role is missing, a line each (none when there are neither).
func rbacAssumptionLines(p *rbac.Policy) []string {
	var out []string
	if s := p.Builtins.Summary(); s != "" {
		out = append(out, s)
	}
	if s := RBACMissingRoles(p); s != "" {
		out = append(out, s)
	}
	return out
}

// rbacSteps prints numbered steps, each with its grants below.
func rbacSteps(w io.Writer, indent string, steps []rbac.Step) {
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

// RBACAdminsText prints rbac admins: a summary line, the assumptions and
// the gap as "#" lines, then each subject with its steps indented.
func RBACAdminsText(w io.Writer, p *rbac.Policy, admins []rbac.Admin, gap string) {
	direct, builtin := adminCounts(admins)
	fmt.Fprintf(w, "# %d subjects hold or can reach cluster-admin power (%d directly, %d through other identities; builtin, Kubernetes' own by default bindings: %d)\n",
		len(admins), direct, len(admins)-direct, builtin)
	rbacAssumptions(w, p)
	if gap != "" {
		fmt.Fprintf(w, "# not assessed: %s\n", gap)
	}
	if cuts := p.Analysis().Cuts(); len(cuts) > 0 {
		c := cuts[0]
		fmt.Fprintf(w, "# remove first: %s (→ %s) alone cuts %d subject(s) off cluster-admin power (%d binding(s) alone cut someone off; -o html ranks them)\n",
			c.Binding, c.Role, len(c.Subjects), len(cuts))
	}
	for _, ad := range admins {
		how := rbacStepsWord(len(ad.Path))
		if ad.Direct {
			how = "direct"
		}
		if ad.Builtin {
			how += ", builtin"
		}
		fmt.Fprintf(w, "%s (%s)\n", ad.Subject, how)
		rbacSteps(w, "  ", ad.Path)
	}
}

// RBACPathsJSON is rbac paths' -o json document:
// {"subject","paths":[[...]],"builtInRolesAssumed"}.
func RBACPathsJSON(p *rbac.Policy, subject rbac.SubjectRef, paths [][]rbac.Step) any {
	out := struct {
		Subject rbac.SubjectRef `json:"subject"`
		Paths   [][]rbac.Step   `json:"paths"`
		// BuiltInRolesAssumed is the Kubernetes version whose built-in
		// roles and bindings were assumed, when the input lacked some.
		BuiltInRolesAssumed string `json:"builtInRolesAssumed,omitempty"`
	}{Subject: subject, Paths: paths}
	if p.Builtins.Count() > 0 {
		out.BuiltInRolesAssumed = p.Builtins.Version
	}
	if out.Paths == nil {
		out.Paths = [][]rbac.Step{}
	}
	return out
}

// RBACPathsText prints rbac paths: a sentence when there is none, else a
// summary line and each path's steps.
func RBACPathsText(w io.Writer, p *rbac.Policy, subject rbac.SubjectRef, paths [][]rbac.Step, gap string) {
	if len(paths) == 0 {
		fmt.Fprintf(w, "%s has no path to cluster-admin power: nothing it or its groups hold leads there.\n", subject)
		rbacAssumptions(w, p)
	} else {
		n := fmt.Sprintf("%d paths", len(paths))
		if len(paths) == 1 {
			n = "1 path"
		}
		fmt.Fprintf(w, "# %s reaches cluster-admin power in %s (%s, the shortest)\n", subject, rbacStepsWord(len(paths[0])), n)
		rbacAssumptions(w, p)
		for i, path := range paths {
			fmt.Fprintf(w, "path %d:\n", i+1)
			rbacSteps(w, "  ", path)
		}
	}
	if gap != "" {
		fmt.Fprintf(w, "# not assessed: %s\n", gap)
	}
}

// adminCounts counts the admins that hold the power directly, and those
// that are Kubernetes' own by default bindings.
func adminCounts(admins []rbac.Admin) (direct, builtin int) {
	for _, ad := range admins {
		if ad.Direct {
			direct++
		}
		if ad.Builtin {
			builtin++
		}
	}
	return direct, builtin
}
