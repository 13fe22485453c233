package network

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var anonymousExposureMeta = check.Metadata{
	ID:       "AG-NET-013",
	Title:    "Anonymous callers learn nothing beyond the health endpoints",
	Layer:    check.Network,
	Severity: check.High,
	Rationale: "Measured, not inferred from flags: apiguard sends unauthenticated GETs to the endpoint and records " +
		"what comes back. Anything beyond /livez, /readyz and /healthz helps an attacker who can reach the port: " +
		"/version gives the exact patch level to match against known CVEs; discovery and /openapi/v2 list every " +
		"API group, which names the software installed; /metrics, /debug/pprof/ and /logs/ expose internals " +
		"(pprof heap dumps, CPU profiles that load the server, the node's /var/log); and resource reads mean an " +
		"RBAC binding grants system:anonymous or system:unauthenticated real data. On a public address any of " +
		"this is reachable by the whole internet, and a single mistaken binding becomes a data breach: the " +
		"finding is then critical. Answers 401 mean anonymous requests are not authenticated at all; 403 means " +
		"they are (system:anonymous) and only authorization stands in the way.",
	Remediation: "Remove every binding that grants system:anonymous or system:unauthenticated more than " +
		"system:public-info-viewer (find them with `kubectl get clusterrolebindings,rolebindings -A -o wide | grep -E " +
		"'system:(anonymous|unauthenticated)'`). Then limit anonymous authentication to the health endpoints: " +
		"--anonymous-auth=false, or (v1.32+) an --authentication-config with\n" +
		"  anonymous:\n    enabled: true\n    conditions:\n    - path: /livez\n    - path: /readyz\n    - path: /healthz\n" +
		"which also hides /version. kubeadm clusters that join nodes with file discovery can drop the " +
		"cluster-info grant: `kubectl -n kube-public delete rolebinding kubeadm:bootstrap-signer-clusterinfo`. " +
		"Keep --profiling=false so /debug/pprof/ does not exist.",
	References: []check.Reference{
		{Title: "Anonymous requests (and AnonymousAuthConfigurableEndpoints)", URL: "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests"},
		{Title: "Default roles and role bindings (system:public-info-viewer)", URL: "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#default-roles-and-role-bindings"},
	},
	Inputs: []check.Input{check.InputEndpoint},
}

// exposureOf rates what an anonymous answer on a path discloses.
func exposureOf(path string) (check.Severity, string) {
	raw, _, _ := strings.Cut(path, "?")
	switch {
	case raw == "/version":
		return check.Low, "the exact server version"
	case raw == "/.well-known/openid-configuration", raw == "/openid/v1/jwks":
		return check.Low, "the service-account token issuer"
	case path == inputs.ClusterInfoPath:
		return check.Low, "the cluster CA and API server URL (kubeadm bootstrap discovery)"
	case raw == "/api", raw == "/apis":
		return check.Medium, "API discovery"
	case strings.HasPrefix(raw, "/openapi/"):
		return check.Medium, "the API schema"
	case raw == "/metrics":
		return check.High, "internal metrics"
	case strings.HasPrefix(raw, "/debug/pprof"):
		return check.High, "Go profiling (heap dumps; CPU profiles load the server)"
	case strings.HasPrefix(raw, "/logs"):
		return check.Critical, "the control-plane node's logs"
	case strings.HasPrefix(raw, "/api/"), strings.HasPrefix(raw, "/apis/"):
		return check.High, "cluster data"
	}
	return check.Medium, "an endpoint"
}

// leakText renders what a path disclosed.
func leakText(r inputs.PathResult) string {
	if r.Outcome == inputs.AllowedNotFound {
		return fmt.Sprintf("HTTP %d: allowed (the object does not exist, but reads are authorized)", r.Status)
	}
	var parts []string
	for _, l := range r.Leaked {
		parts = append(parts, l.Kind+" "+l.Value)
	}
	s := fmt.Sprintf("HTTP %d", r.Status)
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, "; ")
	}
	return s
}

// AnonymousExposure judges the anonymous GETs of the probe.
var AnonymousExposure = probeCheck(anonymousExposureMeta, withEndpoint, func(m check.Metadata, e *inputs.Endpoint) check.Finding {
	src := probeSource(e)
	var (
		ev            []check.Evidence
		exposed       []string
		worst         = check.Info
		forbidden     []string
		unauth        int
		healthRefused []string
		asked         int
	)
	for _, r := range e.Paths {
		if slices.Contains(inputs.HealthPaths, r.Path) {
			if r.Outcome != inputs.Exposed {
				healthRefused = append(healthRefused, fmt.Sprintf("%s (HTTP %d)", r.Path, r.Status))
			}
			continue
		}
		asked++
		switch r.Outcome {
		case inputs.Exposed, inputs.AllowedNotFound:
			sev, what := exposureOf(r.Path)
			worst = max(worst, sev)
			exposed = append(exposed, r.Path+" ("+what+")")
			ev = append(ev, check.Evidence{Key: "GET " + r.Path, Value: leakText(r), Source: src})
		case inputs.Forbidden:
			forbidden = append(forbidden, r.Path)
		case inputs.Unauthenticated:
			unauth++
		}
	}
	if asked == 0 {
		return m.Result(check.NotAssessable, e.URL, "the probe sent no request outside the health endpoints")
	}
	public := e.Public()
	if public {
		ev = append(ev, check.Evidence{Key: "address", Value: addressList(e.Addresses), Source: src})
	}
	if len(exposed) == 0 {
		msg := fmt.Sprintf("anonymous requests to %s outside the health endpoints get no data", plural(asked, "path", "paths"))
		switch {
		case len(forbidden) > 0:
			msg += fmt.Sprintf(": %d answer 403, so anonymous requests are authenticated (as system:anonymous) "+
				"and only authorization stops them (anonymous authentication is on: AG-AUTHN-001)", len(forbidden))
			ev = append(ev, check.Evidence{Key: "HTTP 403", Value: strings.Join(forbidden, ", "), Source: src})
		case unauth > 0:
			msg += ": they answer 401, anonymous requests are not authenticated there"
		}
		if len(healthRefused) > 0 {
			msg += "; the health endpoints refuse anonymous callers too: " + strings.Join(healthRefused, ", ")
		}
		return m.Result(check.Pass, e.URL, msg, ev...)
	}
	msg := "anonymous callers read " + joinAnd(exposed)
	status, sev := check.Warn, check.Low
	if worst >= check.Medium {
		status, sev = check.Fail, worst
	}
	if public {
		msg += ", on a public address (" + addressList(e.Addresses) + ")"
		if status == check.Fail {
			sev = check.Critical
		} else {
			sev = check.Medium
		}
	}
	r := m.Result(status, e.URL, msg, ev...)
	r.Severity = sev
	return r
})
