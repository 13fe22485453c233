package auditing

import (
	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/inputs"
)

var webhookMeta = check.Metadata{
	ID:       "AG-AUDIT-007",
	Title:    "The audit webhook backend keeps up without dropping events",
	Layer:    check.Auditing,
	Severity: check.Medium,
	Rationale: "--audit-webhook-config-file sends audit events to a remote collector. In batch mode (the default) " +
		"events wait in a buffer (--audit-webhook-batch-buffer-size, 10000) and are sent in batches of " +
		"--audit-webhook-batch-max-size (400) at most --audit-webhook-batch-throttle-qps (10) times a second: when the " +
		"collector is slow or the limits are too low for the cluster's traffic, the buffer fills and kube-apiserver " +
		"drops events, logging only \"audit buffer queue blocked\". An attacker who floods the API server can push " +
		"their own requests out of the record. In blocking mode every request waits for the POST (30 s timeout, " +
		"retries with backoff) and failed deliveries are dropped silently; blocking-strict rejects requests when the " +
		"collector fails. Invalid values stop kube-apiserver from starting. The webhook kubeconfig itself is not read.",
	Remediation: "Keep --audit-webhook-mode=batch with throttle QPS × max batch size well above the cluster's audit " +
		"event rate (the docs: events/s ≈ requests/s × logged stages) and a buffer of 10000, e.g. " +
		"--audit-webhook-batch-max-size=400 --audit-webhook-batch-throttle-qps=10; or disable throttling " +
		"(--audit-webhook-batch-throttle-enable=false) for a collector that keeps up. Also write events to a log " +
		"file (--audit-log-path) so nothing depends on the network alone.",
	References: []check.Reference{
		{Title: "Kubernetes auditing: webhook backend and batching", URL: "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#webhook-backend"},
	},
	Inputs: []check.Input{check.InputFlags},
}

// WebhookBackend checks the webhook backend's mode, batching and validity.
var WebhookBackend = check.PerServer(webhookMeta, func(m check.Metadata, a *inputs.APIServer, f *apiserverflags.Flags) check.Finding {
	cfg := f.Get("audit-webhook-config-file")
	if cfg.Value == "" {
		return m.Result(check.NotApplicable, a.Name, "no audit webhook backend (--audit-webhook-config-file is not set): the batch settings have no effect; whether events are recorded at all is AG-AUDIT-001's", check.FlagEvidence(cfg))
	}
	r := &flagReader{f: f, ev: []check.Evidence{check.FlagEvidence(cfg)}}
	b := readBackend(r, "webhook")
	if r.err != nil {
		res := m.Result(check.Fail, a.Name, r.err.Error(), r.ev...)
		res.Location = check.FlagLocation(r.bad)
		return res
	}
	var status check.Status
	var msg string
	switch b.mode.Value {
	case "batch":
		status, msg = batchJudgement(b, "audit-webhook-")
	case "blocking":
		status, msg = check.Warn, "--audit-webhook-mode=blocking: every request waits for the collector (30 s timeout, retries with backoff), "+
			"so a slow collector slows the API server, and an event whose delivery fails is dropped silently; batch mode buffers instead"
	default: // blocking-strict
		status, msg = check.Pass, "--audit-webhook-mode=blocking-strict: no event is dropped; a failing collector makes kube-apiserver reject requests (an availability trade-off)"
	}
	res := m.Result(status, a.Name, "audit webhook "+cfg.Value+": "+msg+truncationNote(b), r.ev...)
	if status == check.Warn {
		res.Location = check.FlagLocation(b.mode)
	}
	return res
})
