package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/apiguard/apiguard/internal/rbacusage"
)

// tabwriterTable is the table as text/tabwriter aligns it, the whole
// report buffered (RBACUsageTable measures first, then writes).
func tabwriterTable(w io.Writer, r *rbacusage.Report) error {
	for _, l := range usageHeader(r) {
		fmt.Fprintln(w, "# "+l)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(usageTableHead[:], "\t"))
	for i := range r.Subjects {
		usageTableLines(&r.Subjects[i], func(c [5]string) { fmt.Fprintln(tw, strings.Join(c[:], "\t")) })
	}
	return tw.Flush()
}

// TestRBACUsageTableAlignsAsTabwriter: every column as wide as its widest
// cell (counted in runes) plus 2, whatever the subject that sets it.
func TestRBACUsageTableAlignsAsTabwriter(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	rule := func(n int64, verbs ...string) rbacusage.RuleUsage {
		return rbacusage.RuleUsage{Verbs: verbs, APIGroups: []string{""}, Resources: []string{"pods"}, Used: n > 0, Requests: n}
	}
	sub := func(kind, name string, b ...rbacusage.BindingUsage) rbacusage.SubjectUsage {
		return rbacusage.SubjectUsage{Subject: rbacusage.SubjectKey{Kind: kind, Name: name}, Bindings: b, Denied: []rbacusage.DeniedUsage{}}
	}
	crb := func(name string, rules ...rbacusage.RuleUsage) rbacusage.BindingUsage {
		return rbacusage.BindingUsage{Kind: "ClusterRoleBinding", Name: name, RoleRef: rbacusage.RoleRef{Kind: "ClusterRole", Name: name}, Rules: rules}
	}
	long := sub("User", "a-very-long-user-name-that-sets-the-first-column@example.com", crb("b", rule(0, "get")))
	long.Requests, long.LastSeen, long.Unattributed, long.Members = 123456789, &at, 7, []string{"x", "y"}
	long.Denied = []rbacusage.DeniedUsage{{DeniedKey: rbacusage.DeniedKey{Verb: "delete", Resource: "secrets", Namespace: "kube-system"}, Requests: 1234567}}
	for _, tc := range []struct {
		name string
		r    rbacusage.Report
	}{
		{"no subject", rbacusage.Report{Note: rbacusage.NoPolicyNote}},
		{"header widest", rbacusage.Report{Subjects: []rbacusage.SubjectUsage{sub("User", "a")}}},
		{"unicode and wide cells", rbacusage.Report{Events: 3, Window: rbacusage.Window{From: &at, To: &at}, Subjects: []rbacusage.SubjectUsage{
			sub("Group", "ébène-ünïcode", crb("röle→x", rule(3, "get", "list", "watch"), rule(0, "*"))),
			long,
			sub("ServiceAccount", "sa", crb("short")),
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want, got, walked bytes.Buffer
			if err := tabwriterTable(&want, &tc.r); err != nil {
				t.Fatal(err)
			}
			if err := RBACUsageTable(&got, &tc.r); err != nil {
				t.Fatal(err)
			}
			if err := RBACUsageTable(&walked, eachOnly{&tc.r}); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() || walked.String() != want.String() {
				t.Errorf("got:\n%s\nwalked:\n%s\nwant:\n%s", got.String(), walked.String(), want.String())
			}
		})
	}
}
