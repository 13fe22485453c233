package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/apiguard/apiguard/internal/auditserve"
	"github.com/apiguard/apiguard/internal/detect"
	"github.com/apiguard/apiguard/internal/testsupport/auditload"
)

// benchAuditServe: the audit webhook receiver's sustained throughput with
// zero loss through its durable spool (budget 30,000 events/s on the
// 2-core machine). A loopback load test: senders post 400-event EventList
// batches over HTTPS/HTTP2 with a client certificate, as kube-apiserver
// does, every 50th batch re-sent (a lost acknowledgement); the receiver
// decodes, de-duplicates, appends each batch to the spool and fsyncs before
// answering, and the pipeline runs every built-in rule and records each
// group in its journal. The run fails unless every event was processed
// exactly once. The senders run in the same process, so the CPU figure
// includes them. With a NATS server (APIGUARD_NATS_SERVER, or the one
// test/e2e/build-binaries.sh caches) it measures the JetStream spool too.
func benchAuditServe() error {
	engine := func() (auditserve.Processor, string, error) {
		e, err := detect.New(detect.Builtin(), detect.Options{})
		if err != nil {
			return nil, "", err
		}
		return e, fmt.Sprintf("%d built-in rules", len(e.Rules())), nil
	}
	for _, withRules := range []bool{true, false} {
		var eng auditserve.Processor
		what := "no rules (receiver, spool and journal alone)"
		if withRules {
			var err error
			if eng, what, err = engine(); err != nil {
				return err
			}
		}
		dir, err := os.MkdirTemp("", "apiguard-bench-spool")
		if err != nil {
			return err
		}
		l, err := auditload.NewLocal(dir, eng)
		if err != nil {
			return err
		}
		err = loadRun("local spool (fsync before 200), "+what, l, func() int64 { return l.Alerts() })
		l.Close()
		os.RemoveAll(dir)
		if err != nil {
			return err
		}
	}
	return benchJetStream(engine)
}

func loadRun(what string, p auditload.Pipeline, alerts func() int64) error {
	const events, senders = 400_000, 4
	runtime.GC()
	cpu0 := cpuTime()
	r, err := auditload.Run(context.Background(), auditload.Options{
		Events: events, Senders: senders, ResendEvery: 50, Timeout: 5 * time.Minute, Pipeline: p,
	})
	if err != nil {
		return err
	}
	cpu := cpuTime() - cpu0
	perEvent := cpu / time.Duration(r.Sent.Events+r.Sent.Resent)
	fmt.Printf("audit webhook receiver, %s; %d events in 400-event batches, %d senders, HTTPS/2 + client certificate:\n", what, r.Sent.Events, senders)
	fmt.Printf("  %.0f events/s sustained, zero loss: %d processed = %d sent, %d re-sent dropped as duplicates  (budget 30000 events/s)\n",
		r.EventsPerSec, r.Processed, r.Sent.Events, r.Stats.Duplicate)
	fmt.Printf("  %s wall, %.1f MB/s of bodies, %d answers 429/503 retried, %d alerts\n",
		r.Elapsed.Round(time.Millisecond), float64(r.Sent.BodyBytes)/r.Elapsed.Seconds()/1e6, r.Sent.Retries, alerts())
	fmt.Printf("  CPU (receiver + senders) %s per event = %.0f events per CPU-second (GOMAXPROCS %d)\n",
		perEvent.Round(100*time.Nanosecond), 1/perEvent.Seconds(), runtime.GOMAXPROCS(0))
	return nil
}
