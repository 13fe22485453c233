package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/apiguard/apiguard/test/e2e/lab"
)

func TestMain(m *testing.M) {
	// Build (or find cached) etcd, kube-apiserver and kube-controller-manager
	// before any test starts, so the cold build is not charged to one test.
	if _, err := lab.EnsureBinaries(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The apiguard binary under test (scan_test.go). A build failure fails
	// the tests that run apiguard, not the lab's own tests.
	cleanup := buildAPIGuard()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// rbacReadonlyPath is deploy/rbac-readonly.yaml relative to this package.
var rbacReadonlyPath = filepath.Join("..", "..", "deploy", "rbac-readonly.yaml")

// rbacSecretInventoryPath is deploy/rbac-secret-inventory.yaml, the opt-in
// that lets apiguard list Secrets (metadata only).
var rbacSecretInventoryPath = filepath.Join("..", "..", "deploy", "rbac-secret-inventory.yaml")

// TestLabSmoke starts each profile (one at a time: the machine has 2 cores)
// and checks that the lab behaves like a real control plane.
func TestLabSmoke(t *testing.T) {
	for _, p := range lab.Profiles() {
		t.Run(p.Name, func(t *testing.T) { smoke(t, p) })
	}
}

func smoke(t *testing.T, p lab.Profile) {
	ctx := context.Background()
	c := lab.Start(t, p)
	admin := c.AdminClient(t)

	// /readyz as admin, and /version carries the stamped release.
	body, err := admin.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil || strings.TrimSpace(string(body)) != "ok" {
		t.Fatalf("/readyz: %q %v", body, err)
	}
	v, err := admin.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != lab.KubernetesVersion {
		t.Errorf("server version %q, want %q", v.GitVersion, lab.KubernetesVersion)
	}
	if st, _ := c.AnonymousGet(t, "/readyz"); st != http.StatusOK {
		t.Errorf("anonymous /readyz: HTTP %d, want 200", st)
	}

	// The mirror pod of the static pod manifest, with the real argv.
	pods, err := admin.CoreV1().Pods(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{LabelSelector: "component=kube-apiserver"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 1 {
		t.Fatalf("want 1 kube-apiserver pod in kube-system, got %d", len(pods.Items))
	}
	mp := pods.Items[0]
	if mp.Name != c.MirrorPodName || mp.Labels["tier"] != "control-plane" || mp.Annotations[lab.ConfigMirrorAnnotationKey] == "" || mp.Spec.NodeName != c.NodeName {
		t.Errorf("mirror pod %s: labels %v annotations %v node %q", mp.Name, mp.Labels, mp.Annotations, mp.Spec.NodeName)
	}
	wantCmd := append([]string{"kube-apiserver"}, c.APIServerArgs...)
	if got := mp.Spec.Containers[0].Command; !slices.Equal(got, wantCmd) {
		t.Errorf("mirror pod command\n got %q\nwant %q", got, wantCmd)
	}
	raw, err := os.ReadFile(c.ManifestPath)
	if err != nil {
		t.Fatal(err)
	}
	var manifest corev1.Pod
	if err := yaml.UnmarshalStrict(raw, &manifest); err != nil {
		t.Fatalf("manifest %s: %v", c.ManifestPath, err)
	}
	if got := manifest.Spec.Containers[0].Command; !slices.Equal(got, wantCmd) {
		t.Errorf("manifest command\n got %q\nwant %q", got, wantCmd)
	}
	if mp.Status.Phase != corev1.PodRunning {
		t.Errorf("mirror pod phase %q", mp.Status.Phase)
	}
	checkProfileFlags(t, c)

	// kube-controller-manager runs: aggregated roles get their rules.
	c.WaitAggregated(t)
	adminRole, err := admin.RbacV1().ClusterRoles().Get(ctx, "admin", metav1.GetOptions{})
	if err != nil || len(adminRole.Rules) == 0 {
		t.Fatalf("ClusterRole admin: %v rules, err %v", len(adminRole.Rules), err)
	}

	// Anonymous access to a resource.
	st, b := c.AnonymousGet(t, "/api/v1/namespaces")
	want := map[string]int{
		lab.Hardened.Name:    http.StatusUnauthorized, // anonymous only for /livez /readyz /healthz
		lab.Insecure.Name:    http.StatusOK,           // system:unauthenticated bound to view
		lab.KubeadmLike.Name: http.StatusForbidden,    // anonymous authenticated, RBAC denies
	}[p.Name]
	if st != want {
		t.Errorf("anonymous GET /api/v1/namespaces: HTTP %d, want %d: %.200s", st, want, b)
	}

	// The least-privilege role from deploy/.
	c.ApplyFile(t, rbacReadonlyPath)
	reader := c.UserClient(t, "apiguard-reader", "apiguard:readers")
	if _, err := reader.CoreV1().Pods(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("reader cannot list pods in kube-system: %v", err)
	}
	if _, err := reader.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("reader cannot list clusterrolebindings: %v", err)
	}
	if _, err := reader.CoreV1().Secrets(metav1.NamespaceSystem).Get(ctx, "anything", metav1.GetOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("reader get secret: want Forbidden, got %v", err)
	}
	_, err = reader.CoreV1().ConfigMaps(metav1.NamespaceDefault).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "nope"}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("reader create configmap: want Forbidden, got %v", err)
	}
	for _, ra := range []authorizationv1.ResourceAttributes{
		{Verb: "create", Resource: "pods", Namespace: "kube-system"},
		{Verb: "delete", Resource: "nodes"},
		{Verb: "update", Group: "rbac.authorization.k8s.io", Resource: "clusterroles"},
		{Verb: "get", Resource: "secrets", Namespace: "kube-system"},
		{Verb: "watch", Resource: "pods"},
	} {
		ssar, err := reader.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &ra},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ssar.Status.Allowed {
			t.Errorf("reader is allowed to %s %s/%s", ra.Verb, ra.Group, ra.Resource)
		}
	}

	// Encryption at rest, read back raw from etcd.
	if _, err := admin.CoreV1().Secrets(metav1.NamespaceDefault).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "lab-probe"}, StringData: map[string]string{"k": "plaintext-marker"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	stored := c.EtcdGet(t, "/registry/secrets/default/lab-probe")
	encrypted := strings.HasPrefix(string(stored), "k8s:enc:secretbox:v1:key1:")
	if wantEnc := p.Name == lab.Hardened.Name; encrypted != wantEnc || (!encrypted && !strings.Contains(string(stored), "plaintext-marker")) {
		t.Errorf("secret in etcd: encrypted=%v, want %v (%.40q)", encrypted, wantEnc, stored)
	}

	if p.Name == lab.Insecure.Name {
		tok := lab.Client(t, c.TokenKubeconfig(t, "static-reader", c.StaticTokens["static-reader"]))
		if _, err := tok.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil {
			t.Errorf("static token reader cannot list nodes: %v", err)
		}
	}
	if p.Name == lab.Hardened.Name {
		audit, err := os.ReadFile(c.AuditLogPath)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(audit), `"user":{"username":"apiguard-reader"`) {
			t.Errorf("audit log %s has no event of apiguard-reader", c.AuditLogPath)
		}
	}
}

// checkProfileFlags spot-checks that the flags that define each profile are on the real command line.
func checkProfileFlags(t *testing.T, c *lab.Cluster) {
	t.Helper()
	has := func(f string) bool { return slices.Contains(c.APIServerArgs, f) }
	hasName := func(name string) bool {
		return slices.ContainsFunc(c.APIServerArgs, func(a string) bool { return strings.HasPrefix(a, "--"+name+"=") })
	}
	var want, wantAbsent []string
	switch c.Profile.Name {
	case lab.Hardened.Name:
		want = []string{"--authorization-mode=Node,RBAC", "--profiling=false", "--tls-min-version=VersionTLS12", "--bind-address=127.0.0.1"}
		wantAbsent = []string{"anonymous-auth", "token-auth-file"}
		for _, n := range []string{"authentication-config", "audit-policy-file", "audit-log-path", "encryption-provider-config", "etcd-certfile", "kubelet-certificate-authority"} {
			if !hasName(n) {
				t.Errorf("hardened: missing --%s", n)
			}
		}
	case lab.Insecure.Name:
		want = []string{"--anonymous-auth=true", "--profiling=true", "--tls-min-version=VersionTLS10", "--enable-admission-plugins=AlwaysAdmit", "--service-account-lookup=false"}
		wantAbsent = []string{"audit-log-path", "encryption-provider-config", "etcd-certfile"}
	case lab.KubeadmLike.Name:
		want = []string{"--enable-bootstrap-token-auth=true", "--allow-privileged=true", "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction"}
		wantAbsent = []string{"audit-log-path", "profiling", "anonymous-auth"}
	}
	for _, f := range want {
		if !has(f) {
			t.Errorf("%s: missing %s in %q", c.Profile.Name, f, c.APIServerArgs)
		}
	}
	for _, n := range wantAbsent {
		if hasName(n) {
			t.Errorf("%s: unexpected --%s", c.Profile.Name, n)
		}
	}
	if c.AuditLogPath != "" {
		if _, err := os.Stat(c.AuditLogPath); err != nil {
			t.Errorf("audit log: %v", err)
		}
	}
}
