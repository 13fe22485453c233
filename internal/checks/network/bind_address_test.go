package network

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestBindAddress(t *testing.T) {
	ct.Table(t, BindAddress, []ct.Case{
		{Name: "default is all interfaces", Snap: ct.Snapshot(), Want: check.Warn, Contains: "0.0.0.0"},
		{Name: "explicit 0.0.0.0", Snap: ct.Snapshot("--bind-address=0.0.0.0"), Want: check.Warn, Contains: "load balancer"},
		{Name: "IPv6 unspecified", Snap: ct.Snapshot("--bind-address=::"), Want: check.Warn},
		{Name: "specific address", Snap: ct.Snapshot("--bind-address=10.0.0.5"), Want: check.Pass, Contains: "10.0.0.5"},
		{Name: "space-separated value", Snap: ct.Snapshot("--bind-address", "192.168.1.10"), Want: check.Pass},
		{Name: "loopback", Snap: ct.Snapshot("--bind-address=127.0.0.1"), Want: check.Pass, Contains: "loopback"},
		{Name: "last one wins", Snap: ct.Snapshot("--bind-address=10.0.0.5", "--bind-address=0.0.0.0"), Want: check.Warn},
		{Name: "last one wins, specific", Snap: ct.Snapshot("--bind-address=0.0.0.0", "--bind-address=10.0.0.5"), Want: check.Pass},
		// pflag's IP flag ignores a blank value: the earlier address stays.
		{Name: "blank keeps earlier value", Snap: ct.Snapshot("--bind-address=10.0.0.5", "--bind-address="), Want: check.Pass, Contains: "10.0.0.5"},
		{Name: "only blank keeps default", Snap: ct.Snapshot("--bind-address="), Want: check.Warn, Contains: "all interfaces"},
		{Name: "host name is rejected", Snap: ct.Snapshot("--bind-address=localhost"), Want: check.Fail, Contains: "refuses to start"},
		{Name: "managed control plane", Snap: ct.Hidden("GKE control plane is managed"), Want: check.NotAssessable, Contains: "GKE"},
	})
}

func TestBindAddressEvidence(t *testing.T) {
	f := ct.One(t, BindAddress, ct.Snapshot("--secure-port=6443", "--bind-address=10.0.0.5", "--bind-address="))
	e := ct.Evidence(t, f, "--bind-address")
	if e.Value != "10.0.0.5" || e.Source == "" {
		t.Fatalf("evidence = %+v", e)
	}
	d := ct.Evidence(t, ct.One(t, BindAddress, ct.Snapshot()), "--bind-address")
	if d.Value != "0.0.0.0" || d.Source != "default for v1.36" {
		t.Fatalf("default evidence = %+v", d)
	}
	bad := ct.One(t, BindAddress, ct.Snapshot("--profiling=false", "--bind-address=not-an-ip"))
	if bad.Location == nil || bad.Location.File != ct.ManifestName || bad.Location.Line != 3 {
		t.Fatalf("location = %+v", bad.Location)
	}
}
