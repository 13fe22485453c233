package network

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestEtcdCA(t *testing.T) {
	ct.Table(t, EtcdCA, []ct.Case{
		{Name: "default", Snap: ct.Snapshot(), Want: check.Fail, Contains: "system trust store"},
		{Name: "set", Snap: ct.Snapshot("--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt"), Want: check.Pass},
		{Name: "set space-separated", Snap: ct.Snapshot("--etcd-cafile", "/etc/kubernetes/pki/etcd/ca.crt"), Want: check.Pass},
		{Name: "blank", Snap: ct.Snapshot("--etcd-cafile="), Want: check.Fail},
		{Name: "last one wins", Snap: ct.Snapshot("--etcd-cafile=", "--etcd-cafile=/ca.crt"), Want: check.Pass},
		{Name: "managed control plane", Snap: ct.Hidden("AKS control plane is managed"), Want: check.NotAssessable},
	})
}

func TestEtcdCAEvidence(t *testing.T) {
	f := ct.One(t, EtcdCA, ct.Snapshot("--etcd-cafile=/ca.crt"))
	if e := ct.Evidence(t, f, "--etcd-cafile"); e.Value != "/ca.crt" || e.Source != "kube-apiserver.yaml:2" {
		t.Fatalf("evidence = %+v", e)
	}
}
