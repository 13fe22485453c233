package authorization

import (
	"github.com/apiguard/apiguard/internal/check"
)

var rbacMeta = check.Metadata{
	ID:       "AG-AUTHZ-003",
	Title:    "The RBAC authorizer is enabled",
	Layer:    check.Authorization,
	Severity: check.High,
	Rationale: "RBAC is the authorizer the rest of Kubernetes assumes: the built-in ClusterRoles and bindings of the " +
		"control-plane components, ServiceAccount permissions and every Role users create only take effect through it. " +
		"Without it authorization falls to ABAC, a webhook or AlwaysAllow, and least-privilege Roles are dead letters.",
	Remediation: "Add RBAC: --authorization-mode=Node,RBAC, or an authorizers entry {type: RBAC, name: rbac} in the AuthorizationConfiguration.",
	References: []check.Reference{
		{CIS: "1.2.8", Title: "Ensure that the --authorization-mode argument includes RBAC"},
		{Title: "Using RBAC authorization", URL: "https://kubernetes.io/docs/reference/access-authn-authz/rbac/"},
	},
	Inputs: []check.Input{check.InputFlags, check.InputFiles},
}

// RBACAuthorizer is CIS 1.2.8, evaluated on the effective authorizer chain.
var RBACAuthorizer = check.PerServer(rbacMeta, requireAuthorizer(RBAC, "Roles and RoleBindings have no effect"))
