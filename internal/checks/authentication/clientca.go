package authentication

import "github.com/apiguard/apiguard/internal/check"

var clientCAMeta = check.Metadata{
	ID:       "AG-AUTHN-003",
	Title:    "Client certificate authentication has a CA",
	Layer:    check.Authentication,
	Severity: check.Medium,
	Rationale: "--client-ca-file names the CAs whose client certificates kube-apiserver accepts (CN becomes the user, " +
		"O the groups). Without it the control-plane components and kubelets cannot authenticate with certificates, and " +
		"setups fall back to weaker shared credentials. Keep in mind that kube-apiserver has no CRL or OCSP support: an " +
		"x509 client certificate cannot be revoked and stays valid until it expires or its CA is rotated, so keep the CA " +
		"dedicated to the cluster and client certificates short-lived.",
	Remediation: "Set --client-ca-file=/etc/kubernetes/pki/ca.crt (kubeadm sets it) to a CA dedicated to this cluster; " +
		"issue short-lived client certificates and never O=system:masters ones outside break-glass.",
	References: []check.Reference{
		{CIS: "1.2.25", Title: "Ensure that the --client-ca-file argument is set as appropriate"},
		{Title: "X509 client certificates", URL: "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#x509-client-certificates"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// clientCARule is CIS 1.2.25's test: --client-ca-file has a value.
var clientCARule = check.FlagRule{
	Tests: []check.FlagTest{{Flag: "client-ca-file", Op: check.NotEq, Value: ""}},
	Pass: "client certificates are verified against {value}" +
		" (note: x509 client certificates cannot be revoked; they stay valid until they expire or the CA is rotated)",
	Fail: "--client-ca-file is not set: client certificate authentication is off",
}

// ClientCA is CIS 1.2.25.
var ClientCA = clientCARule.Check(clientCAMeta)
