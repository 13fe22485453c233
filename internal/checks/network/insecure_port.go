package network

import (
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var insecurePortMeta = check.Metadata{
	ID:       "AG-NET-012",
	Title:    "No insecure HTTP port is served",
	Layer:    check.Network,
	Severity: check.Critical,
	Rationale: "Before Kubernetes v1.20 kube-apiserver served a second, plain-HTTP port (--insecure-port, alias " +
		"--port; default 8080 on --insecure-bind-address/--address, default 127.0.0.1) that skips authentication " +
		"and authorization entirely: every request is cluster-admin. Anything that reaches it (another process " +
		"or hostNetwork pod on the node, an SSRF, or the whole network when bound to 0.0.0.0) takes over the " +
		"cluster. v1.20 disabled it (only 0 is accepted) and v1.24 removed the flags, so a current server " +
		"refuses to start with them.",
	Remediation: "Upgrade to a supported Kubernetes release and remove --insecure-port, --insecure-bind-address, " +
		"--port and --address from the manifest; on a pre-1.20 server set --insecure-port=0 until it is upgraded.",
	References: []check.Reference{
		{Title: "Controlling access to the Kubernetes API: API server ports and IPs", URL: "https://kubernetes.io/docs/concepts/security/controlling-access/#api-server-ports-and-ips"},
		{Title: "Kubernetes v1.20 changelog: insecure serving disabled", URL: "https://github.com/kubernetes/kubernetes/blob/master/CHANGELOG/CHANGELOG-1.20.md"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// InsecurePort checks the pre-1.20 unauthenticated HTTP port.
var InsecurePort = check.PerServer(insecurePortMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	ver, assumed := f.Version()
	verText := "v" + ver.MinorString()
	if assumed {
		verText += " (version unknown, newest assumed)"
	}

	// The port: --insecure-port, else its alias --port.
	port := f.Get("insecure-port")
	if !port.Set && f.IsSet("port") {
		port = f.Get("port")
	}
	ev := []check.Evidence{check.FlagEvidence(port)}
	for _, alias := range []string{"port", "insecure-bind-address", "address"} {
		if alias != port.Name && f.IsSet(alias) {
			ev = append(ev, check.FlagEvidence(f.Get(alias)))
		}
	}
	bind := "127.0.0.1"
	for _, n := range []string{"address", "insecure-bind-address"} {
		if v := f.Get(n); written(v) {
			bind = strings.TrimSpace(v.Value)
		}
	}

	if !port.Set {
		if !ver.AtLeastMinor(1, 20) {
			port.Value, port.Source = "8080", "default before v1.20 (this server: "+verText+")"
			ev[0] = check.FlagEvidence(port)
			return m.Result(check.Fail, a.Name, "--insecure-port is not set: kube-apiserver "+verText+
				" serves an unauthenticated, unauthorized HTTP API on its default "+bind+":8080", ev...)
		}
		return m.Result(check.Pass, a.Name, "no insecure port: kube-apiserver "+verText+" has no insecure serving "+
			"(disabled in v1.20, flags removed in v1.24)", ev...)
	}
	n, err := port.Int()
	if err != nil {
		return failAt(m, a.Name, err.Error(), port, ev...)
	}
	if n != 0 {
		msg := port.Key() + "=" + itoa(n) + " serves an unauthenticated, unauthorized HTTP API (every request is " +
			"cluster-admin) on " + bind + ":" + itoa(n)
		switch {
		case ver.AtLeastMinor(1, 24):
			msg += "; kube-apiserver " + verText + " no longer has this flag and refuses to start, so if this " +
				"server is running its binary is older than v1.20"
		case ver.AtLeastMinor(1, 20):
			msg += "; kube-apiserver " + verText + " refuses to start with a non-zero value, so if this server " +
				"is running its binary is older than v1.20"
		}
		return failAt(m, a.Name, msg, port, ev...)
	}
	msg := "the insecure port is disabled (" + port.Key() + "=0)"
	if ver.AtLeastMinor(1, 24) {
		msg += "; remove the flag: kube-apiserver " + verText + " no longer has it and refuses to start with it"
	}
	return m.Result(check.Pass, a.Name, msg, ev...)
})
