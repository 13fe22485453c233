package authentication

import (
	"context"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var bootstrapMeta = check.Metadata{
	ID:       "AG-AUTHN-008",
	Title:    "Bootstrap token authentication is off, or its tokens are short-lived",
	Layer:    check.Authentication,
	Severity: check.Low,
	Rationale: "With --enable-bootstrap-token-auth, Secrets of type bootstrap.kubernetes.io/token in kube-system " +
		"authenticate as system:bootstrap:<token-id> in group system:bootstrappers, which may create CSRs and, with " +
		"kubeadm's auto-approval, obtain node client certificates. kubeadm enables it for node joins; the risk is a " +
		"bootstrap token without an expiration (kubeadm token create --ttl 0) that outlives its purpose.",
	Remediation: "Turn it off when nodes no longer join with bootstrap tokens (remove --enable-bootstrap-token-auth). " +
		"Otherwise make every bootstrap token expire (kubeadm token create --ttl 1h; delete tokens without an expiration " +
		"key with kubeadm token delete).",
	References: []check.Reference{
		{Title: "Authenticating with bootstrap tokens", URL: "https://kubernetes.io/docs/reference/access-authn-authz/bootstrap-tokens/"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// BootstrapTokenAuth reports whether bootstrap tokens authenticate. The
// tokens themselves (expiration) are checked from the live Secrets elsewhere.
var BootstrapTokenAuth = check.Check{
	Metadata: bootstrapMeta,
	Run: func(_ context.Context, s *inputs.Snapshot) []check.Finding {
		m := bootstrapMeta
		return check.PerAPIServer(m, s, func(a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
			v := f.Get("enable-bootstrap-token-auth")
			on, bad := flagBool(m, a, v)
			if bad != nil {
				return *bad
			}
			if !on {
				return m.Result(check.Pass, a.Name, "bootstrap token authentication is off", check.FlagEvidence(v))
			}
			r := m.Result(check.Warn, a.Name, "bootstrap token authentication is on (kubeadm enables it for node joins): "+
				"every Secret of type bootstrap.kubernetes.io/token in kube-system must carry an expiration and be deleted after use",
				check.FlagEvidence(v))
			r.Location = check.FlagLocation(v)
			return r
		})
	},
}
