// Package rbacinput gives the RBAC checks of the authorization and
// admin-power layers their input: the snapshot's RBAC model and its
// analysis (computed once per model, see rbac.Policy.Analysis).
package rbacinput

import (
	"context"
	"fmt"
	"strings"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/rbac"
)

// Resource is the resource of a finding about the RBAC model as a whole.
const Resource = "cluster RBAC"

// Analysis returns the snapshot's RBAC analysis, or a not-assessable
// finding saying why there is none.
func Analysis(m check.Metadata, s *inputs.Snapshot) (*rbac.Analysis, *check.Finding) {
	if s.RBAC == nil {
		why := s.RBACUnavailable
		if why == "" {
			why = "no RBAC objects were read"
		}
		f := m.Result(check.NotAssessable, Resource, why)
		return nil, &f
	}
	return s.RBAC.Analysis(), nil
}

// Check is the check with metadata m that judges the snapshot's RBAC
// analysis with judge, or says why there is none (Analysis).
func Check(m check.Metadata, judge func(m check.Metadata, s *inputs.Snapshot, a *rbac.Analysis) []check.Finding) check.Check {
	return check.Check{Metadata: m, Run: func(_ context.Context, s *inputs.Snapshot) []check.Finding {
		a, na := Analysis(m, s)
		if na != nil {
			return []check.Finding{*na}
		}
		return judge(m, s, a)
	}}
}

// Via names the grants of one step: "RoleBinding NS/NAME → ClusterRole NAME".
func Via(grants []rbac.Grant) string {
	seen := map[string]bool{}
	var out []string
	for _, g := range grants {
		v := GrantText(g)
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return strings.Join(out, "; ")
}

// GrantText is "BINDING → ROLE", marked when the binding or role is an
// assumed built-in ("(built-in role, assumed)").
func GrantText(g rbac.Grant) string {
	if g.RoleName == "" {
		return g.Binding()
	}
	return fmt.Sprintf("%s → %s %s%s", g.Binding(), g.RoleKind, g.RoleName, g.AssumedNote())
}

// AssumedEvidenceKey is the key of the evidence that says a finding rests
// on built-ins the input did not define.
const AssumedEvidenceKey = "built-in roles assumed"

// AssumedEvidence is that evidence for a finding whose path goes through
// an assumed built-in (nil when none does, or nothing was assumed).
func AssumedEvidence(s *inputs.Snapshot, steps []rbac.Step) []check.Evidence {
	if s.RBAC == nil || s.RBAC.Builtins.Count() == 0 {
		return nil
	}
	var which []string
	for i, st := range steps {
		if st.Assumed {
			which = append(which, fmt.Sprint(i+1))
		}
	}
	if len(which) == 0 {
		return nil
	}
	return []check.Evidence{{Key: AssumedEvidenceKey, Value: s.RBAC.Builtins.Version + ": step " + strings.Join(which, ", ") +
		" goes through a Kubernetes default the input does not define (marked \"assumed\"); kube-apiserver creates it at start-up in every cluster",
		Source: rbac.AssumedSource}}
}

// AssumedNote is "; built-in roles assumed, v1.36 (N objects the input does
// not define)" for pass messages, "" when nothing was assumed.
func AssumedNote(s *inputs.Snapshot) string {
	if s.RBAC == nil || s.RBAC.Builtins.Count() == 0 {
		return ""
	}
	return fmt.Sprintf("; built-in roles assumed, %s (%d Kubernetes defaults the input does not define)", s.RBAC.Builtins.Version, s.RBAC.Builtins.Count())
}

// Path converts an analysis path to a finding's path.
func Path(steps []rbac.Step) []check.Step {
	out := make([]check.Step, len(steps))
	for i, s := range steps {
		out[i] = check.Step{Action: s.Action, Via: s.Via}
	}
	return out
}

// Names lists at most max items, then "and N more".
func Names(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:max], ", "), len(items)-max)
}

// TokenSecretsGap says why the model holds no legacy ServiceAccount token
// Secrets although the cluster may have some: live, the credential could
// not list them (no opt-in Secret-inventory role, or a refused answer);
// in a snapshot of such a scan, the credential inventory says so. "" when
// they were read, and for RBAC dumps (which hold what they hold).
func TokenSecretsGap(s *inputs.Snapshot) string {
	if s.RBAC == nil {
		return ""
	}
	if s.RBAC.SecretsUnavailable != "" {
		return s.RBAC.SecretsUnavailable
	}
	if c := s.Credentials; c != nil && c.ServiceAccountTokens.Unavailable != "" && len(s.RBAC.Secrets) == 0 {
		return c.ServiceAccountTokens.Unavailable
	}
	return ""
}
