package network

import "github.com/apiguard/apiguard/internal/check"

var etcdClientCertMeta = check.Metadata{
	ID:       "AG-NET-007",
	Title:    "kube-apiserver authenticates to etcd with a client certificate",
	Layer:    check.Network,
	Severity: check.High,
	Rationale: "etcd holds every object of the cluster, Secrets included, and has no authorization of its own " +
		"that Kubernetes relies on: whoever can talk to it owns the cluster. kube-apiserver can only present a " +
		"client certificate when --etcd-certfile and --etcd-keyfile are set; without them etcd must accept " +
		"unauthenticated clients, so anyone who reaches its client port (2379) can read or rewrite all state. " +
		"Setting only one of the two stops kube-apiserver from starting.",
	Remediation: "Issue a client certificate for kube-apiserver from the etcd CA, set --etcd-certfile=<cert> and " +
		"--etcd-keyfile=<key> (kubeadm: /etc/kubernetes/pki/apiserver-etcd-client.crt/.key), and run etcd with " +
		"--client-cert-auth=true and --trusted-ca-file.",
	References: []check.Reference{
		{CIS: "1.2.23", Title: "Ensure that the --etcd-certfile and --etcd-keyfile arguments are set as appropriate"},
		{Title: "Operating etcd clusters for Kubernetes: securing communication", URL: "https://kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/#securing-communication"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// etcdClientCertRule is CIS 1.2.23's test: --etcd-certfile and --etcd-keyfile are set.
var etcdClientCertRule = check.FlagRule{
	Tests: []check.FlagTest{{Flag: "etcd-certfile", Op: check.Set}, {Flag: "etcd-keyfile", Op: check.Set}},
	Pass:  "kube-apiserver presents a client certificate to etcd",
	Fail: "neither --etcd-certfile nor --etcd-keyfile is set: kube-apiserver cannot authenticate to etcd, " +
		"so etcd must be accepting unauthenticated clients",
	Partial: "{set} is set without {unset}: kube-apiserver refuses to start " +
		"(the etcd client needs both; \"KeyFile and CertFile must both be present\")",
}

// EtcdClientCert is CIS 1.2.23.
var EtcdClientCert = etcdClientCertRule.Check(etcdClientCertMeta)
