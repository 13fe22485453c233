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
	"mime"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apiguard/apiguard/internal/auditlog"
	"github.com/apiguard/apiguard/internal/fileinput"
)

// Defaults, from kube-apiserver's webhook backend (k8s.io/apiserver v0.36
// pkg/server/options/audit.go): batches of at most 400 events
// (--audit-webhook-batch-max-size), and with truncation enabled at most
// 10 MiB per batch (--audit-webhook-truncate-max-batch-size) and 100 KiB per
// event. Without truncation a batch has no size limit (an event carries its
// request and response bodies at RequestResponse level).
const (
	// DefaultPath is the only path that accepts events.
	DefaultPath = "/audit"
	// DefaultMaxBody is 1.6 times the truncating backend's largest batch,
	// so that a server with --audit-webhook-truncate-enabled is never refused.
	DefaultMaxBody = 16 << 20
	// DefaultMaxBatchEvents is 12.5 times the API server's default batch.
	DefaultMaxBatchEvents = 5000
	// DefaultMaxBatchMembers bounds the JSON object members and array
	// elements of one batch (a real event has about 25; bodies, which stay
	// raw, are not counted): 4,000 real events.
	DefaultMaxBatchMembers = 100_000
	// DefaultMaxInFlight bounds the bodies read and decoded at once. With
	// the other defaults one batch takes at most BatchMemoryBound (49 MB),
	// so in-flight batches take at most 16 × 49 MB = 782 MB.
	DefaultMaxInFlight = 16
	// DefaultBodyMinRate and DefaultBodyGrace: a body must arrive within
	// the grace plus its length at the rate (a 16 MiB body in 21 s), so
	// slow senders cannot hold in-flight slots.
	DefaultBodyMinRate = 1 << 20
	DefaultBodyGrace   = 5 * time.Second
	// DefaultDedupeWindow covers kube-apiserver's retry schedule for one
	// batch: 5 attempts with backoff 10 s × 1.5^n (±20 %), 30 s timeout each.
	DefaultDedupeWindow = 5 * time.Minute
	// DefaultDedupeKeys bounds the window in count (about 80 bytes a key).
	DefaultDedupeKeys = 1_000_000
)

// BatchMemoryBound is the most one batch can take while it is read and
// decoded, given its limits: the body, plus what it decodes into (strings
// and fields copied from the body, at most the body again; 128 bytes per
// JSON member or element, 512 per event, both above the worst measured:
// 106 and 378).
func BatchMemoryBound(maxBody int64, maxEvents, maxMembers int) int64 {
	return 2*maxBody + 128*int64(maxMembers) + 512*int64(maxEvents)
}

// Ingest stores accepted batches durably before they are acknowledged:
// the local spool (Local) or a JetStream stream.
type Ingest interface {
	// Append returns nil once b is durable; then the batch is
	// acknowledged (200). An error is answered 503: the server sends the
	// batch again.
	Append(ctx context.Context, b *Batch) error
	// Health is nil while batches can be stored (/readyz).
	Health() error
}

// Config configures a Server.
type Config struct {
	// Listen is the webhook listener address (HTTPS).
	Listen string
	// Path is the only path that accepts events (default /audit).
	Path string
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

	MaxBody         int64
	MaxBatchEvents  int
	MaxBatchMembers int
	MaxInFlight     int
	BodyMinRate     int64 // bytes per second
	BodyGrace       time.Duration
	DedupeWindow    time.Duration
	DedupeKeys      int
	DrainTimeout    time.Duration // bound on finishing in-flight requests at shutdown (default 30 s)
	MetricsListen   string        // "" disables the metrics listener

	// Ingest stores what is accepted (required).
	Ingest Ingest
	// Metrics is the registry the receiver reports to (default: its own).
	Metrics *Metrics
	// Log receives operational messages (default: discarded).
	Log *slog.Logger
	// OnListen is called with the bound addresses once listening.
	OnListen func(webhook, metrics net.Addr)
}

// Stats are the receiver's totals.
type Stats struct {
	Received, Accepted, Duplicate, Rejected int64
}

// Server is the audit webhook receiver.
type Server struct {
	cfg      Config
	m        *Metrics
	dd       *dedupe
	token    [32]byte // sha256 of the bearer token
	hasToken bool
	clientCA *x509.CertPool
	inflight chan struct{}
	cert     *certReloader
	decoders sync.Pool

	draining atomic.Bool
	serving  atomic.Bool // the listener serves (requests may be in flight)

	received, accepted, duplicate, rejected atomic.Int64

	lastWarn   atomic.Int64 // unix nanoseconds of the last rate-limited warning
	suppressed atomic.Int64 // warnings not logged since
	spoolWarn  atomic.Int64 // unix nanoseconds of the last spool error logged
	spoolSupp  atomic.Int64
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

// New validates cfg, loads its credentials and returns a server ready to Run.
func New(cfg Config) (*Server, error) {
	if cfg.Ingest == nil {
		return nil, errors.New("auditserve: Ingest is required")
	}
	if cfg.Path == "" {
		cfg.Path = DefaultPath
	}
	if !strings.HasPrefix(cfg.Path, "/") {
		return nil, fmt.Errorf("--path %q: want an absolute path such as /audit", cfg.Path)
	}
	orDefault(&cfg.MaxBody, DefaultMaxBody)
	orDefault(&cfg.MaxBatchEvents, DefaultMaxBatchEvents)
	orDefault(&cfg.MaxBatchMembers, DefaultMaxBatchMembers)
	orDefault(&cfg.MaxInFlight, DefaultMaxInFlight)
	orDefault(&cfg.BodyMinRate, DefaultBodyMinRate)
	orDefault(&cfg.BodyGrace, DefaultBodyGrace)
	orDefault(&cfg.DedupeWindow, DefaultDedupeWindow)
	orDefault(&cfg.DedupeKeys, DefaultDedupeKeys)
	orDefault(&cfg.DrainTimeout, 30*time.Second)
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	s := &Server{cfg: cfg, m: cfg.Metrics, inflight: make(chan struct{}, cfg.MaxInFlight), dd: newDedupe(cfg.DedupeWindow, cfg.DedupeKeys)}
	lim := auditlog.Limits{Events: cfg.MaxBatchEvents, Members: cfg.MaxBatchMembers}
	s.decoders.New = func() any {
		d := auditlog.NewLineDecoder()
		d.Limits = lim
		d.NoCopy = true // the events live only while the request does
		return d
	}
	if cfg.TokenFile != "" {
		b, err := fileinput.ReadFile(cfg.TokenFile, fileinput.TokenFile)
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
		b, err := fileinput.ReadFile(cfg.ClientCAFile, fileinput.Certificate)
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
	if seeder, ok := cfg.Ingest.(interface{ AcceptedKeys(func(Key, time.Time)) }); ok {
		seeder.AcceptedKeys(s.dd.seed)
	}
	s.m.reg.MustRegister(gaugeFunc("dedupe_keys", "Event keys remembered for de-duplication.", func() float64 { return float64(s.dd.len()) }),
		gaugeFunc("webhook_in_flight", "Requests being read, decoded or stored.", func() float64 { return float64(len(s.inflight)) }))
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
	return Stats{Received: s.received.Load(), Accepted: s.accepted.Load(),
		Duplicate: s.duplicate.Load(), Rejected: s.rejected.Load()}
}

// Serving reports whether the listener may still be handling requests
// (false once Run returned from its shutdown).
func (s *Server) Serving() bool { return s.serving.Load() }

// Run listens and serves until ctx is cancelled, then shuts down: new
// batches are refused (503), requests in flight finish (up to
// DrainTimeout), the listeners close. Everything acknowledged is in the
// Ingest. It returns nil after a clean shutdown.
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
		ReadTimeout:       2 * time.Minute, // the body has its own, shorter deadline
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
	s.serving.Store(true)
	defer s.serving.Store(false)
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
	s.cfg.Log.Info("shutting down: no new batches; finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainTimeout)
	if err := hs.Shutdown(sctx); err != nil {
		// Requests still running past the timeout are cut: they were not
		// acknowledged, so the server sends them again.
		s.cfg.Log.Warn("in-flight requests cut at shutdown", "err", err)
		hs.Close()
	}
	cancel()
	st := s.Stats()
	s.cfg.Log.Info("receiver stopped", "received", st.Received, "accepted", st.Accepted,
		"duplicate", st.Duplicate, "rejected", st.Rejected)
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

// readyz is 503 while draining and while the Ingest cannot store batches
// (spool not writable or nearly full, processing stalled), so a load
// balancer prefers another replica and an operator sees why.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	switch err := s.cfg.Ingest.Health(); {
	case s.draining.Load():
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "draining\n")
	case err != nil:
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, err.Error()+"\n")
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
	if r.URL.Path != s.cfg.Path {
		s.warnLimited("webhook request to another path refused", "path", r.URL.Path, "remote", r.RemoteAddr)
		return reply(w, http.StatusNotFound, "audit events are accepted only by POST "+s.cfg.Path)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return reply(w, http.StatusMethodNotAllowed, "POST an audit.k8s.io/v1 EventList")
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return reply(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json (--audit-webhook-version=audit.k8s.io/v1 sends JSON)")
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && ce != "identity" {
		return reply(w, http.StatusUnsupportedMediaType, "Content-Encoding "+ce+" is not supported")
	}
	if r.ContentLength > s.cfg.MaxBody {
		return s.tooLarge(w, fmt.Sprintf("body of %d bytes, --max-body %d", r.ContentLength, s.cfg.MaxBody))
	}
	if s.draining.Load() {
		w.Header().Set("Retry-After", "5")
		return reply(w, http.StatusServiceUnavailable, "shutting down; retry")
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
	if code, msg := s.readBody(w, r, buf); code != 0 {
		if code == http.StatusRequestEntityTooLarge {
			return s.tooLarge(w, msg)
		}
		s.warnLimited("webhook body not read", "status", code, "remote", r.RemoteAddr, "reason", msg)
		return reply(w, code, msg)
	}
	d := s.decoders.Get().(*auditlog.LineDecoder)
	events, raws, err := d.DecodeBatch(buf.Bytes())
	s.decoders.Put(d)
	if err != nil {
		if errors.Is(err, auditlog.ErrLimit) {
			return s.tooLarge(w, "batch: "+err.Error())
		}
		s.warnLimited("undecodable webhook body", "remote", r.RemoteAddr, "bytes", buf.Len(), "err", err)
		return reply(w, http.StatusBadRequest, "decoding EventList: "+err.Error())
	}
	n := int64(len(events))
	s.received.Add(n)
	s.m.received.Add(float64(n))
	s.m.batchSize.Observe(float64(n))
	if n == 0 {
		return reply(w, http.StatusOK, "")
	}
	keys := make([]Key, len(events))
	for i := range events {
		keys[i] = EventKey(&events[i])
	}
	events = nil
	now := time.Now()
	keep, dups, conflict := s.dd.reserve(keys, now)
	if conflict {
		// Another request holding the same events is being stored; its
		// outcome decides whether these are duplicates.
		s.reject(n, "conflict")
		w.Header().Set("Retry-After", "1")
		return reply(w, http.StatusTooManyRequests, "the same events are being stored by another request; retry")
	}
	kept := n - int64(dups)
	if dups > 0 {
		s.duplicate.Add(int64(dups))
		s.m.duplicate.Add(float64(dups))
	}
	if kept == 0 {
		return reply(w, http.StatusOK, "")
	}
	b := &Batch{Arrival: now}
	if dups == 0 {
		b.Keys, b.Raws, b.Body = keys, raws, buf.Bytes()
	} else {
		b.Keys, b.Raws = make([]Key, 0, kept), make([][]byte, 0, kept)
		for i, k := range keep {
			if k {
				b.Keys, b.Raws = append(b.Keys, keys[i]), append(b.Raws, raws[i])
			}
		}
	}
	if err := s.cfg.Ingest.Append(r.Context(), b); err != nil {
		s.dd.release(keys, keep)
		reason := "spool_error"
		if errors.Is(err, ErrSpoolFull) {
			reason = "spool_full"
		}
		s.reject(kept, reason)
		s.m.spoolErrors.WithLabelValues(strings.TrimPrefix(reason, "spool_")).Inc()
		s.m.writable.Set(0)
		s.logSpoolError(err)
		w.Header().Set("Retry-After", "10")
		return reply(w, http.StatusServiceUnavailable, "events not stored: "+err.Error()+"; retry")
	}
	s.dd.commit(keys, keep, now)
	s.m.writable.Set(1)
	s.accepted.Add(kept)
	s.m.accepted.Add(float64(kept))
	return reply(w, http.StatusOK, "")
}

func (s *Server) reject(n int64, reason string) {
	s.rejected.Add(n)
	s.m.rejected.WithLabelValues(reason).Add(float64(n))
}

// logSpoolError logs a failed store at most every 10 s, with the count of
// failures since.
func (s *Server) logSpoolError(err error) {
	now := time.Now().UnixNano()
	last := s.spoolWarn.Load()
	if now-last < int64(10*time.Second) || !s.spoolWarn.CompareAndSwap(last, now) {
		s.spoolSupp.Add(1)
		return
	}
	s.cfg.Log.Error("batch not stored, answered 503 (the API server retries; nothing acknowledged is lost)",
		"err", err, "failures-since-last-log", s.spoolSupp.Swap(0))
}

// readBody reads the body into buf within a deadline: the grace plus its
// length at the minimum rate, extended as it arrives when the length is
// not announced. It returns 0, or the status to answer and why.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer) (int, string) {
	rc := http.NewResponseController(w)
	start := time.Now()
	deadline := func(n int64) time.Time {
		return start.Add(s.cfg.BodyGrace + time.Duration(float64(n)/float64(s.cfg.BodyMinRate)*float64(time.Second)))
	}
	canDeadline := rc.SetReadDeadline(deadline(max(r.ContentLength, 0)+64<<10)) == nil
	defer rc.SetReadDeadline(time.Time{})
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
	fail := func(err error, total int64) (int, string) {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than --max-body %d", s.cfg.MaxBody)
		case errors.Is(err, os.ErrDeadlineExceeded):
			return http.StatusRequestTimeout, fmt.Sprintf("body too slow: %d bytes in %s (at least %d bytes/s after %s)",
				total, time.Since(start).Round(time.Millisecond), s.cfg.BodyMinRate, s.cfg.BodyGrace)
		}
		return http.StatusBadRequest, "reading body: " + err.Error()
	}
	if r.ContentLength > 0 {
		// The length is announced: one allocation of exactly that size.
		buf.Grow(int(r.ContentLength))
		n, err := io.ReadFull(body, buf.AvailableBuffer()[:r.ContentLength])
		buf.Write(buf.AvailableBuffer()[:n])
		if err != nil {
			return fail(err, int64(n))
		}
		return 0, ""
	}
	var total int64
	for {
		if buf.Available() < 32<<10 {
			buf.Grow(256 << 10)
		}
		n, err := body.Read(buf.AvailableBuffer()[:buf.Available()])
		buf.Write(buf.AvailableBuffer()[:n])
		total += int64(n)
		if err == io.EOF {
			return 0, ""
		}
		if err != nil {
			return fail(err, total)
		}
		if canDeadline {
			rc.SetReadDeadline(deadline(total + 64<<10))
		}
	}
}

func (s *Server) tooLarge(w http.ResponseWriter, why string) int {
	s.logLimited(slog.LevelError, "webhook batch refused as too large; kube-apiserver drops it after its retries: raise --max-body / --max-batch-events / --max-batch-members, or set --audit-webhook-truncate-enabled",
		"why", why)
	return reply(w, http.StatusRequestEntityTooLarge, why)
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
	// Read as regular files of bounded size: a FIFO would block the start.
	certPEM, err := fileinput.ReadFile(c.certFile, fileinput.Certificate)
	if err != nil {
		return fmt.Errorf("--tls-cert: %w", err)
	}
	keyPEM, err := fileinput.ReadFile(c.keyFile, fileinput.Certificate)
	if err != nil {
		return fmt.Errorf("--tls-key: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
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

// orDefault sets an unset (zero or negative) setting to its default.
func orDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
