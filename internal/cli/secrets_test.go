package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/apiguard/apiguard/internal/inputs/live/secretmeta"
)

// secretValue is held by the fake cluster's Secrets (base64 in the
// SecretList, as the API carries it); it must reach no output.
const (
	secretValue    = "hunter2-TOP-SECRET"
	secretValueB64 = "aHVudGVyMi1UT1AtU0VDUkVU"
)

// fullSecretsAPI is a kube-apiserver (or a proxy in front of one) that
// ignores as=PartialObjectMetadataList and answers every Secret list with
// full v1 Secrets. Everything else is a small cluster: a ServiceAccount
// ci/deployer bound to cluster-admin, and a user bob who may read
// Secrets in ci.
type fullSecretsAPI struct {
	*httptest.Server
	mu      sync.Mutex
	secrets []*http.Request // every request for a secrets path
	other   []string        // every other request: method and path
}

func newFullSecretsAPI(t *testing.T) *fullSecretsAPI {
	t.Helper()
	list := func(kind, apiVersion, items string) string {
		return `{"kind":"` + kind + `","apiVersion":"` + apiVersion + `","metadata":{},"items":[` + items + `]}`
	}
	const rbacV1 = "rbac.authorization.k8s.io/v1"
	answers := map[string]string{
		"/version":                            `{"major":"1","minor":"36","gitVersion":"v1.36.3","goVersion":"go1.26.8","platform":"linux/amd64"}`,
		"/api/v1/nodes":                       list("NodeList", "v1", ""),
		"/api/v1/pods":                        list("PodList", "v1", ""),
		"/api/v1/namespaces/kube-system/pods": list("PodList", "v1", ""),
		"/api/v1/namespaces":                  list("NamespaceList", "v1", `{"metadata":{"name":"ci"}}`),
		"/api/v1/serviceaccounts":             list("ServiceAccountList", "v1", `{"metadata":{"name":"deployer","namespace":"ci"},"secrets":[{"name":"deployer-token"}]}`),
		"/apis/certificates.k8s.io/v1/certificatesigningrequests": list("CertificateSigningRequestList", "certificates.k8s.io/v1", ""),
		"/apis/rbac.authorization.k8s.io/v1/clusterroles": list("ClusterRoleList", rbacV1,
			`{"metadata":{"name":"cluster-admin"},"rules":[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]},{"verbs":["*"],"nonResourceURLs":["*"]}]},`+
				`{"metadata":{"name":"secret-reader"},"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["secrets"]}]}`),
		"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings": list("ClusterRoleBindingList", rbacV1,
			`{"metadata":{"name":"ci-admin"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"ServiceAccount","name":"deployer","namespace":"ci"}]}`),
		"/apis/rbac.authorization.k8s.io/v1/roles": list("RoleList", rbacV1, ""),
		"/apis/rbac.authorization.k8s.io/v1/rolebindings": list("RoleBindingList", rbacV1,
			`{"metadata":{"name":"bob-secrets","namespace":"ci"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"secret-reader"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"bob"}]}`),
	}
	fullSecrets := list("SecretList", "v1",
		`{"metadata":{"name":"deployer-token","namespace":"ci","annotations":{"kubernetes.io/service-account.name":"deployer"}},`+
			`"type":"kubernetes.io/service-account-token","data":{"token":"`+secretValueB64+`"}}`)
	f := &fullSecretsAPI{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		if strings.Contains(r.URL.Path, "/secrets") {
			f.secrets = append(f.secrets, r.Clone(r.Context()))
		} else {
			f.other = append(f.other, r.Method+" "+r.URL.Path)
		}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/secrets") {
			_, _ = w.Write([]byte(fullSecrets)) // whatever the Accept header asks
			return
		}
		body, ok := answers[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`))
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(f.Close)
	return f
}

// TestLiveCommandsRefuseFullSecrets runs every live command that reads
// Secrets (scan, snapshot, rbac admins, rbac paths) against a server that
// answers full Secrets to the metadata-only request: each refuses the
// answer, says the inventory is not assessed, and no Secret value reaches
// stdout, stderr or a saved file. Every Secret request is a list by type
// that asks for PartialObjectMetadataList only.
func TestLiveCommandsRefuseFullSecrets(t *testing.T) {
	api := newFullSecretsAPI(t)
	dir := t.TempDir()
	kubeconfig := kubeconfigFor(t, api.URL)
	noValue := func(what, out string) {
		t.Helper()
		if strings.Contains(out, secretValue) || strings.Contains(out, secretValueB64) {
			t.Fatalf("%s holds the Secret value:\n%s", what, out)
		}
	}

	// scan: the inventory checks are not assessable, the paths through the
	// token Secret are said to be unassessed, never a pass that hides them.
	stdout, stderr, code := runCLI("scan", "--kubeconfig", kubeconfig, "-o", "json", "--fail-on", "none")
	if code != ExitClean {
		t.Fatalf("scan: exit %d\n%s", code, stderr)
	}
	noValue("scan", stdout+stderr)
	var r struct {
		Findings []struct{ CheckID, Status, Resource, Message string }
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	got := map[string][]string{}
	for _, f := range r.Findings {
		got[f.CheckID] = append(got[f.CheckID], f.Status+" "+f.Resource+": "+f.Message)
	}
	for _, id := range []string{"AG-AUTHN-012", "AG-AUTHN-013"} {
		if len(got[id]) != 1 || !strings.HasPrefix(got[id][0], "not-assessable ") || !strings.Contains(got[id][0], "discarded") {
			t.Errorf("%s: %q, want not-assessable saying the answer was discarded", id, got[id])
		}
	}
	gap := false
	for _, f := range got["AG-ADMIN-006"] {
		gap = gap || strings.HasPrefix(f, "not-assessable paths through legacy ServiceAccount token Secrets: 1 subject(s) may read Secrets (User bob)") && strings.Contains(f, "discarded")
	}
	if !gap {
		t.Errorf("AG-ADMIN-006: %q, want the paths through token Secrets not assessed (User bob)", got["AG-ADMIN-006"])
	}

	// snapshot: nothing of the Secret in any saved file.
	snap := filepath.Join(dir, "snap")
	if _, stderr, code := runCLI("snapshot", "--kubeconfig", kubeconfig, "--out", snap); code != ExitClean {
		t.Fatalf("snapshot: exit %d\n%s", code, stderr)
	}
	err := filepath.Walk(snap, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		noValue(p, string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// rbac admins and paths: a problem, and the gap, on the output.
	stdout, stderr, code = runCLI("rbac", "admins", "--kubeconfig", kubeconfig)
	noValue("rbac admins", stdout+stderr)
	if code != ExitClean || !strings.Contains(stdout, "# not assessed: paths through legacy ServiceAccount token Secrets, which 1 subject(s) may read (User bob)") ||
		!strings.Contains(stderr, "discarded") {
		t.Errorf("rbac admins: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if strings.Contains(stdout, "User bob (") {
		t.Errorf("rbac admins: bob reaches cluster-admin through a Secret whose answer was refused:\n%s", stdout)
	}
	stdout, stderr, code = runCLI("rbac", "paths", "user:bob", "-o", "json", "--kubeconfig", kubeconfig)
	noValue("rbac paths", stdout+stderr)
	if code != ExitClean || strings.TrimSpace(stdout) == "" || !strings.Contains(stderr, "apiguard: note: not assessed: paths through legacy ServiceAccount token Secrets") {
		t.Errorf("rbac paths -o json: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	// The request shape, for all of the above.
	api.mu.Lock()
	defer api.mu.Unlock()
	if len(api.secrets) == 0 {
		t.Fatal("no Secret was listed: the refusal above is vacuous")
	}
	for _, r := range api.secrets {
		sel := r.URL.Query().Get("fieldSelector")
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/secrets") || !strings.HasPrefix(sel, "type=") || r.URL.Query().Get("limit") != "500" {
			t.Errorf("Secret request %s %s: want a list by type, paged", r.Method, r.URL)
		}
		if a := r.Header.Get("Accept"); a != secretmeta.Accept {
			t.Errorf("Secret request %s: Accept %q, want only %q", r.URL, a, secretmeta.Accept)
		}
	}
	for _, o := range api.other {
		if !strings.HasPrefix(o, "GET ") {
			t.Errorf("not read-only: %s", o)
		}
	}
}
