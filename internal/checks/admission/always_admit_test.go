package admission

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestAlwaysAdmitDisabled(t *testing.T) {
	ct.Table(t, AlwaysAdmitDisabled, []ct.Case{
		{Name: "default off", Snap: ct.Snapshot(), Want: check.Pass, Contains: "off by default"},
		{Name: "enabled", Snap: ct.Snapshot("--enable-admission-plugins=NodeRestriction,AlwaysAdmit"), Want: check.Fail, Contains: "enabled by --enable-admission-plugins"},
		{Name: "enabled in an earlier occurrence", Snap: ct.Snapshot("--enable-admission-plugins=AlwaysAdmit", "--enable-admission-plugins=NodeRestriction"), Want: check.Fail},
		{Name: "enabled then disabled", Snap: ct.Snapshot("--enable-admission-plugins=NodeRestriction", "--disable-admission-plugins=AlwaysAdmit"), Want: check.Pass},
		{Name: "in both lists", Snap: ct.Snapshot("--enable-admission-plugins=AlwaysAdmit", "--disable-admission-plugins=AlwaysAdmit"), Want: check.Fail, Contains: "refuses to start"},
		{Name: "legacy list", Snap: ct.Snapshot("--admission-control=AlwaysAdmit"), Want: check.Fail, Contains: "--admission-control"},
		{Name: "legacy list without it", Snap: ct.Snapshot("--admission-control=NamespaceLifecycle,ServiceAccount"), Want: check.Pass},
		{Name: "AlwaysDeny is not AlwaysAdmit", Snap: ct.Snapshot("--enable-admission-plugins=AlwaysDeny"), Want: check.Pass},
		{Name: "look-alike is not AlwaysAdmit", Snap: ct.Snapshot("--enable-admission-plugins=AlwaysAdmitX"), Want: check.Pass, Contains: "not AlwaysAdmit"},
		{Name: "authorization mode is not admission", Snap: ct.Snapshot("--authorization-mode=AlwaysAdmit"), Want: check.Pass},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable, Contains: "EKS"},
	})
}

func TestAlwaysAdmitLocation(t *testing.T) {
	f := ct.One(t, AlwaysAdmitDisabled, ct.Snapshot(
		"--enable-admission-plugins=AlwaysAdmit",
		"--profiling=false",
		"--enable-admission-plugins=NodeRestriction",
	))
	if f.Location == nil || f.Location.File != ct.ManifestName || f.Location.Line != 2 {
		t.Fatalf("location = %+v", f.Location)
	}
}
