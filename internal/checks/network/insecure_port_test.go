package network

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestInsecurePort(t *testing.T) {
	ct.Table(t, InsecurePort, []ct.Case{
		{Name: "unset on a current server", Snap: ct.Snapshot(), Want: check.Pass, Contains: "v1.24"},
		// Before v1.20 the default was 8080 on 127.0.0.1.
		{Name: "unset before v1.20", Snap: ct.Version(ct.Snapshot(), "v1.19.16"), Want: check.Fail, Contains: "127.0.0.1:8080"},
		{Name: "zero before v1.20", Snap: ct.Version(ct.Snapshot("--insecure-port=0"), "v1.19.16"), Want: check.Pass},
		{Name: "non-zero before v1.20", Snap: ct.Version(ct.Snapshot("--insecure-port=8080", "--insecure-bind-address=0.0.0.0"), "v1.18.2"), Want: check.Fail, Contains: "0.0.0.0:8080"},
		{Name: "alias --port", Snap: ct.Version(ct.Snapshot("--port=8081"), "v1.17.0"), Want: check.Fail, Contains: "--port=8081"},
		{Name: "alias --address", Snap: ct.Version(ct.Snapshot("--insecure-port=8080", "--address=10.0.0.1"), "v1.17.0"), Want: check.Fail, Contains: "10.0.0.1:8080"},
		{Name: "non-zero on v1.21 does not start", Snap: ct.Version(ct.Snapshot("--insecure-port=8080"), "v1.21.0"), Want: check.Fail, Contains: "older than v1.20"},
		{Name: "non-zero on current version", Snap: ct.Snapshot("--insecure-port=8080"), Want: check.Fail, Contains: "no longer has this flag"},
		{Name: "zero on current version", Snap: ct.Snapshot("--insecure-port=0"), Want: check.Pass, Contains: "remove the flag"},
		{Name: "last one wins", Snap: ct.Version(ct.Snapshot("--insecure-port=8080", "--insecure-port=0"), "v1.19.0"), Want: check.Pass},
		{Name: "last one wins, open", Snap: ct.Version(ct.Snapshot("--insecure-port=0", "--insecure-port=8080"), "v1.19.0"), Want: check.Fail},
		{Name: "not a number", Snap: ct.Snapshot("--insecure-port=eighty"), Want: check.Fail, Contains: "not an integer"},
		{Name: "secure port is another flag", Snap: ct.Version(ct.Snapshot("--insecure-port=0", "--secure-port=6443"), "v1.19.0"), Want: check.Pass},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable},
	})
}

func TestInsecurePortEvidence(t *testing.T) {
	f := ct.One(t, InsecurePort, ct.Version(ct.Snapshot("--profiling=false", "--insecure-port=8080", "--insecure-bind-address=0.0.0.0"), "v1.18.0"))
	if f.Severity != check.Critical {
		t.Fatalf("severity = %s", f.Severity)
	}
	if e := ct.Evidence(t, f, "--insecure-port"); e.Value != "8080" || e.Source != "kube-apiserver.yaml:3" {
		t.Fatalf("evidence = %+v", e)
	}
	ct.Evidence(t, f, "--insecure-bind-address")
	if f.Location == nil || f.Location.Line != 3 {
		t.Fatalf("location = %+v", f.Location)
	}
	d := ct.Evidence(t, ct.One(t, InsecurePort, ct.Version(ct.Snapshot(), "v1.19.0")), "--insecure-port")
	if d.Value != "8080" || !strings.Contains(d.Source, "default before v1.20") {
		t.Fatalf("default evidence = %+v", d)
	}
}
