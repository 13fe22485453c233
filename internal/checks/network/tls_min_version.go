package network

import (
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var tlsMinVersionMeta = check.Metadata{
	ID:       "AG-NET-002",
	Title:    "TLS 1.2 or newer is required",
	Layer:    check.Network,
	Severity: check.High,
	Rationale: "--tls-min-version=VersionTLS10 or VersionTLS11 lets clients negotiate TLS 1.0/1.1, which " +
		"are deprecated (RFC 8996): CBC constructions open to BEAST/POODLE-style and Lucky13 attacks and " +
		"SHA-1 based handshakes. An attacker in the network path can force a downgrade with a client that " +
		"offers only old versions and then attack the weaker protocol to read bearer tokens and secrets. " +
		"When the flag is unset kube-apiserver requires TLS 1.2 (a minimum built into k8s.io/apiserver, " +
		"independent of Go's default).",
	Remediation: "Remove --tls-min-version or set --tls-min-version=VersionTLS12 (or VersionTLS13 when every " +
		"client supports it) in the kube-apiserver manifest (kubeadm: apiServer.extraArgs tls-min-version: VersionTLS12).",
	References: []check.Reference{
		{Title: "kube-apiserver flags (--tls-min-version)", URL: "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/"},
		{Title: "RFC 8996: Deprecating TLS 1.0 and TLS 1.1", URL: "https://www.rfc-editor.org/rfc/rfc8996"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// tlsVersions are the values kube-apiserver accepts (k8s.io/component-base
// cli/flag TLSVersion), case-sensitive, with the protocol they name.
var tlsVersions = map[string]string{
	"VersionTLS10": "TLS 1.0", "VersionTLS11": "TLS 1.1", "VersionTLS12": "TLS 1.2", "VersionTLS13": "TLS 1.3",
}

const tlsVersionNames = "VersionTLS10, VersionTLS11, VersionTLS12, VersionTLS13"

// effectiveMinTLS is --tls-min-version as kube-apiserver applies it. Unset or
// blank means TLS 1.2: k8s.io/apiserver's secure serving sets MinVersion to
// TLS 1.2 itself (and cli/flag.TLSVersion("") returns TLS 1.2), so the Go
// release's own default never applies. The shared default table says TLS 1.0
// before v1.30; that is Go's default, not kube-apiserver's.
// defaulted reports that the built-in minimum applies.
func effectiveMinTLS(f *apiserverflags.Flags) (v apiserverflags.Value, defaulted bool) {
	v = f.Get("tls-min-version")
	if written(v) {
		v.Value = strings.TrimSpace(v.Value)
		return v, false
	}
	if v.Set {
		v.Source += " (blank: kube-apiserver's built-in TLS 1.2 minimum)"
	} else {
		v.Source = "not set: kube-apiserver's built-in minimum (k8s.io/apiserver secure serving), not Go's default"
	}
	v.Value = "VersionTLS12"
	return v, true
}

// TLSMinVersion requires TLS 1.2 or newer on the secure port.
var TLSMinVersion = check.PerServer(tlsMinVersionMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	v, defaulted := effectiveMinTLS(f)
	ev := check.FlagEvidence(v)
	proto, ok := tlsVersions[v.Value]
	switch {
	case !ok:
		return failAt(m, a.Name, "--tls-min-version="+v.Value+" is not a TLS version kube-apiserver accepts "+
			"(accepted values: "+tlsVersionNames+"; case-sensitive): it refuses to start", v, ev)
	case v.Value == "VersionTLS10" || v.Value == "VersionTLS11":
		return failAt(m, a.Name, "--tls-min-version="+v.Value+" accepts "+proto+
			" connections, which are deprecated (RFC 8996) and open to downgrade attacks", v, ev)
	case defaulted:
		return m.Result(check.Pass, a.Name, "--tls-min-version is not set: kube-apiserver requires TLS 1.2 or newer "+
			"by default (its own minimum, whatever the Go release)", ev)
	}
	return m.Result(check.Pass, a.Name, "kube-apiserver requires "+proto+" or newer (--tls-min-version="+v.Value+")", ev)
})
