package network

import "github.com/apiguard/apiguard/internal/check"

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

// kubeletCARule is CIS 1.2.5's test: --kubelet-certificate-authority is set.
var kubeletCARule = check.FlagRule{
	Tests: []check.FlagTest{{Flag: "kubelet-certificate-authority", Op: check.Set}},
	Pass:  "kube-apiserver verifies kubelet serving certificates against --kubelet-certificate-authority",
	Fail: "--kubelet-certificate-authority is not set: kube-apiserver does not verify kubelet serving certificates, " +
		"so exec, attach, logs and port-forward traffic to nodes can be intercepted",
}

// KubeletCA is CIS 1.2.5.
var KubeletCA = kubeletCARule.Check(kubeletCAMeta)
