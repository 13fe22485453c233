package loadgen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// PKI is a throw-away CA with a serving pair for 127.0.0.1 and a client
// pair (CN kube-apiserver-audit), written to Dir.
type PKI struct {
	Dir                   string
	CAFile                string // ca.crt
	CertFile, KeyFile     string // server.crt, server.key
	ClientCert, ClientKey string // client.crt, client.key
	clientPair            tls.Certificate
	roots                 *x509.CertPool
}

// ClientName is the common name of the client certificate.
const ClientName = "kube-apiserver-audit"

// NewPKI writes the PKI to dir.
func NewPKI(dir string) (*PKI, error) {
	p := &PKI{Dir: dir}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "audit-webhook-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageCertSign,
		BasicConstraintsValid: true, IsCA: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return nil, err
	}
	ca, _ := x509.ParseCertificate(caDER)
	p.roots = x509.NewCertPool()
	p.roots.AddCert(ca)
	write := func(name string, typ string, der []byte) (string, error) {
		f := filepath.Join(dir, name)
		return f, os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
	}
	if p.CAFile, err = write("ca.crt", "CERTIFICATE", caDER); err != nil {
		return nil, err
	}
	leaf := func(serial int64, cn string, server bool, certName, keyName string) (string, string, error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return "", "", err
		}
		t := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
		if server {
			t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			t.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
			t.DNSNames = []string{"localhost"}
		}
		der, err := x509.CreateCertificate(rand.Reader, t, ca, key.Public(), caKey)
		if err != nil {
			return "", "", err
		}
		kder, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return "", "", err
		}
		c, err := write(certName, "CERTIFICATE", der)
		if err != nil {
			return "", "", err
		}
		k, err := write(keyName, "PRIVATE KEY", kder)
		return c, k, err
	}
	if p.CertFile, p.KeyFile, err = leaf(2, "apiguard-audit", true, "server.crt", "server.key"); err != nil {
		return nil, err
	}
	if p.ClientCert, p.ClientKey, err = leaf(3, ClientName, false, "client.crt", "client.key"); err != nil {
		return nil, err
	}
	if p.clientPair, err = tls.LoadX509KeyPair(p.ClientCert, p.ClientKey); err != nil {
		return nil, err
	}
	return p, nil
}

// ClientTLS is the TLS configuration of a sender: trusts the CA, presents
// the client certificate.
func (p *PKI) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: p.roots, Certificates: []tls.Certificate{p.clientPair}, MinVersion: tls.VersionTLS12}
}
