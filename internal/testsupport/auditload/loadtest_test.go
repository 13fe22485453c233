package auditload

import (
	"context"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/detect"
)

// TestLoad is the short load test (through the durable spool): HTTPS with client certificates on
// loopback, 4 senders, 400-event batches, every 25th batch re-sent, every
// built-in rule; zero loss and exact duplicate accounting. The figure is printed, not asserted
// (bench/auditserve.go prints the full one against the budget).
func TestLoad(t *testing.T) {
	n := 40_000
	if testing.Short() {
		n = 8_000
	}
	eng, err := detect.New(detect.Builtin(), detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLocal(t.TempDir(), eng)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r, err := Run(context.Background(), Options{Events: n, Senders: 4, ResendEvery: 25, Timeout: 2 * time.Minute, Pipeline: l})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d events (+%d re-sent) in %s through the durable spool: %.0f events/s, %d alerts, %d retries",
		r.Sent.Events, r.Sent.Resent, r.Elapsed.Round(time.Millisecond), r.EventsPerSec, l.Alerts(), r.Sent.Retries)
	// One attack in 400 events (an exec reading a token): AG-DET-201 and
	// AG-DET-606 each alert once per attack, re-sends included; AG-DET-610
	// once in the run (alice listing every Secret of shop: once per
	// identity and namespace per hour).
	if want := int64(2*n/400 + 1); l.Alerts() != want {
		t.Errorf("%d alerts, want %d", l.Alerts(), want)
	}
}
