package authorization

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

func TestUnusedPermissions(t *testing.T) {
	from, to := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 12, 20, 0, 0, time.UTC)
	usage := func(subs ...inputs.UsageSubject) *inputs.AuditUsage {
		return &inputs.AuditUsage{Logs: []string{"audit.log"}, From: &from, To: &to, Events: 3, Subjects: subs}
	}
	rule := func(r string, n int64, blind bool) inputs.UsageRule {
		return inputs.UsageRule{Rule: r, Requests: n, Blind: blind}
	}
	binding := func(name string, def bool, rules ...inputs.UsageRule) inputs.UsageBinding {
		return inputs.UsageBinding{Binding: name, Role: "ClusterRole r", Default: def, Rules: rules}
	}
	alice := inputs.UsageSubject{Kind: "User", Name: "alice", Requests: 2, LastSeen: &to,
		Bindings: []inputs.UsageBinding{binding("ClusterRoleBinding a", false, rule("get pods", 2, false), rule("get secrets", 0, false))}}
	for _, c := range []struct {
		name string
		u    *inputs.AuditUsage
		// want: one "status resource" per finding; in: substrings of the
		// findings' messages, evidence and fix, joined.
		want []string
		in   []string
		out  []string
	}{
		{"no audit log", nil, []string{"not-assessable cluster RBAC"}, []string{"--audit"}, nil},
		{"no RBAC model", &inputs.AuditUsage{Unavailable: "no RBAC objects were read"}, []string{"not-assessable cluster RBAC"}, []string{"no RBAC objects"}, nil},
		{"all used", usage(inputs.UsageSubject{Kind: "User", Name: "bob", Requests: 1,
			Bindings: []inputs.UsageBinding{binding("ClusterRoleBinding b", false, rule("get pods", 1, false))}}),
			[]string{"pass cluster RBAC"}, []string{"every subject used"}, nil},
		{"unused rule", usage(alice), []string{"fail User alice"},
			[]string{"holds 1 rule(s) it did not use", "unused=get secrets", "ClusterRoleBinding a → ClusterRole r", "requests=2", "rbac minimize user:alice --audit audit.log", "2026-11-01T12:00:00Z to 2026-11-01T12:20:00Z"},
			[]string{"get pods"}},
		{"no request at all", usage(inputs.UsageSubject{Kind: "ServiceAccount", Namespace: "web", Name: "fe",
			Bindings: []inputs.UsageBinding{binding("RoleBinding web/fe", false, rule("get configmaps", 0, false))}}),
			[]string{"fail ServiceAccount web/fe"}, []string{"made no request", "rbac minimize sa:web/fe"}, nil},
		{"blind rule not judged", usage(inputs.UsageSubject{Kind: "User", Name: "carol", Requests: 1,
			Bindings: []inputs.UsageBinding{binding("ClusterRoleBinding c", false, rule("get pods", 1, false), rule("get events", 0, true))}}),
			[]string{"pass cluster RBAC"}, nil, nil},
		{"blind rule mentioned", usage(inputs.UsageSubject{Kind: "User", Name: "carol", Requests: 1,
			Bindings: []inputs.UsageBinding{binding("ClusterRoleBinding c", false, rule("get secrets", 0, false), rule("get events", 0, true))}}),
			[]string{"fail User carol"}, []string{"1 blind rule(s)", "blind, not judged=get events"}, nil},
		{"system user on default bindings skipped", usage(inputs.UsageSubject{Kind: "User", Name: "system:kube-scheduler",
			Bindings: []inputs.UsageBinding{binding("ClusterRoleBinding system:kube-scheduler", true, rule("create events", 0, false))}}),
			[]string{"pass cluster RBAC"}, nil, nil},
		{"kube-system SA on a non-default binding judged", usage(inputs.UsageSubject{Kind: "ServiceAccount", Namespace: "kube-system", Name: "ctl",
			Bindings: []inputs.UsageBinding{binding("ClusterRoleBinding system:x", true, rule("get nodes", 0, false)),
				binding("ClusterRoleBinding extra", false, rule("delete pods", 0, false))}}),
			[]string{"fail ServiceAccount kube-system/ctl"}, []string{"unused=delete pods"}, []string{"get nodes"}},
		{"non-system user on a default binding judged", usage(inputs.UsageSubject{Kind: "User", Name: "erin",
			Bindings: []inputs.UsageBinding{binding("ClusterRoleBinding cluster-admin", true, rule("* *.*", 0, false))}}),
			[]string{"fail User erin"}, nil, nil},
		{"minimized roles embedded", usage(func() inputs.UsageSubject {
			s := alice
			s.Minimized = "apiVersion: v1\nkind: List\n"
			return s
		}()), []string{"fail User alice"}, []string{"The minimized roles:\napiVersion: v1\nkind: List"}, nil},
		{"minimized note", usage(func() inputs.UsageSubject {
			s := alice
			s.MinimizedNote = "(not shown: stdin)"
			return s
		}()), []string{"fail User alice"}, []string{"(not shown: stdin)"}, []string{"The minimized roles"}},
	} {
		s := inputs.New("t", "offline")
		s.AuditUsage = c.u
		fs := UnusedPermissions.Run(context.Background(), s)
		var got []string
		var text strings.Builder
		for _, f := range fs {
			if f.CheckID != "AG-AUTHZ-030" || f.Severity != check.Medium {
				t.Errorf("%s: finding %s severity %s", c.name, f.CheckID, f.Severity)
			}
			got = append(got, string(f.Status)+" "+f.Resource)
			text.WriteString(f.Message + "\n" + f.Remediation + "\n")
			for _, e := range f.Evidence {
				text.WriteString(e.Key + "=" + e.Value + "  (" + e.Source + ")\n")
			}
		}
		if strings.Join(got, "; ") != strings.Join(c.want, "; ") {
			t.Errorf("%s: findings %q, want %q", c.name, got, c.want)
		}
		for _, w := range c.in {
			if !strings.Contains(text.String(), w) {
				t.Errorf("%s: %q not in\n%s", c.name, w, text.String())
			}
		}
		for _, w := range c.out {
			if strings.Contains(text.String(), w) {
				t.Errorf("%s: %q should not be in\n%s", c.name, w, text.String())
			}
		}
	}
}
