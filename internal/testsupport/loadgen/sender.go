package loadgen

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Options of a load run.
type Options struct {
	URL       string
	TLS       *tls.Config // nil: plain HTTP
	Senders   int         // concurrent batches in flight (kube-apiserver sends batches asynchronously)
	Events    int         // unique events to deliver
	BatchSize int         // events per batch (kube-apiserver: 400)
	// ResendEvery re-sends every n-th batch once after its 200, as the server
	// does when an acknowledgement is lost (0: never).
	ResendEvery int
	// Timeout bounds the run.
	Timeout time.Duration
	// RetryErrors retries a batch after a connection error too (the
	// receiver was killed or restarts), as kube-apiserver's webhook backend
	// does; otherwise such an error fails the run.
	RetryErrors bool
	// OnAck, when set, is called with the first event number and count of
	// each batch acknowledged (200).
	OnAck func(first uint64, n int)
}

// Result of a load run.
type Result struct {
	Events    int64         // unique events acknowledged
	Resent    int64         // events sent again after their 200 (duplicates)
	Batches   int64         // batches acknowledged (resends included)
	Retries   int64         // answers 429/503 that made a sender wait and retry
	Elapsed   time.Duration // first send to last acknowledgement
	BodyBytes int64
}

// Run posts Events unique events in batches of BatchSize from Senders
// goroutines over one HTTP/2 connection pool, like kube-apiserver's webhook
// client: a 429 or 503 is retried after its Retry-After, any other error
// fails the run (the receiver must not lose or refuse well-formed batches).
func Run(ctx context.Context, o Options) (Result, error) {
	if o.BatchSize <= 0 {
		o.BatchSize = 400
	}
	if o.Senders <= 0 {
		o.Senders = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	tr := &http.Transport{TLSClientConfig: o.TLS, ForceAttemptHTTP2: o.TLS != nil, MaxIdleConnsPerHost: o.Senders}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	nBatches := (o.Events + o.BatchSize - 1) / o.BatchSize
	var next atomic.Int64
	var res Result
	var mu sync.Mutex
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
		mu.Unlock()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range o.Senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := NewBatch(o.BatchSize)
			for {
				i := int(next.Add(1) - 1)
				if i >= nBatches || ctx.Err() != nil {
					return
				}
				n := min(o.BatchSize, o.Events-i*o.BatchSize)
				body := b.Body
				if n != o.BatchSize { // the last, short batch
					body = Body(uint64(i*o.BatchSize), n)
				} else {
					b.Renumber(uint64(i * o.BatchSize))
				}
				sends := 1
				if o.ResendEvery > 0 && i%o.ResendEvery == o.ResendEvery-1 {
					sends = 2
				}
				for s := range sends {
					retries, err := send(ctx, hc, o.URL, body, o.RetryErrors)
					atomic.AddInt64(&res.Retries, int64(retries))
					if err != nil {
						fail(fmt.Errorf("batch %d: %w", i, err))
						return
					}
					atomic.AddInt64(&res.Batches, 1)
					atomic.AddInt64(&res.BodyBytes, int64(len(body)))
					if s == 0 {
						atomic.AddInt64(&res.Events, int64(n))
						if o.OnAck != nil {
							o.OnAck(uint64(i*o.BatchSize), n)
						}
					} else {
						atomic.AddInt64(&res.Resent, int64(n))
					}
				}
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	if firstErr == nil && ctx.Err() != nil {
		firstErr = fmt.Errorf("load run: %w after %s", ctx.Err(), res.Elapsed)
	}
	return res, firstErr
}

// send posts body until it is acknowledged, honouring Retry-After like
// client-go; it returns the number of retries.
func send(ctx context.Context, hc *http.Client, url string, body []byte, retryErrors bool) (int, error) {
	for retries := 0; ; retries++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return retries, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			if !retryErrors || ctx.Err() != nil {
				return retries, err
			}
			select {
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
				return retries, ctx.Err()
			}
			continue
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			return retries, nil
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			wait := time.Second
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
				wait = time.Duration(s) * time.Second
			}
			// client-go sleeps the whole Retry-After; a shorter wait keeps the
			// load test from idling while still backing off.
			wait = min(wait, 50*time.Millisecond)
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return retries, ctx.Err()
			}
		default:
			return retries, fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(msg))
		}
	}
}
