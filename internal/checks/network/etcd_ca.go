package network

import "github.com/apiguard/apiguard/internal/check"

var etcdCAMeta = check.Metadata{
	ID:       "AG-NET-008",
	Title:    "kube-apiserver verifies etcd's certificate",
	Layer:    check.Network,
	Severity: check.Medium,
	Rationale: "Without --etcd-cafile kube-apiserver checks etcd's serving certificate against the host's system " +
		"trust store instead of the etcd CA: any certificate a public or host-installed CA issued for the etcd " +
		"address is accepted, so an attacker who can redirect traffic to etcd can impersonate it, capture the " +
		"API server's client credentials and feed it forged cluster state. (With a private etcd CA the " +
		"connection only works if that CA is in the system store, which widens trust to everything it signs.)",
	Remediation: "Set --etcd-cafile=<etcd CA bundle> (kubeadm: /etc/kubernetes/pki/etcd/ca.crt) and use https:// " +
		"URLs in --etcd-servers.",
	References: []check.Reference{
		{CIS: "1.2.26", Title: "Ensure that the --etcd-cafile argument is set as appropriate"},
		{Title: "Operating etcd clusters for Kubernetes: securing communication", URL: "https://kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/#securing-communication"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// etcdCARule is CIS 1.2.26's test: --etcd-cafile is set.
var etcdCARule = check.FlagRule{
	Tests: []check.FlagTest{{Flag: "etcd-cafile", Op: check.Set}},
	Pass:  "kube-apiserver verifies etcd's certificate against --etcd-cafile",
	Fail:  "--etcd-cafile is not set: kube-apiserver verifies etcd against the system trust store, not the etcd CA",
}

// EtcdCA is CIS 1.2.26.
var EtcdCA = etcdCARule.Check(etcdCAMeta)
