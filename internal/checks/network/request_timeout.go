package network

import (
	"strings"
	"time"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

// maxRequestTimeout is the bound above which the timeout needs a human look:
// CIS 1.2.20's own example raises the 1m default to 300s for large clusters.
const maxRequestTimeout = 5 * time.Minute

var requestTimeoutMeta = check.Metadata{
	ID:       "AG-NET-010",
	Title:    "Request timeout is bounded",
	Layer:    check.Network,
	Severity: check.Low,
	Rationale: "--request-timeout (default 1m) is the deadline of every non-long-running request (watches and " +
		"exec are governed separately by --min-request-timeout). Each request held open keeps a goroutine, " +
		"memory and, with API Priority and Fairness, a concurrency seat until it ends, so a long timeout lets " +
		"slow or stalled clients (deliberately slow uploads, expensive LISTs) exhaust the server. Up to 5m " +
		"(CIS 1.2.20's example for large clusters) is accepted; longer needs a reason. 0s does not mean " +
		"\"no timeout\": kube-apiserver gives each request a deadline equal to its start time, so ordinary " +
		"requests fail at once; a negative or unit-less value stops the server from starting.",
	Remediation: "Leave --request-timeout unset (1m) or set it to a value between 1m and 5m, e.g. " +
		"--request-timeout=300s (kubeadm: apiServer.extraArgs request-timeout: 300s).",
	References: []check.Reference{
		{CIS: "1.2.20", Title: "Ensure that the --request-timeout argument is set as appropriate"},
		{Title: "kube-apiserver flags (--request-timeout)", URL: "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// RequestTimeout is CIS 1.2.20 (Manual in CIS).
var RequestTimeout = check.PerServer(requestTimeoutMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	v := f.Get("request-timeout")
	ev := check.FlagEvidence(v)
	d, err := time.ParseDuration(strings.TrimSpace(v.Value))
	switch {
	case err != nil:
		return failAt(m, a.Name, v.Key()+"=\""+v.Value+"\" is not a Go duration (e.g. 60s, 5m; a unit is required): "+
			"kube-apiserver refuses to start", v, ev)
	case d < 0:
		return failAt(m, a.Name, v.Key()+"="+v.Value+" is negative: kube-apiserver refuses to start", v, ev)
	case d == 0:
		return failAt(m, a.Name, v.Key()+"=0 does not disable the timeout: every non-long-running request gets a "+
			"deadline equal to its start time and fails immediately", v, ev)
	case d > maxRequestTimeout:
		r := m.Result(check.Warn, a.Name, "requests may run for "+d.String()+", more than "+maxRequestTimeout.String()+
			": slow clients can hold server resources that long; confirm this is needed", ev)
		r.Location = check.FlagLocation(v)
		return r
	}
	return m.Result(check.Pass, a.Name, "requests time out after "+d.String(), ev)
})
