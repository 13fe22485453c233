package authentication

import (
	"fmt"
	"time"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

// noInventory is the reason the inventory checks are not assessable on
// inputs without one.
const noInventory = "the credential inventory is read from a live cluster (scan with a kubeconfig, or a snapshot " +
	"taken with `apiguard snapshot`): manifests and argv files do not contain it"

// Resources of the inventory findings: the kind of credential, the same
// whoever scans (the target names the kubeconfig context, which differs
// between identities scanning one cluster).
const (
	saTokenResource   = "secrets (type kubernetes.io/service-account-token)"
	bootstrapResource = "kube-system secrets (type bootstrap.kubernetes.io/token)"
	csrResource       = "certificatesigningrequests (signer kubernetes.io/kube-apiserver-client)"
)

// inventory returns the credential inventory and its clock, or the
// not-assessable finding.
func inventory(m check.Metadata, s *inputs.Snapshot, resource string) (*inputs.Credentials, time.Time, *check.Finding) {
	c := s.Credentials
	if c == nil {
		r := m.Result(check.NotAssessable, resource, noInventory)
		return nil, time.Time{}, &r
	}
	now := c.CollectedAt
	if now.IsZero() {
		now = s.CollectedAt
	}
	return c, now, nil
}

// unavailable is the not-assessable finding for an inventory part that
// could not be listed.
func unavailable(m check.Metadata, resource, why string) []check.Finding {
	return []check.Finding{m.Result(check.NotAssessable, resource, why)}
}

// day renders a time as its UTC day, or "unknown".
func day(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02")
}

// age renders how long before now t was ("26 days"), or "".
func age(t, now time.Time) string {
	if t.IsZero() || now.IsZero() || now.Before(t) {
		return ""
	}
	d := now.Sub(t)
	switch {
	case d < time.Hour:
		return "less than an hour"
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// maxEvidence bounds the per-credential evidence of one finding.
const maxEvidence = 25

func capEvidence(ev []check.Evidence, source string) []check.Evidence {
	if len(ev) <= maxEvidence {
		return ev
	}
	n := len(ev) - maxEvidence
	return append(ev[:maxEvidence], check.Evidence{Key: "…", Value: fmt.Sprintf("%d more", n), Source: source})
}
