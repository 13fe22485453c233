package network

import (
	"context"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var profilingMeta = check.Metadata{
	ID:       "AG-NET-005",
	Title:    "Profiling endpoints are disabled",
	Layer:    check.Network,
	Severity: check.Medium,
	Rationale: "With --profiling (on by default) kube-apiserver serves /debug/pprof: heap, goroutine and CPU " +
		"profiles reveal internal state and let any caller allowed to GET non-resource URLs " +
		"load the server (CPU profiles run for as long as asked). Production servers do not need it.",
	Remediation: "Set --profiling=false in the kube-apiserver manifest (kubeadm: apiServer.extraArgs profiling: \"false\").",
	References: []check.Reference{
		{CIS: "1.2.15", Title: "Ensure that the --profiling argument is set to false"},
		{Title: "kube-apiserver flags", URL: "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// ProfilingDisabled is CIS 1.2.15.
var ProfilingDisabled = check.Check{
	Metadata: profilingMeta,
	Run: func(_ context.Context, s *inputs.Snapshot) []check.Finding {
		m := profilingMeta
		return check.PerAPIServer(m, s, func(a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
			v := f.Get("profiling")
			ev := check.FlagEvidence(v)
			on, err := v.Bool()
			if err != nil {
				return m.Result(check.Fail, a.Name, err.Error(), ev)
			}
			if on {
				r := m.Result(check.Fail, a.Name, "profiling is enabled: /debug/pprof is served", ev)
				r.Location = check.FlagLocation(v)
				return r
			}
			return m.Result(check.Pass, a.Name, "profiling is disabled", ev)
		})
	},
}
