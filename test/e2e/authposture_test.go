package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/apiguard/apiguard/test/e2e/lab"
)

// TestAuthPosture creates, on a real hardened control plane, the
// credentials the authentication-posture checks look for (a legacy
// ServiceAccount token Secret that is then used, a bootstrap token Secret,
// an approved client-certificate CSR, a kubeconfig with a system:masters
// certificate), then proves that:
//   - a live scan by the read-only identity, with the Secret-inventory
//     opt-in, reports each of them;
//   - `kubeconfig audit` reports the system:masters certificate as critical;
//   - the audit log shows the scanner never got a Secret and listed Secrets
//     only with a field selector on their type (metadata only: the request
//     shape is pinned by the client, the selector and verb by this proof).
func TestAuthPosture(t *testing.T) {
	if apiguardBin.err != nil {
		t.Fatal(apiguardBin.err)
	}
	c := lab.Start(t, lab.Hardened)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	admin := c.AdminClient(t)

	// 1. A legacy ServiceAccount token Secret; the token controller fills
	// it, and using it once makes kube-apiserver label it last-used.
	const ns, saName, secretName = "default", "e2e-legacy", "e2e-legacy-token"
	if _, err := admin.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: saName}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: secretName, Annotations: map[string]string{corev1.ServiceAccountNameKey: saName}},
		Type:       corev1.SecretTypeServiceAccountToken,
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var token string
	poll(t, ctx, "the token controller fills "+secretName, func() bool {
		s, err := admin.CoreV1().Secrets(ns).Get(ctx, secretName, metav1.GetOptions{})
		if err == nil {
			token = string(s.Data[corev1.ServiceAccountTokenKey])
		}
		return token != ""
	})
	legacyUser := lab.Client(t, c.TokenKubeconfig(t, "e2e-legacy", token))
	_, _ = legacyUser.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{}) // authenticates; authorization does not matter
	today := time.Now().UTC().Format("2006-01-02")
	poll(t, ctx, "kube-apiserver labels "+secretName+" last-used", func() bool {
		s, err := admin.CoreV1().Secrets(ns).Get(ctx, secretName, metav1.GetOptions{})
		return err == nil && s.Labels["kubernetes.io/legacy-token-last-used"] != ""
	})

	// 2. A bootstrap token Secret, as `kubeadm token create` writes it.
	const bootstrapID = "e2eabc"
	if _, err := admin.CoreV1().Secrets(metav1.NamespaceSystem).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-" + bootstrapID},
		Type:       "bootstrap.kubernetes.io/token",
		StringData: map[string]string{
			"token-id": bootstrapID, "token-secret": "0123456789abcdef",
			"expiration":                     time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339),
			"usage-bootstrap-authentication": "true", "usage-bootstrap-signing": "true",
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// 3. An approved client-certificate CSR, signed by the controller
	// manager; and proof that the built-in CertificateSubjectRestriction
	// refuses a system:masters request for the same signer.
	const csrName = "e2e-alice"
	if _, err := admin.CertificatesV1().CertificateSigningRequests().Create(ctx, clientCSR(t, csrName, "e2e-alice", "e2e-devs"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CertificatesV1().CertificateSigningRequests().Create(ctx, clientCSR(t, "e2e-root", "e2e-root", "system:masters"), metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("a system:masters CSR for %s: want Forbidden from CertificateSubjectRestriction, got %v", certificatesv1.KubeAPIServerClientSignerName, err)
	}
	approve(t, ctx, admin, csrName)
	poll(t, ctx, "the signer issues "+csrName, func() bool {
		r, err := admin.CertificatesV1().CertificateSigningRequests().Get(ctx, csrName, metav1.GetOptions{})
		return err == nil && len(r.Status.Certificate) > 0
	})

	// 4. The live scan by the read-only identity with the Secret-inventory
	// opt-in (hardened/read-only proves the default role alone).
	const reader = "apiguard-authposture-reader"
	c.ApplyFile(t, rbacReadonlyPath)
	c.ApplyFile(t, rbacSecretInventoryPath)
	kc := c.UserKubeconfig(t, reader, "apiguard:readers")
	r := scanJSON(t, "scan", "--kubeconfig", kc)
	got := map[string]finding{}
	for _, f := range r.Findings {
		if strings.HasPrefix(f.CheckID, "AG-AUTHN-01") || strings.HasPrefix(f.CheckID, "AG-PATCH-") {
			got[f.CheckID] = f
		}
	}
	expect := func(id, status string, contains ...string) finding {
		t.Helper()
		f, ok := got[id]
		if !ok {
			t.Errorf("%s: no finding", id)
			return f
		}
		if f.Status != status {
			t.Errorf("%s: %s, want %s: %s", id, f.Status, status, f.Message)
		}
		for _, s := range contains {
			if !strings.Contains(f.Message, s) {
				t.Errorf("%s: message does not contain %q: %s", id, s, f.Message)
			}
		}
		return f
	}
	sa := expect("AG-AUTHN-012", fail, ns+"/"+secretName+" (last used "+today+")")
	if e, ok := evidenceOf(sa, ns+"/"+secretName); !ok || !strings.Contains(e.Value, "ServiceAccount "+saName) || !strings.Contains(e.Value, "created by hand") {
		t.Errorf("AG-AUTHN-012 evidence %+v", e)
	}
	bt := expect("AG-AUTHN-013", pass, bootstrapID, "within the last 24 hours")
	if e, ok := evidenceOf(bt, "kube-system/bootstrap-token-"+bootstrapID); !ok || !strings.Contains(e.Value, "expiry unknown without reading") {
		t.Errorf("AG-AUTHN-013 evidence %+v", e)
	}
	csr := expect("AG-AUTHN-014", warn, csrName+" (CN=e2e-alice O=e2e-devs, valid until")
	if e, ok := evidenceOf(csr, "csr/"+csrName); !ok || !strings.Contains(e.Value, "approved and issued") || !strings.Contains(e.Value, "requested by kubernetes-admin") {
		t.Errorf("AG-AUTHN-014 evidence %+v", e)
	}
	for _, id := range []string{"AG-PATCH-002", "AG-PATCH-003", "AG-PATCH-004"} {
		f := got[id]
		if e, ok := evidenceOf(f, "version"); !ok || !strings.HasPrefix(e.Value, lab.KubernetesVersion) {
			t.Errorf("%s: version evidence %+v, want %s", id, e, lab.KubernetesVersion)
		}
		if _, ok := evidenceOf(f, "versions data"); !ok {
			t.Errorf("%s: no versions data evidence (the data's age)", id)
		}
	}
	expect("AG-PATCH-002", pass, "Kubernetes 1.36")

	// No token or Secret content anywhere in the report.
	raw, _ := json.Marshal(r)
	if strings.Contains(string(raw), token) || strings.Contains(string(raw), "0123456789abcdef") {
		t.Error("the report holds Secret content")
	}

	// 5. The audit log: the reader never got a Secret, and listed Secrets
	// only with a field selector on type.
	var events []auditEvent
	poll(t, ctx, "the audit log records the scan's Secret lists", func() bool {
		events = readAudit(t, c.AuditLogPath, reader)
		n := 0
		for _, e := range events {
			if e.isSecretList() {
				n++
			}
		}
		return n >= 2
	})
	var lists []string
	for _, e := range events {
		if e.ObjectRef == nil || e.ObjectRef.Resource != "secrets" {
			continue
		}
		if e.Verb != "list" {
			t.Errorf("the scanner issued %s on secrets: %s", e.Verb, e.RequestURI)
			continue
		}
		u, err := url.Parse(e.RequestURI)
		if err != nil {
			t.Fatal(err)
		}
		sel := u.Query().Get("fieldSelector")
		if !strings.HasPrefix(sel, "type=") {
			t.Errorf("a Secret list without a field selector on type: %s", e.RequestURI)
		}
		lists = append(lists, e.RequestURI)
	}
	for _, want := range []string{"type=kubernetes.io/service-account-token", "type=bootstrap.kubernetes.io/token"} {
		if !slices.ContainsFunc(lists, func(uri string) bool { u, _ := url.Parse(uri); return u.Query().Get("fieldSelector") == want }) {
			t.Errorf("no Secret list with fieldSelector=%s; lists: %q", want, lists)
		}
	}
	violations, _ := auditViolations(events)
	for _, v := range violations {
		t.Errorf("%s: %s", reader, v)
	}
	t.Logf("Secret lists by %s: %q", reader, lists)

	// 6. kubeconfig audit of a kubeconfig holding a system:masters certificate.
	rootKC := c.UserKubeconfig(t, "e2e-super-admin", "system:masters")
	stdout, stderr, code := runAPIGuard(t, "kubeconfig", "audit", rootKC, "-o", "json")
	if code != 1 {
		t.Fatalf("kubeconfig audit: exit %d, want 1\n%s", code, stderr)
	}
	var kr report
	if err := json.Unmarshal(stdout, &kr); err != nil {
		t.Fatalf("kubeconfig audit output: %v\n%s", err, stdout)
	}
	var masters *finding
	for i, f := range kr.Findings {
		if f.CheckID == "AG-KCFG-003" {
			masters = &kr.Findings[i]
		}
	}
	if masters == nil || masters.Status != fail || masters.Severity != "critical" || !strings.Contains(masters.Message, "system:masters") {
		t.Fatalf("kubeconfig audit: want AG-KCFG-003 fail critical naming system:masters, got %+v", kr.Findings)
	}
	if strings.Contains(string(stdout), "PRIVATE KEY") {
		t.Fatal("kubeconfig audit printed a private key")
	}
	// The admin kubeconfig (kubeadm:cluster-admins) is not in system:masters.
	stdout, _, _ = runAPIGuard(t, "kubeconfig", "audit", c.AdminKubeconfig, "-o", "json", "--fail-on", "none")
	if strings.Contains(string(stdout), `"severity":"critical"`) && strings.Contains(string(stdout), "system:masters") {
		t.Errorf("admin.conf is reported in system:masters:\n%s", stdout)
	}
}

func poll(t *testing.T, ctx context.Context, what string, ok func() bool) {
	t.Helper()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting until %s", what)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func clientCSR(t *testing.T, name, cn string, orgs ...string) *certificatesv1.CertificateSigningRequest {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn, Organization: orgs}}, k)
	if err != nil {
		t.Fatal(err)
	}
	exp := int32(3600)
	return &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: certificatesv1.CertificateSigningRequestSpec{
			Request:           pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
			SignerName:        certificatesv1.KubeAPIServerClientSignerName,
			ExpirationSeconds: &exp,
			Usages:            []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth},
		},
	}
}

// approve approves a CSR through the approval subresource, as
// `kubectl certificate approve` does.
func approve(t *testing.T, ctx context.Context, cs kubernetes.Interface, name string) {
	t.Helper()
	r, err := cs.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r.Status.Conditions = append(r.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
		Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "E2E", Message: "approved by the apiguard e2e suite",
	})
	if _, err := cs.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, name, r, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}
