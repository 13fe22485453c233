// Package patching holds the checks of the patching layer: whether
// kube-apiserver runs a supported, patched release without known CVEs
// (judged against the versions data), and whether its configuration still
// carries flags of releases long gone.
package patching

import "github.com/apiguard/apiguard/internal/check"

// All returns the layer's checks in ID order.
func All() []check.Check {
	return []check.Check{
		NoLegacyFlags,
		SupportedMinor,
		LatestPatch,
		KnownCVEs,
	}
}
