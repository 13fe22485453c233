package network

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestSecurePort(t *testing.T) {
	ct.Table(t, SecurePort, []ct.Case{
		{Name: "default", Snap: ct.Snapshot(), Want: check.Pass, Contains: "port 6443"},
		{Name: "explicit", Snap: ct.Snapshot("--secure-port=443"), Want: check.Pass, Contains: "port 443"},
		// regolibrary's rke2-args-fail case: kubescape calls it "secure port disabled"; kube-apiserver does not start.
		{Name: "zero refuses to start", Snap: ct.Snapshot("--secure-port=0"), Want: check.Fail, Contains: "refuses to start"},
		{Name: "hex zero is zero", Snap: ct.Snapshot("--secure-port=0x0"), Want: check.Fail, Contains: "cannot be disabled"},
		{Name: "last one wins, zero", Snap: ct.Snapshot("--secure-port=6443", "--secure-port=0"), Want: check.Fail, Contains: "is 0"},
		{Name: "last one wins, valid", Snap: ct.Snapshot("--secure-port=0", "--secure-port=6443"), Want: check.Pass},
		{Name: "negative", Snap: ct.Snapshot("--secure-port=-1"), Want: check.Fail, Contains: "outside 1-65535"},
		{Name: "too large", Snap: ct.Snapshot("--secure-port=65536"), Want: check.Fail, Contains: "outside 1-65535"},
		{Name: "not a number", Snap: ct.Snapshot("--secure-port=https"), Want: check.Fail, Contains: "not an integer"},
		{Name: "blank", Snap: ct.Snapshot("--secure-port="), Want: check.Fail, Contains: "not an integer"},
		{Name: "octal as pflag reads it", Snap: ct.Snapshot("--secure-port=06443"), Want: check.Pass, Contains: "read as 3363"},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable},
	})
	f := ct.One(t, SecurePort, ct.Snapshot("--profiling=false", "--secure-port=0"))
	if f.Location == nil || f.Location.Line != 3 {
		t.Fatalf("location = %+v, want line 3 of the manifest", f.Location)
	}
	ct.Evidence(t, f, "--secure-port")
}
