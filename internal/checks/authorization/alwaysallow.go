package authorization

import (
	"fmt"
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var alwaysAllowMeta = check.Metadata{
	ID:       "AG-AUTHZ-001",
	Title:    "Requests are never authorized unconditionally (no AlwaysAllow)",
	Layer:    check.Authorization,
	Severity: check.Critical,
	Rationale: "The AlwaysAllow authorizer allows every request that reaches it: any authenticated identity (a " +
		"ServiceAccount token from any Pod, a node's kubelet credential) becomes cluster-admin. It is kube-apiserver's " +
		"binary default when neither --authorization-mode nor --authorization-config is given. With " +
		"--authorization-config the chain lives in the file and --authorization-mode must not be set (the server " +
		"refuses to start), so checks that only read the flag miss an AlwaysAllow in the file.",
	Remediation: "Use --authorization-mode=Node,RBAC (kubeadm's default), or an AuthorizationConfiguration whose authorizers " +
		"are Node and RBAC (plus webhooks), without type AlwaysAllow; never set both --authorization-config and --authorization-mode.",
	References: []check.Reference{
		{CIS: "1.2.6", Title: "Ensure that the --authorization-mode argument is not set to AlwaysAllow"},
		{Title: "Authorization modes and structured authorization configuration", URL: "https://kubernetes.io/docs/reference/access-authn-authz/authorization/"},
	},
	Inputs: []check.Input{check.InputFlags, check.InputFiles},
}

// NoAlwaysAllow is CIS 1.2.6, evaluated on the effective authorizer chain.
var NoAlwaysAllow = check.PerServer(alwaysAllowMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	c, nf := resolveChain(m, a, f)
	if nf != nil {
		if nf.Status == check.NotAssessable && len(c.Startup) > 0 {
			r := m.Result(check.Fail, a.Name, "kube-apiserver refuses to start: "+strings.Join(c.Startup, "; ")+
				" (the file itself could not be read: "+nf.Message+")", c.Evidence...)
			r.Severity = check.High
			r.Location = check.FlagLocation(c.Flag)
			return r
		}
		return *nf
	}
	if aa, ok := c.Has(AlwaysAllow); ok {
		var msg string
		switch {
		case !c.FromConfig && !c.Flag.Set:
			msg = "neither --authorization-mode nor --authorization-config is set: kube-apiserver's binary default is AlwaysAllow " +
				"(kubeadm sets Node,RBAC), so every authenticated request is allowed"
		case !c.FromConfig && len(c.Flag.List()) == 0:
			msg = "--authorization-mode is empty: kube-apiserver falls back to its binary default AlwaysAllow, so every authenticated request is allowed"
		case c.FromConfig:
			msg = fmt.Sprintf("%s: authorizers[%d] is type AlwaysAllow: every request no earlier authorizer decided is allowed "+
				"(chain %s); anonymous requests too if anonymous authentication is on", aa.Source, aa.Index, strings.Join(c.Types(), ", "))
		default:
			msg = fmt.Sprintf("--authorization-mode includes AlwaysAllow (%s): every authenticated request no earlier mode decided is allowed",
				strings.Join(c.Types(), ","))
		}
		r := m.Result(check.Fail, a.Name, msg+c.startupNote(), c.Evidence...)
		r.Location = c.location(aa)
		return r
	}
	if len(c.Startup) > 0 {
		r := m.Result(check.Fail, a.Name, "no AlwaysAllow authorizer, but kube-apiserver refuses to start with this configuration: "+
			strings.Join(c.Startup, "; "), c.Evidence...)
		r.Severity = check.High
		if c.FromConfig && c.StartupLine > 0 {
			r.Location = &check.Location{File: c.Path, Line: c.StartupLine}
		} else {
			r.Location = check.FlagLocation(c.Flag)
		}
		return r
	}
	return m.Result(check.Pass, a.Name, fmt.Sprintf("no AlwaysAllow authorizer in %s (chain %s)", c.Where(), strings.Join(c.Types(), ", ")), c.Evidence...)
})
