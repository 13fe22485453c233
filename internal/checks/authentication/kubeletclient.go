package authentication

import "github.com/apiguard/apiguard/internal/check"

var kubeletClientMeta = check.Metadata{
	ID:       "AG-AUTHN-007",
	Title:    "kube-apiserver authenticates to kubelets with a client certificate",
	Layer:    check.Authentication,
	Severity: check.High,
	Rationale: "kube-apiserver calls the kubelet API for exec, attach, port-forward, logs and metrics. Without " +
		"--kubelet-client-certificate and --kubelet-client-key it presents no identity, so kubelets must either allow " +
		"anonymous requests (and then anyone reaching port 10250 can exec into every Pod) or refuse the API server.",
	Remediation: "Set --kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt and " +
		"--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key (kubeadm sets both), and run kubelets with " +
		"--anonymous-auth=false and --authorization-mode=Webhook.",
	References: []check.Reference{
		{CIS: "1.2.4", Title: "Ensure that the --kubelet-client-certificate and --kubelet-client-key arguments are set as appropriate"},
		{Title: "Kubelet authentication/authorization", URL: "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// kubeletClientRule is CIS 1.2.4's test: --kubelet-client-certificate and
// --kubelet-client-key have values.
var kubeletClientRule = check.FlagRule{
	Tests: []check.FlagTest{
		{Flag: "kubelet-client-certificate", Op: check.NotEq, Value: ""},
		{Flag: "kubelet-client-key", Op: check.NotEq, Value: ""},
	},
	Pass: "kube-apiserver presents a client certificate to kubelets",
	Fail: "kube-apiserver presents no client certificate to kubelets: they must accept anonymous " +
		"requests (exec/attach/logs for anyone reaching port 10250) or refuse the API server",
	Partial: "{unset} is not set: the certificate and its key must be given together, so kube-apiserver " +
		"cannot authenticate to kubelets",
}

// KubeletClientCert is CIS 1.2.4.
var KubeletClientCert = kubeletClientRule.Check(kubeletClientMeta)
