package authentication

import "github.com/apiguard/apiguard/internal/check"

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

// bootstrapRule: --enable-bootstrap-token-auth eq false, else a warning
// (kubeadm needs it while nodes join).
var bootstrapRule = check.FlagRule{
	Tests: []check.FlagTest{{Flag: "enable-bootstrap-token-auth", Op: check.Eq, Value: "false"}},
	Pass:  "bootstrap token authentication is off",
	Fail: "bootstrap token authentication is on (kubeadm enables it for node joins): " +
		"every Secret of type bootstrap.kubernetes.io/token in kube-system must carry an expiration and be deleted after use",
	Else:    check.Warn,
	Invalid: refusesToStart,
}

// BootstrapTokenAuth reports whether bootstrap tokens authenticate. The
// tokens themselves (expiration) are checked from the live Secrets elsewhere.
var BootstrapTokenAuth = bootstrapRule.Check(bootstrapMeta)
