package probe

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/inputs"
)

// testPKI is a CA and a serving certificate like kubeadm's.
type testPKI struct {
	caPEM []byte
	cert  tls.Certificate
	ca    *x509.Certificate
}

func newPKI(t *testing.T, notAfter time.Time, sans []string, ips []net.IP) *testPKI {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubernetes"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "kube-apiserver"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter, DNSNames: sans, IPAddresses: ips,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	return &testPKI{
		caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		cert:  tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		ca:    ca,
	}
}

// fakeAPIServer answers like kube-apiserver for the probed paths. exposed
// maps a path to its 200 body; every other path gets 401, or 403 when
// anonymous is on. It records what the probe sent.
type fakeAPIServer struct {
	exposed     map[string]string
	anonymousOn bool
	mu          sync.Mutex
	sawAuth     []string
	sawCert     bool
	requests    int
}

func (f *fakeAPIServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	if a := r.Header.Get("Authorization"); a != "" {
		f.sawAuth = append(f.sawAuth, a)
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		f.sawCert = true
	}
	f.mu.Unlock()
	key := r.URL.Path
	if r.URL.RawQuery != "" {
		key += "?" + r.URL.RawQuery
	}
	if key == "/redirect-away/" {
		http.Redirect(w, r, "https://example.invalid/elsewhere", http.StatusFound)
		return
	}
	if body, ok := f.exposed[key]; ok {
		if strings.HasPrefix(body, "{") {
			w.Header().Set("Content-Type", "application/json")
		}
		fmt.Fprint(w, body)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if strings.HasPrefix(key, "/api/v1/namespaces/kube-public/") && f.anonymousOn {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"configmaps \"cluster-info\" not found","reason":"NotFound","code":404}`)
		return
	}
	if f.anonymousOn {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"forbidden: User \"system:anonymous\" cannot get path \"%s\"","reason":"Forbidden","code":403}`, r.URL.Path)
		return
	}
	w.WriteHeader(http.StatusUnauthorized)
	fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`)
}

var health = map[string]string{
	"/healthz?verbose": "[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]poststarthook/start-kube-aggregator-informers ok\n[+]kms-provider-0 ok\nhealthz check passed\n",
	"/livez":           "ok",
	"/readyz":          "ok",
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func start(t *testing.T, h http.Handler, cfg *tls.Config) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func run(t *testing.T, o Options) *inputs.Endpoint {
	t.Helper()
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Second
	}
	e, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if e.Requests > MaxRequests {
		t.Errorf("%d requests, more than the bound %d", e.Requests, MaxRequests)
	}
	return e
}

func path(t *testing.T, e *inputs.Endpoint, p string) inputs.PathResult {
	t.Helper()
	r, ok := e.Path(p)
	if !ok {
		t.Fatalf("no result for %s", p)
	}
	return r
}

func leak(r inputs.PathResult, kind string) string {
	for _, l := range r.Leaked {
		if l.Kind == kind {
			return l.Value
		}
	}
	return ""
}

// TestInsecureServer: TLS 1.0, weak suites, anonymous reads.
func TestInsecureServer(t *testing.T) {
	pki := newPKI(t, time.Now().Add(20*24*time.Hour), []string{"localhost", "kubernetes.default.svc.cluster.local", "cp-1"},
		[]net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")})
	kubeconfig := "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: " +
		base64.StdEncoding.EncodeToString(pki.caPEM) + "\n    server: https://10.0.0.5:6443\n  name: \"\"\n"
	cm := fmt.Sprintf(`{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cluster-info","namespace":"kube-public"},"data":{"kubeconfig":%q,"jws-kubeconfig-abcdef":"eyJhbGciOiJIUzI1NiIsImtpZCI6ImFiY2RlZiJ9..SECRET-SIGNATURE"}}`, kubeconfig)
	f := &fakeAPIServer{anonymousOn: true, exposed: merge(health, map[string]string{
		"/version":                          `{"major":"1","minor":"33","gitVersion":"v1.33.2","gitCommit":"abc","buildDate":"2025-06-17T18:08:33Z","goVersion":"go1.24.4","platform":"linux/amd64"}`,
		"/api/v1/namespaces":                `{"kind":"NamespaceList","apiVersion":"v1","items":[{"metadata":{"name":"kube-system"}},{"metadata":{"name":"default"}},{"metadata":{"name":"payments"}}]}`,
		"/api":                              `{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"10.0.0.5:6443"}]}`,
		"/apis":                             `{"kind":"APIGroupList","groups":[{"name":"apps"},{"name":"rbac.authorization.k8s.io"},{"name":"cert-manager.io"},{"name":"monitoring.coreos.com"}]}`,
		"/debug/pprof/":                     `<html><a href='allocs?debug=1'>allocs</a><a href='goroutine?debug=1'>goroutine</a><a href='heap?debug=1'>heap</a></html>`,
		"/logs/":                            `<pre><a href="audit.log">audit.log</a><a href="kube-apiserver.log">kube-apiserver.log</a></pre>`,
		"/metrics":                          "# HELP apiserver_storage_objects x\napiserver_storage_objects{resource=\"secrets\"} 42\napiserver_request_total{verb=\"GET\"} 7\n",
		"/.well-known/openid-configuration": `{"issuer":"https://kubernetes.default.svc.cluster.local","jwks_uri":"https://10.0.0.5:6443/openid/v1/jwks"}`,
		"/openid/v1/jwks":                   `{"keys":[{"use":"sig","kty":"RSA","kid":"k1-Zx","alg":"RS256","n":"AAA","e":"AQAB"}]}`,
		ClusterInfoPath:                     cm,
		"/openapi/v2":                       `{"swagger":"2.0","info":{"title":"Kubernetes","version":"v1.33.2"},"paths":{` + strings.Repeat(`"/api/v1/x":{},`, 200) + `"/z":{}}}`,
	})}
	pool := x509.NewCertPool()
	pool.AddCert(pki.ca)
	srv := start(t, f, &tls.Config{
		Certificates: []tls.Certificate{pki.cert},
		MinVersion:   tls.VersionTLS10,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA},
		ClientAuth: tls.RequestClientCert, ClientCAs: pool,
	})
	now := time.Now()
	e := run(t, Options{URL: srv.URL, CAData: pki.caPEM, CAName: "the kubeconfig CA", BodyLimit: 2048, Now: func() time.Time { return now }})

	if e.Unavailable != "" {
		t.Fatalf("unavailable: %s", e.Unavailable)
	}
	if len(e.Addresses) != 1 || e.Addresses[0].IP != "127.0.0.1" || e.Addresses[0].Class != inputs.AddrLoopback {
		t.Errorf("addresses = %+v", e.Addresses)
	}
	// TLS.
	tl := e.TLS
	accepted := map[string]bool{}
	for _, v := range tl.Versions {
		accepted[v.Version] = v.Accepted
	}
	if !accepted["TLS 1.0"] || !accepted["TLS 1.1"] || !accepted["TLS 1.2"] || !accepted["TLS 1.3"] {
		t.Errorf("versions = %+v", tl.Versions)
	}
	weak := map[string]bool{}
	for _, c := range tl.WeakSuites {
		if c.Accepted {
			weak[c.Name] = true
		}
	}
	for _, n := range []string{"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"} {
		if !weak[n] {
			t.Errorf("weak suite %s not reported accepted: %+v", n, tl.WeakSuites)
		}
	}
	if len(weak) != 3 {
		t.Errorf("accepted weak suites = %v, want exactly the three the server allows", weak)
	}
	if !tl.Verified || tl.VerifiedWith != "the kubeconfig CA" {
		t.Errorf("verify = %v %q %q", tl.Verified, tl.VerifiedWith, tl.VerifyError)
	}
	if len(tl.Chain) != 1 || tl.Chain[0].Subject != "CN=kube-apiserver" || tl.Chain[0].KeyType != "ECDSA" || tl.Chain[0].KeyBits != 256 {
		t.Errorf("chain = %+v", tl.Chain)
	}
	if got := strings.Join(tl.Chain[0].IPAddresses, ","); got != "127.0.0.1,10.96.0.1" {
		t.Errorf("IP SANs = %s", got)
	}
	if len(tl.ClientCAs) != 1 || tl.ClientCAs[0] != "CN=kubernetes" {
		t.Errorf("client CAs = %q", tl.ClientCAs)
	}
	// Anonymous requests.
	if v := leak(path(t, e, "/version"), "version"); v != "v1.33.2" {
		t.Errorf("version leak = %q", v)
	}
	if v := leak(path(t, e, "/healthz?verbose"), "health-checks"); !strings.Contains(v, "etcd") || !strings.Contains(v, "kms-provider-0") {
		t.Errorf("health leak = %q", v)
	}
	if v := leak(path(t, e, "/api/v1/namespaces"), "namespaces"); v != "3 namespaces: default, kube-system, payments" {
		t.Errorf("namespaces leak = %q", v)
	}
	if v := leak(path(t, e, "/api"), "server-address"); v != "10.0.0.5:6443" {
		t.Errorf("server address = %q", v)
	}
	if v := leak(path(t, e, "/apis"), "api-groups"); v != "4 API groups; non-Kubernetes: cert-manager.io, monitoring.coreos.com" {
		t.Errorf("api groups = %q", v)
	}
	if v := leak(path(t, e, "/debug/pprof/"), "profiles"); v != "allocs, goroutine, heap" {
		t.Errorf("pprof = %q", v)
	}
	if v := leak(path(t, e, "/logs/"), "log-files"); v != "audit.log, kube-apiserver.log" {
		t.Errorf("logs = %q", v)
	}
	if v := leak(path(t, e, "/metrics"), "metrics"); !strings.HasPrefix(v, "2 samples of 2 metrics") {
		t.Errorf("metrics = %q", v)
	}
	if v := leak(path(t, e, "/.well-known/openid-configuration"), "issuer"); v != "https://kubernetes.default.svc.cluster.local" {
		t.Errorf("issuer = %q", v)
	}
	if v := leak(path(t, e, "/openid/v1/jwks"), "key-ids"); v != "k1-Zx (RS256)" {
		t.Errorf("key ids = %q", v)
	}
	ci := path(t, e, ClusterInfoPath)
	if leak(ci, "api-server-url") != "https://10.0.0.5:6443" || leak(ci, "bootstrap-token-ids") != "abcdef" || !strings.HasPrefix(leak(ci, "ca-certificate"), "CN=kubernetes") {
		t.Errorf("cluster-info leaks = %+v", ci.Leaked)
	}
	for _, l := range ci.Leaked {
		if strings.Contains(l.Value, "SECRET") {
			t.Errorf("the JWS signature leaked into the results: %+v", l)
		}
	}
	oa := path(t, e, "/openapi/v2")
	if !oa.Truncated || oa.Bytes != 2048 || !strings.HasPrefix(leak(oa, "openapi"), "the API schema (more than 2048 bytes)") || leak(oa, "version") != "v1.33.2" {
		t.Errorf("openapi = %+v", oa)
	}
	// Never a credential, never a client certificate, within the bound.
	if len(f.sawAuth) > 0 || f.sawCert {
		t.Errorf("the probe sent credentials: %q, client cert %v", f.sawAuth, f.sawCert)
	}
	if f.requests != len(DefaultPaths) {
		t.Errorf("the server saw %d requests, want %d", f.requests, len(DefaultPaths))
	}
	if e.ProbedAt.IsZero() || e.URL != srv.URL {
		t.Errorf("endpoint = %s at %v", e.URL, e.ProbedAt)
	}
}

// TestHardenedServer: TLS 1.2+ strong suites, anonymous only on health.
func TestHardenedServer(t *testing.T) {
	pki := newPKI(t, time.Now().Add(365*24*time.Hour), []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")})
	f := &fakeAPIServer{exposed: health}
	srv := start(t, f, &tls.Config{Certificates: []tls.Certificate{pki.cert}, MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}})
	e := run(t, Options{URL: srv.URL + "/"})
	for _, v := range e.TLS.Versions {
		if want := v.Version == "TLS 1.2" || v.Version == "TLS 1.3"; v.Accepted != want {
			t.Errorf("%s accepted = %v, want %v (%s)", v.Version, v.Accepted, want, v.Error)
		}
	}
	for _, c := range e.TLS.WeakSuites {
		if c.Accepted {
			t.Errorf("weak suite %s reported accepted", c.Name)
		}
	}
	if len(e.TLS.WeakSuites) != len(weakSuites) || len(weakSuites) < 12 {
		t.Errorf("%d weak suites tried (of %d)", len(e.TLS.WeakSuites), len(weakSuites))
	}
	// No CA given: the system roots do not know the test CA.
	if e.TLS.Verified || e.TLS.VerifiedWith != "the system roots" || e.TLS.VerifyError == "" {
		t.Errorf("verify = %v %q %q", e.TLS.Verified, e.TLS.VerifiedWith, e.TLS.VerifyError)
	}
	for _, r := range e.Paths {
		want := inputs.Unauthenticated
		if _, ok := health[r.Path]; ok {
			want = inputs.Exposed
		}
		if r.Outcome != want {
			t.Errorf("%s: %s (HTTP %d), want %s", r.Path, r.Outcome, r.Status, want)
		}
		if r.Outcome == inputs.Unauthenticated && r.Message != "Unauthorized" {
			t.Errorf("%s: message %q", r.Path, r.Message)
		}
	}
}

func TestRedirectsStayOnHost(t *testing.T) {
	pki := newPKI(t, time.Now().Add(365*24*time.Hour), nil, []net.IP{net.ParseIP("127.0.0.1")})
	srv := start(t, &fakeAPIServer{}, &tls.Config{Certificates: []tls.Certificate{pki.cert}})
	e := run(t, Options{URL: srv.URL, Paths: []string{"/redirect-away/"}})
	r := path(t, e, "/redirect-away/")
	if r.Outcome != inputs.Redirected || r.Status != http.StatusFound || !strings.Contains(r.Message, "example.invalid") {
		t.Errorf("redirect = %+v", r)
	}
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	e := run(t, Options{URL: "https://" + addr, Timeout: time.Second})
	if !strings.Contains(e.Unavailable, "cannot reach "+addr) || len(e.Paths) != 0 {
		t.Errorf("unavailable = %q, %d paths", e.Unavailable, len(e.Paths))
	}
	// A port that speaks plain HTTP on an https URL.
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	e = run(t, Options{URL: strings.Replace(plain.URL, "http://", "https://", 1)})
	if !strings.Contains(e.Unavailable, "TLS handshake") {
		t.Errorf("plain HTTP on https: %q", e.Unavailable)
	}
	// An http:// URL is probed without TLS.
	e = run(t, Options{URL: plain.URL, Paths: []string{"/version"}})
	if e.TLS != nil || e.Unavailable != "" || path(t, e, "/version").Outcome != inputs.NotServed {
		t.Errorf("http probe = %+v", e)
	}
}

func TestResolve(t *testing.T) {
	lookup := func(_ context.Context, host string) ([]net.IPAddr, error) {
		if host != "api.example.test" {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return []net.IPAddr{{IP: net.ParseIP("10.1.2.3")}, {IP: net.ParseIP("8.8.8.8")}, {IP: net.ParseIP("8.8.8.8")}, {IP: net.ParseIP("fd00::1")}}, nil
	}
	p := &prober{o: Options{Timeout: time.Second, LookupIPAddr: lookup}, ep: &inputs.Endpoint{}}
	p.u, _ = parseURL("api.example.test:6443")
	p.resolve(context.Background())
	got := addressList(p.ep.Addresses)
	if got != "8.8.8.8 public, 10.1.2.3 private, fd00::1 private" {
		t.Errorf("addresses = %s", got)
	}
	p = &prober{o: Options{Timeout: time.Second, LookupIPAddr: lookup}, ep: &inputs.Endpoint{}}
	p.u, _ = parseURL("https://nope.example.test")
	p.resolve(context.Background())
	if p.ep.ResolveError == "" || len(p.ep.Addresses) != 0 {
		t.Errorf("resolve error = %q", p.ep.ResolveError)
	}
}

func addressList(as []inputs.Address) string {
	var s []string
	for _, a := range as {
		s = append(s, a.IP+" "+string(a.Class))
	}
	return strings.Join(s, ", ")
}

func TestParseURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://10.0.0.1:6443":     "https://10.0.0.1:6443",
		"10.0.0.1":                  "https://10.0.0.1:443",
		"https://rancher/k8s/c-1/":  "https://rancher:443/k8s/c-1",
		"http://127.0.0.1":          "http://127.0.0.1:80",
		"https://[::1]:6443/?x=y#z": "https://[::1]:6443",
	} {
		u, err := parseURL(in)
		if err != nil || u.String() != want {
			t.Errorf("parseURL(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://x", "https://", "https://user:pw@host"} {
		if _, err := parseURL(bad); err == nil {
			t.Errorf("parseURL(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "pw") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}

func TestIsResourcePath(t *testing.T) {
	for p, want := range map[string]bool{
		"/api/v1/namespaces": true, ClusterInfoPath: true, "/api": false, "/apis": false, "/apis/apps/v1/deployments": true,
		"/apis/apps/v1": false, "/version": false, "/logs/": false,
	} {
		if isResourcePath(p) != want {
			t.Errorf("isResourcePath(%s) != %v", p, want)
		}
	}
}

// FuzzLeaks: server answers are untrusted input.
func FuzzLeaks(f *testing.F) {
	for p, body := range health {
		f.Add(p, []byte(body))
	}
	f.Add("/version", []byte(`{"gitVersion":"v1.36.3"}`))
	f.Add(ClusterInfoPath, []byte(`{"data":{"kubeconfig":"clusters:\n- cluster:\n    server: https://x\n","jws-kubeconfig-a":"s"}}`))
	f.Add("/metrics", []byte("a 1\nb{x=\"y\"} 2\n"))
	f.Add("/debug/pprof/", []byte(`<a href="heap?debug=1">`))
	f.Add("/openapi/v2", []byte(`{"swagger":"2.0","info":{"version":"v1"}`))
	f.Fuzz(func(t *testing.T, path string, body []byte) {
		for _, l := range leaks(path, "text/plain", body, len(body) > 100) {
			if l.Kind == "" || len(l.Value) > 1000 {
				t.Fatalf("leak %q: %d bytes", l.Kind, len(l.Value))
			}
			if strings.ContainsAny(l.Value, "\n\r\x1b") {
				t.Fatalf("unprintable leak value %q", l.Value)
			}
		}
		_ = statusMessage(body)
	})
}

func TestClassifyAddr(t *testing.T) {
	for ip, want := range map[string]inputs.AddressClass{
		"8.8.8.8": inputs.AddrPublic, "34.118.10.20": inputs.AddrPublic, "2606:4700::1111": inputs.AddrPublic,
		"10.0.0.1": inputs.AddrPrivate, "172.16.5.4": inputs.AddrPrivate, "192.168.1.1": inputs.AddrPrivate, "fd12:3456::1": inputs.AddrPrivate,
		"100.64.0.1": inputs.AddrCGNAT, "100.127.255.254": inputs.AddrCGNAT, "100.128.0.1": inputs.AddrPublic,
		"127.0.0.1": inputs.AddrLoopback, "127.8.9.10": inputs.AddrLoopback, "::1": inputs.AddrLoopback, "::ffff:127.0.0.1": inputs.AddrLoopback,
		"169.254.169.254": inputs.AddrLinkLocal, "fe80::1": inputs.AddrLinkLocal,
		"0.0.0.0": inputs.AddrUnspecified, "::": inputs.AddrUnspecified, "224.0.0.1": inputs.AddrLinkLocal, "239.1.1.1": inputs.AddrMulticast,
		"203.0.113.7": inputs.AddrReserved, "192.0.2.1": inputs.AddrReserved, "2001:db8::1": inputs.AddrReserved, "::ffff:10.1.1.1": inputs.AddrPrivate,
	} {
		if got := inputs.ClassifyAddr(netip.MustParseAddr(ip)); got != want {
			t.Errorf("ClassifyAddr(%s) = %s, want %s", ip, got, want)
		}
	}
}
