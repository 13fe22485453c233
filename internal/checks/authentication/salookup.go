package authentication

import (
	"context"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var saLookupMeta = check.Metadata{
	ID:       "AG-AUTHN-004",
	Title:    "Deleted ServiceAccounts' tokens are rejected",
	Layer:    check.Authentication,
	Severity: check.Medium,
	Rationale: "With --service-account-lookup=false kube-apiserver only checks a ServiceAccount token's signature, not " +
		"that the ServiceAccount (and, for bound tokens, its Pod or Secret) still exists. Deleting a compromised " +
		"ServiceAccount then does not stop its stolen tokens: they work until they expire, which for legacy Secret-based " +
		"tokens is never.",
	Remediation: "Remove --service-account-lookup=false (the default is true) or set --service-account-lookup=true.",
	References: []check.Reference{
		{CIS: "1.2.21", Title: "Ensure that the --service-account-lookup argument is set to true"},
		{Title: "kube-apiserver flags", URL: "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// ServiceAccountLookup is CIS 1.2.21.
var ServiceAccountLookup = check.Check{
	Metadata: saLookupMeta,
	Run: func(_ context.Context, s *inputs.Snapshot) []check.Finding {
		m := saLookupMeta
		return check.PerAPIServer(m, s, func(a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
			v := f.Get("service-account-lookup")
			on, bad := flagBool(m, a, v)
			if bad != nil {
				return *bad
			}
			if !on {
				return fail(m, a, v, "--service-account-lookup is false: tokens of deleted ServiceAccounts keep working until they expire", check.FlagEvidence(v))
			}
			return m.Result(check.Pass, a.Name, "ServiceAccount tokens are checked against existing ServiceAccounts", check.FlagEvidence(v))
		})
	},
}
