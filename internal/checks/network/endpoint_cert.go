package network

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var endpointCertMeta = check.Metadata{
	ID:       "AG-NET-016",
	Title:    "The serving certificate is trusted, strong and not about to expire",
	Layer:    check.Network,
	Severity: check.Medium,
	Rationale: "The certificate the endpoint really serves (not the file a flag names): when it does not verify " +
		"against the cluster CA of the kubeconfig, clients either fail or are configured to skip verification, " +
		"and a man in the middle can then collect their tokens; an RSA key under 2048 bits or an ECDSA key under " +
		"256 bits can be factored or broken, and a SHA-1 signature can be forged; an expired certificate stops " +
		"every client (and kubelets) at once. kubeadm certificates last one year and are renewed only by " +
		"`kubeadm certs renew` or a control-plane upgrade.",
	Remediation: "Renew the serving certificate before it expires (`kubeadm certs check-expiration`, then " +
		"`kubeadm certs renew apiserver` and restart kube-apiserver; managed clusters rotate it themselves), with " +
		"an RSA key of 2048+ bits or ECDSA P-256+, signed with SHA-256 or better by the cluster CA, and the SANs " +
		"clients use (--tls-cert-file/--tls-private-key-file).",
	References: []check.Reference{
		{Title: "Certificate management with kubeadm", URL: "https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-certs/"},
		{Title: "PKI certificates and requirements", URL: "https://kubernetes.io/docs/setup/best-practices/certificates/"},
	},
	Inputs: []check.Input{check.InputEndpoint},
}

// certWarnDays is when an approaching expiry becomes a warning.
const certWarnDays = 30

// EndpointCertificate judges the served chain.
var EndpointCertificate = probeCheck(endpointCertMeta, withTLS, func(m check.Metadata, e *inputs.Endpoint) check.Finding {
	t := e.TLS
	leaf := t.Chain[0]
	src := probeSource(e)
	days := daysLeft(e.ProbedAt, leaf.NotAfter)
	ev := []check.Evidence{
		{Key: "subject", Value: leaf.Subject, Source: src},
		{Key: "issuer", Value: leaf.Issuer, Source: src},
		{Key: "key", Value: fmt.Sprintf("%s %d bits", leaf.KeyType, leaf.KeyBits), Source: src},
		{Key: "signature", Value: leaf.SignatureAlgorithm, Source: src},
		{Key: "not after", Value: fmt.Sprintf("%s (%d days left)", leaf.NotAfter.UTC().Format("2006-01-02"), days), Source: src},
	}
	verify := "verified with " + t.VerifiedWith
	if !t.Verified {
		verify = "not verified with " + t.VerifiedWith + ": " + t.VerifyError
	}
	ev = append(ev, check.Evidence{Key: "chain", Value: verify, Source: src})

	var fails, warns []string
	sev := check.Info
	failWith := func(s check.Severity, msg string) {
		fails = append(fails, msg)
		sev = max(sev, s)
	}
	switch {
	case !e.ProbedAt.IsZero() && e.ProbedAt.Before(leaf.NotBefore):
		failWith(check.High, "it is not valid before "+leaf.NotBefore.UTC().Format("2006-01-02"))
	case days < 0 || (!e.ProbedAt.IsZero() && !e.ProbedAt.Before(leaf.NotAfter)):
		failWith(check.High, "it expired on "+leaf.NotAfter.UTC().Format("2006-01-02"))
	case days < certWarnDays:
		warns = append(warns, fmt.Sprintf("it expires in %s (%s)", plural(days, "day", "days"), leaf.NotAfter.UTC().Format("2006-01-02")))
	}
	if !t.Verified && t.VerifiedWith != "the system roots" {
		failWith(check.High, "it does not verify against "+t.VerifiedWith+" ("+t.VerifyError+")")
	}
	switch {
	case leaf.KeyType == "RSA" && leaf.KeyBits < 2048:
		failWith(check.High, fmt.Sprintf("its RSA key has %d bits (want 2048 or more)", leaf.KeyBits))
	case leaf.KeyType == "ECDSA" && leaf.KeyBits < 256:
		failWith(check.High, fmt.Sprintf("its ECDSA key has %d bits (want P-256 or larger)", leaf.KeyBits))
	}
	for i, c := range t.Chain {
		if i > 0 && c.Subject == c.Issuer {
			continue // a root's self-signature is not checked by clients
		}
		if a := strings.ToUpper(c.SignatureAlgorithm); strings.Contains(a, "SHA1") || strings.Contains(a, "MD5") || strings.Contains(a, "MD2") {
			failWith(check.Medium, fmt.Sprintf("%s is signed with %s", certName(i), c.SignatureAlgorithm))
		}
	}
	desc := fmt.Sprintf("the serving certificate (%s, %s %d, %s) ", leaf.Subject, leaf.KeyType, leaf.KeyBits, leaf.SignatureAlgorithm)
	switch {
	case len(fails) > 0:
		r := m.Result(check.Fail, e.URL, desc+"fails: "+strings.Join(append(fails, warns...), "; "), ev...)
		r.Severity = sev
		return r
	case len(warns) > 0:
		return m.Result(check.Warn, e.URL, desc+"is sound but "+strings.Join(warns, "; ")+": renew it now", ev...)
	}
	msg := desc + fmt.Sprintf("is valid for %s more (until %s)", plural(days, "day", "days"), leaf.NotAfter.UTC().Format("2006-01-02"))
	if t.Verified {
		msg += " and verifies with " + t.VerifiedWith
	} else {
		msg += "; no cluster CA was given to verify it (" + t.VerifyError + ")"
	}
	return m.Result(check.Pass, e.URL, msg, ev...)
})

func certName(i int) string {
	if i == 0 {
		return "the certificate"
	}
	return fmt.Sprintf("chain certificate %d", i)
}

var endpointSANsMeta = check.Metadata{
	ID:       "AG-NET-017",
	Title:    "The certificate of a public endpoint does not disclose internal names",
	Layer:    check.Network,
	Severity: check.Low,
	Rationale: "Anyone who completes a TLS handshake reads the certificate's subject alternative names, without " +
		"credentials. kubeadm and most installers put node host names, private node addresses and internal DNS " +
		"names there: on an internet-facing endpoint they map the internal network for an attacker (which " +
		"addresses to pivot to, the naming scheme of hosts). Public addresses in the SANs that the endpoint does " +
		"not resolve to point at other ways in (an old load balancer, a node's public IP). The standard in-cluster " +
		"names (kubernetes.default.svc...) and loopback reveal nothing.",
	Remediation: "Serve public clients through a load balancer or proxy that presents a certificate with only the " +
		"public name, or reissue the serving certificate without internal names " +
		"(kubeadm: ClusterConfiguration apiServer.certSANs lists the extra SANs; `kubeadm init phase certs " +
		"apiserver` reissues it). Close any public address the SANs reveal that is not meant to serve the API.",
	References: []check.Reference{
		{Title: "kubeadm ClusterConfiguration apiServer.certSANs", URL: "https://kubernetes.io/docs/reference/config-api/kubeadm-config.v1beta4/"},
	},
	Inputs: []check.Input{check.InputEndpoint},
}

// internalSuffixes mark DNS names that only resolve inside a network.
var internalSuffixes = []string{".local", ".localdomain", ".internal", ".intranet", ".corp", ".lan", ".home", ".home.arpa",
	".private", ".svc", ".cluster.local", ".localhost", ".intra", ".priv"}

// sanClass classifies one SAN: "standard" (in-cluster names, loopback),
// "internal" (host names and non-public addresses), "public-ip" or "public-name".
func sanClass(san string) string {
	if ip, err := netip.ParseAddr(san); err == nil {
		switch inputs.ClassifyAddr(ip) {
		case inputs.AddrLoopback:
			return "standard"
		case inputs.AddrPublic:
			return "public-ip"
		}
		return "internal"
	}
	n := strings.ToLower(strings.TrimSuffix(san, "."))
	switch {
	case n == "localhost", n == "kubernetes", n == "kubernetes.default", n == "kubernetes.default.svc",
		strings.HasPrefix(n, "kubernetes.default.svc."):
		return "standard"
	case !strings.Contains(n, "."):
		return "internal" // a bare host name ("cp-1")
	}
	for _, suf := range internalSuffixes {
		if strings.HasSuffix(n, suf) {
			return "internal"
		}
	}
	return "public-name"
}

// EndpointSANs judges what the certificate's SANs disclose.
var EndpointSANs = probeCheck(endpointSANsMeta, withTLS, func(m check.Metadata, e *inputs.Endpoint) check.Finding {
	src := probeSource(e)
	leaf := e.TLS.Chain[0]
	probed := map[string]bool{}
	for _, a := range e.Addresses {
		probed[a.IP] = true
	}
	byClass := map[string][]string{}
	for _, san := range append(append([]string{}, leaf.DNSNames...), leaf.IPAddresses...) {
		c := sanClass(san)
		if c == "public-ip" && probed[san] {
			c = "public-name" // the endpoint's own address
		}
		byClass[c] = append(byClass[c], san)
	}
	var ev []check.Evidence
	for _, c := range []struct{ class, key string }{
		{"internal", "internal SANs"}, {"public-ip", "other public addresses"}, {"public-name", "public SANs"}, {"standard", "standard SANs"},
	} {
		if len(byClass[c.class]) > 0 {
			ev = append(ev, check.Evidence{Key: c.key, Value: strings.Join(byClass[c.class], ", "), Source: src})
		}
	}
	public := e.Public()
	var problems []string
	if public && len(byClass["internal"]) > 0 {
		problems = append(problems, "the certificate served on a public address names "+
			plural(len(byClass["internal"]), "internal host or address", "internal hosts or addresses")+": "+strings.Join(byClass["internal"], ", "))
	}
	if len(byClass["public-ip"]) > 0 {
		problems = append(problems, "the certificate names "+plural(len(byClass["public-ip"]), "public address", "public addresses")+
			" the endpoint does not resolve to ("+strings.Join(byClass["public-ip"], ", ")+"): the API server may be reachable there too")
	}
	if len(problems) > 0 {
		return m.Result(check.Warn, e.URL, strings.Join(problems, "; "), ev...)
	}
	n := len(leaf.DNSNames) + len(leaf.IPAddresses)
	msg := plural(n, "SAN", "SANs") + " in the serving certificate"
	switch {
	case len(byClass["internal"]) > 0:
		msg += fmt.Sprintf("; %s only matter on a public endpoint, and this one is not (%s)",
			plural(len(byClass["internal"]), "internal name", "internal names"), addressList(e.Addresses))
	default:
		msg += ": none discloses an internal host or another public address"
	}
	return m.Result(check.Pass, e.URL, msg, ev...)
})

var endpointPublicMeta = check.Metadata{
	ID:       "AG-NET-018",
	Title:    "The API server endpoint is not on a public address",
	Layer:    check.Network,
	Severity: check.Medium,
	Rationale: "An API server on a public address can be reached by anyone on the internet unless a firewall or " +
		"provider allow-list filters it: every pre-authentication flaw (CVE-2018-1002105, HTTP/2 rapid reset, " +
		"CVE-2019-11253 YAML bombs) and every leaked credential is then exploitable from anywhere, and scanners " +
		"index such endpoints within hours. The probe resolves the endpoint and classifies each address " +
		"(public, private RFC 1918 / ULA, CGNAT, loopback, link-local).",
	Remediation: "Serve the API on a private address (reach it through a VPN, a bastion or the provider's private " +
		"endpoint: EKS endpointPublicAccess=false, GKE private endpoint or DNS endpoint, AKS private cluster), " +
		"or restrict the public endpoint to known networks (EKS publicAccessCidrs, GKE master authorized networks, " +
		"AKS authorized IP ranges, a firewall in front of self-managed control planes); pass the provider's " +
		"cluster JSON with --cloud to have apiguard check those settings.",
	References: []check.Reference{
		{Title: "Controlling access to the Kubernetes API", URL: "https://kubernetes.io/docs/concepts/security/controlling-access/"},
	},
	Inputs: []check.Input{check.InputEndpoint},
}

// EndpointPublic classifies the endpoint's addresses.
var EndpointPublic = probeCheck(endpointPublicMeta, withEndpoint, func(m check.Metadata, e *inputs.Endpoint) check.Finding {
	src := probeSource(e)
	if len(e.Addresses) == 0 {
		msg := "the endpoint's host name did not resolve"
		if e.ResolveError != "" {
			msg += ": " + e.ResolveError
		}
		return m.Result(check.NotAssessable, e.URL, msg)
	}
	ev := []check.Evidence{{Key: "address", Value: addressList(e.Addresses), Source: src}}
	var public []string
	for _, a := range e.Addresses {
		if a.Class == inputs.AddrPublic {
			public = append(public, a.IP)
		}
	}
	if len(public) > 0 {
		noun := "public address "
		if len(public) > 1 {
			noun = "public addresses "
		}
		return m.Result(check.Warn, e.URL, e.Host+" is on "+noun+
			strings.Join(public, ", ")+": the API server is reachable from the internet unless a firewall or provider allow-list filters it", ev...)
	}
	classes := map[inputs.AddressClass]bool{}
	var names []string
	for _, a := range e.Addresses {
		if !classes[a.Class] {
			classes[a.Class] = true
			names = append(names, string(a.Class))
		}
	}
	return m.Result(check.Pass, e.URL, e.Host+" resolves only to non-public addresses ("+strings.Join(names, ", ")+")", ev...)
})
