package adminpower

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
	"github.com/apiguard/apiguard/internal/inputs"
)

const manifestPath = "/etc/kubernetes/manifests/kube-apiserver.yaml"

func withMeta(fm *inputs.FileMeta) *inputs.Snapshot {
	s := ct.Snapshot()
	s.APIServers[0].ManifestFile = fm
	return s
}

// at places fm at the manifest path; root owner and group names default.
func at(fm inputs.FileMeta) *inputs.FileMeta {
	fm.Path = manifestPath
	if fm.Owner == "" && fm.UID == 0 {
		fm.Owner = "root"
	}
	if fm.Group == "" && fm.GID == 0 {
		fm.Group = "root"
	}
	return &fm
}

func TestManifestMode(t *testing.T) {
	ct.Table(t, ManifestMode, []ct.Case{
		{Name: "0600", Snap: withMeta(at(inputs.FileMeta{Mode: 0o600})), Want: check.Pass, Contains: "0600"},
		{Name: "0400 is more restrictive", Snap: withMeta(at(inputs.FileMeta{Mode: 0o400})), Want: check.Pass},
		{Name: "0000", Snap: withMeta(at(inputs.FileMeta{Mode: 0})), Want: check.Pass},
		{Name: "0644 readable", Snap: withMeta(at(inputs.FileMeta{Mode: 0o644})), Want: check.Fail, Contains: "can read"},
		{Name: "0620 group writable", Snap: withMeta(at(inputs.FileMeta{Mode: 0o620})), Want: check.Fail, Contains: "can write"},
		{Name: "0700 executable", Snap: withMeta(at(inputs.FileMeta{Mode: 0o700})), Want: check.Fail, Contains: "execute"},
		{Name: "0666", Snap: withMeta(at(inputs.FileMeta{Mode: 0o666})), Want: check.Fail},
		{Name: "not seen", Snap: ct.Snapshot(), Want: check.NotAssessable, Contains: "--manifest"},
		{Name: "unreadable", Snap: withMeta(&inputs.FileMeta{Path: manifestPath, Unavailable: "permission denied"}), Want: check.NotAssessable, Contains: "permission denied"},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable, Contains: "EKS"},
	})
}

func TestManifestModeEvidence(t *testing.T) {
	f := ct.One(t, ManifestMode, withMeta(at(inputs.FileMeta{Mode: 0o644})))
	e := ct.Evidence(t, f, "file mode")
	if e.Value != "0644" || e.Source != manifestPath {
		t.Fatalf("evidence = %+v", e)
	}
	if f.Location == nil || f.Location.File != manifestPath {
		t.Fatalf("location = %+v", f.Location)
	}
}

func TestManifestOwner(t *testing.T) {
	ct.Table(t, ManifestOwner, []ct.Case{
		{Name: "root:root", Snap: withMeta(at(inputs.FileMeta{Mode: 0o600})), Want: check.Pass, Contains: "root (0):root (0)"},
		{Name: "user owner", Snap: withMeta(at(inputs.FileMeta{Mode: 0o600, UID: 1000, Owner: "alice"})), Want: check.Fail, Contains: "alice (1000)"},
		{Name: "group not root", Snap: withMeta(at(inputs.FileMeta{Mode: 0o600, GID: 4, Group: "adm"})), Want: check.Fail, Contains: "adm (4)"},
		{Name: "both, unnamed ids", Snap: withMeta(at(inputs.FileMeta{Mode: 0o600, UID: 1001, GID: 1001})), Want: check.Fail, Contains: "(1001):(1001)"},
		{Name: "not seen", Snap: ct.Snapshot(), Want: check.NotAssessable, Contains: "control-plane host"},
		{Name: "ownership unavailable", Snap: withMeta(&inputs.FileMeta{Path: manifestPath, Mode: 0o600, Unavailable: "file ownership is not available on this platform"}), Want: check.NotAssessable, Contains: "not available"},
		{Name: "managed control plane", Snap: ct.Hidden("GKE control plane is managed"), Want: check.NotAssessable},
	})
}

func TestManifestOwnerEvidence(t *testing.T) {
	f := ct.One(t, ManifestOwner, withMeta(at(inputs.FileMeta{Mode: 0o600, UID: 1000, GID: 1000, Owner: "alice", Group: "staff"})))
	if e := ct.Evidence(t, f, "file owner"); e.Value != "alice (1000):staff (1000)" || e.Source != manifestPath {
		t.Fatalf("evidence = %+v", e)
	}
}
