package rbac

import (
	"context"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	metafake "k8s.io/client-go/metadata/fake"
	k8stesting "k8s.io/client-go/testing"
)

func secretMeta(ns, name, saName string) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{ServiceAccountNameAnnotation: saName}},
	}
}

func TestLoadLive(t *testing.T) {
	client := fake.NewClientset(
		clusterRole("reader", rule(l("get", "list"), l(""), l("pods"))),
		crb("reader", "reader", user("alice")),
		role("ci", "deployer", rule(l("create"), l("apps"), l("deployments"))),
		rb("ci", "deployer", "Role", "deployer", rbacv1.Subject{Kind: "ServiceAccount", Name: "robot"}),
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ci", Name: "robot"}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ci"}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ci", Name: "p"}, Spec: corev1.PodSpec{ServiceAccountName: "robot", NodeName: "n1"}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}},
		// A Secret in the typed client: the loader must never read it through there.
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ci", Name: "robot-token"}, Type: corev1.SecretTypeServiceAccountToken, Data: map[string][]byte{"token": []byte("TYPED-SECRET")}},
	)
	scheme := metafake.NewTestScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	meta := metafake.NewSimpleMetadataClient(scheme, secretMeta("ci", "robot-token", "robot"))
	p, err := LoadLive(context.Background(), client, meta, LiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Problems) != 0 {
		t.Fatalf("problems: %s", problems(p))
	}
	if ok, _ := p.Allowed(Request{User: "system:serviceaccount:ci:robot", Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "ci"}); !ok {
		t.Fatal("robot")
	}
	if len(p.ServiceAccounts) != 1 || len(p.Namespaces) != 1 || len(p.Pods) != 1 || p.Pods[0].NodeName != "n1" || len(p.Nodes) != 1 {
		t.Fatalf("identities: %+v %+v %+v %+v", p.ServiceAccounts, p.Namespaces, p.Pods, p.Nodes)
	}
	if len(p.Secrets) != 1 || !reflect.DeepEqual(p.Secrets[0], Secret{Namespace: "ci", Name: "robot-token", Type: SecretTypeServiceAccountToken, ServiceAccountName: "robot"}) {
		t.Fatalf("secrets: %+v", p.Secrets)
	}
	// The typed client is only listed, never asked for Secrets.
	for _, a := range client.Actions() {
		if a.GetResource().Resource == "secrets" {
			t.Errorf("typed client touched secrets: %s", a.GetVerb())
		}
		if a.GetVerb() != "list" {
			t.Errorf("not read-only: %s %s", a.GetVerb(), a.GetResource().Resource)
		}
	}
	// Secrets are listed as metadata only, by type, never got.
	var selectors []string
	for _, a := range meta.Actions() {
		if a.GetVerb() != "list" || a.GetResource() != (schema.GroupVersionResource{Version: "v1", Resource: "secrets"}) {
			t.Errorf("metadata client: %s %v", a.GetVerb(), a.GetResource())
			continue
		}
		la := a.(k8stesting.ListAction)
		selectors = append(selectors, a.GetNamespace()+" "+la.GetListRestrictions().Fields.String())
	}
	want := " type=kubernetes.io/service-account-token,kube-system type=bootstrap.kubernetes.io/token"
	if strings.Join(selectors, ",") != want {
		t.Errorf("secret lists: %q, want %q", strings.Join(selectors, ","), want)
	}
}

func TestLoadLivePaginates(t *testing.T) {
	client := fake.NewClientset()
	pages := map[string]*rbacv1.ClusterRoleList{
		"":   {ListMeta: metav1.ListMeta{Continue: "p2"}, Items: []rbacv1.ClusterRole{*clusterRole("a")}},
		"p2": {Items: []rbacv1.ClusterRole{*clusterRole("b")}},
	}
	var limits []int64
	client.PrependReactor("list", "clusterroles", func(a k8stesting.Action) (bool, runtime.Object, error) {
		opts := a.(k8stesting.ListActionImpl).ListOptions
		limits = append(limits, opts.Limit)
		return true, pages[opts.Continue], nil
	})
	p, err := LoadLive(context.Background(), client, nil, LiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := roleNames(p.ClusterRoles); strings.Join(got, ",") != "ClusterRole a,ClusterRole b" {
		t.Fatalf("pages: %q", got)
	}
	if len(limits) != 2 || limits[0] != pageSize || limits[1] != pageSize {
		t.Fatalf("limits %v", limits)
	}
}

func TestLoadLiveForbidden(t *testing.T) {
	client := fake.NewClientset(clusterRole("a"), crb("a", "a", user("u")))
	forbid := func(resource string) {
		client.PrependReactor("list", resource, func(a k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: resource}, "", nil)
		})
	}
	forbid("pods")
	forbid("roles")
	p, err := LoadLive(context.Background(), client, nil, LiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := problems(p)
	for _, want := range []string{"pods: cannot list (forbidden: grant list on it (deploy/rbac-readonly.yaml))", "roles: cannot list (forbidden"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if len(p.ClusterRoleBindings) != 1 {
		t.Fatal("the rest still loads")
	}
	for _, r := range []string{"clusterroles", "clusterrolebindings", "rolebindings"} {
		forbid(r)
	}
	if _, err := LoadLive(context.Background(), client, nil, LiveOptions{}); err == nil || !strings.Contains(err.Error(), "cannot list any RBAC object") {
		t.Fatalf("all RBAC forbidden: %v", err)
	}
}
