package network

import (
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/versions"
)

// written reports whether a flag was written with a non-blank value: kube-apiserver
// treats "--etcd-cafile=" like an absent flag.
func written(v apiserverflags.Value) bool {
	return v.Set && strings.TrimSpace(v.Value) != ""
}

// occurrenceWith returns the last occurrence of a list flag with an item that
// matches (to place a finding on the right line), else the last occurrence
// and false.
func occurrenceWith(f *apiserverflags.Flags, name string, match func(item string) bool) (apiserverflags.Value, bool) {
	occ := f.All(name)
	for i := len(occ) - 1; i >= 0; i-- {
		for _, x := range occ[i].List() {
			if match(x) {
				return occ[i], true
			}
		}
	}
	if len(occ) > 0 {
		return occ[len(occ)-1], false
	}
	return apiserverflags.Value{}, false
}

// failAt is a failing finding placed at the flag's line.
func failAt(m check.Metadata, resource, msg string, at apiserverflags.Value, ev ...check.Evidence) check.Finding {
	r := m.Result(check.Fail, resource, msg, ev...)
	r.Location = check.FlagLocation(at)
	return r
}

// versionOf is the version whose defaults apply to f.
func versionOf(f *apiserverflags.Flags) versions.Version {
	v, _ := f.Version()
	return v
}

func itoa(n int) string { return strconv.Itoa(n) }
