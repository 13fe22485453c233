package auditing

import "github.com/apiguard/apiguard/internal/check"

var logMaxAgeMeta = check.Metadata{
	ID:       "AG-AUDIT-002",
	Title:    "Audit logs are kept for at least 30 days",
	Layer:    check.Auditing,
	Severity: check.Medium,
	Rationale: "Intrusions are often found weeks after they start; rotated audit logs deleted after a few " +
		"days take the evidence with them, and an attacker who knows the retention can simply wait. " +
		"--audit-log-maxage deletes rotated files older than that many days. The default is 366 from " +
		"1.36 and 0 before. 0 means no age limit: nothing is deleted for its age, which satisfies the " +
		"30-day intent, so apiguard does not fail it as CIS scanners (kube-bench's gte 30 test) do; it " +
		"warns instead, because retention then rests on --audit-log-maxbackup alone or, when that is 0 " +
		"too, the log directory grows until the disk fills and events are lost. Note that " +
		"--audit-log-maxbackup also deletes files regardless of age: the days actually kept are " +
		"bounded by maxbackup × maxsize of traffic.",
	Remediation: "Set --audit-log-maxage=30 or more (kubeadm: apiServer.extraArgs audit-log-maxage: \"30\"), " +
		"and ship the audit log off the host for longer retention.",
	References: []check.Reference{
		{CIS: "1.2.17", Title: "Ensure that the --audit-log-maxage argument is set to 30 or as appropriate"},
		{Title: "Kubernetes auditing: log backend", URL: "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#log-backend"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// maxAgeRule is CIS 1.2.17's test, --audit-log-maxage gte 30, where 0 means
// no limit.
var maxAgeRule = limitRule{
	flag:  "audit-log-maxage",
	min:   30,
	pass:  "rotated audit logs are kept for %d days (at least 30)",
	below: "rotated audit logs are deleted after %d days (CIS 1.2.17 wants at least 30)",
	zero: noLimit{
		means:     "rotated audit logs are never deleted for their age",
		other:     "audit-log-maxbackup",
		otherDoes: "files beyond that count are deleted, so the days kept depend on traffic",
		cis:       "1.2.17",
	},
}

// LogMaxAge is CIS 1.2.17.
var LogMaxAge = check.PerServer(logMaxAgeMeta, maxAgeRule.assess)
