package network

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
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
}
