package admission

import "github.com/apiguard/apiguard/internal/check"

var alwaysPullImagesMeta = check.Metadata{
	ID:       "AG-AUTHZ-010",
	Title:    "The AlwaysPullImages admission plugin is enabled",
	Layer:    check.Authorization,
	Severity: check.Low,
	Rationale: "An image pulled with one tenant's registry credentials stays in the node's cache, and with " +
		"imagePullPolicy IfNotPresent or Never any other Pod scheduled to that node can start it without " +
		"credentials. AlwaysPullImages forces imagePullPolicy: Always, so the kubelet checks the pull " +
		"credentials every time. Trade-off: every Pod start contacts the registry (slower starts, Pods cannot " +
		"start during a registry outage, more egress). The kubelet's KubeletEnsureSecretPulledImages feature " +
		"(beta and on by default from v1.35) addresses the same risk without forcing pulls.",
	Remediation: "Add AlwaysPullImages to --enable-admission-plugins in multi-tenant clusters that use private " +
		"images, or document why the kubelet's credential verification for cached images is used instead.",
	References: []check.Reference{
		{CIS: "1.2.11", Title: "Ensure that the admission control plugin AlwaysPullImages is set"},
		{Title: "Admission controllers reference: AlwaysPullImages", URL: "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#alwayspullimages"},
	},
	Inputs: []check.Input{check.InputFlags},
}

var alwaysPullImagesRule = Rule{
	Plugin:  "AlwaysPullImages",
	Enabled: true,
	Risk:    "Pods may start private images cached on a node without the credentials to pull them",
}

// AlwaysPullImagesEnabled is CIS 1.2.11.
var AlwaysPullImagesEnabled = alwaysPullImagesRule.Check(alwaysPullImagesMeta)
