package network

import (
	"net"
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var bindAddressMeta = check.Metadata{
	ID:       "AG-NET-001",
	Title:    "kube-apiserver does not listen on all interfaces",
	Layer:    check.Network,
	Severity: check.Low,
	Rationale: "With --bind-address unset, blank, 0.0.0.0 or :: (the default is 0.0.0.0) kube-apiserver " +
		"serves its secure port on every interface of the host, including public or management " +
		"networks it was never meant to face; anyone who can reach the port can probe anonymous " +
		"endpoints, guess or replay credentials and exploit the next API server CVE. Listening on all " +
		"interfaces is normal for highly available control planes behind a load balancer, so this is " +
		"a warning: it is acceptable only when a host firewall, security group or private network " +
		"restricts who reaches the port.",
	Remediation: "Set --bind-address to the control-plane node's private address (kubeadm: " +
		"localAPIEndpoint.advertiseAddress plus apiServer.extraArgs bind-address: \"<node IP>\"), " +
		"or keep 0.0.0.0 and restrict the secure port (6443) with a host firewall or security group " +
		"to the load balancer, nodes and administrators.",
	References: []check.Reference{
		{Title: "kube-apiserver flags (--bind-address)", URL: "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/"},
		{Title: "Controlling access to the Kubernetes API: API server ports and IPs", URL: "https://kubernetes.io/docs/concepts/security/controlling-access/#api-server-ports-and-ips"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// BindAddress is a check beyond CIS: the interfaces the secure port listens on.
var BindAddress = check.PerServer(bindAddressMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	v := effectiveBindAddress(f)
	ev := check.FlagEvidence(v)
	addr := strings.TrimSpace(v.Value)
	if addr == "" {
		return m.Result(check.Warn, a.Name, "--bind-address is blank: kube-apiserver listens on all interfaces; "+
			"make sure a firewall or private network restricts who reaches the secure port", ev)
	}
	ip := net.ParseIP(addr)
	switch {
	case ip == nil:
		return failAt(m, a.Name, "--bind-address="+addr+" is not an IP address: kube-apiserver refuses to start "+
			"(a host name is not accepted)", v, ev)
	case ip.IsUnspecified():
		return m.Result(check.Warn, a.Name, "kube-apiserver listens on all interfaces ("+addr+"); this is normal behind "+
			"a load balancer, but a host firewall or private network must restrict who reaches the secure port", ev)
	case ip.IsLoopback():
		return m.Result(check.Pass, a.Name, "kube-apiserver listens only on the loopback address "+addr+
			" (reachable from this host only)", ev)
	}
	return m.Result(check.Pass, a.Name, "kube-apiserver listens only on "+addr, ev)
})

// effectiveBindAddress applies pflag's IP flag rule: "--bind-address=" (blank)
// leaves the previous value in place, so the last non-blank occurrence wins
// and all-blank occurrences keep the default (0.0.0.0).
func effectiveBindAddress(f *apiserverflags.Flags) apiserverflags.Value {
	v := f.Get("bind-address")
	if !v.Set || strings.TrimSpace(v.Value) != "" {
		return v
	}
	occ := f.All("bind-address")
	for i := len(occ) - 1; i >= 0; i-- {
		if strings.TrimSpace(occ[i].Value) != "" {
			w := occ[i]
			w.Source += " (later blank occurrences are ignored by kube-apiserver)"
			return w
		}
	}
	// Only blank occurrences: the default stays in effect.
	d := v
	if def, ok := apiserverflags.DefaultFor("bind-address", versionOf(f)); ok {
		d.Value = def
	}
	d.Source += " (blank: kube-apiserver keeps its default)"
	return d
}
