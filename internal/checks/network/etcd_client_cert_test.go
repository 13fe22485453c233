package network

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestEtcdClientCert(t *testing.T) {
	cert, key := "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt", "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key"
	ct.Table(t, EtcdClientCert, []ct.Case{
		{Name: "default: none", Snap: ct.Snapshot(), Want: check.Fail, Contains: "cannot authenticate"},
		{Name: "both", Snap: ct.Snapshot(cert, key), Want: check.Pass},
		{Name: "certificate only", Snap: ct.Snapshot(cert), Want: check.Fail, Contains: "--etcd-certfile is set without --etcd-keyfile"},
		{Name: "key only", Snap: ct.Snapshot(key), Want: check.Fail, Contains: "refuses to start"},
		{Name: "CA alone is not a client certificate", Snap: ct.Snapshot("--etcd-cafile=/ca.crt"), Want: check.Fail},
		{Name: "last one wins", Snap: ct.Snapshot(cert, key, "--etcd-keyfile="), Want: check.Fail},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable},
	})
}

func TestEtcdClientCertLocation(t *testing.T) {
	f := ct.One(t, EtcdClientCert, ct.Snapshot("--profiling=false", "--etcd-keyfile=/k.key"))
	if f.Location == nil || f.Location.Line != 3 {
		t.Fatalf("location = %+v", f.Location)
	}
	ct.Evidence(t, f, "--etcd-certfile")
	ct.Evidence(t, f, "--etcd-keyfile")
}
