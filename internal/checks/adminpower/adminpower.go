// Package adminpower holds the checks of the admin-power layer: whoever can
// write the API server's manifest, or read etcd's data, holds admin power
// over the cluster without ever passing authentication or authorization.
// These checks look at the manifest on the control-plane host and at the
// encryption of Secrets at rest; and at who holds cluster-admin power
// through RBAC, directly or by a chain of other identities.
package adminpower

import (
	"fmt"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

// All returns the layer's checks in ID order.
func All() []check.Check {
	return []check.Check{
		ManifestMode,
		ManifestOwner,
		EncryptionAtRest,
		EncryptionProvider,
		DirectAdmins,
		EscalationPaths,
	}
}

// manifestFile returns the host metadata of the instance's manifest, or a
// not-assessable finding when it was not seen or could not be read.
func manifestFile(m check.Metadata, a *inputs.APIServer, what string) (*inputs.FileMeta, *check.Finding) {
	fm := a.ManifestFile
	if fm == nil {
		r := m.Result(check.NotAssessable, a.Name, what+" is only visible on the control-plane host: run apiguard scan --manifest "+
			"/etc/kubernetes/manifests/kube-apiserver.yaml on the node")
		return nil, &r
	}
	if fm.Unavailable != "" {
		r := m.Result(check.NotAssessable, a.Name, fmt.Sprintf("cannot read the %s of %s: %s", what, fm.Path, fm.Unavailable))
		return nil, &r
	}
	return fm, nil
}

// idName is "root (0)", or "(1000)" when the id has no name on the host.
func idName(name string, id int) string {
	if name == "" {
		return fmt.Sprintf("(%d)", id)
	}
	return fmt.Sprintf("%s (%d)", name, id)
}
