// Package probe looks at a kube-apiserver endpoint the way an anonymous
// network client does: it resolves and classifies the host's addresses,
// records which TLS protocol versions and weak cipher suites the endpoint
// accepts and the certificate chain it serves, and sends unauthenticated GETs
// to a fixed list of paths, recording what each answer discloses.
//
// It never sends credentials (no Authorization header, no client
// certificate, no cookies), contacts only the host and port of the URL it
// is given (no proxy, no redirect to another host), bounds every request
// with a timeout and every body it reads, and makes a bounded number of
// requests (MaxRequests).
package probe

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/apiguard/apiguard/internal/inputs"
)

// DefaultPaths are the paths an anonymous caller is sent to, in order.
var DefaultPaths = []string{
	"/version",
	"/healthz?verbose",
	"/livez",
	"/readyz",
	"/api",
	"/apis",
	"/api/v1/namespaces",
	"/openapi/v2",
	"/.well-known/openid-configuration",
	"/openid/v1/jwks",
	"/metrics",
	"/debug/pprof/",
	"/logs/",
	ClusterInfoPath,
}

// ClusterInfoPath is kubeadm's cluster-info ConfigMap.
const ClusterInfoPath = inputs.ClusterInfoPath

// Defaults.
const (
	DefaultTimeout   = 5 * time.Second
	DefaultBodyLimit = 1 << 20
	// maxRedirects on the same host; redirects to another host are never followed.
	maxRedirects = 3
	// MaxRequests bounds HTTP requests plus TLS handshakes of one probe:
	// 1 default handshake (+1 fallback), 4 versions, 16 weak suites, and
	// the paths with their same-host redirects.
	MaxRequests = 2 + 4 + 16 + 14*(1+maxRedirects)
)

// Options configure a probe.
type Options struct {
	// URL is the endpoint ("https://host:port", optionally with a path
	// prefix as in kubeconfigs behind proxies).
	URL string
	// CAData is PEM to verify the chain with (the kubeconfig's CA), and
	// CAName describes it in the results ("the kubeconfig CA"). Without it
	// the system roots are used.
	CAData []byte
	CAName string
	// ServerName overrides the name verified (kubeconfig tls-server-name).
	ServerName string
	// Timeout bounds each handshake and each request (DefaultTimeout).
	Timeout time.Duration
	// BodyLimit bounds each body read (DefaultBodyLimit).
	BodyLimit int64
	// Paths overrides DefaultPaths.
	Paths []string
	// UserAgent is sent with every request.
	UserAgent string
	// Now is the clock (tests).
	Now func() time.Time
	// LookupIPAddr resolves host names (tests); net.DefaultResolver otherwise.
	LookupIPAddr func(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Run probes the endpoint. The error is for unusable options (a URL that
// is not http(s)); an endpoint that cannot be reached is reported in
// Endpoint.Unavailable, with what could be learnt before.
func Run(ctx context.Context, o Options) (*inputs.Endpoint, error) {
	u, err := parseURL(o.URL)
	if err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.BodyLimit <= 0 {
		o.BodyLimit = DefaultBodyLimit
	}
	if o.Paths == nil {
		o.Paths = DefaultPaths
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.UserAgent == "" {
		o.UserAgent = "apiguard-probe"
	}
	if o.LookupIPAddr == nil {
		o.LookupIPAddr = net.DefaultResolver.LookupIPAddr
	}
	p := &prober{o: o, u: u}
	p.ep = &inputs.Endpoint{
		URL:       strings.TrimRight(u.String(), "/"),
		Host:      u.Hostname(),
		Port:      u.Port(),
		ProbedAt:  o.Now().UTC().Truncate(time.Second),
		Addresses: []inputs.Address{},
		Paths:     []inputs.PathResult{},
	}
	p.ep.ServerName = o.ServerName
	if p.ep.ServerName == "" {
		p.ep.ServerName = u.Hostname()
	}
	p.addr = net.JoinHostPort(u.Hostname(), u.Port())

	p.resolve(ctx)
	if u.Scheme == "https" {
		if !p.probeTLS(ctx) {
			return p.ep, nil
		}
	}
	p.probePaths(ctx)
	if u.Scheme == "http" && p.allFailed() {
		p.ep.Unavailable = "cannot reach " + p.addr + ": " + p.ep.Paths[0].Error
	}
	return p.ep, nil
}

type prober struct {
	o    Options
	u    *url.URL
	addr string
	ep   *inputs.Endpoint
}

// parseURL accepts http(s) URLs with a host; a bare "host:port" means https.
func parseURL(raw string) (*url.URL, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, errors.New("no URL to probe")
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("URL %q: %v", raw, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("URL %q: scheme %q, want https (or http)", raw, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("URL %q: no host", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("URL %q: credentials in the URL; the probe is anonymous, remove them", redactURL(u))
	}
	if u.Port() == "" {
		port := "443"
		if u.Scheme == "http" {
			port = "80"
		}
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// resolve fills the addresses of the host.
func (p *prober) resolve(ctx context.Context) {
	host := p.u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		p.ep.Addresses = append(p.ep.Addresses, inputs.Address{IP: ip.Unmap().String(), Class: inputs.ClassifyAddr(ip)})
		return
	}
	ctx, cancel := context.WithTimeout(ctx, p.o.Timeout)
	defer cancel()
	ips, err := p.o.LookupIPAddr(ctx, host)
	if err != nil {
		p.ep.ResolveError = cleanErr(err)
		return
	}
	seen := map[string]bool{}
	for _, a := range ips {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		if seen[ip.String()] {
			continue
		}
		seen[ip.String()] = true
		p.ep.Addresses = append(p.ep.Addresses, inputs.Address{IP: ip.String(), Class: inputs.ClassifyAddr(ip)})
	}
	sort.Slice(p.ep.Addresses, func(i, j int) bool {
		a, _ := netip.ParseAddr(p.ep.Addresses[i].IP)
		b, _ := netip.ParseAddr(p.ep.Addresses[j].IP)
		return a.Less(b)
	})
}

func (p *prober) allFailed() bool {
	for _, r := range p.ep.Paths {
		if r.Status != 0 {
			return false
		}
	}
	return len(p.ep.Paths) > 0
}

// count records one request or handshake and reports whether the budget allows it.
func (p *prober) count() bool {
	if p.ep.Requests >= MaxRequests {
		return false
	}
	p.ep.Requests++
	return true
}

// roots is the pool the chain is verified against, and its description.
func (p *prober) roots() (*x509.CertPool, string, error) {
	if len(p.o.CAData) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(p.o.CAData) {
			name := p.o.CAName
			if name == "" {
				name = "the CA"
			}
			return nil, name, fmt.Errorf("%s holds no PEM certificate", name)
		}
		name := p.o.CAName
		if name == "" {
			name = "the given CA"
		}
		return pool, name, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		return nil, "the system roots", err
	}
	return pool, "the system roots", nil
}

// cleanErr shortens Go's network errors to their cause.
func cleanErr(err error) string {
	if err == nil {
		return ""
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		s := oe.Err.Error()
		if oe.Op == "dial" {
			return "connect: " + s
		}
		return oe.Op + ": " + s
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		return de.Error()
	}
	s := err.Error()
	return strings.TrimPrefix(s, "tls: ")
}
