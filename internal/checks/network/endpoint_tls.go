package network

import (
	"context"
	"strings"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var endpointTLSVersionsMeta = check.Metadata{
	ID:       "AG-NET-014",
	Title:    "The endpoint refuses TLS 1.0 and 1.1",
	Layer:    check.Network,
	Severity: check.High,
	Rationale: "Measured with one handshake per protocol version (minimum = maximum): what the endpoint really " +
		"accepts, whatever the flags say and wherever it runs (a load balancer in front of kube-apiserver, a " +
		"managed control plane). TLS 1.0 and 1.1 are deprecated (RFC 8996): they offer only CBC and RC4 " +
		"constructions and SHA-1 based handshakes, and an attacker on the path can force a client down to them " +
		"to attack bearer tokens in transit. An endpoint that speaks plain HTTP sends every token and object in clear.",
	Remediation: "Set --tls-min-version=VersionTLS12 (or VersionTLS13) on kube-apiserver, or remove a weaker " +
		"value (its built-in minimum is TLS 1.2; kubeadm: apiServer.extraArgs tls-min-version: VersionTLS12). " +
		"When a load balancer or proxy terminates TLS in front of it, set its TLS policy to TLS 1.2+ as well " +
		"(e.g. an ELBSecurityPolicy-TLS13-1-2-2021-06 listener policy).",
	References: []check.Reference{
		{Title: "RFC 8996: Deprecating TLS 1.0 and TLS 1.1", URL: "https://www.rfc-editor.org/rfc/rfc8996"},
		{Title: "kube-apiserver flags (--tls-min-version)", URL: "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/"},
	},
	Inputs: []check.Input{check.InputEndpoint},
}

// EndpointTLSVersions judges the protocol versions the endpoint accepted.
var EndpointTLSVersions = probeCheck(endpointTLSVersionsMeta, withEndpoint, func(m check.Metadata, e *inputs.Endpoint) check.Finding {
	src := probeSource(e)
	if e.TLS == nil {
		r := m.Result(check.Fail, e.URL, "the endpoint answers over plain HTTP: bearer tokens and every object cross the network in clear",
			check.Evidence{Key: "scheme", Value: "http", Source: src})
		r.Severity = check.Critical
		return r
	}
	if len(e.TLS.Versions) == 0 {
		return m.Result(check.NotAssessable, e.URL, "no protocol-version handshake was recorded")
	}
	var ev []check.Evidence
	var old, accepted []string
	for _, v := range e.TLS.Versions {
		val := "refused"
		if v.Accepted {
			val = "accepted"
			if v.CipherSuite != "" {
				val += " (" + v.CipherSuite + ")"
			}
			accepted = append(accepted, v.Version)
			if v.Version == "TLS 1.0" || v.Version == "TLS 1.1" {
				old = append(old, v.Version)
			}
		} else if v.Error != "" {
			val += " (" + v.Error + ")"
		}
		ev = append(ev, check.Evidence{Key: v.Version, Value: val, Source: src})
	}
	if len(old) > 0 {
		return m.Result(check.Fail, e.URL, "the endpoint accepts "+joinAnd(old)+" handshakes, deprecated protocols open to downgrade attacks", ev...)
	}
	if len(accepted) == 0 {
		return m.Result(check.NotAssessable, e.URL, "every protocol-version handshake failed: "+strings.TrimSpace(e.TLS.Error), ev...)
	}
	return m.Result(check.Pass, e.URL, "the endpoint refuses TLS 1.0 and 1.1 and accepts "+joinAnd(accepted), ev...)
})

var endpointWeakCiphersMeta = check.Metadata{
	ID:       "AG-NET-015",
	Title:    "The endpoint accepts no weak TLS cipher suite",
	Layer:    check.Network,
	Severity: check.Medium,
	Rationale: "Measured by offering each weak suite alone (TLS 1.2 and older; TLS 1.3 has no weak suites): RC4 " +
		"and 3DES are broken (RC4 biases, Sweet32); RSA key exchange has no forward secrecy, so one leaked server " +
		"key decrypts every recorded session and the tokens in it; CBC suites with HMAC-SHA256 are the ones Go " +
		"itself marks insecure (Lucky13-style timing), and ECDHE CBC suites with SHA-1 are legacy (CIS 1.2.29 " +
		"allows only ECDHE AES-GCM and ChaCha20 suites). A client that can be pushed to a weak suite exposes its " +
		"bearer token.",
	Remediation: "List strong suites only: --tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256," +
		"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384," +
		"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 (kubeadm: " +
		"apiServer.extraArgs tls-cipher-suites), or --tls-min-version=VersionTLS13. Apply the same policy on a " +
		"load balancer that terminates TLS in front of kube-apiserver.",
	References: []check.Reference{
		{CIS: "1.2.29", Title: "Ensure that the API Server only makes use of Strong Cryptographic Ciphers"},
		{Title: "Go crypto/tls: InsecureCipherSuites", URL: "https://pkg.go.dev/crypto/tls#InsecureCipherSuites"},
	},
	Inputs: []check.Input{check.InputEndpoint},
}

// weaknessText explains a weakness class.
var weaknessText = map[string]string{
	"rc4":        "RC4 (broken)",
	"3des":       "3DES (Sweet32)",
	"rsa-kex":    "RSA key exchange (no forward secrecy)",
	"cbc-sha256": "CBC with HMAC-SHA256 (Go marks it insecure)",
	"cbc-sha1":   "ECDHE with CBC and SHA-1 (legacy)",
}

// EndpointWeakCiphers judges the weak suites the endpoint accepted.
var EndpointWeakCiphers = check.Check{
	Metadata: endpointWeakCiphersMeta,
	Run: func(_ context.Context, s *inputs.Snapshot) []check.Finding {
		m := endpointWeakCiphersMeta
		e, na := withTLS(m, s)
		if na != nil {
			return na
		}
		if len(e.TLS.WeakSuites) == 0 {
			return []check.Finding{m.Result(check.NotAssessable, e.URL, "no cipher-suite handshake was recorded")}
		}
		src := probeSource(e)
		var ev []check.Evidence
		byClass := map[string][]string{}
		for _, c := range e.TLS.WeakSuites {
			if c.Accepted {
				byClass[c.Weakness] = append(byClass[c.Weakness], c.Name)
				ev = append(ev, check.Evidence{Key: c.Name, Value: "accepted (" + c.Version + "): " + weaknessText[c.Weakness], Source: src})
			}
		}
		if len(ev) == 0 {
			return []check.Finding{m.Result(check.Pass, e.URL, plural(len(e.TLS.WeakSuites), "weak suite was", "weak suites were")+
				" offered one at a time (RC4, 3DES, RSA key exchange, CBC): the endpoint refused each")}
		}
		// The ECDHE CBC-SHA suites are where CIS versions differ: 1.10 and
		// 1.11 allow them in 1.2.29, 1.12 does not (TLSCipherSuites).
		b := check.BenchmarkOf(s)
		var classes []string
		sev, status := check.Info, check.Warn
		for _, w := range []string{"rc4", "3des", "rsa-kex", "cbc-sha256", "cbc-sha1"} {
			if n := len(byClass[w]); n > 0 {
				text := plural(n, "suite", "suites") + " with " + weaknessText[w]
				switch w {
				case "rc4", "3des":
					sev, status = max(sev, check.High), check.Fail
				case "rsa-kex", "cbc-sha256":
					sev, status = max(sev, check.Medium), check.Fail
				default:
					if allowsECDHECBC(b) {
						text += ", which the " + b.Name() + " allowlist (1.2.29) allows"
						break
					}
					text += ", outside the " + b.Name() + " allowlist (1.2.29; CIS 1.10 and 1.11 allow them)"
					sev = max(sev, check.Low)
				}
				classes = append(classes, text)
			}
		}
		if sev == check.Info { // only ECDHE CBC-SHA suites, which this benchmark allows
			return []check.Finding{m.Result(check.Pass, e.URL, "of the weak suites tried, the endpoint accepts only "+joinAnd(classes)+
				"; CIS 1.12 drops them (--benchmark cis-1.12 warns)", ev...)}
		}
		r := m.Result(status, e.URL, "the endpoint accepts "+joinAnd(classes), ev...)
		r.Severity = sev
		return []check.Finding{r}
	},
}
