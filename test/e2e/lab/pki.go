package lab

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// keyPair is a certificate with its private key, plus where both were written.
type keyPair struct {
	Cert     *x509.Certificate
	Key      *rsa.PrivateKey
	CertPath string
	KeyPath  string
}

// certSpec describes a certificate to issue.
type certSpec struct {
	CommonName   string
	Organization []string
	DNSNames     []string
	IPs          []net.IP
	Server       bool
	Client       bool
}

// newKey returns an RSA-2048 key: kubeadm's default encryption algorithm.
func newKey() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
}

func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
}

// newCA creates a self-signed CA and writes <base>.crt / <base>.key.
func newCA(dir, base, cn string) (*keyPair, error) {
	return sign(dir, base, &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn},
		NotAfter:              time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}, nil)
}

// issue signs a leaf certificate with ca and writes <base>.crt / <base>.key.
func (ca *keyPair) issue(dir, base string, s certSpec) (*keyPair, error) {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: s.CommonName, Organization: s.Organization},
		DNSNames:    s.DNSNames,
		IPAddresses: s.IPs,
		NotAfter:    time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	if s.Server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if s.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	return sign(dir, base, tmpl, ca)
}

// sign gives tmpl a new key, a random serial and a start an hour ago,
// signs it with parent (itself when parent is nil: a CA) and writes
// <base>.crt / <base>.key.
func sign(dir, base string, tmpl *x509.Certificate, parent *keyPair) (*keyPair, error) {
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	if tmpl.SerialNumber, err = serial(); err != nil {
		return nil, err
	}
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	issuer, issuerKey := tmpl, key
	if parent != nil {
		issuer, issuerKey = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), issuerKey)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	kp := &keyPair{Cert: cert, Key: key}
	return kp, kp.write(dir, base)
}

func (kp *keyPair) certPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: kp.Cert.Raw})
}

func (kp *keyPair) keyPEM() ([]byte, error) {
	return keyPEM(kp.Key)
}

func keyPEM(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func (kp *keyPair) write(dir, base string) error {
	if dir == "" {
		return nil
	}
	kp.CertPath = filepath.Join(dir, base+".crt")
	kp.KeyPath = filepath.Join(dir, base+".key")
	if err := os.MkdirAll(filepath.Dir(kp.CertPath), 0o755); err != nil {
		return err
	}
	kpem, err := kp.keyPEM()
	if err != nil {
		return err
	}
	if err := os.WriteFile(kp.CertPath, kp.certPEM(), 0o644); err != nil {
		return err
	}
	return os.WriteFile(kp.KeyPath, kpem, 0o600)
}

// writeServiceAccountKeys writes sa.key (private, PKCS#8) and sa.pub (PKIX public) like kubeadm.
func writeServiceAccountKeys(dir string) (privPath, pubPath string, err error) {
	key, err := newKey()
	if err != nil {
		return "", "", err
	}
	privPath = filepath.Join(dir, "sa.key")
	pubPath = filepath.Join(dir, "sa.pub")
	kpem, err := keyPEM(key)
	if err != nil {
		return "", "", err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return "", "", err
	}
	if err := os.WriteFile(privPath, kpem, 0o600); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		return "", "", err
	}
	return privPath, pubPath, nil
}

// pki is the kubeadm-shaped certificate tree of one lab cluster, under <dir>/etc/kubernetes/pki.
type pki struct {
	Dir               string
	CA                *keyPair // ca.crt: cluster CA (client-ca-file, kubelet-certificate-authority, root-ca-file)
	APIServer         *keyPair // apiserver.crt: serving cert, SANs 127.0.0.1, localhost, kubernetes.default...
	KubeletClient     *keyPair // apiserver-kubelet-client.crt (O=kubeadm:cluster-admins like kubeadm)
	EtcdCA            *keyPair // etcd/ca.crt
	EtcdServer        *keyPair // etcd/server.crt
	EtcdClient        *keyPair // apiserver-etcd-client.crt
	FrontProxyCA      *keyPair // front-proxy-ca.crt
	FrontProxyClient  *keyPair // front-proxy-client.crt (CN=front-proxy-client)
	SAKey, SAPub      string   // sa.key / sa.pub
	SuperAdmin        *keyPair // super-admin: CN=kubernetes-super-admin, O=system:masters (helper's own identity)
	Admin             *keyPair // admin: CN=kubernetes-admin, O=kubeadm:cluster-admins (bound to cluster-admin)
	ControllerManager *keyPair // CN=system:kube-controller-manager
}

func newPKI(dir string) (*pki, error) {
	p := &pki{Dir: dir}
	var err error
	must := func(kp *keyPair, e error) *keyPair {
		if err == nil && e != nil {
			err = e
		}
		return kp
	}
	if p.CA = must(newCA(dir, "ca", "kubernetes")); err != nil {
		return nil, err
	}
	p.APIServer = must(p.CA.issue(dir, "apiserver", certSpec{
		CommonName: "kube-apiserver",
		DNSNames:   []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		IPs:        []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")},
		Server:     true,
	}))
	p.KubeletClient = must(p.CA.issue(dir, "apiserver-kubelet-client", certSpec{CommonName: "kube-apiserver-kubelet-client", Organization: []string{"kubeadm:cluster-admins"}, Client: true}))
	// Kubeconfig client identities are only embedded in their kubeconfigs
	// (as kubeadm does), not written to the pki dir.
	p.SuperAdmin = must(p.CA.issue("", "super-admin", certSpec{CommonName: "kubernetes-super-admin", Organization: []string{"system:masters"}, Client: true}))
	p.Admin = must(p.CA.issue("", "admin", certSpec{CommonName: "kubernetes-admin", Organization: []string{"kubeadm:cluster-admins"}, Client: true}))
	p.ControllerManager = must(p.CA.issue("", "controller-manager", certSpec{CommonName: "system:kube-controller-manager", Client: true}))
	if err != nil {
		return nil, err
	}
	if p.EtcdCA = must(newCA(dir, "etcd/ca", "etcd-ca")); err != nil {
		return nil, err
	}
	p.EtcdServer = must(p.EtcdCA.issue(dir, "etcd/server", certSpec{
		CommonName: "lab-etcd", DNSNames: []string{"localhost"},
		IPs: []net.IP{net.ParseIP("127.0.0.1")}, Server: true, Client: true,
	}))
	p.EtcdClient = must(p.EtcdCA.issue(dir, "apiserver-etcd-client", certSpec{CommonName: "kube-apiserver-etcd-client", Client: true}))
	if err != nil {
		return nil, err
	}
	if p.FrontProxyCA = must(newCA(dir, "front-proxy-ca", "front-proxy-ca")); err != nil {
		return nil, err
	}
	p.FrontProxyClient = must(p.FrontProxyCA.issue(dir, "front-proxy-client", certSpec{CommonName: "front-proxy-client", Client: true}))
	if err != nil {
		return nil, err
	}
	if p.SAKey, p.SAPub, err = writeServiceAccountKeys(dir); err != nil {
		return nil, fmt.Errorf("service account keys: %w", err)
	}
	return p, nil
}
