package admission

import "github.com/apiguard/apiguard/internal/check"

var alwaysAdmitMeta = check.Metadata{
	ID:       "AG-AUTHZ-005",
	Title:    "The AlwaysAdmit admission plugin is not enabled",
	Layer:    check.Authorization,
	Severity: check.High,
	Rationale: "AlwaysAdmit (deprecated, off by default) admits every request without looking at it. Because " +
		"every enabled plugin must admit a request it does not switch the others off, but it is how admission " +
		"control was historically disabled: --admission-control=AlwaysAdmit replaces the default list, so " +
		"NodeRestriction, ServiceAccount, PodSecurity, ResourceQuota and the webhooks and policies no longer " +
		"run and anyone with create rights meets no guard rail. Its presence marks an admission chain " +
		"configured to let everything through.",
	Remediation: "Remove AlwaysAdmit from --enable-admission-plugins (or from the deprecated --admission-control) " +
		"in the kube-apiserver manifest.",
	References: []check.Reference{
		{CIS: "1.2.10", Title: "Ensure that the admission control plugin AlwaysAdmit is not set"},
		{Title: "Admission controllers reference: AlwaysAdmit", URL: "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#alwaysadmit"},
	},
	Inputs: []check.Input{check.InputFlags},
}

var alwaysAdmitRule = Rule{
	Plugin:  "AlwaysAdmit",
	Enabled: false,
	Risk:    "every request is admitted without inspection by this plugin; remove it",
}

// AlwaysAdmitDisabled is CIS 1.2.10.
var AlwaysAdmitDisabled = alwaysAdmitRule.Check(alwaysAdmitMeta)
