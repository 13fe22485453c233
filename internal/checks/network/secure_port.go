package network

import (
	"fmt"
	"strconv"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var securePortMeta = check.Metadata{
	ID:       "AG-NET-021",
	Title:    "The secure port is one kube-apiserver accepts",
	Layer:    check.Network,
	Severity: check.Medium,
	Rationale: "--secure-port (default 6443) is the one port kube-apiserver serves its API on, over TLS with " +
		"authentication and authorization. Unlike generic API servers, kube-apiserver cannot switch it off: " +
		"it builds its serving options with Required set, so SecureServingOptions.Validate (k8s.io/apiserver) " +
		"refuses 0 (\"It cannot be switched off with 0\") and any value outside 1-65535, and pflag refuses a " +
		"value that is not an integer; kube-apiserver then exits at startup. Older CIS benchmarks and " +
		"kubescape's rule treat --secure-port=0 as \"secure serving disabled\"; the truth is a control plane " +
		"that does not start, which a manifest check should say before a rollout does.",
	Remediation: "Remove --secure-port to use 6443, or set it to the port clients and the load balancer use " +
		"(kubeadm: localAPIEndpoint.bindPort in InitConfiguration).",
	References: []check.Reference{
		{Title: "kube-apiserver flags (--secure-port)", URL: "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/"},
		{Title: "Controlling access to the Kubernetes API: API server ports and IPs", URL: "https://kubernetes.io/docs/concepts/security/controlling-access/#api-server-ports-and-ips"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// SecurePort: --secure-port must be a port in 1-65535; kube-apiserver refuses
// 0 (k8s.io/kubernetes pkg/kubeapiserver/options NewSecureServingOptions
// sets Required: true; k8s.io/apiserver pkg/server/options serving.go
// Validate) and values pflag cannot parse.
var SecurePort = check.PerServer(securePortMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	v := f.Get("secure-port")
	ev := check.FlagEvidence(v)
	// pflag's IntVar: strconv.ParseInt(s, 0, 64), so "0x0" is 0 and "06443" is octal.
	n, err := strconv.ParseInt(v.Value, 0, 64)
	switch {
	case err != nil:
		return failAt(m, a.Name, fmt.Sprintf("--secure-port=%q is not an integer: kube-apiserver refuses to start", v.Value), v, ev)
	case n == 0:
		return failAt(m, a.Name, "--secure-port="+v.Value+" is 0: kube-apiserver refuses to start (\"--secure-port 0 must be between 1 "+
			"and 65535, inclusive. It cannot be turned off with 0\"); secure serving cannot be disabled", v, ev)
	case n < 1 || n > 65535:
		return failAt(m, a.Name, fmt.Sprintf("--secure-port=%s is outside 1-65535: kube-apiserver refuses to start", v.Value), v, ev)
	}
	msg := fmt.Sprintf("kube-apiserver serves its API on port %d", n)
	if strconv.FormatInt(n, 10) != v.Value {
		msg += fmt.Sprintf(" (--secure-port=%s, read as %d)", v.Value, n)
	}
	return m.Result(check.Pass, a.Name, msg, ev)
})
