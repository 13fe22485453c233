package check

import (
	"slices"

	"github.com/apiguard/apiguard/internal/inputs"
)

// Select returns the checks of all to run on s, in their order: those that
// apply to its Kubernetes version (Applicable), and of those, when its
// scope is less than a cluster, only the ones that read what it holds:
// RBAC dumps alone keep the RBAC checks; managed-cluster files alone, or
// a probe, keep the checks of the endpoint (when probed) and of the
// managed-cluster files (when given). The others would have nothing to
// read. Checks of an opt-in input (InputAuditUsage) run only when the
// snapshot holds it: a scan that did not ask for them does not report them.
func Select(all []Check, s *inputs.Snapshot) []Check {
	ran := Applicable(all, s)
	if s.AuditUsage == nil {
		ran = slices.DeleteFunc(slices.Clone(ran), func(c Check) bool { return slices.Contains(c.Inputs, InputAuditUsage) })
	}
	var reads []Input
	switch s.Cluster.Scope {
	case inputs.RBACOnly:
		reads = append(reads, InputRBAC)
	case inputs.CloudOnly, inputs.Exposure:
		if s.Endpoint != nil {
			reads = append(reads, InputEndpoint)
		}
		if len(s.Cloud) > 0 {
			reads = append(reads, InputCloud)
		}
	default:
		return ran
	}
	var out []Check
	for _, c := range ran {
		if slices.ContainsFunc(c.Inputs, func(in Input) bool { return slices.Contains(reads, in) }) {
			out = append(out, c)
		}
	}
	return out
}
