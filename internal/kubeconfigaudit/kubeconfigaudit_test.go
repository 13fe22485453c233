package kubeconfigaudit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/apiguard/apiguard/internal/check"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func jwt(claims map[string]any) string {
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	return enc(map[string]string{"alg": "RS256"}) + "." + enc(claims) + ".c2ln"
}

func cert(t *testing.T, pub, signer any, cn string, orgs []string, nb, na time.Time) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cn, Organization: orgs}, NotBefore: nb, NotAfter: na}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func one(t *testing.T, u *clientcmdapi.AuthInfo) check.Finding {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.AuthInfos["u"] = u
	fs := Audit(cfg, "kc.yaml", now)
	if len(fs) != 1 {
		t.Fatalf("want 1 finding, got %+v", fs)
	}
	return fs[0]
}

func TestTokens(t *testing.T) {
	legacy := jwt(map[string]any{"iss": "kubernetes/serviceaccount", "kubernetes.io/serviceaccount/namespace": "ci", "kubernetes.io/serviceaccount/service-account.name": "bot", "sub": "system:serviceaccount:ci:bot"})
	bound := jwt(map[string]any{"iss": "https://kubernetes.default.svc", "sub": "system:serviceaccount:ci:bot", "exp": now.Add(time.Hour).Unix()})
	expired := jwt(map[string]any{"iss": "https://idp.example.com", "sub": "alice", "exp": now.Add(-time.Hour).Unix()})
	noexp := jwt(map[string]any{"iss": "https://idp.example.com", "sub": "alice"})
	for _, c := range []struct {
		tok  string
		st   check.Status
		sev  check.Severity
		want string
	}{
		{legacy, check.Fail, check.High, "legacy ServiceAccount token for ci/bot"},
		{bound, check.Warn, check.Medium, "ServiceAccount token for ci:bot, expires 2026-11-27 13:00 UTC"},
		{expired, check.Warn, check.Low, "JWT from issuer https://idp.example.com for subject alice, expired"},
		{noexp, check.Fail, check.High, "no expiry"},
		{"abcdef.0123456789abcdef", check.Fail, check.High, "bootstrap token abcdef"},
		{"s3cr3t-static-token-value", check.Fail, check.High, "opaque static token"},
		{"a.b.c", check.Fail, check.High, "opaque static token"},
	} {
		f := one(t, &clientcmdapi.AuthInfo{Token: c.tok})
		if f.CheckID != "AG-KCFG-001" || f.Status != c.st || f.Severity != c.sev || !strings.Contains(f.Message, c.want) {
			t.Errorf("%.20s…: %s %s %s", c.tok, f.Status, f.Severity, f.Message)
		}
		b, _ := json.Marshal(f)
		if strings.Contains(string(b), c.tok) || (len(c.tok) > 20 && strings.Contains(string(b), c.tok[len(c.tok)-12:])) {
			t.Errorf("the token leaks: %s", b)
		}
		if !strings.Contains(string(b), Fingerprint(c.tok)) {
			t.Errorf("no fingerprint: %s", b)
		}
	}
	if fp := Fingerprint("x"); len(fp) != len("sha256:")+8 {
		t.Fatalf("fingerprint %q", fp)
	}
}

func TestBasicAuthAndProviders(t *testing.T) {
	f := one(t, &clientcmdapi.AuthInfo{Username: "admin", Password: "pa55word"})
	b, _ := json.Marshal(f)
	if f.CheckID != "AG-KCFG-002" || f.Status != check.Fail || strings.Contains(string(b), "pa55word") || !strings.Contains(string(b), "username admin") {
		t.Fatalf("basic auth: %s", b)
	}
	f = one(t, &clientcmdapi.AuthInfo{AuthProvider: &clientcmdapi.AuthProviderConfig{Name: "azure", Config: map[string]string{"access-token": "zzz"}}})
	if f.CheckID != "AG-KCFG-006" || f.Status != check.Fail || !strings.Contains(f.Message, "removed from kubectl 1.26") {
		t.Fatalf("azure: %+v", f)
	}
	f = one(t, &clientcmdapi.AuthInfo{AuthProvider: &clientcmdapi.AuthProviderConfig{Name: "oidc", Config: map[string]string{"id-token": "zzz-secret", "refresh-token": "rrr-secret"}}})
	b, _ = json.Marshal(f)
	if f.Status != check.Warn || strings.Contains(string(b), "zzz-secret") || strings.Contains(string(b), "rrr-secret") || !strings.Contains(f.Message, "id-token, refresh-token") {
		t.Fatalf("oidc: %s", b)
	}
	f = one(t, &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{APIVersion: "client.authentication.k8s.io/v1", Command: "/usr/bin/kubelogin", Env: []clientcmdapi.ExecEnvVar{{Name: "SECRET", Value: "env-secret"}}}})
	b, _ = json.Marshal(f)
	if f.CheckID != "AG-KCFG-007" || f.Status != check.Pass || strings.Contains(string(b), "env-secret") || !strings.Contains(f.Message, "kubelogin") {
		t.Fatalf("exec: %s", b)
	}
}

func TestClientCertificates(t *testing.T) {
	rsa2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	year := now.AddDate(1, 0, 0)
	for _, c := range []struct {
		name string
		pem  []byte
		st   check.Status
		sev  check.Severity
		want string
	}{
		{"masters", cert(t, &rsa2048.PublicKey, rsa2048, "kubernetes-super-admin", []string{"system:masters"}, now.AddDate(0, 0, -1), now.AddDate(0, 11, 0)), check.Fail, check.Critical, "system:masters"},
		{"weak key", cert(t, &rsa1024.PublicKey, rsa1024, "ops", nil, now.AddDate(0, 0, -1), now.AddDate(0, 1, 0)), check.Fail, check.High, "weak (RSA 1024)"},
		{"ten years", cert(t, &ec.PublicKey, ec, "ops", []string{"ops"}, now.AddDate(0, 0, -1), now.AddDate(10, 0, 0)), check.Warn, check.Medium, "cannot be revoked before then"},
		{"expired", cert(t, &ec.PublicKey, ec, "ops", nil, now.AddDate(-1, 0, 0), now.AddDate(0, 0, -1)), check.Warn, check.Low, "expired on"},
		{"fine", cert(t, &ec.PublicKey, ec, "kubernetes-admin", []string{"kubeadm:cluster-admins"}, now.AddDate(0, 0, -1), year.AddDate(0, 0, -2)), check.Pass, check.Critical, "ECDSA P-256"},
		{"masters and long", cert(t, &rsa2048.PublicKey, rsa2048, "root", []string{"system:masters"}, now, now.AddDate(5, 0, 0)), check.Fail, check.Critical, "system:masters"},
		{"not a certificate", []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), check.NotAssessable, check.Critical, "not a PEM CERTIFICATE"},
	} {
		f := one(t, &clientcmdapi.AuthInfo{ClientCertificateData: c.pem})
		if f.CheckID != "AG-KCFG-003" || f.Status != c.st || f.Severity != c.sev || !strings.Contains(f.Message, c.want) {
			t.Errorf("%s: %s %s %s", c.name, f.Status, f.Severity, f.Message)
		}
	}
	// From a file, and a missing file.
	dir := t.TempDir()
	p := filepath.Join(dir, "c.crt")
	os.WriteFile(p, cert(t, &ec.PublicKey, ec, "x", nil, now, now.AddDate(0, 1, 0)), 0o600)
	if f := one(t, &clientcmdapi.AuthInfo{ClientCertificate: p}); f.Status != check.Pass {
		t.Fatalf("file cert: %+v", f)
	}
	if f := one(t, &clientcmdapi.AuthInfo{ClientCertificate: p + ".nope"}); f.Status != check.NotAssessable || !strings.Contains(f.Message, "no such file") {
		t.Fatalf("missing cert: %+v", f)
	}
}

func TestTokenFileAndClusters(t *testing.T) {
	dir := t.TempDir()
	legacy := filepath.Join(dir, "legacy")
	os.WriteFile(legacy, []byte(jwt(map[string]any{"iss": "kubernetes/serviceaccount", "sub": "system:serviceaccount:a:b"})+"\n"), 0o600)
	projected := filepath.Join(dir, "projected")
	os.WriteFile(projected, []byte(jwt(map[string]any{"iss": "https://kubernetes.default.svc", "sub": "system:serviceaccount:a:b", "exp": now.Add(time.Hour).Unix()})), 0o600)
	if f := one(t, &clientcmdapi.AuthInfo{TokenFile: legacy}); f.CheckID != "AG-KCFG-008" || f.Status != check.Fail {
		t.Fatalf("legacy token file: %+v", f)
	}
	if f := one(t, &clientcmdapi.AuthInfo{TokenFile: projected}); f.Status != check.Pass {
		t.Fatalf("projected token file: %+v", f)
	}

	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["a"] = &clientcmdapi.Cluster{Server: "https://x:6443", InsecureSkipTLSVerify: true}
	cfg.Clusters["b"] = &clientcmdapi.Cluster{Server: "http://x:8080"}
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: "https://x:6443"}
	cfg.Contexts["ctx"] = &clientcmdapi.Context{Cluster: "a", AuthInfo: "u"}
	cfg.CurrentContext = "ctx"
	fs := Audit(cfg, "kc.yaml", now)
	if len(fs) != 2 || fs[0].CheckID != "AG-KCFG-004" || fs[1].CheckID != "AG-KCFG-005" {
		t.Fatalf("clusters: %+v", fs)
	}
	var ctxEv string
	for _, e := range fs[0].Evidence {
		if e.Key == "contexts" {
			ctxEv = e.Value
		}
	}
	if ctxEv != "ctx (current)" || fs[0].Location == nil || fs[0].Location.File != "kc.yaml" {
		t.Fatalf("context evidence %q location %+v", ctxEv, fs[0].Location)
	}
	if fs[0].Severity != check.High || fs[1].Severity != check.High {
		t.Fatalf("remote server: severities %s, %s, want high", fs[0].Severity, fs[1].Severity)
	}
}

// TestLoopbackServers: skipping TLS verification (or plain HTTP) towards a
// loopback server is low, not high: the connection never leaves the host
// (a control-plane component's kubeconfig, kubectl proxy). A name that only
// looks local is still high.
func TestLoopbackServers(t *testing.T) {
	for _, tc := range []struct {
		server string
		want   check.Severity
	}{
		{"https://localhost:443", check.Low},
		{"https://LOCALHOST:6443", check.Low},
		{"https://127.0.0.1:6443", check.Low},
		{"https://127.1.2.3:6443", check.Low},
		{"https://[::1]:6443", check.Low},
		{"https://api.localhost:6443", check.Low},
		{"https://localhost.example.com:6443", check.High},
		{"https://10.0.0.1:6443", check.High},
		{"https://0.0.0.0:6443", check.High},
		{"https://[::]:6443", check.High},
	} {
		cfg := clientcmdapi.NewConfig()
		cfg.Clusters["local"] = &clientcmdapi.Cluster{Server: tc.server, InsecureSkipTLSVerify: true}
		fs := Audit(cfg, "kc.yaml", now)
		if len(fs) != 1 || fs[0].CheckID != "AG-KCFG-004" || fs[0].Status != check.Fail || fs[0].Severity != tc.want {
			t.Errorf("%s: %+v, want one AG-KCFG-004 fail at %s", tc.server, fs, tc.want)
			continue
		}
		if tc.want == check.Low && !strings.Contains(fs[0].Message, "never leaves this host") {
			t.Errorf("%s: the message does not say why it is low: %q", tc.server, fs[0].Message)
		}
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["proxy"] = &clientcmdapi.Cluster{Server: "http://127.0.0.1:8001"}
	if fs := Audit(cfg, "kc.yaml", now); len(fs) != 1 || fs[0].CheckID != "AG-KCFG-005" || fs[0].Severity != check.Low || !strings.Contains(fs[0].Message, "kubectl proxy") {
		t.Errorf("kubectl proxy: %+v", fs)
	}
}
