package main

import (
	"context"
	"fmt"
	"runtime"
	"syscall"
	"time"

	"github.com/apiguard/apiguard/internal/auditserve"
	"github.com/apiguard/apiguard/internal/detect"
)

// benchAuditServe: the audit webhook receiver's sustained throughput with
// zero loss (budget 30,000 events/s on the 2-core machine). A loopback load
// test: senders post 400-event EventList batches over HTTPS/HTTP2 with a
// client certificate, as kube-apiserver does, every 50th batch re-sent (a
// lost acknowledgement); the receiver decodes, de-duplicates, queues and
// runs every built-in rule. The run fails unless every event was processed
// exactly once. The senders run in the same process, so the CPU figure
// includes them.
func benchAuditServe() error {
	engine, err := detect.New(detect.Builtin(), detect.Options{})
	if err != nil {
		return err
	}
	for _, c := range []struct {
		what   string
		engine auditserve.Processor
	}{
		{fmt.Sprintf("%d built-in rules", len(engine.Rules())), engine},
		{"no rules (receiver alone: TLS, decode, de-duplication, queue)", nil},
	} {
		if err := loadRun(c.what, c.engine); err != nil {
			return err
		}
	}
	return nil
}

func loadRun(what string, engine auditserve.Processor) error {
	const events, senders = 400_000, 4
	runtime.GC()
	cpu0 := cpuTime()
	r, err := auditserve.LoadTest(context.Background(), auditserve.LoadOptions{
		Events: events, Senders: senders, ResendEvery: 50, Timeout: 3 * time.Minute, Engine: engine,
	})
	if err != nil {
		return err
	}
	cpu := cpuTime() - cpu0
	perEvent := cpu / time.Duration(r.Sent.Events+r.Sent.Resent)
	fmt.Printf("audit webhook receiver with %s; %d events in 400-event batches, %d senders, HTTPS/2 + client certificate:\n", what, r.Sent.Events, senders)
	fmt.Printf("  %.0f events/s sustained, zero loss: %d processed = %d sent, %d re-sent dropped as duplicates  (budget 30000 events/s)\n",
		r.EventsPerSec, r.Stats.Processed, r.Sent.Events, r.Stats.Duplicate)
	fmt.Printf("  %s wall, %.1f MB/s of bodies, %d answers 429 retried, queue high-water %d events, %d alerts\n",
		r.Elapsed.Round(time.Millisecond), float64(r.Sent.BodyBytes)/r.Elapsed.Seconds()/1e6, r.Sent.Retries, r.QueueHighWater, r.Stats.Alerts)
	fmt.Printf("  CPU (receiver + senders) %s per event = %.0f events per CPU-second (GOMAXPROCS %d)\n",
		perEvent.Round(100*time.Nanosecond), 1/perEvent.Seconds(), runtime.GOMAXPROCS(0))
	return nil
}

// cpuTime is the user + system CPU time of this process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
