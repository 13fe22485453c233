package network

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestKubeletCA(t *testing.T) {
	ct.Table(t, KubeletCA, []ct.Case{
		{Name: "default: not verified", Snap: ct.Snapshot(), Want: check.Fail, Contains: "does not verify"},
		{Name: "set", Snap: ct.Snapshot("--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt"), Want: check.Pass},
		{Name: "blank", Snap: ct.Snapshot("--kubelet-certificate-authority="), Want: check.Fail},
		{Name: "last one wins", Snap: ct.Snapshot("--kubelet-certificate-authority=/ca.crt", "--kubelet-certificate-authority="), Want: check.Fail},
		{Name: "client certificate is not a CA", Snap: ct.Snapshot("--kubelet-client-certificate=/c.crt", "--kubelet-client-key=/c.key"), Want: check.Fail},
		{Name: "managed control plane", Snap: ct.Hidden("GKE control plane is managed"), Want: check.NotAssessable},
	})
}

func TestKubeletCAEvidence(t *testing.T) {
	f := ct.One(t, KubeletCA, ct.Snapshot("--profiling=false", "--kubelet-certificate-authority="))
	if e := ct.Evidence(t, f, "--kubelet-certificate-authority"); e.Source != "kube-apiserver.yaml:3" {
		t.Fatalf("evidence = %+v", e)
	}
	if f.Location == nil || f.Location.Line != 3 {
		t.Fatalf("location = %+v", f.Location)
	}
	if f := ct.One(t, KubeletCA, ct.Snapshot()); f.Location != nil {
		t.Fatalf("unset flag has no location, got %+v", f.Location)
	}
}
