package auditserve

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
	"testing"
	"time"
)

// testCA is a throw-away CA for the tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

var serialN int64

// certTemplate is a certificate for cn, valid from an hour ago to an hour
// from now, under the next serial number.
func certTemplate(cn string, usage x509.KeyUsage) *x509.Certificate {
	serialN++
	return &x509.Certificate{
		SerialNumber: big.NewInt(serialN), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: usage,
	}
}

func newTestCA(t testing.TB, cn string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := certTemplate(cn, x509.KeyUsageCertSign)
	tmpl.BasicConstraintsValid, tmpl.IsCA = true, true
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testCA{cert: c, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns cert and key PEM for a leaf.
func (ca *testCA) issue(t testing.TB, cn string, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := certTemplate(cn, x509.KeyUsageDigitalSignature)
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		tmpl.DNSNames = []string{"localhost"}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

// testPKI is a CA, the receiver's serving pair and a client pair, on disk.
type testPKI struct {
	ca                *testCA
	caFile            string
	certFile, keyFile string
	client            tls.Certificate
	clientOtherName   tls.Certificate
	clientOtherCA     tls.Certificate
	roots             *x509.CertPool
	dir               string
}

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	dir := t.TempDir()
	p := &testPKI{ca: newTestCA(t, "audit-webhook-ca"), dir: dir}
	write := func(name string, b []byte) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	p.caFile = write("ca.crt", p.ca.pem)
	c, k := p.ca.issue(t, "apiguard-audit", true)
	p.certFile, p.keyFile = write("tls.crt", c), write("tls.key", k)
	pair := func(c, k []byte) tls.Certificate {
		kp, err := tls.X509KeyPair(c, k)
		if err != nil {
			t.Fatal(err)
		}
		return kp
	}
	p.client = pair(p.ca.issue(t, "kube-apiserver-audit", false))
	p.clientOtherName = pair(p.ca.issue(t, "system:node:worker-1", false))
	p.clientOtherCA = pair(newTestCA(t, "other").issue(t, "kube-apiserver-audit", false))
	p.roots = x509.NewCertPool()
	p.roots.AddCert(p.ca.cert)
	return p
}
