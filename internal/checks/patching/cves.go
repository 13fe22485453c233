package patching

import (
	"fmt"
	"sort"
	"strings"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/versions"
)

var knownCVEsMeta = check.Metadata{
	ID:       "AG-PATCH-004",
	Title:    "kube-apiserver carries no known CVE",
	Layer:    check.Patching,
	Severity: check.High,
	Rationale: "The Kubernetes Security Response Committee announces kube-apiserver vulnerabilities with the " +
		"affected and fixed versions (the official CVE feed). A version inside an affected range is exploitable " +
		"as announced unless a stated condition rules it out; the check evaluates the admission-plugin " +
		"conditions it can see (CVE-2025-5187 needs NodeRestriction on and OwnerReferencesPermissionEnforcement " +
		"off). Managed providers back-port fixes without changing the upstream patch number, so on EKS, GKE and " +
		"AKS a match means potentially affected: check the provider's bulletin. CVEs that affect every release " +
		"and have no fix (CVE-2020-8554, ...) are listed with their mitigations but are not a patching failure. " +
		"The finding's severity is the highest of the CVEs found.",
	Remediation: "Upgrade kube-apiserver to a release that fixes every listed CVE (the latest patch of a supported " +
		"minor does), or apply each CVE's mitigation until then. Refresh the data with `apiguard versions update`.",
	References: []check.Reference{
		{Title: "Official Kubernetes CVE feed", URL: versions.OfficialFeedURL},
		{Title: "Kubernetes security and disclosure information", URL: "https://kubernetes.io/docs/reference/issues-security/security/"},
	},
	Inputs: []check.Input{check.InputVersion, check.InputFlags},
}

// KnownCVEs reports the known kube-apiserver CVEs each instance carries.
var KnownCVEs = versionCheck(knownCVEsMeta, func(m check.Metadata, t target, a versions.Assessment, d *versions.Data, ev []check.Evidence) check.Finding {
	if !a.PatchKnown {
		return m.Result(check.NotAssessable, t.resource, fmt.Sprintf("the version %q names no patch release: CVE ranges cannot be judged", t.version.Raw), ev...)
	}
	var hit, ruledOut []string
	sev := check.Info
	fixes := map[string]bool{}
	for _, c := range a.CVEs {
		why := conditionNotMet(c.Requires, t.flags)
		val := fmt.Sprintf("%s %s; affected %s", c.Severity, cvss(c), c.Range)
		if c.FixedIn != "" {
			val += "; fixed in " + c.FixedIn
			fixes[c.FixedIn] = true
		}
		if why != "" {
			ev = append(ev, check.Evidence{Key: c.ID, Value: val + "; not exploitable here: " + why, Source: c.URL})
			ruledOut = append(ruledOut, c.ID+" ("+why+")")
			continue
		}
		if c.Condition != "" {
			val += "; " + c.Condition
		}
		ev = append(ev, check.Evidence{Key: c.ID, Value: val, Source: c.URL})
		part := fmt.Sprintf("%s (%s %s", c.ID, c.Severity, cvss(c))
		if c.FixedIn != "" {
			part += ", fixed in " + c.FixedIn
		}
		hit = append(hit, part+"): "+c.Title)
		if sv, err := check.ParseSeverity(c.Severity); err == nil && sv > sev {
			sev = sv
		}
	}
	var unfixed []string
	for _, c := range a.Unfixed {
		unfixed = append(unfixed, c.ID)
	}
	tail := ""
	if len(ruledOut) > 0 {
		tail += "; in range but ruled out by the configuration: " + strings.Join(ruledOut, ", ")
	}
	if len(a.Unparsed) > 0 {
		tail += "; the data holds " + fmt.Sprint(len(a.Unparsed)) + " CVE(s) whose affected versions could not be read (" + strings.Join(a.Unparsed, ", ") + "): check them by hand"
	}
	if len(hit) == 0 {
		msg := fmt.Sprintf("%s is outside the affected ranges of every fixed kube-apiserver CVE in the data (CVEs as of %s)", a.Version, d.CVEs.AsOf)
		if len(unfixed) > 0 {
			msg += fmt.Sprintf("; %d CVEs without a fix affect every release and need their mitigations (%s)", len(unfixed), strings.Join(unfixed, ", "))
		}
		return m.Result(check.Pass, t.resource, msg+tail, ev...)
	}
	msg := fmt.Sprintf("%s is affected by %d known CVE(s): %s", a.Version, len(hit), strings.Join(hit, "; "))
	status := check.Fail
	if name := versions.PlatformName(a.Platform); name != "" {
		status = check.Warn
		msg = fmt.Sprintf("%s is potentially affected by %d known CVE(s) (%s may have back-ported the fixes without changing the upstream patch number: check its security bulletins): %s",
			a.Version, len(hit), name, strings.Join(hit, "; "))
	}
	r := m.Result(status, t.resource, msg+tail, ev...)
	r.Severity = sev
	var fx []string
	for f := range fixes {
		fx = append(fx, f)
	}
	sort.Strings(fx)
	upgrade := ""
	if a.LatestPatch != "" && !a.Support.Unsupported() {
		upgrade = fmt.Sprintf("Upgrade to %s, the latest patch of %s, which fixes them all", a.LatestPatch, a.Minor)
	} else if len(fx) > 0 {
		upgrade = fmt.Sprintf("Upgrade to a supported minor's latest patch (the fixes start in %s)", strings.Join(fx, ", "))
	}
	if upgrade != "" {
		r.Remediation = upgrade + ", or apply each CVE's mitigation from its announcement until then."
	}
	return r
})

func cvss(c versions.CVEMatch) string {
	if c.CVSS == 0 {
		return "(no CVSS)"
	}
	return fmt.Sprintf("%.1f", c.CVSS)
}

// conditionNotMet says why a CVE's admission-plugin condition rules it out
// on this instance, or "" (met, or the flags are not visible).
func conditionNotMet(r *versions.Requires, f *apiserverflags.Flags) string {
	if r == nil || f == nil {
		return ""
	}
	on := apiserverflags.EffectiveAdmissionPlugins(f)
	for _, p := range r.AdmissionEnabled {
		if !on[p] {
			return p + " is not enabled"
		}
	}
	for _, p := range r.AdmissionDisabled {
		if on[p] {
			return p + " is enabled"
		}
	}
	return ""
}
