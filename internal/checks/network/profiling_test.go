package network

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestProfilingDisabled(t *testing.T) {
	ct.Table(t, ProfilingDisabled, []ct.Case{
		{Name: "default is on", Snap: ct.Snapshot(), Want: check.Fail},
		{Name: "bare flag means true", Snap: ct.Snapshot("--profiling"), Want: check.Fail},
		{Name: "explicit false", Snap: ct.Snapshot("--profiling=false"), Want: check.Pass},
		{Name: "last one wins", Snap: ct.Snapshot("--profiling=false", "--profiling=true"), Want: check.Fail},
		{Name: "last one wins, off", Snap: ct.Snapshot("--profiling", "--profiling=false"), Want: check.Pass},
		{Name: "not a boolean", Snap: ct.Snapshot("--profiling=off"), Want: check.Fail, Contains: "not a boolean"},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable, Contains: "EKS"},
	})
}

func TestProfilingEvidence(t *testing.T) {
	f := ct.One(t, ProfilingDisabled, ct.Snapshot("--secure-port=6443", "--profiling=true"))
	e := ct.Evidence(t, f, "--profiling")
	if e.Value != "true" || e.Source != "kube-apiserver.yaml:3" {
		t.Fatalf("evidence = %+v", e)
	}
	if f.Location == nil || f.Location.Line != 3 {
		t.Fatalf("location = %+v", f.Location)
	}
	d := ct.Evidence(t, ct.One(t, ProfilingDisabled, ct.Snapshot()), "--profiling")
	if d.Source != "default for v1.36" || d.Value != "true" {
		t.Fatalf("default evidence = %+v", d)
	}
}
