package authentication

import "github.com/apiguard/apiguard/internal/check"

var saExtendMeta = check.Metadata{
	ID:       "AG-AUTHN-006",
	Title:    "ServiceAccount tokens are not silently extended",
	Layer:    check.Authentication,
	Severity: check.Low,
	Rationale: "With --service-account-extend-token-expiration (default true) the projected tokens the ServiceAccount " +
		"admission plugin injects into Pods (requested for 3607 seconds) are issued valid for up to one year instead, to ease " +
		"the migration from legacy tokens. A token exfiltrated from a Pod therefore stays usable for up to a year " +
		"(until the Pod or ServiceAccount is deleted, when lookup is on).",
	Remediation: "Once no workload uses a stale token (kube-apiserver metric serviceaccount_stale_tokens_total stays flat: " +
		"clients re-read the projected token the kubelet refreshes), set " +
		"--service-account-extend-token-expiration=false (kubeadm: apiServer.extraArgs service-account-extend-token-expiration: \"false\").",
	References: []check.Reference{
		{CIS: "1.2.30", Title: "Ensure that the --service-account-extend-token-expiration parameter is set to false"},
		{Title: "Bound service account tokens", URL: "https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#bound-service-account-token-volume"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// saExtendRule is CIS 1.2.30's test: --service-account-extend-token-expiration eq false.
var saExtendRule = check.FlagRule{
	Tests:   []check.FlagTest{{Flag: "service-account-extend-token-expiration", Op: check.Eq, Value: "false"}},
	Pass:    "injected ServiceAccount tokens keep their requested lifetime",
	Fail:    "admission-injected ServiceAccount tokens are extended to be valid for up to 1 year",
	Invalid: refusesToStart,
}

// ServiceAccountExtendExpiration is CIS 1.2.30.
var ServiceAccountExtendExpiration = saExtendRule.Check(saExtendMeta)
