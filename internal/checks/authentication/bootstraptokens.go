package authentication

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var bootstrapTokensMeta = check.Metadata{
	ID:       "AG-AUTHN-013",
	Title:    "No stale bootstrap tokens exist",
	Layer:    check.Authentication,
	Severity: check.Medium,
	Rationale: "A Secret of type bootstrap.kubernetes.io/token in kube-system authenticates (with " +
		"--enable-bootstrap-token-auth) as system:bootstrap:<id> in group system:bootstrappers, which may request " +
		"node client certificates that kubeadm's auto-approval grants: a leaked token becomes a node identity. " +
		"kubeadm's tokens expire after 24 hours by default and kube-controller-manager's tokencleaner deletes " +
		"expired ones, so a token older than a day that still exists has no expiration, a long one, or no cleaner. " +
		"The expiration is in the Secret's data, which apiguard never reads: it judges by age (creationTimestamp). " +
		"Listing the Secrets (metadata only) needs the opt-in ClusterRole apiguard-secret-inventory " +
		"(deploy/rbac-secret-inventory.yaml), without which this check is not assessable.",
	Remediation: "List the tokens with `kubeadm token list` (on a control-plane node) and delete those not needed " +
		"for a join in progress (`kubeadm token delete <id>`); create join tokens with a short TTL (`kubeadm token " +
		"create --ttl 1h`, never --ttl 0) and keep the tokencleaner controller enabled.",
	References: []check.Reference{
		{Title: "Authenticating with bootstrap tokens", URL: "https://kubernetes.io/docs/reference/access-authn-authz/bootstrap-tokens/"},
		{Title: "kubeadm token", URL: "https://kubernetes.io/docs/reference/setup-tools/kubeadm/kubeadm-token/"},
	},
	Inputs: []check.Input{check.InputCredentials},
}

// bootstrapStaleAfter is kubeadm's default token TTL.
const bootstrapStaleAfter = 24 * time.Hour

// BootstrapTokens reports bootstrap token Secrets older than kubeadm's TTL.
var BootstrapTokens = check.Check{
	Metadata: bootstrapTokensMeta,
	Run: func(_ context.Context, s *inputs.Snapshot) []check.Finding {
		m := bootstrapTokensMeta
		c, now, na := inventory(m, s, bootstrapResource)
		if na != nil {
			return []check.Finding{*na}
		}
		inv := c.BootstrapTokens
		if inv.Unavailable != "" {
			return unavailable(m, bootstrapResource, inv.Unavailable)
		}
		if len(inv.Items) == 0 {
			return []check.Finding{m.Result(check.Pass, bootstrapResource, "no bootstrap token Secret exists in kube-system")}
		}
		const source = "Secret metadata (type bootstrap.kubernetes.io/token, kube-system)"
		var stale, fresh []string
		var ev []check.Evidence
		for _, t := range inv.Items {
			id := t.TokenID
			if id == "" {
				id = t.Name
			}
			a := age(t.Created, now)
			val := "created " + day(t.Created)
			if a != "" {
				val += " (" + a + " before collection)"
			}
			val += "; expiry unknown without reading the Secret's data"
			ev = append(ev, check.Evidence{Key: "kube-system/" + t.Name, Value: val, Source: source})
			switch {
			case now.IsZero() || t.Created.IsZero() || now.Sub(t.Created) > bootstrapStaleAfter:
				stale = append(stale, fmt.Sprintf("%s (created %s)", id, day(t.Created)))
			default:
				fresh = append(fresh, id)
			}
		}
		ev = capEvidence(ev, source)
		inert := bootstrapAuthOff(s)
		if len(stale) == 0 {
			return []check.Finding{m.Result(check.Pass, bootstrapResource, fmt.Sprintf(
				"%d bootstrap token(s) exist, all created within the last 24 hours (a node join in progress): %s; their expiry is in the Secret's data, which apiguard does not read",
				len(fresh), strings.Join(limit(fresh, 10), ", ")), ev...)}
		}
		msg := fmt.Sprintf("%d bootstrap token(s) older than kubeadm's 24-hour default TTL still exist: %s. "+
			"Expired tokens are deleted by the tokencleaner, so these have no expiration, a long one, or no cleaner "+
			"(the expiry is in the Secret's data, which apiguard does not read)", len(stale), strings.Join(limit(stale, 10), ", "))
		if inert != "" {
			return []check.Finding{m.Result(check.Pass, bootstrapResource, msg+"; they do not authenticate: "+inert, ev...)}
		}
		return []check.Finding{m.Result(check.Warn, bootstrapResource, msg, ev...)}
	},
}

// bootstrapAuthOff says why bootstrap tokens cannot authenticate, when every
// visible kube-apiserver has --enable-bootstrap-token-auth off.
func bootstrapAuthOff(s *inputs.Snapshot) string {
	if len(s.APIServers) == 0 {
		return ""
	}
	for _, a := range s.APIServers {
		v := a.Flags(s.Cluster).Get("enable-bootstrap-token-auth")
		if on, err := v.Bool(); err != nil || on {
			return ""
		}
	}
	return "--enable-bootstrap-token-auth is off on every kube-apiserver"
}
