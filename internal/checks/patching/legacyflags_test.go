package patching

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestNoLegacyFlags(t *testing.T) {
	ct.Table(t, NoLegacyFlags, []ct.Case{
		{Name: "clean", Snap: ct.Snapshot("--secure-port=6443", "--profiling=false"), Want: check.Pass},
		{Name: "no flags", Snap: ct.Snapshot(), Want: check.Pass},
		{Name: "insecure port on 1.36 will not start", Snap: ct.Snapshot("--insecure-port=0"), Want: check.Fail, Contains: "kube-apiserver 1.36 refuses it"},
		{Name: "insecure port non-zero on an old release", Snap: ct.Version(ct.Snapshot("--insecure-port=8080"), "v1.18.20"), Want: check.Fail, Contains: "no authentication"},
		{Name: "old release still accepts", Snap: ct.Version(ct.Snapshot("--insecure-bind-address=127.0.0.1"), "v1.23.17"), Want: check.Fail, Contains: "long out of support"},
		{Name: "unknown version", Snap: ct.Version(ct.Snapshot("--basic-auth-file=/etc/pw.csv"), ""), Want: check.Fail, Contains: "either a release older than 1.19"},
		{Name: "bare removed boolean", Snap: ct.Snapshot("--kubelet-https"), Want: check.Fail, Contains: "--kubelet-https=true (removed in 1.22"},
		{Name: "alias --port", Snap: ct.Snapshot("--port=8080"), Want: check.Fail, Contains: "--port=8080"},
		{Name: "repeated scalar, different values", Snap: ct.Snapshot("--profiling=false", "--profiling=true"), Want: check.Warn, Contains: `the last, "true" at kube-apiserver.yaml:3, wins`},
		{Name: "repeated scalar, same value", Snap: ct.Snapshot("--profiling=false", "--profiling=false"), Want: check.Pass},
		{Name: "repeated list flag accumulates", Snap: ct.Snapshot("--enable-admission-plugins=NodeRestriction", "--enable-admission-plugins=PodSecurity"), Want: check.Pass},
		{Name: "removed and repeated", Snap: ct.Snapshot("--insecure-port=0", "--anonymous-auth=true", "--anonymous-auth=false"), Want: check.Fail, Contains: "also --anonymous-auth is written 2 times"},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable, Contains: "EKS"},
	})
}

func TestNoLegacyFlagsEvidence(t *testing.T) {
	f := ct.One(t, NoLegacyFlags, ct.Snapshot("--secure-port=6443", "--insecure-port=0", "--address=0.0.0.0"))
	if e := ct.Evidence(t, f, "--insecure-port"); e.Value != "0" || e.Source != "kube-apiserver.yaml:3" {
		t.Fatalf("evidence = %+v", e)
	}
	ct.Evidence(t, f, "--address")
	if f.Location == nil || f.Location.Line != 3 {
		t.Fatalf("location = %+v", f.Location)
	}
	if !strings.Contains(f.Message, "--address=0.0.0.0 (removed in 1.24") {
		t.Fatalf("message = %s", f.Message)
	}
	f = ct.One(t, NoLegacyFlags, ct.Snapshot("--audit-log-maxage=90", "--secure-port=6443", "--audit-log-maxage=5"))
	e := ct.Evidence(t, f, "--audit-log-maxage")
	if e.Value != "90, 5 → 5" || !strings.Contains(e.Source, "last of 2") {
		t.Fatalf("repeat evidence = %+v", e)
	}
	if f.Location == nil || f.Location.Line != 4 {
		t.Fatalf("repeat location = %+v", f.Location)
	}
}
