package authentication

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var anonymousMeta = check.Metadata{
	ID:       "AG-AUTHN-001",
	Title:    "Anonymous requests are disabled or limited to health endpoints",
	Layer:    check.Authentication,
	Severity: check.Medium,
	Rationale: "With anonymous authentication on (--anonymous-auth defaults to true), every request that no other " +
		"authenticator claims runs as user system:anonymous in group system:unauthenticated. Every RBAC binding " +
		"to those subjects is then reachable by anyone who can reach the API port: one careless ClusterRoleBinding " +
		"turns into unauthenticated access, and even the defaults disclose /version and health details. Since " +
		"v1.32 (GA in v1.34) the anonymous block of --authentication-config can keep /livez, /readyz and /healthz " +
		"open for probes while every other path answers 401.",
	Remediation: "Disable anonymous authentication, or limit it to the health endpoints with --authentication-config " +
		"(do not also set --anonymous-auth):\n" +
		"  apiVersion: apiserver.config.k8s.io/v1\n  kind: AuthenticationConfiguration\n" +
		"  anonymous:\n    enabled: true\n    conditions:\n    - path: /livez\n    - path: /readyz\n    - path: /healthz\n" +
		"Without probes relying on it, --anonymous-auth=false (kubeadm: apiServer.extraArgs anonymous-auth: \"false\").",
	References: []check.Reference{
		{CIS: "1.2.1", Title: "Ensure that the --anonymous-auth argument is set to false"},
		{Title: "Anonymous requests", URL: "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests"},
		{Title: "KEP-4633: anonymous authentication for configured endpoints", URL: "https://github.com/kubernetes/enhancements/issues/4633"},
	},
	Inputs: []check.Input{check.InputFlags, check.InputFiles},
}

// healthPaths are the endpoints probes need and system:public-info-viewer grants.
var healthPaths = map[string]bool{"/healthz": true, "/livez": true, "/readyz": true}

// documentedExtraPaths are anonymous paths with a documented, legitimate use.
var documentedExtraPaths = map[string]string{
	"/api/v1/namespaces/kube-public/configmaps/cluster-info": "kubeadm token-discovery joins read the cluster CA and endpoint from it",
	"/version": "granted to everyone by system:public-info-viewer; discloses the exact build to scanners",
}

// AnonymousAuth is CIS 1.2.1, aware of the structured anonymous block.
var AnonymousAuth = check.PerServer(anonymousMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	cfg, nf := loadAuthnConfig(m, a, f)
	if nf != nil {
		return *nf
	}
	flag := f.Get("anonymous-auth")
	if cfg != nil && cfg.Config.Anonymous != nil {
		return anonymousFromConfig(m, a, f, cfg, flag)
	}
	on, bad := flagBool(m, a, flag)
	if bad != nil {
		return *bad
	}
	ev := []check.Evidence{check.FlagEvidence(flag)}
	if cfg != nil {
		ev = append(ev, check.Evidence{Key: "anonymous", Value: "(no anonymous block)", Source: cfg.Path})
	}
	if !on {
		return m.Result(check.Pass, a.Name, "anonymous authentication is disabled", ev...)
	}
	if f.Get("authorization-config").Value == "" {
		if modes := effectiveModes(f); modes.hasAlwaysAllow {
			ev = append(ev, modes.evidence)
			r := m.Result(check.Warn, a.Name,
				"--anonymous-auth is true, but kube-apiserver currently resets it to false because AlwaysAllow is in "+
					"--authorization-mode (AnonymousAuth is not allowed with the AlwaysAllow authorizer); once AlwaysAllow "+
					"is removed (AG-AUTHZ-001) anonymous requests will be enabled: set --anonymous-auth=false or limit "+
					"anonymous to the health endpoints now", ev...)
			r.Location = check.FlagLocation(flag)
			return r
		}
	}
	return fail(m, a, flag, "anonymous authentication is enabled: every RBAC binding to system:anonymous or "+
		"system:unauthenticated is reachable by anyone who can reach the API port", ev...)
})

func anonymousFromConfig(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags, cfg *authnFile, flag apiserverflags.Value) check.Finding {
	anon := cfg.Config.Anonymous
	doc := cfg.Doc
	ev := []check.Evidence{
		check.FlagEvidence(cfg.Flag),
		{Key: "anonymous.enabled", Value: strconv.FormatBool(anon.Enabled), Source: doc.Source("anonymous", "enabled")},
	}
	for i, c := range anon.Conditions {
		ev = append(ev, check.Evidence{Key: fmt.Sprintf("anonymous.conditions[%d].path", i), Value: c.Path, Source: doc.Source("anonymous", "conditions", idx(i), "path")})
	}
	at := func(r check.Finding, path ...string) check.Finding {
		r.Location = &check.Location{File: cfg.Path, Line: doc.Line(path...)}
		return r
	}
	if f.IsSet("anonymous-auth") {
		ev = append(ev, check.FlagEvidence(flag))
		return fail(m, a, flag, fmt.Sprintf("--anonymous-auth is set together with the anonymous block of %s (%s): the two are "+
			"mutually exclusive and kube-apiserver refuses to start; remove --anonymous-auth", cfg.Path, doc.Source("anonymous")), ev...)
	}
	if ver, assumed := f.Version(); !assumed {
		switch {
		case !ver.AtLeast("1.31"):
			return at(m.Result(check.Fail, a.Name, fmt.Sprintf("%s: the anonymous block does not exist before v1.31 (this is %s): "+
				"kube-apiserver refuses the file", doc.Source("anonymous"), ver), ev...), "anonymous")
		case !ver.AtLeast("1.32") && !check.FeatureGateOn(f, "AnonymousAuthConfigurableEndpoints"):
			return at(m.Result(check.Fail, a.Name, fmt.Sprintf("%s: the anonymous block needs --feature-gates=AnonymousAuthConfigurableEndpoints=true "+
				"in v1.31 (alpha, off by default): kube-apiserver refuses the file", doc.Source("anonymous")), ev...), "anonymous")
		}
	}
	if !anon.Enabled {
		if len(anon.Conditions) > 0 {
			return at(m.Result(check.Fail, a.Name, fmt.Sprintf("%s: anonymous.conditions are set while enabled is false: "+
				"kube-apiserver refuses to start (enabled should be set to true when conditions are defined)", doc.Source("anonymous", "conditions")), ev...),
				"anonymous", "conditions")
		}
		return m.Result(check.Pass, a.Name, "anonymous authentication is disabled by "+doc.Source("anonymous", "enabled"), ev...)
	}
	if len(anon.Conditions) == 0 {
		return at(m.Result(check.Fail, a.Name, fmt.Sprintf("%s: anonymous is enabled without conditions, so every path accepts "+
			"anonymous requests: every RBAC binding to system:anonymous or system:unauthenticated is reachable by anyone "+
			"who can reach the API port; add conditions limited to /livez, /readyz and /healthz", doc.Source("anonymous", "enabled")), ev...),
			"anonymous", "enabled")
	}
	var documented, other []string
	var reasons []string
	for _, c := range anon.Conditions {
		switch {
		case healthPaths[c.Path]:
		case documentedExtraPaths[c.Path] != "":
			documented = append(documented, c.Path)
			reasons = append(reasons, c.Path+": "+documentedExtraPaths[c.Path])
		default:
			other = append(other, c.Path)
		}
	}
	switch {
	case len(other) > 0:
		return at(m.Result(check.Warn, a.Name, fmt.Sprintf("anonymous requests are limited to listed paths, but %s %s beyond "+
			"the health endpoints: whatever RBAC grants system:anonymous/system:unauthenticated there is public; confirm each is intended",
			strings.Join(append(other, documented...), ", "), isAre(len(other)+len(documented))), ev...), "anonymous", "conditions")
	case len(documented) > 0:
		r := at(m.Result(check.Warn, a.Name, fmt.Sprintf("anonymous requests are limited to the health endpoints plus %s (%s); "+
			"remove them if unused (kubeadm file-based discovery does not need cluster-info)",
			strings.Join(documented, ", "), strings.Join(reasons, "; ")), ev...), "anonymous", "conditions")
		r.Severity = check.Low
		return r
	}
	return m.Result(check.Pass, a.Name, "anonymous requests are limited to the health endpoints (exact path match; every other path answers 401)", ev...)
}

func isAre(n int) string {
	if n == 1 {
		return "is open"
	}
	return "are open"
}

// modeList is the effective legacy --authorization-mode list.
type modeList struct {
	modes          []string
	hasAlwaysAllow bool
	evidence       check.Evidence
}

// effectiveModes applies kube-apiserver's default: an empty or unset
// --authorization-mode means AlwaysAllow when --authorization-config is unused.
func effectiveModes(f *apiserverflags.Flags) modeList {
	v := f.Get("authorization-mode")
	ml := modeList{modes: v.List(), evidence: check.FlagEvidence(v)}
	if len(ml.modes) == 0 {
		ver, _ := f.Version()
		ml.modes = []string{"AlwaysAllow"}
		src := "default for v" + ver.MinorString() + " (binary default when --authorization-config is unused)"
		if v.Set {
			src = v.Source + " (empty list: the binary default applies)"
		}
		ml.evidence = check.Evidence{Key: v.Key(), Value: "AlwaysAllow", Source: src}
	}
	for _, m := range ml.modes {
		if m == "AlwaysAllow" {
			ml.hasAlwaysAllow = true
		}
	}
	return ml
}
