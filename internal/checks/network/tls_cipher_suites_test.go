package network

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
	"github.com/apiguard/apiguard/internal/inputs"
)

func TestTLSCipherSuites(t *testing.T) {
	strong := "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_AES_128_GCM_SHA256"
	ct.Table(t, TLSCipherSuites, []ct.Case{
		{Name: "default, current version", Snap: ct.Snapshot(), Want: check.Warn, Contains: "CBC-SHA"},
		{Name: "default, v1.31 also 3DES", Snap: ct.Version(ct.Snapshot(), "v1.31.2"), Want: check.Warn, Contains: "3DES"},
		{Name: "default, v1.29 (Go < 1.22)", Snap: ct.Version(ct.Snapshot(), "v1.29.0"), Want: check.Fail, Contains: "RSA key exchange"},
		{Name: "default with TLS 1.3 minimum", Snap: ct.Snapshot("--tls-min-version=VersionTLS13"), Want: check.Pass, Contains: "TLS 1.3"},
		{Name: "allowlist only", Snap: ct.Snapshot(strong), Want: check.Pass, Contains: "3 configured"},
		{Name: "legacy ChaCha names", Snap: ct.Snapshot("--tls-cipher-suites=TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305"), Want: check.Pass},
		{Name: "one weak suite", Snap: ct.Snapshot(strong + ",TLS_RSA_WITH_AES_128_GCM_SHA256"), Want: check.Fail, Contains: "TLS_RSA_WITH_AES_128_GCM_SHA256"},
		{Name: "CBC suite", Snap: ct.Snapshot("--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"), Want: check.Fail, Contains: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
		{Name: "3DES suite", Snap: ct.Snapshot("--tls-cipher-suites=TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"), Want: check.Fail},
		// Slice flag: repeated occurrences accumulate, a weak suite in the first one still counts.
		{Name: "repeated flags accumulate", Snap: ct.Snapshot("--tls-cipher-suites=TLS_RSA_WITH_AES_256_CBC_SHA", strong), Want: check.Fail, Contains: "TLS_RSA_WITH_AES_256_CBC_SHA"},
		{Name: "repeated strong flags", Snap: ct.Snapshot(strong, "--tls-cipher-suites=TLS_AES_256_GCM_SHA384"), Want: check.Pass, Contains: "4 configured"},
		// Exact names only: a longer or shorter name is not an allowlisted one.
		{Name: "no substring match", Snap: ct.Snapshot("--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256X"), Want: check.Fail, Contains: "does not know"},
		{Name: "case-sensitive", Snap: ct.Snapshot("--tls-cipher-suites=tls_aes_128_gcm_sha256"), Want: check.Fail, Contains: "refuses to start"},
		{Name: "weak but TLS 1.3 only", Snap: ct.Snapshot("--tls-min-version=VersionTLS13", "--tls-cipher-suites=TLS_RSA_WITH_AES_128_CBC_SHA"), Want: check.Pass, Contains: "unused"},
		{Name: "blank list is the default", Snap: ct.Snapshot("--tls-cipher-suites="), Want: check.Warn},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable},
	})
}

// TestTLSCipherSuitesBenchmarks: CIS 1.10 and 1.11 allow the four ECDHE
// AES-CBC-SHA suites in 1.2.29, 1.12 does not (kube-bench cfg/cis-1.10,
// cis-1.11 and cis-1.12 master.yaml); the message names the version judged by.
func TestTLSCipherSuitesBenchmarks(t *testing.T) {
	cbc := "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"
	rsa := "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,TLS_RSA_WITH_AES_128_GCM_SHA256"
	snap := func(b check.Benchmark, args ...string) *inputs.Snapshot { return ct.Benchmark(ct.Snapshot(args...), b) }
	ct.Table(t, TLSCipherSuites, []ct.Case{
		{Name: "ECDHE CBC, default benchmark is 1.12", Snap: ct.Snapshot(cbc), Want: check.Fail, Contains: "outside the CIS 1.12 allowlist (1.2.29): TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA; CIS 1.10 and 1.11 still allow"},
		{Name: "ECDHE CBC, cis-1.12", Snap: snap(check.CIS112, cbc), Want: check.Fail, Contains: "CIS 1.12 allowlist"},
		{Name: "ECDHE CBC, cis-1.11", Snap: snap(check.CIS111, cbc), Want: check.Pass, Contains: "all 3 configured cipher suites are in the CIS 1.11 allowlist (1.2.29); CIS 1.12 drops"},
		{Name: "ECDHE CBC, cis-1.10", Snap: snap(check.CIS110, cbc), Want: check.Pass, Contains: "CIS 1.10 allowlist"},
		// RSA key exchange is outside every version's allowlist; the CBC suite is not named as weak under 1.10.
		{Name: "RSA kex, cis-1.10", Snap: snap(check.CIS110, rsa), Want: check.Fail, Contains: "outside the CIS 1.10 allowlist (1.2.29): TLS_RSA_WITH_AES_128_GCM_SHA256"},
		{Name: "RSA kex and CBC, cis-1.12", Snap: snap(check.CIS112, rsa), Want: check.Fail, Contains: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, TLS_RSA_WITH_AES_128_GCM_SHA256"},
		{Name: "3DES, cis-1.11", Snap: snap(check.CIS111, "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"), Want: check.Fail, Contains: "CIS 1.11 allowlist"},
		{Name: "CBC-SHA256 is in no allowlist", Snap: snap(check.CIS110, "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"), Want: check.Fail},
		// Go's defaults since Kubernetes v1.32 (Go 1.23) are ECDHE AEAD and ECDHE AES-CBC-SHA.
		{Name: "default, cis-1.11", Snap: snap(check.CIS111), Want: check.Pass, Contains: "are all in the CIS 1.11 allowlist"},
		{Name: "default, cis-1.12", Snap: snap(check.CIS112), Want: check.Warn, Contains: "outside the CIS 1.12 allowlist"},
		{Name: "default v1.31 (3DES), cis-1.10", Snap: ct.Version(snap(check.CIS110), "v1.31.4"), Want: check.Warn, Contains: "3DES, outside the CIS 1.10 allowlist"},
		{Name: "default v1.29, cis-1.10", Snap: ct.Version(snap(check.CIS110), "v1.29.0"), Want: check.Fail, Contains: "CIS 1.10"},
		{Name: "unknown benchmark falls back to the newest", Snap: snap("cis-9.9", cbc), Want: check.Fail, Contains: "CIS 1.12"},
	})
}

func TestTLSCipherSuitesEvidence(t *testing.T) {
	f := ct.One(t, TLSCipherSuites, ct.Snapshot(
		"--tls-cipher-suites=TLS_AES_128_GCM_SHA256",
		"--profiling=false",
		"--tls-cipher-suites=TLS_RSA_WITH_AES_128_CBC_SHA",
	))
	e := ct.Evidence(t, f, "--tls-cipher-suites")
	if e.Value != "TLS_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_128_CBC_SHA" || !strings.Contains(e.Source, "accumulated") {
		t.Fatalf("evidence = %+v", e)
	}
	ct.Evidence(t, f, "--tls-min-version")
	// The location is the occurrence that holds the weak suite.
	if f.Location == nil || f.Location.Line != 4 {
		t.Fatalf("location = %+v", f.Location)
	}
}

func TestStrongCipherSuitesAreKnown(t *testing.T) {
	if len(strongCipherSuites) != 11 {
		t.Fatalf("CIS 1.12 allowlist has 11 suites, got %d", len(strongCipherSuites))
	}
	for name := range strongCipherSuites {
		if !knownCipherSuite(name) {
			t.Errorf("%s is in the allowlist but kube-apiserver would not accept it", name)
		}
	}
	// CIS 1.10 and 1.11: 15 suites, the 1.12 list plus the four ECDHE AES-CBC-SHA.
	n := 0
	for name := range ecdheCBCSuites {
		if !knownCipherSuite(name) || strongCipherSuites[name] {
			t.Errorf("%s: not a known suite, or already in the 1.12 list", name)
		}
	}
	for _, name := range append(slices.Collect(maps.Keys(strongCipherSuites)), slices.Collect(maps.Keys(ecdheCBCSuites))...) {
		if allowedCipherSuite(check.CIS110, name) && allowedCipherSuite(check.CIS111, name) {
			n++
		}
	}
	if n != 15 {
		t.Fatalf("CIS 1.10/1.11 allowlists have 15 suites, got %d", n)
	}
}
