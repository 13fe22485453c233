package cli

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
)

// TestRBACCLI runs the rbac commands through the whole CLI and compares
// stdout, stderr and the exit code with testdata/rbac/<name>.golden.
// Refresh with -update.
func TestRBACCLI(t *testing.T) {
	const dump = "--from testdata/rbac/cluster.yaml"
	runGoldens(t, "rbac", []goldenCase{
		{"help", "rbac --help", 0},
		{"can-i-help", "rbac can-i --help", 0},
		{"can-i-rolebinding-namespace", "rbac can-i get pods -n dev --as alice " + dump, 0},
		{"can-i-rolebinding-other-namespace", "rbac can-i get pods -n prod --as alice " + dump, 1},
		{"can-i-rolebinding-cluster-wide", "rbac can-i list pods --as alice " + dump, 1},
		{"can-i-explain", "rbac can-i get pods/log -n dev --as alice -v " + dump, 0},
		{"can-i-explain-no", "rbac can-i delete pods -n dev --as alice --explain " + dump, 1},
		{"can-i-serviceaccount", "rbac can-i create deployments -n ci --as system:serviceaccount:ci:deployer " + dump, 0},
		{"can-i-serviceaccount-core-group", "rbac can-i create deployments. -n ci --as system:serviceaccount:ci:deployer " + dump, 2},
		{"can-i-serviceaccount-namespace-group", "rbac can-i list pods -n dev --as system:serviceaccount:dev:builder -v " + dump, 0},
		{"can-i-resourcenames-get", "rbac can-i get secrets ci-registry -n ci --as system:serviceaccount:ci:deployer " + dump, 0},
		{"can-i-resourcenames-list", "rbac can-i list secrets -n ci --as system:serviceaccount:ci:deployer " + dump, 1},
		{"can-i-group-subresource", "rbac can-i create pods/exec web -n prod --as carol --as-group ops -v " + dump, 0},
		{"can-i-subresource-flag", "rbac can-i create pods --subresource exec -n prod --as carol --as-group ops " + dump, 0},
		{"can-i-subresource-not-covered", "rbac can-i create pods/attach -n prod --as carol --as-group ops " + dump, 1},
		{"can-i-anonymous-url", "rbac can-i get /healthz/etcd --as system:anonymous -v " + dump, 0},
		{"can-i-authenticated-url", "rbac can-i get /healthz --as alice --no-builtin-roles " + dump, 1},
		{"can-i-authenticated-url-builtin", "rbac can-i get /healthz --as alice -v " + dump, 0},
		{"can-i-assumed-edit", "rbac can-i create deployments -n apps --as bob --as-group devs -v --from testdata/rbac/partial.yaml", 0},
		{"can-i-assumed-edit-alone", "rbac can-i create deployments -n apps --as bob --as-group devs --no-builtin-roles --from testdata/rbac/partial.yaml", 1},
		{"can-i-masters", "rbac can-i delete nodes --as mallory --as-group system:masters -v " + dump, 0},
		{"can-i-aggregated", "rbac can-i get /metrics --as system:serviceaccount:monitoring:prometheus " + dump, 0},
		{"can-i-cluster-scoped-namespace", "rbac can-i list nodes -n dev --as system:serviceaccount:monitoring:prometheus " + dump, 0},
		{"can-i-namespace-object", "rbac can-i get namespaces dev --as alice -v " + dump, 1},
		{"can-i-quiet", "rbac can-i get pods -n dev --as alice -q " + dump, 0},
		{"can-i-json-dump", "rbac can-i create pods/exec -n x --as carol --as-group ops -v --from testdata/rbac/cluster.json", 0},
		{"can-i-two-dumps", "rbac can-i get pods -n dev --as alice --from testdata/rbac/cluster.json --from testdata/rbac/bad.yaml", 1},
		{"can-i-bad-document", "rbac can-i get configmaps --as carol --from testdata/rbac/bad.yaml", 0},
		{"can-i-needs-as", "rbac can-i get pods " + dump, 2},
		{"can-i-bad-resource", "rbac can-i get pods/ --as a " + dump, 2},
		{"can-i-url-with-name", "rbac can-i get /healthz x --as a " + dump, 2},
		{"can-i-one-arg", "rbac can-i get --as a " + dump, 2},
		{"can-i-missing-file", "rbac can-i get pods --as a --from testdata/rbac/does-not-exist.yaml", 2},
		{"can-i-no-rbac", "rbac can-i get pods --as a --from testdata/no-apiserver.yaml", 2},
		{"can-i-no-kubeconfig", "rbac can-i get pods --as a --kubeconfig testdata/does-not-exist.kubeconfig", 2},
		{"who-can-namespace", "rbac who-can get pods -n dev " + dump, 0},
		{"who-can-json", "rbac who-can create pods/exec -n dev -o json " + dump, 0},
		{"who-can-cluster-wide", "rbac who-can list pods " + dump, 0},
		{"who-can-url", "rbac who-can get /healthz " + dump, 0},
		{"who-can-secret-by-name", "rbac who-can get secrets ci-registry -n ci -o json " + dump, 0},
		{"who-can-rejects-as", "rbac who-can get pods --as alice " + dump, 2},
		{"who-can-bad-output", "rbac who-can get pods -o yaml " + dump, 2},
		{"policy-serviceaccount", "rbac policy sa:ci/deployer " + dump, 0},
		{"policy-serviceaccount-username", "rbac policy system:serviceaccount:monitoring:prometheus -o json " + dump, 0},
		{"policy-user", "rbac policy user:alice " + dump, 0},
		{"policy-user-groups-namespace", "rbac policy user:carol --as-group ops -n prod " + dump, 0},
		{"policy-group", "rbac policy group:system:unauthenticated -o json " + dump, 0},
		{"policy-nothing", "rbac policy user:nobody --from testdata/rbac/cluster.json", 0},
		{"policy-bad-subject", "rbac policy alice " + dump, 2},
	})
}

// TestRBACNeverImpersonates: --as and --as-group are the question, and
// are cleared before any client is built from the kube flags.
func TestRBACNeverImpersonates(t *testing.T) {
	a := &env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	cmd := a.rbacCanICmd()
	if err := cmd.ParseFlags([]string{"--as", "alice", "--as-group", "dev", "--as-group", "ops", "-n", "team", "--kubeconfig", "testdata/rbac/kubeconfig"}); err != nil {
		t.Fatal(err)
	}
	q := a.takeQuestionFlags()
	if q.user != "alice" || strings.Join(q.groups, ",") != "dev,ops" || q.namespace != "team" {
		t.Fatalf("question %+v", q)
	}
	cfg, err := a.kube.ToRESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Impersonate.UserName != "" || len(cfg.Impersonate.Groups) != 0 {
		t.Fatalf("the reader impersonates: %+v", cfg.Impersonate)
	}
	if cfg.Host != "https://127.0.0.1:6443" {
		t.Fatalf("host %q", cfg.Host)
	}
}

// TestRBACLiveReadOnly runs can-i against a fake API server: every request
// is a list (paginated), none impersonates although --as and --as-group
// are given, and Secrets are only listed as PartialObjectMetadata by type.
func TestRBACLiveReadOnly(t *testing.T) {
	var (
		mu       sync.Mutex
		requests []string
	)
	lists := map[string]string{
		"/apis/rbac.authorization.k8s.io/v1/clusterroles": `{"kind":"ClusterRoleList","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{},"items":[
			{"metadata":{"name":"reader"},"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]}]}`,
		"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings": `{"kind":"ClusterRoleBindingList","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{},"items":[
			{"metadata":{"name":"reader"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"reader"},"subjects":[{"kind":"Group","name":"dev"}]}]}`,
		"/apis/rbac.authorization.k8s.io/v1/roles":        `{"kind":"RoleList","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{},"items":[]}`,
		"/apis/rbac.authorization.k8s.io/v1/rolebindings": `{"kind":"RoleBindingList","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{},"items":[]}`,
		"/api/v1/serviceaccounts":                         `{"kind":"ServiceAccountList","apiVersion":"v1","metadata":{},"items":[]}`,
		"/api/v1/namespaces":                              `{"kind":"NamespaceList","apiVersion":"v1","metadata":{},"items":[]}`,
		"/api/v1/pods":                                    `{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[]}`,
		"/api/v1/nodes":                                   `{"kind":"NodeList","apiVersion":"v1","metadata":{},"items":[]}`,
		"/api/v1/secrets": `{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":{},"items":[
			{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"t","namespace":"a","annotations":{"kubernetes.io/service-account.name":"s"}}}]}`,
		"/api/v1/namespaces/kube-system/secrets": `{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":{},"items":[]}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		line := r.Method + " " + r.URL.Path + "?" + r.URL.RawQuery
		if h := r.Header.Get("Impersonate-User") + r.Header.Get("Impersonate-Group"); h != "" {
			line += " IMPERSONATES " + h
		}
		if strings.HasSuffix(r.URL.Path, "/secrets") && !strings.Contains(r.Header.Get("Accept"), "as=PartialObjectMetadataList") {
			line += " NOT-METADATA-ONLY"
		}
		requests = append(requests, line)
		mu.Unlock()
		body, ok := lists[r.URL.Path]
		if !ok || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	kubeconfig := kubeconfigFor(t, srv.URL)
	stdout, stderr, code := runCLI("rbac", "can-i", "get", "pods", "-n", "x", "--as", "alice", "--as-group", "dev", "--kubeconfig", kubeconfig)
	if code != 0 || stdout != "yes\n" || stderr != "" {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	sort.Strings(requests)
	want := []string{
		"GET /api/v1/namespaces/kube-system/secrets?fieldSelector=type%3Dbootstrap.kubernetes.io%2Ftoken&limit=500",
		"GET /api/v1/namespaces?limit=500",
		"GET /api/v1/nodes?limit=500",
		"GET /api/v1/pods?limit=500",
		"GET /api/v1/secrets?fieldSelector=type%3Dkubernetes.io%2Fservice-account-token&limit=500",
		"GET /api/v1/serviceaccounts?limit=500",
		"GET /apis/rbac.authorization.k8s.io/v1/clusterrolebindings?limit=500",
		"GET /apis/rbac.authorization.k8s.io/v1/clusterroles?limit=500",
		"GET /apis/rbac.authorization.k8s.io/v1/rolebindings?limit=500",
		"GET /apis/rbac.authorization.k8s.io/v1/roles?limit=500",
	}
	if strings.Join(requests, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(requests, "\n"), strings.Join(want, "\n"))
	}
}
