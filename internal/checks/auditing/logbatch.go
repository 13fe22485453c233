package auditing

import (
	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var logBatchMeta = check.Metadata{
	ID:       "AG-AUDIT-008",
	Title:    "The audit log backend writes every event",
	Layer:    check.Auditing,
	Severity: check.Medium,
	Rationale: "By default the log backend is blocking (--audit-log-mode=blocking): each event is written before the " +
		"request goes on, and none is lost. --audit-log-mode=batch puts events in a buffer " +
		"(--audit-log-batch-buffer-size, 10000) written asynchronously: when the disk is slow, or a throttle " +
		"(--audit-log-batch-throttle-enable, off by default) limits the rate, the buffer fills and kube-apiserver drops " +
		"events with only \"audit buffer queue blocked\" in its log. Truncation (--audit-log-truncate-enabled) removes " +
		"bodies from large events and drops those still too large. Invalid values stop kube-apiserver from starting.",
	Remediation: "Leave --audit-log-mode unset (blocking). If batch mode is needed, keep a 10000-event buffer and " +
		"throttling off (or throttle QPS × max batch size above the cluster's audit event rate).",
	References: []check.Reference{
		{Title: "Kubernetes auditing: log backend batching", URL: "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#batching"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// LogBackend checks the log backend's mode, batching and validity.
var LogBackend = check.PerServer(logBatchMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	path := f.Get("audit-log-path")
	if path.Value == "" {
		return m.Result(check.NotApplicable, a.Name, "no audit log file (--audit-log-path is not set), so the log backend's mode and batching have no effect; see AG-AUDIT-001", check.FlagEvidence(path))
	}
	r := &flagReader{f: f, ev: []check.Evidence{check.FlagEvidence(path)}}
	b := readBackend(r, "log")
	if r.err != nil {
		res := m.Result(check.Fail, a.Name, r.err.Error(), r.ev...)
		res.Location = check.FlagLocation(r.bad)
		return res
	}
	status, msg := check.Pass, "--audit-log-mode="+b.mode.Value+": every event is written before the request proceeds"
	if b.mode.Value == "batch" {
		status, msg = batchJudgement(b, "audit-log-")
		msg = "--audit-log-mode=batch: " + msg
	}
	res := m.Result(status, a.Name, msg+truncationNote(b), r.ev...)
	if status == check.Warn {
		res.Location = check.FlagLocation(b.mode)
	}
	return res
})
