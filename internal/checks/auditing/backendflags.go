package auditing

import (
	"fmt"
	"strconv"
	"time"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/check"
)

// The audit backends' flags (k8s.io/apiserver pkg/server/options/audit.go,
// unchanged from 1.24 to 1.36) that apiserverflags has no default for.
// NewAuditOptions: the webhook backend batches (defaultWebhookBatchConfig:
// buffer 10000, batches of 400, 30s, throttled at 10 QPS, burst 15); the log
// backend blocks and, in batch mode, uses defaultLogBatchConfig (batches of
// 1, no throttling, so QPS and burst are 0); truncation is off with 10 MiB
// batches and 100 KiB events; both versions are audit.k8s.io/v1.
var auditDefaults = map[string]string{
	"audit-webhook-mode":                    "batch",
	"audit-webhook-version":                 "audit.k8s.io/v1",
	"audit-webhook-initial-backoff":         "10s",
	"audit-webhook-batch-buffer-size":       "10000",
	"audit-webhook-batch-max-size":          "400",
	"audit-webhook-batch-max-wait":          "30s",
	"audit-webhook-batch-throttle-enable":   "true",
	"audit-webhook-batch-throttle-qps":      "10",
	"audit-webhook-batch-throttle-burst":    "15",
	"audit-webhook-truncate-enabled":        "false",
	"audit-webhook-truncate-max-batch-size": "10485760",
	"audit-webhook-truncate-max-event-size": "102400",
	"audit-log-version":                     "audit.k8s.io/v1",
	"audit-log-batch-buffer-size":           "10000",
	"audit-log-batch-max-size":              "1",
	"audit-log-batch-max-wait":              "0s",
	"audit-log-batch-throttle-enable":       "false",
	"audit-log-batch-throttle-qps":          "0",
	"audit-log-batch-throttle-burst":        "0",
	"audit-log-truncate-enabled":            "false",
	"audit-log-truncate-max-batch-size":     "10485760",
	"audit-log-truncate-max-event-size":     "102400",
}

// auditFlag returns a flag, with kube-apiserver's default when unset.
func auditFlag(f *apiserverflags.Flags, name string) apiserverflags.Value {
	v := f.Get(name)
	if v.Set || v.Source != "no default" {
		return v
	}
	if d, ok := auditDefaults[name]; ok {
		ver, assumed := f.Version()
		v.Value = d
		v.Source = "default for v" + ver.MinorString()
		if assumed {
			v.Source += " (version unknown, newest assumed)"
		}
	}
	return v
}

// flagReader parses audit flags as pflag does and collects the first error.
type flagReader struct {
	f   *apiserverflags.Flags
	ev  []check.Evidence
	err error
	bad apiserverflags.Value
}

func (r *flagReader) get(name string) apiserverflags.Value {
	v := auditFlag(r.f, name)
	r.ev = append(r.ev, check.FlagEvidence(v))
	return v
}

func (r *flagReader) fail(v apiserverflags.Value, format string, a ...any) {
	if r.err == nil {
		r.err, r.bad = fmt.Errorf(format, a...), v
	}
}

func (r *flagReader) int(name string) int64 {
	v := r.get(name)
	n, err := strconv.ParseInt(v.Value, 0, 64)
	if err != nil {
		r.fail(v, "%s=%q is not an integer: kube-apiserver refuses to start with it", v.Key(), v.Value)
	}
	return n
}

func (r *flagReader) float(name string) float64 {
	v := r.get(name)
	n, err := strconv.ParseFloat(v.Value, 32)
	if err != nil {
		r.fail(v, "%s=%q is not a number: kube-apiserver refuses to start with it", v.Key(), v.Value)
	}
	return n
}

func (r *flagReader) bool(name string) bool {
	v := r.get(name)
	b, err := strconv.ParseBool(v.Value)
	if err != nil {
		r.fail(v, "%s=%q is not a boolean: kube-apiserver refuses to start with it", v.Key(), v.Value)
	}
	return b
}

func (r *flagReader) duration(name string) time.Duration {
	v := r.get(name)
	d, err := time.ParseDuration(v.Value)
	if err != nil {
		r.fail(v, "%s=%q is not a duration: kube-apiserver refuses to start with it", v.Key(), v.Value)
	}
	return d
}

// backend is the effective batching and truncation of one audit backend.
type backend struct {
	mode                 apiserverflags.Value
	version              apiserverflags.Value
	buffer, maxSize      int64
	maxWait              time.Duration
	throttle             bool
	qps                  float64
	burst                int64
	truncate             bool
	truncBatch, truncEvt int64
}

// readBackend reads the flags of plugin "log" or "webhook" and validates
// them as AuditOptions.Validate does (validateBackendBatchOptions,
// AuditTruncateOptions.Validate, validateGroupVersionString): an invalid
// value is an error (kube-apiserver does not start).
func readBackend(r *flagReader, plugin string) backend {
	p := "audit-" + plugin + "-"
	b := backend{mode: r.get(p + "mode"), version: r.get(p + "version")}
	switch b.mode.Value {
	case "batch", "blocking", "blocking-strict":
	default:
		r.fail(b.mode, "%s=%q is not a mode (batch, blocking, blocking-strict): kube-apiserver refuses to start with it", b.mode.Key(), b.mode.Value)
	}
	if b.version.Value != "audit.k8s.io/v1" {
		r.fail(b.version, "%s=%q: kube-apiserver only knows audit.k8s.io/v1 and refuses to start", b.version.Key(), b.version.Value)
	}
	b.buffer = r.int(p + "batch-buffer-size")
	b.maxSize = r.int(p + "batch-max-size")
	b.maxWait = r.duration(p + "batch-max-wait")
	b.throttle = r.bool(p + "batch-throttle-enable")
	b.qps = r.float(p + "batch-throttle-qps")
	b.burst = r.int(p + "batch-throttle-burst")
	b.truncate = r.bool(p + "truncate-enabled")
	b.truncBatch = r.int(p + "truncate-max-batch-size")
	b.truncEvt = r.int(p + "truncate-max-event-size")
	if r.err != nil {
		return b
	}
	if b.mode.Value == "batch" {
		switch {
		case b.buffer <= 0:
			r.fail(auditFlag(r.f, p+"batch-buffer-size"), "--%sbatch-buffer-size=%d must be positive: kube-apiserver refuses to start", p, b.buffer)
		case b.maxSize <= 0:
			r.fail(auditFlag(r.f, p+"batch-max-size"), "--%sbatch-max-size=%d must be positive: kube-apiserver refuses to start", p, b.maxSize)
		case b.throttle && b.qps <= 0:
			r.fail(auditFlag(r.f, p+"batch-throttle-qps"), "--%sbatch-throttle-qps=%g must be positive when throttling is enabled: kube-apiserver refuses to start", p, b.qps)
		case b.throttle && b.burst <= 0:
			r.fail(auditFlag(r.f, p+"batch-throttle-burst"), "--%sbatch-throttle-burst=%d must be positive when throttling is enabled: kube-apiserver refuses to start", p, b.burst)
		}
	}
	switch {
	case b.truncEvt <= 0:
		r.fail(auditFlag(r.f, p+"truncate-max-event-size"), "--%struncate-max-event-size=%d must be positive: kube-apiserver refuses to start", p, b.truncEvt)
	case b.truncBatch < b.truncEvt:
		r.fail(auditFlag(r.f, p+"truncate-max-batch-size"), "--%struncate-max-batch-size=%d is smaller than --%struncate-max-event-size=%d: kube-apiserver refuses to start", p, b.truncBatch, p, b.truncEvt)
	}
	return b
}

// Thresholds for a batching backend. A busy control plane produces hundreds
// of audit events per second (the docs' example: 100 requests/s give about
// 200 events/s); the buffer must absorb a stall of the receiver.
const (
	minEventsPerSecond = 200
	minBuffer          = 1000
)

// batchJudgement assesses a batch-mode backend: capacity (events/s it can
// send when throttled) and buffer.
func batchJudgement(b backend, p string) (check.Status, string) {
	buffer := fmt.Sprintf("a buffer of %d events", b.buffer)
	if !b.throttle {
		if b.buffer < minBuffer {
			return check.Warn, fmt.Sprintf("batch mode with %s (--%sbatch-buffer-size): events are dropped (\"audit buffer queue blocked\") as soon as the backend falls %d events behind; use 10000", buffer, p, b.buffer)
		}
		return check.Pass, fmt.Sprintf("batch mode, unthrottled, with %s: events are dropped only if the backend falls that far behind", buffer)
	}
	rate := b.qps * float64(b.maxSize)
	if rate < minEventsPerSecond {
		return check.Warn, fmt.Sprintf("batch mode throttled to %g batches/s of at most %d events (--%sbatch-throttle-qps × --%sbatch-max-size = %.0f events/s): a busy API server produces more, the %d-event buffer fills and events are dropped (\"audit buffer queue blocked\"); raise them to at least %d events/s",
			b.qps, b.maxSize, p, p, rate, b.buffer, minEventsPerSecond)
	}
	if b.buffer < minBuffer {
		return check.Warn, fmt.Sprintf("batch mode with %s (--%sbatch-buffer-size): a stall of the receiver of a few seconds drops events (\"audit buffer queue blocked\"); use 10000", buffer, p)
	}
	return check.Pass, fmt.Sprintf("batch mode sending up to %.0f events/s (%g batches/s of %d), with %s (%.0f s at that rate) when the receiver stalls", rate, b.qps, b.maxSize, buffer, float64(b.buffer)/rate)
}

// truncationNote says what truncation does when enabled.
func truncationNote(b backend) string {
	if !b.truncate {
		return ""
	}
	return fmt.Sprintf("; truncation is on: events above %d bytes lose their request and response bodies, then are dropped", b.truncEvt)
}
