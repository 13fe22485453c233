package patching

import (
	"fmt"
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/versions"
)

var legacyFlagsMeta = check.Metadata{
	ID:       "AG-PATCH-001",
	Title:    "No removed or insecure legacy flags are present",
	Layer:    check.Patching,
	Severity: check.High,
	Rationale: "kube-apiserver refuses flags it does not know, so a manifest that still carries a removed " +
		"flag (--insecure-port, --basic-auth-file, --kubelet-https, ...) either runs a binary old " +
		"enough to accept it, which no longer receives security fixes and may serve an " +
		"unauthenticated HTTP port or compare static passwords in non-constant time, or does not " +
		"start at the next restart. The check also warns about a scalar flag written several times " +
		"with different values: the last one wins (pflag), which a reader of the manifest easily " +
		"misses, and a later edit of the first occurrence silently changes nothing.",
	Remediation: "Upgrade kube-apiserver to a supported release and delete the removed flags from the " +
		"manifest (kubeadm: apiServer.extraArgs); write each scalar flag once.",
	References: []check.Reference{
		{Title: "Kubernetes 1.24 changelog: insecure serving flags removed", URL: "https://github.com/kubernetes/kubernetes/blob/master/CHANGELOG/CHANGELOG-1.24.md"},
		{Title: "Remove kube-apiserver --kubelet-https (kubernetes#101178, 1.22)", URL: "https://github.com/kubernetes/kubernetes/pull/101178"},
		{Title: "Kubernetes version skew and support policy", URL: "https://kubernetes.io/releases/version-skew-policy/"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// NoLegacyFlags reports removed flags and conflicting repeated flags.
var NoLegacyFlags = check.PerServer(legacyFlagsMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	var ev []check.Evidence
	var loc *check.Location
	removed := removedFlags(f, &ev, &loc)
	repeated := conflictingRepeats(f, &ev, &loc)
	switch {
	case removed != "":
		msg := removed
		if repeated != "" {
			msg += "; also " + repeated
		}
		r := m.Result(check.Fail, a.Name, msg, ev...)
		r.Location = loc
		return r
	case repeated != "":
		r := m.Result(check.Warn, a.Name, repeated, ev...)
		r.Location = loc
		return r
	}
	return m.Result(check.Pass, a.Name, fmt.Sprintf("none of the %d flags written is a removed flag, and no scalar flag is written twice with different values", len(f.Names())))
})

// removedFlags describes the removed flags present, with what their presence
// means for this instance's version.
func removedFlags(f *apiserverflags.Flags, ev *[]check.Evidence, loc **check.Location) string {
	ver, assumed := f.Version()
	var parts []string
	for _, name := range f.Names() {
		rm, ok := apiserverflags.RemovedFlag(name)
		if !ok {
			continue
		}
		v := f.Get(name)
		*ev = append(*ev, check.FlagEvidence(v))
		if *loc == nil {
			*loc = check.FlagLocation(v)
		}
		part := fmt.Sprintf("%s=%s (removed in %s: %s)", v.Key(), v.Value, rm.In, rm.Note)
		if (name == "insecure-port" || name == "port") && strings.TrimSpace(v.Value) != "0" {
			part += "; a non-zero value on a release before 1.20 serves the whole API over HTTP with no authentication or authorization"
		}
		switch {
		case assumed:
			part += "; the version is unknown: either a release older than " + rm.In + " runs it, or it will not start"
		case ver.Compare(versions.MustParse(rm.In)) >= 0:
			part += fmt.Sprintf("; kube-apiserver %s refuses it: this manifest will not start", ver.MinorString())
		default:
			part += fmt.Sprintf("; kube-apiserver %s still accepts it, and that release is long out of support", ver.MinorString())
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		return ""
	}
	return "removed flags present: " + strings.Join(parts, "; ")
}

// conflictingRepeats describes scalar flags written more than once with
// different values. List flags (which accumulate) and repeats of the same
// value are left alone.
func conflictingRepeats(f *apiserverflags.Flags, ev *[]check.Evidence, loc **check.Location) string {
	var parts []string
	for _, name := range f.Repeated() {
		if apiserverflags.IsAccumulating(name) {
			continue
		}
		occ := f.All(name)
		var vals []string
		distinct := map[string]bool{}
		for _, o := range occ {
			vals = append(vals, o.Value)
			distinct[o.Value] = true
		}
		if len(distinct) < 2 {
			continue
		}
		last := occ[len(occ)-1]
		eff := f.Get(name)
		*ev = append(*ev, check.Evidence{Key: eff.Key(), Value: strings.Join(vals, ", ") + " → " + last.Value, Source: eff.Source})
		if *loc == nil {
			*loc = check.FlagLocation(last)
		}
		parts = append(parts, fmt.Sprintf("%s is written %d times with different values (%s): the last, %q at %s, wins",
			eff.Key(), len(occ), strings.Join(vals, ", "), last.Value, last.Source))
	}
	return strings.Join(parts, "; ")
}
