package authentication

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var clientCSRMeta = check.Metadata{
	ID:       "AG-AUTHN-014",
	Title:    "No client certificates minted through the API hold unrevocable privileged identities",
	Layer:    check.Authentication,
	Severity: check.High,
	Rationale: "An approved CertificateSigningRequest for the kubernetes.io/kube-apiserver-client signer mints a " +
		"client certificate whose CN is a user name and whose O values are groups. Kubernetes has no certificate " +
		"revocation: the identity stays valid until the certificate expires or the cluster CA is rotated, whatever " +
		"RBAC says later. A certificate in group system:masters bypasses RBAC and every authorization webhook " +
		"(the CertificateSubjectRestriction admission plugin refuses such CSRs; one that exists means it is off). " +
		"CSR objects are garbage-collected an hour after approval, so this sees recent ones only.",
	Remediation: "Prefer short-lived credentials (OIDC via --authentication-config, cloud IAM exec plugins) to " +
		"client certificates; when a CSR flow is needed, request spec.expirationSeconds of hours, not a year, and " +
		"bind RBAC to a dedicated group. A certificate in system:masters can only be invalidated by rotating the " +
		"cluster CA: do it, and keep CertificateSubjectRestriction enabled (it is on by default).",
	References: []check.Reference{
		{Title: "Certificates and CertificateSigningRequests", URL: "https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/"},
		{Title: "RBAC good practices: avoid system:masters", URL: "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"},
	},
	Inputs: []check.Input{check.InputCredentials},
}

// ClientCertificateCSRs reports the identities minted through the
// kube-apiserver-client signer.
var ClientCertificateCSRs = check.Check{
	Metadata: clientCSRMeta,
	Run: func(_ context.Context, s *inputs.Snapshot) []check.Finding {
		m := clientCSRMeta
		c, now, na := inventory(m, s, csrResource)
		if na != nil {
			return []check.Finding{*na}
		}
		inv := c.ClientCSRs
		if inv.Unavailable != "" {
			return unavailable(m, csrResource, inv.Unavailable)
		}
		const source = "CertificateSigningRequest (signer kubernetes.io/kube-apiserver-client)"
		var masters, live, pending []string
		var ev []check.Evidence
		expired := 0
		for _, r := range inv.Items {
			if r.Denied || r.Failed {
				continue
			}
			ident := identity(r)
			val := ident
			if r.Requestor != "" {
				val += "; requested by " + r.Requestor
			}
			isMasters := slices.Contains(r.Organizations, "system:masters")
			switch {
			case r.Issued && !r.NotAfter.IsZero() && !now.IsZero() && r.NotAfter.Before(now):
				expired++
				continue
			case r.Issued:
				val += "; approved and issued, valid until " + day(r.NotAfter)
				if isMasters {
					masters = append(masters, r.Name+" ("+ident+", valid until "+day(r.NotAfter)+")")
				} else {
					live = append(live, r.Name+" ("+ident+", valid until "+day(r.NotAfter)+")")
				}
			case r.Approved:
				val += "; approved, no certificate issued yet"
				if isMasters {
					masters = append(masters, r.Name+" ("+ident+", approved, not yet issued)")
				} else {
					live = append(live, r.Name+" ("+ident+", approved, not yet issued)")
				}
			default:
				val += "; pending approval"
				pending = append(pending, r.Name+" ("+ident+")")
			}
			if r.ExpirationSeconds != nil {
				val += fmt.Sprintf("; requested validity %ds", *r.ExpirationSeconds)
			}
			if isMasters {
				val += "; group system:masters: bypasses RBAC and cannot be revoked (CertificateSubjectRestriction must be off for this CSR to exist)"
			}
			ev = append(ev, check.Evidence{Key: "csr/" + r.Name, Value: val, Source: source})
		}
		ev = capEvidence(ev, source)
		tail := ""
		if len(pending) > 0 {
			tail += fmt.Sprintf("; %d pending: %s", len(pending), strings.Join(limit(pending, 5), ", "))
		}
		if expired > 0 {
			tail += fmt.Sprintf("; %d issued certificate(s) already expired", expired)
		}
		switch {
		case len(masters) > 0:
			r := m.Result(check.Fail, csrResource, fmt.Sprintf("%d client certificate(s) for group system:masters were approved through the API: %s. "+
				"They bypass RBAC and cannot be revoked short of rotating the cluster CA", len(masters), strings.Join(limit(masters, 10), ", "))+tail, ev...)
			r.Severity = check.Critical
			return []check.Finding{r}
		case len(live) > 0:
			r := m.Result(check.Warn, csrResource, fmt.Sprintf("%d client certificate(s) were approved through the API and cannot be revoked before they expire: %s",
				len(live), strings.Join(limit(live, 10), ", "))+tail, ev...)
			r.Severity = check.Medium
			return []check.Finding{r}
		}
		return []check.Finding{m.Result(check.Pass, csrResource, "no valid client certificate was approved through the kubernetes.io/kube-apiserver-client signer "+
			"(CSR objects are deleted an hour after approval: older certificates leave no trace here)"+tail, ev...)}
	},
}

// identity renders the user and groups a CSR asks for.
func identity(r inputs.ClientCSR) string {
	if r.ParseError != "" {
		return "unreadable request: " + r.ParseError
	}
	s := "CN=" + r.CommonName
	if len(r.Organizations) > 0 {
		s += " O=" + strings.Join(r.Organizations, ",")
	}
	return s
}
