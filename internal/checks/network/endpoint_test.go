package network

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
	"github.com/apiguard/apiguard/internal/inputs"
)

var probedAt = time.Date(2026, 8, 27, 10, 0, 0, 0, time.UTC)

var probePaths = []string{"/version", "/healthz?verbose", "/livez", "/readyz", "/api", "/apis", "/api/v1/namespaces", "/openapi/v2",
	"/.well-known/openid-configuration", "/openid/v1/jwks", "/metrics", "/debug/pprof/", "/logs/", inputs.ClusterInfoPath}

// hardened is what the probe sees of the e2e lab's Hardened profile.
func hardened() *inputs.Endpoint {
	e := &inputs.Endpoint{
		URL: "https://127.0.0.1:6443", Host: "127.0.0.1", Port: "6443", ServerName: "127.0.0.1", ProbedAt: probedAt,
		Addresses: []inputs.Address{{IP: "127.0.0.1", Class: inputs.AddrLoopback}},
		TLS: &inputs.TLSProbe{
			Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256",
			Versions: []inputs.TLSVersionResult{
				{Version: "TLS 1.0", Error: "remote error: tls: protocol version not supported"},
				{Version: "TLS 1.1", Error: "remote error: tls: protocol version not supported"},
				{Version: "TLS 1.2", Accepted: true, CipherSuite: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
				{Version: "TLS 1.3", Accepted: true, CipherSuite: "TLS_AES_128_GCM_SHA256"},
			},
			WeakSuites: []inputs.CipherResult{
				{Name: "TLS_RSA_WITH_RC4_128_SHA", Weakness: "rc4"},
				{Name: "TLS_RSA_WITH_AES_128_GCM_SHA256", Weakness: "rsa-kex"},
				{Name: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", Weakness: "cbc-sha1"},
			},
			Chain: []inputs.Certificate{{
				Subject: "CN=kube-apiserver", Issuer: "CN=kubernetes", KeyType: "RSA", KeyBits: 2048, SignatureAlgorithm: "SHA256-RSA",
				NotBefore: probedAt.Add(-time.Hour), NotAfter: probedAt.Add(365*24*time.Hour - 2*time.Hour),
				DNSNames:    []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
				IPAddresses: []string{"127.0.0.1", "10.96.0.1"},
			}},
			Verified: true, VerifiedWith: "the kubeconfig CA",
		},
	}
	for _, p := range probePaths {
		r := inputs.PathResult{Path: p, Status: 401, Outcome: inputs.Unauthenticated, Message: "Unauthorized"}
		if slices.Contains(inputs.HealthPaths, p) {
			r = inputs.PathResult{Path: p, Status: 200, Outcome: inputs.Exposed}
		}
		e.Paths = append(e.Paths, r)
	}
	return e
}

type mut func(*inputs.Endpoint)

func snap(ms ...mut) *inputs.Snapshot {
	s := inputs.New("context lab (https://127.0.0.1:6443)", "live")
	e := hardened()
	for _, m := range ms {
		m(e)
	}
	s.Endpoint = e
	return s
}

// setPath changes the answer to one path.
func setPath(p string, status int, outcome inputs.PathOutcome, leaks ...inputs.Leak) mut {
	return func(e *inputs.Endpoint) {
		for i := range e.Paths {
			if e.Paths[i].Path == p {
				e.Paths[i] = inputs.PathResult{Path: p, Status: status, Outcome: outcome, Leaked: leaks}
			}
		}
	}
}

// anonymousOn: every 401 becomes 403 (kubeadm's default).
func anonymousOn(e *inputs.Endpoint) {
	for i := range e.Paths {
		if e.Paths[i].Outcome == inputs.Unauthenticated {
			e.Paths[i].Status, e.Paths[i].Outcome = 403, inputs.Forbidden
		}
	}
}

func public(e *inputs.Endpoint) {
	e.Addresses = []inputs.Address{{IP: "34.118.10.20", Class: inputs.AddrPublic}}
}

var versionLeak = setPath("/version", 200, inputs.Exposed, inputs.Leak{Kind: "version", Value: "v1.36.3"})
var namespacesLeak = setPath("/api/v1/namespaces", 200, inputs.Exposed, inputs.Leak{Kind: "namespaces", Value: "4 namespaces: default, kube-node-lease, kube-public, kube-system"})

func TestNoProbe(t *testing.T) {
	for _, c := range All() {
		if !slices.Contains(c.Inputs, check.InputEndpoint) {
			continue
		}
		off := ct.One(t, c, ct.Snapshot())
		if off.Status != check.NotAssessable || !strings.Contains(off.Message, "apiguard probe") {
			t.Errorf("%s offline: %s %q", c.ID, off.Status, off.Message)
		}
		down := ct.One(t, c, snap(func(e *inputs.Endpoint) { e.Unavailable = "cannot reach 127.0.0.1:6443: connect: connection refused" }))
		if down.Status != check.NotAssessable || !strings.Contains(down.Message, "connection refused") || down.Resource != "https://127.0.0.1:6443" {
			t.Errorf("%s unreachable: %+v", c.ID, down)
		}
	}
}

func TestAnonymousExposure(t *testing.T) {
	ct.Table(t, AnonymousExposure, []ct.Case{
		{Name: "hardened: 401 everywhere but health", Snap: snap(), Want: check.Pass, Contains: "answer 401"},
		{Name: "anonymous on, RBAC denies", Snap: snap(anonymousOn), Want: check.Pass, Contains: "answer 403"},
		{Name: "version only", Snap: snap(anonymousOn, versionLeak), Want: check.Warn, Contains: "/version (the exact server version)"},
		{Name: "namespaces", Snap: snap(anonymousOn, versionLeak, namespacesLeak), Want: check.Fail, Contains: "/api/v1/namespaces (cluster data)"},
		{Name: "cluster-info allowed, absent", Snap: snap(anonymousOn, setPath(inputs.ClusterInfoPath, 404, inputs.AllowedNotFound)), Want: check.Warn},
		{Name: "discovery", Snap: snap(anonymousOn, setPath("/apis", 200, inputs.Exposed)), Want: check.Fail},
		{Name: "health refused too", Snap: snap(setPath("/livez", 401, inputs.Unauthenticated)), Want: check.Pass, Contains: "health endpoints refuse"},
		{Name: "not served is not exposure", Snap: snap(anonymousOn, setPath("/logs/", 404, inputs.NotServed)), Want: check.Pass},
	})
	sev := func(s *inputs.Snapshot) check.Severity { return ct.One(t, AnonymousExposure, s).Severity }
	for _, c := range []struct {
		name string
		s    *inputs.Snapshot
		want check.Severity
	}{
		{"version, private", snap(versionLeak), check.Low},
		{"version, public", snap(versionLeak, public), check.Medium},
		{"namespaces, private", snap(namespacesLeak), check.High},
		{"namespaces, public", snap(namespacesLeak, public), check.Critical},
		{"logs", snap(setPath("/logs/", 200, inputs.Exposed)), check.Critical},
		{"discovery", snap(setPath("/api", 200, inputs.Exposed)), check.Medium},
	} {
		if got := sev(c.s); got != c.want {
			t.Errorf("%s: severity %s, want %s", c.name, got, c.want)
		}
	}
	f := ct.One(t, AnonymousExposure, snap(namespacesLeak, public))
	e := ct.Evidence(t, f, "GET /api/v1/namespaces")
	if !strings.Contains(e.Value, "HTTP 200: namespaces 4 namespaces: default") || !strings.HasPrefix(e.Source, "anonymous probe of https://127.0.0.1:6443 at 2026-08-27T10:00:00Z") {
		t.Errorf("evidence = %+v", e)
	}
	if a := ct.Evidence(t, f, "address"); a.Value != "34.118.10.20 (public)" {
		t.Errorf("address evidence = %+v", a)
	}
	if !strings.Contains(f.Message, "on a public address") || f.Resource != "https://127.0.0.1:6443" {
		t.Errorf("finding = %+v", f)
	}
}

func TestEndpointTLSVersions(t *testing.T) {
	accept := func(v string) mut {
		return func(e *inputs.Endpoint) {
			for i := range e.TLS.Versions {
				if e.TLS.Versions[i].Version == v {
					e.TLS.Versions[i] = inputs.TLSVersionResult{Version: v, Accepted: true, CipherSuite: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"}
				}
			}
		}
	}
	ct.Table(t, EndpointTLSVersions, []ct.Case{
		{Name: "1.2 and 1.3", Snap: snap(), Want: check.Pass, Contains: "accepts TLS 1.2 and TLS 1.3"},
		{Name: "TLS 1.0", Snap: snap(accept("TLS 1.0")), Want: check.Fail, Contains: "accepts TLS 1.0 handshakes"},
		{Name: "TLS 1.0 and 1.1", Snap: snap(accept("TLS 1.0"), accept("TLS 1.1")), Want: check.Fail, Contains: "TLS 1.0 and TLS 1.1"},
		{Name: "plain HTTP", Snap: snap(func(e *inputs.Endpoint) { e.TLS = nil }), Want: check.Fail, Contains: "plain HTTP"},
		{Name: "no handshake recorded", Snap: snap(func(e *inputs.Endpoint) { e.TLS.Versions = nil }), Want: check.NotAssessable},
	})
	f := ct.One(t, EndpointTLSVersions, snap(accept("TLS 1.0")))
	if e := ct.Evidence(t, f, "TLS 1.0"); e.Value != "accepted (TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA)" {
		t.Errorf("evidence = %+v", e)
	}
	if e := ct.Evidence(t, f, "TLS 1.1"); !strings.HasPrefix(e.Value, "refused (remote error") {
		t.Errorf("evidence = %+v", e)
	}
	if f := ct.One(t, EndpointTLSVersions, snap(func(e *inputs.Endpoint) { e.TLS = nil })); f.Severity != check.Critical {
		t.Errorf("plain HTTP severity %s", f.Severity)
	}
}

// TestPlainHTTPNotApplicable: over plain HTTP there is no handshake, cipher
// or certificate to judge; AG-NET-014 fails, the TLS checks do not apply.
func TestPlainHTTPNotApplicable(t *testing.T) {
	for _, c := range []check.Check{EndpointWeakCiphers, EndpointCertificate, EndpointSANs} {
		f := ct.One(t, c, snap(func(e *inputs.Endpoint) { e.TLS = nil }))
		if f.Status != check.NotApplicable || !strings.Contains(f.Message, "AG-NET-014") {
			t.Errorf("%s: %s %q, want not-applicable naming AG-NET-014", c.ID, f.Status, f.Message)
		}
	}
}

func TestEndpointWeakCiphers(t *testing.T) {
	accept := func(name string) mut {
		return func(e *inputs.Endpoint) {
			for i := range e.TLS.WeakSuites {
				if e.TLS.WeakSuites[i].Name == name {
					e.TLS.WeakSuites[i].Accepted, e.TLS.WeakSuites[i].Version = true, "TLS 1.2"
				}
			}
		}
	}
	ct.Table(t, EndpointWeakCiphers, []ct.Case{
		{Name: "none", Snap: snap(), Want: check.Pass, Contains: "refused each"},
		{Name: "ECDHE CBC-SHA (Go defaults)", Snap: snap(accept("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")), Want: check.Warn, Contains: "CBC and SHA-1 (legacy), outside the CIS 1.12 allowlist (1.2.29; CIS 1.10 and 1.11 allow them)"},
		{Name: "ECDHE CBC-SHA, cis-1.11", Snap: ct.Benchmark(snap(accept("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")), check.CIS111), Want: check.Pass, Contains: "which the CIS 1.11 allowlist (1.2.29) allows"},
		{Name: "ECDHE CBC-SHA and RSA kex, cis-1.10", Snap: ct.Benchmark(snap(accept("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"), accept("TLS_RSA_WITH_AES_128_GCM_SHA256")), check.CIS110), Want: check.Fail, Contains: "no forward secrecy"},
		{Name: "RSA key exchange", Snap: snap(accept("TLS_RSA_WITH_AES_128_GCM_SHA256")), Want: check.Fail, Contains: "no forward secrecy"},
		{Name: "RC4", Snap: snap(accept("TLS_RSA_WITH_RC4_128_SHA")), Want: check.Fail, Contains: "RC4"},
		{Name: "plain HTTP", Snap: snap(func(e *inputs.Endpoint) { e.TLS = nil }), Want: check.NotApplicable, Contains: "plain HTTP"},
	})
	for name, want := range map[string]check.Severity{
		"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": check.Low, "TLS_RSA_WITH_AES_128_GCM_SHA256": check.Medium, "TLS_RSA_WITH_RC4_128_SHA": check.High,
	} {
		if got := ct.One(t, EndpointWeakCiphers, snap(accept(name))).Severity; got != want {
			t.Errorf("%s: severity %s, want %s", name, got, want)
		}
	}
}

func TestEndpointCertificate(t *testing.T) {
	leaf := func(f func(c *inputs.Certificate)) mut { return func(e *inputs.Endpoint) { f(&e.TLS.Chain[0]) } }
	ct.Table(t, EndpointCertificate, []ct.Case{
		{Name: "kubeadm-like, fresh", Snap: snap(), Want: check.Pass, Contains: "valid for 364 days more (until 2027-08-27) and verifies with the kubeconfig CA"},
		{Name: "expires in 10 days", Snap: snap(leaf(func(c *inputs.Certificate) { c.NotAfter = probedAt.Add(10*24*time.Hour + time.Hour) })), Want: check.Warn, Contains: "expires in 10 days"},
		{Name: "expired", Snap: snap(leaf(func(c *inputs.Certificate) { c.NotAfter = probedAt.Add(-time.Hour) })), Want: check.Fail, Contains: "expired on 2026-08-27"},
		{Name: "not yet valid", Snap: snap(leaf(func(c *inputs.Certificate) { c.NotBefore = probedAt.Add(time.Hour) })), Want: check.Fail, Contains: "not valid before"},
		{Name: "RSA 1024", Snap: snap(leaf(func(c *inputs.Certificate) { c.KeyBits = 1024 })), Want: check.Fail, Contains: "1024 bits"},
		{Name: "ECDSA P-224", Snap: snap(leaf(func(c *inputs.Certificate) { c.KeyType, c.KeyBits = "ECDSA", 224 })), Want: check.Fail, Contains: "P-256"},
		{Name: "SHA-1 signature", Snap: snap(leaf(func(c *inputs.Certificate) { c.SignatureAlgorithm = "SHA1-RSA" })), Want: check.Fail, Contains: "signed with SHA1-RSA"},
		{Name: "wrong CA", Snap: snap(func(e *inputs.Endpoint) {
			e.TLS.Verified, e.TLS.VerifyError = false, "x509: certificate signed by unknown authority"
		}), Want: check.Fail, Contains: "does not verify against the kubeconfig CA"},
		{Name: "no CA given", Snap: snap(func(e *inputs.Endpoint) {
			e.TLS.Verified, e.TLS.VerifiedWith, e.TLS.VerifyError = false, "the system roots", "x509: certificate signed by unknown authority"
		}), Want: check.Pass, Contains: "no cluster CA was given"},
		{Name: "no certificate", Snap: snap(func(e *inputs.Endpoint) { e.TLS.Chain = nil }), Want: check.NotAssessable},
	})
	f := ct.One(t, EndpointCertificate, snap(func(e *inputs.Endpoint) {
		e.TLS.Verified, e.TLS.VerifyError = false, "x509: certificate signed by unknown authority"
	}))
	if f.Severity != check.High {
		t.Errorf("untrusted severity %s", f.Severity)
	}
	if e := ct.Evidence(t, f, "not after"); e.Value != "2027-08-27 (364 days left)" {
		t.Errorf("evidence = %+v", e)
	}
}

func TestEndpointSANs(t *testing.T) {
	sans := func(dns []string, ips ...string) mut {
		return func(e *inputs.Endpoint) { e.TLS.Chain[0].DNSNames, e.TLS.Chain[0].IPAddresses = dns, ips }
	}
	kubeadm := sans([]string{"cp-1", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
		"ip-10-0-1-17.eu-west-1.compute.internal"}, "10.96.0.1", "10.0.1.17", "34.118.10.20")
	ct.Table(t, EndpointSANs, []ct.Case{
		{Name: "lab: loopback endpoint", Snap: snap(), Want: check.Pass, Contains: "only matter on a public endpoint"},
		{Name: "standard names only", Snap: snap(sans([]string{"kubernetes.default.svc"}, "127.0.0.1")), Want: check.Pass, Contains: "none discloses"},
		{Name: "public endpoint, internal names", Snap: snap(public, kubeadm), Want: check.Warn, Contains: "names 4 internal hosts or addresses: cp-1, ip-10-0-1-17.eu-west-1.compute.internal, 10.96.0.1, 10.0.1.17"},
		{Name: "private endpoint, internal names", Snap: snap(kubeadm), Want: check.Warn, Contains: "names 1 public address the endpoint does not resolve to (34.118.10.20)"},
		{Name: "public endpoint naming itself", Snap: snap(public, sans([]string{"api.example.com"}, "34.118.10.20")), Want: check.Pass},
	})
	if got := sanClass("API.Corp."); got != "internal" {
		t.Errorf("sanClass(API.Corp.) = %s", got)
	}
}

func TestEndpointPublic(t *testing.T) {
	ct.Table(t, EndpointPublic, []ct.Case{
		{Name: "loopback", Snap: snap(), Want: check.Pass, Contains: "non-public addresses (loopback)"},
		{Name: "public", Snap: snap(public), Want: check.Warn, Contains: "public address 34.118.10.20"},
		{Name: "mixed", Snap: snap(func(e *inputs.Endpoint) {
			e.Addresses = []inputs.Address{{IP: "10.0.0.5", Class: inputs.AddrPrivate}, {IP: "100.64.1.1", Class: inputs.AddrCGNAT}}
		}), Want: check.Pass, Contains: "(private, cgnat)"},
		{Name: "unresolved", Snap: snap(func(e *inputs.Endpoint) { e.Addresses, e.ResolveError = nil, "no such host" }), Want: check.NotAssessable, Contains: "no such host"},
	})
}
