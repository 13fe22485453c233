package authentication

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var requestHeaderMeta = check.Metadata{
	ID:       "AG-AUTHN-009",
	Title:    "Front-proxy (request-header) authentication only trusts named proxies",
	Layer:    check.Authentication,
	Severity: check.High,
	Rationale: "With --requestheader-client-ca-file, a client presenting a certificate signed by that CA may state any " +
		"identity in X-Remote-User / X-Remote-Group (the aggregation layer and authenticating proxies use this). " +
		"--requestheader-allowed-names limits this to certificates with the proxy's common name; left empty, every " +
		"certificate the CA ever signed can claim to be any user in any group, including system:masters. When the " +
		"request-header CA is also the client CA, every user's client certificate becomes an impersonation credential " +
		"(NCC-E003660-F9W); kube-apiserver refuses that combination from v1.35 (PR #131411).",
	Remediation: "Use a dedicated front-proxy CA that signs only the proxy's certificate and set " +
		"--requestheader-allowed-names=front-proxy-client (kubeadm's defaults: front-proxy-ca.crt and front-proxy-client).",
	References: []check.Reference{
		{Title: "Configure the aggregation layer: CA reuse and conflicts", URL: "https://kubernetes.io/docs/tasks/extend-kubernetes/configure-aggregation-layer/#ca-reusage-and-conflicts"},
		{Title: "Authenticating proxy", URL: "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#authenticating-proxy"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// RequestHeaderAllowedNames checks the front-proxy trust.
var RequestHeaderAllowedNames = check.PerServer(requestHeaderMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	rh := f.Get("requestheader-client-ca-file")
	if !rh.Set || rh.Value == "" {
		return m.Result(check.Pass, a.Name, "request-header (front-proxy) authentication is not configured", check.FlagEvidence(rh))
	}
	names := f.Get("requestheader-allowed-names")
	ca := f.Get("client-ca-file")
	ev := []check.Evidence{check.FlagEvidence(rh), check.FlagEvidence(names), check.FlagEvidence(ca)}
	samePath := ca.Value != "" && filepath.Clean(ca.Value) == filepath.Clean(rh.Value)
	allowed := names.List()
	if len(allowed) > 0 {
		if samePath {
			r := m.Result(check.Warn, a.Name, fmt.Sprintf("only certificates with CN %s may assert identities, but the request-header CA "+
				"is also --client-ca-file (%s): anyone who obtains a client certificate with that CN from the cluster CA (for "+
				"example through an approved CSR) can impersonate any user; use a dedicated front-proxy CA",
				strings.Join(allowed, ", "), rh.Value), ev...)
			r.Location = check.FlagLocation(rh)
			return r
		}
		return m.Result(check.Pass, a.Name, "only certificates with CN "+strings.Join(allowed, ", ")+
			" signed by "+rh.Value+" may assert X-Remote-User/X-Remote-Group", ev...)
	}
	if samePath {
		return fail(m, a, rh, fmt.Sprintf("the request-header CA is the client CA (%s) and --requestheader-allowed-names is empty: any "+
			"client certificate can impersonate anyone, including system:masters, by sending X-Remote-User/X-Remote-Group; %s",
			rh.Value, refusalByVersion(f)), ev...)
	}
	return fail(m, a, rh, fmt.Sprintf("--requestheader-allowed-names is empty: any certificate signed by %s may assert any "+
		"X-Remote-User/X-Remote-Group, including system:masters (if that bundle shares a certificate with --client-ca-file, %s)",
		rh.Value, refusalByVersion(f)), ev...)
})

// refusalByVersion states what kube-apiserver does when the request-header
// and client CA bundles overlap and no allowed names are set: v1.35 added a
// startup check (k8s.io/kubernetes pkg/kubeapiserver/options/authentication.go,
// BuiltInAuthenticationOptions.Validate, certificatesOverlap).
func refusalByVersion(f *apiserverflags.Flags) string {
	ver, assumed := f.Version()
	switch {
	case assumed:
		return "kube-apiserver v1.35 and later refuse to start with overlapping bundles and no allowed names; earlier versions accept it silently"
	case ver.AtLeast("1.35"):
		return fmt.Sprintf("kube-apiserver %s refuses to start with overlapping bundles and no allowed names", ver)
	default:
		return fmt.Sprintf("kube-apiserver %s accepts this silently (the startup check exists from v1.35)", ver)
	}
}
