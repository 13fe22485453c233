package auditing

import (
	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
)

var logMaxSizeMeta = check.Metadata{
	ID:       "AG-AUDIT-004",
	Title:    "Audit logs rotate at 100 MB or more",
	Layer:    check.Auditing,
	Severity: check.Medium,
	Rationale: "--audit-log-maxsize is the size in MB at which the audit log is rotated. With a fixed " +
		"number of backups, small files keep little history. From 1.36 the default is 100 and 0 " +
		"disables rotation entirely (kube-apiserver opens the file without the rotating writer, so " +
		"--audit-log-maxage and --audit-log-maxbackup stop working and the file grows until the disk " +
		"fills). Before 1.36 the default was 0, which the rotation library reads as 100 MB: an absent " +
		"flag passes, but an explicit 0 warns because an upgrade to 1.36 silently turns it into " +
		"\"no rotation\".",
	Remediation: "Set --audit-log-maxsize=100 or more (kubeadm: apiServer.extraArgs audit-log-maxsize: \"100\"); never 0.",
	References: []check.Reference{
		{CIS: "1.2.19", Title: "Ensure that the --audit-log-maxsize argument is set to 100 or as appropriate"},
		{Title: "Kubernetes auditing: log backend", URL: "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#log-backend"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// maxSizeRule is CIS 1.2.19's test, --audit-log-maxsize gte 100, where 0
// means 100 MB before 1.36 and no rotation from 1.36.
var maxSizeRule = limitRule{
	flag:  "audit-log-maxsize",
	min:   100,
	pass:  "the audit log rotates at %d MB (at least 100)",
	below: "the audit log rotates at %d MB: with a fixed number of backups that keeps less history (CIS 1.2.19 wants at least 100)",
	zero:  sizeZero{},
}

// LogMaxSize is CIS 1.2.19.
var LogMaxSize = check.PerServer(logMaxSizeMeta, maxSizeRule.assess)

// sizeZero judges --audit-log-maxsize=0, whose meaning changed in 1.36.
type sizeZero struct{}

func (sizeZero) judge(l logLimits, v apiserverflags.Value) (check.Status, string, []check.Evidence) {
	switch {
	case l.v136:
		return check.Fail, "rotation is disabled: from 1.36, 0 makes kube-apiserver append to " + l.path.Value +
			" without ever rotating it, so --audit-log-maxage and --audit-log-maxbackup have no effect and the file grows until the disk fills", nil
	case !v.Set:
		return check.Pass, "before 1.36, 0 means the rotation library's default of 100 MB, so the log rotates at 100 MB " +
			"(CIS scanners such as kube-bench fail the absent flag; from 1.36 the default is 100)", nil
	default:
		return check.Warn, "the log rotates at 100 MB (before 1.36, 0 means the rotation library's default), " +
			"but from 1.36 the same value disables rotation: upgrading silently turns rotation off", nil
	}
}
