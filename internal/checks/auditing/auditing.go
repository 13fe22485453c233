// Package auditing holds the checks of the audit-logging layer: whether
// kube-apiserver records who did what, keeps the record long enough to
// investigate an incident, and records anything at all (an audit policy).
package auditing

import "github.com/apiguard/apiguard/internal/check"

// All returns the layer's checks in ID order.
func All() []check.Check {
	return []check.Check{
		LogEnabled,
		LogMaxAge,
		LogMaxBackup,
		LogMaxSize,
		PolicyConfigured,
		LogFormat,
		WebhookBackend,
		LogBackend,
		PolicyLint,
	}
}
