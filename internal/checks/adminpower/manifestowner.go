package adminpower

import (
	"fmt"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var manifestOwnerMeta = check.Metadata{
	ID:       "AG-ADMIN-002",
	Title:    "The kube-apiserver manifest is owned by root:root",
	Layer:    check.AdminPower,
	Severity: check.Medium,
	Rationale: "The owner of a file can change its mode at any time, so a manifest owned by another " +
		"user is writable by that user whatever its mode says, and a group other than root " +
		"(gid 0) gets the group bits. Whoever can write the manifest decides the flags, image and " +
		"mounts of kube-apiserver, which the kubelet runs as root: that is cluster admin.",
	Remediation: "chown root:root /etc/kubernetes/manifests/kube-apiserver.yaml on every control-plane node.",
	References: []check.Reference{
		{CIS: "1.1.2", Title: "Ensure that the API server pod specification file ownership is set to root:root"},
	},
	Inputs: []check.Input{check.InputHostFile},
}

// ManifestOwner is CIS 1.1.2.
var ManifestOwner = check.PerServer(manifestOwnerMeta, func(m check.Metadata, a *inputs.APIServer, _ *apiserverflags.Flags) check.Finding {
	fm, na := manifestFile(m, a, "file owner")
	if na != nil {
		return *na
	}
	owner := idName(fm.Owner, fm.UID) + ":" + idName(fm.Group, fm.GID)
	ev := check.Evidence{Key: "file owner", Value: owner, Source: fm.Path}
	var wrong []string
	if fm.UID != 0 {
		wrong = append(wrong, "its owner "+idName(fm.Owner, fm.UID)+" can change its mode and write it")
	}
	if fm.GID != 0 {
		wrong = append(wrong, "its group "+idName(fm.Group, fm.GID)+" gets the group permissions")
	}
	if len(wrong) > 0 {
		msg := fmt.Sprintf("%s is owned by %s, not root:root: %s", fm.Path, owner, wrong[0])
		if len(wrong) > 1 {
			msg += " and " + wrong[1]
		}
		r := m.Result(check.Fail, a.Name, msg, ev)
		r.Location = &check.Location{File: fm.Path}
		return r
	}
	return m.Result(check.Pass, a.Name, fmt.Sprintf("%s is owned by %s", fm.Path, owner), ev)
})
