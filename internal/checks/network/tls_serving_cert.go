package network

import "github.com/apiguard/apiguard/internal/check"

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

// tlsServingCertRule is CIS 1.2.24's test: --tls-cert-file and --tls-private-key-file are set.
var tlsServingCertRule = check.FlagRule{
	Tests: []check.FlagTest{{Flag: "tls-cert-file", Op: check.Set}, {Flag: "tls-private-key-file", Op: check.Set}},
	Pass:  "kube-apiserver serves its own certificate and key",
	Fail: "neither --tls-cert-file nor --tls-private-key-file is set: kube-apiserver serves apiserver.crt/.key from " +
		"--cert-dir or a self-signed certificate it generates, which clients cannot verify",
	Partial: "{set} is set without {unset}: kube-apiserver refuses to start (\"missing filename for serving cert\")",
}

// TLSServingCert is CIS 1.2.24.
var TLSServingCert = tlsServingCertRule.Check(tlsServingCertMeta)
