package live

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

	"github.com/apiguard/apiguard/internal/inputs/live/secretmeta"
)

// fakeAPI is a minimal kube-apiserver: it answers the lists the inventory
// makes, records every request, and serves Secrets only as
// PartialObjectMetadataList (or, with fullSecrets, wrongly as a SecretList).
type fakeAPI struct {
	mu          sync.Mutex
	requests    []string
	accepts     []string
	forbidden   map[string]bool // path prefix → 403
	fullSecrets bool
	csrs        []certificatesv1.CertificateSigningRequest
}

type secretMeta struct {
	ns, name, typ string
	labels        map[string]string
	annotations   map[string]string
	created       time.Time
}

var secrets = []secretMeta{
	{"default", "legacy-used", saTokenType, map[string]string{lastUsedLabel: "2026-11-20"}, map[string]string{saNameAnnotation: "ci", "kubectl.kubernetes.io/last-applied-configuration": `{"data":{"token":"c2VjcmV0"}}`}, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
	{"default", "legacy-auto", saTokenType, map[string]string{invalidSinceLabel: "2026-01-01"}, map[string]string{saNameAnnotation: "old"}, time.Date(2022, 1, 2, 3, 4, 5, 0, time.UTC)},
	{"kube-system", "bootstrap-token-abcdef", bootstrapType, nil, nil, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
	{"default", "ordinary", "Opaque", nil, nil, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
	f.accepts = append(f.accepts, r.Header.Get("Accept"))
	f.mu.Unlock()
	for p := range f.forbidden {
		if strings.HasPrefix(r.URL.Path, p) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			json.NewEncoder(w).Encode(metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: "Failure", Reason: metav1.StatusReasonForbidden, Code: 403,
				Message: `secrets is forbidden: User "x" cannot list resource "secrets"`})
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	path := strings.TrimPrefix(r.URL.Path, "/prefix")
	switch {
	case r.Method != http.MethodGet:
		http.Error(w, "read-only fake", http.StatusMethodNotAllowed)
	case path == "/api/v1/secrets" || path == "/api/v1/namespaces/kube-system/secrets":
		typ := strings.TrimPrefix(r.URL.Query().Get("fieldSelector"), "type=")
		ns := ""
		if strings.Contains(path, "kube-system") {
			ns = "kube-system"
		}
		if f.fullSecrets {
			json.NewEncoder(w).Encode(map[string]any{"kind": "SecretList", "apiVersion": "v1", "items": []any{map[string]any{"data": map[string]string{"token": "c2VjcmV0"}}}})
			return
		}
		if !strings.Contains(r.Header.Get("Accept"), "as=PartialObjectMetadataList") {
			http.Error(w, "not acceptable", http.StatusNotAcceptable)
			return
		}
		var items []metav1.PartialObjectMetadata
		for _, s := range secrets {
			if s.typ == typ && (ns == "" || s.ns == ns) {
				items = append(items, metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{Kind: "PartialObjectMetadata", APIVersion: "meta.k8s.io/v1"},
					ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: s.name, Labels: s.labels, Annotations: s.annotations, CreationTimestamp: metav1.NewTime(s.created)}})
			}
		}
		json.NewEncoder(w).Encode(metav1.PartialObjectMetadataList{TypeMeta: metav1.TypeMeta{Kind: "PartialObjectMetadataList", APIVersion: "meta.k8s.io/v1"}, Items: items})
	case path == "/api/v1/serviceaccounts":
		json.NewEncoder(w).Encode(corev1.ServiceAccountList{TypeMeta: metav1.TypeMeta{Kind: "ServiceAccountList", APIVersion: "v1"}, Items: []corev1.ServiceAccount{
			{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "old"}, Secrets: []corev1.ObjectReference{{Name: "legacy-auto"}}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "ci"}},
		}})
	case path == "/apis/certificates.k8s.io/v1/certificatesigningrequests":
		json.NewEncoder(w).Encode(certificatesv1.CertificateSigningRequestList{TypeMeta: metav1.TypeMeta{Kind: "CertificateSigningRequestList", APIVersion: "certificates.k8s.io/v1"}, Items: f.csrs})
	default:
		http.NotFound(w, r)
	}
}

func csrPEM(t *testing.T, cn string, orgs ...string) []byte {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn, Organization: orgs}}, k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

func certPEM(t *testing.T, notAfter time.Time) []byte {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "x"}, NotBefore: notAfter.Add(-time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func testCSRs(t *testing.T) []certificatesv1.CertificateSigningRequest {
	approved := certificatesv1.CertificateSigningRequestCondition{Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue}
	notAfter := time.Date(2027, 11, 27, 0, 0, 0, 0, time.UTC)
	return []certificatesv1.CertificateSigningRequest{
		{ObjectMeta: metav1.ObjectMeta{Name: "alice"}, Spec: certificatesv1.CertificateSigningRequestSpec{SignerName: clientSigner, Username: "admin", Request: csrPEM(t, "alice", "dev", "system:masters")},
			Status: certificatesv1.CertificateSigningRequestStatus{Conditions: []certificatesv1.CertificateSigningRequestCondition{approved}, Certificate: certPEM(t, notAfter)}},
		{ObjectMeta: metav1.ObjectMeta{Name: "broken"}, Spec: certificatesv1.CertificateSigningRequestSpec{SignerName: clientSigner, Request: []byte("not pem")}},
		{ObjectMeta: metav1.ObjectMeta{Name: "kubelet"}, Spec: certificatesv1.CertificateSigningRequestSpec{SignerName: "kubernetes.io/kube-apiserver-client-kubelet", Request: csrPEM(t, "system:node:n1", "system:nodes")}},
	}
}

func clientFor(t *testing.T, api *fakeAPI, prefix string) kubernetes.Interface {
	t.Helper()
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL + prefix})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestCredentials(t *testing.T) {
	api := &fakeAPI{csrs: testCSRs(t)}
	c := credentials(context.Background(), clientFor(t, api, "/prefix"))

	sa := c.ServiceAccountTokens
	if sa.Unavailable != "" || len(sa.Items) != 2 {
		t.Fatalf("SA tokens: %+v", sa)
	}
	auto, used := sa.Items[0], sa.Items[1]
	if auto.Name != "legacy-auto" || auto.InvalidSince != "2026-01-01" || auto.AutoGenerated == nil || !*auto.AutoGenerated {
		t.Errorf("auto-generated token: %+v", auto)
	}
	if used.Name != "legacy-used" || used.LastUsed != "2026-11-20" || used.ServiceAccount != "ci" || *used.AutoGenerated || !used.Created.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("manual token: %+v", used)
	}
	bt := c.BootstrapTokens
	if bt.Unavailable != "" || len(bt.Items) != 1 || bt.Items[0].TokenID != "abcdef" {
		t.Fatalf("bootstrap tokens: %+v", bt)
	}
	csr := c.ClientCSRs
	if csr.Unavailable != "" || len(csr.Items) != 2 {
		t.Fatalf("CSRs (the kubelet signer is not kube-apiserver-client): %+v", csr)
	}
	alice := csr.Items[0]
	if alice.CommonName != "alice" || strings.Join(alice.Organizations, ",") != "dev,system:masters" || !alice.Approved || !alice.Issued ||
		alice.NotAfter.Year() != 2027 || alice.Requestor != "admin" {
		t.Errorf("alice: %+v", alice)
	}
	if csr.Items[1].ParseError == "" {
		t.Errorf("broken request: %+v", csr.Items[1])
	}

	// Nothing secret was kept: the last-applied annotation is dropped.
	b, _ := json.Marshal(c)
	if strings.Contains(string(b), "c2VjcmV0") || strings.Contains(string(b), "last-applied") {
		t.Fatalf("inventory keeps secret material: %s", b)
	}

	// The request shape: Secrets listed with a type field selector, as
	// PartialObjectMetadataList only, never a get; nothing but GETs.
	for i, r := range api.requests {
		if !strings.HasPrefix(r, "GET /prefix/") {
			t.Errorf("request %q", r)
		}
		if strings.Contains(r, "/secrets") {
			u, _ := url.Parse(strings.TrimPrefix(r, "GET "))
			if !strings.HasPrefix(u.Query().Get("fieldSelector"), "type=") || !strings.HasSuffix(u.Path, "/secrets") {
				t.Errorf("secrets request without a type selector, or a get: %q", r)
			}
			if api.accepts[i] != secretmeta.Accept {
				t.Errorf("secrets request Accept %q, want only %q", api.accepts[i], secretmeta.Accept)
			}
		}
	}
}

func TestForbiddenAndRefusals(t *testing.T) {
	api := &fakeAPI{forbidden: map[string]bool{"/api/v1/secrets": true, "/apis/certificates.k8s.io": true}}
	c := credentials(context.Background(), clientFor(t, api, ""))
	// Secrets forbidden: the default role's case, which names the opt-in.
	if !strings.Contains(c.ServiceAccountTokens.Unavailable, "may not list Secrets") ||
		!strings.Contains(c.ServiceAccountTokens.Unavailable, "ClusterRole apiguard-secret-inventory (deploy/rbac-secret-inventory.yaml)") ||
		!strings.Contains(c.ClientCSRs.Unavailable, "forbidden") {
		t.Fatalf("forbidden: %+v %+v", c.ServiceAccountTokens, c.ClientCSRs)
	}
	if c.BootstrapTokens.Unavailable != "" {
		t.Fatalf("the kube-system list is separate: %+v", c.BootstrapTokens)
	}

	// A server that answers with full Secrets: the response is discarded.
	api = &fakeAPI{fullSecrets: true}
	c = credentials(context.Background(), clientFor(t, api, ""))
	if !strings.Contains(c.ServiceAccountTokens.Unavailable, "the server answered") || !strings.Contains(c.ServiceAccountTokens.Unavailable, "discarded") ||
		len(c.ServiceAccountTokens.Items) != 0 || len(c.BootstrapTokens.Items) != 0 {
		t.Fatalf("full secrets accepted: %+v", c.ServiceAccountTokens)
	}
	b, _ := json.Marshal(c)
	if strings.Contains(string(b), "c2VjcmV0") {
		t.Fatal("secret data kept")
	}

	// A clientset without a REST client (the fake): no metadata client, so
	// Secrets are not listed at all, with the reason; CSRs still are.
	fcs := fake.NewClientset()
	fc := credentials(context.Background(), fcs)
	if !strings.Contains(fc.ServiceAccountTokens.Unavailable, "no metadata-only Secret lister") || fc.ClientCSRs.Unavailable != "" {
		t.Fatalf("fake clientset: %+v", fc)
	}
	if len(fcs.Actions()) == 0 {
		t.Fatal("the CSR list went through the clientset")
	}
	for _, a := range fcs.Actions() {
		if a.GetResource().Resource == "secrets" {
			t.Fatal("typed Secret access")
		}
	}
}
