package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestProbeCLI: goldens of the managed-cluster files through scan and probe
// (no network: the files alone), and their input errors.
func TestProbeCLI(t *testing.T) {
	runGoldens(t, "probe", []goldenCase{
		{"scan-cloud-tfplan", "scan --cloud testdata/cloud/tfplan.json", 1},
		{"scan-cloud-eks-json", "scan --cloud testdata/cloud/eks-public.json --cloud testdata/cloud/eks-ipv6-open.json -o json", 1},
		{"scan-cloud-all-sarif", "scan --cloud testdata/cloud/gke-public.json --cloud testdata/cloud/gke-authorized-gcp.json --cloud testdata/cloud/gke-dns-only.json -o sarif --fail-on critical", 0},
		{"scan-cloud-aks-passed", "scan --cloud testdata/cloud/aks-public.json --cloud testdata/cloud/aks-arm-restricted.json --cloud testdata/cloud/aks-private.json --cloud testdata/cloud/tfstate-aks-legacy.json --show-passed", 1},
		{"probe-cloud-only", "probe --cloud testdata/cloud/eks-private.json --cloud testdata/cloud/gke-dns-only.json", 0},
		{"probe-cloud-only-json", "probe --cloud testdata/cloud/aks-public.json -o json --fail-on none", 0},
		{"bad-cloud-type", "scan --cloud testdata/cloud/bad-type.json", 2},
		{"bad-cloud-unknown", "scan --cloud testdata/cloud/unknown.json", 2},
		{"bad-cloud-yaml", "probe --cloud testdata/cloud/eks.yaml", 2},
		{"bad-cloud-missing", "scan --cloud testdata/cloud/nope.json", 2},
		{"probe-no-target", "probe --kubeconfig testdata/does-not-exist.kubeconfig", 2},
		{"probe-bad-url", "probe ftp://example.test", 2},
		{"probe-bad-timeout", "probe https://127.0.0.1:1 --timeout 0s", 2},
	})
}

// TestScanSnapshotWithCloud: --cloud adds the managed-cluster checks to the
// other inputs; the probe checks stay not-assessable offline.
func TestScanSnapshotWithCloud(t *testing.T) {
	stdout, stderr, code := runCLI("scan", "--snapshot", "../../examples/kubeadm-1.36", "--cloud", "testdata/cloud/eks-private.json", "-o", "json", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r probeOutput
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	flagChecks := 0
	for _, f := range r.Findings {
		got[f.CheckID] = f.Status
		if f.Resource == "/etc/kubernetes/manifests/kube-apiserver.yaml" {
			flagChecks++
		}
	}
	want := map[string]string{"AG-NET-013": "not-assessable", "AG-NET-014": "not-assessable", "AG-NET-019": "pass", "AG-NET-020": "pass", "AG-NET-005": "fail"}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %s, want %s", id, got[id], w)
		}
	}
	if flagChecks < 30 {
		t.Errorf("only %d findings on the manifest: the snapshot was not scanned", flagChecks)
	}
	if r.Target != "kubeadm v1.36.3 control plane (example)" {
		t.Errorf("target %q", r.Target)
	}
}

// fakeServer is a TLS endpoint answering like kube-apiserver with anonymous
// auth on and /version readable (kubeadm's defaults), TLS 1.0 allowed. It
// records every Authorization header it receives.
type fakeServer struct {
	*httptest.Server
	caPEM []byte
	mu    sync.Mutex
	auth  []string
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubernetes"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour * 3650), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caT, caT, caKey.Public(), caKey)
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafT := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "kube-apiserver"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour * 365), IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")},
		DNSNames: []string{"kubernetes.default.svc"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, leafT, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})}
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		if a := r.Header.Get("Authorization"); a != "" {
			f.auth = append(f.auth, a)
		}
		f.mu.Unlock()
		switch r.URL.Path {
		case "/version":
			fmt.Fprint(w, `{"major":"1","minor":"36","gitVersion":"v1.36.3","goVersion":"go1.26.8","platform":"linux/amd64"}`)
		case "/livez", "/readyz":
			fmt.Fprint(w, "ok")
		case "/healthz":
			fmt.Fprint(w, "[+]ping ok\n[+]etcd ok\nhealthz check passed\n")
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"kind":"Status","message":"forbidden: User \"system:anonymous\" cannot get path \"%s\"","code":403}`, r.URL.Path)
		}
	}))
	f.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	f.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS10}
	f.StartTLS()
	t.Cleanup(f.Close)
	return f
}

// probeOutput is the part of `probe -o json` the tests read.
type probeOutput struct {
	Tool     string `json:"tool"`
	Target   string `json:"target"`
	Endpoint struct {
		URL       string `json:"url"`
		Addresses []struct {
			IP, Class string
		} `json:"addresses"`
		TLS struct {
			Verified     bool   `json:"verified"`
			VerifiedWith string `json:"verifiedWith"`
			Versions     []struct {
				Version  string `json:"version"`
				Accepted bool   `json:"accepted"`
			} `json:"versions"`
		} `json:"tls"`
		Paths []struct {
			Path    string `json:"path"`
			Status  int    `json:"status"`
			Outcome string `json:"outcome"`
			Leaked  []struct{ Kind, Value string }
		} `json:"paths"`
		Requests int `json:"requests"`
	} `json:"endpoint"`
	Findings []struct {
		CheckID, Status, Severity, Message, Resource string
	} `json:"findings"`
}

// TestProbeLive: the probe command against a TLS server, through a
// kubeconfig that carries a token: the token is never sent, the CA is used.
func TestProbeLive(t *testing.T) {
	f := newFakeServer(t)
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	caPath := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(caPath, f.caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: admin
  user:
    token: super-secret-token
contexts:
- name: lab
  context: {cluster: lab, user: admin}
current-context: lab
`, f.URL, caPath)
	if err := os.WriteFile(kc, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runCLI("probe", "--kubeconfig", kc, "-o", "json")
	if code != ExitClean { // warnings and a TLS 1.0 failure at high: exit 1
		if code != ExitFindings {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	var out probeOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if out.Tool != "apiguard" || out.Target != f.URL || out.Endpoint.URL != f.URL {
		t.Errorf("tool %q target %q url %q", out.Tool, out.Target, out.Endpoint.URL)
	}
	if !out.Endpoint.TLS.Verified || !strings.HasPrefix(out.Endpoint.TLS.VerifiedWith, "the kubeconfig CA") {
		t.Errorf("verify: %v with %q", out.Endpoint.TLS.Verified, out.Endpoint.TLS.VerifiedWith)
	}
	f.mu.Lock()
	sent := append([]string(nil), f.auth...)
	f.mu.Unlock()
	if len(sent) > 0 {
		t.Fatalf("the probe sent the kubeconfig's credentials: %q", sent)
	}
	status := map[string]string{}
	for _, x := range out.Findings {
		status[x.CheckID] = x.Status
	}
	want := map[string]string{"AG-NET-013": "warn", "AG-NET-014": "fail", "AG-NET-015": "warn", "AG-NET-016": "pass", "AG-NET-017": "pass", "AG-NET-018": "pass"}
	for id, w := range want {
		if status[id] != w {
			t.Errorf("%s: %s, want %s", id, status[id], w)
		}
	}
	if len(status) != len(want) {
		t.Errorf("findings for %v, want only the endpoint checks", status)
	}
	if code != ExitFindings {
		t.Errorf("exit %d, want 1 (TLS 1.0 accepted is high)", code)
	}

	// Table output: the probe's details, then the findings.
	table, _, _ := runCLI("probe", f.URL, "--ca-file", caPath, "--fail-on", "none")
	for _, want := range []string{
		"apiguard dev probe of " + f.URL, "Addresses\n  127.0.0.1", "loopback", "TLS 1.0     accepted", "chain       verified with " + caPath,
		"Anonymous requests", "/version", "version: v1.36.3", "forbidden", "Network exposure", "AG-NET-014", "Summary:",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table output lacks %q:\n%s", want, table)
		}
	}
	// Unreachable: exit 2 with the reason.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	_, stderr, code = runCLI("probe", "https://"+addr, "--timeout", "2s")
	if code != ExitUsage || !strings.Contains(stderr, "cannot probe https://"+addr) {
		t.Errorf("unreachable: exit %d: %s", code, stderr)
	}
}
