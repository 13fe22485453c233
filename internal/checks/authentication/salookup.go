package authentication

import "github.com/apiguard/apiguard/internal/check"

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

// saLookupRule is CIS 1.2.21's test: --service-account-lookup eq true.
var saLookupRule = check.FlagRule{
	Tests:   []check.FlagTest{{Flag: "service-account-lookup", Op: check.Eq, Value: "true"}},
	Pass:    "ServiceAccount tokens are checked against existing ServiceAccounts",
	Fail:    "--service-account-lookup is false: tokens of deleted ServiceAccounts keep working until they expire",
	Invalid: refusesToStart,
}

// ServiceAccountLookup is CIS 1.2.21.
var ServiceAccountLookup = saLookupRule.Check(saLookupMeta)
