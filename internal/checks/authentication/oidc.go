package authentication

import (
	"net/url"
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var oidcMeta = check.Metadata{
	ID:       "AG-AUTHN-011",
	Title:    "Legacy OIDC flags cannot mint privileged identities",
	Layer:    check.Authentication,
	Severity: check.High,
	Rationale: "The --oidc-* flags configure one OpenID Connect issuer. Groups from --oidc-groups-claim are used verbatim " +
		"unless --oidc-groups-prefix is set, so whoever controls group membership at the identity provider can put a " +
		"user in system:masters, which bypasses RBAC and authorization webhooks. --oidc-username-prefix=- removes the " +
		"issuer prefix from usernames, letting a mutable claim such as preferred_username spell system: names. The " +
		"issuer must be https and --oidc-client-id is required. The flags cannot be combined with --authentication-config.",
	Remediation: "Set --oidc-groups-prefix=oidc: (and keep --oidc-username-prefix unset or set to a non-system value such as oidc:), " +
		"or better, move the issuer to a jwt entry of --authentication-config with prefixes and userValidationRules (AG-AUTHN-010) " +
		"and remove every --oidc-* flag.",
	References: []check.Reference{
		{Title: "OpenID Connect tokens", URL: "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#openid-connect-tokens"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// oidcFlags are the flags kube-apiserver tracks as "OIDC flags set"
// (pkg/kubeapiserver/options/authentication.go, trackProvidedFlag).
var oidcFlags = []string{
	"oidc-issuer-url", "oidc-client-id", "oidc-ca-file", "oidc-username-claim", "oidc-username-prefix",
	"oidc-groups-claim", "oidc-groups-prefix", "oidc-signing-algs", "oidc-required-claim",
}

// LegacyOIDC checks the --oidc-* flags.
var LegacyOIDC = check.PerServer(oidcMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	var set []string
	var ev []check.Evidence
	var first apiserverflags.Value
	for _, name := range oidcFlags {
		if f.IsSet(name) {
			v := f.Get(name)
			if len(set) == 0 {
				first = v
			}
			set = append(set, v.Key())
			ev = append(ev, check.FlagEvidence(v))
		}
	}
	issuer := f.Get("oidc-issuer-url")
	if len(set) == 0 {
		return m.Result(check.Pass, a.Name, "legacy OIDC authentication is not configured", check.FlagEvidence(issuer))
	}
	if ac := f.Get("authentication-config"); ac.Set && ac.Value != "" {
		ev = append(ev, check.FlagEvidence(ac))
		return fail(m, a, first, strings.Join(set, ", ")+" set together with --authentication-config: kube-apiserver refuses to start "+
			"(\"authentication-config file and oidc-* flags are mutually exclusive\", checked whatever the file contains); "+
			"move the issuer into a jwt entry of the file", ev...)
	}
	if issuer.Value == "" {
		return fail(m, a, first, strings.Join(set, ", ")+" set without --oidc-issuer-url: kube-apiserver refuses to start "+
			"(oidc-issuer-url and oidc-client-id must be specified together)", ev...)
	}
	var fails, warns []string
	if u, err := url.Parse(issuer.Value); err != nil || u.Scheme != "https" {
		fails = append(fails, "--oidc-issuer-url is not https (kube-apiserver refuses to start)")
	}
	if f.Get("oidc-client-id").Value == "" {
		fails = append(fails, "--oidc-client-id is not set (kube-apiserver refuses to start; it is the audience every token must carry)")
	}
	loc := issuer
	if gc := f.Get("oidc-groups-claim"); gc.Value != "" {
		gp := f.Get("oidc-groups-prefix")
		switch {
		case !gp.Set || gp.Value == "":
			fails = append(fails, "--oidc-groups-claim="+gc.Value+" without --oidc-groups-prefix: groups are used verbatim, so the identity provider can assert system:masters")
			loc = gc
		case dangerousPrefix(gp.Value):
			fails = append(fails, "--oidc-groups-prefix="+gp.Value+" can spell system: groups such as system:masters")
			loc = gp
		case gp.Value == "-":
			ev = append(ev, check.Evidence{Key: "note", Value: "\"-\" is not special for --oidc-groups-prefix (only for the username prefix): groups become \"-<group>\"", Source: gp.Source})
		}
	}
	claim := f.Get("oidc-username-claim").Value
	if claim == "" {
		claim = "sub"
	}
	up := f.Get("oidc-username-prefix")
	switch {
	case up.Value == "-" && claim != "sub" && claim != "email":
		warns = append(warns, "--oidc-username-prefix=- with --oidc-username-claim="+claim+": usernames are the raw claim, which the user may be able to change (e.g. to system:kube-controller-manager)")
		if len(fails) == 0 {
			loc = up
		}
	case up.Value != "" && up.Value != "-" && dangerousPrefix(up.Value):
		fails = append(fails, "--oidc-username-prefix="+up.Value+" can spell system: usernames")
		loc = up
	}
	switch {
	case len(fails) > 0:
		return fail(m, a, loc, strings.Join(append(fails, warns...), "; "), ev...)
	case len(warns) > 0:
		r := m.Result(check.Warn, a.Name, strings.Join(warns, "; "), ev...)
		r.Location = check.FlagLocation(loc)
		return r
	}
	return m.Result(check.Pass, a.Name, "legacy OIDC issuer "+issuer.Value+" maps usernames and groups with prefixes that cannot spell system: names", ev...)
})
