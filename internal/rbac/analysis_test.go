package rbac

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func serviceAccount(ns, name string) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
}

func pod(ns, name, saName, node string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.PodSpec{ServiceAccountName: saName, NodeName: node}}
}

func tokenSecret(ns, name, saName string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{ServiceAccountNameAnnotation: saName}},
		Type: SecretTypeServiceAccountToken}
}

var adminRules = []rbacv1.PolicyRule{rule(l("*"), l("*"), l("*")), {Verbs: l("*"), NonResourceURLs: l("*")}}

// pathWorld: ServiceAccount ci/deployer is a cluster admin; pod ci/runner
// runs as it on node n1, and a legacy token Secret of it exists. User root
// is a cluster admin too. Namespace web holds a harmless ServiceAccount.
func pathWorld(extra ...runtime.Object) *Policy {
	objs := []runtime.Object{
		clusterRole("cluster-admin", adminRules...),
		crb("deployer-admin", "cluster-admin", sa("ci", "deployer")),
		crb("root-admin", "cluster-admin", user("root")),
		namespace("ci"), namespace("web"),
		serviceAccount("ci", "deployer"), serviceAccount("ci", "default"), serviceAccount("web", "default"), serviceAccount("web", "app"),
		pod("ci", "runner", "deployer", "n1"), pod("web", "app-1", "app", "n2"),
		tokenSecret("ci", "deployer-token", "deployer"),
	}
	return Load(append(objs, extra...)...)
}

func adminOf(a *Analysis, s SubjectRef) *Admin {
	for i := range a.Admins {
		if a.Admins[i].Subject == s {
			return &a.Admins[i]
		}
	}
	return nil
}

func pathText(steps []Step) string {
	var out []string
	for _, s := range steps {
		out = append(out, s.Action+" [via "+s.Via+"]")
	}
	return strings.Join(out, "\n  then ")
}

// TestAnalysisPaths: what alice reaches, given one more grant, in a world
// with two cluster admins. steps 0 means no path.
func TestAnalysisPaths(t *testing.T) {
	rolesIn := func(ns string, rules ...rbacv1.PolicyRule) []runtime.Object {
		return []runtime.Object{clusterRole("r", rules...), rb(ns, "alice-r", "ClusterRole", "r", user("alice"))}
	}
	cluster := func(rules ...rbacv1.PolicyRule) []runtime.Object {
		return []runtime.Object{clusterRole("r", rules...), crb("alice-r", "r", user("alice"))}
	}
	cases := []struct {
		name   string
		objs   []runtime.Object
		steps  int
		direct bool
		first  string // substring of the first step's action
	}{
		{"cluster-admin itself", []runtime.Object{crb("alice-admin", "cluster-admin", user("alice"))}, 1, true, "holds every verb on every resource of every API group, cluster-wide"},
		{"cluster-admin through system:authenticated", []runtime.Object{crb("all-admin", "cluster-admin", group(AllAuthenticated)), crb("x", "cluster-admin", user("alice"))}, 1, true, "holds every verb"},
		{"create pods in ci", rolesIn("ci", rule(l("create"), l(""), l("pods"))), 2, false, "create pods in namespace ci → run as ServiceAccount ci/deployer"},
		{"create pods elsewhere", rolesIn("web", rule(l("create"), l(""), l("pods"))), 0, false, ""},
		{"create deployments.apps in ci", rolesIn("ci", rule(l("patch"), l("apps"), l("deployments"))), 2, false, "patch deployments.apps in namespace ci"},
		{"trap: deployments under core", rolesIn("ci", rule(l("create"), l(""), l("deployments"))), 0, false, ""},
		{"exec into ci's pods", rolesIn("ci", rule(l("create"), l(""), l("pods/exec"))), 2, false, "→ run as ServiceAccount ci/deployer (pod ci/runner)"},
		{"exec into the named pod", rolesIn("ci", named(rule(l("create"), l(""), l("pods/attach")), "runner")), 2, false, "(pod ci/runner)"},
		{"exec into another pod", rolesIn("ci", named(rule(l("create"), l(""), l("pods/exec")), "other")), 0, false, ""},
		{"trap: get pods/exec", rolesIn("ci", rule(l("get"), l(""), l("pods/exec"))), 0, false, ""},
		{"trap: pods/*", rolesIn("ci", rule(l("create", "patch"), l(""), l("pods/*"))), 0, false, ""},
		{"patch ci's pods", rolesIn("ci", rule(l("patch"), l(""), l("pods"))), 2, false,
			"patch pods in namespace ci → run a new container image as ServiceAccount ci/deployer (pod ci/runner)"},
		{"update the named pod", rolesIn("ci", named(rule(l("update"), l(""), l("pods")), "runner")), 2, false, "update pods (named runner) in namespace ci"},
		{"patch pods in every namespace", cluster(rule(l("patch"), l("*"), l("pods"))), 2, false, "patch pods in every namespace → run a new container image as ServiceAccount ci/deployer"},
		{"patch another pod", rolesIn("ci", named(rule(l("patch"), l(""), l("pods")), "other")), 0, false, ""},
		{"patch pods of another namespace", rolesIn("web", rule(l("patch"), l(""), l("pods"))), 0, false, ""},
		{"trap: patch pods/status", rolesIn("ci", rule(l("patch"), l(""), l("pods/status"))), 0, false, ""},
		{"ephemeral container in ci's pods", rolesIn("ci", rule(l("patch"), l(""), l("pods/ephemeralcontainers"))), 2, false,
			"patch pods/ephemeralcontainers in namespace ci → run as ServiceAccount ci/deployer (pod ci/runner)"},
		{"token for deployer", rolesIn("ci", named(rule(l("create"), l(""), l("serviceaccounts/token")), "deployer")), 2, false, "authenticate as ServiceAccount ci/deployer"},
		{"token for deployer in any namespace", cluster(named(rule(l("create"), l(""), l("serviceaccounts/token")), "deployer")), 2, false, "in every namespace → authenticate as ServiceAccount ci/deployer"},
		{"token for someone else", rolesIn("ci", named(rule(l("create"), l(""), l("serviceaccounts/token")), "default")), 0, false, ""},
		{"list secrets: legacy token", rolesIn("ci", rule(l("list"), l(""), l("secrets"))), 2, false, "(token Secret ci/deployer-token)"},
		{"get the token Secret by name", rolesIn("ci", named(rule(l("get"), l(""), l("secrets")), "deployer-token")), 2, false, "ci/deployer"},
		{"get another Secret", rolesIn("ci", named(rule(l("get"), l(""), l("secrets")), "other")), 0, false, ""},
		{"secrets of another namespace", rolesIn("web", rule(l("list"), l(""), l("secrets"))), 0, false, ""},
		{"get nodes/proxy", cluster(rule(l("get"), l(""), l("nodes/proxy"))), 2, false, "(pod ci/runner on node n1)"},
		{"nodes/proxy on the node", cluster(named(rule(l("get"), l(""), l("nodes/proxy")), "n1")), 2, false, "ci/deployer"},
		{"nodes/proxy on another node", cluster(named(rule(l("get"), l(""), l("nodes/proxy")), "n2")), 0, false, ""},
		{"trap: nodes/proxy through a RoleBinding", rolesIn("ci", rule(l("get"), l(""), l("nodes/proxy"))), 0, false, ""},
		{"impersonate users", cluster(rule(l("impersonate"), l(""), l("users"))), 2, false, "act as User root"},
		{"impersonate root by name", cluster(named(rule(l("impersonate"), l(""), l("users")), "root")), 2, false, "act as User root"},
		{"impersonate another user", cluster(named(rule(l("impersonate"), l(""), l("users")), "bob")), 0, false, ""},
		{"impersonate users does not give ServiceAccounts", cluster(named(rule(l("impersonate"), l(""), l("users")), "system:serviceaccount:ci:deployer")), 0, false, ""},
		{"impersonate ci's ServiceAccounts", rolesIn("ci", rule(l("impersonate"), l(""), l("serviceaccounts"))), 2, false, "act as ServiceAccount ci/deployer"},
		{"impersonate groups with a user", cluster(rule(l("impersonate"), l(""), l("groups")), named(rule(l("impersonate"), l(""), l("users")), "nobody")), 2, false, "act as Group system:masters"},
		{"impersonate system:masters with a ServiceAccount of web", append(cluster(named(rule(l("impersonate"), l(""), l("groups")), PrivilegedGroup)),
			clusterRole("imp-sa", rule(l("impersonate"), l(""), l("serviceaccounts"))), rb("web", "alice-imp", "ClusterRole", "imp-sa", user("alice"))), 2, false, "act as Group system:masters"},
		{"trap: impersonate groups without a user", cluster(rule(l("impersonate"), l(""), l("groups"))), 0, false, ""},
		{"trap: impersonate other groups", cluster(named(rule(l("impersonate"), l(""), l("groups")), "dev"), rule(l("impersonate"), l(""), l("users"))), 2, false, "act as User root"},
		{"mint a client certificate", cluster(csrCreate, csrApproval, csrSigner(clientSigner)), 2, false, "create a CertificateSigningRequest for signer kubernetes.io/kube-apiserver-client and approve it → authenticate as"},
		{"trap: two of the three CSR halves", cluster(csrCreate, csrApproval), 0, false, ""},
		{"bind cluster-admin with a ClusterRoleBinding", cluster(named(rule(l("bind"), l(groupRBAC), l("clusterroles")), "cluster-admin"), rule(l("create"), l(groupRBAC), l("clusterrolebindings"))), 1, false,
			"bind ClusterRole cluster-admin to itself with a new ClusterRoleBinding"},
		{"add itself to the admin binding", cluster(rule(l("bind"), l(groupRBAC), l("clusterroles")), named(rule(l("update"), l(groupRBAC), l("clusterrolebindings")), "root-admin")), 1, false,
			"add itself to ClusterRoleBinding root-admin"},
		{"bind cluster-admin in every namespace", cluster(named(rule(l("bind"), l(groupRBAC), l("clusterroles")), "cluster-admin"), rule(l("create"), l(groupRBAC), l("rolebindings"))), 2, false,
			"bind ClusterRole cluster-admin to itself with a RoleBinding in any namespace → act as ServiceAccount ci/deployer"},
		{"bind edit in ci", append(rolesIn("ci", named(rule(l("bind"), l(groupRBAC), l("clusterroles")), "edit"), rule(l("create"), l(groupRBAC), l("rolebindings"))),
			clusterRole("edit", rule(l("create"), l(""), l("pods")))), 2, false, "bind ClusterRole edit to itself with a RoleBinding in namespace ci"},
		{"trap: bind alone", cluster(rule(l("bind"), l(groupRBAC), l("clusterroles"))), 0, false, ""},
		{"trap: bind a role without power", cluster(named(rule(l("bind"), l(groupRBAC), l("clusterroles")), "r"), rule(l("create"), l(groupRBAC), l("clusterrolebindings", "rolebindings"))), 0, false, ""},
		{"trap: bind on clusterrolebindings", cluster(rule(l("bind", "create"), l(groupRBAC), l("clusterrolebindings"))), 0, false, ""},
		{"escalate its own ClusterRole", cluster(rule(l("escalate", "update"), l(groupRBAC), l("clusterroles"))), 1, false,
			"escalate and update ClusterRole r, which ClusterRoleBinding alice-r binds to it, to allow every verb on every resource"},
		{"escalate its own Role in ci", []runtime.Object{role("ci", "mine", rule(l("escalate", "patch"), l(groupRBAC), l("roles"))), rb("ci", "alice-mine", "Role", "mine", user("alice"))}, 2, false,
			"escalate and update Role ci/mine, which RoleBinding ci/alice-mine binds to it, to allow everything in namespace ci → act as ServiceAccount ci/deployer"},
		{"trap: escalate alone", cluster(rule(l("escalate"), l(groupRBAC), l("clusterroles"))), 0, false, ""},
		{"trap: escalate a role it is not bound to", cluster(named(rule(l("escalate", "update"), l(groupRBAC), l("clusterroles")), "other")), 0, false, ""},
		{"cluster-admin in namespace ci", []runtime.Object{rb("ci", "alice-admin", "ClusterRole", "cluster-admin", user("alice"))}, 2, false,
			"holds every verb on every resource in namespace ci → act as ServiceAccount ci/deployer"},
		{"every core resource in namespace ci", rolesIn("ci", rule(l("*"), l(""), l("*"))), 2, false,
			"holds every verb on every resource of the core API group in namespace ci → act as ServiceAccount ci/deployer"},
		{"cluster-admin in namespace web is no admin", []runtime.Object{rb("web", "alice-admin", "ClusterRole", "cluster-admin", user("alice"))}, 0, false, ""},
		{"namespace patch leads nowhere", cluster(rule(l("patch"), l(""), l("namespaces"))), 0, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := pathWorld(c.objs...).Analysis()
			ad := adminOf(a, alice)
			paths := a.Paths(alice)
			if c.steps == 0 {
				if ad != nil || paths != nil {
					t.Fatalf("alice reaches cluster-admin power, want no path:\n  %s", pathText(paths[0]))
				}
				return
			}
			if ad == nil || len(paths) == 0 {
				t.Fatalf("alice has no path, want %d steps", c.steps)
			}
			if len(ad.Path) != c.steps || ad.Direct != c.direct {
				t.Fatalf("alice: %d steps, direct %v; want %d, %v:\n  %s", len(ad.Path), ad.Direct, c.steps, c.direct, pathText(ad.Path))
			}
			if !reflect.DeepEqual(paths[0], ad.Path) {
				t.Errorf("Admin.Path differs from the first of Paths:\n  %s\n  %s", pathText(ad.Path), pathText(paths[0]))
			}
			if !strings.Contains(ad.Path[0].Action, c.first) {
				t.Errorf("first step %q, want it to contain %q", ad.Path[0].Action, c.first)
			}
			for _, p := range paths {
				last := p[len(p)-1]
				if all := last.Action + last.Via; !strings.Contains(all, "cluster-admin") && !strings.Contains(all, KindPrivilegedGroup) && !strings.Contains(all, "every verb on every resource") {
					t.Errorf("path does not end with a grant of cluster-admin power: %s", pathText(p))
				}
				for _, st := range p {
					if st.Via == "" || st.Action == "" {
						t.Errorf("step without action or via: %+v", st)
					}
				}
			}
			if ad.Builtin {
				t.Errorf("alice is not builtin")
			}
		})
	}
}

// TestPodPatchReachesRunningServiceAccounts: patching a pod swaps its
// containers' images, never its ServiceAccount (spec.serviceAccountName is
// immutable): it reaches the ServiceAccounts pods run as, not every
// ServiceAccount of the namespace as creating pods does.
func TestPodPatchReachesRunningServiceAccounts(t *testing.T) {
	world := func(extra ...runtime.Object) *Analysis {
		objs := []runtime.Object{
			clusterRole("cluster-admin", adminRules...),
			crb("ops-admin", "cluster-admin", sa("tools", "ops")),
			namespace("tools"), serviceAccount("tools", "ops"), serviceAccount("tools", "default"),
			clusterRole("patcher", rule(l("get", "list", "patch", "update"), l(""), l("pods"))),
			rb("tools", "mallory-patch", "ClusterRole", "patcher", user("mallory")),
			clusterRole("creator", rule(l("create"), l(""), l("pods"))),
			rb("tools", "eve-create", "ClusterRole", "creator", user("eve")),
		}
		return Load(append(objs, extra...)...).Analysis()
	}
	mallory, eve := SubjectRef{Kind: KindUser, Name: "mallory"}, SubjectRef{Kind: KindUser, Name: "eve"}
	// No pod runs as tools/ops: creating a pod reaches it, patching one does not.
	a := world(pod("tools", "web-0", "default", "n1"))
	if ps := a.Paths(mallory); ps != nil {
		t.Errorf("mallory patches only pods running as tools/default, yet: %s", pathText(ps[0]))
	}
	if ad := adminOf(a, eve); ad == nil || len(ad.Path) != 2 {
		t.Errorf("eve creates pods in tools: want 2 steps, got %+v", ad)
	}
	if rs := risksOf(a, RiskWorkloadCreate, mallory); len(rs) != 1 || rs[0].Namespace != "tools" || rs[0].Detail != "update, patch pods" {
		t.Errorf("mallory's workload risk: %+v", rs)
	}
	// A pod runs as tools/ops: patching it is the way.
	a = world(pod("tools", "web-0", "default", "n1"), pod("tools", "ops-0", "ops", "n1"))
	ad := adminOf(a, mallory)
	if ad == nil || len(ad.Path) != 2 || !strings.Contains(ad.Path[0].Action, "run a new container image as ServiceAccount tools/ops (pod tools/ops-0)") {
		t.Fatalf("mallory: %+v", ad)
	}
	if !strings.Contains(ad.Path[0].Via, "RoleBinding tools/mallory-patch → ClusterRole patcher") {
		t.Errorf("via %q", ad.Path[0].Via)
	}
}

// TestAnalysisImplicitGroups: system:authenticated may create pods where
// an admin ServiceAccount lives: the group is in Admins, and any user, even
// one no binding names, has the path through it.
func TestAnalysisImplicitGroups(t *testing.T) {
	a := pathWorld(
		clusterRole("creator", rule(l("create"), l(""), l("pods"))),
		rb("ci", "everyone-creates", "ClusterRole", "creator", group(AllAuthenticated)),
		crb("alice-nothing", "none", user("alice")),
	).Analysis()
	auth := SubjectRef{Kind: KindGroup, Name: AllAuthenticated}
	ad := adminOf(a, auth)
	if ad == nil || len(ad.Path) != 2 || ad.Direct {
		t.Fatalf("system:authenticated: %+v", ad)
	}
	for _, s := range []SubjectRef{alice, {Kind: KindUser, Name: "never-bound"}, {Kind: KindServiceAccount, Namespace: "web", Name: "app"}} {
		ps := a.Paths(s)
		if len(ps) == 0 || len(ps[0]) != 2 {
			t.Fatalf("%s: paths %v", s, ps)
		}
		if want := "as a member of Group system:authenticated, create pods in namespace ci → run as ServiceAccount ci/deployer"; ps[0][0].Action != want {
			t.Errorf("%s: first step %q, want %q", s, ps[0][0].Action, want)
		}
	}
	if ad := adminOf(a, SubjectRef{Kind: KindServiceAccount, Namespace: "web", Name: "app"}); ad == nil || len(ad.Path) != 2 {
		t.Errorf("web/app, a known ServiceAccount, is listed through its group: %+v", ad)
	}
	// system:anonymous is not authenticated
	if ps := a.Paths(SubjectRef{Kind: KindUser, Name: Anonymous}); ps != nil {
		t.Errorf("system:anonymous: %v", ps)
	}
	// A group inherits nothing from its members.
	b := pathWorld(
		clusterRole("creator", rule(l("create"), l(""), l("pods"))),
		rb("ci", "alice-creates", "ClusterRole", "creator", user("alice")),
		crb("auth-nothing", "none", group(AllAuthenticated)),
	).Analysis()
	if adminOf(b, auth) != nil || adminOf(b, alice) == nil {
		t.Errorf("the group took its member's path")
	}
}

// TestAnalysisCycles: subjects that can become each other, in a ring, with
// and without an exit to cluster-admin power.
func TestAnalysisCycles(t *testing.T) {
	ring := func(exit bool) *Policy {
		objs := []runtime.Object{
			clusterRole("cluster-admin", adminRules...),
			clusterRole("creator", rule(l("create"), l(""), l("pods"))),
			clusterRole("imp", rule(l("impersonate"), l(""), l("users"))),
		}
		for i := 0; i < 4; i++ {
			ns, next := fmt.Sprintf("ns%d", i), fmt.Sprintf("ns%d", (i+1)%4)
			objs = append(objs, serviceAccount(ns, "sa"), rb(next, "from-"+ns, "ClusterRole", "creator", sa(ns, "sa")))
		}
		objs = append(objs, crb("u-imp", "imp", user("u")), rb("ns0", "u-creates", "ClusterRole", "creator", user("u")))
		if exit {
			objs = append(objs, crb("exit", "cluster-admin", sa("ns2", "sa")))
		}
		return Load(objs...)
	}
	a := ring(false).Analysis()
	if len(a.Admins) != 1 || a.Admins[0].Subject.Name != PrivilegedGroup {
		t.Fatalf("admins without an exit: %+v", a.Admins)
	}
	if ps := a.Paths(SubjectRef{Kind: KindServiceAccount, Namespace: "ns0", Name: "sa"}); ps != nil {
		t.Fatalf("paths without an exit: %v", ps)
	}
	a = ring(true).Analysis()
	want := map[string]int{"ns0": 3, "ns1": 2, "ns2": 1, "ns3": 4}
	for ns, steps := range want {
		ad := adminOf(a, SubjectRef{Kind: KindServiceAccount, Namespace: ns, Name: "sa"})
		if ad == nil || len(ad.Path) != steps {
			t.Errorf("%s/sa: %+v, want %d steps", ns, ad, steps)
		}
	}
	// u: create pods in ns0 (→ ns0/sa, 3 more) = 4 steps
	if ad := adminOf(a, SubjectRef{Kind: KindUser, Name: "u"}); ad == nil || len(ad.Path) != 4 {
		t.Errorf("u: %+v", ad)
	}
}

// TestPathsOrderAndCap: all shortest paths, at most ten, the same each time.
func TestPathsOrderAndCap(t *testing.T) {
	objs := []runtime.Object{
		clusterRole("cluster-admin", adminRules...),
		clusterRole("creator", rule(l("create"), l(""), l("pods"))),
		rb("ci", "alice-creates", "ClusterRole", "creator", user("alice")),
	}
	for i := 0; i < 12; i++ {
		name := fmt.Sprintf("admin-%02d", i)
		objs = append(objs, serviceAccount("ci", name), crb(name, "cluster-admin", sa("ci", name)))
	}
	p := Load(objs...)
	a := p.Analysis()
	ps := a.Paths(alice)
	if len(ps) != maxPaths {
		t.Fatalf("%d paths, want %d", len(ps), maxPaths)
	}
	for i, path := range ps {
		if want := fmt.Sprintf("ServiceAccount ci/admin-%02d", i); !strings.HasSuffix(path[0].Action, want) {
			t.Errorf("path %d: %q, want it to end with %q", i, path[0].Action, want)
		}
	}
	if again := Load(objs...).Analysis().Paths(alice); !reflect.DeepEqual(ps, again) {
		t.Errorf("paths differ between two analyses")
	}
	if ps := a.Paths(SubjectRef{Kind: KindUser, Name: "nobody-at-all"}); ps != nil {
		t.Errorf("a user with no grant: %v", ps)
	}
	if ps := a.Paths(SubjectRef{Kind: "Robot", Name: "x"}); ps != nil {
		t.Errorf("an unknown kind: %v", ps)
	}
}

// wantBuiltinOnly: the admins are the defaults' (system:masters and the
// controllers that reach cluster-admin), and they and every risk are
// marked builtin.
func wantBuiltinOnly(t *testing.T, a *Analysis) {
	t.Helper()
	if len(a.Admins) < 2 {
		t.Fatalf("admins %+v: system:masters and the controllers reach cluster-admin", a.Admins)
	}
	for _, ad := range a.Admins {
		if !ad.Builtin {
			t.Errorf("admin %s is not builtin: %s", ad.Subject, pathText(ad.Path))
		}
	}
	for _, r := range a.Risks {
		if !r.Builtin {
			t.Errorf("risk %s of %s in %q is not builtin", r.Kind, r.Subject, r.Namespace)
		}
	}
}

// TestAnalysisBootstrap: Kubernetes' defaults alone make only builtin
// admins (system:masters and controllers that can reach it) and builtin
// risks, and no binding issue.
func TestAnalysisBootstrap(t *testing.T) {
	p := loadBootstrap(t, nil)
	a := p.Analysis()
	if len(a.Risks) == 0 {
		t.Fatal("no risks: the controllers hold some by default")
	}
	wantBuiltinOnly(t, a)
	if ad := adminOf(a, SubjectRef{Kind: KindGroup, Name: PrivilegedGroup}); ad == nil || !ad.Direct {
		t.Errorf("system:masters: %+v", ad)
	}
	if len(a.BindingIssues) != 0 {
		t.Errorf("binding issues: %+v", a.BindingIssues)
	}
	// A user bound to a default role by a binding of its own is not builtin.
	q := loadBootstrap(t, func([]rbacv1.ClusterRole, []rbacv1.ClusterRoleBinding, []rbacv1.Role, []rbacv1.RoleBinding) []runtime.Object {
		return []runtime.Object{crb("ops-gc", "system:controller:generic-garbage-collector", user("ops"))}
	})
	qa := q.Analysis()
	if rs := risksOf(qa, RiskSecretsRead, SubjectRef{Kind: KindUser, Name: "ops"}); len(rs) != 1 || rs[0].Builtin {
		t.Errorf("ops: %+v", rs)
	}
	// ... nor is a default principal bound by a custom binding.
	q = loadBootstrap(t, func([]rbacv1.ClusterRole, []rbacv1.ClusterRoleBinding, []rbacv1.Role, []rbacv1.RoleBinding) []runtime.Object {
		return []runtime.Object{crb("sched-admin", "cluster-admin", user("system:kube-scheduler"))}
	})
	if ad := adminOf(q.Analysis(), SubjectRef{Kind: KindUser, Name: "system:kube-scheduler"}); ad == nil || !ad.Direct || ad.Builtin {
		t.Errorf("kube-scheduler made admin: %+v", ad)
	}
}

func TestBindingIssues(t *testing.T) {
	p := Load(
		clusterRole("reader", rule(l("get", "list"), l(""), l("secrets"))),
		clusterRole("cluster-admin", adminRules...),
		crb("anon-read", "reader", user(Anonymous)),
		crb("all-admin", "cluster-admin", group(AllAuthenticated)),
		rb("dev", "unauth", "ClusterRole", "reader", group(AllUnauthenticated)),
		rb("dev", "ghost", "ClusterRole", "reader", sa("", "ghost"), sa("dev", "real")),
		rb("prod", "ghost", "ClusterRole", "reader", sa("", "ghost")), // prod's ServiceAccounts were not read
		rb("dev", "to-nothing", "Role", "missing", user("alice")),
		crb("to-nothing", "missing-cr", user("alice")),
		serviceAccount("dev", "real"),
	)
	a := p.Analysis()
	var got []string
	for _, is := range a.BindingIssues {
		s := string(is.Kind) + " " + is.Binding + " " + is.Role
		if is.Subject != nil {
			s += " " + is.Subject.String()
		}
		got = append(got, s)
	}
	want := []string{
		"public-subject ClusterRoleBinding all-admin ClusterRole cluster-admin Group system:authenticated",
		"public-subject ClusterRoleBinding anon-read ClusterRole reader User system:anonymous",
		"public-subject RoleBinding dev/unauth ClusterRole reader Group system:unauthenticated",
		"missing-subject RoleBinding dev/ghost ClusterRole reader ServiceAccount dev/ghost",
		"missing-role ClusterRoleBinding to-nothing ClusterRole missing-cr",
		"missing-role RoleBinding dev/to-nothing Role dev/missing",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("issues:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, is := range a.BindingIssues {
		if is.Detail == "" {
			t.Errorf("%+v: no detail", is)
		}
	}
	if d := a.BindingIssues[0].Detail; !strings.Contains(d, "every verb on every resource") || !strings.Contains(d, "system:authenticated") {
		t.Errorf("public binding to cluster-admin: %q", d)
	}
	if d := a.BindingIssues[1].Detail; !strings.Contains(d, "secrets-read") {
		t.Errorf("public binding to a secrets reader: %q", d)
	}
	// The defaults bind system:authenticated and system:unauthenticated
	// (discovery, public info): not issues.
	if is := loadBootstrap(t, nil).Analysis().BindingIssues; len(is) != 0 {
		t.Errorf("bootstrap: %+v", is)
	}
}

// TestAnalysisConcurrent: one analysis for many callers (run with -race).
func TestAnalysisConcurrent(t *testing.T) {
	p := pathWorld(clusterRole("creator", rule(l("create"), l(""), l("pods/exec"))), rb("ci", "x", "ClusterRole", "creator", user("alice")))
	var wg sync.WaitGroup
	results := make([]*Analysis, 8)
	paths := make([][][]Step, 8)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = p.Analysis()
			paths[i] = results[i].Paths(alice)
		}(i)
	}
	wg.Wait()
	for i := range results {
		if results[i] != results[0] {
			t.Fatal("Analysis computed twice")
		}
		if !reflect.DeepEqual(paths[i], paths[0]) || len(paths[i]) == 0 {
			t.Fatalf("paths differ: %v", paths[i])
		}
	}
	// Paths of every subject at once, on a fresh analysis.
	a := pathWorld(clusterRole("creator", rule(l("create"), l(""), l("pods"))), rb("ci", "x", "ClusterRole", "creator", group(AllAuthenticated))).Analysis()
	subjects := []SubjectRef{{Kind: KindUser, Name: "someone"}, {Kind: KindServiceAccount, Namespace: "web", Name: "app"}}
	for _, ad := range a.Admins {
		subjects = append(subjects, ad.Subject)
	}
	for i := 0; i < 4; i++ {
		for _, s := range subjects {
			wg.Add(1)
			go func(s SubjectRef) {
				defer wg.Done()
				if len(a.Paths(s)) == 0 {
					t.Errorf("%s: no path", s)
				}
			}(s)
		}
	}
	wg.Wait()
}

// TestAnalysisJSON: the shapes other tools read.
func TestAnalysisJSON(t *testing.T) {
	a := pathWorld().Analysis()
	data, err := json.Marshal(a.Admins)
	if err != nil {
		t.Fatal(err)
	}
	var back []map[string]any
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	for _, ad := range back {
		for _, k := range []string{"subject", "direct", "path"} {
			if _, ok := ad[k]; !ok {
				t.Errorf("admin without %q: %v", k, ad)
			}
		}
		for _, st := range ad["path"].([]any) {
			if len(st.(map[string]any)) != 2 {
				t.Errorf("step %v: want action and via only", st)
			}
		}
	}
	if empty := Load().Analysis(); empty.Admins == nil || len(empty.Admins) != 1 {
		t.Errorf("an empty policy: system:masters only, got %+v", empty.Admins)
	}
}

// TestAnalysisCSRNotMasters: a client certificate may name any user and
// group but system:masters (CertificateSubjectRestriction), and a
// ServiceAccount's user name in it matches that ServiceAccount's bindings.
func TestAnalysisCSRNotMasters(t *testing.T) {
	minter := []runtime.Object{clusterRole("mint", csrCreate, csrApproval, csrSigner(clientSigner)), crb("alice-mints", "mint", user("alice"))}
	if a := Load(minter...).Analysis(); adminOf(a, alice) != nil {
		t.Fatalf("alice reaches system:masters through a certificate: %s", pathText(adminOf(a, alice).Path))
	}
	a := Load(append(minter, clusterRole("cluster-admin", adminRules...), crb("sa-admin", "cluster-admin", sa("ops", "robot")))...).Analysis()
	ad := adminOf(a, alice)
	if ad == nil || len(ad.Path) != 2 || !strings.HasSuffix(ad.Path[0].Action, "authenticate as ServiceAccount ops/robot") {
		t.Fatalf("alice: %+v", ad)
	}
	if !strings.Contains(ad.Path[0].Via, "ClusterRoleBinding alice-mints → ClusterRole mint") {
		t.Errorf("via %q", ad.Path[0].Via)
	}
}
