package auditing

import (
	"testing"

	"github.com/apiguard/apiguard/internal/check"
	ct "github.com/apiguard/apiguard/internal/checks/checktest"
)

const webhookFlag = "--audit-webhook-config-file=/etc/kubernetes/audit-webhook.kubeconfig"

func TestLogFormat(t *testing.T) {
	ct.Table(t, LogFormat, []ct.Case{
		{Name: "default json", Snap: snap(), Want: check.Pass, Contains: "default for v1.36"},
		{Name: "explicit json", Snap: snap("--audit-log-format=json"), Want: check.Pass},
		{Name: "legacy", Snap: snap("--audit-log-format=legacy"), Want: check.Fail, Contains: "cannot parse it"},
		{Name: "repeated, last wins", Snap: snap("--audit-log-format=json", "--audit-log-format=legacy"), Want: check.Fail},
		{Name: "repeated, last wins (secure)", Snap: snap("--audit-log-format=legacy", "--audit-log-format=json"), Want: check.Pass},
		{Name: "unknown format", Snap: snap("--audit-log-format=JSON"), Want: check.Fail, Contains: "refuses to start"},
		{Name: "removed version", Snap: snap("--audit-log-version=audit.k8s.io/v1beta1"), Want: check.Fail, Contains: "only knows audit.k8s.io/v1"},
		{Name: "stdout still has a format", Snap: ct.Snapshot("--audit-log-path=-", "--audit-log-format=legacy"), Want: check.Fail},
		{Name: "no log file", Snap: ct.Snapshot("--audit-log-format=legacy"), Want: check.NotApplicable, Contains: "has no effect"},
		{Name: "managed control plane", Snap: ct.Hidden("GKE control plane is managed"), Want: check.NotAssessable},
	})
	f := ct.One(t, LogFormat, snap("--audit-log-format=legacy"))
	if f.Location == nil || f.Location.Line != 3 {
		t.Fatalf("location = %+v", f.Location)
	}
}

func TestWebhookBackend(t *testing.T) {
	wh := func(args ...string) []string { return append([]string{webhookFlag}, args...) }
	ct.Table(t, WebhookBackend, []ct.Case{
		{Name: "no webhook", Snap: snap(), Want: check.NotApplicable, Contains: "AG-AUDIT-001"},
		{Name: "defaults", Snap: ct.Snapshot(wh()...), Want: check.Pass, Contains: "up to 4000 events/s"},
		{Name: "throttle too low", Snap: ct.Snapshot(wh("--audit-webhook-batch-throttle-qps=1", "--audit-webhook-batch-max-size=50")...), Want: check.Warn, Contains: "= 50 events/s"},
		{Name: "small buffer", Snap: ct.Snapshot(wh("--audit-webhook-batch-buffer-size=100")...), Want: check.Warn, Contains: "a buffer of 100 events"},
		{Name: "unthrottled", Snap: ct.Snapshot(wh("--audit-webhook-batch-throttle-enable=false")...), Want: check.Pass, Contains: "unthrottled"},
		{Name: "bare throttle flag", Snap: ct.Snapshot(wh("--audit-webhook-batch-throttle-enable", "--audit-webhook-batch-throttle-qps=100")...), Want: check.Pass, Contains: "40000 events/s"},
		{Name: "unthrottled small buffer", Snap: ct.Snapshot(wh("--audit-webhook-batch-throttle-enable=false", "--audit-webhook-batch-buffer-size=10")...), Want: check.Warn},
		{Name: "blocking", Snap: ct.Snapshot(wh("--audit-webhook-mode=blocking")...), Want: check.Warn, Contains: "dropped silently"},
		{Name: "blocking-strict", Snap: ct.Snapshot(wh("--audit-webhook-mode=blocking-strict")...), Want: check.Pass, Contains: "no event is dropped"},
		{Name: "blocking ignores batch values", Snap: ct.Snapshot(wh("--audit-webhook-mode=blocking-strict", "--audit-webhook-batch-buffer-size=0")...), Want: check.Pass},
		{Name: "invalid mode", Snap: ct.Snapshot(wh("--audit-webhook-mode=async")...), Want: check.Fail, Contains: "is not a mode"},
		{Name: "zero buffer", Snap: ct.Snapshot(wh("--audit-webhook-batch-buffer-size=0")...), Want: check.Fail, Contains: "must be positive"},
		{Name: "zero qps while throttled", Snap: ct.Snapshot(wh("--audit-webhook-batch-throttle-qps=0")...), Want: check.Fail, Contains: "must be positive when throttling"},
		{Name: "not an integer", Snap: ct.Snapshot(wh("--audit-webhook-batch-max-size=lots")...), Want: check.Fail, Contains: "not an integer"},
		{Name: "hex as pflag reads it", Snap: ct.Snapshot(wh("--audit-webhook-batch-max-size=0x190")...), Want: check.Pass, Contains: "batches/s of 400"},
		{Name: "truncation", Snap: ct.Snapshot(wh("--audit-webhook-truncate-enabled=true")...), Want: check.Pass, Contains: "truncation is on"},
		{Name: "truncation sizes invalid", Snap: ct.Snapshot(wh("--audit-webhook-truncate-max-batch-size=10")...), Want: check.Fail, Contains: "smaller than"},
		{Name: "removed version", Snap: ct.Snapshot(wh("--audit-webhook-version=audit.k8s.io/v1beta1")...), Want: check.Fail},
		{Name: "managed control plane", Snap: ct.Hidden("AKS control plane is managed"), Want: check.NotAssessable},
	})
	f := ct.One(t, WebhookBackend, ct.Snapshot(wh("--audit-webhook-batch-buffer-size=0")...))
	if f.Location == nil || f.Location.Line != 3 {
		t.Fatalf("location = %+v", f.Location)
	}
	if e := ct.Evidence(t, f, "--audit-webhook-batch-max-size"); e.Value != "400" || e.Source != "default for v1.36" {
		t.Fatalf("default evidence = %+v", e)
	}
}

func TestLogBackend(t *testing.T) {
	ct.Table(t, LogBackend, []ct.Case{
		{Name: "default blocking", Snap: snap(), Want: check.Pass, Contains: "--audit-log-mode=blocking"},
		{Name: "batch defaults", Snap: snap("--audit-log-mode=batch"), Want: check.Pass, Contains: "unthrottled"},
		{Name: "batch small buffer", Snap: snap("--audit-log-mode=batch", "--audit-log-batch-buffer-size=50"), Want: check.Warn, Contains: "falls 50 events behind"},
		{Name: "batch throttled without qps", Snap: snap("--audit-log-mode=batch", "--audit-log-batch-throttle-enable=true"), Want: check.Fail, Contains: "throttle-qps=0 must be positive"},
		{Name: "batch throttled too low", Snap: snap("--audit-log-mode=batch", "--audit-log-batch-throttle-enable", "--audit-log-batch-throttle-qps=5", "--audit-log-batch-throttle-burst=5"), Want: check.Warn, Contains: "= 5 events/s"},
		{Name: "blocking ignores batch values", Snap: snap("--audit-log-batch-throttle-enable=true"), Want: check.Pass},
		{Name: "invalid mode", Snap: snap("--audit-log-mode=sync"), Want: check.Fail, Contains: "is not a mode"},
		{Name: "truncation", Snap: snap("--audit-log-truncate-enabled", "--audit-log-truncate-max-event-size=2048"), Want: check.Pass, Contains: "above 2048 bytes"},
		{Name: "no log file", Snap: ct.Snapshot("--audit-log-mode=batch"), Want: check.NotApplicable, Contains: "AG-AUDIT-001"},
		{Name: "managed control plane", Snap: ct.Hidden("EKS control plane is managed"), Want: check.NotAssessable},
	})
}
