package network

import "github.com/apiguard/apiguard/internal/check"

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

// profilingRule is kube-bench's test of CIS 1.2.15: --profiling eq false.
var profilingRule = check.FlagRule{
	Tests: []check.FlagTest{{Flag: "profiling", Op: check.Eq, Value: "false"}},
	Pass:  "profiling is disabled",
	Fail:  "profiling is enabled: /debug/pprof is served",
}

// ProfilingDisabled is CIS 1.2.15.
var ProfilingDisabled = profilingRule.Check(profilingMeta)
