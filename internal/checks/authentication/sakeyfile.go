package authentication

import (
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var saKeyFileMeta = check.Metadata{
	ID:       "AG-AUTHN-005",
	Title:    "ServiceAccount token verification keys are set",
	Layer:    check.Authentication,
	Severity: check.Medium,
	Rationale: "--service-account-key-file lists the public keys that verify ServiceAccount tokens. A dedicated key pair " +
		"(private half in --service-account-signing-key-file) can be rotated on its own schedule. Older kube-apiserver " +
		"releases silently fell back to --tls-private-key-file, tying every ServiceAccount token to the serving key: " +
		"rotating the serving certificate broke all tokens, and anyone holding the serving key could mint tokens. " +
		"kube-apiserver v1.36 no longer falls back and refuses to start without --service-account-key-file or " +
		"--service-account-signing-endpoint.",
	Remediation: "Set --service-account-key-file=/etc/kubernetes/pki/sa.pub and --service-account-signing-key-file=/etc/kubernetes/pki/sa.key " +
		"(kubeadm sets both) with a key pair used for nothing else; list the old public key as a second --service-account-key-file during rotation.",
	References: []check.Reference{
		{CIS: "1.2.22", Title: "Ensure that the --service-account-key-file argument is set as appropriate"},
		{Title: "Managing service accounts", URL: "https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// ServiceAccountKeyFile is CIS 1.2.22.
var ServiceAccountKeyFile = check.PerServer(saKeyFileMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	var keys []string
	var ev []check.Evidence
	for _, v := range f.GetRepeatable("service-account-key-file") {
		ev = append(ev, check.FlagEvidence(v))
		if v.Value != "" {
			keys = append(keys, v.Value)
		}
	}
	kv := f.Get("service-account-key-file")
	if len(ev) == 0 {
		ev = append(ev, check.FlagEvidence(kv))
	}
	endpoint := f.Get("service-account-signing-endpoint")
	if endpoint.Set && endpoint.Value != "" {
		ev = append(ev, check.FlagEvidence(endpoint))
		if len(keys) > 0 {
			return fail(m, a, endpoint, "--service-account-key-file and --service-account-signing-endpoint are mutually exclusive: kube-apiserver refuses to start", ev...)
		}
		return m.Result(check.Pass, a.Name, "ServiceAccount token keys come from the external signer at "+endpoint.Value, ev...)
	}
	if len(keys) == 0 {
		tls := f.Get("tls-private-key-file")
		ev = append(ev, check.FlagEvidence(tls))
		return fail(m, a, kv, "--service-account-key-file is not set: kube-apiserver v1.36 refuses to start without it "+
			"(or --service-account-signing-endpoint); releases that still had the fallback verified ServiceAccount tokens "+
			"with --tls-private-key-file, tying them to the serving key", ev...)
	}
	return m.Result(check.Pass, a.Name, "ServiceAccount tokens are verified with "+strings.Join(keys, ", "), ev...)
})
