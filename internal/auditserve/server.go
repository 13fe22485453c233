package auditserve

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/detect"
)

// Defaults, from kube-apiserver's webhook backend (k8s.io/apiserver v0.36
// pkg/server/options/audit.go): batches of at most 400 events
// (--audit-webhook-batch-max-size), and with truncation enabled at most
// 10 MiB per batch (--audit-webhook-truncate-max-batch-size) and 100 KiB per
// event. Without truncation a batch has no size limit (an event carries its
// request and response bodies at RequestResponse level).
const (
	// DefaultMaxBody is 3.2 times the truncating backend's largest batch,
	// so that a server with --audit-webhook-truncate-enabled is never refused.
	DefaultMaxBody = 32 << 20
	// DefaultQueueEvents holds 250 full batches: 10 s at 25,000 events/s,
	// or 25 times the API server's own default buffer (10,000 events).
	DefaultQueueEvents = 100_000
	// DefaultQueueBytes bounds the memory held by queued events (their
	// request bytes; decoded events take about as much again).
	DefaultQueueBytes = 256 << 20
	// DefaultMaxInFlight bounds the bodies read and decoded at once.
	DefaultMaxInFlight = 16
	// DefaultDedupeWindow covers kube-apiserver's retry schedule for one
	// batch: 5 attempts with backoff 10 s × 1.5^n (±20 %), 30 s timeout each.
	DefaultDedupeWindow = 5 * time.Minute
	// DefaultDedupeKeys bounds the window in count (about 50 bytes a key).
	DefaultDedupeKeys = 1_000_000
)

// Config configures a Server.
type Config struct {
	// Listen is the webhook listener address (HTTPS).
	Listen string
	// TLSCertFile and TLSKeyFile are the serving certificate and key (PEM).
	// They are re-read when the files change, so certificates can rotate.
	TLSCertFile, TLSKeyFile string
	// ClientCAFile enables client-certificate authentication: certificates
	// signed by one of its CAs (with client-auth usage) are accepted.
	ClientCAFile string
	// ClientNames, when set, restricts client certificates to these common
	// names or DNS SANs (the CA may also sign kubelets and users).
	ClientNames []string
	// TokenFile enables bearer-token authentication (the file holds the token).
	TokenFile string
	// InsecureNoAuth accepts unauthenticated requests (local tests only).
	InsecureNoAuth bool

	MaxBody       int64
	MaxInFlight   int
	QueueEvents   int64
	QueueBytes    int64
	DedupeWindow  time.Duration
	DedupeKeys    int
	DrainTimeout  time.Duration // bound on finishing in-flight requests at shutdown (default 30 s)
	MetricsListen string        // "" disables the metrics listener

	// Engine processes events; Emitter receives its alerts.
	Engine  Processor
	Emitter Emitter
	// Archive, when set, receives every processed event (after the engine),
	// and Flush after each batch.
	Archive Archiver
	// Decode decodes a body (default DecodeEventList).
	Decode func([]byte) ([]auditv1.Event, error)
	// Log receives operational messages (default: discarded).
	Log *slog.Logger
	// OnListen is called with the bound addresses once listening.
	OnListen func(webhook, metrics net.Addr)
}

// Stats are the receiver's totals.
type Stats struct {
	Received, Queued, Processed, Duplicate, Rejected, Alerts int64
}

// Server is the audit webhook receiver.
type Server struct {
	cfg      Config
	q        *queue
	m        *metrics
	token    [32]byte // sha256 of the bearer token
	hasToken bool
	clientCA *x509.CertPool
	inflight chan struct{}
	cert     *certReloader
	matching Matching             // the engine, when it matches in parallel
	matchers chan *detect.Matcher // idle matchers (at most MaxInFlight exist)

	started    sync.Once
	workerDone chan struct{}
	draining   atomic.Bool
	rate       atomic.Uint64 // float64 bits: events/s processed, smoothed

	received, queued, processed, duplicate, rejected, alerts atomic.Int64

	lastWarn   atomic.Int64 // unix nanoseconds of the last rate-limited warning
	suppressed atomic.Int64 // warnings not logged since
}

// warnLimited and logLimited log at most one message a second (refused,
// undecodable and oversized requests can come in floods), counting the
// ones they drop.
func (s *Server) warnLimited(msg string, args ...any) { s.logLimited(slog.LevelWarn, msg, args...) }

func (s *Server) logLimited(level slog.Level, msg string, args ...any) {
	now := time.Now().UnixNano()
	last := s.lastWarn.Load()
	if now-last < int64(time.Second) || !s.lastWarn.CompareAndSwap(last, now) {
		s.suppressed.Add(1)
		return
	}
	if n := s.suppressed.Swap(0); n > 0 {
		args = append(args, "suppressed", n)
	}
	s.cfg.Log.Log(context.Background(), level, msg, args...)
}

// New validates cfg, loads its credentials and returns a server ready to
// Start (or Run).
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil || cfg.Emitter == nil {
		return nil, errors.New("auditserve: Engine and Emitter are required")
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.QueueEvents <= 0 {
		cfg.QueueEvents = DefaultQueueEvents
	}
	if cfg.QueueBytes <= 0 {
		cfg.QueueBytes = DefaultQueueBytes
	}
	if cfg.DedupeWindow <= 0 {
		cfg.DedupeWindow = DefaultDedupeWindow
	}
	if cfg.DedupeKeys <= 0 {
		cfg.DedupeKeys = DefaultDedupeKeys
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 30 * time.Second
	}
	if cfg.Decode == nil {
		cfg.Decode = DecodeEventList
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, inflight: make(chan struct{}, cfg.MaxInFlight), workerDone: make(chan struct{})}
	if m, ok := cfg.Engine.(Matching); ok {
		s.matching = m
		s.matchers = make(chan *detect.Matcher, cfg.MaxInFlight)
	}
	if cfg.TokenFile != "" {
		b, err := os.ReadFile(cfg.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("--token-file: %w", err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
			return nil, fmt.Errorf("--token-file %s: want one token on one line", cfg.TokenFile)
		}
		s.token, s.hasToken = sha256.Sum256([]byte(tok)), true
	}
	if cfg.ClientCAFile != "" {
		b, err := os.ReadFile(cfg.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("--client-ca: %w", err)
		}
		s.clientCA = x509.NewCertPool()
		if !s.clientCA.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("--client-ca %s: no PEM certificate found", cfg.ClientCAFile)
		}
	}
	if len(cfg.ClientNames) > 0 && s.clientCA == nil {
		return nil, errors.New("--client-name needs --client-ca")
	}
	if !s.hasToken && s.clientCA == nil && !cfg.InsecureNoAuth {
		return nil, errors.New("no authentication: set --client-ca (client certificates) or --token-file (bearer token); --insecure-no-auth is for local tests only")
	}
	if cfg.TLSCertFile == "" || cfg.TLSKeyFile == "" {
		return nil, errors.New("--tls-cert and --tls-key are required: the receiver serves HTTPS only")
	}
	var err error
	if s.cert, err = newCertReloader(cfg.TLSCertFile, cfg.TLSKeyFile); err != nil {
		return nil, err
	}
	s.q = newQueue(cfg.QueueEvents, cfg.QueueBytes, newDedupe(cfg.DedupeWindow, cfg.DedupeKeys))
	s.m = newMetrics(s.q, cfg.QueueEvents, cfg.QueueBytes)
	return s, nil
}

// TLSConfig is the webhook listener's TLS configuration.
func (s *Server) TLSConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: s.cert.get}
	if s.clientCA != nil {
		// Verified when given; a request without one is answered 401 (or
		// accepted with a bearer token) rather than failing the handshake.
		c.ClientAuth = tls.VerifyClientCertIfGiven
		c.ClientCAs = s.clientCA
	}
	return c
}

// Stats returns the totals so far.
func (s *Server) Stats() Stats {
	return Stats{Received: s.received.Load(), Queued: s.queued.Load(), Processed: s.processed.Load(),
		Duplicate: s.duplicate.Load(), Rejected: s.rejected.Load(), Alerts: s.alerts.Load()}
}

// Start starts the worker (once).
func (s *Server) Start() {
	s.started.Do(func() { go s.work() })
}

// Drain refuses new batches, waits until every queued event is processed
// and the engine flushed, and syncs the emitter. Call it after the webhook
// listener stopped (http.Server.Shutdown), so no acknowledged batch is lost.
func (s *Server) Drain() {
	s.draining.Store(true)
	s.Start()
	s.q.close()
	<-s.workerDone
}

// Run listens, serves until ctx is cancelled, then shuts down in order: stop
// accepting (finish in-flight requests), process everything queued, flush the
// engine, stop the metrics listener. It returns nil after a clean drain.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	var mln net.Listener
	if s.cfg.MetricsListen != "" {
		if mln, err = net.Listen("tcp", s.cfg.MetricsListen); err != nil {
			ln.Close()
			return fmt.Errorf("--metrics-listen: %w", err)
		}
	}
	errLog := slog.NewLogLogger(s.cfg.Log.Handler(), slog.LevelWarn)
	hs := &http.Server{
		Handler:           s.Handler(),
		TLSConfig:         s.TLSConfig(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          errLog,
	}
	var ms *http.Server
	if mln != nil {
		ms = &http.Server{Handler: s.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: errLog}
		go ms.Serve(mln)
	}
	s.Start()
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.ServeTLS(ln, "", "") }()
	if s.cfg.OnListen != nil {
		var ma net.Addr
		if mln != nil {
			ma = mln.Addr()
		}
		s.cfg.OnListen(ln.Addr(), ma)
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-serveErr:
	}
	s.draining.Store(true)
	ev, _ := s.q.depth()
	s.cfg.Log.Info("shutting down: no new batches; draining the queue", "queued", ev)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainTimeout)
	if err := hs.Shutdown(sctx); err != nil {
		// Requests still running past the timeout are cut: they were not
		// acknowledged, so the server sends them again.
		s.cfg.Log.Warn("in-flight requests cut at shutdown", "err", err)
		hs.Close()
	}
	cancel()
	s.Drain()
	st := s.Stats()
	s.cfg.Log.Info("drained", "received", st.Received, "queued", st.Queued, "processed", st.Processed,
		"duplicate", st.Duplicate, "rejected", st.Rejected, "alerts", st.Alerts)
	if ms != nil {
		ms.Close()
	}
	if runErr != nil && !errors.Is(runErr, http.ErrServerClosed) {
		return runErr
	}
	return nil
}

// MetricsHandler serves /metrics, /healthz and /readyz.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", s.m.handler())
	mux.HandleFunc("/healthz", s.healthz)
	mux.HandleFunc("/livez", s.healthz)
	mux.HandleFunc("/readyz", s.readyz)
	return mux
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

// readyz is 503 while draining, and while the queue is full (a load
// balancer then prefers another replica).
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	ev, by := s.q.depth()
	switch {
	case s.draining.Load():
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "draining\n")
	case ev >= s.cfg.QueueEvents || by >= s.cfg.QueueBytes:
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "queue full\n")
	default:
		io.WriteString(w, "ok\n")
	}
}

// Handler is the webhook handler (authentication included). GET /healthz
// and /readyz answer without authentication for probes.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			switch r.URL.Path {
			case "/healthz", "/livez":
				s.healthz(w, r)
				return
			case "/readyz":
				s.readyz(w, r)
				return
			}
		}
		start := time.Now()
		code := s.serveWebhook(w, r)
		c := strconv.Itoa(code)
		s.m.requests.WithLabelValues(c).Inc()
		s.m.latency.WithLabelValues(c).Observe(time.Since(start).Seconds())
	})
}

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (s *Server) serveWebhook(w http.ResponseWriter, r *http.Request) int {
	if code, msg := s.authenticate(r); code != 0 {
		if code == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="apiguard audit webhook"`)
		}
		s.warnLimited("webhook request refused", "status", code, "remote", r.RemoteAddr, "reason", msg)
		return reply(w, code, msg)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return reply(w, http.StatusMethodNotAllowed, "POST an audit.k8s.io/v1 EventList")
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return reply(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json (--audit-webhook-version=audit.k8s.io/v1 sends JSON)")
		}
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && ce != "identity" {
		return reply(w, http.StatusUnsupportedMediaType, "Content-Encoding "+ce+" is not supported")
	}
	if r.ContentLength > s.cfg.MaxBody {
		return s.tooLarge(w, r.ContentLength)
	}
	select {
	case s.inflight <- struct{}{}:
		defer func() { <-s.inflight }()
	default:
		w.Header().Set("Retry-After", "1")
		return reply(w, http.StatusTooManyRequests, "too many batches in flight; retry")
	}
	buf := bodyPool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 4<<20 { // keep ordinary buffers, let huge ones go
			buf.Reset()
			bodyPool.Put(buf)
		}
	}()
	buf.Reset()
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return s.tooLarge(w, -1)
		}
		return reply(w, http.StatusBadRequest, "reading body: "+err.Error())
	}
	events, err := s.cfg.Decode(buf.Bytes())
	if err != nil {
		s.warnLimited("undecodable webhook body", "remote", r.RemoteAddr, "bytes", buf.Len(), "err", err)
		return reply(w, http.StatusBadRequest, err.Error())
	}
	n := int64(len(events))
	s.received.Add(n)
	s.m.received.Add(float64(n))
	s.m.batchSize.Observe(float64(n))
	if n == 0 {
		return reply(w, http.StatusOK, "")
	}
	keys := make([]key, len(events))
	for i := range events {
		keys[i] = eventKey(&events[i])
	}
	var matches [][]detect.Match
	if s.matching != nil && s.q.wouldFit(n, int64(buf.Len())) {
		// Match the rules here, on as many cores as requests in flight; the
		// worker only commits. (Skipped for a batch the queue would refuse.)
		matches = s.match(events)
	}
	res, dups := s.q.offer(events, keys, matches, int64(buf.Len()), time.Now())
	switch res {
	case queueFull:
		s.rejected.Add(n)
		s.m.rejected.WithLabelValues("queue_full").Add(float64(n))
		w.Header().Set("Retry-After", strconv.Itoa(s.retryAfter()))
		return reply(w, http.StatusTooManyRequests, "queue full; retry")
	case closed:
		s.rejected.Add(n)
		s.m.rejected.WithLabelValues("shutting_down").Add(float64(n))
		w.Header().Set("Retry-After", "5")
		return reply(w, http.StatusServiceUnavailable, "shutting down; retry")
	}
	q := n - int64(dups)
	s.queued.Add(q)
	s.m.queued.Add(float64(q))
	if dups > 0 {
		s.duplicate.Add(int64(dups))
		s.m.duplicate.Add(float64(dups))
	}
	return reply(w, http.StatusOK, "")
}

func (s *Server) tooLarge(w http.ResponseWriter, n int64) int {
	s.logLimited(slog.LevelError, "webhook batch larger than --max-body refused; kube-apiserver drops it after its retries: raise --max-body or set --audit-webhook-truncate-enabled",
		"max-body", s.cfg.MaxBody, "content-length", n)
	return reply(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", s.cfg.MaxBody))
}

// retryAfter estimates the seconds until the queue has room for a batch.
func (s *Server) retryAfter() int {
	rate := math.Float64frombits(s.rate.Load())
	ev, _ := s.q.depth()
	if rate <= 0 {
		return 1
	}
	sec := int(math.Ceil(float64(ev) / 2 / rate)) // half the queue drained is room enough
	return min(max(sec, 1), 10)
}

// authenticate returns 0 when the request is authenticated, else the
// status (401 no or bad credentials, 403 a valid certificate of a name not
// allowed) and why.
func (s *Server) authenticate(r *http.Request) (int, string) {
	if s.cfg.InsecureNoAuth {
		return 0, ""
	}
	if s.hasToken {
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, tok, ok := strings.Cut(h, " ")
			if ok && strings.EqualFold(scheme, "Bearer") {
				sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
				if subtle.ConstantTimeCompare(sum[:], s.token[:]) == 1 {
					return 0, ""
				}
			}
			return http.StatusUnauthorized, "invalid bearer token"
		}
	}
	if s.clientCA != nil && r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		leaf := r.TLS.VerifiedChains[0][0]
		if len(s.cfg.ClientNames) == 0 || slices.Contains(s.cfg.ClientNames, leaf.Subject.CommonName) ||
			slices.ContainsFunc(leaf.DNSNames, func(n string) bool { return slices.Contains(s.cfg.ClientNames, n) }) {
			return 0, ""
		}
		return http.StatusForbidden, fmt.Sprintf("client certificate %q is not in --client-name", leaf.Subject.CommonName)
	}
	return http.StatusUnauthorized, "no client certificate or bearer token"
}

// reply writes a metav1.Status-shaped JSON answer.
func reply(w http.ResponseWriter, code int, msg string) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	status := "Failure"
	if code < 300 {
		status = "Success"
	}
	b, _ := marshal(map[string]any{"kind": "Status", "apiVersion": "v1", "status": status, "message": msg, "code": code})
	w.Write(append(b, '\n'))
	return code
}

// work feeds queued events to the engine in order, then flushes it.
func (s *Server) work() {
	defer close(s.workerDone)
	last := time.Now()
	for {
		b := s.q.take()
		if b == nil {
			break
		}
		alerted := false
		now := time.Now()
		for i := range b.events {
			ev := &b.events[i]
			var ms []detect.Match
			if b.matches != nil {
				ms = b.matches[i]
			}
			for _, a := range s.process(ev, ms, b.matches != nil) {
				s.emit(a)
				alerted = true
			}
			if s.cfg.Archive != nil {
				s.cfg.Archive.Write(ev)
			}
			if !ev.StageTimestamp.IsZero() {
				s.m.lag.Observe(now.Sub(ev.StageTimestamp.Time).Seconds())
			}
		}
		n := int64(len(b.events))
		s.processed.Add(n)
		s.m.processed.Add(float64(n))
		b.events = nil
		s.q.done(n, b.bytes)
		if alerted {
			s.cfg.Emitter.Sync()
		}
		if s.cfg.Archive != nil {
			s.cfg.Archive.Flush()
		}
		// Smoothed processing rate, for Retry-After.
		if dt := time.Since(last).Seconds(); dt > 0 {
			inst := float64(n) / dt
			old := math.Float64frombits(s.rate.Load())
			s.rate.Store(math.Float64bits(0.8*old + 0.2*inst))
		}
		last = time.Now()
	}
	for _, a := range s.flush() {
		s.emit(a)
	}
	s.cfg.Emitter.Sync()
}

func (s *Server) emit(a Alert) {
	s.alerts.Add(1)
	s.m.alerts.WithLabelValues(a.Rule, a.Severity.String()).Inc()
	s.cfg.Emitter.Emit(a)
}

// process runs the engine on one event (commits its matches when they were
// made in the request goroutine); a panic is logged and the event skipped
// rather than losing the queue.
func (s *Server) process(ev *auditv1.Event, ms []detect.Match, matched bool) (alerts []Alert) {
	defer func() {
		if p := recover(); p != nil {
			s.cfg.Log.Error("detection engine panicked; event skipped", "auditID", ev.AuditID, "panic", p, "stack", string(debug.Stack()))
		}
	}()
	if matched {
		if len(ms) == 0 {
			return nil
		}
		return s.matching.Commit(ev, ms)
	}
	return s.cfg.Engine.Process(ev)
}

// match evaluates the rule conditions of events with an idle matcher.
func (s *Server) match(events []auditv1.Event) [][]detect.Match {
	var m *detect.Matcher
	select {
	case m = <-s.matchers:
	default:
		m = s.matching.NewMatcher() // at most MaxInFlight are ever made
	}
	defer func() { s.matchers <- m }()
	out := make([][]detect.Match, len(events))
	for i := range events {
		out[i] = s.matchOne(m, &events[i])
	}
	return out
}

func (s *Server) matchOne(m *detect.Matcher, ev *auditv1.Event) (ms []detect.Match) {
	defer func() {
		if p := recover(); p != nil {
			s.cfg.Log.Error("detection engine panicked matching; event skipped", "auditID", ev.AuditID, "panic", p, "stack", string(debug.Stack()))
		}
	}()
	return m.Match(ev, nil)
}

func (s *Server) flush() (alerts []Alert) {
	defer func() {
		if p := recover(); p != nil {
			s.cfg.Log.Error("detection engine panicked in Flush", "panic", p)
		}
	}()
	return s.cfg.Engine.Flush()
}

// certReloader serves the key pair, re-reading the files when they change
// (checked at most every 10 s).
type certReloader struct {
	certFile, keyFile string
	mu                sync.Mutex
	cert              *tls.Certificate
	mtime             time.Time
	checked           time.Time
}

func newCertReloader(certFile, keyFile string) (*certReloader, error) {
	c := &certReloader{certFile: certFile, keyFile: keyFile}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *certReloader) load() error {
	st, err := os.Stat(c.certFile)
	if err != nil {
		return fmt.Errorf("--tls-cert: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	c.cert, c.mtime = &cert, st.ModTime()
	return nil
}

func (c *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checked) > 10*time.Second {
		c.checked = time.Now()
		if st, err := os.Stat(c.certFile); err == nil && !st.ModTime().Equal(c.mtime) {
			old := c.cert
			if err := c.load(); err != nil {
				c.cert = old // keep serving the old pair (a half-written rotation)
			}
		}
	}
	return c.cert, nil
}

// SinkError counts an alert a sink failed to deliver (the metric
// apiguard_audit_sink_errors_total{sink}).
func (s *Server) SinkError(sink string) { s.m.sinkErrors.WithLabelValues(sink).Inc() }
