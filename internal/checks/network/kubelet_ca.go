package network

import (
	"context"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var kubeletCAMeta = check.Metadata{
	ID:       "AG-NET-006",
	Title:    "kube-apiserver verifies kubelet serving certificates",
	Layer:    check.Network,
	Severity: check.High,
	Rationale: "kube-apiserver opens HTTPS connections to kubelets for kubectl exec, attach, logs and " +
		"port-forward, and for the nodes/proxy subresource. Without --kubelet-certificate-authority it does " +
		"not verify the kubelet's serving certificate at all (the client is built with InsecureSkipVerify), " +
		"so anyone who can intercept or redirect traffic to a node (ARP/DNS spoofing, a hijacked node IP) can " +
		"read and tamper with exec sessions, logs and forwarded ports, and feed false data to administrators.",
	Remediation: "Set --kubelet-certificate-authority=<CA bundle that signs kubelet serving certificates> and give " +
		"kubelets CA-signed serving certificates (serverTLSBootstrap: true in the kubelet configuration plus " +
		"approval of their kubernetes.io/kubelet-serving CSRs). kubeadm does not set this by default.",
	References: []check.Reference{
		{CIS: "1.2.5", Title: "Ensure that the --kubelet-certificate-authority argument is set as appropriate"},
		{Title: "Control plane to node communication", URL: "https://kubernetes.io/docs/concepts/architecture/control-plane-node-communication/#api-server-to-kubelet"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// KubeletCA is CIS 1.2.5.
var KubeletCA = check.Check{
	Metadata: kubeletCAMeta,
	Run: func(_ context.Context, s *inputs.Snapshot) []check.Finding {
		m := kubeletCAMeta
		return check.PerAPIServer(m, s, func(a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
			return presentFinding(m, a, f, "kubelet-certificate-authority",
				"kube-apiserver verifies kubelet serving certificates against --kubelet-certificate-authority",
				"--kubelet-certificate-authority is not set: kube-apiserver does not verify kubelet serving certificates, "+
					"so exec, attach, logs and port-forward traffic to nodes can be intercepted")
		})
	},
}

// presentFinding passes when a file flag is written with a value.
func presentFinding(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags, name, pass, fail string) check.Finding {
	v := f.Get(name)
	ev := check.FlagEvidence(v)
	if written(v) {
		return m.Result(check.Pass, a.Name, pass, ev)
	}
	return failAt(m, a.Name, fail, v, ev)
}
