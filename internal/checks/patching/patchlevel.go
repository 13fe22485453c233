package patching

import (
	"fmt"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/versions"
)

var latestPatchMeta = check.Metadata{
	ID:       "AG-PATCH-003",
	Title:    "kube-apiserver runs the latest patch release of its minor",
	Layer:    check.Patching,
	Severity: check.Medium,
	Rationale: "Security fixes reach users as patch releases, roughly monthly; a minor's older patches keep the " +
		"vulnerabilities fixed since, including Go runtime fixes that never get a Kubernetes CVE. Peers compare " +
		"only the minor; the patch number is what decides exposure. On managed platforms the provider chooses " +
		"the patch level and may back-port fixes without changing it, so a lag is a question for the provider.",
	Remediation: "Upgrade kube-apiserver to the latest patch of its minor (kubeadm upgrade apply vX.Y.Z; a new " +
		"image tag in the static pod manifest), then kube-controller-manager, kube-scheduler and the kubelets. " +
		"Managed platforms: follow the provider's release channel or upgrade to its newest build.",
	References: []check.Reference{
		{Title: "Kubernetes patch releases", URL: "https://kubernetes.io/releases/patch-releases/"},
		{Title: "Upgrading kubeadm clusters", URL: "https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-upgrade/"},
	},
	Inputs: []check.Input{check.InputVersion},
}

// LatestPatch reports how many patch releases an instance is behind.
var LatestPatch = versionCheck(latestPatchMeta, func(m check.Metadata, t target, a versions.Assessment, d *versions.Data, ev []check.Evidence) check.Finding {
	switch {
	case !a.PatchKnown:
		return m.Result(check.NotAssessable, t.resource, fmt.Sprintf("the version %q names no patch release: the patch level cannot be judged", t.version.Raw), ev...)
	case a.LatestPatch == "":
		return m.Result(check.NotAssessable, t.resource, fmt.Sprintf("the data has no patch releases of %s (%s)", a.Minor, a.SupportDetail), ev...)
	}
	ev = append(ev, check.Evidence{Key: "latest patch", Value: a.LatestPatch + " (" + a.LatestDate.String() + ")", Source: fmt.Sprintf("releases as of %s", d.Releases.AsOf)})
	if a.PatchesBehind == 0 {
		msg := fmt.Sprintf("%s is the latest patch release of %s", a.Version, a.Minor)
		if a.NewerPatch {
			msg = fmt.Sprintf("%s is newer than %s, the latest patch the data knows (releases as of %s)", a.Version, a.LatestPatch, d.Releases.AsOf)
		}
		return m.Result(check.Pass, t.resource, msg, ev...)
	}
	plural := "s"
	if a.PatchesBehind == 1 {
		plural = ""
	}
	msg := fmt.Sprintf("%s is %d patch release%s behind %s (released %s)", a.Version, a.PatchesBehind, plural, a.LatestPatch, a.LatestDate)
	if a.Support.Unsupported() {
		msg += "; " + a.LatestPatch + " is the final patch of an end-of-life minor (AG-PATCH-002)"
	}
	if len(a.CVEs) > 0 {
		msg += "; known CVEs were fixed since (AG-PATCH-004)"
	}
	if name := versions.PlatformName(a.Platform); name != "" {
		r := m.Result(check.Warn, t.resource, msg+"; "+name+" chooses the patch level and may have back-ported fixes without changing it: check its release notes", ev...)
		return r
	}
	r := m.Result(check.Fail, t.resource, msg, ev...)
	r.Remediation = fmt.Sprintf("Upgrade kube-apiserver to %s (kubeadm upgrade apply %s, or that image tag in the static pod manifest), then the other control-plane components and the kubelets.", a.LatestPatch, a.LatestPatch)
	return r
})
