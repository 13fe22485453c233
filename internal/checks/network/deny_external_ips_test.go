package network

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/checks/admission"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestDenyServiceExternalIPs(t *testing.T) {
	ct.Table(t, DenyServiceExternalIPs, []ct.Case{
		{Name: "default off", Snap: ct.Snapshot(), Want: check.Fail, Contains: "off by default"},
		// Enabled is the secure state (trivy inverted this check).
		{Name: "enabled", Snap: ct.Snapshot("--enable-admission-plugins=NodeRestriction,DenyServiceExternalIPs"), Want: check.Pass},
		{Name: "repeated flags accumulate", Snap: ct.Snapshot("--enable-admission-plugins=NodeRestriction", "--enable-admission-plugins=DenyServiceExternalIPs"), Want: check.Pass},
		{Name: "disabled", Snap: ct.Snapshot("--disable-admission-plugins=DenyServiceExternalIPs"), Want: check.Fail},
		{Name: "enabled and disabled", Snap: ct.Snapshot("--enable-admission-plugins=DenyServiceExternalIPs", "--disable-admission-plugins=DenyServiceExternalIPs"), Want: check.Fail, Contains: "refuses to start"},
		{Name: "look-alike name", Snap: ct.Snapshot("--enable-admission-plugins=DenyServiceExternalIP"), Want: check.Fail},
		{Name: "look-alike name, longer", Snap: ct.Snapshot("--enable-admission-plugins=DenyServiceExternalIPsX"), Want: check.Fail, Contains: "not DenyServiceExternalIPs"},
		{Name: "legacy list", Snap: ct.Snapshot("--admission-control=NamespaceLifecycle,DenyServiceExternalIPs"), Want: check.Pass, Contains: "--admission-control"},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable},
	})
}

func TestDenyServiceExternalIPsEvidence(t *testing.T) {
	f := ct.One(t, DenyServiceExternalIPs, ct.Snapshot("--profiling=false", "--enable-admission-plugins=NodeRestriction"))
	ct.Evidence(t, f, "--enable-admission-plugins")
	ct.Evidence(t, f, "--disable-admission-plugins")
	ct.Evidence(t, f, admission.EffectiveKey)
	if f.Location == nil || f.Location.Line != 3 {
		t.Fatalf("location = %+v", f.Location)
	}
}
