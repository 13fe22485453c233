package rbac

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"

	"github.com/apiguard/apiguard/internal/inputs/live/secretmeta"
)

// secretAPI is a fake API server for the Secret lister: it answers
// Secret lists with answer and records each request's path and selector.
type secretAPI struct {
	mu       sync.Mutex
	requests []string
	answer   func(w http.ResponseWriter, r *http.Request)
}

func (a *secretAPI) lister(t *testing.T) *secretmeta.Lister {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.requests = append(a.requests, r.Method+" "+r.URL.Path+" "+r.URL.Query().Get("fieldSelector"))
		a.mu.Unlock()
		a.answer(w, r)
	}))
	t.Cleanup(srv.Close)
	l, err := secretmeta.New(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// metadataAnswer serves robot-token (a legacy token of ci/robot) to the
// service-account-token list, nothing to the bootstrap list.
func metadataAnswer(w http.ResponseWriter, r *http.Request) {
	l := metav1.PartialObjectMetadataList{TypeMeta: metav1.TypeMeta{Kind: "PartialObjectMetadataList", APIVersion: "meta.k8s.io/v1"}}
	if r.URL.Query().Get("fieldSelector") == "type="+SecretTypeServiceAccountToken {
		l.Items = append(l.Items, metav1.PartialObjectMetadata{
			TypeMeta:   metav1.TypeMeta{Kind: "PartialObjectMetadata", APIVersion: "meta.k8s.io/v1"},
			ObjectMeta: metav1.ObjectMeta{Namespace: "ci", Name: "robot-token", Annotations: map[string]string{ServiceAccountNameAnnotation: "robot"}},
		})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(l)
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
	api := &secretAPI{answer: metadataAnswer}
	p, err := LoadLive(context.Background(), client, api.lister(t), LiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Problems) != 0 || p.SecretsUnavailable != "" {
		t.Fatalf("problems: %s; secrets unavailable: %q", problems(p), p.SecretsUnavailable)
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
	// Secrets are listed through the lister only, by type.
	want := "GET /api/v1/secrets type=kubernetes.io/service-account-token,GET /api/v1/namespaces/kube-system/secrets type=bootstrap.kubernetes.io/token"
	if got := strings.Join(api.requests, ","); got != want {
		t.Errorf("secret lists: %q, want %q", got, want)
	}
}

// Without the opt-in Secret-inventory role the lists are forbidden: the
// model is whole but for the token Secrets, says why, and records no
// Problem for the expected refusal. A server that answers full Secrets is
// refused: a Problem, and no value in the model.
func TestLoadLiveWithoutSecrets(t *testing.T) {
	objs := func() *fake.Clientset {
		return fake.NewClientset(
			clusterRole("secret-reader", rule(l("get"), l(""), l("secrets"))),
			rb("ci", "reads", "ClusterRole", "secret-reader", user("mallory")),
			&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ci", Name: "robot"}},
		)
	}
	forbidden := &secretAPI{answer: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		json.NewEncoder(w).Encode(metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusFailure,
			Reason: metav1.StatusReasonForbidden, Code: http.StatusForbidden, Message: `secrets is forbidden: User "r" cannot list resource "secrets"`})
	}}
	p, err := LoadLive(context.Background(), objs(), forbidden.lister(t), LiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Problems) != 0 {
		t.Errorf("the expected refusal is a problem: %s", problems(p))
	}
	if !strings.Contains(p.SecretsUnavailable, "apiguard-secret-inventory (deploy/rbac-secret-inventory.yaml)") || len(p.Secrets) != 0 {
		t.Errorf("SecretsUnavailable %q, secrets %+v", p.SecretsUnavailable, p.Secrets)
	}
	if len(p.ClusterRoles) != 1 || len(p.RoleBindings) != 1 || len(p.ServiceAccounts) != 1 {
		t.Errorf("the rest of the model: %d %d %d", len(p.ClusterRoles), len(p.RoleBindings), len(p.ServiceAccounts))
	}

	const value = "c2VjcmV0LXRva2Vu"
	full := &secretAPI{answer: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"kind":"SecretList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"robot-token","namespace":"ci",`+
			`"annotations":{"kubernetes.io/service-account.name":"robot"}},"type":"kubernetes.io/service-account-token","data":{"token":"`+value+`"}}]}`)
	}}
	p, err = LoadLive(context.Background(), objs(), full.lister(t), LiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Secrets) != 0 || !strings.Contains(p.SecretsUnavailable, "discarded") || !strings.Contains(problems(p), "discarded") {
		t.Errorf("full Secrets: secrets %+v, unavailable %q, problems %s", p.Secrets, p.SecretsUnavailable, problems(p))
	}
	model, err := json.Marshal(p.Secrets)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(model)+problems(p)+p.SecretsUnavailable, value) {
		t.Fatal("the Secret value reached the model")
	}

	// No lister at all: said, never listed another way.
	p, err = LoadLive(context.Background(), objs(), nil, LiveOptions{})
	if err != nil || !strings.Contains(p.SecretsUnavailable, "no metadata-only Secret lister") {
		t.Fatalf("nil lister: %v %q", err, p.SecretsUnavailable)
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
