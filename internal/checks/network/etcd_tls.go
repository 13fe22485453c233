package network

import (
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var etcdTLSMeta = check.Metadata{
	ID:       "AG-NET-009",
	Title:    "etcd is reached over TLS",
	Layer:    check.Network,
	Severity: check.High,
	Rationale: "The etcd client in kube-apiserver drops TLS for http:// endpoints even when --etcd-certfile, " +
		"--etcd-keyfile and --etcd-cafile are set, so checking that the certificate flags exist is not enough: " +
		"one http:// URL in --etcd-servers (or --etcd-servers-overrides, often used for events) sends every " +
		"object, Secrets included, in clear text and accepts forged responses from anyone in the network path. " +
		"A URL without a scheme uses TLS only when one of the etcd TLS flags is set. unix:// sockets never " +
		"leave the host.",
	Remediation: "Use https:// for every URL in --etcd-servers and --etcd-servers-overrides (kubeadm: " +
		"--etcd-servers=https://127.0.0.1:2379), serve etcd clients over TLS (--cert-file, --key-file, " +
		"--client-cert-auth=true), and set --etcd-cafile, --etcd-certfile and --etcd-keyfile.",
	References: []check.Reference{
		{Title: "Operating etcd clusters for Kubernetes: securing communication", URL: "https://kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/#securing-communication"},
		{Title: "etcd transport security model", URL: "https://etcd.io/docs/v3.6/op-guide/security/"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// etcdEndpoint is how the etcd v3 client treats one endpoint
// (go.etcd.io/etcd/client/v3 internal/endpoint: http drops credentials,
// https and unixs require them, unix and scheme-less use them if configured).
type etcdEndpoint int

const (
	etcdTLS etcdEndpoint = iota
	etcdLocalSocket
	etcdPlain
	etcdTLSIfConfigured
	etcdUnknownScheme
)

func classifyEtcdEndpoint(ep string) etcdEndpoint {
	switch {
	case strings.HasPrefix(ep, "unixs:"):
		return etcdTLS
	case strings.HasPrefix(ep, "unix:"):
		return etcdLocalSocket
	}
	scheme, _, ok := strings.Cut(ep, "://")
	if !ok {
		return etcdTLSIfConfigured
	}
	switch strings.ToLower(scheme) {
	case "https":
		return etcdTLS
	case "http":
		return etcdPlain
	}
	return etcdUnknownScheme
}

// etcdOverrideURLs extracts the URLs of one --etcd-servers-overrides item
// ("group/resource#url;url").
func etcdOverrideURLs(item string) []string {
	_, servers, ok := strings.Cut(item, "#")
	if !ok {
		return nil
	}
	var out []string
	for _, u := range strings.Split(servers, ";") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	return out
}

// EtcdTLS is a check beyond CIS: every etcd URL uses TLS (or a local socket).
var EtcdTLS = check.PerServer(etcdTLSMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	servers := f.Get("etcd-servers")
	overrides := f.Get("etcd-servers-overrides")
	ev := []check.Evidence{check.FlagEvidence(servers)}
	if written(overrides) {
		ev = append(ev, check.FlagEvidence(overrides))
	}
	tlsFlags := false
	for _, n := range []string{"etcd-certfile", "etcd-keyfile", "etcd-cafile"} {
		v := f.Get(n)
		ev = append(ev, check.FlagEvidence(v))
		tlsFlags = tlsFlags || written(v)
	}
	if len(servers.List()) == 0 {
		return m.Result(check.Warn, a.Name, "--etcd-servers is not set: kube-apiserver refuses to start without it, "+
			"so the command line seen is incomplete (or the flags come from a wrapper apiguard did not read); "+
			"check how this server reaches etcd", ev...)
	}

	insecure := func(u string) bool {
		switch classifyEtcdEndpoint(u) {
		case etcdPlain, etcdUnknownScheme:
			return true
		case etcdTLSIfConfigured:
			return !tlsFlags
		}
		return false
	}
	var plain, odd, bare []string
	judge := func(u string) {
		switch classifyEtcdEndpoint(u) {
		case etcdPlain:
			plain = append(plain, u)
		case etcdUnknownScheme:
			odd = append(odd, u)
		case etcdTLSIfConfigured:
			bare = append(bare, u)
		}
	}
	for _, u := range servers.List() {
		judge(u)
	}
	for _, item := range overrides.List() {
		for _, u := range etcdOverrideURLs(item) {
			judge(u)
		}
	}

	var problems []string
	if len(plain) > 0 {
		p := "plain-HTTP etcd URLs " + strings.Join(plain, ", ")
		if tlsFlags {
			p += " (the etcd client ignores the certificate flags for http:// endpoints)"
		}
		problems = append(problems, p)
	}
	if len(odd) > 0 {
		problems = append(problems, "etcd URLs with an unrecognized scheme "+strings.Join(odd, ", ")+" (want https://)")
	}
	if len(bare) > 0 && !tlsFlags {
		problems = append(problems, "etcd URLs without a scheme "+strings.Join(bare, ", ")+
			" and no --etcd-certfile/--etcd-keyfile/--etcd-cafile, so the connection is plain TCP")
	}
	if len(problems) > 0 {
		at := servers
		if o, ok := occurrenceWith(f, "etcd-servers", insecure); ok {
			at = o
		} else if o, ok := occurrenceWith(f, "etcd-servers-overrides", func(item string) bool {
			for _, u := range etcdOverrideURLs(item) {
				if insecure(u) {
					return true
				}
			}
			return false
		}); ok {
			at = o
		}
		return failAt(m, a.Name, "kube-apiserver talks to etcd without TLS: "+strings.Join(problems, "; "), at, ev...)
	}
	msg := "every etcd URL uses TLS or a local unix socket"
	if len(bare) > 0 {
		msg += " (URLs without a scheme, " + strings.Join(bare, ", ") + ", use TLS only because etcd TLS flags are set; write https:// explicitly)"
	}
	return m.Result(check.Pass, a.Name, msg, ev...)
})
