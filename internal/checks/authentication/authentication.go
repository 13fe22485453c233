// Package authentication holds the checks of the authentication layer: who
// kube-apiserver believes a request comes from (anonymous, static tokens,
// client certificates, ServiceAccount tokens, front proxies, OIDC/JWT).
package authentication

import "github.com/apiguard/apiguard/internal/check"

// All returns the layer's checks in ID order.
func All() []check.Check {
	return []check.Check{
		AnonymousAuth,
		NoTokenAuthFile,
		ClientCA,
		ServiceAccountLookup,
		ServiceAccountKeyFile,
		ServiceAccountExtendExpiration,
		KubeletClientCert,
		BootstrapTokenAuth,
		RequestHeaderAllowedNames,
		JWTAuthenticators,
		LegacyOIDC,
		LegacyServiceAccountTokens,
		BootstrapTokens,
		ClientCertificateCSRs,
	}
}
