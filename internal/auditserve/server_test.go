package auditserve

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/alertsink"
	"github.com/apiguard/apiguard/internal/auditlog"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/detect"
	"github.com/apiguard/apiguard/internal/testsupport/loadgen"
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

// memSink is a Deliverer keeping the alerts; fail makes it fail that many
// deliveries first.
type memSink struct {
	mu     sync.Mutex
	alerts []Alert
	fail   atomic.Int64
	calls  atomic.Int64
}

func (m *memSink) Name() string { return "mem" }
func (m *memSink) Deliver(_ context.Context, as []detect.Alert) (int, error) {
	m.calls.Add(1)
	if m.fail.Add(-1) >= 0 {
		return 0, errors.New("sink down")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.alerts = append(m.alerts, as...)
	return len(as), nil
}
func (m *memSink) all() []Alert {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Alert(nil), m.alerts...)
}

// running is a receiver and its pipeline started on loopback by start.
type running struct {
	s       *Server
	l       *Local
	url     string
	metrics string
	stop    context.CancelFunc
	done    chan error
}

// start runs a receiver with cfg (TLS from p unless cfg says otherwise)
// over a local pipeline with lc (spool in a temporary directory unless
// lc.Dir is set), and stops both at the end of the test.
func start(t *testing.T, p *testPKI, cfg Config, lc LocalConfig) *running {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if p != nil && cfg.TLSCertFile == "" {
		cfg.TLSCertFile, cfg.TLSKeyFile = p.certFile, p.keyFile
	}
	if lc.Dir == "" {
		lc.Dir = t.TempDir()
	}
	if lc.Engine == nil {
		lc.Engine = newFakeEngine()
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	lc.Log, cfg.Log = log, log
	m := NewMetrics()
	lc.Metrics, cfg.Metrics = m, m
	l, err := OpenLocal(lc)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Ingest = l
	cfg.MetricsListen = "127.0.0.1:0"
	addrs := make(chan [2]net.Addr, 1)
	cfg.OnListen = func(w, m net.Addr) { addrs <- [2]net.Addr{w, m} }
	s, err := New(cfg)
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{s: s, l: l, stop: cancel, done: make(chan error, 1)}
	perr := make(chan error, 1)
	go func() { perr <- l.Run(ctx, s.Serving) }()
	go func() {
		err := s.Run(ctx)
		err = errors.Join(err, <-perr, l.Close())
		r.done <- err
	}()
	select {
	case a := <-addrs:
		r.url = "https://" + a[0].String() + DefaultPath
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
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
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
	r := start(t, p, Config{ClientCAFile: p.caFile, ClientNames: []string{"kube-apiserver-audit"}}, LocalConfig{})
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
	r := start(t, p, Config{TokenFile: tok}, LocalConfig{})
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
	l, err := OpenLocal(LocalConfig{Dir: t.TempDir(), Engine: newFakeEngine()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = New(Config{TLSCertFile: p.certFile, TLSKeyFile: p.keyFile, Ingest: l})
	if err == nil || !strings.Contains(err.Error(), "--client-ca") {
		t.Fatalf("want a refusal naming --client-ca, got %v", err)
	}
	_, err = New(Config{ClientCAFile: p.caFile, Ingest: l})
	if err == nil || !strings.Contains(err.Error(), "--tls-cert") {
		t.Fatalf("want a refusal naming --tls-cert, got %v", err)
	}
}

// TestStatusCodes: every refusal has its status, and nothing refused is
// stored or processed.
func TestStatusCodes(t *testing.T) {
	p := newTestPKI(t)
	eng := newFakeEngine()
	r := start(t, p, Config{ClientCAFile: p.caFile, MaxBody: 64 << 10, MaxBatchEvents: 20, MaxBatchMembers: 2000}, LocalConfig{Engine: eng})
	c := client(p, &p.client)
	resp, err := post(t, c, r.url, loadgen.Body(0, 5))
	mustStatus(t, resp, err, 200)
	minimal := func(n int) []byte {
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprintf(`{"verb":"get","auditID":"m%d"}`, i)
		}
		return []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + strings.Join(items, ",") + `]}`)
	}
	many := make([]string, 3000)
	for i := range many {
		many[i] = `"10.0.0.1"`
	}
	amplifying := []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"verb":"get","auditID":"x","sourceIPs":[` + strings.Join(many, ",") + `]}]}`)
	big := loadgen.Body(100, 100) // ~200 KiB
	for _, c2 := range []struct {
		name string
		body []byte
		hdr  []string
		want int
	}{
		{"over --max-body", big, nil, 413},
		{"over --max-batch-events", minimal(21), nil, 413},
		{"at --max-batch-events", minimal(20), nil, 200},
		{"over --max-batch-members (an amplifying array)", amplifying, nil, 413},
		{"truncated", []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{`), nil, 400},
		{"other apiVersion", []byte(`{"kind":"EventList","apiVersion":"v1","items":[]}`), nil, 400},
		{"other kind", []byte(`{"kind":"ConfigMap","apiVersion":"v1","data":{}}`), nil, 400},
		{"array", []byte(`[{"auditID":"x"}]`), nil, 400},
		{"empty list", []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}`), nil, 200},
		{"YAML", loadgen.Body(0, 1), []string{"Content-Type", "application/yaml"}, 415},
		{"no Content-Type", loadgen.Body(0, 1), []string{"Content-Type", ""}, 415},
		{"gzip", loadgen.Body(0, 1), []string{"Content-Encoding", "gzip"}, 415},
	} {
		resp, err := post(t, c, r.url, c2.body, c2.hdr...)
		if err != nil || resp.StatusCode != c2.want {
			t.Errorf("%s: %v %v, want HTTP %d", c2.name, statusOf(resp), err, c2.want)
		}
	}
	// Without Content-Length (chunked), the limit holds while reading.
	req, _ := http.NewRequest(http.MethodPost, r.url, io.MultiReader(bytes.NewReader(big)))
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = -1
	resp, err = c.Do(req)
	mustStatus(t, resp, err, 413)
	resp.Body.Close()
	// Only the documented path takes events, whatever the method.
	base := strings.TrimSuffix(r.url, DefaultPath)
	for _, path := range []string{"/", "/foo/bar", DefaultPath + "/x", "/Audit"} {
		resp, err := post(t, c, base+path, loadgen.Body(500, 1))
		if err != nil || resp.StatusCode != 404 {
			t.Errorf("POST %s: %v %v, want 404", path, statusOf(resp), err)
		}
	}
	resp, err = c.Get(r.url)
	mustStatus(t, resp, err, 405)
	resp.Body.Close()
	for _, path := range []string{"/healthz", "/readyz"} { // probes need no credentials
		resp, err = client(p, nil).Get(base + path)
		mustStatus(t, resp, err, 200)
		resp.Body.Close()
	}
	waitFor(t, "processing", func() bool { return eng.count() == 25 })
	time.Sleep(50 * time.Millisecond)
	if n := eng.count(); n != 25 {
		t.Fatalf("%d events processed: only the 5 + 20 accepted may be", n)
	}
}

// podCreates is the number of events fakeEngine alerts on among loadgen's
// events first .. first+n-1 (pod creations: n%8 is 6 or 7).
func podCreates(first, n int) int {
	c := 0
	for i := first; i < first+n; i++ {
		if e := loadgen.Event(uint64(i)); e.Verb == "create" && e.ObjectRef != nil && e.ObjectRef.Resource == "pods" {
			c++
		}
	}
	return c
}

func statusOf(resp *http.Response) any {
	if resp == nil {
		return "no response"
	}
	return resp.StatusCode
}

// TestSlowBodyCannotHoldSlots: a sender that dribbles its body is cut off
// at the deadline (grace + length at the minimum rate) and its slot freed.
func TestSlowBodyCannotHoldSlots(t *testing.T) {
	p := newTestPKI(t)
	r := start(t, p, Config{ClientCAFile: p.caFile, MaxInFlight: 2, BodyGrace: 300 * time.Millisecond, BodyMinRate: 1 << 20}, LocalConfig{})
	body := loadgen.Body(0, 20)
	slow := func() (int, time.Duration) {
		pr, pw := io.Pipe()
		go func() {
			for _, b := range body {
				if _, err := pw.Write([]byte{b}); err != nil {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			pw.Close()
		}()
		req, _ := http.NewRequest(http.MethodPost, r.url, pr)
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = int64(len(body))
		start := time.Now()
		resp, err := client(p, &p.client).Do(req)
		pw.CloseWithError(errors.New("done"))
		if err != nil {
			return 0, time.Since(start)
		}
		resp.Body.Close()
		return resp.StatusCode, time.Since(start)
	}
	var wg sync.WaitGroup
	for range 4 { // more slow senders than slots
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, took := slow()
			if code != 408 && code != 429 && code != 0 {
				t.Errorf("slow body answered %d", code)
			}
			if took > 10*time.Second {
				t.Errorf("slow body held for %s", took)
			}
		}()
	}
	wg.Wait()
	// The slots are free again: a normal batch is taken.
	resp, err := post(t, client(p, &p.client), r.url, loadgen.Body(1000, 5))
	mustStatus(t, resp, err, 200)
}

// TestSpoolFullAnswers503: with detection stalled, a size-capped spool fills,
// batches are refused with 503 (never acknowledged and lost), /readyz says
// why, and when detection catches up batches are taken again.
func TestSpoolFullAnswers503(t *testing.T) {
	p := newTestPKI(t)
	eng := newFakeEngine()
	eng.release = make(chan struct{})
	r := start(t, p, Config{ClientCAFile: p.caFile}, LocalConfig{Engine: eng, MaxBytes: 512 << 10})
	c := client(p, &p.client)
	accepted := 0
	refused := 0
	for i := 0; i < 40 && refused == 0; i++ {
		resp, err := post(t, c, r.url, loadgen.Body(uint64(i*50), 50))
		if err != nil {
			t.Fatal(err)
		}
		switch resp.StatusCode {
		case 200:
			accepted += 50
		case 503:
			refused++
			if resp.Header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
		default:
			t.Fatalf("HTTP %d", resp.StatusCode)
		}
	}
	if refused == 0 {
		t.Fatal("a 512 KiB spool took everything")
	}
	readyz, err := http.Get(r.metrics + "/readyz")
	mustStatus(t, readyz, err, 503)
	why, _ := io.ReadAll(readyz.Body)
	readyz.Body.Close()
	if !strings.Contains(string(why), "spool") {
		t.Errorf("/readyz says %q, want the spool named", why)
	}
	if st := r.s.Stats(); st.Accepted != int64(accepted) {
		t.Errorf("accepted %d, answered 200 for %d", st.Accepted, accepted)
	}
	close(eng.release)
	waitFor(t, "the backlog", func() bool { return eng.count() == accepted })
	waitFor(t, "a batch taken again", func() bool {
		resp, err := post(t, c, r.url, loadgen.Body(9000, 50))
		return err == nil && resp.StatusCode == 200
	})
	waitFor(t, "processing", func() bool { return eng.count() == accepted+50 })
	readyz, err = http.Get(r.metrics + "/readyz")
	mustStatus(t, readyz, err, 200)
	readyz.Body.Close()
}

func TestDuplicatesDropped(t *testing.T) {
	p := newTestPKI(t)
	eng := newFakeEngine()
	r := start(t, p, Config{ClientCAFile: p.caFile}, LocalConfig{Engine: eng})
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
	// Two events of one request (ResponseStarted, ResponseComplete): kept;
	// the same event twice in one batch: once.
	two := loadgen.List(200, 1)
	second := two.Items[0]
	second.Stage = auditv1.StageResponseStarted
	two.Items = append(two.Items, second, second)
	tb, _ := marshal(two)
	resp, err = post(t, c, r.url, tb)
	mustStatus(t, resp, err, 200)

	waitFor(t, "processing", func() bool { return eng.count() == 78 })
	st := r.s.Stats()
	if st.Received != 50*3+50+1+3 || st.Duplicate != 100+25+1 || st.Accepted != 78 {
		t.Errorf("stats %+v: want 204 received, 126 duplicate, 78 accepted", st)
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

// TestRestartRemembers: after a restart on the same spool, a batch re-sent
// because its acknowledgement was lost in the crash is dropped, batches
// stored but not processed are processed, and alerts raised before are not
// raised again.
func TestRestartRemembers(t *testing.T) {
	p := newTestPKI(t)
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "alerts.jsonl")
	fd, err := alertsink.OpenFileDeliverer(out)
	if err != nil {
		t.Fatal(err)
	}
	eng := newFakeEngine()
	r := start(t, p, Config{ClientCAFile: p.caFile}, LocalConfig{Dir: dir, Engine: eng, Sinks: []alertsink.Deliverer{fd}})
	c := client(p, &p.client)
	mustStatus(t, post2(t, c, r.url, loadgen.Body(0, 100)), nil, 200)
	waitFor(t, "processing", func() bool { return eng.count() == 100 })
	if err := r.shutdown(t); err != nil {
		t.Fatal(err)
	}
	fd.Close()
	lines := func() int {
		b, _ := os.ReadFile(out)
		return bytes.Count(b, []byte("\n"))
	}
	first := lines()
	if want := podCreates(0, 100) + 1; first != want { // and the flush
		t.Fatalf("%d alerts after the first run, want %d", first, want)
	}
	// Stored, not processed (the receiver died before): appended directly.
	l, err := OpenLocal(LocalConfig{Dir: dir, Engine: newFakeEngine()})
	if err != nil {
		t.Fatal(err)
	}
	evs, raws, err := l.decoder.DecodeBatch(loadgen.Body(100, 20))
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]Key, len(evs))
	for i := range evs {
		keys[i] = EventKey(&evs[i])
	}
	if err := l.Append(context.Background(), &Batch{Arrival: time.Now(), Keys: keys, Raws: raws}); err != nil {
		t.Fatal(err)
	}
	l.Close()

	fd2, _ := alertsink.OpenFileDeliverer(out)
	eng2 := newFakeEngine()
	r2 := start(t, p, Config{ClientCAFile: p.caFile}, LocalConfig{Dir: dir, Engine: eng2, Sinks: []alertsink.Deliverer{fd2}})
	waitFor(t, "the stored batch", func() bool { return eng2.count() == 20 })
	resp, err := post(t, c, r2.url, loadgen.Body(0, 100)) // the re-send of the first batch
	mustStatus(t, resp, err, 200)
	resp, err = post(t, c, r2.url, loadgen.Body(100, 20))
	mustStatus(t, resp, err, 200)
	time.Sleep(100 * time.Millisecond)
	if n := eng2.count(); n != 20 {
		t.Fatalf("%d events processed after the restart, want the 20 stored only", n)
	}
	if st := r2.s.Stats(); st.Duplicate != 120 {
		t.Errorf("%d duplicates, want 120", st.Duplicate)
	}
	if err := r2.shutdown(t); err != nil {
		t.Fatal(err)
	}
	fd2.Close()
	if got, want := lines(), first+podCreates(100, 20)+1; got != want { // the stored batch's and a second flush
		t.Errorf("%d alerts after the restart, want %d", got, want)
	}
	b, _ := os.ReadFile(out)
	count := map[string]int{}
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var a Alert
		if err := json.Unmarshal(line, &a); err != nil {
			t.Fatalf("torn or bad line %q: %v", line, err)
		}
		count[a.Rule+" "+a.AuditID]++
	}
	for k, n := range count {
		if n > 1 && !strings.HasPrefix(k, "test-window") {
			t.Errorf("alert %s delivered %d times", k, n)
		}
	}
	if count["test-pod-create "+loadgen.AuditID(102)] != 1 {
		t.Errorf("the stored batch's alert is missing: %v", count)
	}
}

// TestCrashStateRecovery: the spool as a kill -9 leaves it. The events
// archive and the --out file hold lines written after the last checkpoint
// and cursor (and a torn line): the next start cuts them back and writes
// those events and alerts again, once.
func TestCrashStateRecovery(t *testing.T) {
	p := newTestPKI(t)
	dir := t.TempDir()
	tmp := t.TempDir()
	out, events := filepath.Join(tmp, "alerts.jsonl"), filepath.Join(tmp, "events.jsonl")
	fd, _ := alertsink.OpenFileDeliverer(out)
	eng := newFakeEngine()
	r := start(t, p, Config{ClientCAFile: p.caFile}, LocalConfig{Dir: dir, Engine: eng, Sinks: []alertsink.Deliverer{fd}, EventsOut: events})
	c := client(p, &p.client)
	mustStatus(t, post2(t, c, r.url, loadgen.Body(0, 40)), nil, 200)
	waitFor(t, "processing", func() bool { return eng.count() == 40 })
	r.shutdown(t)
	fd.Close()
	// The crash: lines appended after the checkpoint, the last one torn.
	for _, f := range []string{out, events} {
		h, _ := os.OpenFile(f, os.O_WRONLY|os.O_APPEND, 0)
		h.WriteString(`{"rule":"test-pod-create","auditID":"ghost"}` + "\n" + `{"torn":`)
		h.Close()
	}
	fd2, _ := alertsink.OpenFileDeliverer(out)
	r2 := start(t, p, Config{ClientCAFile: p.caFile}, LocalConfig{Dir: dir, Engine: newFakeEngine(), Sinks: []alertsink.Deliverer{fd2}, EventsOut: events})
	mustStatus(t, post2(t, c, r2.url, loadgen.Body(40, 40)), nil, 200)
	r2.shutdown(t)
	fd2.Close()
	for _, f := range []string{out, events} {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte("ghost")) || bytes.Contains(b, []byte(`{"torn":`)) {
			t.Errorf("%s: lines written after the checkpoint were not cut:\n%s", filepath.Base(f), b)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			if !json.Valid(line) {
				t.Errorf("%s: invalid line %q", filepath.Base(f), line)
			}
		}
	}
	b, _ := os.ReadFile(events)
	if n := bytes.Count(b, []byte("\n")); n != 80 {
		t.Errorf("events archive holds %d events, want 80", n)
	}
	// The archive is an audit log apiguard audit scan reads.
	d := newDecoderForTest()
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		if _, err := d.Decode(line, nil); err != nil {
			t.Fatalf("archived line does not decode: %v", err)
		}
	}
}

// openLocal opens the spool in dir with --events-out events, no sink.
func openLocal(t *testing.T, dir, events string) *Local {
	t.Helper()
	l, err := OpenLocal(LocalConfig{Dir: dir, Engine: newFakeEngine(), EventsOut: events, Log: slog.New(slog.NewTextHandler(testWriter{t}, nil)), Metrics: NewMetrics()})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestCrashBeforeTheFirstCheckpoint: a new spool records the size of
// --events-out before archiving anything, so that a crash between the
// first archived group and its journal record (lines appended, the last
// torn, no checkpoint yet) is cut back at the next start, the file's
// earlier content kept. (CI's kill -9 test found it: 3,877 events
// archived twice and a torn line.)
func TestCrashBeforeTheFirstCheckpoint(t *testing.T) {
	dir := t.TempDir()
	events := filepath.Join(t.TempDir(), "events.jsonl")
	const before = `{"kind":"Event","auditID":"written-before-apiguard"}` + "\n"
	if err := os.WriteFile(events, []byte(before), 0o600); err != nil {
		t.Fatal(err)
	}
	open := func() *Local { return openLocal(t, dir, events) }
	l := open()
	// the crash: a group archived, its journal record never written
	if err := l.archive.Append([]byte(`{"kind":"Event","auditID":"ghost"}` + "\n" + `{"torn":`)); err != nil {
		t.Fatal(err)
	}
	l.Close()
	open().Close()
	if b, _ := os.ReadFile(events); string(b) != before {
		t.Errorf("events archive after the restart:\n%s\nwant its earlier line alone:\n%s", b, before)
	}
}

// TestJournalKeepsItsCheckpoint: every commit trims the journal of what
// the sinks delivered, but never its last record, the checkpoint. (Once
// the active segment held a sixteenth of a segment, a commit with every
// alert delivered rotated it away and left the journal empty: a kill then
// lost the checkpoint, and the next start archived again the events after
// it, as CI's kill -9 test saw.)
func TestJournalKeepsItsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	events := filepath.Join(t.TempDir(), "events.jsonl")
	open := func() *Local { return openLocal(t, dir, events) }
	l := open()
	rnd := rand.New(rand.NewPCG(1, 2))
	line := []byte(`{"kind":"Event"}` + "\n")
	const groups = 64 // about 1 MiB of journal: past a sixteenth of a segment (512 KiB)
	for i := 0; i < groups; i++ {
		noise := make([]byte, 16<<10) // incompressible
		for j := range noise {
			noise[j] = "0123456789abcdef"[rnd.IntN(16)]
		}
		big, _ := json.Marshal(string(noise))
		out := []journalAlert{{Key: fmt.Sprint("k", i), Alert: big}}
		if err := l.commit(context.Background(), uint64(i+1), nil, nil, out, line, false); err != nil {
			t.Fatal(err)
		}
		if l.journal.Size() == 0 {
			t.Fatalf("after commit %d (every alert delivered: no sink), the journal is empty: its checkpoint is gone", i+1)
		}
	}
	l.Close()
	l2 := open()
	defer l2.Close()
	if l2.upto != groups || l2.archivePath != events || l2.archived != int64(groups*len(line)) {
		t.Errorf("after a restart: checkpoint upto %d, archive %q at %d; want %d, %s at %d", l2.upto, l2.archivePath, l2.archived, groups, events, groups*len(line))
	}
}

// TestSinkFailureRetried: a failing sink is retried until it delivers,
// nothing skipped, while the others deliver at once.
func TestSinkFailureRetried(t *testing.T) {
	p := newTestPKI(t)
	bad, good := &memSink{}, &memSink{}
	bad.fail.Store(2)
	eng := newFakeEngine()
	r := start(t, p, Config{ClientCAFile: p.caFile}, LocalConfig{Engine: eng, Sinks: []alertsink.Deliverer{bad, good}})
	c := client(p, &p.client)
	mustStatus(t, post2(t, c, r.url, loadgen.Body(0, 16)), nil, 200)
	waitFor(t, "the good sink", func() bool { return len(good.all()) == 4 })
	waitFor(t, "the failing sink's retries", func() bool { return len(bad.all()) == 4 })
	if bad.calls.Load() < 3 {
		t.Errorf("%d delivery attempts, want the 2 failures then a success", bad.calls.Load())
	}
	resp, err := http.Get(r.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `apiguard_audit_sink_errors_total{sink="mem"} 2`) {
		t.Errorf("sink errors not counted:\n%s", grepLines(string(b), "sink_"))
	}
}

func newDecoderForTest() *auditlog.LineDecoder { return auditlog.NewLineDecoder() }

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestDedupeWindowBounds(t *testing.T) {
	d := newDedupe(time.Minute, 3)
	now := time.Now()
	ks := []Key{{1}, {2}, {3}, {4}}
	for _, k := range ks {
		d.add(k, now.UnixNano())
	}
	if _, ok := d.seen[ks[0]]; ok || d.len() != 3 {
		t.Fatalf("count bound: oldest must go first (len %d)", d.len())
	}
	d.expire(now.Add(2 * time.Minute))
	if d.len() != 0 {
		t.Fatal("time bound: keys older than the window must go")
	}
	// Growth across the ring's wrap point keeps FIFO order.
	d = newDedupe(time.Hour, 5000)
	for i := range 3000 {
		d.add(Key{byte(i), byte(i >> 8)}, now.Add(time.Duration(i)*time.Millisecond).UnixNano())
	}
	for i := range 2500 {
		d.pop()
		d.add(Key{byte(i), byte(i >> 8), 1}, now.Add(time.Duration(3000+i)*time.Millisecond).UnixNano())
	}
	d.expire(now.Add(time.Hour + 3100*time.Millisecond))
	if _, ok := d.seen[Key{byte(2999 & 255), byte(2999 >> 8)}]; ok {
		t.Fatal("expiry order broken after growth")
	}
	if _, ok := d.seen[Key{byte(101), 0, 1}]; !ok {
		t.Fatal("a key within the window was dropped")
	}
}

// TestDedupeReservations: a batch whose events another request is storing
// is a conflict until that one commits (then duplicates) or releases
// (then new).
func TestDedupeReservations(t *testing.T) {
	d := newDedupe(time.Minute, 100)
	now := time.Now()
	a := []Key{{1}, {2}}
	keep, dups, conflict := d.reserve(a, now)
	if conflict || dups != 0 || !keep[0] || !keep[1] {
		t.Fatalf("first reservation: %v %d %v", keep, dups, conflict)
	}
	if _, _, conflict := d.reserve([]Key{{3}, {2}}, now); !conflict {
		t.Fatal("overlap with a pending batch must conflict")
	}
	if _, ok := d.pending[Key{3}]; ok {
		t.Fatal("a conflicting batch must not keep reservations")
	}
	d.release(a, keep)
	if keep, _, conflict := d.reserve(a, now); conflict || !keep[0] {
		t.Fatal("released keys must be free again")
	} else {
		d.commit(a, keep, now)
	}
	if _, dups, conflict := d.reserve(a, now); conflict || dups != 2 {
		t.Fatalf("committed keys are duplicates: %d, %v", dups, conflict)
	}
}

func TestShutdownDrains(t *testing.T) {
	p := newTestPKI(t)
	eng := newFakeEngine()
	eng.release = make(chan struct{})
	sink := &memSink{}
	r := start(t, p, Config{ClientCAFile: p.caFile}, LocalConfig{Engine: eng, Sinks: []alertsink.Deliverer{sink}})
	c := client(p, &p.client)
	const batches, per = 20, 100
	for i := range batches {
		resp, err := post(t, c, r.url, loadgen.Body(uint64(i*per), per))
		mustStatus(t, resp, err, 200)
	}
	// SIGTERM with everything still stored (the engine is blocked).
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
	if got := sink.all(); len(got) != want || got[len(got)-1].Rule != "test-window" {
		t.Fatalf("%d alerts, want %d ending with the flushed window", len(got), want)
	}
}

func TestMetrics(t *testing.T) {
	p := newTestPKI(t)
	eng := newFakeEngine()
	r := start(t, p, Config{ClientCAFile: p.caFile}, LocalConfig{Engine: eng})
	c := client(p, &p.client)
	body := loadgen.Body(0, 16)
	mustStatus(t, post2(t, c, r.url, body), nil, 200)
	mustStatus(t, post2(t, c, r.url, body), nil, 200)
	mustStatus(t, post2(t, client(p, nil), r.url, body), nil, 401)
	waitFor(t, "processing", func() bool { return eng.count() == 16 })
	time.Sleep(50 * time.Millisecond)
	resp, err := http.Get(r.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"apiguard_audit_events_received_total 32",
		"apiguard_audit_events_accepted_total 16",
		"apiguard_audit_events_processed_total 16",
		"apiguard_audit_events_duplicate_total 16",
		`apiguard_audit_events_rejected_total{reason="spool_full"} 0`,
		"apiguard_audit_spool_writable 1",
		"apiguard_audit_spool_backlog_batches 0",
		`apiguard_audit_alerts_total{rule="test-pod-create",severity="low"} 4`,
		`apiguard_audit_webhook_requests_total{code="200"} 2`,
		`apiguard_audit_webhook_requests_total{code="401"} 1`,
		`apiguard_audit_webhook_request_duration_seconds_count{code="200"} 2`,
		"apiguard_audit_dedupe_keys 16",
		"apiguard_audit_spool_capacity_bytes",
		"go_goroutines",
	} {
		if !strings.Contains(string(b), want) {
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
