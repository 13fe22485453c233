package network

import (
	"context"
	"crypto/tls"
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var tlsCipherSuitesMeta = check.Metadata{
	ID:       "AG-NET-003",
	Title:    "Only strong TLS cipher suites are accepted",
	Layer:    check.Network,
	Severity: check.Medium,
	Rationale: "Every cipher suite kube-apiserver accepts is one a client (or an attacker forcing a " +
		"downgrade) can negotiate. Suites with RSA key exchange have no forward secrecy (a later key " +
		"leak decrypts recorded traffic, bearer tokens included), 3DES is open to Sweet32, RC4 is broken, " +
		"and CBC-mode suites have a history of padding-oracle attacks. CIS 1.12 (1.2.29) allows only AEAD " +
		"suites (AES-GCM, ChaCha20-Poly1305) with ECDHE key exchange, plus the TLS 1.3 suites; CIS 1.10 " +
		"and 1.11 (and kube-bench's cis-1.10 and cis-1.11) also allow the four ECDHE AES-CBC-SHA suites. " +
		"The check follows --benchmark (default cis-1.12) and names the version in its message. Without " +
		"the flag the defaults of the Go release kube-apiserver was built with apply: before Kubernetes " +
		"v1.30 (Go < 1.22) they include RSA key exchange and 3DES, v1.30 and v1.31 still offer 3DES, and " +
		"current Go offers the ECDHE AEAD and ECDHE AES-CBC-SHA suites: inside the CIS 1.10 and 1.11 " +
		"allowlists, outside 1.12's.",
	Remediation: "Set --tls-cipher-suites=TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256," +
		"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384," +
		"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256," +
		"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 " +
		"(kubeadm: apiServer.extraArgs tls-cipher-suites), or --tls-min-version=VersionTLS13 when every " +
		"client supports TLS 1.3 (TLS 1.3 suites are all strong and not configurable).",
	References: []check.Reference{
		{CIS: "1.2.29", Title: "Ensure that the API Server only makes use of Strong Cryptographic Ciphers"},
		{Title: "kube-apiserver flags (--tls-cipher-suites)", URL: "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/"},
		{Title: "Go crypto/tls cipher suite defaults", URL: "https://go.dev/blog/tls-cipher-suites"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// strongCipherSuites is the CIS Kubernetes Benchmark 1.12 allowlist for 1.2.29
// (kube-bench cfg/cis-1.12/master.yaml). Names are compared exactly.
// allowedCipherSuite adds what older versions allow.
var strongCipherSuites = map[string]bool{
	"TLS_AES_128_GCM_SHA256":                        true,
	"TLS_AES_256_GCM_SHA384":                        true,
	"TLS_CHACHA20_POLY1305_SHA256":                  true,
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256":       true,
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384":       true,
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305":        true,
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": true,
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256":         true,
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384":         true,
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305":          true,
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256":   true,
}

// ecdheCBCSuites are the four ECDHE AES-CBC-SHA suites that CIS 1.10 and 1.11
// allow in 1.2.29 (kube-bench cfg/cis-1.10 and cis-1.11 master.yaml) and 1.12
// dropped. Go still enables them by default.
var ecdheCBCSuites = map[string]bool{
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": true,
	"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": true,
	"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA":   true,
	"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA":   true,
}

// allowsECDHECBC reports whether the benchmark's 1.2.29 allowlist has the
// ECDHE AES-CBC-SHA suites.
func allowsECDHECBC(b check.Benchmark) bool { return b == check.CIS110 || b == check.CIS111 }

// allowedCipherSuite reports whether the benchmark's 1.2.29 allowlist has the suite.
func allowedCipherSuite(b check.Benchmark, name string) bool {
	return strongCipherSuites[name] || allowsECDHECBC(b) && ecdheCBCSuites[name]
}

// cbcNote is what the other benchmark versions say about listed ECDHE
// AES-CBC-SHA suites, or "".
func cbcNote(b check.Benchmark, cbc []string) string {
	if len(cbc) == 0 {
		return ""
	}
	if allowsECDHECBC(b) {
		return "; CIS 1.12 drops the ECDHE AES-CBC-SHA suites listed (" + strings.Join(cbc, ", ") + "): --benchmark cis-1.12 fails them"
	}
	return "; CIS 1.10 and 1.11 still allow the ECDHE AES-CBC-SHA suites (" + strings.Join(cbc, ", ") + "): --benchmark cis-1.11 accepts them"
}

// knownCipherSuite reports whether kube-apiserver accepts the name at all
// (k8s.io/component-base cli/flag: every crypto/tls suite, secure or not,
// plus two legacy ChaCha20 names). An unknown name stops the server.
func knownCipherSuite(name string) bool {
	if name == "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305" || name == "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305" {
		return true
	}
	for _, list := range [][]*tls.CipherSuite{tls.CipherSuites(), tls.InsecureCipherSuites()} {
		for _, cs := range list {
			if cs.Name == name {
				return true
			}
		}
	}
	return false
}

// TLSCipherSuites is CIS 1.2.29, by the version --benchmark names.
var TLSCipherSuites = check.Check{
	Metadata: tlsCipherSuitesMeta,
	Run: func(_ context.Context, s *inputs.Snapshot) []check.Finding {
		m := tlsCipherSuitesMeta
		b := check.BenchmarkOf(s)
		allowlist := b.Name() + " allowlist (1.2.29)"
		return check.PerAPIServer(m, s, func(a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
			v := f.Get("tls-cipher-suites")
			minV, _ := effectiveMinTLS(f)
			ev := []check.Evidence{check.FlagEvidence(v), check.FlagEvidence(minV)}
			tls13Only := minV.Value == "VersionTLS13"
			suites := v.List()

			if len(suites) == 0 {
				return defaultSuitesFinding(m, a, f, b, tls13Only, ev)
			}
			var weak, unknown, cbc []string
			for _, name := range suites {
				if ecdheCBCSuites[name] {
					cbc = append(cbc, name)
				}
				switch {
				case allowedCipherSuite(b, name):
				case knownCipherSuite(name):
					weak = append(weak, name)
				default:
					unknown = append(unknown, name)
				}
			}
			isBad := func(item string) bool { return !allowedCipherSuite(b, item) }
			switch {
			case len(unknown) > 0:
				at, _ := occurrenceWith(f, "tls-cipher-suites", func(x string) bool { return !knownCipherSuite(x) })
				msg := "--tls-cipher-suites names suites kube-apiserver does not know (" + strings.Join(unknown, ", ") +
					"): it refuses to start (names are exact and case-sensitive)"
				if len(weak) > 0 {
					msg += "; suites outside the " + allowlist + " also listed: " + strings.Join(weak, ", ")
				}
				return failAt(m, a.Name, msg, at, ev...)
			case len(weak) > 0 && tls13Only:
				return m.Result(check.Pass, a.Name, "--tls-min-version=VersionTLS13 makes the TLS 1.2 suites unused, "+
					"including those outside the "+allowlist+" ("+strings.Join(weak, ", ")+"); remove them so lowering "+
					"the minimum does not re-enable them", ev...)
			case len(weak) > 0:
				at, _ := occurrenceWith(f, "tls-cipher-suites", isBad)
				msg := "kube-apiserver accepts cipher suites outside the " + allowlist + ": " + strings.Join(weak, ", ")
				if len(cbc) == len(weak) { // only the suites the versions disagree on
					msg += cbcNote(b, cbc)
				}
				return failAt(m, a.Name, msg, at, ev...)
			}
			return m.Result(check.Pass, a.Name, "all "+itoa(len(suites))+" configured cipher suites are in the "+allowlist+cbcNote(b, cbc), ev...)
		})
	},
}

// defaultSuitesFinding judges Go's default suites, which depend on the Go
// release (and go.mod go line) kube-apiserver was built with: Go 1.22
// (Kubernetes v1.30) dropped RSA key exchange, Go 1.23 (v1.32) dropped 3DES,
// and current Go still offers the ECDHE AES-CBC-SHA suites (crypto/tls
// defaults.go: the ECDHE AEAD and ECDHE CBC-SHA suites remain), which CIS
// 1.10 and 1.11 allow and 1.12 does not.
func defaultSuitesFinding(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags, b check.Benchmark, tls13Only bool, ev []check.Evidence) check.Finding {
	if tls13Only {
		return m.Result(check.Pass, a.Name, "--tls-cipher-suites is not set, but --tls-min-version=VersionTLS13 allows only "+
			"the TLS 1.3 suites, which are all strong", ev...)
	}
	ver, assumed := f.Version()
	about := "v" + ver.MinorString()
	if assumed {
		about += " (version unknown, newest assumed)"
	}
	allowlist := b.Name() + " allowlist (1.2.29)"
	if !ver.AtLeastMinor(1, 30) {
		return m.Result(check.Fail, a.Name, "--tls-cipher-suites is not set: kube-apiserver "+about+" was built with Go < 1.22, "+
			"whose default suites include RSA key exchange (no forward secrecy) and 3DES (Sweet32), outside the "+allowlist, ev...)
	}
	if !ver.AtLeastMinor(1, 32) {
		return m.Result(check.Warn, a.Name, "--tls-cipher-suites is not set: Kubernetes "+about+" (Go 1.22 defaults) offers 3DES, "+
			"outside the "+allowlist+", besides the ECDHE AES-CBC-SHA suites; set the allowlist explicitly or require TLS 1.3", ev...)
	}
	if allowsECDHECBC(b) {
		return m.Result(check.Pass, a.Name, "--tls-cipher-suites is not set: Go's default suites for kube-apiserver "+about+
			" (ECDHE with AES-GCM, ChaCha20-Poly1305 or AES-CBC-SHA, and TLS 1.3) are all in the "+allowlist+
			"; CIS 1.12 drops the ECDHE AES-CBC-SHA suites (--benchmark cis-1.12 warns), and an explicit list keeps "+
			"the set fixed when Go changes its defaults", ev...)
	}
	return m.Result(check.Warn, a.Name, "--tls-cipher-suites is not set: Go's default suites apply; they exclude RC4, 3DES and RSA "+
		"key exchange, but still offer the ECDHE AES-CBC-SHA suites, outside the "+allowlist+"; CIS 1.10 and 1.11 allow them "+
		"(--benchmark cis-1.11). Set the allowlist explicitly or require TLS 1.3", ev...)
}
