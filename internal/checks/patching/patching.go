// Package patching holds the checks of the patching layer: whether the
// kube-apiserver configuration belongs to a maintained release, as far as
// the command line tells.
package patching

import "github.com/apiguard/apiguard/internal/check"

// All returns the layer's checks in ID order.
func All() []check.Check {
	return []check.Check{
		NoLegacyFlags,
	}
}
