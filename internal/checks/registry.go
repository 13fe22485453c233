// Package checks is the one explicit list of apiguard's checks (no init()
// registration): a check exists when it is listed here.
package checks

import (
	"sort"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/checks/adminpower"
	"github.com/apiguard/apiguard/internal/checks/admission"
	"github.com/apiguard/apiguard/internal/checks/auditing"
	"github.com/apiguard/apiguard/internal/checks/authentication"
	"github.com/apiguard/apiguard/internal/checks/authorization"
	"github.com/apiguard/apiguard/internal/checks/network"
	"github.com/apiguard/apiguard/internal/checks/patching"
)

// All returns every check, sorted by ID.
func All() []check.Check {
	var all []check.Check
	for _, layer := range [][]check.Check{
		network.All(),
		authentication.All(),
		authorization.All(),
		admission.All(),
		auditing.All(),
		patching.All(),
		adminpower.All(),
	} {
		all = append(all, layer...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all
}

// ByID finds one check.
func ByID(id string) (check.Check, bool) {
	for _, c := range All() {
		if c.ID == id {
			return c, true
		}
	}
	return check.Check{}, false
}
