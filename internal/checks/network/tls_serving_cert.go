package network

import (
	"context"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var tlsServingCertMeta = check.Metadata{
	ID:       "AG-NET-004",
	Title:    "kube-apiserver serves TLS with its own certificate and key",
	Layer:    check.Network,
	Severity: check.Medium,
	Rationale: "Without --tls-cert-file and --tls-private-key-file kube-apiserver serves whatever apiserver.crt/.key " +
		"it finds in --cert-dir (default /var/run/kubernetes) or, when there is none, a self-signed " +
		"certificate it generates at start-up. Clients cannot verify a self-signed certificate against the " +
		"cluster CA, so they end up with insecure-skip-tls-verify and anyone in the network path can " +
		"impersonate the API server and collect credentials. Setting only one of the two flags stops the " +
		"server from starting (\"missing filename for serving cert\").",
	Remediation: "Issue a serving certificate from the cluster CA with the API server's names and addresses as SANs " +
		"and set both --tls-cert-file=<cert> and --tls-private-key-file=<key> (kubeadm does this: " +
		"/etc/kubernetes/pki/apiserver.crt and apiserver.key).",
	References: []check.Reference{
		{CIS: "1.2.24", Title: "Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate"},
		{Title: "PKI certificates and requirements", URL: "https://kubernetes.io/docs/setup/best-practices/certificates/"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// TLSServingCert is CIS 1.2.24.
var TLSServingCert = check.Check{
	Metadata: tlsServingCertMeta,
	Run: func(_ context.Context, s *inputs.Snapshot) []check.Finding {
		m := tlsServingCertMeta
		return check.PerAPIServer(m, s, func(a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
			return pairFinding(m, a, f, "tls-cert-file", "tls-private-key-file",
				"kube-apiserver serves its own certificate and key",
				"neither --tls-cert-file nor --tls-private-key-file is set: kube-apiserver serves apiserver.crt/.key from "+
					"--cert-dir or a self-signed certificate it generates, which clients cannot verify",
				"kube-apiserver refuses to start (\"missing filename for serving cert\")")
		})
	},
}

// pairFinding judges two flags that must be set together (a certificate and
// its key): both ⇒ pass, neither ⇒ fail with none, one ⇒ fail with one.
func pairFinding(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags, first, second, pass, none, one string) check.Finding {
	v1, v2 := f.Get(first), f.Get(second)
	ev := []check.Evidence{check.FlagEvidence(v1), check.FlagEvidence(v2)}
	has1, has2 := written(v1), written(v2)
	switch {
	case has1 && has2:
		return m.Result(check.Pass, a.Name, pass, ev...)
	case !has1 && !has2:
		// Point at whichever was written blank, if any.
		at := v1
		if !v1.Set {
			at = v2
		}
		return failAt(m, a.Name, none, at, ev...)
	case has1:
		return failAt(m, a.Name, v1.Key()+" is set without "+v2.Key()+": "+one, v1, ev...)
	default:
		return failAt(m, a.Name, v2.Key()+" is set without "+v1.Key()+": "+one, v2, ev...)
	}
}
