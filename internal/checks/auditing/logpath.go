package auditing

import (
	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var logEnabledMeta = check.Metadata{
	ID:       "AG-AUDIT-001",
	Title:    "Audit events are written to a log",
	Layer:    check.Auditing,
	Severity: check.High,
	Rationale: "Without an audit backend kube-apiserver keeps no record of who read which Secret, " +
		"who created a privileged pod or who changed RBAC: an intruder's actions leave no trace " +
		"on the control plane and an incident cannot be reconstructed. --audit-log-path writes " +
		"events to a file on the control-plane host (\"-\" writes them to standard output, where " +
		"retention is whatever the container runtime's log rotation keeps). " +
		"--audit-webhook-config-file sends them to a remote collector instead, which CIS 1.2.16 " +
		"does not count. Either backend records nothing without --audit-policy-file (AG-AUDIT-005).",
	Remediation: "Set --audit-log-path=/var/log/kubernetes/audit/audit.log and mount that directory " +
		"from the host (kubeadm: apiServer.extraArgs audit-log-path, plus extraVolumes for the log " +
		"directory and the policy file), together with --audit-policy-file.",
	References: []check.Reference{
		{CIS: "1.2.16", Title: "Ensure that the --audit-log-path argument is set"},
		{Title: "Kubernetes auditing", URL: "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// LogEnabled is CIS 1.2.16.
var LogEnabled = check.PerServer(logEnabledMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	path := f.Get("audit-log-path")
	webhook := f.Get("audit-webhook-config-file")
	policy := f.Get("audit-policy-file")
	ev := []check.Evidence{check.FlagEvidence(path), check.FlagEvidence(webhook), check.FlagEvidence(policy)}
	noPolicy := ""
	if policy.Value == "" {
		noPolicy = "; but --audit-policy-file is not set, so kube-apiserver records no events at all (see AG-AUDIT-005)"
	}
	switch {
	case path.Value == "-":
		return m.Result(check.Pass, a.Name, "audit events are written to standard output (--audit-log-path=-): "+
			"how long they are kept depends on the container runtime's log rotation, not on --audit-log-max*"+noPolicy, ev...)
	case path.Value != "":
		return m.Result(check.Pass, a.Name, "audit events are written to "+path.Value+noPolicy, ev...)
	case webhook.Value != "":
		r := m.Result(check.Warn, a.Name, "no audit log file (--audit-log-path is not set): audit events only go to the webhook in "+
			webhook.Value+"; CIS 1.2.16 expects a log file, and events are lost while the webhook is unreachable "+
			"and its buffer is full"+noPolicy, ev...)
		r.Location = check.FlagLocation(webhook)
		return r
	default:
		msg := "no audit backend: neither --audit-log-path nor --audit-webhook-config-file is set, so no audit event is recorded"
		if path.Set {
			msg = "no audit backend: --audit-log-path is empty and --audit-webhook-config-file is not set, so no audit event is recorded"
		}
		r := m.Result(check.Fail, a.Name, msg, ev...)
		r.Location = check.FlagLocation(path)
		return r
	}
})
