package admission

import "github.com/apiguard/apiguard/internal/check"

var nodeRestrictionMeta = check.Metadata{
	ID:       "AG-AUTHZ-006",
	Title:    "The NodeRestriction admission plugin is enabled",
	Layer:    check.Authorization,
	Severity: check.High,
	Rationale: "The Node authorizer lets a kubelet write Node and Pod objects; only NodeRestriction limits it to " +
		"its own Node and the Pods bound to it, and stops it from setting node-restriction.kubernetes.io/ " +
		"labels and other protected labels. Without it, a compromised kubelet (a container escape on any " +
		"node) can modify or delete every Node and mirror Pod in the cluster, and label or taint its own " +
		"Node so that control-plane or sensitive workloads (and their Secrets) are scheduled onto it.",
	Remediation: "Add NodeRestriction to --enable-admission-plugins (kubeadm sets " +
		"--enable-admission-plugins=NodeRestriction) and keep Node in --authorization-mode.",
	References: []check.Reference{
		{CIS: "1.2.14", Title: "Ensure that the admission control plugin NodeRestriction is set"},
		{Title: "Admission controllers reference: NodeRestriction", URL: "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#noderestriction"},
	},
	Inputs: []check.Input{check.InputFlags},
}

var nodeRestrictionRule = Rule{
	Plugin:  "NodeRestriction",
	Enabled: true,
	Risk:    "a compromised kubelet can modify any Node or Pod and label itself to attract control-plane workloads",
}

// NodeRestrictionEnabled is CIS 1.2.14.
var NodeRestrictionEnabled = nodeRestrictionRule.Check(nodeRestrictionMeta)
