package patching

import (
	"fmt"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/versions"
)

var supportedMinorMeta = check.Metadata{
	ID:       "AG-PATCH-002",
	Title:    "kube-apiserver runs a supported Kubernetes minor release",
	Layer:    check.Patching,
	Severity: check.High,
	Rationale: "Each Kubernetes minor gets about 12 months of patches, then about 2 months of maintenance mode " +
		"(critical fixes only), then none: a kube-apiserver past end of life keeps every vulnerability found " +
		"afterwards, and the project no longer even assesses whether old releases are affected. Managed " +
		"platforms have their own windows (EKS paid extended support, AKS Long Term Support), judged from the " +
		"provider's published dates when the platform is known. The version comes from the image tag of each " +
		"instance or the server's /version, compared on the upstream X.Y.Z (vendor suffixes such as -eks-… or " +
		"-gke.… are not SemVer pre-releases).",
	Remediation: "Upgrade the control plane one minor at a time to a supported release (kubeadm upgrade plan / " +
		"kubeadm upgrade apply; on EKS, GKE and AKS the provider's upgrade command), then the nodes. Keep the " +
		"versions data current with `apiguard versions update`.",
	References: []check.Reference{
		{Title: "Kubernetes releases and support period", URL: "https://kubernetes.io/releases/"},
		{Title: "Version skew policy", URL: "https://kubernetes.io/releases/version-skew-policy/"},
		{Title: "endoflife.date: Kubernetes", URL: "https://endoflife.date/kubernetes"},
	},
	Inputs: []check.Input{check.InputVersion},
}

// SupportedMinor reports end-of-life and maintenance-mode minors.
var SupportedMinor = versionCheck(supportedMinorMeta, func(m check.Metadata, t target, a versions.Assessment, d *versions.Data, ev []check.Evidence) check.Finding {
	if !a.EndOfLife.IsZero() {
		ev = append(ev, check.Evidence{Key: "end of life", Value: a.EndOfLife.String(), Source: fmt.Sprintf("Kubernetes %s (releases as of %s)", a.Minor, d.Releases.AsOf)})
	}
	msg := a.SupportDetail
	switch a.Support {
	case versions.Supported:
		return m.Result(check.Pass, t.resource, msg, ev...)
	case versions.Maintenance, versions.ExtendedSupport, versions.Prerelease:
		r := m.Result(check.Warn, t.resource, msg, ev...)
		r.Severity = check.Medium
		return r
	case versions.NewerThanData:
		return m.Result(check.NotAssessable, t.resource, msg, ev...)
	}
	r := m.Result(check.Fail, t.resource, msg, ev...)
	if n := d.Newest(); n != nil {
		r.Remediation = m.Remediation + fmt.Sprintf(" The newest minor in the data is %s (latest patch %s).", n.Minor, n.Latest)
	}
	return r
})
