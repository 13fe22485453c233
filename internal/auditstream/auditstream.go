// Package auditstream uses a NATS JetStream stream as the durable spool of
// the audit pipeline, beyond one machine: `apiguard audit serve --spool
// nats://HOST/STREAM` publishes every accepted batch and acknowledges the
// API server only after JetStream acknowledged the publish, and `apiguard
// audit scan --from nats://HOST/STREAM --consumer NAME` (or the receiver
// itself) runs the detectors as a durable consumer: several processes
// sharing a consumer name share the work, and a message is acknowledged
// only after its alerts were delivered.
//
// Messages are spool records (auditserve.Batch), split to fit the server's
// max_payload, each with a Nats-Msg-Id derived from its events' keys, so
// that a batch re-published (the API server re-sent it to this or another
// receiver) is dropped by JetStream within the stream's duplicate window.
// Alerts are de-duplicated across redeliveries and consumers by their
// AlertKey, recorded in a key-value bucket after delivery.
package auditstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/apiguard/apiguard/internal/auditserve"
)

// Target is a parsed nats://HOST[:PORT]/STREAM (or tls://).
type Target struct {
	Server string // nats://host:port, as nats.Connect takes it (credentials included)
	Stream string
}

var streamName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// IsURL reports whether s names a JetStream stream rather than a directory.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "nats://") || strings.HasPrefix(s, "tls://")
}

// ParseURL parses nats://[USER:PASS@]HOST[:PORT]/STREAM.
func ParseURL(s string) (Target, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "nats" && u.Scheme != "tls") || u.Host == "" {
		return Target{}, fmt.Errorf("%q: want nats://HOST[:PORT]/STREAM", s)
	}
	stream := strings.Trim(u.Path, "/")
	if !streamName.MatchString(stream) {
		return Target{}, fmt.Errorf("%q: want a stream name (letters, digits, - and _) after the host, as in nats://nats:4222/AUDIT", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Target{}, fmt.Errorf("%q: no query or fragment expected", s)
	}
	u.Path = ""
	return Target{Server: u.String(), Stream: stream}, nil
}

// Options configure a connection to the stream.
type Options struct {
	URL string // nats://HOST[:PORT]/STREAM
	// CredsFile is a NATS credentials file (JWT + NKey seed), CAFile the
	// CA of a tls:// server, CertFile/KeyFile a client certificate.
	CredsFile, CAFile, CertFile, KeyFile string
	// DuplicateWindow is the stream's duplicate window when apiguard
	// creates the stream (default 5 min: the API server's retries).
	DuplicateWindow time.Duration
	// MaxAge and MaxBytes bound a stream apiguard creates (default 7
	// days, unbounded bytes: size it yourself, or create the stream).
	MaxAge   time.Duration
	MaxBytes int64
	// Name identifies this client to the server.
	Name string
	Log  *slog.Logger
}

// Stream is a connection to the JetStream stream.
type Stream struct {
	o       Options
	t       Target
	nc      *nats.Conn
	js      jetstream.JetStream
	subject string
	maxMsg  int
	log     *slog.Logger
	lastErr atomic.Pointer[error]
}

// Subject is the subject apiguard publishes to for a stream it creates.
func Subject(stream string) string { return "apiguard.audit." + stream }

// Open connects (reconnecting forever in the background) and opens the
// stream, creating it when it does not exist.
func Open(ctx context.Context, o Options) (*Stream, error) {
	t, err := ParseURL(o.URL)
	if err != nil {
		return nil, err
	}
	orDefault(&o.DuplicateWindow, 5*time.Minute)
	orDefault(&o.MaxAge, 7*24*time.Hour)
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Name == "" {
		o.Name = "apiguard"
	}
	s := &Stream{o: o, t: t, log: o.Log}
	opts := []nats.Option{
		nats.Name(o.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		// No buffering while disconnected: a publish then fails at once and
		// the API server is answered 503 (it retries) instead of waiting.
		nats.ReconnectBufSize(-1),
		nats.RetryOnFailedConnect(false),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				o.Log.Warn("NATS connection lost; reconnecting", "server", redact(t.Server), "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			o.Log.Info("NATS connection re-established", "server", nc.ConnectedUrlRedacted())
		}),
	}
	if o.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(o.CredsFile))
	}
	if o.CAFile != "" {
		opts = append(opts, nats.RootCAs(o.CAFile))
	}
	if o.CertFile != "" || o.KeyFile != "" {
		opts = append(opts, nats.ClientCert(o.CertFile, o.KeyFile))
	}
	if s.nc, err = nats.Connect(t.Server, opts...); err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", redact(t.Server), err)
	}
	if s.js, err = jetstream.New(s.nc); err != nil {
		s.nc.Close()
		return nil, err
	}
	st, err := s.js.Stream(ctx, t.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err = s.js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        t.Stream,
			Description: "kube-apiserver audit events accepted by apiguard audit serve",
			Subjects:    []string{Subject(t.Stream)},
			Storage:     jetstream.FileStorage,
			Retention:   jetstream.LimitsPolicy,
			MaxAge:      o.MaxAge,
			MaxBytes:    max(o.MaxBytes, -1),
			Duplicates:  o.DuplicateWindow,
		})
		if err == nil {
			o.Log.Info("JetStream stream created", "stream", t.Stream, "subject", Subject(t.Stream), "max-age", o.MaxAge)
		}
	}
	if err != nil {
		s.nc.Close()
		return nil, fmt.Errorf("stream %s: %w", t.Stream, err)
	}
	subs := st.CachedInfo().Config.Subjects
	switch {
	case len(subs) == 1 && !strings.ContainsAny(subs[0], "*>"):
		s.subject = subs[0]
	default:
		for _, sub := range subs {
			if sub == Subject(t.Stream) {
				s.subject = sub
			}
		}
	}
	if s.subject == "" {
		s.nc.Close()
		return nil, fmt.Errorf("stream %s: its subjects %v do not include %s: create it with that subject, or with exactly one literal subject", t.Stream, subs, Subject(t.Stream))
	}
	s.maxMsg = int(s.nc.MaxPayload())
	if m := st.CachedInfo().Config.MaxMsgSize; m > 0 && int(m) < s.maxMsg {
		s.maxMsg = int(m)
	}
	return s, nil
}

func redact(server string) string {
	u, err := url.Parse(server)
	if err != nil {
		return "nats://?"
	}
	return u.Redacted()
}

// Target is the stream's address.
func (s *Stream) Target() Target { return s.t }

// Close closes the connection.
func (s *Stream) Close() {
	if s.nc != nil {
		s.nc.Close()
	}
}

// Append publishes a batch and returns once JetStream acknowledged every
// part of it (auditserve.Ingest).
func (s *Stream) Append(ctx context.Context, b *auditserve.Batch) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	for _, part := range s.split(b) {
		data := auditserve.AppendRecord(make([]byte, 0, part.EncodedSize()), part)
		if _, err := s.js.Publish(ctx, s.subject, data, jetstream.WithMsgID(auditserve.MsgID(part.Keys)),
			jetstream.WithExpectStream(s.t.Stream)); err != nil {
			err = fmt.Errorf("JetStream publish to %s: %w", s.t.Stream, err)
			s.lastErr.Store(&err)
			return err
		}
	}
	s.lastErr.Store(nil)
	return nil
}

// Health is nil while publishing works (auditserve.Ingest).
func (s *Stream) Health() error {
	if !s.nc.IsConnected() {
		return fmt.Errorf("JetStream %s: not connected", s.t.Stream)
	}
	if p := s.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

// split cuts a batch into parts whose records fit a message. An event
// larger than a message on its own loses its request and response bodies,
// as kube-apiserver's truncating backend does, and is annotated so.
func (s *Stream) split(b *auditserve.Batch) []*auditserve.Batch {
	limit := s.maxMsg - 1024 // headers
	if b.EncodedSize() <= limit {
		return []*auditserve.Batch{b}
	}
	var parts []*auditserve.Batch
	cur := &auditserve.Batch{Arrival: b.Arrival}
	for i, raw := range b.Raws {
		if len(raw)+16+200 > limit {
			raw = truncateEvent(raw)
		}
		next := &auditserve.Batch{Arrival: b.Arrival, Keys: append(cur.Keys, b.Keys[i]), Raws: append(cur.Raws, raw)}
		if len(cur.Raws) > 0 && next.EncodedSize() > limit {
			parts = append(parts, cur)
			cur = &auditserve.Batch{Arrival: b.Arrival, Keys: []auditserve.Key{b.Keys[i]}, Raws: [][]byte{raw}}
			continue
		}
		cur = next
	}
	if len(cur.Raws) > 0 {
		parts = append(parts, cur)
	}
	return parts
}

// orDefault sets an unset (zero or negative) setting to its default.
func orDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
