// Package admission holds the checks of kube-apiserver's admission plugins.
// Admission is the gate after authorization: once RBAC (or another authorizer)
// has allowed a request, the mutating and validating admission plugins decide
// whether the object may be written as requested, and with what defaults. They
// are where node self-modification is confined (NodeRestriction), where a
// namespace being deleted stops receiving objects (NamespaceLifecycle), and
// where cluster-wide guard rails such as event rate limits live. The checks
// read the effective plugin set (defaults + --enable-admission-plugins −
// --disable-admission-plugins, or the deprecated --admission-control list),
// so they belong to the authorization layer.
package admission

import "github.com/apiguard/apiguard/internal/check"

// All returns the package's checks in ID order.
func All() []check.Check {
	return []check.Check{
		AlwaysAdmitDisabled,
		NodeRestrictionEnabled,
		ServiceAccountEnabled,
		NamespaceLifecycleEnabled,
		EventRateLimitEnabled,
		AlwaysPullImagesEnabled,
	}
}
