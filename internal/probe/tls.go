package probe

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"net"
	"strings"

	"github.com/apiguard/apiguard/internal/inputs"
)

// Protocol versions probed, oldest first. Go's TLS client still implements
// TLS 1.0 and 1.1: they are offered only when MinVersion asks for them
// (its default minimum is TLS 1.2), which each version handshake does.
var protocolVersions = []struct {
	id   uint16
	name string
}{
	{tls.VersionTLS10, "TLS 1.0"},
	{tls.VersionTLS11, "TLS 1.1"},
	{tls.VersionTLS12, "TLS 1.2"},
	{tls.VersionTLS13, "TLS 1.3"},
}

// VersionName names a protocol version ("TLS 1.2").
func VersionName(v uint16) string {
	for _, x := range protocolVersions {
		if x.id == v {
			return x.name
		}
	}
	return tls.VersionName(v)
}

// weakSuite is a cipher suite the probe offers alone.
type weakSuite struct {
	id       uint16
	name     string
	weakness string
}

// weakSuites are every TLS 1.0-1.2 suite Go implements that is not an ECDHE
// AEAD suite: Go's insecure list (RC4, 3DES, RSA key exchange, CBC-SHA256)
// plus the ECDHE CBC-SHA suites Go still enables by default. Go implements
// no export, NULL or anonymous suites, so those are not tried.
var weakSuites = func() []weakSuite {
	var out []weakSuite
	add := func(s *tls.CipherSuite) {
		w := weakness(s.Name)
		if w != "" {
			out = append(out, weakSuite{s.ID, s.Name, w})
		}
	}
	for _, s := range tls.InsecureCipherSuites() {
		add(s)
	}
	for _, s := range tls.CipherSuites() {
		add(s)
	}
	return out
}()

// weakness classifies a suite by name; "" means strong (ECDHE with an AEAD,
// or a TLS 1.3 suite).
func weakness(name string) string {
	switch {
	case strings.Contains(name, "RC4"):
		return "rc4"
	case strings.Contains(name, "3DES"):
		return "3des"
	case strings.HasPrefix(name, "TLS_RSA_"):
		return "rsa-kex"
	case strings.HasSuffix(name, "_CBC_SHA256"):
		return "cbc-sha256"
	case strings.HasSuffix(name, "_CBC_SHA"):
		return "cbc-sha1"
	}
	return ""
}

// allSuites is every TLS 1.0-1.2 suite Go implements, so that a legacy
// server whose only suites Go disables by default is still reached.
var allSuites = func() []uint16 {
	var ids []uint16
	for _, s := range tls.CipherSuites() {
		ids = append(ids, s.ID)
	}
	for _, s := range tls.InsecureCipherSuites() {
		ids = append(ids, s.ID)
	}
	return ids
}()

// baseConfig is an anonymous client config: no certificate is ever sent;
// verification is done separately so that the chain is recorded whatever it is.
func (p *prober) baseConfig() *tls.Config {
	return &tls.Config{
		ServerName:         p.ep.ServerName,
		InsecureSkipVerify: true, // the chain is verified in verify(), against the given CA
		// Offer no client certificate, even when asked.
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &tls.Certificate{}, nil
		},
	}
}

// permissiveConfig reaches servers that speak only old versions or suites.
func (p *prober) permissiveConfig() *tls.Config {
	c := p.baseConfig()
	c.MinVersion = tls.VersionTLS10
	c.CipherSuites = allSuites
	return c
}

// handshake dials and completes one TLS handshake.
func (p *prober) handshake(ctx context.Context, cfg *tls.Config) (tls.ConnectionState, error) {
	if !p.count() {
		return tls.ConnectionState{}, errBudget
	}
	ctx, cancel := context.WithTimeout(ctx, p.o.Timeout)
	defer cancel()
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: p.o.Timeout}, Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer conn.Close()
	return conn.(*tls.Conn).ConnectionState(), nil
}

var errBudget = errors.New("request budget of the probe exhausted")

// isDialError reports a failure to reach the port at all (as opposed to a
// TLS refusal).
func isDialError(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// probeTLS runs the handshakes. It returns false when the endpoint cannot
// be reached (Unavailable is set).
func (p *prober) probeTLS(ctx context.Context) bool {
	t := &inputs.TLSProbe{Versions: []inputs.TLSVersionResult{}, WeakSuites: []inputs.CipherResult{}, Chain: []inputs.Certificate{}}
	p.ep.TLS = t

	var clientCAs [][]byte
	cfg := p.baseConfig()
	cfg.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		clientCAs = cri.AcceptableCAs
		return &tls.Certificate{}, nil
	}
	st, err := p.handshake(ctx, cfg)
	if err != nil && isDialError(err) {
		p.ep.Unavailable = "cannot reach " + p.addr + ": " + cleanErr(err)
		return false
	}
	if err != nil {
		// A server that speaks only what Go's defaults no longer offer.
		pc := p.permissiveConfig()
		pc.GetClientCertificate = cfg.GetClientCertificate
		var err2 error
		st, err2 = p.handshake(ctx, pc)
		if err2 != nil {
			t.Error = cleanErr(err)
			p.ep.Unavailable = "TLS handshake with " + p.addr + " failed: " + cleanErr(err2)
			return false
		}
	}
	t.Version = VersionName(st.Version)
	t.CipherSuite = tls.CipherSuiteName(st.CipherSuite)
	t.ALPN = st.NegotiatedProtocol
	for _, c := range st.PeerCertificates {
		t.Chain = append(t.Chain, describeCert(c))
	}
	for _, dn := range clientCAs {
		t.ClientCAs = append(t.ClientCAs, dnString(dn))
	}
	p.verify(t, st.PeerCertificates)

	for _, v := range protocolVersions {
		c := p.baseConfig()
		c.MinVersion, c.MaxVersion = v.id, v.id
		if v.id < tls.VersionTLS13 {
			c.CipherSuites = allSuites
		}
		r := inputs.TLSVersionResult{Version: v.name}
		st, err := p.handshake(ctx, c)
		if err == nil {
			r.Accepted = true
			r.CipherSuite = tls.CipherSuiteName(st.CipherSuite)
		} else {
			r.Error = cleanErr(err)
		}
		t.Versions = append(t.Versions, r)
	}
	for _, s := range weakSuites {
		c := p.baseConfig()
		c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS12
		c.CipherSuites = []uint16{s.id}
		r := inputs.CipherResult{Name: s.name, ID: s.id, Weakness: s.weakness}
		if st, err := p.handshake(ctx, c); err == nil {
			r.Accepted = true
			r.Version = VersionName(st.Version)
		}
		t.WeakSuites = append(t.WeakSuites, r)
	}
	return true
}

// verify checks the chain for ServerName against the given CA (else the
// system roots), at probe time.
func (p *prober) verify(t *inputs.TLSProbe, chain []*x509.Certificate) {
	pool, name, err := p.roots()
	t.VerifiedWith = name
	if err != nil {
		t.VerifyError = err.Error()
		return
	}
	if len(chain) == 0 {
		t.VerifyError = "the server sent no certificate"
		return
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err = chain[0].Verify(x509.VerifyOptions{
		DNSName:       p.ep.ServerName,
		Roots:         pool,
		Intermediates: inter,
		CurrentTime:   p.ep.ProbedAt,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		t.VerifyError = err.Error()
		return
	}
	t.Verified = true
}

// describeCert records what matters of a certificate (never its key).
func describeCert(c *x509.Certificate) inputs.Certificate {
	sum := sha256.Sum256(c.Raw)
	out := inputs.Certificate{
		Subject:            c.Subject.String(),
		Issuer:             c.Issuer.String(),
		SerialNumber:       hex.EncodeToString(c.SerialNumber.Bytes()),
		NotBefore:          c.NotBefore.UTC(),
		NotAfter:           c.NotAfter.UTC(),
		SignatureAlgorithm: c.SignatureAlgorithm.String(),
		IsCA:               c.IsCA,
		DNSNames:           c.DNSNames,
		SHA256:             hex.EncodeToString(sum[:]),
	}
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		out.KeyType, out.KeyBits = "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		out.KeyType = "ECDSA"
		if k.Curve != nil {
			out.KeyBits = k.Curve.Params().BitSize
		}
	case ed25519.PublicKey:
		out.KeyType, out.KeyBits = "Ed25519", 256
	default:
		out.KeyType = c.PublicKeyAlgorithm.String()
	}
	for _, ip := range c.IPAddresses {
		out.IPAddresses = append(out.IPAddresses, ip.String())
	}
	return out
}

// dnString renders a DER-encoded distinguished name (CertificateRequest's
// acceptable CAs).
func dnString(der []byte) string {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &seq); err != nil || len(rest) > 0 {
		return "(unparsable name)"
	}
	var n pkix.Name
	n.FillFromRDNSequence(&seq)
	return n.String()
}
