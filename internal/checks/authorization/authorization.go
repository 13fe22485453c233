// Package authorization holds the checks of the authorization layer: the
// authorizer chain kube-apiserver builds from --authorization-config or the
// legacy --authorization-mode flags, and least privilege in the cluster's
// RBAC (the escalation risks each subject holds, bindings that are wrong in
// themselves). Admission plugins are in package admission.
package authorization

import "github.com/apiguard/apiguard/internal/check"

// All returns the layer's checks in ID order.
func All() []check.Check {
	return append([]check.Check{
		NoAlwaysAllow,
		NodeAuthorizer,
		RBACAuthorizer,
		WebhooksFailClosedNoABAC,
		UnusedPermissions,
	}, rbacChecks()...)
}
