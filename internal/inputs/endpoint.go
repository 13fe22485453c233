package inputs

import (
	"net/netip"
	"time"
)

// Endpoint is what an anonymous network client sees of a kube-apiserver
// endpoint: its addresses, its TLS configuration and certificate, and how it
// answers unauthenticated requests. internal/probe fills it (apiguard probe,
// and live scans); checks of the network layer read it. A nil Endpoint means
// no probe was run (offline inputs).
type Endpoint struct {
	// URL is the probed base URL ("https://203.0.113.10:6443").
	URL string `json:"url"`
	// Host and Port are the URL's, after defaults (443 for https).
	Host string `json:"host"`
	Port string `json:"port"`
	// ServerName is the TLS server name verified (the URL host, or the
	// kubeconfig's tls-server-name).
	ServerName string `json:"serverName,omitempty"`
	// ProbedAt is when the probe ran; certificate expiry is counted from it,
	// so a saved snapshot gives the same findings later.
	ProbedAt time.Time `json:"probedAt,omitzero"`
	// Unavailable says why the endpoint could not be probed (unreachable,
	// refused): checks reading it report not-assessable with this reason.
	Unavailable string `json:"unavailable,omitempty"`
	// Addresses are the host's addresses (the IP itself, or what DNS returned).
	Addresses []Address `json:"addresses"`
	// ResolveError is why the host name could not be resolved, if it could not.
	ResolveError string `json:"resolveError,omitempty"`
	// TLS is nil for a plain-HTTP URL.
	TLS *TLSProbe `json:"tls,omitempty"`
	// Paths are the anonymous GETs, in probe order.
	Paths []PathResult `json:"paths"`
	// Requests is the number of HTTP requests and TLS handshakes made.
	Requests int `json:"requests"`
}

// ClusterInfoPath is kubeadm's cluster-info ConfigMap, readable by
// system:anonymous on kubeadm clusters for bootstrap-token discovery.
const ClusterInfoPath = "/api/v1/namespaces/kube-public/configmaps/cluster-info"

// HealthPaths answer anonymous callers by design (kubelet and load-balancer
// health checks; system:public-info-viewer); the probe asks the verbose
// form of /healthz, which lists the server's internal checks.
var HealthPaths = []string{"/healthz?verbose", "/livez", "/readyz"}

// Address is one address of the endpoint and its class.
type Address struct {
	IP    string       `json:"ip"`
	Class AddressClass `json:"class"`
}

// AddressClass says who can route to an address.
type AddressClass string

const (
	AddrPublic      AddressClass = "public"
	AddrPrivate     AddressClass = "private"    // RFC 1918, IPv6 ULA fc00::/7
	AddrCGNAT       AddressClass = "cgnat"      // 100.64.0.0/10 (RFC 6598)
	AddrLoopback    AddressClass = "loopback"   // 127.0.0.0/8, ::1
	AddrLinkLocal   AddressClass = "link-local" // 169.254.0.0/16, fe80::/10
	AddrUnspecified AddressClass = "unspecified"
	AddrMulticast   AddressClass = "multicast"
	// AddrReserved: documentation, benchmarking, shared and other special-use
	// ranges that are not routed on the internet.
	AddrReserved AddressClass = "reserved"
)

var (
	cgnatPrefix = netip.MustParsePrefix("100.64.0.0/10")
	// reservedPrefixes are special-use ranges (RFC 6890) that are neither
	// private nor reachable from the internet.
	reservedPrefixes = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),
		netip.MustParsePrefix("192.0.0.0/24"),
		netip.MustParsePrefix("192.0.2.0/24"),
		netip.MustParsePrefix("198.18.0.0/15"),
		netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"),
		netip.MustParsePrefix("240.0.0.0/4"),
		netip.MustParsePrefix("2001:db8::/32"),
		netip.MustParsePrefix("100::/64"),
	}
)

// ClassifyAddr says who can route to ip. Documentation ranges (192.0.2.0/24,
// 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) are "reserved": examples
// and test fixtures use them, and they are never reachable. IPv4-mapped IPv6
// addresses are classified as their IPv4 address.
func ClassifyAddr(ip netip.Addr) AddressClass {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return AddrReserved
	case ip.IsUnspecified():
		return AddrUnspecified
	case ip.IsLoopback():
		return AddrLoopback
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return AddrLinkLocal
	case ip.IsMulticast():
		return AddrMulticast
	case ip.IsPrivate():
		return AddrPrivate
	case cgnatPrefix.Contains(ip):
		return AddrCGNAT
	}
	for _, p := range reservedPrefixes {
		if p.Contains(ip) {
			return AddrReserved
		}
	}
	return AddrPublic
}

// Public reports whether any address of the endpoint is public.
func (e *Endpoint) Public() bool {
	for _, a := range e.Addresses {
		if a.Class == AddrPublic {
			return true
		}
	}
	return false
}

// TLSProbe is what the TLS handshakes showed.
type TLSProbe struct {
	// Version and CipherSuite are what a default client negotiated.
	Version     string `json:"version,omitempty"`
	CipherSuite string `json:"cipherSuite,omitempty"`
	ALPN        string `json:"alpn,omitempty"`
	// Error is why the default handshake failed, if it did.
	Error string `json:"error,omitempty"`
	// Versions: one handshake per protocol version (MinVersion = MaxVersion).
	Versions []TLSVersionResult `json:"versions"`
	// WeakSuites: one TLS 1.2-or-older handshake per weak suite Go implements.
	WeakSuites []CipherResult `json:"weakSuites"`
	// Chain is the certificate chain the server sent, leaf first.
	Chain []Certificate `json:"chain"`
	// Verified says whether the chain verified for ServerName against
	// VerifiedWith ("the kubeconfig CA", "the system roots", a CA file).
	Verified     bool   `json:"verified"`
	VerifiedWith string `json:"verifiedWith,omitempty"`
	VerifyError  string `json:"verifyError,omitempty"`
	// ClientCAs are the subjects of the CAs the server asks client
	// certificates from (CertificateRequest), which reveal its client CA.
	ClientCAs []string `json:"clientCAs,omitempty"`
}

// TLSVersionResult is one protocol-version handshake.
type TLSVersionResult struct {
	Version  string `json:"version"` // "TLS 1.0"
	Accepted bool   `json:"accepted"`
	// CipherSuite is what the server picked when it accepted.
	CipherSuite string `json:"cipherSuite,omitempty"`
	// Error is the handshake error when refused (alert, reset).
	Error string `json:"error,omitempty"`
}

// CipherResult is one weak cipher suite offered alone.
type CipherResult struct {
	Name     string `json:"name"`
	ID       uint16 `json:"id"`
	Accepted bool   `json:"accepted"`
	// Version is the protocol negotiated when accepted.
	Version string `json:"version,omitempty"`
	// Weakness: "rc4", "3des", "rsa-kex" (no forward secrecy), "cbc-sha256",
	// "cbc-sha1".
	Weakness string `json:"weakness"`
}

// Certificate is one certificate of the served chain.
type Certificate struct {
	Subject            string    `json:"subject"`
	Issuer             string    `json:"issuer"`
	SerialNumber       string    `json:"serialNumber"`
	NotBefore          time.Time `json:"notBefore"`
	NotAfter           time.Time `json:"notAfter"`
	KeyType            string    `json:"keyType"` // RSA, ECDSA, Ed25519
	KeyBits            int       `json:"keyBits"`
	SignatureAlgorithm string    `json:"signatureAlgorithm"`
	IsCA               bool      `json:"isCA,omitempty"`
	DNSNames           []string  `json:"dnsNames,omitempty"`
	IPAddresses        []string  `json:"ipAddresses,omitempty"`
	SHA256             string    `json:"sha256"`
}

// PathResult is one anonymous GET.
type PathResult struct {
	Path string `json:"path"`
	// Status is the HTTP status code (0 when the request failed).
	Status int `json:"status"`
	// Outcome classifies what an anonymous caller got.
	Outcome PathOutcome `json:"outcome"`
	// Message is the server's reason on 401/403 (the Status message), bounded.
	Message string `json:"message,omitempty"`
	// Error is the transport error when Status is 0.
	Error string `json:"error,omitempty"`
	// ContentType and Bytes describe the body read (at most the probe's
	// body limit; Truncated when there was more).
	ContentType string `json:"contentType,omitempty"`
	Bytes       int    `json:"bytes,omitempty"`
	Truncated   bool   `json:"truncated,omitempty"`
	// Leaked is what the answer disclosed, when the caller got data.
	Leaked []Leak `json:"leaked,omitempty"`
}

// PathOutcome classifies an anonymous request's answer.
type PathOutcome string

const (
	// Unauthenticated (401): anonymous requests are not authenticated here.
	Unauthenticated PathOutcome = "unauthenticated"
	// Forbidden (403): authenticated as system:anonymous, denied by authorization.
	Forbidden PathOutcome = "forbidden"
	// Exposed (2xx): the anonymous caller got the content.
	Exposed PathOutcome = "exposed"
	// AllowedNotFound (404 on a resource path): authenticated and authorized,
	// the object does not exist. On non-resource paths 404 means not served.
	AllowedNotFound PathOutcome = "allowed-not-found"
	// NotServed (404 on a non-resource path).
	NotServed PathOutcome = "not-served"
	// Redirected (3xx): not followed.
	Redirected PathOutcome = "redirected"
	// Failed: any other status, or a transport error.
	Failed PathOutcome = "failed"
)

// Leak is one fact an anonymous answer disclosed.
type Leak struct {
	// Kind: version, go-version, platform, health-checks, api-versions,
	// server-address, api-groups, openapi, namespaces, issuer, jwks-uri,
	// key-ids, metrics, profiles, log-files, ca-certificate, api-server-url,
	// bootstrap-token-ids, body.
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// Path returns the result for path ("" and false when it was not probed).
func (e *Endpoint) Path(path string) (PathResult, bool) {
	for _, p := range e.Paths {
		if p.Path == path {
			return p, true
		}
	}
	return PathResult{}, false
}
