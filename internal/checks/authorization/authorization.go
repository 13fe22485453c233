// Package authorization holds the checks of the authorization layer: the
// authorizer chain kube-apiserver builds from --authorization-config or the
// legacy --authorization-mode flags. Admission plugins are in package admission.
package authorization

import "github.com/apiguard/apiguard/internal/check"

// All returns the layer's checks in ID order.
func All() []check.Check {
	return []check.Check{
		NoAlwaysAllow,
		NodeAuthorizer,
		RBACAuthorizer,
		WebhooksFailClosedNoABAC,
	}
}
