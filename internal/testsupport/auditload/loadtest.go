// Package auditload is the load test of `apiguard audit serve`: a receiver
// on loopback with its durable pipeline, fed batches over HTTPS as
// kube-apiserver sends them. bench/auditserve.go and the receiver's tests
// use it; it is never linked into apiguard.
package auditload

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/auditserve"
	"github.com/apiguard/apiguard/internal/auditstream"
	"github.com/apiguard/apiguard/internal/testsupport/loadgen"
)

// Pipeline is what stores and processes the accepted batches: the local
// spool (*auditserve.Local) or a JetStream stream.
type Pipeline interface {
	auditserve.Ingest
	// Run processes until ctx is done, then drains (accepting says
	// whether the receiver may still store batches).
	Run(ctx context.Context, accepting func() bool) error
	// Processed is the number of events processed so far.
	Processed() int64
}

// Options configure Run.
type Options struct {
	Events      int // unique events (default 200,000)
	Senders     int // concurrent batches in flight (default 4)
	BatchSize   int // default 400, kube-apiserver's --audit-webhook-batch-max-size
	ResendEvery int // re-send every n-th batch after its 200 (lost acknowledgements)
	Timeout     time.Duration
	// Pipeline stores and processes; default: a local spool in a
	// temporary directory with no rules (NewLocal(dir, nil)).
	Pipeline Pipeline
}

// Result is what Run measured.
type Result struct {
	Sent         loadgen.Result
	Stats        auditserve.Stats
	Processed    int64
	Elapsed      time.Duration // first send to last event processed
	EventsPerSec float64       // unique events processed per second
}

// NewLocal opens a local spool in dir with engine (nil: no detection).
func NewLocal(dir string, engine auditserve.Processor) (*auditserve.Local, error) {
	if engine == nil {
		engine = nopEngine{}
	}
	return auditserve.OpenLocal(auditserve.LocalConfig{Dir: dir, Engine: engine})
}

// Run runs a receiver on loopback (HTTPS, client-certificate auth), posts
// Events unique events in batches as kube-apiserver does, waits until the
// pipeline processed them all, and drains it. It fails unless every unique
// event was processed exactly once: nothing lost, every re-sent event
// counted as a duplicate.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Events <= 0 {
		o.Events = 200_000
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	dir, err := os.MkdirTemp("", "apiguard-auditserve-load")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	if o.Pipeline == nil {
		l, err := NewLocal(dir+"/spool", nil)
		if err != nil {
			return Result{}, err
		}
		defer l.Close()
		o.Pipeline = l
	}
	pki, err := loadgen.NewPKI(dir)
	if err != nil {
		return Result{}, err
	}
	addr := make(chan net.Addr, 1)
	s, err := auditserve.New(auditserve.Config{
		Listen: "127.0.0.1:0", TLSCertFile: pki.CertFile, TLSKeyFile: pki.KeyFile,
		ClientCAFile: pki.CAFile, ClientNames: []string{loadgen.ClientName},
		Ingest:   o.Pipeline,
		OnListen: func(w, _ net.Addr) { addr <- w },
	})
	if err != nil {
		return Result{}, err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	runErr := make(chan error, 2)
	go func() { runErr <- s.Run(runCtx) }()
	go func() { runErr <- o.Pipeline.Run(runCtx, s.Serving) }()
	var url string
	select {
	case a := <-addr:
		url = "https://" + a.String() + auditserve.DefaultPath
	case err := <-runErr:
		return Result{}, err
	}
	start := time.Now()
	sent, err := loadgen.Run(ctx, loadgen.Options{URL: url, TLS: pki.ClientTLS(), Senders: o.Senders,
		Events: o.Events, BatchSize: o.BatchSize, ResendEvery: o.ResendEvery, Timeout: o.Timeout})
	if err != nil {
		return Result{Sent: sent}, err
	}
	deadline := time.Now().Add(o.Timeout)
	for o.Pipeline.Processed() < sent.Events {
		if time.Now().After(deadline) {
			return Result{Sent: sent, Stats: s.Stats()}, fmt.Errorf("processed %d of %d events before the timeout", o.Pipeline.Processed(), sent.Events)
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	stop()
	for range 2 {
		if err := <-runErr; err != nil {
			return Result{}, err
		}
	}
	r := Result{Sent: sent, Stats: s.Stats(), Processed: o.Pipeline.Processed(), Elapsed: elapsed,
		EventsPerSec: float64(sent.Events) / elapsed.Seconds()}
	st := r.Stats
	switch {
	case r.Processed != sent.Events:
		return r, fmt.Errorf("lost events: %d acknowledged, %d processed", sent.Events, r.Processed)
	case st.Duplicate != sent.Resent:
		return r, fmt.Errorf("%d events re-sent, %d dropped as duplicates", sent.Resent, st.Duplicate)
	case st.Accepted != sent.Events:
		return r, fmt.Errorf("%d unique events acknowledged, %d accepted", sent.Events, st.Accepted)
	}
	return r, nil
}

type nopEngine struct{}

func (nopEngine) Process(*auditv1.Event) []auditserve.Alert { return nil }
func (nopEngine) Flush() []auditserve.Alert                 { return nil }

// NATS is the JetStream spool with this process's detector.
type NATS struct {
	*auditstream.Stream
	Det *auditstream.Detector
}

// Run runs the detector until ctx is done.
func (n *NATS) Run(ctx context.Context, _ func() bool) error { return n.Det.Run(ctx) }

// Processed is the events the detector processed.
func (n *NATS) Processed() int64 { return n.Det.Processed() }
