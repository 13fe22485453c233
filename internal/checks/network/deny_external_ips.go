package network

import (
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/checks/admission"
)

var denyExternalIPsMeta = check.Metadata{
	ID:       "AG-NET-011",
	Title:    "External IPs of Services are denied",
	Layer:    check.Network,
	Severity: check.Medium,
	Rationale: "Anyone allowed to create or update a Service can set spec.externalIPs to any address, and " +
		"kube-proxy then captures traffic to that address from every node and Pod: a cluster-wide " +
		"man-in-the-middle of another tenant's or an external service's traffic (CVE-2020-8554, unpatched by " +
		"design). The DenyServiceExternalIPs admission plugin (off by default) rejects new external IPs; " +
		"existing Services keep theirs until edited.",
	Remediation: "Add DenyServiceExternalIPs to --enable-admission-plugins (kubeadm: apiServer.extraArgs " +
		"enable-admission-plugins: NodeRestriction,DenyServiceExternalIPs), then remove externalIPs from existing " +
		"Services that do not need them. Clusters that need external IPs should instead restrict them with a " +
		"validating admission policy or webhook allowlist.",
	References: []check.Reference{
		{CIS: "1.2.3", Title: "Ensure that the --DenyServiceExternalIPs is set"},
		{Title: "CVE-2020-8554: man in the middle using LoadBalancer or ExternalIPs", URL: "https://github.com/kubernetes/kubernetes/issues/97076"},
		{Title: "Admission controllers reference: DenyServiceExternalIPs", URL: "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#denyserviceexternalips"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// denyExternalIPsRule: enabled is the secure state (a peer tool inverted this check).
var denyExternalIPsRule = admission.Rule{
	Plugin:  "DenyServiceExternalIPs",
	Enabled: true,
	Risk:    "anyone who can create or update a Service can set externalIPs and intercept traffic to those addresses (CVE-2020-8554)",
}

// DenyServiceExternalIPs is CIS 1.2.3.
var DenyServiceExternalIPs = denyExternalIPsRule.Check(denyExternalIPsMeta)
