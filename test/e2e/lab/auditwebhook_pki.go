package lab

import (
	"net"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// AuditWebhookClientName is the common name of the client certificate
// kube-apiserver presents to the audit webhook receiver.
const AuditWebhookClientName = "kube-apiserver-audit"

// AuditWebhookPKI is the certificates of an audit webhook receiver on
// 127.0.0.1, issued by its own CA (not the cluster's): the receiver's
// serving pair, the client pair kube-apiserver presents, and a second client
// pair from the same CA with another name (which the receiver must refuse
// when it restricts names). All are files under Dir.
type AuditWebhookPKI struct {
	Dir                             string
	CACert                          string // ca.crt
	ServerCert, ServerKey           string // server.crt/.key: SANs 127.0.0.1, localhost
	ClientCert, ClientKey           string // client.crt/.key: CN=kube-apiserver-audit, clientAuth
	OtherClientCert, OtherClientKey string // other-client.crt/.key: CN=someone-else
}

// NewAuditWebhookPKI creates the PKI under dir.
func NewAuditWebhookPKI(dir string) (*AuditWebhookPKI, error) {
	ca, err := newCA(dir, "ca", "audit-webhook-ca")
	if err != nil {
		return nil, err
	}
	srv, err := ca.issue(dir, "server", certSpec{CommonName: "apiguard-audit", DNSNames: []string{"localhost"},
		IPs: []net.IP{net.ParseIP("127.0.0.1")}, Server: true})
	if err != nil {
		return nil, err
	}
	cl, err := ca.issue(dir, "client", certSpec{CommonName: AuditWebhookClientName, Client: true})
	if err != nil {
		return nil, err
	}
	other, err := ca.issue(dir, "other-client", certSpec{CommonName: "someone-else", Client: true})
	if err != nil {
		return nil, err
	}
	return &AuditWebhookPKI{Dir: dir, CACert: ca.CertPath, ServerCert: srv.CertPath, ServerKey: srv.KeyPath,
		ClientCert: cl.CertPath, ClientKey: cl.KeyPath, OtherClientCert: other.CertPath, OtherClientKey: other.KeyPath}, nil
}

// WriteKubeconfig writes the kubeconfig-format file kube-apiserver's
// --audit-webhook-config-file takes: server URL, the receiver's CA, and the
// client certificate (by path, as deploy/audit-webhook-kubeconfig.yaml does).
func (p *AuditWebhookPKI) WriteKubeconfig(server string) (string, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["apiguard-audit"] = &clientcmdapi.Cluster{Server: server, CertificateAuthority: p.CACert}
	cfg.AuthInfos["kube-apiserver"] = &clientcmdapi.AuthInfo{ClientCertificate: p.ClientCert, ClientKey: p.ClientKey}
	cfg.Contexts["apiguard-audit"] = &clientcmdapi.Context{Cluster: "apiguard-audit", AuthInfo: "kube-apiserver"}
	cfg.CurrentContext = "apiguard-audit"
	path := filepath.Join(p.Dir, "audit-webhook-kubeconfig.yaml")
	return path, clientcmd.WriteToFile(*cfg, path)
}
