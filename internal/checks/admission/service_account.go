package admission

import "github.com/apiguard/apiguard/internal/check"

var serviceAccountMeta = check.Metadata{
	ID:       "AG-AUTHZ-007",
	Title:    "The ServiceAccount admission plugin is enabled",
	Layer:    check.Authorization,
	Severity: check.Medium,
	Rationale: "The ServiceAccount plugin (on by default) assigns every Pod a service account, rejects Pods that " +
		"name a service account that does not exist, and mounts bound, expiring, audience-scoped tokens " +
		"through the projected volume. Without it Pods can reference arbitrary or missing service accounts " +
		"and token handling falls back to whatever the Pod spec says, which breaks the assumptions RBAC " +
		"bindings to service accounts rely on.",
	Remediation: "Remove ServiceAccount from --disable-admission-plugins (or add it to the deprecated " +
		"--admission-control list) in the kube-apiserver manifest.",
	References: []check.Reference{
		{CIS: "1.2.12", Title: "Ensure that the admission control plugin ServiceAccount is set"},
		{Title: "Admission controllers reference: ServiceAccount", URL: "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#serviceaccount"},
	},
	Inputs: []check.Input{check.InputFlags},
}

var serviceAccountRule = Rule{
	Plugin:  "ServiceAccount",
	Enabled: true,
	Risk:    "Pods are not tied to existing service accounts and do not get bound service account tokens automatically",
}

// ServiceAccountEnabled is CIS 1.2.12.
var ServiceAccountEnabled = serviceAccountRule.Check(serviceAccountMeta)
