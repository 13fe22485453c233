package auditing

import "github.com/apiguard/apiguard/internal/check"

var logMaxBackupMeta = check.Metadata{
	ID:       "AG-AUDIT-003",
	Title:    "At least 10 rotated audit logs are kept",
	Layer:    check.Auditing,
	Severity: check.Medium,
	Rationale: "--audit-log-maxbackup deletes the oldest rotated audit logs beyond that count, whatever " +
		"their age: with few backups a burst of requests (which an attacker can generate) rotates the " +
		"evidence away within hours. The default is 100 from 1.36 and 0 before. 0 means no limit on the " +
		"count; apiguard warns rather than fails (CIS scanners fail it): nothing is lost to the count, " +
		"but only --audit-log-maxage then bounds the disk used, and with both at 0 the log directory " +
		"grows until the disk fills.",
	Remediation: "Set --audit-log-maxbackup=10 or more (kubeadm: apiServer.extraArgs audit-log-maxbackup: \"10\").",
	References: []check.Reference{
		{CIS: "1.2.18", Title: "Ensure that the --audit-log-maxbackup argument is set to 10 or as appropriate"},
		{Title: "Kubernetes auditing: log backend", URL: "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#log-backend"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// maxBackupRule is CIS 1.2.18's test, --audit-log-maxbackup gte 10, where 0
// means no limit.
var maxBackupRule = limitRule{
	flag:  "audit-log-maxbackup",
	min:   10,
	pass:  "%d rotated audit log files are kept (at least 10)",
	below: "only %d rotated audit log files are kept (CIS 1.2.18 wants at least 10)",
	zero: noLimit{
		means:     "the number of rotated audit log files is not limited",
		other:     "audit-log-maxage",
		otherDoes: "files are deleted after that many days",
		cis:       "1.2.18",
	},
}

// LogMaxBackup is CIS 1.2.18.
var LogMaxBackup = check.PerServer(logMaxBackupMeta, maxBackupRule.assess)
