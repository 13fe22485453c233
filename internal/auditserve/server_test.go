package auditserve

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/auditserve/loadgen"
	"github.com/apiguard/apiguard/internal/check"
)

// fakeEngine records what it processes and raises one alert per pod
// creation; release, when set, blocks Process until closed.
type fakeEngine struct {
	mu        sync.Mutex
	seen      []string
	release   chan struct{}
	flushedAt int // len(seen) when Flush was called, -1 before
}

func newFakeEngine() *fakeEngine { return &fakeEngine{flushedAt: -1} }

func (f *fakeEngine) Process(ev *auditv1.Event) []Alert {
	if f.release != nil {
		<-f.release
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, string(ev.AuditID)+"/"+string(ev.Stage))
	if ev.Verb == "create" && ev.ObjectRef != nil && ev.ObjectRef.Resource == "pods" {
		return []Alert{{Rule: "test-pod-create", Severity: check.Low, AuditID: string(ev.AuditID)}}
	}
	return nil
}

func (f *fakeEngine) Flush() []Alert {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flushedAt = len(f.seen)
	return []Alert{{Rule: "test-window", Severity: check.Medium}}
}

func (f *fakeEngine) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.seen)
}

type memEmitter struct {
	mu     sync.Mutex
	alerts []Alert
	syncs  int
}

func (m *memEmitter) Emit(a Alert) { m.mu.Lock(); m.alerts = append(m.alerts, a); m.mu.Unlock() }
func (m *memEmitter) Sync()        { m.mu.Lock(); m.syncs++; m.mu.Unlock() }

// running is a server started on loopback by start.
type running struct {
	s       *Server
	url     string
	metrics string
	stop    context.CancelFunc
	done    chan error
}

// start runs a server with cfg (TLS from p unless cfg says otherwise) and
// stops it at the end of the test.
func start(t *testing.T, p *testPKI, cfg Config) *running {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if p != nil && cfg.TLSCertFile == "" {
		cfg.TLSCertFile, cfg.TLSKeyFile = p.certFile, p.keyFile
	}
	if cfg.Engine == nil {
		cfg.Engine = newFakeEngine()
	}
	if cfg.Emitter == nil {
		cfg.Emitter = &memEmitter{}
	}
	cfg.MetricsListen = "127.0.0.1:0"
	cfg.Log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	addrs := make(chan [2]net.Addr, 1)
	cfg.OnListen = func(w, m net.Addr) { addrs <- [2]net.Addr{w, m} }
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{s: s, stop: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx) }()
	select {
	case a := <-addrs:
		r.url = "https://" + a[0].String() + "/"
		r.metrics = "http://" + a[1].String()
	case err := <-r.done:
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			t.Error("server did not stop")
		}
	})
	return r
}

// shutdown stops the server and returns Run's result.
func (r *running) shutdown(t *testing.T) error {
	t.Helper()
	r.stop()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func client(p *testPKI, cert *tls.Certificate) *http.Client {
	cfg := &tls.Config{RootCAs: p.roots}
	if cert != nil {
		// Present the certificate whatever CAs the server asks for (Go's
		// client would otherwise send none that the server does not trust).
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}}
}

func post(t *testing.T, c *http.Client, url string, body []byte, hdr ...string) (*http.Response, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

func mustStatus(t *testing.T, resp *http.Response, err error, want int) *http.Response {
	t.Helper()
	if err != nil {
		t.Fatalf("want HTTP %d, got error %v", want, err)
	}
	if resp.StatusCode != want {
		t.Fatalf("want HTTP %d, got %d", want, resp.StatusCode)
	}
	return resp
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAuthClientCertificate(t *testing.T) {
	p := newTestPKI(t)
	r := start(t, p, Config{ClientCAFile: p.caFile, ClientNames: []string{"kube-apiserver-audit"}})
	body := loadgen.Body(0, 3)
	for _, c := range []struct {
		name string
		cert *tls.Certificate
		want int // 0: the TLS handshake fails
	}{
		{"allowed name", &p.client, 200},
		{"no certificate", nil, 401},
		{"name not allowed", &p.clientOtherName, 403},
		{"other CA", &p.clientOtherCA, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, err := post(t, client(p, c.cert), r.url, body)
			if c.want == 0 {
				if err == nil {
					t.Fatalf("want a TLS failure, got HTTP %d", resp.StatusCode)
				}
				return
			}
			mustStatus(t, resp, err, c.want)
			if c.want == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	if st := r.s.Stats(); st.Received != 3 {
		t.Errorf("received %d events, want 3 (only the authenticated request)", st.Received)
	}
}

func TestAuthToken(t *testing.T) {
	p := newTestPKI(t)
	tok := filepath.Join(p.dir, "token")
	os.WriteFile(tok, []byte("s3cr3t-token-0123456789\n"), 0o600)
	r := start(t, p, Config{TokenFile: tok})
	c := client(p, nil)
	body := loadgen.Body(0, 1)
	resp, err := post(t, c, r.url, body, "Authorization", "Bearer s3cr3t-token-0123456789")
	mustStatus(t, resp, err, 200)
	resp, err = post(t, c, r.url, body, "Authorization", "Bearer s3cr3t-token-012345678")
	mustStatus(t, resp, err, 401)
	resp, err = post(t, c, r.url, body, "Authorization", "Basic czNjcjN0")
	mustStatus(t, resp, err, 401)
	resp, err = post(t, c, r.url, body)
	mustStatus(t, resp, err, 401)
	// A client certificate is no credential when only a token is configured.
	resp, err = post(t, client(p, &p.client), r.url, body)
	mustStatus(t, resp, err, 401)
}

func TestRefusesToStartWithoutAuth(t *testing.T) {
	p := newTestPKI(t)
	_, err := New(Config{TLSCertFile: p.certFile, TLSKeyFile: p.keyFile, Engine: newFakeEngine(), Emitter: &memEmitter{}})
	if err == nil || !strings.Contains(err.Error(), "--client-ca") {
		t.Fatalf("want a refusal naming --client-ca, got %v", err)
	}
	_, err = New(Config{ClientCAFile: p.caFile, Engine: newFakeEngine(), Emitter: &memEmitter{}})
	if err == nil || !strings.Contains(err.Error(), "--tls-cert") {
		t.Fatalf("want a refusal naming --tls-cert, got %v", err)
	}
}

func TestStatusCodes(t *testing.T) {
	p := newTestPKI(t)
	r := start(t, p, Config{ClientCAFile: p.caFile, MaxBody: 64 << 10})
	c := client(p, &p.client)
	resp, err := post(t, c, r.url, loadgen.Body(0, 5))
	mustStatus(t, resp, err, 200)
	big := loadgen.Body(100, 100) // ~200 KiB
	resp, err = post(t, c, r.url, big)
	mustStatus(t, resp, err, 413)
	// Without Content-Length (chunked), the limit holds while reading.
	req, _ := http.NewRequest(http.MethodPost, r.url, io.MultiReader(bytes.NewReader(big)))
	req.ContentLength = -1
	resp, err = c.Do(req)
	mustStatus(t, resp, err, 413)
	resp.Body.Close()
	resp, err = post(t, c, r.url, []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{`))
	mustStatus(t, resp, err, 400)
	resp, err = post(t, c, r.url, []byte(`{"kind":"EventList","apiVersion":"v1","items":[]}`))
	mustStatus(t, resp, err, 400)
	resp, err = post(t, c, r.url, []byte(`{"kind":"ConfigMap","apiVersion":"v1","data":{}}`))
	mustStatus(t, resp, err, 400)
	resp, err = post(t, c, r.url, []byte(`[{"auditID":"x"}]`))
	mustStatus(t, resp, err, 400)
	resp, err = post(t, c, r.url, []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}`))
	mustStatus(t, resp, err, 200)
	resp, err = post(t, c, r.url, loadgen.Body(0, 1), "Content-Type", "application/yaml")
	mustStatus(t, resp, err, 415)
	resp, err = c.Get(r.url)
	mustStatus(t, resp, err, 405)
	resp.Body.Close()
	for _, path := range []string{"healthz", "readyz"} { // probes need no credentials
		resp, err = client(p, nil).Get(r.url + path)
		mustStatus(t, resp, err, 200)
		resp.Body.Close()
	}
	waitFor(t, "processing", func() bool { return r.s.Stats().Processed == 5 })
}

func TestQueueFullAnswers429(t *testing.T) {
	p := newTestPKI(t)
	eng := newFakeEngine()
	eng.release = make(chan struct{})
	r := start(t, p, Config{ClientCAFile: p.caFile, QueueEvents: 10, Engine: eng})
	c := client(p, &p.client)
	// An empty queue takes any batch, even one larger than the queue.
	resp, err := post(t, c, r.url, loadgen.Body(0, 12))
	mustStatus(t, resp, err, 200)
	resp, err = post(t, c, r.url, loadgen.Body(100, 5))
	mustStatus(t, resp, err, 429)
	if ra := resp.Header.Get("Retry-After"); ra == "" {
		t.Error("429 without Retry-After")
	}
	readyz, err := http.Get(r.metrics + "/readyz")
	mustStatus(t, readyz, err, 503)
	if st := r.s.Stats(); st.Rejected != 5 || st.Queued != 12 {
		t.Errorf("stats %+v: want 12 queued, 5 rejected", st)
	}
	close(eng.release)
	waitFor(t, "the queue to drain", func() bool { return eng.count() == 12 })
	// The server retries the refused batch: now it is taken, nothing lost.
	resp, err = post(t, c, r.url, loadgen.Body(100, 5))
	mustStatus(t, resp, err, 200)
	waitFor(t, "processing", func() bool { return eng.count() == 17 })
}

func TestDuplicatesDropped(t *testing.T) {
	p := newTestPKI(t)
	eng := newFakeEngine()
	r := start(t, p, Config{ClientCAFile: p.caFile, Engine: eng})
	c := client(p, &p.client)
	body := loadgen.Body(0, 50)
	for range 3 { // a batch re-sent because its 200 was lost
		resp, err := post(t, c, r.url, body)
		mustStatus(t, resp, err, 200)
	}
	// Overlapping batch: 25 old, 25 new.
	resp, err := post(t, c, r.url, loadgen.Body(25, 50))
	mustStatus(t, resp, err, 200)
	// A different request that reused an Audit-ID (clients can set the
	// Audit-ID header): same auditID and stage, another time. Kept.
	forged := loadgen.List(0, 1)
	forged.Items[0].RequestReceivedTimestamp.Time = forged.Items[0].RequestReceivedTimestamp.Add(time.Second)
	forged.Items[0].StageTimestamp.Time = forged.Items[0].StageTimestamp.Add(time.Second)
	fb, _ := marshal(forged)
	resp, err = post(t, c, r.url, fb)
	mustStatus(t, resp, err, 200)
	// Two events of one request (ResponseStarted, ResponseComplete): kept.
	two := loadgen.List(200, 1)
	second := two.Items[0]
	second.Stage = auditv1.StageResponseStarted
	two.Items = append(two.Items, second)
	tb, _ := marshal(two)
	resp, err = post(t, c, r.url, tb)
	mustStatus(t, resp, err, 200)

	waitFor(t, "processing", func() bool { return r.s.Stats().Processed == 78 })
	st := r.s.Stats()
	if st.Received != 50*3+50+1+2 || st.Duplicate != 100+25 || st.Queued != 78 {
		t.Errorf("stats %+v: want 203 received, 125 duplicate, 78 queued", st)
	}
	seen := map[string]int{}
	eng.mu.Lock()
	for _, k := range eng.seen {
		seen[k]++
	}
	eng.mu.Unlock()
	if seen[loadgen.AuditID(0)+"/ResponseComplete"] != 2 {
		t.Errorf("the forged-Audit-ID event was dropped as a duplicate")
	}
	for k, n := range seen {
		if n > 1 && k != loadgen.AuditID(0)+"/ResponseComplete" {
			t.Errorf("%s processed %d times", k, n)
		}
	}
}

func TestDedupeWindowBounds(t *testing.T) {
	d := newDedupe(time.Minute, 3)
	now := time.Now()
	ks := []key{{1}, {2}, {3}, {4}}
	for _, k := range ks {
		d.add(k, now)
	}
	if d.contains(ks[0]) || !d.contains(ks[3]) || d.len() != 3 {
		t.Fatalf("count bound: oldest must go first (len %d)", d.len())
	}
	d.expire(now.Add(2 * time.Minute))
	if d.len() != 0 || d.contains(ks[3]) {
		t.Fatal("time bound: keys older than the window must go")
	}
	// Growth across the ring's wrap point keeps FIFO order.
	d = newDedupe(time.Hour, 5000)
	for i := range 3000 {
		d.add(key{uint64(i)}, now.Add(time.Duration(i)*time.Millisecond))
	}
	for i := range 2500 {
		d.pop()
		d.add(key{uint64(10000 + i)}, now.Add(time.Duration(3000+i)*time.Millisecond))
	}
	d.expire(now.Add(time.Hour + 3100*time.Millisecond))
	if d.contains(key{2999}) || !d.contains(key{10101}) {
		t.Fatal("expiry order broken after growth")
	}
}

func TestShutdownDrains(t *testing.T) {
	p := newTestPKI(t)
	eng := newFakeEngine()
	eng.release = make(chan struct{})
	em := &memEmitter{}
	r := start(t, p, Config{ClientCAFile: p.caFile, Engine: eng, Emitter: em})
	c := client(p, &p.client)
	const batches, per = 20, 100
	for i := range batches {
		resp, err := post(t, c, r.url, loadgen.Body(uint64(i*per), per))
		mustStatus(t, resp, err, 200)
	}
	// SIGTERM with everything still queued (the engine is blocked).
	stopped := make(chan error, 1)
	go func() { stopped <- r.shutdown(t) }()
	waitFor(t, "draining", func() bool { return r.s.draining.Load() })
	// No new connection is accepted once draining.
	waitFor(t, "listener closed", func() bool {
		_, err := post(t, client(p, &p.client), r.url, loadgen.Body(99999, 1))
		return err != nil
	})
	close(eng.release)
	if err := <-stopped; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if eng.count() != batches*per {
		t.Fatalf("processed %d events, want %d", eng.count(), batches*per)
	}
	if eng.flushedAt != batches*per {
		t.Fatalf("Flush called after %d events, want after all %d", eng.flushedAt, batches*per)
	}
	want := batches*per/4 + 1 // one alert per create on pods (n%8 is 6 or 7: pod creations, and the exec attacks) + the flushed window
	if len(em.alerts) != want || em.alerts[len(em.alerts)-1].Rule != "test-window" {
		t.Fatalf("%d alerts, want %d ending with the flushed window", len(em.alerts), want)
	}
}

func TestMetrics(t *testing.T) {
	p := newTestPKI(t)
	r := start(t, p, Config{ClientCAFile: p.caFile})
	c := client(p, &p.client)
	body := loadgen.Body(0, 16)
	mustStatus(t, post2(t, c, r.url, body), nil, 200)
	mustStatus(t, post2(t, c, r.url, body), nil, 200)
	mustStatus(t, post2(t, client(p, nil), r.url, body), nil, 401)
	waitFor(t, "processing", func() bool { return r.s.Stats().Processed == 16 })
	resp, err := http.Get(r.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"apiguard_audit_events_received_total 32",
		"apiguard_audit_events_queued_total 16",
		"apiguard_audit_events_processed_total 16",
		"apiguard_audit_events_duplicate_total 16",
		`apiguard_audit_events_rejected_total{reason="queue_full"} 0`,
		"apiguard_audit_queue_events 0",
		`apiguard_audit_alerts_total{rule="test-pod-create",severity="low"} 4`,
		`apiguard_audit_webhook_requests_total{code="200"} 2`,
		`apiguard_audit_webhook_requests_total{code="401"} 1`,
		`apiguard_audit_webhook_request_duration_seconds_count{code="200"} 2`,
		"apiguard_audit_dedupe_keys 16",
		"go_goroutines",
	} {
		if !strings.Contains(string(b), want+"\n") && !strings.Contains(string(b), want+" ") && !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(r.metrics + path)
		mustStatus(t, resp, err, 200)
		resp.Body.Close()
	}
}

func post2(t *testing.T, c *http.Client, url string, body []byte) *http.Response {
	resp, err := post(t, c, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestCertificateRotation(t *testing.T) {
	p := newTestPKI(t)
	cr, err := newCertReloader(p.certFile, p.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := cr.get(nil)
	c, k := p.ca.issue(t, "rotated", true)
	os.WriteFile(p.certFile, c, 0o600)
	os.WriteFile(p.keyFile, k, 0o600)
	future := time.Now().Add(time.Minute)
	os.Chtimes(p.certFile, future, future)
	cr.checked = time.Time{}
	second, _ := cr.get(nil)
	if first == second || second.Leaf == nil && errors.Is(nil, nil) && bytes.Equal(first.Certificate[0], second.Certificate[0]) {
		t.Fatal("certificate not reloaded")
	}
	_ = fmt.Sprint
}
