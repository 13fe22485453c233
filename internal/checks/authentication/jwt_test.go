package authentication

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

const jwtHead = `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
`

const jwtSafe = `- issuer:
    url: https://issuer.example.com
    audiences: [kubernetes]
  claimMappings:
    username:
      claim: sub
      prefix: "oidc:"
    groups:
      claim: groups
      prefix: "oidc:"
`

const jwtNoPrefix = `- issuer:
    url: https://idp.example.com
    audiences: [kubernetes]
  claimMappings:
    username:
      claim: email
      prefix: ""
    groups:
      claim: groups
      prefix: ""
`

const guardRules = `  userValidationRules:
  - expression: "!user.username.startsWith('system:')"
    message: no system users
  - expression: "user.groups.all(g, !g.startsWith('system:'))"
    message: no system groups
`

func TestJWTAuthenticators(t *testing.T) {
	ct.Table(t, JWTAuthenticators, []ct.Case{
		{Name: "no authentication-config", Snap: ct.Snapshot(), Want: check.Pass, Contains: "no JWT authenticator configured"},
		{Name: "config without jwt", Snap: authn("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\nanonymous:\n  enabled: false\n"), Want: check.Pass, Contains: "no JWT authenticator configured"},
		{Name: "prefixed claims", Snap: authn(jwtHead + jwtSafe), Want: check.Pass, Contains: "https://issuer.example.com: ok"},
		{Name: "empty prefixes", Snap: authn(jwtHead + jwtNoPrefix), Want: check.Fail, Contains: "system:masters"},
		{Name: "empty prefixes, guarded", Snap: authn(jwtHead + jwtNoPrefix + guardRules), Want: check.Pass},
		{Name: "only username guarded", Snap: authn(jwtHead + jwtNoPrefix + "  userValidationRules:\n  - expression: \"!user.username.startsWith('system:')\"\n"), Want: check.Fail, Contains: "claimMappings.groups"},
		{Name: "prefix sys can spell system:", Snap: authn(jwtHead + strings.Replace(jwtSafe, `prefix: "oidc:"`+"\n    groups", `prefix: "sys"`+"\n    groups", 1)), Want: check.Fail, Contains: "claimMappings.username"},
		{Name: "prefix system: itself", Snap: authn(jwtHead + strings.ReplaceAll(jwtSafe, `"oidc:"`, `"system:"`)), Want: check.Fail},
		{Name: "http issuer", Snap: authn(jwtHead + strings.Replace(jwtSafe, "https://issuer", "http://issuer", 1)), Want: check.Fail, Contains: "not https"},
		{Name: "no audiences", Snap: authn(jwtHead + strings.Replace(jwtSafe, "audiences: [kubernetes]", "audiences: []", 1)), Want: check.Fail, Contains: "audiences is empty"},
		{Name: "claim without prefix", Snap: authn(jwtHead + "- issuer:\n    url: https://a.example.com\n    audiences: [k]\n  claimMappings:\n    username:\n      claim: sub\n"), Want: check.Fail, Contains: "prefix is required"},
		{Name: "expression unguarded warns", Snap: authn(jwtHead + "- issuer:\n    url: https://a.example.com\n    audiences: [k]\n  claimMappings:\n    username:\n      expression: \"'oidc:' + claims.sub\"\n    groups:\n      expression: claims.groups\n"), Want: check.Warn, Contains: "CEL expression"},
		{Name: "expression guarded", Snap: authn(jwtHead + "- issuer:\n    url: https://a.example.com\n    audiences: [k]\n  claimMappings:\n    username:\n      expression: \"'oidc:' + claims.sub\"\n    groups:\n      expression: claims.groups\n" + guardRules), Want: check.Pass},
		{Name: "issuer equals service-account-issuer", Snap: authn(jwtHead+jwtSafe, "--service-account-issuer=https://kubernetes.default.svc", "--service-account-issuer=https://issuer.example.com"), Want: check.Fail, Contains: "--service-account-issuer"},
		{Name: "several issuers summarised", Snap: authn(jwtHead + jwtSafe + jwtNoPrefix), Want: check.Fail, Contains: "https://issuer.example.com: ok; https://idp.example.com:"},
		{Name: "v1beta1", Snap: authn(strings.Replace(jwtHead, "/v1\n", "/v1beta1\n", 1) + jwtNoPrefix), Want: check.Fail},
		{Name: "v1alpha1", Snap: authn(strings.Replace(jwtHead, "/v1\n", "/v1alpha1\n", 1) + jwtSafe), Want: check.Pass},
		{Name: "unknown field", Snap: authn(jwtHead + strings.Replace(jwtSafe, "audiences:", "audience:", 1)), Want: check.Fail, Contains: "authn.yaml:6"},
		{Name: "v1alpha1 on v1.29 without gate", Snap: ct.Version(authn(strings.Replace(jwtHead, "/v1\n", "/v1alpha1\n", 1)+jwtSafe), "v1.29.3"), Want: check.Fail, Contains: "StructuredAuthenticationConfiguration=true"},
		{Name: "v1alpha1 on v1.29 with gate", Snap: ct.Version(authn(strings.Replace(jwtHead, "/v1\n", "/v1alpha1\n", 1)+jwtSafe, "--feature-gates=StructuredAuthenticationConfiguration=true"), "v1.29.3"), Want: check.Pass},
		{Name: "unreadable", Snap: ct.Unavailable(ct.Snapshot(authnFlag), "authentication-config", "no such file"), Want: check.NotAssessable},
		managed(),
	})
}

func TestJWTEvidence(t *testing.T) {
	f := ct.One(t, JWTAuthenticators, authn(jwtHead+jwtSafe+jwtNoPrefix))
	if f.Severity != check.High {
		t.Fatalf("severity = %s", f.Severity)
	}
	if f.Location == nil || f.Location.File != "/etc/kubernetes/authn.yaml" || f.Location.Line != 20 {
		t.Fatalf("location = %+v", f.Location)
	}
	if e := ct.Evidence(t, f, "jwt[1].claimMappings.groups"); e.Source != "/etc/kubernetes/authn.yaml:22" || !strings.Contains(e.Value, `prefix ""`) {
		t.Fatalf("evidence = %+v", e)
	}
	if e := ct.Evidence(t, f, "jwt[1].claimMappings.username.claim"); !strings.Contains(e.Value, "email_verified") {
		t.Fatalf("email note = %+v", e)
	}
	if !strings.Contains(f.Message, "authn.yaml:20") {
		t.Fatalf("message has no file:line: %s", f.Message)
	}
}

func TestLegacyOIDC(t *testing.T) {
	iss := "--oidc-issuer-url=https://idp.example.com"
	cid := "--oidc-client-id=kubernetes"
	ct.Table(t, LegacyOIDC, []ct.Case{
		{Name: "not configured", Snap: ct.Snapshot(), Want: check.Pass},
		{Name: "issuer and client id", Snap: ct.Snapshot(iss, cid), Want: check.Pass},
		{Name: "groups without prefix", Snap: ct.Snapshot(iss, cid, "--oidc-groups-claim=groups"), Want: check.Fail, Contains: "system:masters"},
		{Name: "groups with prefix", Snap: ct.Snapshot(iss, cid, "--oidc-groups-claim=groups", "--oidc-groups-prefix=oidc:"), Want: check.Pass},
		{Name: "groups prefix, last empty wins", Snap: ct.Snapshot(iss, cid, "--oidc-groups-claim=groups", "--oidc-groups-prefix=oidc:", "--oidc-groups-prefix="), Want: check.Fail},
		{Name: "groups prefix dash is literal", Snap: ct.Snapshot(iss, cid, "--oidc-groups-claim=groups", "--oidc-groups-prefix=-"), Want: check.Pass},
		{Name: "groups prefix system:", Snap: ct.Snapshot(iss, cid, "--oidc-groups-claim=groups", "--oidc-groups-prefix=system:"), Want: check.Fail},
		{Name: "username prefix dash with mutable claim", Snap: ct.Snapshot(iss, cid, "--oidc-username-claim=preferred_username", "--oidc-username-prefix=-"), Want: check.Warn, Contains: "preferred_username"},
		{Name: "username prefix dash with sub", Snap: ct.Snapshot(iss, cid, "--oidc-username-prefix=-"), Want: check.Pass},
		{Name: "http issuer", Snap: ct.Snapshot("--oidc-issuer-url=http://idp.example.com", cid), Want: check.Fail, Contains: "not https"},
		{Name: "no client id", Snap: ct.Snapshot(iss), Want: check.Fail, Contains: "--oidc-client-id"},
		{Name: "oidc flags without issuer", Snap: ct.Snapshot(cid, "--oidc-groups-claim=groups"), Want: check.Fail, Contains: "refuses to start"},
		{Name: "with authentication-config", Snap: authn(jwtHead+jwtSafe, iss, cid), Want: check.Fail, Contains: "mutually exclusive"},
		{Name: "with authentication-config without jwt", Snap: authn("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\n", iss, cid), Want: check.Fail, Contains: "whatever the file contains"},
		managed(),
	})
}
