package adminpower

import (
	"sort"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
	"github.com/apiguard/apiguard/internal/checks/rbacinput"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/rbac"
)

const (
	clusterAdmin = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin}
rules:
- {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
- {nonResourceURLs: ["*"], verbs: ["*"]}`
	podCreator = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-creator}
rules:
- {apiGroups: [""], resources: [pods], verbs: [create]}`
)

func crb(name, role, kind, subject, ns string) string {
	s := "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: " + name + "}\n" +
		"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: " + role + "}\n"
	if kind == "ServiceAccount" {
		return s + "subjects: [{kind: ServiceAccount, name: " + subject + ", namespace: " + ns + "}]"
	}
	return s + "subjects: [{apiGroup: rbac.authorization.k8s.io, kind: " + kind + ", name: \"" + subject + "\"}]"
}

func rb(ns, name, role, kind, subject string) string {
	return "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: " + name + ", namespace: " + ns + "}\n" +
		"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: " + role + "}\n" +
		"subjects: [{apiGroup: rbac.authorization.k8s.io, kind: " + kind + ", name: \"" + subject + "\"}]"
}

func sa(ns, name string) string {
	return "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: " + name + ", namespace: " + ns + "}"
}

func TestDirectAdmins(t *testing.T) {
	ct.Table(t, DirectAdmins, []ct.Case{
		{Name: "admins group", Snap: ct.RBAC(t, clusterAdmin, crb("admins", "cluster-admin", "Group", "platform-admins", "")), Want: check.Warn, Contains: "Group platform-admins"},
		{Name: "ServiceAccount", Snap: ct.RBAC(t, clusterAdmin, sa("ci", "deployer"), crb("ci", "cluster-admin", "ServiceAccount", "deployer", "ci")), Want: check.Fail, Contains: "ServiceAccount ci/deployer"},
		{Name: "everyone", Snap: ct.RBAC(t, clusterAdmin, crb("oops", "cluster-admin", "Group", "system:authenticated", "")), Want: check.Fail, Contains: "everyone"},
		{Name: "RoleBinding to cluster-admin is not cluster admin", Snap: ct.RBAC(t, clusterAdmin, rb("team", "admins", "cluster-admin", "User", "alice")), Want: check.Pass},
		{Name: "no RBAC", Snap: ct.NoRBAC(), Want: check.NotAssessable},
	})
	f := ct.One(t, DirectAdmins, ct.RBAC(t, clusterAdmin, sa("ci", "deployer"), crb("ci", "cluster-admin", "ServiceAccount", "deployer", "ci")))
	if f.Severity != check.Critical || len(f.Path) != 1 || !strings.Contains(f.Path[0].Via, "ClusterRoleBinding ci") {
		t.Fatalf("severity %s path %+v", f.Severity, f.Path)
	}
}

func TestEscalationPaths(t *testing.T) {
	// alice may create pods in ci, where a ServiceAccount holds cluster-admin:
	// two steps to cluster-admin power.
	chain := []string{clusterAdmin, podCreator, sa("ci", "deployer"), crb("ci", "cluster-admin", "ServiceAccount", "deployer", "ci"),
		rb("ci", "alice-pods", "pod-creator", "User", "alice")}
	ct.Table(t, EscalationPaths, []ct.Case{
		{Name: "pod creation in a namespace with an admin ServiceAccount", Snap: ct.RBAC(t, chain...), Want: check.Fail, Contains: "User alice"},
		{Name: "pod creation elsewhere", Snap: ct.RBAC(t, clusterAdmin, podCreator, sa("ci", "deployer"), crb("ci", "cluster-admin", "ServiceAccount", "deployer", "ci"),
			rb("web", "alice-pods", "pod-creator", "User", "alice")), Want: check.Pass},
		{Name: "no RBAC", Snap: ct.NoRBAC(), Want: check.NotAssessable},
	})
	f := ct.One(t, EscalationPaths, ct.RBAC(t, chain...))
	if len(f.Path) < 2 || !strings.Contains(f.Path[0].Via, "RoleBinding ci/alice-pods") || !strings.Contains(f.Path[len(f.Path)-1].Via, "ClusterRoleBinding ci") {
		t.Fatalf("path %+v", f.Path)
	}
}

// A Kubernetes component whose default rights reach a user-made admin (the
// namespace controller reads every Secret, a legacy token among them) is
// not the finding: the admin ServiceAccount is, under AG-ADMIN-005.
func TestEscalationPathsSkipComponents(t *testing.T) {
	nsController := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:controller:namespace-controller
  labels: {kubernetes.io/bootstrapping: rbac-defaults}
  annotations: {rbac.authorization.kubernetes.io/autoupdate: "true"}
rules:
- {apiGroups: ["*"], resources: ["*"], verbs: [delete, deletecollection, get, list]}
- {apiGroups: [""], resources: [namespaces], verbs: [delete, get, list, watch]}
- {apiGroups: [""], resources: [namespaces/finalize, namespaces/status], verbs: [update]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: system:controller:namespace-controller
  labels: {kubernetes.io/bootstrapping: rbac-defaults}
  annotations: {rbac.authorization.kubernetes.io/autoupdate: "true"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:controller:namespace-controller}
subjects: [{kind: ServiceAccount, name: namespace-controller, namespace: kube-system}]`
	token := "apiVersion: v1\nkind: Secret\nmetadata: {name: deployer-token, namespace: ci, annotations: {kubernetes.io/service-account.name: deployer}}\ntype: kubernetes.io/service-account-token"
	s := ct.RBAC(t, clusterAdmin, nsController, sa("ci", "deployer"), token, crb("ci", "cluster-admin", "ServiceAccount", "deployer", "ci"))
	p := s.RBAC.Analysis()
	found := false
	for _, ad := range p.Admins {
		found = found || ad.Subject.Name == "namespace-controller"
	}
	if !found {
		t.Fatal("the analysis should find the namespace controller's path (secrets → ci/deployer)")
	}
	f := ct.One(t, EscalationPaths, s)
	if f.Status != check.Pass || !strings.Contains(f.Message, "1 Kubernetes component(s)") {
		t.Fatalf("%s: %s", f.Status, f.Message)
	}
}

// Without the token Secrets (the default collector role may not list
// them), the paths that read one are not assessed: said by a
// not-assessable finding naming the subjects that may read Secrets and
// the reason, never a silent pass; with no such subject nothing is missed.
func TestEscalationPathsWithoutTokenSecrets(t *testing.T) {
	secretReader := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get]}`
	token := "apiVersion: v1\nkind: Secret\nmetadata: {name: deployer-token, namespace: ci, annotations: {kubernetes.io/service-account.name: deployer}}\ntype: kubernetes.io/service-account-token"
	base := []string{clusterAdmin, secretReader, sa("ci", "deployer"), crb("ci", "cluster-admin", "ServiceAccount", "deployer", "ci"),
		rb("ci", "bob-secrets", "secret-reader", "User", "bob")}
	const why = "cannot list Secrets of type kubernetes.io/service-account-token (metadata only): bind apiguard-secret-inventory"

	// With the token Secret: bob reads it and becomes ci/deployer.
	withToken := ct.RBAC(t, append(base, token)...)
	if f := ct.One(t, EscalationPaths, withToken); f.Status != check.Fail || f.Resource != "User bob" {
		t.Fatalf("with the token Secret: %s %s: %s", f.Status, f.Resource, f.Message)
	}

	statuses := func(fs []check.Finding) string {
		var out []string
		for _, f := range fs {
			out = append(out, string(f.Status)+" "+f.Resource)
		}
		sort.Strings(out)
		return strings.Join(out, ", ")
	}
	for _, tc := range []struct {
		name string
		snap func() *inputs.Snapshot
		want string
	}{
		{"live, Secrets not listed", func() *inputs.Snapshot {
			s := ct.RBAC(t, base...)
			s.RBAC.SecretsUnavailable = why
			return s
		}, "not-assessable paths through legacy ServiceAccount token Secrets, pass cluster RBAC"},
		{"snapshot of such a scan", func() *inputs.Snapshot {
			s := ct.RBAC(t, base...)
			s.Credentials = &inputs.Credentials{ServiceAccountTokens: inputs.SATokenInventory{Unavailable: why}}
			return s
		}, "not-assessable paths through legacy ServiceAccount token Secrets, pass cluster RBAC"},
		{"Secrets not listed, but nobody beyond the admins reads Secrets", func() *inputs.Snapshot {
			s := ct.RBAC(t, clusterAdmin, secretReader, sa("ci", "deployer"), crb("ci", "cluster-admin", "ServiceAccount", "deployer", "ci"))
			s.RBAC.SecretsUnavailable = why
			return s
		}, "pass cluster RBAC"},
		{"a dump without Secrets: no claim either way", func() *inputs.Snapshot { return ct.RBAC(t, base...) }, "pass cluster RBAC"},
		{"the model holds the Secrets", func() *inputs.Snapshot {
			s := ct.RBAC(t, append(base, token)...)
			s.Credentials = &inputs.Credentials{ServiceAccountTokens: inputs.SATokenInventory{Unavailable: why}}
			return s
		}, "fail User bob"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := ct.Run(EscalationPaths, tc.snap())
			if got := statuses(fs); got != tc.want {
				t.Fatalf("findings %q, want %q: %+v", got, tc.want, fs)
			}
			for _, f := range fs {
				if f.Status == check.NotAssessable && (!strings.Contains(f.Message, "User bob") || !strings.Contains(f.Message, why)) {
					t.Errorf("not-assessable message %q: want the readers and the reason", f.Message)
				}
				if f.Status == check.Pass && len(fs) > 1 && !strings.Contains(f.Message, "not assessed") {
					t.Errorf("the pass beside a gap does not say so: %q", f.Message)
				}
			}
		})
	}
}

// TestAdminsWithAssumedBuiltins: a binder with no cluster-admin in its
// input reaches it once the built-ins are assumed, and the finding says
// the step rests on an assumed default; a direct admin bound to the
// assumed cluster-admin says so too; the built-ins alone are not reported.
func TestAdminsWithAssumedBuiltins(t *testing.T) {
	binder := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: binder}
rules:
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]}`
	docs := []string{binder, sa("ops", "binder"), crb("binder", "binder", "ServiceAccount", "binder", "ops")}
	if f := ct.One(t, EscalationPaths, ct.RBAC(t, docs...)); f.Status != check.Pass {
		t.Fatalf("alone: %s %s", f.Status, f.Message)
	}
	f := ct.One(t, EscalationPaths, ct.AssumedRBAC(t, docs...))
	if f.Status != check.Fail || f.Resource != "ServiceAccount ops/binder" || !strings.Contains(f.Message, "bind ClusterRole cluster-admin (built-in, assumed)") {
		t.Fatalf("assumed: %s %s %s", f.Status, f.Resource, f.Message)
	}
	ev := f.Evidence[len(f.Evidence)-1]
	if ev.Key != rbacinput.AssumedEvidenceKey || !strings.HasPrefix(ev.Value, "v1.36: step 1 ") || ev.Source != rbac.AssumedSource {
		t.Errorf("evidence %+v", f.Evidence)
	}

	f = ct.One(t, DirectAdmins, ct.AssumedRBAC(t, crb("ops-admin", "cluster-admin", "Group", "ops", "")))
	if f.Status != check.Warn || !strings.Contains(f.Path[0].Via, "ClusterRole cluster-admin (built-in role, assumed)") {
		t.Fatalf("direct: %s %s %+v", f.Status, f.Message, f.Path)
	}
	if ev := f.Evidence[len(f.Evidence)-1]; ev.Key != rbacinput.AssumedEvidenceKey {
		t.Errorf("direct: evidence %+v", f.Evidence)
	}

	// the assumed built-ins alone: system:masters and the controllers are
	// counted, not reported
	only := ct.AssumedRBAC(t, podCreator)
	for _, c := range []check.Check{DirectAdmins, EscalationPaths} {
		f := ct.One(t, c, only)
		if f.Status != check.Pass || !strings.Contains(f.Message, "built-in roles assumed, v1.36") {
			t.Errorf("%s: %s %s", c.ID, f.Status, f.Message)
		}
	}
}
