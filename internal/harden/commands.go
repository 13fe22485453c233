package harden

// commands are what an operator runs for the checks configuration alone
// cannot fix (keys, certificates, file modes, upgrades), written for a
// kubeadm control plane, whose layout most others follow.
var commands = map[string][]string{
	"AG-ADMIN-001": {"chmod 600 /etc/kubernetes/manifests/kube-apiserver.yaml"},
	"AG-ADMIN-002": {"chown root:root /etc/kubernetes/manifests/kube-apiserver.yaml"},
	"AG-AUTHN-003": {"kubeadm init phase certs ca   # then --client-ca-file=/etc/kubernetes/pki/ca.crt"},
	"AG-AUTHN-005": {"kubeadm init phase certs sa   # then --service-account-key-file=/etc/kubernetes/pki/sa.pub and --service-account-signing-key-file=/etc/kubernetes/pki/sa.key"},
	"AG-AUTHN-007": {"kubeadm init phase certs apiserver-kubelet-client   # then --kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt --kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key"},
	"AG-NET-004":   {"kubeadm init phase certs apiserver   # then --tls-cert-file=/etc/kubernetes/pki/apiserver.crt --tls-private-key-file=/etc/kubernetes/pki/apiserver.key"},
	"AG-NET-006": {
		"# on every node: serverTLSBootstrap: true in /var/lib/kubelet/config.yaml, restart the kubelet, then approve its serving CSRs:",
		"kubectl get csr --field-selector spec.signerName=kubernetes.io/kubelet-serving",
		"kubectl certificate approve <csr-name>   # after checking each CSR's node name and addresses",
		"# then --kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt",
	},
	"AG-NET-007":   {"kubeadm init phase certs apiserver-etcd-client   # then --etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt --etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key"},
	"AG-NET-008":   {"kubeadm init phase certs etcd-ca   # then --etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt"},
	"AG-NET-009":   {"kubeadm init phase certs etcd-server && kubeadm init phase certs apiserver-etcd-client   # serve etcd over TLS (--cert-file, --key-file, --client-cert-auth, --trusted-ca-file) and give --etcd-servers https:// URLs"},
	"AG-PATCH-002": {"kubeadm upgrade plan", "kubeadm upgrade apply <a supported v1.x.y>"},
	"AG-PATCH-003": {"kubeadm upgrade plan", "kubeadm upgrade apply <the latest patch of your minor>"},
	"AG-PATCH-004": {"kubeadm upgrade plan", "kubeadm upgrade apply <a patch release that fixes the CVEs listed>"},
}

// Commands are the commands for a check configuration cannot fix, if
// apiguard knows them.
func Commands(check string) []string { return commands[check] }
