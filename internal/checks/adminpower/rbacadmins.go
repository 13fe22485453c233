package adminpower

import (
	"fmt"
	"strings"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/checks/rbacinput"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/rbac"
)

// Who holds cluster-admin power, directly or by a path through other
// identities (rbac.Policy.Analysis). Kubernetes' own principals holding it
// by unmodified defaults (system:masters, the controllers) are counted,
// not reported.

var directAdminsMeta = check.Metadata{
	ID:       "AG-ADMIN-005",
	Title:    "Only a few known principals hold cluster-admin power",
	Layer:    check.AdminPower,
	Severity: check.High,
	Rationale: "A subject whose cluster-wide rules allow every verb on every resource (cluster-admin, or any role " +
		"equal to it, bound by a ClusterRoleBinding) controls the cluster: a stolen credential of it is a lost " +
		"cluster. A ServiceAccount holding it turns any compromise of a pod that mounts it, or of anyone who may " +
		"create pods in its namespace, into that; a group of everyone (system:authenticated, system:serviceaccounts) " +
		"gives it to all. Members of system:masters hold it outside RBAC and cannot be revoked by removing bindings.",
	Remediation: "Keep cluster-admin for a small group of administrators (through SSO), bound by one " +
		"ClusterRoleBinding you review; give workloads and automation roles listing what they need; never bind " +
		"it to a ServiceAccount of an application namespace or to a group of everyone.",
	References: []check.Reference{
		{Title: "RBAC good practices: least privilege", URL: "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege"},
		{Title: "User-facing roles", URL: "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles"},
	},
	Inputs: []check.Input{check.InputRBAC},
}

// DirectAdmins reports the subjects that hold cluster-admin power.
var DirectAdmins = rbacinput.Check(directAdminsMeta, func(m check.Metadata, s *inputs.Snapshot, a *rbac.Analysis) []check.Finding {
	var out []check.Finding
	builtin := 0
	for _, ad := range a.Admins {
		if !ad.Direct {
			continue
		}
		if ad.Builtin {
			builtin++
			continue
		}
		status, why := check.Warn, "confirm it is a known administrator"
		if everyone(ad.Subject) {
			status, why = check.Fail, "everyone in it is a cluster admin"
		} else if ad.Subject.Kind == rbac.KindServiceAccount {
			status, why = check.Fail, "any pod that mounts its token, and anyone who may create pods or tokens in "+ad.Subject.Namespace+", is a cluster admin"
		}
		f := m.Result(status, ad.Subject.String(), fmt.Sprintf("%s holds cluster-admin power: %s", ad.Subject, why),
			append(pathEvidence(ad.Path), rbacinput.AssumedEvidence(s, ad.Path)...)...)
		if status == check.Fail {
			f.Severity = check.Critical
		}
		f.Path = rbacinput.Path(ad.Path)
		out = append(out, f)
	}
	if len(out) == 0 {
		return []check.Finding{m.Result(check.Pass, rbacinput.Resource,
			fmt.Sprintf("only Kubernetes' own principals hold cluster-admin power (%d, by default bindings)%s", builtin, rbacinput.AssumedNote(s)))}
	}
	return out
})

var escalationPathsMeta = check.Metadata{
	ID:       "AG-ADMIN-006",
	Title:    "No subject can reach cluster-admin power through other identities",
	Layer:    check.AdminPower,
	Severity: check.Critical,
	Rationale: "Permissions chain: whoever may create pods in a namespace runs them as any of its ServiceAccounts; " +
		"whoever may exec into pods, request tokens or read legacy token Secrets there becomes those ServiceAccounts; " +
		"impersonation and minting client certificates jump to any user or group; bind and escalate write " +
		"cluster-admin into one's own bindings. A subject with such a chain ending at a cluster admin is one, " +
		"however modest its own roles look. Each finding is the shortest chain, with the binding and role of every step. " +
		"Chains through legacy token Secrets need their metadata, listed only with the opt-in ClusterRole " +
		"apiguard-secret-inventory (deploy/rbac-secret-inventory.yaml): without it, when someone beyond the cluster " +
		"admins may read Secrets, a not-assessable finding names them.",
	Remediation: "Break the chain at its cheapest link: move the privileged ServiceAccount out of the namespace " +
		"others deploy to (or reduce its rights), remove the exec, token, secrets or impersonation grant of the first " +
		"step, or restrict it with resourceNames. `apiguard rbac paths SUBJECT` lists every shortest chain.",
	References: []check.Reference{
		{Title: "RBAC good practices: privilege escalation risks", URL: "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks"},
	},
	Inputs: []check.Input{check.InputRBAC},
}

// EscalationPaths reports the subjects with a multi-hop path to
// cluster-admin power.
var EscalationPaths = rbacinput.Check(escalationPathsMeta, func(m check.Metadata, s *inputs.Snapshot, a *rbac.Analysis) []check.Finding {
	var out []check.Finding
	builtin, through := 0, 0
	for _, ad := range a.Admins {
		if ad.Direct {
			continue
		}
		if ad.Builtin {
			builtin++
			continue
		}
		if ad.DefaultPrincipal && len(ad.Path) > 0 && ad.Path[0].Default {
			// A Kubernetes component whose own default rights lead on
			// through a user-made admin: that admin is the finding
			// (AG-ADMIN-005), not the component.
			through++
			continue
		}
		steps := make([]string, len(ad.Path))
		for i, st := range ad.Path {
			steps[i] = st.Action
		}
		f := m.Result(check.Fail, ad.Subject.String(),
			fmt.Sprintf("%s reaches cluster-admin power in %d step(s): %s", ad.Subject, len(ad.Path), strings.Join(steps, "; then ")),
			append(pathEvidence(ad.Path), rbacinput.AssumedEvidence(s, ad.Path)...)...)
		f.Path = rbacinput.Path(ad.Path)
		out = append(out, f)
	}
	gap := tokenPathsGap(m, a, s)
	if len(out) == 0 {
		msg := "no subject beyond Kubernetes' own principals has a path to cluster-admin power"
		if builtin > 0 {
			msg += fmt.Sprintf(" (%d of those have one by default bindings)", builtin)
		}
		if through > 0 {
			msg += fmt.Sprintf("; %d Kubernetes component(s) reach it with their default rights through a user-made admin (AG-ADMIN-005)", through)
		}
		if gap != nil {
			msg = "apart from the paths through legacy token Secrets, which were not assessed, " + msg
		}
		msg += rbacinput.AssumedNote(s)
		out = append(out, m.Result(check.Pass, rbacinput.Resource, msg))
	}
	if gap != nil {
		out = append(out, *gap)
	}
	return out
})

// tokenPathsResource is the resource of the finding about the paths that
// could not be assessed without the token Secrets.
const tokenPathsResource = "paths through legacy ServiceAccount token Secrets"

// tokenPathsGap is the not-assessable finding for the paths through legacy
// token Secrets when the model lacks them and someone beyond the defaults
// and the cluster admins may read Secrets; nil otherwise (no reader: no
// such path can exist, whatever Secrets there are).
func tokenPathsGap(m check.Metadata, a *rbac.Analysis, s *inputs.Snapshot) *check.Finding {
	why := rbacinput.TokenSecretsGap(s)
	if why == "" {
		return nil
	}
	readers := a.SecretReaders()
	if len(readers) == 0 {
		return nil
	}
	names := make([]string, len(readers))
	for i, r := range readers {
		names[i] = r.String()
	}
	f := m.Result(check.NotAssessable, tokenPathsResource, fmt.Sprintf(
		"%d subject(s) may read Secrets (%s): a legacy ServiceAccount token Secret they read would make them its ServiceAccount, "+
			"but the token Secrets were not read, so those paths are not assessed: %s", len(readers), rbacinput.Names(names, 5), why))
	return &f
}

// everyone reports the subjects that stand for every caller or every
// ServiceAccount.
func everyone(s rbac.SubjectRef) bool {
	switch {
	case s.Kind == rbac.KindUser && s.Name == "system:anonymous":
		return true
	case s.Kind == rbac.KindGroup && (s.Name == "system:authenticated" || s.Name == "system:unauthenticated" ||
		s.Name == "system:serviceaccounts" || strings.HasPrefix(s.Name, "system:serviceaccounts:")):
		return true
	}
	return false
}

// pathEvidence is one item per step: what is done, through which grant.
func pathEvidence(path []rbac.Step) []check.Evidence {
	ev := make([]check.Evidence, len(path))
	for i, st := range path {
		ev[i] = check.Evidence{Key: fmt.Sprintf("step %d", i+1), Value: st.Action, Source: st.Via}
	}
	return ev
}
