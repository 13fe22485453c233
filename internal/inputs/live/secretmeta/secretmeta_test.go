package secretmeta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
)

// value is the Secret value the fake servers hold; it must never reach
// anything the lister returns.
const value = "hunter2-TOP-SECRET"

var valueB64 = "aHVudGVyMi1UT1AtU0VDUkVU" // base64(value), as a SecretList carries it

// fakeServer records every request and answers with handler.
type fakeServer struct {
	mu       sync.Mutex
	requests []*http.Request
	handler  func(w http.ResponseWriter, r *http.Request)
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Clone(context.Background()))
	f.mu.Unlock()
	f.handler(w, r)
}

func start(t *testing.T, h func(w http.ResponseWriter, r *http.Request)) (*fakeServer, *httptest.Server) {
	t.Helper()
	f := &fakeServer{handler: h}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func lister(t *testing.T, host string) *Lister {
	t.Helper()
	l, err := New(&rest.Config{Host: host})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// fullSecretList is what a server that ignores as=PartialObjectMetadataList
// sends: a v1 SecretList with the values.
func fullSecretList(t *testing.T) []byte {
	t.Helper()
	b, err := json.Marshal(corev1.SecretList{
		TypeMeta: metav1.TypeMeta{Kind: "SecretList", APIVersion: "v1"},
		Items: []corev1.Secret{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ci", Name: "robot-token",
				Annotations: map[string]string{corev1.ServiceAccountNameKey: "robot"}},
			Type: corev1.SecretTypeServiceAccountToken,
			Data: map[string][]byte{"token": []byte(value)},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), valueB64) {
		t.Fatalf("the fixture does not hold the value: %s", b)
	}
	return b
}

// noValue fails when the Secret value shows in what the lister returned.
func noValue(t *testing.T, items []Secret, err error) {
	t.Helper()
	all := fmt.Sprintf("%#v %v", items, err)
	for _, v := range []string{value, valueB64} {
		if strings.Contains(all, v) {
			t.Fatalf("the Secret value reached the result: %s", all)
		}
	}
}

// onlyMetadataLists checks every request the lister made: GET of a
// secrets collection, by type, paged, asking for PartialObjectMetadataList
// only.
func onlyMetadataLists(t *testing.T, f *fakeServer, typ string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		t.Fatal("no request was made")
	}
	for _, r := range f.requests {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/secrets") {
			t.Errorf("request %s %s: want only GET of a secrets collection", r.Method, r.URL.Path)
		}
		if got := r.Header.Get("Accept"); got != Accept {
			t.Errorf("Accept %q, want only %q (no JSON fallback)", got, Accept)
		}
		q := r.URL.Query()
		if q.Get("fieldSelector") != "type="+typ || q.Get("limit") != "500" {
			t.Errorf("query %q: want fieldSelector=type=%s and limit=500", r.URL.RawQuery, typ)
		}
	}
}

func partial(ns, name string, created time.Time, labels, annotations map[string]string) metav1.PartialObjectMetadata {
	return metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{Kind: "PartialObjectMetadata", APIVersion: "meta.k8s.io/v1"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels, Annotations: annotations, CreationTimestamp: metav1.NewTime(created)},
	}
}

func TestListMetadata(t *testing.T) {
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	pages := map[string]metav1.PartialObjectMetadataList{
		"": {ListMeta: metav1.ListMeta{Continue: "page2"}, Items: []metav1.PartialObjectMetadata{
			partial("ci", "robot-token", created, map[string]string{"kubernetes.io/legacy-token-last-used": "2026-11-20"}, map[string]string{
				corev1.ServiceAccountNameKey: "robot",
				// kubectl apply keeps the whole object, data included, here.
				"kubectl.kubernetes.io/last-applied-configuration": `{"data":{"token":"` + valueB64 + `"}}`,
			}),
		}},
		"page2": {Items: []metav1.PartialObjectMetadata{partial("kube-system", "other-token", created, nil, nil)}},
	}
	f, srv := start(t, func(w http.ResponseWriter, r *http.Request) {
		l := pages[r.URL.Query().Get("continue")]
		l.TypeMeta = metav1.TypeMeta{Kind: "PartialObjectMetadataList", APIVersion: "meta.k8s.io/v1"}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(l)
	})
	var progress []int
	items, err := lister(t, srv.URL+"/prefix").List(context.Background(), "", TypeServiceAccountToken, func(n int) { progress = append(progress, n) })
	if err != nil {
		t.Fatal(err)
	}
	want := []Secret{
		{Namespace: "ci", Name: "robot-token", Type: TypeServiceAccountToken, Created: created,
			Labels: map[string]string{"kubernetes.io/legacy-token-last-used": "2026-11-20"}, ServiceAccountName: "robot"},
		{Namespace: "kube-system", Name: "other-token", Type: TypeServiceAccountToken, Created: created},
	}
	if !reflect.DeepEqual(items, want) {
		t.Fatalf("items:\n got %#v\nwant %#v", items, want)
	}
	if !reflect.DeepEqual(progress, []int{1, 2}) {
		t.Errorf("progress %v, want [1 2]", progress)
	}
	noValue(t, items, err)
	onlyMetadataLists(t, f, TypeServiceAccountToken)
	if len(f.requests) != 2 || f.requests[0].URL.Path != "/prefix/api/v1/secrets" || f.requests[1].URL.Query().Get("continue") != "page2" {
		t.Errorf("requests: %s, %s", f.requests[0].URL, f.requests[len(f.requests)-1].URL)
	}

	// A namespace and a type: the namespaced collection.
	f.requests = nil
	if _, err := lister(t, srv.URL).List(context.Background(), "kube-system", TypeBootstrapToken, nil); err != nil {
		t.Fatal(err)
	}
	if p := f.requests[0].URL.Path; p != "/api/v1/namespaces/kube-system/secrets" {
		t.Errorf("path %s", p)
	}
	onlyMetadataLists(t, f, TypeBootstrapToken)

	if _, err := lister(t, srv.URL).List(context.Background(), "", "", nil); err == nil {
		t.Error("a list without a type selector was made")
	}
}

// A server (or proxy) that ignores as=PartialObjectMetadataList and
// answers full Secrets: the lister refuses, and no value reaches it.
func TestRefusesFullSecrets(t *testing.T) {
	full := fullSecretList(t)
	metaWithData := `{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":{},"items":[` +
		`{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"x","namespace":"ci"},"data":{"token":"` + valueB64 + `"}}]}`
	secretItems := `{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":{},"items":[` +
		`{"kind":"Secret","apiVersion":"v1","metadata":{"name":"x","namespace":"ci"},"type":"Opaque"}]}`
	itemsFirst := `{"items":[{"metadata":{"name":"x"},"data":{"token":"` + valueB64 + `"}}],"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1"}`
	for _, tc := range []struct {
		name, contentType, body, want string
	}{
		{"SecretList as application/json", "application/json", string(full), `kind "SecretList"`},
		{"SecretList without Content-Type", "", string(full), `kind "SecretList"`},
		{"items before kind", "application/json", itemsFirst, `field "items" came first`},
		{"metadata list whose item has data", "application/json", metaWithData, "carries Secret data"},
		{"metadata list of Secrets", "application/json", secretItems, `kind "Secret"`},
		{"protobuf", "application/vnd.kubernetes.protobuf", string(full), "not application/json"},
		{"a Table", "application/json;as=Table;g=meta.k8s.io;v=v1", string(full), "as=Table"},
		{"wrong apiVersion", "application/json", `{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1beta1","items":[]}`, "meta.k8s.io/v1beta1"},
		{"not JSON", "application/json", value, "not a JSON object"},
		{"no kind", "application/json", `{}`, "no kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := start(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.contentType != "" {
					w.Header().Set("Content-Type", tc.contentType)
				} else {
					w.Header()["Content-Type"] = nil
				}
				io.WriteString(w, tc.body)
			})
			items, err := lister(t, srv.URL).List(context.Background(), "", TypeServiceAccountToken, nil)
			var ref *RefusedError
			if !errors.As(err, &ref) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "discarded") {
				t.Fatalf("err %v, want a refusal saying %q", err, tc.want)
			}
			if items != nil {
				t.Fatalf("items returned with the refusal: %#v", items)
			}
			noValue(t, items, err)
			if r := Reason(err); strings.Contains(r, value) || strings.Contains(r, valueB64) {
				t.Fatalf("reason holds the value: %s", r)
			}
			onlyMetadataLists(t, f, TypeServiceAccountToken)
		})
	}
}

// The refusal comes before the items: of an endless SecretList only the
// first buffer is read.
func TestRefusesBeforeItems(t *testing.T) {
	r := &meteredReader{r: io.MultiReader(strings.NewReader(`{"kind":"SecretList","apiVersion":"v1","items":[`), endless{})}
	_, _, err := decode(r, TypeServiceAccountToken)
	if err == nil || !strings.Contains(err.Error(), `kind "SecretList"`) {
		t.Fatalf("err %v", err)
	}
	if r.n > 64<<10 {
		t.Fatalf("read %d bytes before refusing", r.n)
	}
	// The same holds for apiVersion first.
	r = &meteredReader{r: io.MultiReader(strings.NewReader(`{"apiVersion":"v1","kind":"SecretList","items":[`), endless{})}
	if _, _, err := decode(r, TypeServiceAccountToken); err == nil || r.n > 64<<10 {
		t.Fatalf("apiVersion v1: err %v after %d bytes", err, r.n)
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	s := `{"metadata":{"name":"x"},"data":{"token":"` + valueB64 + `"}},`
	n := 0
	for n < len(p) {
		n += copy(p[n:], s)
	}
	return n, nil
}

type meteredReader struct {
	r io.Reader
	n int
}

func (m *meteredReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.n += n
	return n, err
}

func TestErrorAnswers(t *testing.T) {
	for _, tc := range []struct {
		name        string
		code        int
		contentType string
		body        string
		is          func(error) bool
		reason      string
	}{
		{"forbidden Status", 403, "application/json",
			`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,"message":"secrets is forbidden: User \"r\" cannot list resource \"secrets\""}`,
			apierrors.IsForbidden, "bind the opt-in ClusterRole apiguard-secret-inventory (deploy/rbac-secret-inventory.yaml)"},
		{"forbidden, not a Status", 403, "text/plain", value, apierrors.IsForbidden, "apiguard-secret-inventory"},
		{"unauthorized", 401, "application/json", `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}`, apierrors.IsUnauthorized, "unauthorized"},
		{"not acceptable", 406, "application/json", `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotAcceptable","code":406}`, apierrors.IsNotAcceptable, "metadata only"},
		{"server error with the values", 500, "text/plain", string(fullSecretList(t)), func(err error) bool { return apierrors.ReasonForError(err) == metav1.StatusReasonUnknown }, "HTTP 500 (the body, not a Status, was discarded)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, srv := start(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				w.WriteHeader(tc.code)
				io.WriteString(w, tc.body)
			})
			items, err := lister(t, srv.URL).List(context.Background(), "", TypeServiceAccountToken, nil)
			if err == nil || !tc.is(err) {
				t.Fatalf("err %v (%T)", err, err)
			}
			if r := Reason(err); !strings.Contains(r, tc.reason) {
				t.Errorf("reason %q, want it to contain %q", r, tc.reason)
			}
			noValue(t, items, err)
			if r := Reason(err); strings.Contains(r, value) || strings.Contains(r, valueB64) {
				t.Fatalf("reason holds the value: %s", r)
			}
		})
	}
}

func TestForClientset(t *testing.T) {
	f, srv := start(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":{},"items":[`+
			`{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"bootstrap-token-abcdef","namespace":"kube-system"}}]}`)
	})
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL + "/k8s/clusters/c-1", UserAgent: "apiguard-test"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := ForClientset(cs)
	if err != nil {
		t.Fatal(err)
	}
	items, err := l.List(context.Background(), "kube-system", TypeBootstrapToken, nil)
	if err != nil || len(items) != 1 || items[0].Name != "bootstrap-token-abcdef" || items[0].Type != TypeBootstrapToken {
		t.Fatalf("items %+v, err %v", items, err)
	}
	r := f.requests[0]
	if r.URL.Path != "/k8s/clusters/c-1/api/v1/namespaces/kube-system/secrets" || r.Header.Get("User-Agent") != "apiguard-test" {
		t.Errorf("request %s, User-Agent %q: want the clientset's prefix and HTTP client", r.URL, r.Header.Get("User-Agent"))
	}
	onlyMetadataLists(t, f, TypeBootstrapToken)

	// A fake clientset has no HTTP client: no lister, so no Secret list.
	if _, err := ForClientset(fake.NewClientset()); err == nil {
		t.Fatal("a lister on a fake clientset")
	}
}

func TestPageURLEscapes(t *testing.T) {
	l := &Lister{base: &url.URL{Scheme: "https", Host: "h:6443", Path: "/p"}}
	got := l.pageURL("a/b", TypeServiceAccountToken, "c&d")
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if u.EscapedPath() != "/p/api/v1/namespaces/a%2Fb/secrets" || u.Query().Get("continue") != "c&d" || u.Query().Get("fieldSelector") != "type=kubernetes.io/service-account-token" {
		t.Fatalf("url %s", got)
	}
}
