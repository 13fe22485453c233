package auditing

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

func TestLogEnabled(t *testing.T) {
	ct.Table(t, LogEnabled, []ct.Case{
		{Name: "default has no backend", Snap: ct.Snapshot(), Want: check.Fail, Contains: "no audit backend"},
		{Name: "file with policy", Snap: ct.Snapshot("--audit-log-path=/var/log/audit.log", "--audit-policy-file=/etc/p.yaml"), Want: check.Pass, Contains: "/var/log/audit.log"},
		{Name: "file without policy says nothing is recorded", Snap: ct.Snapshot("--audit-log-path=/var/log/audit.log"), Want: check.Pass, Contains: "records no events at all"},
		{Name: "stdout", Snap: ct.Snapshot("--audit-log-path=-", "--audit-policy-file=/etc/p.yaml"), Want: check.Pass, Contains: "container runtime"},
		{Name: "space-separated value", Snap: ct.Snapshot("--audit-log-path", "/var/log/a.log"), Want: check.Pass},
		{Name: "webhook only", Snap: ct.Snapshot("--audit-webhook-config-file=/etc/wh.kubeconfig", "--audit-policy-file=/etc/p.yaml"), Want: check.Warn, Contains: "webhook"},
		{Name: "empty path", Snap: ct.Snapshot("--audit-log-path="), Want: check.Fail, Contains: "empty"},
		{Name: "last one wins, emptied", Snap: ct.Snapshot("--audit-log-path=/var/log/a.log", "--audit-log-path="), Want: check.Fail},
		{Name: "last one wins, set", Snap: ct.Snapshot("--audit-log-path=", "--audit-log-path=/var/log/a.log"), Want: check.Pass},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable, Contains: "EKS"},
	})
}

func TestLogEnabledEvidence(t *testing.T) {
	f := ct.One(t, LogEnabled, ct.Snapshot("--audit-webhook-config-file=/etc/wh.kubeconfig"))
	if e := ct.Evidence(t, f, "--audit-log-path"); e.Value != "(not set)" {
		t.Fatalf("evidence = %+v", e)
	}
	if f.Location == nil || f.Location.Line != 2 {
		t.Fatalf("location = %+v", f.Location)
	}
}
