package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/apiguard/apiguard/internal/rbac"
)

// The renderings of the rbac queries (can-i, who-can, policy): text
// tables and the documents of -o json (docs/rbac.md, "JSON").

// rbacMaxProblems bounds the input warnings listed before a summary line.
const rbacMaxProblems = 20

// RBACWarnings is the input problems of a model as warning texts, at most
// rbacMaxProblems of them and then a count of the rest.
func RBACWarnings(p *rbac.Policy) []string {
	var out []string
	for i, pr := range p.Problems {
		if i == rbacMaxProblems {
			out = append(out, fmt.Sprintf("... and %d more input problems", len(p.Problems)-rbacMaxProblems))
			break
		}
		out = append(out, pr.String())
	}
	return out
}

// RBACDescribe is a request in words: "get pods/log in namespace dev",
// "list pods cluster-wide", "get /healthz".
func RBACDescribe(req rbac.Request) string {
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

// RBACCanI prints can-i's answer ("yes" or "no") and, with explain, the
// request, the groups considered and the grants that allow it.
func RBACCanI(w io.Writer, req rbac.Request, ok bool, grants []rbac.Grant, explain bool) {
	if ok {
		fmt.Fprintln(w, "yes")
	} else {
		fmt.Fprintln(w, "no")
	}
	if !explain {
		return
	}
	fmt.Fprintf(w, "request: %s\n", RBACDescribe(req))
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

// rbacGrantText is a grant in a table's VIA column.
func rbacGrantText(g rbac.Grant) string {
	if g.BindingKind == rbac.KindPrivilegedGroup {
		return "kube-apiserver's privileged group (before RBAC; no binding can revoke it)"
	}
	return g.Binding() + " → " + g.Role() + g.AssumedNote()
}

// RBACWhoCanJSON is who-can's -o json document:
// [{"kind","name","namespace","via":[...]}].
func RBACWhoCanJSON(subjects []rbac.Subject) any {
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
	return out
}

// RBACWhoCanTable prints who-can's table: one line a grant.
func RBACWhoCanTable(w io.Writer, req rbac.Request, subjects []rbac.Subject) error {
	fmt.Fprintf(w, "# who can %s\n", RBACDescribe(req))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAMESPACE\tNAME\tVIA")
	for _, s := range subjects {
		for _, g := range s.Grants {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Kind, Dash(s.Namespace), s.Name, rbacGrantText(g))
		}
	}
	return tw.Flush()
}

// RBACPolicyJSON is policy's -o json document:
// [{"namespace","rule":{...},"via":{...}}].
func RBACPolicyJSON(rules []rbac.EffectiveRule) any {
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
	return out
}

// RBACPolicyTable prints policy's table: one line a rule, * for
// cluster-wide.
func RBACPolicyTable(w io.Writer, subject rbac.Subject, rules []rbac.EffectiveRule) error {
	fmt.Fprintf(w, "# rules of %s\n", subject.String())
	if len(rules) == 0 {
		fmt.Fprintln(w, "# none: no binding names it or its groups")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
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
}

func rbacList(l []string) string {
	if len(l) == 0 {
		return "-"
	}
	return strings.Join(l, ",")
}

// rbacGroups shows the core group as "" so it is not mistaken for none.
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
