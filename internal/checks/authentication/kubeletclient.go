package authentication

import (
	"context"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

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

// KubeletClientCert is CIS 1.2.4.
var KubeletClientCert = check.Check{
	Metadata: kubeletClientMeta,
	Run: func(_ context.Context, s *inputs.Snapshot) []check.Finding {
		m := kubeletClientMeta
		return check.PerAPIServer(m, s, func(a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
			cert, key := f.Get("kubelet-client-certificate"), f.Get("kubelet-client-key")
			ev := []check.Evidence{check.FlagEvidence(cert), check.FlagEvidence(key)}
			var missing []string
			for _, v := range []apiserverflags.Value{cert, key} {
				if !v.Set || v.Value == "" {
					missing = append(missing, v.Key())
				}
			}
			switch len(missing) {
			case 0:
				return m.Result(check.Pass, a.Name, "kube-apiserver presents a client certificate to kubelets", ev...)
			case 1:
				at := cert
				if cert.Value == "" {
					at = key
				}
				return fail(m, a, at, missing[0]+" is not set: the certificate and its key must be given together, so kube-apiserver "+
					"cannot authenticate to kubelets", ev...)
			}
			return m.Result(check.Fail, a.Name, "kube-apiserver presents no client certificate to kubelets: they must accept anonymous "+
				"requests (exec/attach/logs for anyone reaching port 10250) or refuse the API server", ev...)
		})
	},
}
