package network

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestTLSMinVersion(t *testing.T) {
	ct.Table(t, TLSMinVersion, []ct.Case{
		{Name: "default", Snap: ct.Snapshot(), Want: check.Pass, Contains: "not set"},
		// kube-apiserver's own TLS 1.2 minimum applies whatever Go's default was.
		{Name: "default on v1.29", Snap: ct.Version(ct.Snapshot(), "v1.29.4"), Want: check.Pass, Contains: "TLS 1.2"},
		{Name: "default, version unknown", Snap: ct.Version(ct.Snapshot(), ""), Want: check.Pass},
		{Name: "TLS 1.0", Snap: ct.Snapshot("--tls-min-version=VersionTLS10"), Want: check.Fail, Contains: "TLS 1.0"},
		{Name: "TLS 1.1", Snap: ct.Snapshot("--tls-min-version=VersionTLS11"), Want: check.Fail, Contains: "TLS 1.1"},
		{Name: "TLS 1.2", Snap: ct.Snapshot("--tls-min-version=VersionTLS12"), Want: check.Pass, Contains: "TLS 1.2 or newer"},
		{Name: "TLS 1.3", Snap: ct.Snapshot("--tls-min-version", "VersionTLS13"), Want: check.Pass, Contains: "TLS 1.3"},
		{Name: "last one wins", Snap: ct.Snapshot("--tls-min-version=VersionTLS12", "--tls-min-version=VersionTLS10"), Want: check.Fail},
		{Name: "last one wins, secure", Snap: ct.Snapshot("--tls-min-version=VersionTLS10", "--tls-min-version=VersionTLS13"), Want: check.Pass},
		{Name: "blank means default", Snap: ct.Snapshot("--tls-min-version=VersionTLS10", "--tls-min-version="), Want: check.Pass},
		{Name: "unknown value", Snap: ct.Snapshot("--tls-min-version=TLS1.2"), Want: check.Fail, Contains: "VersionTLS10, VersionTLS11, VersionTLS12, VersionTLS13"},
		{Name: "case-sensitive", Snap: ct.Snapshot("--tls-min-version=versiontls12"), Want: check.Fail, Contains: "refuses to start"},
		{Name: "managed control plane", Snap: ct.Hidden("AKS control plane is managed"), Want: check.NotAssessable},
	})
}

func TestTLSMinVersionEvidence(t *testing.T) {
	f := ct.One(t, TLSMinVersion, ct.Snapshot("--profiling=false", "--tls-min-version=VersionTLS11"))
	e := ct.Evidence(t, f, "--tls-min-version")
	if e.Value != "VersionTLS11" || e.Source != "kube-apiserver.yaml:3" {
		t.Fatalf("evidence = %+v", e)
	}
	if f.Location == nil || f.Location.Line != 3 {
		t.Fatalf("location = %+v", f.Location)
	}
	d := ct.Evidence(t, ct.One(t, TLSMinVersion, ct.Version(ct.Snapshot(), "v1.28.0")), "--tls-min-version")
	if d.Value != "VersionTLS12" || !strings.Contains(d.Source, "built-in") {
		t.Fatalf("default evidence = %+v", d)
	}
}
