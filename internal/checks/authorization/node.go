package authorization

import (
	"github.com/apiguard/apiguard/internal/check"
)

var nodeMeta = check.Metadata{
	ID:       "AG-AUTHZ-002",
	Title:    "The Node authorizer is enabled",
	Layer:    check.Authorization,
	Severity: check.High,
	Rationale: "The Node authorizer limits each kubelet (user system:node:<name> in group system:nodes) to the Secrets, " +
		"ConfigMaps, volumes and Pods bound to its own node. Without it kubelets need broad RBAC grants, so one " +
		"compromised node can read every Secret in the cluster. It works together with the NodeRestriction admission plugin.",
	Remediation: "Add Node before RBAC: --authorization-mode=Node,RBAC, or an authorizers entry {type: Node, name: node} " +
		"in the AuthorizationConfiguration.",
	References: []check.Reference{
		{CIS: "1.2.7", Title: "Ensure that the --authorization-mode argument includes Node"},
		{Title: "Using Node authorization", URL: "https://kubernetes.io/docs/reference/access-authn-authz/node/"},
	},
	Inputs: []check.Input{check.InputFlags, check.InputFiles},
}

// NodeAuthorizer is CIS 1.2.7, evaluated on the effective authorizer chain.
var NodeAuthorizer = check.PerServer(nodeMeta, requireAuthorizer(Node, "kubelets are not confined to their own node's objects"))
