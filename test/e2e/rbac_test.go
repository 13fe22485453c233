package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/internal/inputs/live/secretmeta"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/rbacdump"
	"github.com/apiguard/apiguard/test/e2e/lab"
)

// TestRBACDifferential is the differential proof of internal/rbac: it builds
// a varied RBAC landscape on a real kube-apiserver (testdata/rbac-landscape.yaml
// plus a seeded random part), loads it the two ways the product does
// (rbac.LoadLive as the read-only user, rbacdump.Load of kubectl-style dumps),
// and asks thousands of random questions both of the real authorizer
// (SubjectAccessReview) and of Policy.Allowed. Any disagreement fails.
//
// APIGUARD_RBAC_SEED=<n> replays a seed (it drives the landscape's random part
// and the questions); APIGUARD_RBAC_QUESTIONS=<n> changes how many questions
// are asked (default 4000).
func TestRBACDifferential(t *testing.T) {
	seed := uint64(20260301)
	if s := os.Getenv("APIGUARD_RBAC_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("APIGUARD_RBAC_SEED=%q: %v", s, err)
		}
		seed = v
	}
	nQuestions := 4000
	if s := os.Getenv("APIGUARD_RBAC_QUESTIONS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("APIGUARD_RBAC_QUESTIONS=%q: want a positive integer", s)
		}
		nQuestions = v
	}
	t.Logf("seed %d (replay with APIGUARD_RBAC_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	start := time.Now()
	ctx := context.Background()

	// Node,RBAC authorization (kubeadm's); no audit log to slow the SARs down.
	c := lab.Start(t, lab.KubeadmLike)
	cfg := lab.RESTConfig(t, c.AdminKubeconfig)
	cfg.QPS, cfg.Burst = 1000, 1000
	admin, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.WaitAggregated(t)

	// --- the landscape
	for _, ns := range []string{"team-a", "team-b", "team-c", "team-bulk"} {
		mustCreate(t, func() error {
			_, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
			return err
		})
	}
	for _, sa := range [][2]string{{"team-a", "builder"}, {"team-a", "deployer"}, {"team-c", "runner"}} {
		mustCreate(t, func() error {
			_, err := admin.CoreV1().ServiceAccounts(sa[0]).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa[1]}}, metav1.CreateOptions{})
			return err
		})
	}
	c.ApplyFile(t, filepath.Join("testdata", "rbac-landscape.yaml"))
	c.ApplyFile(t, rbacReadonlyPath) // the reader LoadLive runs as
	subjects := rbacSubjects()
	generated := generateRBAC(rng, subjects)
	for _, o := range generated {
		mustCreate(t, func() error { return createObject(ctx, admin, o) })
	}
	createBulk(ctx, t, admin)
	waitAggregationSettled(ctx, t, admin)
	before := listRBAC(ctx, t, admin)
	waitAuthorizerSynced(ctx, t, admin)
	t.Logf("landscape ready after %s (%d generated objects)", time.Since(start).Round(time.Millisecond), len(generated))

	// --- what the server holds, and the policies the product builds from it
	snap := listRBAC(ctx, t, admin)
	// The canaries only prove the authorizer caught up if nothing else was
	// written after them (the aggregation controller, say).
	if d, want := diffVersions(before, snap), "created ClusterRole lab:canary\ncreated ClusterRoleBinding lab:canary\ncreated Role team-c/canary\ncreated RoleBinding team-c/canary"; d != want {
		t.Fatalf("RBAC objects changed around the canaries:\n%s\nwant only:\n%s", d, want)
	}
	t.Logf("server holds %d ClusterRoles, %d ClusterRoleBindings, %d Roles, %d RoleBindings, %d ServiceAccounts",
		len(snap.clusterRoles.Items), len(snap.clusterRoleBindings.Items), len(snap.roles.Items), len(snap.roleBindings.Items), len(snap.serviceAccounts.Items))
	policies := loadPolicies(ctx, t, c, snap)

	// --- the implicit groups the engine adds are the ones authentication gives
	checkIdentities(ctx, t, c, admin, subjects)

	checkNodeBoundary(ctx, t, c, admin, policies[0].p)

	// --- the questions
	qs := rbacAnchors(subjects)
	nAnchors := len(qs)
	qs = append(qs, generateQuestions(rng, subjects, snap, nQuestions)...)
	askStart := time.Now()
	answers := askServer(ctx, t, admin, qs)
	t.Logf("asked %d SubjectAccessReviews in %s", len(qs), time.Since(askStart).Round(time.Millisecond))

	compareAnswers(t, qs, nAnchors, answers, policies)

	// Nothing may have changed under the comparison (a controller reconciling
	// a role, say): the answers were all asked of the snapshot's state.
	if after := listRBAC(ctx, t, admin); !sameVersions(snap, after) {
		t.Errorf("RBAC objects changed while the questions were asked; the comparison is void:\n%s", diffVersions(snap, after))
	}
	t.Logf("total %s", time.Since(start).Round(time.Millisecond))
}

// ----------------------------------------------------------------- subjects

// rbacSubject is an identity the questions are about.
type rbacSubject struct {
	key  string // label in reports
	user string
	// groups are what the credential carries (a certificate's O=); the
	// engine is asked with these and adds the implicit groups itself.
	groups []string
	// authGroups are the groups kube-apiserver's authentication gives the
	// identity, which a SubjectAccessReview must spell out (the server adds
	// nothing to spec.groups). checkIdentities verifies them.
	authGroups []string
	weight     int
	kind       string // "user", "serviceaccount", "anonymous", "privileged"
	cert       bool   // verified with a client certificate
	saNS       string // ServiceAccount namespace and name
	saName     string
	saExists   bool // the ServiceAccount object exists (a token can be requested)
	// gen marks the identities the seeded random bindings name, so that
	// they never change the anchors' answers.
	gen bool
}

func rbacSubjects() []*rbacSubject {
	authn := func(groups ...string) []string {
		return append(append([]string{}, groups...), "system:authenticated")
	}
	user := func(name string, weight int, groups ...string) *rbacSubject {
		return &rbacSubject{key: name, user: name, groups: groups, authGroups: authn(groups...), weight: weight, kind: "user", cert: true}
	}
	sa := func(ns, name string, exists bool, weight int) *rbacSubject {
		u := "system:serviceaccount:" + ns + ":" + name
		return &rbacSubject{key: "sa:" + ns + "/" + name, user: u, authGroups: authn("system:serviceaccounts", "system:serviceaccounts:"+ns),
			weight: weight, kind: "serviceaccount", saNS: ns, saName: name, saExists: exists}
	}
	gen := func(s *rbacSubject) *rbacSubject { s.gen = true; return s }
	root := user("root", 1, "system:masters")
	root.kind = "privileged"
	// trudy's certificate carries O=system:unauthenticated: the
	// authenticated-group adder then adds nothing.
	trudy := &rbacSubject{key: "trudy", user: "trudy", groups: []string{"system:unauthenticated"},
		authGroups: []string{"system:unauthenticated"}, weight: 2, kind: "user", cert: true}
	return []*rbacSubject{
		user("alice", 5, "dev"),
		user("bob", 4, "ops", "dev"),
		user("carol", 4),
		user("dave", 4, "auditors"),
		user("erin", 3),
		user("yes", 3, "null", "on"),
		user("mallory", 2, "system:serviceaccounts"),
		user("stranger", 2),
		user("system:kube-scheduler", 2),
		user("system:kube-controller-manager", 2),
		user("josé", 3, "<admins>&co", "2001-01-01"),
		user("ivan", 1),
		user(fmt.Sprintf("bulk-%03d", bulkBindings-1), 1), // bound on LoadLive's second page
		// A certificate user whose name is what a ServiceAccount subject with
		// namespace "odd:ns" names (not a ServiceAccount: no such groups).
		user("system:serviceaccount:odd:ns:x", 1),
		gen(user("gina", 4, "gen-a")),
		gen(user("hank", 4, "gen-a", "gen-b")),
		trudy,
		root,
		sa("team-a", "builder", true, 5),
		sa("team-a", "deployer", true, 3),
		sa("team-a", "ghost", false, 3),
		sa("team-b", "default", true, 3),
		sa("team-b", "ghost", false, 3),
		gen(sa("team-c", "runner", true, 4)),
		gen(sa("team-c", "phantom", false, 2)),
		sa("kube-system", "replicaset-controller", true, 2),
		{key: "anonymous", user: "system:anonymous", authGroups: []string{"system:unauthenticated"}, weight: 4, kind: "anonymous"},
	}
}

func subjectByKey(subjects []*rbacSubject, key string) *rbacSubject {
	for _, s := range subjects {
		if s.key == key {
			return s
		}
	}
	panic("no subject " + key)
}

func pickSubject(r *rand.Rand, subjects []*rbacSubject) *rbacSubject {
	total := 0
	for _, s := range subjects {
		total += s.weight
	}
	n := r.IntN(total)
	for _, s := range subjects {
		if n < s.weight {
			return s
		}
		n -= s.weight
	}
	return subjects[len(subjects)-1]
}

// applies is how a binding subject names an identity (rule.go appliesToUser),
// used only to steer question generation towards allowed answers.
func (s *rbacSubject) applies(sub rbacv1.Subject, bindingNS string) bool {
	switch sub.Kind {
	case rbacv1.UserKind:
		return sub.Name == s.user
	case rbacv1.GroupKind:
		return slices.Contains(s.authGroups, sub.Name)
	case rbacv1.ServiceAccountKind:
		ns := sub.Namespace
		if ns == "" {
			ns = bindingNS
		}
		return ns != "" && s.user == "system:serviceaccount:"+ns+":"+sub.Name
	}
	return false
}

// ----------------------------------------------------------------- pools

type rbacTarget struct{ group, resource, sub string }

var (
	qVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection",
		"escalate", "bind", "impersonate", "approve", "use", "sign", "proxy", "*", "GET", "Get"}
	qNamespaces = []string{"", "", "default", "team-a", "team-a", "team-b", "team-c", "kube-system", "kube-public", "ghost-ns"}
	qNames      = []string{"", "", "", "app-config", "feature-flags", "db-creds", "api-key", "web-0", "lab:pod-reader",
		"alice", "builder", "kubernetes.io/kube-apiserver-client", "*", "null", "on", "~", "0123", "yes", "canary", "other",
		"a b", "a  b", " lead", "lead", "trail ", "quote\"d", "back\\slash", "#hash", "colon: x", "- dash", "[x]", "{y}",
		"'single'", "&anchor", "*alias", "!tag", "%pct", "@at", "`tick`", "|", ">", "<b>&amp;", "0o17", "1e3", ".inf",
		"NaN", "True", "Null", "0x1F", "2001-01-01", "1_000", "+1", "josé", "日本", "multi\nline", "multi", "tab\there"}
	qTargets = []rbacTarget{
		{"", "pods", ""}, {"", "pods", ""}, {"", "pods", "exec"}, {"", "pods", "log"}, {"", "pods", "status"},
		{"", "pods", "attach"}, {"", "pods", "*"}, {"", "pods", "portforward"},
		{"", "secrets", ""}, {"", "configmaps", ""}, {"", "configmaps", ""}, {"", "services", ""},
		{"", "serviceaccounts", ""}, {"", "serviceaccounts", "token"}, {"", "nodes", ""}, {"", "nodes", "proxy"},
		{"", "namespaces", ""}, {"", "events", ""}, {"", "persistentvolumes", ""}, {"", "users", ""}, {"", "groups", ""},
		{"", "*", ""}, {"", "replicationcontrollers", "scale"},
		{"core", "pods", ""}, {"core", "secrets", ""}, {"*", "pods", ""},
		{"apps", "deployments", ""}, {"apps", "deployments", "scale"}, {"apps", "deployments", "status"},
		{"apps", "replicasets", "scale"}, {"apps", "statefulsets", ""}, {"extensions", "deployments", "scale"},
		{"batch", "jobs", ""}, {"batch", "jobs", "status"}, {"batch", "cronjobs", ""},
		{"rbac.authorization.k8s.io", "clusterroles", ""}, {"rbac.authorization.k8s.io", "roles", ""},
		{"rbac.authorization.k8s.io", "rolebindings", ""}, {"rbac.authorization.k8s.io", "clusterrolebindings", ""},
		{"certificates.k8s.io", "certificatesigningrequests", "approval"}, {"certificates.k8s.io", "signers", ""},
		{"authentication.k8s.io", "userextras", "scopes"}, {"authentication.k8s.io", "uids", ""},
		{"authorization.k8s.io", "selfsubjectaccessreviews", ""}, {"authentication.k8s.io", "selfsubjectreviews", ""},
		{"example.com", "widgets", ""}, {"policy", "poddisruptionbudgets", ""}, {"events.k8s.io", "events", ""},
	}
	qPaths = []string{"/", "/healthz", "/healthz/etcd", "/livez", "/readyz", "/version", "/version/", "/api", "/api/v1",
		"/apis", "/apis/apps", "/metrics", "/logs", "/logs/", "/logs/kube-apiserver.log", "/logsx", "/custom",
		"/custom/a/b", "/customer", "/openapi/v2", "/debug/pprof/", "/debug", "*", "/nope",
		"/ünï/", "/ünï/x", "/ünï", "/with space", "/with", "/q?x=1&y=<2>", "/q"}
	qPathVerbs = []string{"get", "get", "post", "put", "patch", "delete", "head", "options", "*"}

	// Rules of the seeded random part of the landscape.
	gVerbs     = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate", "approve", "*", "GET"}
	gGroups    = []string{"", "", "", "apps", "batch", "core", "*", "example.com", "rbac.authorization.k8s.io", "extensions", "certificates.k8s.io", "authentication.k8s.io"}
	gResources = []string{"pods", "pods", "pods/exec", "pods/log", "pods/*", "*/scale", "*/status", "deployments", "deployments/status",
		"deployments/scale", "secrets", "configmaps", "services", "*", "jobs", "widgets", "users", "groups", "serviceaccounts",
		"roles", "clusterroles", "nodes", "nodes/proxy", "events", "signers"}
	gURLs = []string{"/logs/*", "/metrics", "/custom*", "/healthz/*", "*", "/debug/*", "/version", "/api/*", "/apis", "/logs"}
)

func pick[T any](r *rand.Rand, l []T) T { return l[r.IntN(len(l))] }

func pickN(r *rand.Rand, l []string, most int) []string {
	n := 1 + r.IntN(most)
	var out []string
	for range n {
		if v := pick(r, l); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// ----------------------------------------------------------------- the seeded part of the landscape

func randomRule(r *rand.Rand, allowURLs bool) rbacv1.PolicyRule {
	if allowURLs && r.IntN(4) == 0 {
		return rbacv1.PolicyRule{NonResourceURLs: pickN(r, gURLs, 2), Verbs: pickN(r, []string{"get", "get", "post", "head", "*"}, 2)}
	}
	rule := rbacv1.PolicyRule{Verbs: pickN(r, gVerbs, 3), APIGroups: pickN(r, gGroups, 2), Resources: pickN(r, gResources, 3)}
	// A fully wild rule would answer every question alike: keep one dimension narrow.
	if slices.Contains(rule.Verbs, "*") && slices.Contains(rule.APIGroups, "*") && slices.Contains(rule.Resources, "*") {
		rule.Verbs = []string{"get"}
	}
	if r.IntN(10) < 3 {
		rule.ResourceNames = pickN(r, qNames[3:], 2)
	}
	return rule
}

// randomSubject names one of the generated part's identities (or nobody)
// the way a binding does: a User, one of its groups (not the broad implicit
// ones, which would reach the anchors' subjects), or a ServiceAccount, in a
// RoleBinding possibly without namespace.
func randomSubject(r *rand.Rand, subjects []*rbacSubject, bindingNS string) rbacv1.Subject {
	var pool []*rbacSubject
	for _, s := range subjects {
		if s.gen {
			pool = append(pool, s)
		}
	}
	s := pickSubject(r, pool)
	var groups []string
	for _, g := range s.authGroups {
		if g != "system:authenticated" && g != "system:serviceaccounts" {
			groups = append(groups, g)
		}
	}
	switch n := r.IntN(20); {
	case n < 2:
		return rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "nobody-" + strconv.Itoa(r.IntN(100))}
	case n < 12 && len(groups) > 0:
		return rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: pick(r, groups)}
	case s.kind != "serviceaccount":
		return rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: s.user}
	case bindingNS != "" && r.IntN(2) == 0:
		return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: s.saName} // the binding's namespace
	default:
		return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: s.saName, Namespace: s.saNS}
	}
}

// generateRBAC returns the seeded random part of the landscape: ClusterRoles
// lab:gen-NN and Roles gen-NN with random rules, and bindings of random
// subjects to them, to static roles, to defaults and to missing roles.
func generateRBAC(r *rand.Rand, subjects []*rbacSubject) []runtime.Object {
	var out []runtime.Object
	var clusterRoles []string
	rolesIn := map[string][]string{}
	for i := range 10 {
		cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("lab:gen-%02d", i)}}
		for range 1 + r.IntN(3) {
			cr.Rules = append(cr.Rules, randomRule(r, true))
		}
		out = append(out, cr)
		clusterRoles = append(clusterRoles, cr.Name)
	}
	namespaces := []string{"team-a", "team-b", "team-c", "default"}
	for i := range 8 {
		ns := pick(r, namespaces)
		role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("gen-%02d", i), Namespace: ns}}
		for range 1 + r.IntN(3) {
			role.Rules = append(role.Rules, randomRule(r, false))
		}
		out = append(out, role)
		rolesIn[ns] = append(rolesIn[ns], role.Name)
	}
	others := []string{"lab:pod-reader", "lab:scaler", "lab:named-config", "lab:nonresource", "lab:agg-top", "view", "edit", "lab:gen-missing"}
	for i := range 14 {
		crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("lab:gen-%02d", i)},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: pick(r, clusterRoles)}}
		if r.IntN(4) == 0 {
			crb.RoleRef.Name = pick(r, others)
		}
		for range 1 + r.IntN(3) {
			crb.Subjects = append(crb.Subjects, randomSubject(r, subjects, ""))
		}
		out = append(out, crb)
	}
	for i := range 16 {
		ns := pick(r, namespaces)
		rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("gen-%02d", i), Namespace: ns}}
		switch n := r.IntN(10); {
		case n < 4 && len(rolesIn[ns]) > 0:
			rb.RoleRef = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: pick(r, rolesIn[ns])}
		case n < 5:
			rb.RoleRef = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "gen-missing"}
		case n < 8:
			rb.RoleRef = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: pick(r, clusterRoles)}
		default:
			rb.RoleRef = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: pick(r, others)}
		}
		for range 1 + r.IntN(3) {
			rb.Subjects = append(rb.Subjects, randomSubject(r, subjects, ns))
		}
		out = append(out, rb)
	}
	return out
}

// createObject creates one object of the e2e scenarios (RBAC objects,
// Namespaces, ServiceAccounts, Pods); the error names the object.
func createObject(ctx context.Context, cs kubernetes.Interface, o any) error {
	var err error
	switch o := o.(type) {
	case *corev1.Namespace:
		_, err = cs.CoreV1().Namespaces().Create(ctx, o, metav1.CreateOptions{})
	case *corev1.ServiceAccount:
		_, err = cs.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.Pod:
		_, err = cs.CoreV1().Pods(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *rbacv1.ClusterRole:
		_, err = cs.RbacV1().ClusterRoles().Create(ctx, o, metav1.CreateOptions{})
	case *rbacv1.Role:
		_, err = cs.RbacV1().Roles(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *rbacv1.ClusterRoleBinding:
		_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{})
	case *rbacv1.RoleBinding:
		_, err = cs.RbacV1().RoleBindings(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	default:
		err = fmt.Errorf("unexpected %T", o)
	}
	if err != nil {
		b, _ := json.Marshal(o)
		return fmt.Errorf("create %s: %w", b, err)
	}
	return nil
}

// bulkBindings RoleBindings in team-bulk make LoadLive page (it lists 500
// at a time): user bulk-NNN may read pods there.
const bulkBindings = 520

func createBulk(ctx context.Context, t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	work := make(chan int)
	errs := make(chan error, bulkBindings)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range work {
				name := fmt.Sprintf("bulk-%03d", i)
				errs <- createObject(ctx, cs, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team-bulk"},
					RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "lab:pod-reader"},
					Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: name}}})
			}
		})
	}
	for i := range bulkBindings {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func mustCreate(t *testing.T, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatal(err)
	}
}

// waitAggregationSettled waits until kube-controller-manager's
// clusterrole-aggregation controller has reached its fixed point: every
// aggregated ClusterRole holds exactly the union of the rules of the
// ClusterRoles its selectors pick (chains included).
func waitAggregationSettled(ctx context.Context, t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	var pending []string
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		l, err := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		pending = pending[:0]
		for i := range l.Items {
			cr := &l.Items[i]
			if cr.AggregationRule == nil {
				continue
			}
			var want []rbacv1.PolicyRule
			for j := range cr.AggregationRule.ClusterRoleSelectors {
				sel, err := metav1.LabelSelectorAsSelector(&cr.AggregationRule.ClusterRoleSelectors[j])
				if err != nil {
					return false, err
				}
				for k := range l.Items { // the list is sorted by name
					src := &l.Items[k]
					if src.Name == cr.Name || !sel.Matches(labels.Set(src.Labels)) {
						continue
					}
					for _, rule := range src.Rules {
						if !slices.ContainsFunc(want, func(w rbacv1.PolicyRule) bool { return equality.Semantic.DeepEqual(w, rule) }) {
							want = append(want, rule)
						}
					}
				}
			}
			if !sameRuleSet(want, cr.Rules) {
				pending = append(pending, cr.Name)
			}
		}
		return len(pending) == 0, nil
	})
	if err != nil {
		t.Fatalf("aggregated ClusterRoles never settled (%v): %v", err, pending)
	}
}

func sameRuleSet(a, b []rbacv1.PolicyRule) bool {
	key := func(l []rbacv1.PolicyRule) []string {
		out := make([]string, len(l))
		for i, r := range l {
			out[i] = rbac.CompactString(r)
		}
		sort.Strings(out)
		return slices.Compact(out)
	}
	return slices.Equal(key(a), key(b))
}

// waitAuthorizerSynced creates canaries last, a ClusterRole with its
// ClusterRoleBinding and a Role with its RoleBinding (each for its own user),
// and waits until the server's authorizer allows through both: its
// informers deliver each kind in resourceVersion order, so it then sees
// every object created before.
func waitAuthorizerSynced(ctx context.Context, t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	// The canary ClusterRole repeats the rule of lab:agg-child-bronze, which
	// sorts before it: lab:agg-everything (an empty selector picks every
	// ClusterRole) aggregates it without changing, so the aggregation
	// controller does not update anything after the canaries.
	rule := []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"persistentvolumes"}, Verbs: []string{"get"}}}
	user := func(name string) []rbacv1.Subject {
		return []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: name}}
	}
	for _, o := range []runtime.Object{
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "lab:canary"}, Rules: rule},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "canary", Namespace: "team-c"}, Rules: rule},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "lab:canary"}, Subjects: user("canary-crb"),
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "lab:canary"}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "canary", Namespace: "team-c"}, Subjects: user("canary-rb"),
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "canary"}},
	} {
		mustCreate(t, func() error { return createObject(ctx, cs, o) })
	}
	allowed := func(ctx context.Context, user string) bool {
		r, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user, ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "get", Resource: "persistentvolumes", Namespace: "team-c"}}}, metav1.CreateOptions{})
		return err == nil && r.Status.Allowed
	}
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		return allowed(ctx, "canary-crb") && allowed(ctx, "canary-rb"), nil
	})
	if err != nil {
		t.Fatalf("the authorizer never saw the canary bindings: %v", err)
	}
}

// ----------------------------------------------------------------- snapshot and loaders

type rbacSnapshot struct {
	clusterRoles        *rbacv1.ClusterRoleList
	clusterRoleBindings *rbacv1.ClusterRoleBindingList
	roles               *rbacv1.RoleList
	roleBindings        *rbacv1.RoleBindingList
	serviceAccounts     *corev1.ServiceAccountList
}

func listRBAC(ctx context.Context, t *testing.T, cs kubernetes.Interface) *rbacSnapshot {
	t.Helper()
	var s rbacSnapshot
	var err error
	if s.clusterRoles, err = cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if s.clusterRoleBindings, err = cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if s.roles, err = cs.RbacV1().Roles("").List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if s.roleBindings, err = cs.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if s.serviceAccounts, err = cs.CoreV1().ServiceAccounts("").List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	return &s
}

func (s *rbacSnapshot) versions() map[string]string {
	m := map[string]string{}
	for _, o := range s.clusterRoles.Items {
		m["ClusterRole "+o.Name] = o.ResourceVersion
	}
	for _, o := range s.clusterRoleBindings.Items {
		m["ClusterRoleBinding "+o.Name] = o.ResourceVersion
	}
	for _, o := range s.roles.Items {
		m["Role "+o.Namespace+"/"+o.Name] = o.ResourceVersion
	}
	for _, o := range s.roleBindings.Items {
		m["RoleBinding "+o.Namespace+"/"+o.Name] = o.ResourceVersion
	}
	return m
}

func sameVersions(a, b *rbacSnapshot) bool { return diffVersions(a, b) == "" }

func diffVersions(a, b *rbacSnapshot) string {
	va, vb := a.versions(), b.versions()
	var out []string
	for k, v := range va {
		if w, ok := vb[k]; !ok {
			out = append(out, "deleted "+k)
		} else if w != v {
			out = append(out, "changed "+k)
		}
	}
	for k := range vb {
		if _, ok := va[k]; !ok {
			out = append(out, "created "+k)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// items returns every object with its apiVersion and kind set, as kubectl
// prints them (client-go's typed lists leave them empty).
func (s *rbacSnapshot) items() []runtime.Object {
	var out []runtime.Object
	out = appendTyped(out, s.clusterRoles.Items, rbacv1.SchemeGroupVersion.WithKind("ClusterRole"))
	out = appendTyped(out, s.clusterRoleBindings.Items, rbacv1.SchemeGroupVersion.WithKind("ClusterRoleBinding"))
	out = appendTyped(out, s.roles.Items, rbacv1.SchemeGroupVersion.WithKind("Role"))
	out = appendTyped(out, s.roleBindings.Items, rbacv1.SchemeGroupVersion.WithKind("RoleBinding"))
	out = appendTyped(out, s.serviceAccounts.Items, corev1.SchemeGroupVersion.WithKind("ServiceAccount"))
	return out
}

// appendTyped appends a copy of each of items with its apiVersion and kind
// set to gvk; the list itself is left as it is.
func appendTyped[T any, P interface {
	*T
	runtime.Object
}](out []runtime.Object, items []T, gvk schema.GroupVersionKind) []runtime.Object {
	for _, o := range items {
		p := P(&o)
		p.GetObjectKind().SetGroupVersionKind(gvk)
		out = append(out, p)
	}
	return out
}

type namedPolicy struct {
	name string
	p    *rbac.Policy
}

// loadPolicies builds the policy the ways the product does:
//
//   - live: rbac.LoadLive as deploy/rbac-readonly.yaml's reader;
//   - json: `kubectl get clusterroles,clusterrolebindings,roles,rolebindings,serviceaccounts -A -o json`
//     (a v1 List, 4-space indent, managedFields included as the API returns them);
//   - yaml: the same List as `-o yaml` prints it (without managedFields);
//   - typed-lists: one raw API list per kind (ClusterRoleList, ..., items
//     without kind), a directory;
//   - manifests: multi-document YAML as a repository holds it, aggregated
//     ClusterRoles without rules (the engine aggregates them itself).
func loadPolicies(ctx context.Context, t *testing.T, c *lab.Cluster, snap *rbacSnapshot) []namedPolicy {
	t.Helper()
	dir := t.TempDir()
	if d := os.Getenv("APIGUARD_E2E_DUMP"); d != "" {
		dir = filepath.Join(d, "rbac")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	items := snap.items()
	list := map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{"resourceVersion": ""}, "items": items}
	jsonDump, err := json.MarshalIndent(list, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	var stripped []runtime.Object
	for _, o := range items {
		o = o.DeepCopyObject()
		o.(metav1.Object).SetManagedFields(nil)
		stripped = append(stripped, o)
	}
	yamlDump, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{"resourceVersion": ""}, "items": stripped})
	if err != nil {
		t.Fatal(err)
	}
	var manifests []string
	aggregated := 0
	for _, o := range stripped {
		o = o.DeepCopyObject()
		m := o.(metav1.Object)
		m.SetResourceVersion("")
		m.SetUID("")
		m.SetCreationTimestamp(metav1.Time{})
		if cr, ok := o.(*rbacv1.ClusterRole); ok && cr.AggregationRule != nil {
			cr.Rules = nil
			aggregated++
		}
		b, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		manifests = append(manifests, string(b))
	}
	typedDir := filepath.Join(dir, "typed-lists")
	for name, l := range map[string]runtime.Object{
		"clusterroles.json":        withListKind(snap.clusterRoles.DeepCopy(), "rbac.authorization.k8s.io/v1", "ClusterRoleList"),
		"clusterrolebindings.json": withListKind(snap.clusterRoleBindings.DeepCopy(), "rbac.authorization.k8s.io/v1", "ClusterRoleBindingList"),
		"roles.json":               withListKind(snap.roles.DeepCopy(), "rbac.authorization.k8s.io/v1", "RoleList"),
		"rolebindings.json":        withListKind(snap.roleBindings.DeepCopy(), "rbac.authorization.k8s.io/v1", "RoleBindingList"),
		"serviceaccounts.json":     withListKind(snap.serviceAccounts.DeepCopy(), "v1", "ServiceAccountList"),
	} {
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		write(filepath.Join("typed-lists", name), b)
	}

	var out []namedPolicy
	load := func(name string, paths ...string) {
		p, err := rbacdump.Load(paths...)
		if err != nil {
			t.Fatalf("rbacdump.Load(%s): %v", name, err)
		}
		out = append(out, namedPolicy{name, p})
	}

	// live, as the read-only reader the product documents.
	kc := c.UserKubeconfig(t, "apiguard-reader", "apiguard:readers")
	reader := lab.Client(t, kc)
	secrets, err := secretmeta.New(lab.RESTConfig(t, kc))
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string]int{}
	live, err := rbac.LoadLive(ctx, reader, secrets, rbac.LiveOptions{Progress: func(resource string, _ int) { pages[resource]++ }})
	if err != nil {
		t.Fatalf("rbac.LoadLive: %v", err)
	}
	if pages["rolebindings"] < 2 {
		t.Errorf("LoadLive listed rolebindings in %d page(s); the %d bulk RoleBindings should need two", pages["rolebindings"], bulkBindings)
	}
	out = append(out, namedPolicy{"live", live})
	load("json", write("rbac-dump.json", jsonDump))
	load("yaml", write("rbac-dump.yaml", yamlDump))
	load("typed-lists", typedDir)
	load("manifests", write("rbac-manifests.yaml", []byte(strings.Join(manifests, "---\n"))))

	want := [4]int{len(snap.clusterRoles.Items), len(snap.clusterRoleBindings.Items), len(snap.roles.Items), len(snap.roleBindings.Items)}
	for _, np := range out {
		got := [4]int{len(np.p.ClusterRoles), len(np.p.ClusterRoleBindings), len(np.p.Roles), len(np.p.RoleBindings)}
		if got != want {
			t.Errorf("%s policy holds %v ClusterRoles/ClusterRoleBindings/Roles/RoleBindings, the server %v", np.name, got, want)
		}
		var problems []string
		for _, pr := range np.p.Problems {
			problems = append(problems, pr.String())
			if strings.Contains(pr.Message, "cannot list") || strings.Contains(pr.Message, "not valid") ||
				strings.Contains(pr.Message, "aggregation controller has not caught up") {
				t.Errorf("%s policy: unexpected problem: %s", np.name, pr)
			}
		}
		if len(np.p.ServiceAccounts) != len(snap.serviceAccounts.Items) {
			t.Errorf("%s policy holds %d ServiceAccounts, the server %d", np.name, len(np.p.ServiceAccounts), len(snap.serviceAccounts.Items))
		}
		t.Logf("policy %-11s %d problems (missing roles, subjects that match nobody, ...)", np.name, len(problems))
	}
	// The manifests' aggregated ClusterRoles: the engine's aggregation must
	// compute what kube-controller-manager stored.
	manifestsPolicy := out[len(out)-1].p
	for _, cr := range snap.clusterRoles.Items {
		if cr.AggregationRule == nil {
			continue
		}
		got := manifestsPolicy.ClusterRole(cr.Name)
		if got == nil || !sameRuleSet(got.Rules, cr.Rules) {
			var rules []rbacv1.PolicyRule
			if got != nil {
				rules = got.Rules
			}
			t.Errorf("aggregated ClusterRole %s: the engine computed %s, kube-controller-manager stored %s", cr.Name, rulesString(rules), rulesString(cr.Rules))
		}
	}
	t.Logf("%d aggregated ClusterRoles recomputed from manifests without rules", aggregated)
	return out
}

func withListKind(l runtime.Object, apiVersion, kind string) runtime.Object {
	l.GetObjectKind().SetGroupVersionKind(schema.FromAPIVersionAndKind(apiVersion, kind))
	return l
}

func rulesString(rules []rbacv1.PolicyRule) string {
	var s []string
	for _, r := range rules {
		s = append(s, rbac.CompactString(r))
	}
	return "[" + strings.Join(s, " ") + "]"
}

// ----------------------------------------------------------------- identities

// checkIdentities proves the groups a SubjectAccessReview is given are the
// ones authentication really assigns (SelfSubjectReview of a client
// certificate, a ServiceAccount token and an anonymous request), and that
// rbac.EffectiveGroups adds the same implicit groups.
func checkIdentities(ctx context.Context, t *testing.T, c *lab.Cluster, admin kubernetes.Interface, subjects []*rbacSubject) {
	t.Helper()
	whoami := func(cs kubernetes.Interface) (string, []string, error) {
		r, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			return "", nil, err
		}
		return r.Status.UserInfo.Username, r.Status.UserInfo.Groups, nil
	}
	set := func(l []string) []string {
		out := slices.Clone(l)
		sort.Strings(out)
		return slices.Compact(out)
	}
	verified := 0
	for _, s := range subjects {
		if eff := rbac.EffectiveGroups(s.user, s.groups); !slices.Equal(set(eff), set(s.authGroups)) {
			t.Errorf("%s: rbac.EffectiveGroups(%q, %q) = %q, authentication gives %q", s.key, s.user, s.groups, eff, s.authGroups)
		}
		var cs kubernetes.Interface
		switch {
		case s.cert:
			cs = c.UserClient(t, s.user, s.groups...)
		case s.kind == "serviceaccount" && s.saExists:
			tr, err := admin.CoreV1().ServiceAccounts(s.saNS).CreateToken(ctx, s.saName,
				&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(600))}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("token for %s: %v", s.key, err)
			}
			cs = lab.Client(t, c.TokenKubeconfig(t, s.user, tr.Status.Token))
		case s.kind == "anonymous":
			var err error
			cs, err = kubernetes.NewForConfig(&rest.Config{Host: c.URL, TLSClientConfig: rest.TLSClientConfig{CAFile: c.CACertPath}})
			if err != nil {
				t.Fatal(err)
			}
		default:
			continue // a ServiceAccount that does not exist has no token
		}
		user, groups, err := whoami(cs)
		if err != nil {
			t.Errorf("%s: SelfSubjectReview: %v", s.key, err)
			continue
		}
		if user != s.user || !slices.Equal(set(groups), set(s.authGroups)) {
			t.Errorf("%s: authenticated as %q %q, the test assumes %q %q", s.key, user, groups, s.user, s.authGroups)
		}
		verified++
	}
	// Certificates whose CN looks like a special identity get no special
	// groups: the engine's EffectiveGroups models the real anonymous and
	// ServiceAccount-token authenticators, not these look-alikes.
	for _, tc := range []struct {
		cn   string
		want []string
	}{
		{"system:anonymous", nil},
		{"system:serviceaccount:team-a:builder", []string{"system:authenticated"}},
	} {
		user, groups, err := whoami(c.UserClient(t, tc.cn))
		if err != nil {
			t.Errorf("certificate CN=%s: SelfSubjectReview: %v", tc.cn, err)
			continue
		}
		if user != tc.cn || !slices.Equal(set(groups), set(tc.want)) {
			t.Errorf("certificate CN=%s: authenticated as %q %q, NOTES.md says %q", tc.cn, user, groups, tc.want)
		}
	}
	t.Logf("implicit groups verified with SelfSubjectReview for %d of %d subjects", verified, len(subjects))
}

func ptr[T any](v T) *T { return &v }

// checkNodeBoundary pins why node identities are not among the subjects:
// kube-apiserver's Node authorizer (--authorization-mode=Node,RBAC) answers
// for system:node:<name> in system:nodes before RBAC, and the engine models
// RBAC (plus system:masters) only.
func checkNodeBoundary(ctx context.Context, t *testing.T, c *lab.Cluster, cs kubernetes.Interface, p *rbac.Policy) {
	t.Helper()
	user, groups := "system:node:"+c.NodeName, []string{"system:nodes", "system:authenticated"}
	r, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: user, Groups: groups, ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "get", Resource: "nodes", Name: c.NodeName}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Status.Allowed {
		t.Errorf("SAR %s get nodes/%s: not allowed (reason %q); NOTES.md says the Node authorizer allows it", user, c.NodeName, r.Status.Reason)
	}
	ok, _ := p.Allowed(rbac.Request{User: user, Groups: groups, Verb: "get", Resource: "nodes", Name: c.NodeName})
	t.Logf("Node authorizer boundary: %s get nodes/%s: server allowed=%v (reason %q), engine (RBAC only) allowed=%v",
		user, c.NodeName, r.Status.Allowed, r.Status.Reason, ok)
}

// ----------------------------------------------------------------- questions

type rbacQuestion struct {
	subj   *rbacSubject
	req    rbac.Request // User and the credential's groups
	origin string       // anchor, derived, mutated, random
	note   string       // anchors: why
	want   *bool        // anchors: the server's answer
}

func (q *rbacQuestion) String() string {
	r := q.req
	who := fmt.Sprintf("%s (user %q, SAR groups %q)", q.subj.key, r.User, q.subj.authGroups)
	if r.Path != "" {
		ns := ""
		if r.Namespace != "" {
			ns = fmt.Sprintf(" (engine asked with namespace %q)", r.Namespace)
		}
		return fmt.Sprintf("%s: %q non-resource URL %q%s [%s]", who, r.Verb, r.Path, ns, q.origin)
	}
	res := r.Resource
	if r.Subresource != "" {
		res += "/" + r.Subresource
	}
	s := fmt.Sprintf("%s: %q group %q resource %q", who, r.Verb, r.APIGroup, res)
	if r.Name != "" {
		s += fmt.Sprintf(" name %q", r.Name)
	}
	if r.Namespace != "" {
		s += fmt.Sprintf(" in namespace %q", r.Namespace)
	} else {
		s += " cluster-wide"
	}
	return s + " [" + q.origin + "]"
}

func (q *rbacQuestion) sar() *authorizationv1.SubjectAccessReview {
	r := q.req
	spec := authorizationv1.SubjectAccessReviewSpec{User: r.User, Groups: q.subj.authGroups}
	if r.Path != "" {
		spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: r.Path, Verb: r.Verb}
	} else {
		spec.ResourceAttributes = &authorizationv1.ResourceAttributes{Namespace: r.Namespace, Verb: r.Verb, Group: r.APIGroup,
			Resource: r.Resource, Subresource: r.Subresource, Name: r.Name}
	}
	return &authorizationv1.SubjectAccessReview{Spec: spec}
}

func resReq(s *rbacSubject, verb, group, resource, sub, name, ns string) rbac.Request {
	return rbac.Request{User: s.user, Groups: s.groups, Verb: verb, APIGroup: group, Resource: resource, Subresource: sub, Name: name, Namespace: ns}
}

// rbacAnchors are hand-written questions whose server answer is known: they
// pin each trap of the landscape (so an edit that loses one fails), and
// are compared with the engine like every other question.
func rbacAnchors(subjects []*rbacSubject) []rbacQuestion {
	s := func(key string) *rbacSubject { return subjectByKey(subjects, key) }
	var out []rbacQuestion
	add := func(want bool, note string, subj *rbacSubject, req rbac.Request) {
		out = append(out, rbacQuestion{subj: subj, req: req, origin: "anchor", note: note, want: &want})
	}
	res := func(want bool, note, key, verb, group, resource, sub, name, ns string) {
		add(want, note, s(key), resReq(s(key), verb, group, resource, sub, name, ns))
	}
	url := func(want bool, note, key, verb, path string) {
		add(want, note, s(key), rbac.Request{User: s(key).user, Groups: s(key).groups, Verb: verb, Path: path})
	}
	res(false, `"pods" does not cover pods/exec`, "alice", "create", "", "pods", "exec", "web-0", "team-a")
	res(true, "RoleBinding to lab:exec, ServiceAccount with namespace", "sa:team-a/builder", "create", "", "pods", "exec", "web-0", "team-a")
	res(true, "ServiceAccount subject without namespace takes the RoleBinding's", "sa:team-a/deployer", "create", "", "pods", "exec", "", "team-a")
	res(false, "a RoleBinding grants only in its namespace", "sa:team-a/deployer", "create", "", "pods", "exec", "", "team-c")
	res(false, `"pods/*" is not a wildcard`, "erin", "get", "", "pods", "exec", "", "default")
	res(true, `"pods/*" matches a subresource literally named "*"`, "erin", "get", "", "pods", "*", "", "default")
	res(true, `"*/scale" matches deployments/scale`, "carol", "update", "apps", "deployments", "scale", "", "team-b")
	res(true, `"*/scale" in extensions`, "carol", "patch", "extensions", "replicasets", "scale", "web", "")
	res(false, `"*/scale" does not cover the resource itself`, "carol", "update", "apps", "deployments", "", "", "team-b")
	res(true, `apiGroups ["core"] matches only a group literally named "core"`, "alice", "get", "core", "pods", "", "", "team-b")
	res(false, `apiGroups ["core"] is not the core group`, "stranger", "get", "", "pods", "", "", "team-b")
	res(true, "resourceNames with list: SAR names the object and the rule matches", "sa:team-a/builder", "list", "", "configmaps", "", "app-config", "team-a")
	res(false, "resourceNames never match a request without a name", "sa:team-a/builder", "list", "", "configmaps", "", "", "team-a")
	res(true, "resourceNames with create: SAR names the object", "sa:team-a/deployer", "create", "", "configmaps", "", "feature-flags", "team-a")
	res(false, "resourceNames with create and no name", "sa:team-a/deployer", "create", "", "configmaps", "", "", "team-a")
	res(true, "named secret", "alice", "get", "", "secrets", "", "api-key", "team-a")
	res(true, "list by name", "alice", "list", "", "secrets", "", "db-creds", "team-a")
	res(false, "list without a name", "alice", "list", "", "secrets", "", "", "team-a")
	url(true, `"/logs/*" covers /logs/<file>`, "bob", "get", "/logs/kube-apiserver.log")
	url(true, `"/logs/*" covers /logs/`, "bob", "get", "/logs/")
	url(false, `"/logs/*" does not cover /logs`, "bob", "get", "/logs")
	url(false, "nonResourceURLs verbs are HTTP verbs lower-cased", "bob", "post", "/metrics")
	url(false, "a RoleBinding never grants nonResourceURLs", "carol", "get", "/metrics")
	url(true, `"/custom*" is a prefix`, "anonymous", "post", "/customer")
	url(true, `nonResourceURLs ["*"]`, "erin", "head", "/anything/at/all")
	res(true, "RoleBinding to system:unauthenticated", "anonymous", "list", "", "secrets", "", "", "default")
	res(false, "anonymous, other namespace", "anonymous", "list", "", "secrets", "", "", "team-a")
	res(true, "O=system:unauthenticated on a certificate: in that group", "trudy", "list", "", "secrets", "", "", "default")
	url(false, "... and not in system:authenticated (no discovery)", "trudy", "get", "/api")
	url(true, "system:public-info-viewer covers the unauthenticated", "trudy", "get", "/version")
	res(true, "aggregation chain agg-top <- agg-mid <- child, for a ServiceAccount that does not exist", "sa:team-b/ghost", "get", "", "secrets", "", "db-creds", "kube-system")
	res(true, "aggregation by matchExpressions", "sa:team-b/ghost", "get", "", "nodes", "", "", "")
	url(true, "aggregated nonResourceURLs", "sa:team-b/ghost", "get", "/debug/pprof/")
	res(false, "a ClusterRole no selector picks", "sa:team-b/ghost", "get", "", "persistentvolumes", "", "", "")
	res(true, "RoleBinding to an aggregated ClusterRole", "alice", "watch", "", "services", "", "", "team-c")
	res(true, "impersonate a named user", "dave", "impersonate", "", "users", "", "alice", "")
	res(false, "impersonate another user", "dave", "impersonate", "", "users", "", "bob", "")
	res(true, "impersonate userextras/scopes", "dave", "impersonate", "authentication.k8s.io", "userextras", "scopes", "", "")
	res(true, "bind a named ClusterRole", "sa:team-a/builder", "bind", "rbac.authorization.k8s.io", "clusterroles", "", "lab:pod-reader", "")
	res(false, "bind without a name", "sa:team-a/builder", "bind", "rbac.authorization.k8s.io", "clusterroles", "", "", "")
	res(true, "approve for a named signer", "bob", "approve", "certificates.k8s.io", "signers", "", "kubernetes.io/kube-apiserver-client", "")
	res(false, "approve for another signer", "bob", "approve", "certificates.k8s.io", "signers", "", "kubernetes.io/legacy-unknown", "")
	res(true, "a rule aggregated into view", "dave", "list", "example.com", "widgets", "", "", "team-a")
	res(true, "... and from view into edit", "sa:team-b/default", "get", "example.com", "widgets", "", "", "team-b")
	res(false, "edit does not add create to it", "sa:team-b/default", "create", "example.com", "widgets", "", "", "team-b")
	res(true, `group "null" and resourceName "null"`, "yes", "get", "", "configmaps", "", "null", "default")
	res(true, `resourceName "~"`, "yes", "get", "", "configmaps", "", "~", "default")
	res(true, `resourceName "*" is a literal name`, "yes", "get", "", "configmaps", "", "*", "default")
	res(false, `... not a wildcard`, "yes", "get", "", "configmaps", "", "other", "default")
	res(true, `group "on" of a multi-subject binding`, "yes", "get", "apps", "deployments", "", "", "")
	res(true, "system:masters: no RBAC needed", "root", "delete", "", "namespaces", "", "kube-system", "")
	res(false, "a Role that does not exist grants nothing", "alice", "delete", "", "secrets", "", "", "team-b")
	res(true, "a ServiceAccount that does not exist, namespace defaulted", "sa:team-a/ghost", "deletecollection", "batch", "jobs", "", "", "team-a")
	res(true, "bootstrap: replicaset-controller creates pods", "sa:kube-system/replicaset-controller", "create", "", "pods", "", "", "team-b")
	res(true, "a user claiming group system:serviceaccounts", "mallory", "patch", "apps", "deployments", "status", "", "team-c")
	res(true, `verbs ["*"] also matches an odd verb`, "anonymous", "frobnicate", "batch", "jobs", "", "", "")
	res(false, "verbs are case-sensitive", "alice", "GET", "", "pods", "", "", "")
	res(true, "the last bulk RoleBinding (LoadLive's second page)", "bulk-519", "list", "", "pods", "", "", "team-bulk")
	res(false, "... only in its namespace", "bulk-519", "list", "", "pods", "", "", "team-a")
	res(true, "RoleBinding to the Role named view", "josé", "get", "example.com", "gadgets", "", "", "team-a")
	res(false, "... not the ClusterRole view", "josé", "get", "example.com", "widgets", "", "", "team-a")
	res(true, "RoleBinding to the ClusterRole view", "josé", "list", "example.com", "widgets", "", "", "team-b")
	res(true, "group with HTML characters, resourceName with a newline", "josé", "get", "", "configmaps", "", "multi\nline", "")
	res(true, `resourceName "a b"`, "josé", "delete", "", "secrets", "", "a b", "team-c")
	res(false, `resourceNames compare exactly ("a  b")`, "josé", "delete", "", "secrets", "", "a  b", "team-c")
	res(true, `resourceName " lead"`, "josé", "get", "", "configmaps", "", " lead", "default")
	res(false, `... not "lead"`, "josé", "get", "", "configmaps", "", "lead", "default")
	res(true, `resourceName "<b>&amp;"`, "josé", "get", "", "secrets", "", "<b>&amp;", "kube-system")
	res(true, `resourceName "2001-01-01" (a YAML 1.1 timestamp)`, "josé", "get", "", "secrets", "", "2001-01-01", "")
	res(true, `resourceName "josé"`, "josé", "get", "", "secrets", "", "josé", "")
	url(true, "unicode nonResourceURL prefix", "josé", "get", "/ünï/x")
	url(true, "nonResourceURL with a space", "josé", "get", "/with space")
	url(true, "nonResourceURL with a query", "josé", "get", "/q?x=1&y=<2>")
	url(false, "... compared exactly", "josé", "get", "/q")
	res(true, `two aggregated ClusterRoles selecting each other (group "2001-01-01")`, "josé", "list", "policy", "poddisruptionbudgets", "", "", "team-c")
	res(true, "an empty aggregation selector picks cluster-admin's rules", "ivan", "delete", "", "namespaces", "", "kube-system", "")
	url(true, "... nonResourceURLs included", "ivan", "post", "/anything")
	res(true, `a ServiceAccount subject in namespace "odd:ns" names user system:serviceaccount:odd:ns:x`, "system:serviceaccount:odd:ns:x", "get", "apps", "deployments", "", "", "")
	return out
}

// bindingRules is a binding with its resolved rules and the pool subjects it applies to.
type bindingRules struct {
	ns       string // "" for a ClusterRoleBinding
	rules    []rbacv1.PolicyRule
	subjects []*rbacSubject
}

func bindingsOf(snap *rbacSnapshot, subjects []*rbacSubject) []bindingRules {
	clusterRoles := map[string][]rbacv1.PolicyRule{}
	for _, r := range snap.clusterRoles.Items {
		clusterRoles[r.Name] = r.Rules
	}
	roles := map[[2]string][]rbacv1.PolicyRule{}
	for _, r := range snap.roles.Items {
		roles[[2]string{r.Namespace, r.Name}] = r.Rules
	}
	var out []bindingRules
	add := func(ns string, ref rbacv1.RoleRef, subs []rbacv1.Subject) {
		b := bindingRules{ns: ns}
		if ref.Kind == "Role" {
			b.rules = roles[[2]string{ns, ref.Name}]
		} else {
			b.rules = clusterRoles[ref.Name]
		}
		for _, s := range subjects {
			if slices.ContainsFunc(subs, func(sub rbacv1.Subject) bool { return s.applies(sub, ns) }) {
				b.subjects = append(b.subjects, s)
			}
		}
		// The bulk bindings name nobody else: skip those of other users.
		if len(b.rules) > 0 && (ns != "team-bulk" || len(b.subjects) > 0) {
			out = append(out, b)
		}
	}
	for _, x := range snap.clusterRoleBindings.Items {
		add("", x.RoleRef, x.Subjects)
	}
	for _, x := range snap.roleBindings.Items {
		add(x.Namespace, x.RoleRef, x.Subjects)
	}
	return out
}

// generateQuestions returns n questions: about two thirds derived from a
// rule some binding grants to a pool subject (a third of those mutated in
// one dimension: near misses), the rest random over the pools.
func generateQuestions(r *rand.Rand, subjects []*rbacSubject, snap *rbacSnapshot, n int) []rbacQuestion {
	bindings := bindingsOf(snap, subjects)
	var withSubjects []bindingRules
	for _, b := range bindings {
		if len(b.subjects) > 0 {
			withSubjects = append(withSubjects, b)
		}
	}
	out := make([]rbacQuestion, 0, n)
	for len(out) < n {
		if r.IntN(100) < 35 {
			out = append(out, randomQuestion(r, subjects))
			continue
		}
		var b bindingRules
		if r.IntN(10) < 9 {
			b = pick(r, withSubjects)
		} else {
			b = pick(r, bindings)
		}
		subj := pickSubject(r, subjects)
		if len(b.subjects) > 0 {
			subj = pick(r, b.subjects)
		}
		q := rbacQuestion{subj: subj, req: instantiate(r, subj, pick(r, b.rules), b.ns), origin: "derived"}
		if r.IntN(100) < 33 {
			q.origin = "mutated:" + mutate(r, &q, subjects)
		}
		out = append(out, q)
	}
	return out
}

func randomQuestion(r *rand.Rand, subjects []*rbacSubject) rbacQuestion {
	s := pickSubject(r, subjects)
	if r.IntN(100) < 15 {
		return rbacQuestion{subj: s, req: rbac.Request{User: s.user, Groups: s.groups, Verb: pick(r, qPathVerbs), Path: pick(r, qPaths),
			Namespace: pick(r, qNamespaces)}, origin: "random"}
	}
	t := pick(r, qTargets)
	return rbacQuestion{subj: s, req: resReq(s, pick(r, qVerbs), t.group, t.resource, t.sub, pick(r, qNames), pick(r, qNamespaces)), origin: "random"}
}

// instantiate turns a rule into a request it allows (wildcards replaced by
// pool values), in the binding's namespace.
func instantiate(r *rand.Rand, s *rbacSubject, rule rbacv1.PolicyRule, ns string) rbac.Request {
	verb := pick(r, rule.Verbs)
	if len(rule.NonResourceURLs) > 0 {
		if verb == "*" {
			verb = pick(r, qPathVerbs)
		}
		path := pick(r, rule.NonResourceURLs)
		switch {
		case path == "*":
			path = pick(r, qPaths)
		case strings.HasSuffix(path, "*"):
			path = strings.TrimSuffix(path, "*") + pick(r, []string{"", "x", "a/b", "kube-apiserver.log"})
		}
		// A namespace on a non-resource request must be ignored (the
		// server's attributes never carry one; SAR has no field for it).
		return rbac.Request{User: s.user, Groups: s.groups, Verb: verb, Path: path, Namespace: pick(r, qNamespaces)}
	}
	if verb == "*" {
		verb = pick(r, qVerbs)
	}
	group := pick(r, rule.APIGroups)
	if group == "*" {
		group = pick(r, qTargets).group
	}
	resource, sub := pick(r, rule.Resources), ""
	switch {
	case resource == "*":
		t := pick(r, qTargets)
		resource, sub = t.resource, t.sub
	case strings.HasPrefix(resource, "*/"):
		resource, sub = pick(r, qTargets).resource, strings.TrimPrefix(resource, "*/")
	case strings.Contains(resource, "/"):
		resource, sub, _ = strings.Cut(resource, "/")
	}
	name := pick(r, qNames)
	if len(rule.ResourceNames) > 0 && r.IntN(100) < 85 {
		name = pick(r, rule.ResourceNames)
	}
	if ns == "" || r.IntN(10) == 0 {
		ns = pick(r, qNamespaces)
	}
	return resReq(s, verb, group, resource, sub, name, ns)
}

// mutate changes one dimension of a derived question; it returns which.
func mutate(r *rand.Rand, q *rbacQuestion, subjects []*rbacSubject) string {
	req := &q.req
	if req.Path != "" {
		switch r.IntN(4) {
		case 0:
			req.Verb = pick(r, qPathVerbs)
			return "verb"
		case 1:
			req.Path = strings.TrimSuffix(req.Path, "/")
			if len(req.Path) > 1 {
				req.Path = req.Path[:len(req.Path)-1]
			}
			return "path-shorter"
		case 2:
			req.Path += pick(r, []string{"/", "x", "/sub"})
			return "path-longer"
		default:
			s := pickSubject(r, subjects)
			q.subj, req.User, req.Groups = s, s.user, s.groups
			return "subject"
		}
	}
	switch r.IntN(7) {
	case 0:
		req.Verb = pick(r, qVerbs)
		return "verb"
	case 1:
		req.APIGroup = pick(r, qTargets).group
		return "group"
	case 2:
		t := pick(r, qTargets)
		req.Resource, req.Subresource = t.resource, t.sub
		return "resource"
	case 3:
		if req.Subresource != "" {
			req.Subresource = ""
		} else {
			req.Subresource = pick(r, []string{"status", "scale", "exec", "log", "*"})
		}
		return "subresource"
	case 4:
		req.Name = pick(r, qNames)
		return "name"
	case 5:
		req.Namespace = pick(r, qNamespaces)
		return "namespace"
	default:
		s := pickSubject(r, subjects)
		q.subj, req.User, req.Groups = s, s.user, s.groups
		return "subject"
	}
}

// ----------------------------------------------------------------- asking and comparing

type sarAnswer struct {
	allowed, denied bool
	reason, evalErr string
}

func askServer(ctx context.Context, t *testing.T, cs kubernetes.Interface, qs []rbacQuestion) []sarAnswer {
	t.Helper()
	answers := make([]sarAnswer, len(qs))
	errs := make([]error, len(qs))
	work := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range work {
				var r *authorizationv1.SubjectAccessReview
				var err error
				for attempt := 0; attempt < 3; attempt++ {
					if r, err = cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, qs[i].sar(), metav1.CreateOptions{}); err == nil {
						break
					}
					time.Sleep(100 * time.Millisecond)
				}
				if err != nil {
					errs[i] = err
					continue
				}
				answers[i] = sarAnswer{r.Status.Allowed, r.Status.Denied, r.Status.Reason, r.Status.EvaluationError}
			}
		})
	}
	for i := range qs {
		work <- i
	}
	close(work)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("SubjectAccessReview for %s: %v", &qs[i], err)
		}
	}
	return answers
}

// describeGrant is the reason kube-apiserver's RBAC authorizer gives for an
// allow through this grant (rbac.go authorizingVisitor, rule.go
// clusterRoleBindingDescriber/roleBindingDescriber/describeSubject); ""
// for the system:masters grant, which the privileged-group authorizer
// answers without a reason.
func describeGrant(g rbac.Grant) string {
	subj := fmt.Sprintf("%s %q", g.Subject.Kind, g.Subject.Name)
	if g.Subject.Kind == rbacv1.ServiceAccountKind {
		ns := g.Subject.Namespace
		if ns == "" {
			ns = g.BindingNamespace
		}
		subj = fmt.Sprintf("%s %q", g.Subject.Kind, g.Subject.Name+"/"+ns)
	}
	switch g.BindingKind {
	case rbac.KindClusterRoleBinding:
		return fmt.Sprintf("RBAC: allowed by ClusterRoleBinding %q of %s %q to %s", g.BindingName, g.RoleKind, g.RoleName, subj)
	case rbac.KindRoleBinding:
		return fmt.Sprintf("RBAC: allowed by RoleBinding %q of %s %q to %s", g.BindingName+"/"+g.BindingNamespace, g.RoleKind, g.RoleName, subj)
	}
	return ""
}

func compareAnswers(t *testing.T, qs []rbacQuestion, nAnchors int, answers []sarAnswer, policies []namedPolicy) {
	t.Helper()
	var (
		allowed, resource, reasonChecked, missingRoleReasons int
		disagreements                                        int
		byOrigin                                             = map[string][2]int{} // origin -> {allowed, total}
		bySubjectKind                                        = map[string][2]int{}
		printed                                              int
	)
	report := func(format string, args ...any) {
		t.Helper()
		disagreements++
		if printed < 25 {
			printed++
			t.Errorf(format, args...)
		}
	}
	for i := range qs {
		q, srv := &qs[i], answers[i]
		if srv.evalErr != "" || srv.denied {
			report("%s\n  server: allowed=%v denied=%v reason=%q evaluationError=%q (RBAC never denies, nor errs here)", q, srv.allowed, srv.denied, srv.reason, srv.evalErr)
		}
		if q.want != nil && *q.want != srv.allowed {
			report("anchor %q: %s\n  server says allowed=%v (reason %q), the test expected %v: the landscape or NOTES.md is wrong",
				q.note, q, srv.allowed, srv.reason, *q.want)
		}
		if srv.allowed {
			allowed++
		} else if strings.Contains(srv.reason, "not found") {
			if missingRoleReasons == 0 {
				t.Logf("example denial: %s\n  reason %q", q, srv.reason)
			}
			missingRoleReasons++
		}
		if q.req.Path == "" {
			resource++
		}
		origin, _, _ := strings.Cut(q.origin, ":")
		c := byOrigin[origin]
		c[1]++
		k := bySubjectKind[q.subj.kind]
		k[1]++
		if srv.allowed {
			c[0]++
			k[0]++
		}
		byOrigin[origin], bySubjectKind[q.subj.kind] = c, k

		for _, np := range policies {
			for _, form := range []string{"credential groups", "SAR groups"} {
				req := q.req
				if form == "SAR groups" {
					req.Groups = q.subj.authGroups
				}
				ok, grants := np.p.Allowed(req)
				if ok != srv.allowed {
					report("%s\n  server: allowed=%v reason=%q\n  engine (%s policy, %s %q): allowed=%v\n  engine grants:%s%s",
						q, srv.allowed, srv.reason, np.name, form, req.Groups, ok, grantsString(grants), namedBindingRules(np.p, srv.reason))
					continue
				}
				if !ok {
					continue
				}
				// The server names one allowing binding (the first its
				// informer's order visits); the engine must list it.
				var descs []string
				for _, g := range grants {
					descs = append(descs, describeGrant(g))
				}
				if !slices.Contains(descs, srv.reason) {
					report("%s\n  server allows by %q\n  engine (%s policy, %s) allows by:%s\n  but not by that one", q, srv.reason, np.name, form, grantsString(grants))
				} else {
					reasonChecked++
				}
			}
		}
	}
	n := len(qs)
	t.Logf("%d questions (%d anchors): %d resource, %d non-resource; %d allowed (%.1f%%), %d denied (%d of them with a missing-role error in the reason)",
		n, nAnchors, resource, n-resource, allowed, 100*float64(allowed)/float64(n), n-allowed, missingRoleReasons)
	for _, m := range []map[string][2]int{byOrigin, bySubjectKind} {
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d/%d", k, m[k][0], m[k][1]))
		}
		t.Logf("  allowed/asked: %s", strings.Join(parts, ", "))
	}
	t.Logf("%d engine answers compared (%d policies × 2 group forms); the binding the server named was among the engine's grants %d times",
		n*len(policies)*2, len(policies), reasonChecked)
	if disagreements > 0 {
		t.Errorf("%d disagreements (first %d shown)", disagreements, printed)
	}
	// A differential test whose questions are nearly all allowed (or all
	// denied) proves little.
	if share := float64(allowed) / float64(n); share < 0.25 || share > 0.75 {
		t.Errorf("allowed share %.1f%% is outside 25%%..75%%: the question generator no longer fits the landscape", 100*share)
	}
}

func grantsString(grants []rbac.Grant) string {
	if len(grants) == 0 {
		return " none"
	}
	var b strings.Builder
	for _, g := range grants {
		fmt.Fprintf(&b, "\n    %s rule %d %s (subject %s %s)", g, g.RuleIndex, g.Rule, g.Subject.Kind, g.Subject.Name)
	}
	return b.String()
}

// namedBindingRules shows the engine's view of the binding the server's
// reason names, when it names one.
func namedBindingRules(p *rbac.Policy, reason string) string {
	rest, ok := strings.CutPrefix(reason, "RBAC: allowed by ")
	if !ok {
		return ""
	}
	kind, rest, _ := strings.Cut(rest, " ")
	name, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return ""
	}
	name, _ = strconv.Unquote(name)
	var list []*rbac.Binding
	if kind == rbac.KindClusterRoleBinding {
		list = p.ClusterRoleBindings
	} else {
		list = p.RoleBindings
	}
	for _, x := range list {
		full := x.Name
		if x.Namespace != "" {
			full = x.Name + "/" + x.Namespace
		}
		if full != name {
			continue
		}
		if x.Role == nil {
			return fmt.Sprintf("\n  engine's %s: roleRef %s %s unresolved; subjects %v", x, x.RoleRef.Kind, x.RoleRef.Name, x.Subjects)
		}
		return fmt.Sprintf("\n  engine's %s → %s: rules %s; subjects %v", x, x.Role, rulesString(x.Role.Rules), x.Subjects)
	}
	return fmt.Sprintf("\n  the engine has no %s %q", kind, name)
}
