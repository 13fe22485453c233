package auditing

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
	"github.com/apiguard/apiguard/internal/inputs"
)

const logPath = "--audit-log-path=/var/log/kubernetes/audit.log"

// snap is a snapshot with an audit log file and the given extra args.
func snap(args ...string) *inputs.Snapshot {
	return ct.Snapshot(append([]string{logPath}, args...)...)
}

func v135(s *inputs.Snapshot) *inputs.Snapshot { return ct.Version(s, "v1.35.2") }

func TestLogMaxAge(t *testing.T) {
	ct.Table(t, LogMaxAge, []ct.Case{
		{Name: "1.36 default 366", Snap: snap(), Want: check.Pass, Contains: "default for v1.36: 366"},
		{Name: "1.35 default 0 with backup default 0", Snap: v135(snap()), Want: check.Warn, Contains: "disk fills"},
		{Name: "1.35 default 0 with backups capped", Snap: v135(snap("--audit-log-maxbackup=10")), Want: check.Warn, Contains: "only --audit-log-maxbackup=10 limits them"},
		{Name: "explicit 0 on 1.36", Snap: snap("--audit-log-maxage=0"), Want: check.Warn, Contains: "kube-bench"},
		{Name: "exactly 30", Snap: snap("--audit-log-maxage=30"), Want: check.Pass},
		{Name: "29", Snap: snap("--audit-log-maxage=29"), Want: check.Fail, Contains: "29 days"},
		{Name: "1.35 explicit 30", Snap: v135(snap("--audit-log-maxage=30")), Want: check.Pass},
		{Name: "1.35 explicit 7", Snap: v135(snap("--audit-log-maxage=7")), Want: check.Fail},
		{Name: "octal as pflag reads it", Snap: snap("--audit-log-maxage=030"), Want: check.Fail, Contains: "reads it as 24"},
		{Name: "hex as pflag reads it", Snap: snap("--audit-log-maxage=0x1e"), Want: check.Pass, Contains: "reads it as 30"},
		{Name: "not an integer", Snap: snap("--audit-log-maxage=30d"), Want: check.Fail, Contains: "not an integer"},
		{Name: "spaces are not accepted by pflag", Snap: snap("--audit-log-maxage= 30"), Want: check.Fail, Contains: "not an integer"},
		{Name: "negative", Snap: snap("--audit-log-maxage=-1"), Want: check.Fail, Contains: "negative"},
		{Name: "repeated, last wins (insecure)", Snap: snap("--audit-log-maxage=90", "--audit-log-maxage=5"), Want: check.Fail, Contains: "5 days"},
		{Name: "repeated, last wins (secure)", Snap: snap("--audit-log-maxage=5", "--audit-log-maxage=90"), Want: check.Pass},
		{Name: "rotation disabled note", Snap: snap("--audit-log-maxsize=0"), Want: check.Pass, Contains: "rotation is disabled"},
		{Name: "no log file", Snap: ct.Snapshot("--audit-log-maxage=1"), Want: check.NotApplicable, Contains: "AG-AUDIT-001"},
		{Name: "stdout", Snap: ct.Snapshot("--audit-log-path=-", "--audit-log-maxage=1"), Want: check.NotApplicable, Contains: "standard output"},
		{Name: "managed control plane", Snap: ct.Hidden("GKE control plane is managed"), Want: check.NotAssessable, Contains: "GKE"},
	})
}

func TestLogMaxBackup(t *testing.T) {
	ct.Table(t, LogMaxBackup, []ct.Case{
		{Name: "1.36 default 100", Snap: snap(), Want: check.Pass, Contains: "default for v1.36: 100"},
		{Name: "1.35 default 0", Snap: v135(snap()), Want: check.Warn, Contains: "disk fills"},
		{Name: "1.35 default 0 with age limit", Snap: v135(snap("--audit-log-maxage=30")), Want: check.Warn, Contains: "only --audit-log-maxage=30 limits them"},
		{Name: "exactly 10", Snap: snap("--audit-log-maxbackup=10"), Want: check.Pass},
		{Name: "9", Snap: snap("--audit-log-maxbackup=9"), Want: check.Fail, Contains: "only 9"},
		{Name: "1.35 explicit 10", Snap: v135(snap("--audit-log-maxbackup=10")), Want: check.Pass},
		{Name: "not an integer", Snap: snap("--audit-log-maxbackup=ten"), Want: check.Fail, Contains: "not an integer"},
		{Name: "negative", Snap: snap("--audit-log-maxbackup=-5"), Want: check.Fail, Contains: "negative"},
		{Name: "repeated, last wins", Snap: snap("--audit-log-maxbackup=20", "--audit-log-maxbackup=3"), Want: check.Fail},
		{Name: "no log file", Snap: ct.Snapshot(), Want: check.NotApplicable, Contains: "AG-AUDIT-001"},
		{Name: "managed control plane", Snap: ct.Hidden("AKS control plane is managed"), Want: check.NotAssessable},
	})
}

func TestLogMaxSize(t *testing.T) {
	ct.Table(t, LogMaxSize, []ct.Case{
		{Name: "1.36 default 100", Snap: snap(), Want: check.Pass, Contains: "default for v1.36: 100"},
		{Name: "1.35 default 0 rotates at 100 MB", Snap: v135(snap()), Want: check.Pass, Contains: "default of 100 MB"},
		{Name: "1.35 explicit 0 breaks on upgrade", Snap: v135(snap("--audit-log-maxsize=0")), Want: check.Warn, Contains: "from 1.36 the same value disables rotation"},
		{Name: "1.36 explicit 0 disables rotation", Snap: snap("--audit-log-maxsize=0"), Want: check.Fail, Contains: "rotation is disabled"},
		{Name: "unknown version assumes newest", Snap: ct.Version(snap("--audit-log-maxsize=0"), ""), Want: check.Fail, Contains: "rotation is disabled"},
		{Name: "exactly 100", Snap: snap("--audit-log-maxsize=100"), Want: check.Pass},
		{Name: "99", Snap: snap("--audit-log-maxsize=99"), Want: check.Fail, Contains: "99 MB"},
		{Name: "1.35 explicit 50", Snap: v135(snap("--audit-log-maxsize=50")), Want: check.Fail},
		{Name: "not an integer", Snap: snap("--audit-log-maxsize=100MB"), Want: check.Fail, Contains: "not an integer"},
		{Name: "negative", Snap: snap("--audit-log-maxsize=-100"), Want: check.Fail, Contains: "negative"},
		{Name: "repeated, last wins", Snap: snap("--audit-log-maxsize=10", "--audit-log-maxsize=200"), Want: check.Pass},
		{Name: "no log file", Snap: ct.Snapshot("--audit-log-maxsize=0"), Want: check.NotApplicable, Contains: "AG-AUDIT-001"},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable},
	})
}

func TestRotationEvidence(t *testing.T) {
	// Defaults name the version they come from.
	f := ct.One(t, LogMaxAge, v135(snap()))
	if e := ct.Evidence(t, f, "--audit-log-maxage"); e.Value != "0" || e.Source != "default for v1.35" {
		t.Fatalf("evidence = %+v", e)
	}
	if f.Location != nil {
		t.Fatalf("a default has no location: %+v", f.Location)
	}
	// Explicit values point at their line; repeated ones at the last.
	f = ct.One(t, LogMaxBackup, snap("--audit-log-maxbackup=20", "--audit-log-maxbackup=3"))
	e := ct.Evidence(t, f, "--audit-log-maxbackup")
	if e.Value != "3" || !strings.HasPrefix(e.Source, "kube-apiserver.yaml:4") {
		t.Fatalf("evidence = %+v", e)
	}
	if f.Location == nil || f.Location.Line != 4 {
		t.Fatalf("location = %+v", f.Location)
	}
	// Rotation disabled: the size flag is part of the evidence of maxage.
	f = ct.One(t, LogMaxAge, snap("--audit-log-maxsize=0"))
	ct.Evidence(t, f, "--audit-log-maxsize")
}
