package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/apiguard/apiguard/test/e2e/lab"
)

// TestRBACEscalationPaths proves that the escalation paths apiguard reports
// (rbac admins, rbac paths, AG-ADMIN-006 in scan) are real: on a real
// kube-apiserver each user holds exactly one escalation, apiguard must report
// it with the user's own binding as the first step, and then each user
// executes its path as itself and ends with cluster-admin power (a
// SelfSubjectAccessReview of */*/* cluster-wide allowed, Secrets of
// kube-system listed) that it was denied before. A decoy holding bind without
// any binding write, and get (not create) pods/exec, must not be reported,
// and the server must refuse it both; so must a RoleBinding granting
// impersonation of users and groups (KubeHound's IDENTITY_IMPERSONATE
// fixture): impersonation of a user or group is asked cluster-wide.
// Patching a running pod (KubeHound's POD_PATCH) and adding an ephemeral
// container are paths to the pod's ServiceAccount: the server takes the
// new image, or the ephemeral container, of a pod that runs as
// ci/deployer with its token mounted, and refuses to change the pod's
// ServiceAccount (no kubelet runs it in the lab: that is the proof).
func TestRBACEscalationPaths(t *testing.T) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	c := lab.Start(t, lab.KubeadmLike)
	admin := c.AdminClient(t)
	c.WaitAggregated(t) // the scan reads a settled cluster

	// --- the scenario
	for _, o := range rbacPathsScenario() {
		mustCreate(t, func() error { return createObject(ctx, admin, o) })
	}
	users := map[string]*rbacPathsUser{}
	for _, name := range []string{"tok", "imp", "binder", "esc", "safe", "podmaker", "podpatcher", "debugger", "nsimp"} {
		kc := c.UserKubeconfig(t, name)
		cfg := lab.RESTConfig(t, kc)
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		users[name] = &rbacPathsUser{name: name, cfg: cfg, cs: cs}
	}

	// The authorizer (informer-fed) sees every user's one grant before
	// anything is asked; and none of them holds cluster-admin power yet.
	synced := map[string]authorizationv1.ResourceAttributes{
		"tok":        {Verb: "create", Resource: "serviceaccounts", Subresource: "token", Name: "deployer", Namespace: "ci"},
		"imp":        {Verb: "impersonate", Resource: "serviceaccounts", Name: "deployer", Namespace: "ci"},
		"binder":     {Verb: "bind", Group: "rbac.authorization.k8s.io", Resource: "clusterroles", Name: "cluster-admin"},
		"esc":        {Verb: "escalate", Group: "rbac.authorization.k8s.io", Resource: "clusterroles", Name: "esc-role"},
		"safe":       {Verb: "get", Resource: "pods", Subresource: "exec", Name: "runner", Namespace: "ci"},
		"podmaker":   {Verb: "create", Resource: "pods", Namespace: "ci"},
		"podpatcher": {Verb: "patch", Resource: "pods", Name: "runner", Namespace: "ci"},
		"debugger":   {Verb: "update", Resource: "pods", Subresource: "ephemeralcontainers", Name: "runner", Namespace: "ci"},
		// a SubjectAccessReview in ci: the RoleBinding applies to it (the
		// impersonation filter itself asks without a namespace)
		"nsimp": {Verb: "impersonate", Resource: "groups", Name: "system:masters", Namespace: "ci"},
	}
	for name, attrs := range synced {
		u := users[name]
		eventually(t, 30*time.Second, fmt.Sprintf("%s may %s", name, attrString(attrs)), func() (bool, string) {
			ok, why, err := selfAllowed(ctx, u.cs, attrs)
			return ok, fmt.Sprintf("allowed=%v reason=%q err=%v", ok, why, err)
		})
		if ok, why, err := selfAllowed(ctx, u.cs, allOfIt); err != nil || ok {
			t.Fatalf("before any escalation, %s's SelfSubjectAccessReview of */*/* cluster-wide: allowed=%v (%q, %v), want denied", name, ok, why, err)
		}
		if _, err := u.cs.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
			t.Fatalf("before any escalation, %s lists Secrets in kube-system: err %v, want Forbidden", name, err)
		}
	}
	// The decoy: its bind is real, but it may write no binding; its exec
	// grant is get only, which v1.36 refuses for exec.
	for _, a := range []struct {
		attrs authorizationv1.ResourceAttributes
		want  bool
	}{
		{authorizationv1.ResourceAttributes{Verb: "bind", Group: "rbac.authorization.k8s.io", Resource: "clusterroles", Name: "cluster-admin"}, true},
		{authorizationv1.ResourceAttributes{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"}, false},
		{authorizationv1.ResourceAttributes{Verb: "create", Resource: "pods", Subresource: "exec", Name: "runner", Namespace: "ci"}, false},
	} {
		if ok, why, err := selfAllowed(ctx, users["safe"].cs, a.attrs); err != nil || ok != a.want {
			t.Errorf("safe: %s: allowed=%v (%q, %v), want %v", attrString(a.attrs), ok, why, err, a.want)
		}
	}
	t.Logf("scenario ready after %s", time.Since(start).Round(time.Millisecond))

	// --- what apiguard reports
	stdout, stderr, code := runAPIGuard(t, "rbac", "admins", "-o", "json", "--kubeconfig", c.AdminKubeconfig)
	if code != 0 {
		t.Fatalf("apiguard rbac admins: exit %d\nstderr:\n%s", code, stderr)
	}
	var admins []rbacAdminJSON
	if err := json.Unmarshal(stdout, &admins); err != nil {
		t.Fatalf("rbac admins -o json: %v\n%s", err, stdout)
	}
	byUser := map[string]rbacAdminJSON{}
	var deployer *rbacAdminJSON
	for i, a := range admins {
		t.Logf("admins: %s %s/%s direct=%v builtin=%v path=%s", a.Subject.Kind, a.Subject.Namespace, a.Subject.Name, a.Direct, a.Builtin, stepsString(a.Path))
		switch {
		case a.Subject.Kind == "User":
			byUser[a.Subject.Name] = a
		case a.Subject.Kind == "ServiceAccount" && a.Subject.Namespace == "ci" && a.Subject.Name == "deployer":
			deployer = &admins[i]
		}
	}
	if deployer == nil {
		t.Errorf("rbac admins: ServiceAccount ci/deployer (ClusterRoleBinding deployer-admin → cluster-admin) is missing")
	} else if !deployer.Direct || len(deployer.Path) != 1 || deployer.Path[0].Via != deployerVia {
		t.Errorf("rbac admins: ServiceAccount ci/deployer: direct=%v path=%s, want direct with the one step via %q", deployer.Direct, stepsString(deployer.Path), deployerVia)
	}
	if a, ok := byUser["safe"]; ok {
		t.Errorf("rbac admins reports the decoy User safe (bind without a binding write, get pods/exec): direct=%v path=%s", a.Direct, stepsString(a.Path))
	}
	if a, ok := byUser["nsimp"]; ok {
		t.Errorf("rbac admins reports User nsimp (impersonate users and groups by a RoleBinding): direct=%v path=%s", a.Direct, stepsString(a.Path))
	}
	for _, w := range rbacPathsWant {
		a, ok := byUser[w.user]
		if !ok {
			t.Errorf("rbac admins: User %s is missing (its path: %s)", w.user, w.what)
			continue
		}
		if a.Direct || a.Builtin {
			t.Errorf("rbac admins: User %s: direct=%v builtin=%v, want a path through other identities, not builtin", w.user, a.Direct, a.Builtin)
		}
		checkPath(t, "rbac admins: User "+w.user, a.Path, w)
	}

	// rbac paths: the same shortest paths, one subject at a time.
	for _, w := range rbacPathsWant {
		paths := rbacPathsOf(t, c, "user:"+w.user)
		if len(paths) == 0 {
			t.Errorf("rbac paths user:%s: no path, want %s", w.user, w.what)
			continue
		}
		for i, p := range paths {
			checkPath(t, fmt.Sprintf("rbac paths user:%s, path %d", w.user, i+1), p, w)
		}
	}
	for _, decoy := range []string{"safe", "nsimp"} {
		if paths := rbacPathsOf(t, c, "user:"+decoy); len(paths) != 0 {
			t.Errorf("rbac paths user:%s: %d paths, want none; first: %s", decoy, len(paths), stepsString(paths[0]))
		}
	}

	// scan: AG-ADMIN-006 fails for each user (the path as evidence), not for
	// safe; AG-ADMIN-005 fails for the ServiceAccount.
	r := scanJSON(t, "scan", "--kubeconfig", c.AdminKubeconfig)
	admin6 := map[string]finding{}
	var admin5 []finding
	for _, f := range r.Findings {
		switch f.CheckID {
		case "AG-ADMIN-006":
			t.Logf("scan: AG-ADMIN-006 %s %q: %s", f.Status, f.Resource, f.Message)
			admin6[f.Resource] = f
		case "AG-ADMIN-005":
			t.Logf("scan: AG-ADMIN-005 %s %q: %s", f.Status, f.Resource, f.Message)
			admin5 = append(admin5, f)
		}
	}
	for _, w := range rbacPathsWant {
		f, ok := admin6["User "+w.user]
		switch {
		case !ok:
			t.Errorf("scan: no AG-ADMIN-006 finding for User %s", w.user)
		case f.Status != "fail":
			t.Errorf("scan: AG-ADMIN-006 User %s: status %s, want fail", w.user, f.Status)
		case len(f.Evidence) != w.steps || f.Evidence[0].Source != w.firstVia:
			t.Errorf("scan: AG-ADMIN-006 User %s: evidence %+v, want %d steps, the first via %q", w.user, f.Evidence, w.steps, w.firstVia)
		}
	}
	for _, decoy := range []string{"safe", "nsimp"} {
		if f, ok := admin6["User "+decoy]; ok {
			t.Errorf("scan: AG-ADMIN-006 reports the decoy User %s: %s %q", decoy, f.Status, f.Message)
		}
	}
	found5 := false
	for _, f := range admin5 {
		if f.Resource == "ServiceAccount ci/deployer" {
			found5 = true
			if f.Status != "fail" {
				t.Errorf("scan: AG-ADMIN-005 ServiceAccount ci/deployer: status %s, want fail (%s)", f.Status, f.Message)
			}
		}
	}
	if !found5 {
		t.Errorf("scan: no AG-ADMIN-005 finding for ServiceAccount ci/deployer")
	}
	t.Logf("apiguard checked after %s", time.Since(start).Round(time.Millisecond))

	// --- the server: execute every path as its user
	// (a) tok: a token of ci/deployer, then the token's power.
	t.Run("tok/token-request", func(t *testing.T) {
		tr, err := users["tok"].cs.CoreV1().ServiceAccounts("ci").CreateToken(ctx, "deployer",
			&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(600))}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("tok: TokenRequest for ci/deployer: %v", err)
		}
		sa := lab.Client(t, c.TokenKubeconfig(t, "ci-deployer", tr.Status.Token))
		assertAdminPower(ctx, t, "tok, with the token of ci/deployer", sa, "system:serviceaccount:ci:deployer")
	})
	// (b) imp: impersonate ci/deployer.
	t.Run("imp/impersonate", func(t *testing.T) {
		cfg := rest.CopyConfig(users["imp"].cfg)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:ci:deployer"}
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		assertAdminPower(ctx, t, "imp, impersonating ci/deployer", cs, "system:serviceaccount:ci:deployer")
	})
	// (c) binder: binds cluster-admin to itself.
	t.Run("binder/bind", func(t *testing.T) {
		_, err := users["binder"].cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "binder-self-admin"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "binder"}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("binder: create ClusterRoleBinding binder-self-admin → cluster-admin: %v", err)
		}
		assertAdminPower(ctx, t, "binder, after binding cluster-admin to itself", users["binder"].cs, "binder")
	})
	// (d) esc: writes */*/* into its own ClusterRole.
	t.Run("esc/escalate", func(t *testing.T) {
		cs := users["esc"].cs
		role, err := cs.RbacV1().ClusterRoles().Get(ctx, "esc-role", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("esc: get ClusterRole esc-role: %v", err)
		}
		role.Rules = append(role.Rules, rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}})
		if _, err := cs.RbacV1().ClusterRoles().Update(ctx, role, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("esc: update ClusterRole esc-role with */*/*: %v", err)
		}
		assertAdminPower(ctx, t, "esc, after adding */*/* to esc-role", cs, "esc")
	})
	// (f) podmaker: the first step only (no kubelet runs the pod): the
	// server admits a pod of podmaker's that runs as ci/deployer, with the
	// ServiceAccount's token mounted.
	t.Run("podmaker/create-pod", func(t *testing.T) {
		p, err := users["podmaker"].cs.CoreV1().Pods("ci").Create(ctx, rbacPathsPod("podmaker-proof"), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("podmaker: create a pod running as ci/deployer: %v", err)
		}
		if p.Spec.ServiceAccountName != "deployer" || !mountsToken(p) {
			t.Errorf("podmaker's pod: serviceAccountName %q, token volume mounted %v; want deployer with its projected token", p.Spec.ServiceAccountName, mountsToken(p))
		}
	})
	// (e) the decoy: the server refuses its bind (no binding write) and its
	// exec (get is not enough on v1.36).
	t.Run("safe/refused", func(t *testing.T) {
		cs := users["safe"].cs
		_, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "safe-self-admin"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "safe"}},
		}, metav1.CreateOptions{})
		if !apierrors.IsForbidden(err) {
			t.Errorf("safe: create ClusterRoleBinding → cluster-admin: err %v, want Forbidden", err)
		} else {
			t.Logf("safe: bind refused: %v", err)
		}
		exec := func(cs kubernetes.Interface) error {
			return cs.CoreV1().RESTClient().Get().Namespace("ci").Resource("pods").Name("runner").SubResource("exec").
				Param("command", "true").Param("stdout", "true").Do(ctx).Error()
		}
		// The request filter allows the GET (safe may get pods/exec); the
		// exec handler's own check of create refuses it, with RBAC's empty
		// reason, not the filter's "cannot get resource".
		if err := exec(cs); !apierrors.IsForbidden(err) || strings.Contains(err.Error(), "cannot get resource") {
			t.Errorf("safe: GET pods/runner/exec: err %v, want Forbidden by the exec handler's create check", err)
		} else {
			t.Logf("safe: exec refused: %v", err)
		}
		// The control: the admin gets past authorization and fails only for
		// want of a node.
		if err := exec(admin); err == nil || apierrors.IsForbidden(err) {
			t.Errorf("admin: GET pods/runner/exec: err %v, want a non-authorization error (the pod has no node)", err)
		} else {
			t.Logf("admin: exec past authorization: %v", err)
		}
		if ok, why, err := selfAllowed(ctx, cs, allOfIt); err != nil || ok {
			t.Errorf("safe: SelfSubjectAccessReview of */*/*: allowed=%v (%q, %v), want denied", ok, why, err)
		}
	})
	// (g) podpatcher: a new image for ci/runner, which runs as ci/deployer
	// with its token mounted; its ServiceAccount cannot be changed.
	t.Run("podpatcher/patch-pod", func(t *testing.T) {
		pods := users["podpatcher"].cs.CoreV1().Pods("ci")
		const image = "registry.k8s.io/pause:3.10-not-the-owners"
		p, err := pods.Patch(ctx, "runner", types.StrategicMergePatchType,
			[]byte(`{"spec":{"containers":[{"name":"c","image":"`+image+`"}]}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("podpatcher: patch the image of pod ci/runner: %v", err)
		}
		if p.Spec.Containers[0].Image != image || p.Spec.ServiceAccountName != "deployer" || !mountsToken(p) {
			t.Errorf("podpatcher's patch: image %q, serviceAccountName %q, token mounted %v; want the new image running as deployer with its token",
				p.Spec.Containers[0].Image, p.Spec.ServiceAccountName, mountsToken(p))
		}
		_, err = pods.Patch(ctx, "runner", types.StrategicMergePatchType, []byte(`{"spec":{"serviceAccountName":"default"}}`), metav1.PatchOptions{})
		if !apierrors.IsInvalid(err) {
			t.Errorf("podpatcher: patch the ServiceAccount of pod ci/runner: err %v, want Invalid (spec.serviceAccountName is immutable)", err)
		} else {
			t.Logf("podpatcher: ServiceAccount change refused: %v", err)
		}
	})
	// (h) debugger: an ephemeral container in ci/runner, which runs as
	// ci/deployer.
	t.Run("debugger/ephemeral-container", func(t *testing.T) {
		pods := users["debugger"].cs.CoreV1().Pods("ci")
		p, err := pods.Get(ctx, "runner", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("debugger: get pod ci/runner: %v", err)
		}
		p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{
			EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger", Image: "registry.k8s.io/pause:3.10",
				TerminationMessagePolicy: corev1.TerminationMessageReadFile, ImagePullPolicy: corev1.PullIfNotPresent}})
		p, err = pods.UpdateEphemeralContainers(ctx, "runner", p, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("debugger: add an ephemeral container to pod ci/runner: %v", err)
		}
		if len(p.Spec.EphemeralContainers) == 0 || p.Spec.ServiceAccountName != "deployer" || !mountsToken(p) {
			t.Errorf("debugger's ephemeral container: %d ephemeral containers, serviceAccountName %q, token mounted %v",
				len(p.Spec.EphemeralContainers), p.Spec.ServiceAccountName, mountsToken(p))
		}
	})
	// (i) nsimp: its RoleBinding grants impersonation of users and groups
	// in ci, which the impersonation filter never asks: refused.
	t.Run("nsimp/refused", func(t *testing.T) {
		cfg := rest.CopyConfig(users["nsimp"].cfg)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: "someone", Groups: []string{"system:masters"}}
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, ns := range []string{"ci", "kube-system"} {
			if _, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
				t.Errorf("nsimp, impersonating system:masters: list Secrets in %s: err %v, want Forbidden", ns, err)
			} else {
				t.Logf("nsimp: impersonation refused: %v", err)
			}
		}
	})
	t.Logf("total %s", time.Since(start).Round(time.Millisecond))
}

// deployerVia is the grant of ci/deployer's power.
const deployerVia = "ClusterRoleBinding deployer-admin → ClusterRole cluster-admin"

// rbacPathWant is what apiguard must report for one user with a path.
type rbacPathWant struct {
	user, what string
	steps      int
	firstVia   string // the user's own binding
	lastVia    string // for multi-step paths
	become     string // the first step's action names whom it becomes
}

var rbacPathsWant = []rbacPathWant{
	{"tok", "create serviceaccounts/token in ci, then ci/deployer", 2,
		"RoleBinding ci/tok-tokens → Role ci/token-minter", deployerVia, "ci/deployer"},
	{"imp", "impersonate serviceaccounts in ci, then ci/deployer", 2,
		"RoleBinding ci/imp-impersonate → Role ci/sa-impersonator", deployerVia, "ci/deployer"},
	{"binder", "bind cluster-admin + create clusterrolebindings", 1,
		"ClusterRoleBinding binder-bind → ClusterRole binder-role", "", ""},
	{"esc", "escalate + update on its own ClusterRole", 1,
		"ClusterRoleBinding esc-escalate → ClusterRole esc-role", "", ""},
	{"podmaker", "create pods in ci, then ci/deployer", 2,
		"RoleBinding ci/podmaker-pods → Role ci/pod-creator", deployerVia, "ci/deployer"},
	{"podpatcher", "patch pod ci/runner's image, then ci/deployer", 2,
		"RoleBinding ci/podpatcher-pods → Role ci/pod-patcher", deployerVia, "run a new container image as ServiceAccount ci/deployer (pod ci/runner)"},
	{"debugger", "an ephemeral container in ci/runner, then ci/deployer", 2,
		"RoleBinding ci/debugger-ephemeral → Role ci/pod-debugger", deployerVia, "run as ServiceAccount ci/deployer (pod ci/runner)"},
}

func checkPath(t *testing.T, label string, path []rbacStepJSON, w rbacPathWant) {
	t.Helper()
	switch {
	case len(path) != w.steps:
		t.Errorf("%s: %d steps, want %d (%s): %s", label, len(path), w.steps, w.what, stepsString(path))
	case path[0].Via != w.firstVia:
		t.Errorf("%s: first step via %q, want %q: %s", label, path[0].Via, w.firstVia, stepsString(path))
	case w.lastVia != "" && path[len(path)-1].Via != w.lastVia:
		t.Errorf("%s: last step via %q, want %q: %s", label, path[len(path)-1].Via, w.lastVia, stepsString(path))
	case w.become != "" && !strings.Contains(path[0].Action, w.become):
		t.Errorf("%s: first step %q does not name %s: %s", label, path[0].Action, w.become, stepsString(path))
	}
}

type rbacStepJSON struct {
	Action string `json:"action"`
	Via    string `json:"via"`
}

type rbacSubjectJSON struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

type rbacAdminJSON struct {
	Subject rbacSubjectJSON `json:"subject"`
	Direct  bool            `json:"direct"`
	Path    []rbacStepJSON  `json:"path"`
	Builtin bool            `json:"builtin"`
}

func stepsString(path []rbacStepJSON) string {
	var b strings.Builder
	for i, s := range path {
		fmt.Fprintf(&b, "\n    %d. %s\n       via %s", i+1, s.Action, s.Via)
	}
	return b.String()
}

// rbacPathsOf runs `apiguard rbac paths SUBJECT -o json` against the live cluster.
func rbacPathsOf(t *testing.T, c *lab.Cluster, subject string) [][]rbacStepJSON {
	t.Helper()
	stdout, stderr, code := runAPIGuard(t, "rbac", "paths", subject, "-o", "json", "--kubeconfig", c.AdminKubeconfig)
	if code != 0 {
		t.Fatalf("apiguard rbac paths %s: exit %d\nstderr:\n%s", subject, code, stderr)
	}
	var out struct {
		Subject rbacSubjectJSON  `json:"subject"`
		Paths   [][]rbacStepJSON `json:"paths"`
	}
	if err := json.Unmarshal(stdout, &out); err != nil {
		t.Fatalf("rbac paths %s -o json: %v\n%s", subject, err, stdout)
	}
	if out.Paths == nil {
		t.Errorf("rbac paths %s -o json: paths is null, want an array\n%s", subject, stdout)
	}
	return out.Paths
}

type rbacPathsUser struct {
	name string
	cfg  *rest.Config
	cs   kubernetes.Interface
}

// allOfIt is cluster-admin power: every verb on every resource of every
// group, cluster-wide. RBAC allows the literal "*" only through rules
// listing "*".
var allOfIt = authorizationv1.ResourceAttributes{Verb: "*", Group: "*", Resource: "*"}

func attrString(a authorizationv1.ResourceAttributes) string {
	s := a.Verb + " " + a.Resource
	if a.Subresource != "" {
		s += "/" + a.Subresource
	}
	if a.Group != "" {
		s += "." + a.Group
	}
	if a.Name != "" {
		s += " " + a.Name
	}
	if a.Namespace != "" {
		s += " in " + a.Namespace
	}
	return s
}

// selfAllowed asks a SelfSubjectAccessReview as the client's identity.
func selfAllowed(ctx context.Context, cs kubernetes.Interface, attrs authorizationv1.ResourceAttributes) (bool, string, error) {
	a := attrs
	r, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &a},
	}, metav1.CreateOptions{})
	if err != nil {
		return false, "", err
	}
	return r.Status.Allowed, r.Status.Reason + r.Status.EvaluationError, nil
}

// eventually polls cond until it holds or timeout passes (the RBAC
// authorizer follows bindings through informers).
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s (last: %s)", what, timeout, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// assertAdminPower checks that cs is who, and holds cluster-admin power:
// its SelfSubjectAccessReview of */*/* is allowed, and it lists the Secrets
// of kube-system.
func assertAdminPower(ctx context.Context, t *testing.T, label string, cs kubernetes.Interface, who string) {
	t.Helper()
	ssr, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("%s: SelfSubjectReview: %v", label, err)
	}
	if got := ssr.Status.UserInfo.Username; got != who {
		t.Fatalf("%s: the server sees %q, want %q", label, got, who)
	}
	eventually(t, 30*time.Second, label+": SelfSubjectAccessReview of */*/* cluster-wide allowed", func() (bool, string) {
		ok, why, err := selfAllowed(ctx, cs, allOfIt)
		return ok, fmt.Sprintf("allowed=%v reason=%q err=%v", ok, why, err)
	})
	secrets, err := cs.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("%s: list Secrets in kube-system: %v", label, err)
	}
	t.Logf("%s: the server sees %s (groups %v); */*/* allowed; listed %d Secrets in kube-system", label, who, ssr.Status.UserInfo.Groups, len(secrets.Items))
}

func mountsToken(p *corev1.Pod) bool {
	for _, v := range p.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, s := range v.Projected.Sources {
			if s.ServiceAccountToken != nil {
				return true
			}
		}
	}
	return false
}

func rbacPathsPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ci"},
		Spec: corev1.PodSpec{
			ServiceAccountName: "deployer",
			Containers:         []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}},
		},
	}
}

// rbacPathsScenario is namespace ci with the cluster-admin ServiceAccount
// ci/deployer (and a pod ci/runner running as it, the target of the decoy's
// exec), and one user per escalation, each with exactly one grant.
func rbacPathsScenario() []any {
	rbacGroup := "rbac.authorization.k8s.io"
	crole := func(name string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
		return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
	}
	role := func(name string, rules ...rbacv1.PolicyRule) *rbacv1.Role {
		return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ci"}, Rules: rules}
	}
	user := func(name string) []rbacv1.Subject {
		return []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: name}}
	}
	crb := func(name, roleName string, subjects []rbacv1.Subject) *rbacv1.ClusterRoleBinding {
		return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: roleName}, Subjects: subjects}
	}
	rb := func(name, roleName string, subjects []rbacv1.Subject) *rbacv1.RoleBinding {
		return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ci"},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: roleName}, Subjects: subjects}
	}
	return []any{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ci"}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "deployer", Namespace: "ci"}},
		crb("deployer-admin", "cluster-admin", []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "deployer", Namespace: "ci"}}),
		rbacPathsPod("runner"),
		// (a) tok: create serviceaccounts/token in ci.
		role("token-minter", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}, Verbs: []string{"create"}}),
		rb("tok-tokens", "token-minter", user("tok")),
		// (b) imp: impersonate serviceaccounts in ci.
		role("sa-impersonator", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, Verbs: []string{"impersonate"}}),
		rb("imp-impersonate", "sa-impersonator", user("imp")),
		// (c) binder: bind cluster-admin + create clusterrolebindings.
		crole("binder-role",
			rbacv1.PolicyRule{APIGroups: []string{rbacGroup}, Resources: []string{"clusterroles"}, Verbs: []string{"bind"}, ResourceNames: []string{"cluster-admin"}},
			rbacv1.PolicyRule{APIGroups: []string{rbacGroup}, Resources: []string{"clusterrolebindings"}, Verbs: []string{"create"}}),
		crb("binder-bind", "binder-role", user("binder")),
		// (d) esc: escalate + update on the ClusterRole it is bound to.
		crole("esc-role",
			rbacv1.PolicyRule{APIGroups: []string{rbacGroup}, Resources: []string{"clusterroles"}, Verbs: []string{"escalate", "update"}, ResourceNames: []string{"esc-role"}},
			rbacv1.PolicyRule{APIGroups: []string{rbacGroup}, Resources: []string{"clusterroles"}, Verbs: []string{"get"}}),
		crb("esc-escalate", "esc-role", user("esc")),
		// (e) safe: bind cluster-admin without any binding write, and get
		// (not create) pods/exec in ci.
		crole("safe-bind", rbacv1.PolicyRule{APIGroups: []string{rbacGroup}, Resources: []string{"clusterroles"}, Verbs: []string{"bind"}, ResourceNames: []string{"cluster-admin"}}),
		crb("safe-bind", "safe-bind", user("safe")),
		role("exec-get", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"get"}}),
		rb("safe-exec", "exec-get", user("safe")),
		// (f) podmaker: create pods in ci.
		role("pod-creator", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create"}}),
		rb("podmaker-pods", "pod-creator", user("podmaker")),
		// (g) podpatcher: patch pods in ci (KubeHound's POD_PATCH role).
		role("pod-patcher", rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "patch"}}),
		rb("podpatcher-pods", "pod-patcher", user("podpatcher")),
		// (h) debugger: ephemeral containers in ci (kubectl debug).
		role("pod-debugger",
			rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}},
			rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/ephemeralcontainers"}, Verbs: []string{"update", "patch"}}),
		rb("debugger-ephemeral", "pod-debugger", user("debugger")),
		// (i) nsimp: impersonate users and groups, by a RoleBinding in ci
		// (KubeHound's IDENTITY_IMPERSONATE role).
		role("impersonator", rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"users", "groups"}, Verbs: []string{"impersonate"}}),
		rb("nsimp-impersonate", "impersonator", user("nsimp")),
	}
}
