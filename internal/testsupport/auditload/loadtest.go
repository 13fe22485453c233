package auditserve

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/auditserve/loadgen"
)

// LoadOptions configure LoadTest.
type LoadOptions struct {
	Events      int // unique events (default 200,000)
	Senders     int // concurrent batches in flight (default 4)
	BatchSize   int // default 400, kube-apiserver's --audit-webhook-batch-max-size
	ResendEvery int // re-send every n-th batch after its 200 (lost acknowledgements)
	Timeout     time.Duration
	Engine      Processor // default: no detection
	Emitter     Emitter   // default: alerts discarded
}

// LoadResult is what LoadTest measured.
type LoadResult struct {
	Sent           loadgen.Result
	Stats          Stats
	Elapsed        time.Duration // first send to last event processed
	EventsPerSec   float64       // unique events processed per second
	QueueHighWater int64
}

// LoadTest runs a receiver on loopback (HTTPS, client-certificate auth),
// posts Events unique events in batches as kube-apiserver does, waits until
// the receiver processed them all, and drains it. It fails unless every
// unique event was processed exactly once: nothing lost, every re-sent event
// counted as a duplicate.
func LoadTest(ctx context.Context, o LoadOptions) (LoadResult, error) {
	if o.Events <= 0 {
		o.Events = 200_000
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.Engine == nil {
		o.Engine = nopEngine{}
	}
	if o.Emitter == nil {
		o.Emitter = nopEmitter{}
	}
	dir, err := os.MkdirTemp("", "apiguard-auditserve-load")
	if err != nil {
		return LoadResult{}, err
	}
	defer os.RemoveAll(dir)
	pki, err := loadgen.NewPKI(dir)
	if err != nil {
		return LoadResult{}, err
	}
	addr := make(chan net.Addr, 1)
	s, err := New(Config{
		Listen: "127.0.0.1:0", TLSCertFile: pki.CertFile, TLSKeyFile: pki.KeyFile,
		ClientCAFile: pki.CAFile, ClientNames: []string{loadgen.ClientName},
		Engine: o.Engine, Emitter: o.Emitter,
		OnListen: func(w, _ net.Addr) { addr <- w },
	})
	if err != nil {
		return LoadResult{}, err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	runErr := make(chan error, 1)
	go func() { runErr <- s.Run(runCtx) }()
	var url string
	select {
	case a := <-addr:
		url = "https://" + a.String() + "/"
	case err := <-runErr:
		return LoadResult{}, err
	}
	var high int64
	watch := make(chan struct{})
	go func() { // queue high-water mark
		defer close(watch)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
				if e, _ := s.q.depth(); e > high {
					high = e
				}
			}
		}
	}()
	start := time.Now()
	sent, err := loadgen.Run(ctx, loadgen.Options{URL: url, TLS: pki.ClientTLS(), Senders: o.Senders,
		Events: o.Events, BatchSize: o.BatchSize, ResendEvery: o.ResendEvery, Timeout: o.Timeout})
	if err != nil {
		return LoadResult{Sent: sent}, err
	}
	deadline := time.Now().Add(o.Timeout)
	for s.Stats().Processed < sent.Events {
		if time.Now().After(deadline) {
			return LoadResult{Sent: sent, Stats: s.Stats()}, fmt.Errorf("processed %d of %d events before the timeout", s.Stats().Processed, sent.Events)
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	stop()
	if err := <-runErr; err != nil {
		return LoadResult{}, err
	}
	<-watch
	r := LoadResult{Sent: sent, Stats: s.Stats(), Elapsed: elapsed, QueueHighWater: high,
		EventsPerSec: float64(sent.Events) / elapsed.Seconds()}
	st := r.Stats
	switch {
	case st.Processed != sent.Events:
		return r, fmt.Errorf("lost events: %d acknowledged, %d processed", sent.Events, st.Processed)
	case st.Duplicate != sent.Resent:
		return r, fmt.Errorf("%d events re-sent, %d dropped as duplicates", sent.Resent, st.Duplicate)
	case st.Queued != sent.Events:
		return r, fmt.Errorf("%d unique events acknowledged, %d queued", sent.Events, st.Queued)
	}
	return r, nil
}

type nopEngine struct{}

func (nopEngine) Process(*auditv1.Event) []Alert { return nil }
func (nopEngine) Flush() []Alert                 { return nil }

type nopEmitter struct{}

func (nopEmitter) Emit(Alert) {}
func (nopEmitter) Sync()      {}
