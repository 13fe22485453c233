package network

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestRequestTimeout(t *testing.T) {
	ct.Table(t, RequestTimeout, []ct.Case{
		{Name: "default 1m", Snap: ct.Snapshot(), Want: check.Pass, Contains: "1m0s"},
		{Name: "300s", Snap: ct.Snapshot("--request-timeout=300s"), Want: check.Pass, Contains: "5m0s"},
		{Name: "just above the bound", Snap: ct.Snapshot("--request-timeout=5m1s"), Want: check.Warn},
		{Name: "one hour", Snap: ct.Snapshot("--request-timeout=1h"), Want: check.Warn, Contains: "1h0m0s"},
		{Name: "zero is not unlimited", Snap: ct.Snapshot("--request-timeout=0"), Want: check.Fail, Contains: "immediately"},
		{Name: "zero seconds", Snap: ct.Snapshot("--request-timeout=0s"), Want: check.Fail},
		{Name: "negative", Snap: ct.Snapshot("--request-timeout=-1m"), Want: check.Fail, Contains: "negative"},
		{Name: "no unit", Snap: ct.Snapshot("--request-timeout=60"), Want: check.Fail, Contains: "not a Go duration"},
		{Name: "garbage", Snap: ct.Snapshot("--request-timeout=forever"), Want: check.Fail},
		{Name: "last one wins", Snap: ct.Snapshot("--request-timeout=2h", "--request-timeout=2m"), Want: check.Pass},
		{Name: "last one wins, long", Snap: ct.Snapshot("--request-timeout=2m", "--request-timeout=2h"), Want: check.Warn},
		{Name: "min-request-timeout is another flag", Snap: ct.Snapshot("--min-request-timeout=0"), Want: check.Pass},
		{Name: "managed control plane", Snap: ct.Hidden("GKE control plane is managed"), Want: check.NotAssessable},
	})
}

func TestRequestTimeoutEvidence(t *testing.T) {
	f := ct.One(t, RequestTimeout, ct.Snapshot("--profiling=false", "--request-timeout=0s"))
	if e := ct.Evidence(t, f, "--request-timeout"); e.Value != "0s" || e.Source != "kube-apiserver.yaml:3" {
		t.Fatalf("evidence = %+v", e)
	}
	if f.Location == nil || f.Location.Line != 3 {
		t.Fatalf("location = %+v", f.Location)
	}
	d := ct.Evidence(t, ct.One(t, RequestTimeout, ct.Snapshot()), "--request-timeout")
	if d.Value != "1m0s" || d.Source != "default for v1.36" {
		t.Fatalf("default evidence = %+v", d)
	}
}
