package authorization

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

// grantTo binds a ClusterRole holding rules to User alice: cluster-wide
// when ns is "", else by a RoleBinding in ns.
func grantTo(ns string, rules ...string) string {
	role := "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules:\n"
	for _, r := range rules {
		role += "- " + r + "\n"
	}
	if ns == "" {
		return role + `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: alice-r}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]`
	}
	return role + fmt.Sprintf(`---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-r, namespace: %s}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]`, ns)
}

func rule(groups, resources, verbs string, names ...string) string {
	r := fmt.Sprintf("{apiGroups: [%s], resources: [%s], verbs: [%s]", groups, resources, verbs)
	if len(names) > 0 {
		r += ", resourceNames: [" + strings.Join(names, ", ") + "]"
	}
	return r + "}"
}

const core = `""`

func TestRBACRiskChecks(t *testing.T) {
	all := rule(`"*"`, `"*"`, `"*"`)
	rows := []struct {
		c     check.Check
		cases func(t *testing.T) []ct.Case
	}{
		{RBACNamespaceAdmin, func(t *testing.T) []ct.Case {
			return []ct.Case{
				{Name: "RoleBinding to */*/*", Snap: ct.RBAC(t, grantTo("team", all)), Want: check.Warn, Contains: "team"},
				{Name: "cluster-wide */*/* is cluster admin, not namespace admin", Snap: ct.RBAC(t, grantTo("", all)), Want: check.Pass},
				{Name: "edit-like role", Snap: ct.RBAC(t, grantTo("team", rule(core, "pods", `"*"`))), Want: check.Pass},
				{Name: "every verb on every core resource", Snap: ct.RBAC(t, grantTo("team", rule(core, `"*"`, `"*"`))), Want: check.Warn, Contains: "core API group"},
				{Name: "every core resource in kube-system", Snap: ct.RBAC(t, grantTo("kube-system", rule(core, `"*"`, `"*"`))), Want: check.Fail, Contains: "control of the cluster"},
				{Name: "every core resource cluster-wide is not one namespace", Snap: ct.RBAC(t, grantTo("", rule(core, `"*"`, `"*"`))), Want: check.Pass},
				{Name: "every core resource, read only", Snap: ct.RBAC(t, grantTo("kube-system", rule(core, `"*"`, "get, list, watch"))), Want: check.Pass},
			}
		}},
		{RBACSecretsRead, func(t *testing.T) []ct.Case {
			return []ct.Case{
				{Name: "list secrets cluster-wide", Snap: ct.RBAC(t, grantTo("", rule(core, "secrets", "list"))), Want: check.Fail},
				{Name: "watch secrets in a namespace", Snap: ct.RBAC(t, grantTo("team", rule(core, "secrets", "watch"))), Want: check.Warn, Contains: "team"},
				{Name: "secrets in group core is not the core group", Snap: ct.RBAC(t, grantTo("", rule(`core`, "secrets", "list"))), Want: check.Pass},
				{Name: "create secrets reveals nothing", Snap: ct.RBAC(t, grantTo("", rule(core, "secrets", "create"))), Want: check.Pass},
			}
		}},
		{RBACWorkloadCreate, func(t *testing.T) []ct.Case {
			return []ct.Case{
				{Name: "create pods", Snap: ct.RBAC(t, grantTo("team", rule(core, "pods", "create"))), Want: check.Warn},
				{Name: "create deployments.apps cluster-wide", Snap: ct.RBAC(t, grantTo("", rule(`apps`, "deployments", "create"))), Want: check.Fail},
				{Name: "deployments under the core group grant nothing", Snap: ct.RBAC(t, grantTo("", rule(core, "deployments", "create"))), Want: check.Pass},
				{Name: "get pods", Snap: ct.RBAC(t, grantTo("", rule(core, "pods", "get", "list"))), Want: check.Pass},
			}
		}},
		{RBACPVCreate, func(t *testing.T) []ct.Case {
			return []ct.Case{
				{Name: "create persistentvolumes", Snap: ct.RBAC(t, grantTo("", rule(core, "persistentvolumes", "create"))), Want: check.Fail},
				{Name: "create persistentvolumeclaims", Snap: ct.RBAC(t, grantTo("", rule(core, "persistentvolumeclaims", "create"))), Want: check.Pass},
			}
		}},
		{RBACNodesProxy, func(t *testing.T) []ct.Case {
			return []ct.Case{
				{Name: "get nodes/proxy is enough", Snap: ct.RBAC(t, grantTo("", rule(core, "nodes/proxy", "get"))), Want: check.Fail},
				{Name: "*/proxy", Snap: ct.RBAC(t, grantTo("", rule(core, `"*/proxy"`, "create"))), Want: check.Fail},
				{Name: "nodes/* is a literal", Snap: ct.RBAC(t, grantTo("", rule(core, `"nodes/*"`, "get"))), Want: check.Pass},
				{Name: "nodes/metrics", Snap: ct.RBAC(t, grantTo("", rule(core, "nodes/metrics", "get"))), Want: check.Pass},
			}
		}},
		{RBACEscalate, func(t *testing.T) []ct.Case {
			rg := `rbac.authorization.k8s.io`
			return []ct.Case{
				{Name: "escalate and update clusterroles", Snap: ct.RBAC(t, grantTo("", rule(rg, "clusterroles", "escalate, update"))), Want: check.Fail},
				{Name: "escalate alone", Snap: ct.RBAC(t, grantTo("", rule(rg, "clusterroles", "escalate"))), Want: check.Pass},
				{Name: "escalate roles and create roles in a namespace", Snap: ct.RBAC(t, grantTo("team", rule(rg, "roles", "escalate, create"))), Want: check.Warn},
			}
		}},
		{RBACBind, func(t *testing.T) []ct.Case {
			rg := `rbac.authorization.k8s.io`
			return []ct.Case{
				{Name: "bind clusterroles and create clusterrolebindings", Snap: ct.RBAC(t, grantTo("", rule(rg, "clusterroles", "bind"), rule(rg, "clusterrolebindings", "create"))), Want: check.Fail},
				{Name: "bind alone", Snap: ct.RBAC(t, grantTo("", rule(rg, "clusterroles", "bind"))), Want: check.Pass},
				{Name: "bind on the binding resource is a no-op", Snap: ct.RBAC(t, grantTo("", rule(rg, "clusterrolebindings", "bind, create"))), Want: check.Pass},
			}
		}},
		{RBACImpersonate, func(t *testing.T) []ct.Case {
			return []ct.Case{
				{Name: "impersonate users", Snap: ct.RBAC(t, grantTo("", rule(core, "users", "impersonate"))), Want: check.Fail},
				{Name: "get users is not impersonation", Snap: ct.RBAC(t, grantTo("", rule(core, "users, groups", "get"))), Want: check.Pass},
			}
		}},
		{RBACCSRMint, func(t *testing.T) []ct.Case {
			cg := `certificates.k8s.io`
			create := rule(cg, "certificatesigningrequests", "create")
			approval := rule(cg, "certificatesigningrequests/approval", "update")
			signer := rule(cg, "signers", "approve", `kubernetes.io/kube-apiserver-client`)
			return []ct.Case{
				{Name: "all three halves", Snap: ct.RBAC(t, grantTo("", create, approval, signer)), Want: check.Fail},
				{Name: "no signer approval", Snap: ct.RBAC(t, grantTo("", create, approval)), Want: check.Pass},
				{Name: "no create", Snap: ct.RBAC(t, grantTo("", approval, signer)), Want: check.Pass},
				{Name: "kubelet signer only", Snap: ct.RBAC(t, grantTo("", create, approval, rule(cg, "signers", "approve", `kubernetes.io/kubelet-serving`))), Want: check.Pass},
			}
		}},
		{RBACTokenRequest, func(t *testing.T) []ct.Case {
			return []ct.Case{
				{Name: "create serviceaccounts/token", Snap: ct.RBAC(t, grantTo("team", rule(core, "serviceaccounts/token", "create"))), Want: check.Warn},
				{Name: "get serviceaccounts/token", Snap: ct.RBAC(t, grantTo("team", rule(core, "serviceaccounts/token", "get"))), Want: check.Pass},
			}
		}},
		{RBACWebhookWrite, func(t *testing.T) []ct.Case {
			ag := `admissionregistration.k8s.io`
			return []ct.Case{
				{Name: "patch mutating webhooks", Snap: ct.RBAC(t, grantTo("", rule(ag, "mutatingwebhookconfigurations", "patch"))), Want: check.Fail},
				{Name: "list webhooks", Snap: ct.RBAC(t, grantTo("", rule(ag, "validatingwebhookconfigurations", "list"))), Want: check.Pass},
			}
		}},
		{RBACNamespacePatch, func(t *testing.T) []ct.Case {
			return []ct.Case{
				{Name: "patch namespaces cluster-wide", Snap: ct.RBAC(t, grantTo("", rule(core, "namespaces", "patch"))), Want: check.Fail},
				{Name: "through a RoleBinding: its own namespace", Snap: ct.RBAC(t, grantTo("team", rule(core, "namespaces", "update"))), Want: check.Warn, Contains: "team"},
				{Name: "get namespaces", Snap: ct.RBAC(t, grantTo("", rule(core, "namespaces", "get"))), Want: check.Pass},
			}
		}},
		{RBACPodExec, func(t *testing.T) []ct.Case {
			return []ct.Case{
				{Name: "create pods/exec", Snap: ct.RBAC(t, grantTo("team", rule(core, "pods/exec", "create"))), Want: check.Warn},
				{Name: "get pods/exec alone (1.35+)", Snap: ct.RBAC(t, grantTo("team", rule(core, "pods/exec", "get"))), Want: check.Pass},
				{Name: "pods/* is a literal", Snap: ct.RBAC(t, grantTo("team", rule(core, `"pods/*"`, "create"))), Want: check.Pass},
				{Name: "*/exec matches", Snap: ct.RBAC(t, grantTo("", rule(core, `"*/exec"`, "create"))), Want: check.Fail},
			}
		}},
	}
	if len(rows) != len(riskChecks) {
		t.Fatalf("%d risk checks, %d tested", len(riskChecks), len(rows))
	}
	for _, r := range rows {
		t.Run(r.c.ID, func(t *testing.T) {
			cases := r.cases(t)
			cases = append(cases, ct.Case{Name: "no RBAC", Snap: ct.NoRBAC(), Want: check.NotAssessable, Contains: "no RBAC"})
			ct.Table(t, r.c, cases)
		})
	}
}

// Full control of kube-system is reported at the check's severity, of
// another namespace one severity lower; its other risks are not repeated.
func TestRBACNamespaceAdminKubeSystem(t *testing.T) {
	f := ct.One(t, RBACNamespaceAdmin, ct.RBAC(t, grantTo("kube-system", rule(core, `"*"`, `"*"`))))
	if f.Status != check.Fail || f.Severity != RBACNamespaceAdmin.Severity {
		t.Errorf("kube-system: %s %s", f.Status, f.Severity)
	}
	f = ct.One(t, RBACNamespaceAdmin, ct.RBAC(t, grantTo("team", rule(`"*"`, `"*"`, `"*"`))))
	if f.Status != check.Warn || f.Severity != RBACNamespaceAdmin.Severity-1 {
		t.Errorf("team: %s %s", f.Status, f.Severity)
	}
	s := ct.RBAC(t, grantTo("kube-system", rule(core, `"*"`, `"*"`)))
	for _, c := range []check.Check{RBACSecretsRead, RBACWorkloadCreate, RBACTokenRequest, RBACPodExec} {
		if f := ct.One(t, c, s); f.Status != check.Pass {
			t.Errorf("%s repeats namespace-admin: %s %s", c.ID, f.Status, f.Message)
		}
	}
}

// A direct cluster admin holds every risk; it is reported once, by
// AG-ADMIN-005, not by every risk check.
func TestRBACRisksSkipClusterAdmins(t *testing.T) {
	s := ct.RBAC(t, grantTo("", rule(`"*"`, `"*"`, `"*"`)))
	for _, c := range riskChecks {
		if f := ct.One(t, c, s); f.Status != check.Pass {
			t.Errorf("%s: %s %s", c.ID, f.Status, f.Message)
		}
	}
}

// The finding carries the grant as evidence and path.
func TestRBACRiskEvidence(t *testing.T) {
	f := ct.One(t, RBACNodesProxy, ct.RBAC(t, grantTo("", rule(core, "nodes/proxy", "get"))))
	if f.Resource != "User alice" || len(f.Path) != 1 || !strings.Contains(f.Path[0].Via, "ClusterRoleBinding alice-r → ClusterRole r") {
		t.Fatalf("resource %q path %+v", f.Resource, f.Path)
	}
	if len(f.Evidence) == 0 || !strings.Contains(f.Evidence[0].Value, "nodes/proxy") {
		t.Fatalf("evidence %+v", f.Evidence)
	}
}

func TestRBACBindingChecks(t *testing.T) {
	anon := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: anon}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:unauthenticated}]`
	authd := strings.Replace(anon, "system:unauthenticated", "system:authenticated", 1)
	view := "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: view}\nrules: [" + rule(core, "pods", "get") + "]"
	sa := func(ns, name string) string {
		return fmt.Sprintf("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: %s, namespace: %s}", name, ns)
	}
	saBinding := `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: ServiceAccount, name: deployer, namespace: team}]`
	t.Run("public", func(t *testing.T) {
		ct.Table(t, RBACPublicBindings, []ct.Case{
			{Name: "unauthenticated", Snap: ct.RBAC(t, view, anon), Want: check.Fail, Contains: "system:unauthenticated"},
			{Name: "authenticated", Snap: ct.RBAC(t, view, authd), Want: check.Fail, Contains: "system:authenticated"},
			{Name: "none", Snap: ct.RBAC(t, view, saBinding), Want: check.Pass},
			{Name: "no RBAC", Snap: ct.NoRBAC(), Want: check.NotAssessable},
		})
		if f := ct.One(t, RBACPublicBindings, ct.RBAC(t, view, authd)); f.Severity != check.High {
			t.Errorf("system:authenticated severity %s, want high", f.Severity)
		}
	})
	t.Run("kubeadm discovery", func(t *testing.T) {
		info := `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: "kubeadm:bootstrap-signer-clusterinfo", namespace: kube-public}
rules: [{apiGroups: [""], resources: [configmaps], resourceNames: [cluster-info], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: "kubeadm:bootstrap-signer-clusterinfo", namespace: kube-public}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: "kubeadm:bootstrap-signer-clusterinfo"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:anonymous"}]`
		f := ct.One(t, RBACPublicBindings, ct.RBAC(t, info))
		if f.Status != check.Warn || f.Severity != check.Low || !strings.Contains(f.Message, "kubeadm join") {
			t.Fatalf("%s %s %s", f.Status, f.Severity, f.Message)
		}
		wider := strings.Replace(info, "resourceNames: [cluster-info], ", "", 1)
		if f := ct.One(t, RBACPublicBindings, ct.RBAC(t, wider)); f.Status != check.Fail {
			t.Fatalf("every ConfigMap of kube-public to anonymous: %s %s", f.Status, f.Message)
		}
	})
	t.Run("missing subject", func(t *testing.T) {
		ct.Table(t, RBACMissingSubjects, []ct.Case{
			{Name: "deleted ServiceAccount", Snap: ct.RBAC(t, view, saBinding, sa("team", "other")), Want: check.Warn, Contains: "deployer"},
			{Name: "present", Snap: ct.RBAC(t, view, saBinding, sa("team", "deployer")), Want: check.Pass},
			{Name: "ServiceAccounts not loaded: unknown, not missing", Snap: ct.RBAC(t, view, saBinding), Want: check.Pass},
		})
	})
	t.Run("missing role", func(t *testing.T) {
		ct.Table(t, RBACMissingRoles, []ct.Case{
			{Name: "roleRef to nothing", Snap: ct.RBAC(t, saBinding, sa("team", "deployer")), Want: check.Warn, Contains: "view"},
			{Name: "present", Snap: ct.RBAC(t, view, saBinding), Want: check.Pass},
		})
	})
}

// TestRBACChecksOnAssumedBuiltins: the assumed defaults themselves make no
// finding (their principals' risks, public discovery bindings, controller
// ServiceAccounts are Kubernetes' own), a binding to a built-in role
// resolves, and one to a role neither in the input nor built in is said
// to be so.
func TestRBACChecksOnAssumedBuiltins(t *testing.T) {
	harmless := "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\nrules: [" + rule(core, "configmaps", "get") + "]"
	only := ct.AssumedRBAC(t, harmless)
	for _, c := range rbacChecks() {
		if f := ct.One(t, c, only); f.Status != check.Pass {
			t.Errorf("%s on the built-ins alone: %s %s", c.ID, f.Status, f.Message)
		}
	}
	if f := ct.One(t, RBACMissingRoles, only); !strings.Contains(f.Message, "Kubernetes v1.36 built-ins assumed") {
		t.Errorf("pass message %q", f.Message)
	}
	bind := func(name, role string) string {
		return fmt.Sprintf(`apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: %s, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: %s}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: devs}]`, name, role)
	}
	s := ct.AssumedRBAC(t, bind("devs-edit", "edit"), bind("devs-old", "legacy-deployer"))
	f := ct.One(t, RBACMissingRoles, s)
	if f.Status != check.Warn || f.Resource != "RoleBinding team/devs-old" || !strings.Contains(f.Message, "ClusterRole legacy-deployer is neither in the input nor a Kubernetes v1.36 built-in") {
		t.Errorf("missing role: %s %s %s", f.Status, f.Resource, f.Message)
	}
	// edit is assumed: devs create workloads in team, through the assumed role
	f = ct.One(t, RBACWorkloadCreate, s)
	if f.Status != check.Warn || f.Resource != "Group devs" || !strings.Contains(f.Path[0].Via, "ClusterRole edit (built-in role, assumed)") {
		t.Errorf("workloads: %s %s %+v", f.Status, f.Resource, f.Path)
	}
}
