package rbac

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

func named(r rbacv1.PolicyRule, names ...string) rbacv1.PolicyRule {
	r.ResourceNames = names
	return r
}

var alice = SubjectRef{Kind: KindUser, Name: "alice"}

// grantCR is a ClusterRole "r" with rules, bound to alice cluster-wide.
func grantCR(rules ...rbacv1.PolicyRule) []runtime.Object {
	return []runtime.Object{clusterRole("r", rules...), crb("alice-r", "r", user("alice"))}
}

// grantRB is a ClusterRole "r" with rules, bound to alice in namespace dev.
func grantRB(rules ...rbacv1.PolicyRule) []runtime.Object {
	return []runtime.Object{clusterRole("r", rules...), rb("dev", "alice-r", "ClusterRole", "r", user("alice"))}
}

func risksOf(a *Analysis, kind RiskKind, s SubjectRef) []Risk {
	var out []Risk
	for _, r := range a.Risks {
		if r.Kind == kind && r.Subject == s {
			out = append(out, r)
		}
	}
	return out
}

func scopes(rs []Risk) string {
	var out []string
	for _, r := range rs {
		ns := r.Namespace
		if ns == "" {
			ns = "*"
		}
		out = append(out, ns)
	}
	return strings.Join(out, ",")
}

// TestRiskKinds: every risk kind, and the traps a correct tool says no to.
// scopes is the namespaces alice holds the risk in ("*" cluster-wide, ""
// none); detail, when set, is a substring of the first risk's Detail.
func TestRiskKinds(t *testing.T) {
	cases := []struct {
		name   string
		objs   []runtime.Object
		kind   RiskKind
		scopes string
		detail string
		names  string
	}{
		// secrets-read
		{"secrets get", grantCR(rule(l("get"), l(""), l("secrets"))), RiskSecretsRead, "*", "get secrets", ""},
		{"secrets list in a namespace", grantRB(rule(l("list"), l(""), l("secrets"))), RiskSecretsRead, "dev", "list secrets", ""},
		{"secrets watch", grantCR(rule(l("watch"), l(""), l("secrets"))), RiskSecretsRead, "*", "watch secrets", ""},
		{"secrets get by name", grantCR(named(rule(l("get"), l(""), l("secrets")), "app-token")), RiskSecretsRead, "*", "(named app-token)", "app-token"},
		{"trap: secrets in group core", grantCR(rule(l("get"), l("core"), l("secrets"))), RiskSecretsRead, "", "", ""},
		{"trap: create secrets is not reading", grantCR(rule(l("create"), l(""), l("secrets"))), RiskSecretsRead, "", "", ""},
		// workload-create
		{"create pods", grantRB(rule(l("create"), l(""), l("pods"))), RiskWorkloadCreate, "dev", "create pods", ""},
		{"create deployments.apps", grantCR(rule(l("create"), l("apps"), l("deployments"))), RiskWorkloadCreate, "*", "create deployments.apps", ""},
		{"patch cronjobs.batch", grantCR(rule(l("patch"), l("batch"), l("cronjobs"))), RiskWorkloadCreate, "*", "patch cronjobs.batch", ""},
		{"update daemonsets.apps", grantCR(rule(l("update"), l("apps"), l("daemonsets"))), RiskWorkloadCreate, "*", "", ""},
		{"create replicationcontrollers", grantCR(rule(l("create"), l(""), l("replicationcontrollers"))), RiskWorkloadCreate, "*", "", ""},
		{"apps/* wildcard", grantCR(rule(l("*"), l("apps"), l("*"))), RiskWorkloadCreate, "*", "deployments.apps", ""},
		{"trap: deployments under core", grantCR(rule(l("create"), l(""), l("deployments"))), RiskWorkloadCreate, "", "", ""},
		{"trap: pods in group core", grantCR(rule(l("create"), l("core"), l("pods"))), RiskWorkloadCreate, "", "", ""},
		{"trap: jobs under apps", grantCR(rule(l("create"), l("apps"), l("jobs"))), RiskWorkloadCreate, "", "", ""},
		{"trap: create pods by name", grantCR(named(rule(l("create"), l(""), l("pods")), "web")), RiskWorkloadCreate, "", "", ""},
		{"trap: get pods", grantCR(rule(l("get", "list"), l(""), l("pods"))), RiskWorkloadCreate, "", "", ""},
		// ... and writes of running pods (a new container image runs as the pod's ServiceAccount)
		{"patch pods", grantRB(rule(l("get", "patch"), l("*"), l("pods"))), RiskWorkloadCreate, "dev", "patch pods", ""},
		{"update pods by name", grantCR(named(rule(l("update"), l(""), l("pods")), "web-1")), RiskWorkloadCreate, "*", "update pods (named web-1)", "web-1"},
		{"create and patch pods: one risk", grantRB(rule(l("create"), l(""), l("pods")), rule(l("patch"), l(""), l("pods"))), RiskWorkloadCreate, "dev", "create, patch pods", ""},
		{"trap: patch pods/status", grantCR(rule(l("patch", "update"), l(""), l("pods/status"))), RiskWorkloadCreate, "", "", ""},
		{"trap: patch pods in group core", grantCR(rule(l("patch"), l("core"), l("pods"))), RiskWorkloadCreate, "", "", ""},
		{"trap: delete pods", grantCR(rule(l("delete", "deletecollection"), l(""), l("pods"))), RiskWorkloadCreate, "", "", ""},
		// pv-create
		{"create persistentvolumes", grantCR(rule(l("create"), l(""), l("persistentvolumes"))), RiskPVCreate, "*", "", ""},
		{"trap: persistentvolumes through a RoleBinding", grantRB(rule(l("create"), l(""), l("persistentvolumes"))), RiskPVCreate, "", "", ""},
		{"trap: persistentvolumeclaims", grantCR(rule(l("create"), l(""), l("persistentvolumeclaims"))), RiskPVCreate, "", "", ""},
		// nodes-proxy
		{"get nodes/proxy is enough", grantCR(rule(l("get"), l(""), l("nodes/proxy"))), RiskNodesProxy, "*", "get nodes/proxy", ""},
		{"create nodes/proxy", grantCR(rule(l("create"), l(""), l("nodes/proxy"))), RiskNodesProxy, "*", "", ""},
		{"nodes/proxy by name", grantCR(named(rule(l("get"), l(""), l("nodes/proxy")), "n1")), RiskNodesProxy, "*", "", "n1"},
		{"trap: get nodes", grantCR(rule(l("get"), l(""), l("nodes"))), RiskNodesProxy, "", "", ""},
		{"trap: nodes/proxy through a RoleBinding", grantRB(rule(l("get"), l(""), l("nodes/proxy"))), RiskNodesProxy, "", "", ""},
		// escalate
		{"escalate and update roles", grantRB(rule(l("escalate", "update"), l(groupRBAC), l("roles"))), RiskEscalate, "dev", "", ""},
		{"escalate and create clusterroles", grantCR(rule(l("escalate", "create"), l(groupRBAC), l("clusterroles"))), RiskEscalate, "*", "", ""},
		{"escalate and patch, halves in two roles", []runtime.Object{
			clusterRole("esc", rule(l("escalate"), l(groupRBAC), l("roles"))), clusterRole("upd", rule(l("patch"), l(groupRBAC), l("roles"))),
			crb("a", "esc", user("alice")), rb("dev", "b", "ClusterRole", "upd", user("alice"))}, RiskEscalate, "dev", "", ""},
		{"escalate and update on the same name", grantCR(named(rule(l("escalate", "update"), l(groupRBAC), l("clusterroles")), "mine")), RiskEscalate, "*", "", ""},
		{"trap: escalate alone", grantCR(rule(l("escalate"), l(groupRBAC), l("roles", "clusterroles"))), RiskEscalate, "", "", ""},
		{"trap: update alone", grantCR(rule(l("update", "create"), l(groupRBAC), l("roles", "clusterroles"))), RiskEscalate, "", "", ""},
		{"trap: escalate clusterroles, update roles", grantCR(rule(l("escalate"), l(groupRBAC), l("clusterroles")), rule(l("update"), l(groupRBAC), l("roles"))), RiskEscalate, "", "", ""},
		{"trap: escalate and update other names", grantCR(named(rule(l("escalate"), l(groupRBAC), l("roles")), "a"), named(rule(l("update"), l(groupRBAC), l("roles")), "b")), RiskEscalate, "", "", ""},
		{"trap: escalate by name cannot create", grantCR(named(rule(l("escalate"), l(groupRBAC), l("roles")), "a"), rule(l("create"), l(groupRBAC), l("roles"))), RiskEscalate, "", "", ""},
		{"trap: escalate and update in two namespaces", []runtime.Object{
			clusterRole("esc", rule(l("escalate"), l(groupRBAC), l("roles"))), clusterRole("upd", rule(l("update"), l(groupRBAC), l("roles"))),
			rb("dev", "a", "ClusterRole", "esc", user("alice")), rb("prod", "b", "ClusterRole", "upd", user("alice"))}, RiskEscalate, "", "", ""},
		// bind
		{"bind clusterroles and create rolebindings", grantCR(rule(l("bind"), l(groupRBAC), l("clusterroles")), rule(l("create"), l(groupRBAC), l("rolebindings"))), RiskBind, "*", "", ""},
		{"bind by name records the roles", grantCR(named(rule(l("bind"), l(groupRBAC), l("clusterroles")), "edit", "view"), rule(l("create"), l(groupRBAC), l("clusterrolebindings"))), RiskBind, "*", "bind clusterroles", "edit,view"},
		{"bind in a namespace", grantRB(rule(l("bind"), l(groupRBAC), l("clusterroles")), rule(l("patch"), l(groupRBAC), l("rolebindings"))), RiskBind, "dev", "", ""},
		{"trap: bind alone", grantCR(rule(l("bind"), l(groupRBAC), l("roles", "clusterroles"))), RiskBind, "", "", ""},
		{"trap: create bindings alone", grantCR(rule(l("create"), l(groupRBAC), l("rolebindings", "clusterrolebindings"))), RiskBind, "", "", ""},
		{"trap: bind on the clusterrolebindings resource", grantCR(rule(l("bind", "create"), l(groupRBAC), l("clusterrolebindings"))), RiskBind, "", "", ""},
		{"trap: bind roles with clusterrolebindings", grantCR(rule(l("bind"), l(groupRBAC), l("roles")), rule(l("create"), l(groupRBAC), l("clusterrolebindings"))), RiskBind, "", "", ""},
		{"trap: bind in one namespace, write in another", []runtime.Object{
			clusterRole("b", rule(l("bind"), l(groupRBAC), l("clusterroles"))), clusterRole("w", rule(l("create"), l(groupRBAC), l("rolebindings"))),
			rb("dev", "a", "ClusterRole", "b", user("alice")), rb("prod", "c", "ClusterRole", "w", user("alice"))}, RiskBind, "", "", ""},
		// impersonate
		{"impersonate users", grantCR(rule(l("impersonate"), l(""), l("users"))), RiskImpersonate, "*", "impersonate users", ""},
		{"impersonate one user", grantCR(named(rule(l("impersonate"), l(""), l("users")), "bob")), RiskImpersonate, "*", "(named bob)", ""},
		{"impersonate serviceaccounts in a namespace", grantRB(rule(l("impersonate"), l(""), l("serviceaccounts"))), RiskImpersonate, "dev", "", ""},
		{"impersonate users and user extras", grantCR(rule(l("impersonate"), l(""), l("users")), rule(l("impersonate"), l(groupAuthn), l("userextras/scopes"))), RiskImpersonate, "*", "userextras", ""},
		{"trap: impersonate groups alone", grantCR(rule(l("impersonate"), l(""), l("groups"))), RiskImpersonate, "", "", ""},
		{"trap: impersonate uids alone", grantCR(rule(l("impersonate"), l(groupAuthn), l("uids"))), RiskImpersonate, "", "", ""},
		{"trap: impersonate users through a RoleBinding", grantRB(rule(l("impersonate"), l(""), l("users"))), RiskImpersonate, "", "", ""},
		{"trap: impersonate users in authentication.k8s.io", grantCR(rule(l("impersonate"), l(groupAuthn), l("users"))), RiskImpersonate, "", "", ""},
		// csr-mint
		{"csr create, approval, signer", grantCR(csrCreate, csrApproval, csrSigner(clientSigner)), RiskCSRMint, "*", "approve signers", ""},
		{"csr signer domain wildcard", grantCR(csrCreate, csrApproval, csrSigner("kubernetes.io/*")), RiskCSRMint, "*", "", ""},
		{"csr signer any name", grantCR(csrCreate, rule(l("patch"), l(groupCertificates), l("certificatesigningrequests/approval")), rule(l("approve"), l(groupCertificates), l("signers"))), RiskCSRMint, "*", "", ""},
		{"trap: csr without approval", grantCR(csrCreate, csrSigner(clientSigner)), RiskCSRMint, "", "", ""},
		{"trap: csr without signer", grantCR(csrCreate, csrApproval), RiskCSRMint, "", "", ""},
		{"trap: csr without create", grantCR(csrApproval, csrSigner(clientSigner)), RiskCSRMint, "", "", ""},
		{"trap: csr kubelet signer only", grantCR(csrCreate, csrApproval, csrSigner("kubernetes.io/kube-apiserver-client-kubelet")), RiskCSRMint, "", "", ""},
		{"trap: csr other signer domain", grantCR(csrCreate, csrApproval, csrSigner("example.com/*")), RiskCSRMint, "", "", ""},
		{"trap: csr approval in core", grantCR(csrCreate, rule(l("update"), l(""), l("certificatesigningrequests/approval")), csrSigner(clientSigner)), RiskCSRMint, "", "", ""},
		// token-request
		{"create serviceaccounts/token", grantRB(rule(l("create"), l(""), l("serviceaccounts/token"))), RiskTokenRequest, "dev", "", ""},
		{"token for named ServiceAccounts", grantCR(named(rule(l("create"), l(""), l("serviceaccounts/token")), "deployer")), RiskTokenRequest, "*", "", "deployer"},
		{"trap: get serviceaccounts/token", grantCR(rule(l("get"), l(""), l("serviceaccounts/token"))), RiskTokenRequest, "", "", ""},
		{"trap: create serviceaccounts", grantCR(rule(l("create"), l(""), l("serviceaccounts"))), RiskTokenRequest, "", "", ""},
		// webhook-write
		{"patch validating webhooks", grantCR(rule(l("patch"), l(groupAdmissionReg), l("validatingwebhookconfigurations"))), RiskWebhookWrite, "*", "", ""},
		{"create mutating webhooks", grantCR(rule(l("create"), l(groupAdmissionReg), l("mutatingwebhookconfigurations"))), RiskWebhookWrite, "*", "", ""},
		{"trap: webhooks through a RoleBinding", grantRB(rule(l("create"), l(groupAdmissionReg), l("mutatingwebhookconfigurations"))), RiskWebhookWrite, "", "", ""},
		{"trap: webhooks in the wrong group", grantCR(rule(l("create"), l("admissionregistration.k8s.io/v1"), l("mutatingwebhookconfigurations"))), RiskWebhookWrite, "", "", ""},
		{"trap: admission policies are not webhooks", grantCR(rule(l("create"), l(groupAdmissionReg), l("validatingadmissionpolicies"))), RiskWebhookWrite, "", "", ""},
		// namespace-patch
		{"patch namespaces cluster-wide", grantCR(rule(l("patch"), l(""), l("namespaces"))), RiskNamespacePatch, "*", "", ""},
		{"patch namespaces through a RoleBinding: its own namespace", grantRB(rule(l("patch"), l(""), l("namespaces"))), RiskNamespacePatch, "dev", "(named dev)", "dev"},
		{"update namespace by its name through a RoleBinding", grantRB(named(rule(l("update"), l(""), l("namespaces")), "dev")), RiskNamespacePatch, "dev", "", "dev"},
		{"trap: a RoleBinding never reaches another namespace", grantRB(named(rule(l("patch"), l(""), l("namespaces")), "prod")), RiskNamespacePatch, "", "", ""},
		{"trap: get namespaces", grantCR(rule(l("get", "list"), l(""), l("namespaces"))), RiskNamespacePatch, "", "", ""},
		// pod-exec
		{"create pods/exec", grantRB(rule(l("create"), l(""), l("pods/exec"))), RiskPodExec, "dev", "create pods/exec", ""},
		{"create pods/attach", grantCR(rule(l("create"), l(""), l("pods/attach"))), RiskPodExec, "*", "", ""},
		{"patch pods/ephemeralcontainers", grantCR(rule(l("patch"), l(""), l("pods/ephemeralcontainers"))), RiskPodExec, "*", "", ""},
		{"update pods/ephemeralcontainers in a namespace", grantRB(rule(l("update"), l(""), l("pods/ephemeralcontainers"))), RiskPodExec, "dev", "update pods/ephemeralcontainers", ""},
		{"trap: get pods/ephemeralcontainers", grantCR(rule(l("get"), l(""), l("pods/ephemeralcontainers"))), RiskPodExec, "", "", ""},
		{"trap: patch pods is not pod-exec", grantCR(rule(l("patch"), l(""), l("pods"))), RiskPodExec, "", "", ""},
		{"*/exec matches pods/exec", grantCR(rule(l("create"), l(""), l("*/exec"))), RiskPodExec, "*", "", ""},
		{"resources * matches subresources", grantCR(rule(l("create"), l(""), l("*"))), RiskPodExec, "*", "", ""},
		{"exec into named pods", grantCR(named(rule(l("create"), l(""), l("pods/exec")), "web-0")), RiskPodExec, "*", "", "web-0"},
		{"trap: get pods/exec is not exec on v1.36", grantCR(rule(l("get"), l(""), l("pods/exec"))), RiskPodExec, "", "", ""},
		{"trap: pods/* is not a wildcard", grantCR(rule(l("create", "patch"), l(""), l("pods/*"))), RiskPodExec, "", "", ""},
		{"trap: pods/exec in group core", grantCR(rule(l("create"), l("core"), l("pods/exec"))), RiskPodExec, "", "", ""},
		{"trap: pods does not cover pods/exec", grantCR(rule(l("create"), l(""), l("pods"))), RiskPodExec, "", "", ""},
		{"trap: create pods/portforward", grantCR(rule(l("create"), l(""), l("pods/portforward"))), RiskPodExec, "", "", ""},
		// namespace-admin
		{"RoleBinding to a */*/* role", grantRB(rule(l("*"), l("*"), l("*"))), RiskNamespaceAdmin, "dev", "every verb", ""},
		{"ClusterRoleBinding to */*/* is a direct admin, not a risk", grantCR(rule(l("*"), l("*"), l("*"))), RiskNamespaceAdmin, "", "", ""},
		{"trap: */*/* by name is not namespace-admin", grantRB(named(rule(l("*"), l("*"), l("*")), "x")), RiskNamespaceAdmin, "", "", ""},
		// every verb on every core resource: the namespace's Secrets, pods
		// and ServiceAccount tokens, so full control of it
		{"RoleBinding to every verb on every core resource", grantRB(rule(l("*"), l(""), l("*"))), RiskNamespaceAdmin, "dev", "every resource of the core API group", ""},
		{"core wildcard next to other groups", grantRB(rule(l("*"), l("", "apps"), l("*"))), RiskNamespaceAdmin, "dev", "core API group", ""},
		{"core wildcard: its risks are not repeated", grantRB(rule(l("*"), l(""), l("*"))), RiskSecretsRead, "", "", ""},
		{"core wildcard: nor exec", grantRB(rule(l("*"), l(""), l("*"))), RiskPodExec, "", "", ""},
		{"trap: core wildcard cluster-wide is no namespace-admin", grantCR(rule(l("*"), l(""), l("*"))), RiskNamespaceAdmin, "", "", ""},
		{"core wildcard cluster-wide: each risk counts", grantCR(rule(l("*"), l(""), l("*"))), RiskSecretsRead, "*", "", ""},
		{"trap: core wildcard by name", grantRB(named(rule(l("*"), l(""), l("*")), "x")), RiskNamespaceAdmin, "", "", ""},
		{"trap: every core resource, read only", grantRB(rule(l("get", "list", "watch"), l(""), l("*"))), RiskNamespaceAdmin, "", "", ""},
		{"trap: every verb on core pods only", grantRB(rule(l("*"), l(""), l("pods", "secrets"))), RiskNamespaceAdmin, "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := Load(c.objs...).Analysis()
			rs := risksOf(a, c.kind, alice)
			if got := scopes(rs); got != c.scopes {
				t.Fatalf("%s scopes = %q, want %q (risks %+v)", c.kind, got, c.scopes, a.Risks)
			}
			if len(rs) == 0 {
				return
			}
			r := rs[0]
			if c.detail != "" && !strings.Contains(r.Detail, c.detail) {
				t.Errorf("detail %q, want it to contain %q", r.Detail, c.detail)
			}
			if got := strings.Join(r.Names, ","); got != c.names {
				t.Errorf("names %q, want %q", got, c.names)
			}
			if len(r.Grants) == 0 || r.Grants[0].BindingName == "" || r.Grants[0].Rule == "" {
				t.Errorf("grants %+v: want the binding and rule of each half", r.Grants)
			}
			if r.Builtin {
				t.Errorf("alice's risk is not builtin")
			}
		})
	}
}

var (
	csrCreate   = rule(l("create"), l(groupCertificates), l("certificatesigningrequests"))
	csrApproval = rule(l("update"), l(groupCertificates), l("certificatesigningrequests/approval"))
)

func csrSigner(names ...string) rbacv1.PolicyRule {
	return named(rule(l("approve"), l(groupCertificates), l("signers")), names...)
}

// TestRiskHalvesAcrossGroups: a subject holding one half and its implicit
// group the other holds the risk; a group holding it alone is reported on
// the group, not on every member.
func TestRiskHalvesAcrossGroups(t *testing.T) {
	p := Load(
		clusterRole("bind", rule(l("bind"), l(groupRBAC), l("clusterroles"))),
		clusterRole("write", rule(l("create"), l(groupRBAC), l("rolebindings"))),
		clusterRole("both", rule(l("bind"), l(groupRBAC), l("clusterroles")), rule(l("create"), l(groupRBAC), l("rolebindings"))),
		crb("a", "bind", user("alice")),
		crb("b", "write", group(AllAuthenticated)),
		crb("c", "both", group("ops")),
		crb("d", "bind", sa("ci", "builder")),
		crb("e", "both", group("system:serviceaccounts:web")),
		crb("f", "bind", group("system:serviceaccounts:x")),
		crb("g", "write", group("system:serviceaccounts")),
		crb("h", "write", user("carol")),
		namespace("x"), namespace("web"), namespace("other"), namespace("ci"),
	)
	a := p.Analysis()
	for _, c := range []struct {
		s    SubjectRef
		want string
	}{
		{alice, "*"}, // own bind + system:authenticated's write
		{SubjectRef{Kind: KindServiceAccount, Namespace: "ci", Name: "builder"}, "*"},
		{SubjectRef{Kind: KindGroup, Name: AllAuthenticated}, ""}, // one half only
		{SubjectRef{Kind: KindGroup, Name: "ops"}, "*"},
		{SubjectRef{Kind: KindUser, Name: "carol"}, ""},                                   // write twice, no bind
		{SubjectRef{Kind: KindServiceAccount, Namespace: "web", Name: "default"}, ""},     // its group holds it: reported there
		{SubjectRef{Kind: KindGroup, Name: "system:serviceaccounts:web"}, "*"},            // alone
		{SubjectRef{Kind: KindServiceAccount, Namespace: "x", Name: "default"}, "*"},      // two groups between them
		{SubjectRef{Kind: KindGroup, Name: "system:serviceaccounts:x"}, ""},               // one half only
		{SubjectRef{Kind: KindServiceAccount, Namespace: "other", Name: "default"}, ""},   // write only
		{SubjectRef{Kind: KindGroup, Name: "system:serviceaccounts"}, ""},                 // one half only
		{SubjectRef{Kind: KindServiceAccount, Namespace: "ci", Name: "default"}, ""},      // not the builder
		{SubjectRef{Kind: KindServiceAccount, Namespace: "web", Name: "nonexistent"}, ""}, // not a node at all
	} {
		if got := scopes(risksOf(a, RiskBind, c.s)); got != c.want {
			t.Errorf("%s: bind scopes %q, want %q", c.s, got, c.want)
		}
	}
}
