package admission

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestServiceAccountEnabled(t *testing.T) {
	ct.Table(t, ServiceAccountEnabled, []ct.Case{
		{Name: "default on", Snap: ct.Snapshot(), Want: check.Pass, Contains: "on by default"},
		{Name: "explicitly enabled", Snap: ct.Snapshot("--enable-admission-plugins=ServiceAccount"), Want: check.Pass},
		{Name: "disabled", Snap: ct.Snapshot("--disable-admission-plugins=ServiceAccount"), Want: check.Fail, Contains: "disabled by --disable-admission-plugins"},
		{Name: "disabled among others", Snap: ct.Snapshot("--disable-admission-plugins=DefaultStorageClass,ServiceAccount"), Want: check.Fail},
		{Name: "repeated disable flags accumulate", Snap: ct.Snapshot("--disable-admission-plugins=ServiceAccount", "--disable-admission-plugins=DefaultStorageClass"), Want: check.Fail},
		{Name: "disabling another plugin", Snap: ct.Snapshot("--disable-admission-plugins=DefaultStorageClass"), Want: check.Pass},
		{Name: "look-alike disabled", Snap: ct.Snapshot("--disable-admission-plugins=ServiceAccounts"), Want: check.Pass, Contains: "not ServiceAccount"},
		{Name: "in both lists", Snap: ct.Snapshot("--enable-admission-plugins=ServiceAccount", "--disable-admission-plugins=ServiceAccount"), Want: check.Fail, Contains: "overlapped"},
		{Name: "legacy list without it", Snap: ct.Snapshot("--admission-control=NamespaceLifecycle,NodeRestriction"), Want: check.Fail, Contains: "--admission-control"},
		{Name: "legacy list with it", Snap: ct.Snapshot("--admission-control=ServiceAccount"), Want: check.Pass},
		{Name: "older version", Snap: ct.Version(ct.Snapshot(), "v1.27.0"), Want: check.Pass},
		{Name: "managed control plane", Snap: ct.Hidden("AKS control plane is managed"), Want: check.NotAssessable},
	})
}
