package authorization

import (
	"fmt"
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

// requireAuthorizer judges each instance for a check that wants an authorizer
// type in the effective chain.
func requireAuthorizer(t, consequence string) check.ServerFunc {
	return func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
		c, nf := resolveChain(m, a, f)
		if nf != nil {
			return *nf
		}
		if az, ok := c.Has(t); ok {
			return m.Result(check.Pass, a.Name, fmt.Sprintf("the %s authorizer is enabled (%s, position %d of %s)%s",
				t, c.Where(), az.Index+1, strings.Join(c.Types(), ", "), c.startupNote()), c.Evidence...)
		}
		r := m.Result(check.Fail, a.Name, fmt.Sprintf("%s has no %s authorizer (chain %s): %s%s",
			c.Where(), t, strings.Join(c.Types(), ", "), consequence, c.startupNote()), c.Evidence...)
		if c.FromConfig {
			r.Location = &check.Location{File: c.Path, Line: c.Doc.Line("authorizers")}
		} else {
			r.Location = check.FlagLocation(c.Flag)
		}
		return r
	}
}
