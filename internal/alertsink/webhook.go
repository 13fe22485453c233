package alertsink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apiguard/apiguard/internal/detect"
)

// WebhookOptions tune a webhook sink. Zero values take the defaults.
type WebhookOptions struct {
	// Client posts the alerts (default: 10 s timeout, system roots).
	Client *http.Client
	// Header is added to every request (e.g. Authorization).
	Header http.Header
	// Attempts per alert (default 5): network errors, 429 and 5xx are
	// retried with exponential backoff from InitialBackoff (default 1 s,
	// doubling, at most 30 s), honouring Retry-After; other answers are not.
	Attempts       int
	InitialBackoff time.Duration
	// Buffer is how many alerts may wait for delivery (default 1000);
	// beyond it Send drops the alert and returns ErrDropped, so a slow or
	// dead endpoint never stalls detection or the other sinks.
	Buffer int
	// CloseTimeout bounds delivering what is buffered at Close (default 30 s).
	CloseTimeout time.Duration
	// OnError is told about each alert given up (after its retries), from
	// the delivery goroutine.
	OnError func(error)
}

// ErrDropped: the webhook buffer was full.
var ErrDropped = errors.New("webhook buffer full: alert dropped")

// Webhook posts each alert as JSON to a URL: the alert object (the JSON-lines
// fields) plus a "text" field summarising it, which is what a Slack (or
// Mattermost, Teams-compatible) incoming webhook displays.
type Webhook struct {
	url     string
	o       WebhookOptions
	ch      chan detect.Alert
	done    chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	closeMu sync.Once
	sent    atomic.Int64
	failed  atomic.Int64
}

// NewWebhook starts a webhook sink delivering to url.
func NewWebhook(url string, o WebhookOptions) *Webhook {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.InitialBackoff <= 0 {
		o.InitialBackoff = time.Second
	}
	if o.Buffer <= 0 {
		o.Buffer = 1000
	}
	if o.CloseTimeout <= 0 {
		o.CloseTimeout = 30 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Webhook{url: url, o: o, ch: make(chan detect.Alert, o.Buffer), done: make(chan struct{}), ctx: ctx, cancel: cancel}
	go w.run()
	return w
}

func (w *Webhook) Name() string { return "webhook" }

// Send queues the alert for delivery.
func (w *Webhook) Send(a detect.Alert) error {
	select {
	case w.ch <- a:
		return nil
	default:
		w.failed.Add(1)
		return ErrDropped
	}
}

// Flush is a no-op: delivery is asynchronous.
func (w *Webhook) Flush() error { return nil }

// Close delivers what is buffered (within CloseTimeout) and stops.
func (w *Webhook) Close() error {
	w.closeMu.Do(func() { close(w.ch) })
	t := time.NewTimer(w.o.CloseTimeout)
	defer t.Stop()
	select {
	case <-w.done:
		return nil
	case <-t.C:
		w.cancel()
		<-w.done
		return fmt.Errorf("gave up delivering alerts after %s", w.o.CloseTimeout)
	}
}

// Delivered and Failed count alerts delivered and given up (or dropped).
func (w *Webhook) Delivered() int64 { return w.sent.Load() }
func (w *Webhook) Failed() int64    { return w.failed.Load() }

func (w *Webhook) run() {
	defer close(w.done)
	defer w.cancel()
	for a := range w.ch {
		if err := w.deliver(a); err != nil {
			w.failed.Add(1)
			if w.o.OnError != nil {
				w.o.OnError(fmt.Errorf("alert %s (auditID %s): %w", a.Rule, a.AuditID, err))
			}
			continue
		}
		w.sent.Add(1)
	}
}

// Payload is the webhook body of an alert.
func Payload(a detect.Alert) ([]byte, error) {
	b, err := Marshal(a)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["text"] = Text(a)
	return json.Marshal(m)
}

// Text is a one-line human summary of an alert.
func Text(a detect.Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s: %s", strings.ToUpper(a.Severity.String()), a.Rule, a.Message)
	if len(a.SourceIPs) > 0 {
		fmt.Fprintf(&b, " from %s", strings.Join(a.SourceIPs, ","))
	}
	if a.AuditID != "" {
		fmt.Fprintf(&b, " (auditID %s, %s)", a.AuditID, a.Timestamp.UTC().Format(time.RFC3339))
	}
	return b.String()
}

func (w *Webhook) deliver(a detect.Alert) error {
	body, err := Payload(a)
	if err != nil {
		return err
	}
	backoff := w.o.InitialBackoff
	var last error
	for attempt := 1; attempt <= w.o.Attempts; attempt++ {
		retry, wait, err := w.post(body)
		if err == nil {
			return nil
		}
		last = err
		if !retry || attempt == w.o.Attempts {
			break
		}
		if wait <= 0 {
			wait = backoff
			backoff = min(2*backoff, 30*time.Second)
		}
		select {
		case <-time.After(wait):
		case <-w.ctx.Done():
			return fmt.Errorf("%w (shutting down)", last)
		}
	}
	return last
}

// post sends one request: whether to retry, how long the server asked to
// wait (Retry-After), and the error.
func (w *Webhook) post(body []byte) (bool, time.Duration, error) {
	req, err := http.NewRequestWithContext(w.ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return false, 0, err
	}
	for k, v := range w.o.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.o.Client.Do(req)
	if err != nil {
		return true, 0, err
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		return false, 0, nil
	}
	err = fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(msg))
	var wait time.Duration
	if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s >= 0 {
		wait = min(time.Duration(s)*time.Second, 5*time.Minute)
	}
	retry := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout
	return retry, wait, err
}
