package network

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestTLSServingCert(t *testing.T) {
	cert, key := "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt", "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key"
	ct.Table(t, TLSServingCert, []ct.Case{
		{Name: "default: self-signed", Snap: ct.Snapshot(), Want: check.Fail, Contains: "self-signed"},
		{Name: "both set", Snap: ct.Snapshot(cert, key), Want: check.Pass},
		{Name: "only the certificate", Snap: ct.Snapshot(cert), Want: check.Fail, Contains: "refuses to start"},
		{Name: "only the key", Snap: ct.Snapshot(key), Want: check.Fail, Contains: "--tls-private-key-file is set without --tls-cert-file"},
		{Name: "blank key counts as unset", Snap: ct.Snapshot(cert, "--tls-private-key-file="), Want: check.Fail},
		{Name: "last one wins", Snap: ct.Snapshot(cert, key, "--tls-cert-file="), Want: check.Fail},
		{Name: "SNI certificates are not a default certificate", Snap: ct.Snapshot("--tls-sni-cert-key=/a.crt,/a.key:a.example"), Want: check.Fail},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable},
	})
}

func TestTLSServingCertLocation(t *testing.T) {
	f := ct.One(t, TLSServingCert, ct.Snapshot("--profiling=false", "--tls-cert-file=/a.crt"))
	if f.Location == nil || f.Location.Line != 3 {
		t.Fatalf("location = %+v", f.Location)
	}
	if e := ct.Evidence(t, f, "--tls-private-key-file"); e.Value != "(not set)" {
		t.Fatalf("evidence = %+v", e)
	}
	ct.Evidence(t, f, "--tls-cert-file")
}
