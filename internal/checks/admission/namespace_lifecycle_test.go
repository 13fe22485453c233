package admission

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestNamespaceLifecycleEnabled(t *testing.T) {
	ct.Table(t, NamespaceLifecycleEnabled, []ct.Case{
		{Name: "default on", Snap: ct.Snapshot(), Want: check.Pass, Contains: "on by default"},
		{Name: "disabled", Snap: ct.Snapshot("--disable-admission-plugins=NamespaceLifecycle"), Want: check.Fail, Contains: "terminating"},
		{Name: "disabled in a later occurrence", Snap: ct.Snapshot("--disable-admission-plugins=PodSecurity", "--disable-admission-plugins=NamespaceLifecycle"), Want: check.Fail},
		{Name: "NamespaceExists is another plugin", Snap: ct.Snapshot("--disable-admission-plugins=NamespaceExists,NamespaceAutoProvision"), Want: check.Pass},
		{Name: "in both lists", Snap: ct.Snapshot("--enable-admission-plugins=NamespaceLifecycle", "--disable-admission-plugins=NamespaceLifecycle"), Want: check.Fail, Contains: "refuses to start"},
		{Name: "legacy list without it", Snap: ct.Snapshot("--admission-control=ServiceAccount"), Want: check.Fail},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable},
	})
}

func TestNamespaceLifecycleLocation(t *testing.T) {
	f := ct.One(t, NamespaceLifecycleEnabled, ct.Snapshot(
		"--disable-admission-plugins=NamespaceLifecycle",
		"--disable-admission-plugins=PodSecurity",
	))
	if f.Location == nil || f.Location.Line != 2 {
		t.Fatalf("location = %+v", f.Location)
	}
}
