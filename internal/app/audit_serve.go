package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/apiguard/apiguard/internal/alertsink"
	"github.com/apiguard/apiguard/internal/auditserve"
	"github.com/apiguard/apiguard/internal/auditstream"
	"github.com/apiguard/apiguard/internal/detect"
)

// AuditServeOptions is audit serve: the audit webhook receiver, its spool
// (a directory, or a JetStream stream) and the detectors behind it.
type AuditServeOptions struct {
	// The listener: HTTPS on Listen, events accepted on Path only.
	Listen, Path            string
	TLSCertFile, TLSKeyFile string
	// Authentication of the API server: a client certificate signed by
	// ClientCAFile (named one of ClientNames, if set), or the bearer token
	// in TokenFile; InsecureNoAuth accepts anyone (local tests only).
	ClientCAFile   string
	ClientNames    []string
	TokenFile      string
	InsecureNoAuth bool
	// Limits of one request, and of the requests read at once.
	MaxBody, BodyMinRate            int64
	MaxBatchEvents, MaxBatchMembers int
	MaxInFlight                     int
	// Spool is a directory (SpoolMaxBytes of batches, JournalMaxBytes of
	// undelivered alerts) or nats://HOST[:PORT]/STREAM, whose detectors
	// (when Detect) join the durable consumer Consumer.
	Spool                          string
	SpoolMaxBytes, JournalMaxBytes int64
	Consumer                       string
	Detect                         bool
	NATS                           NATSCredentials
	DedupeWindow, DrainTimeout     time.Duration
	DedupeKeys                     int
	// MetricsListen serves /metrics, /healthz and /readyz (plain HTTP; ""
	// disables it).
	MetricsListen string
	Detection     DetectionOptions
	// Sinks receive the alerts; EventsOut, when set, every processed event.
	Sinks     AlertSinks
	EventsOut string
	// Log receives the receiver's log.
	Log *slog.Logger
}

// AuditServe runs the receiver until ctx ends, then drains: every batch
// acknowledged is processed before it returns.
func AuditServe(ctx context.Context, o AuditServeOptions) error {
	if o.Spool == "" {
		return Input(fmt.Errorf("--spool is required: the receiver acknowledges only what it stored there (a directory, or nats://HOST/STREAM)"))
	}
	if o.TLSCertFile == "" || o.TLSKeyFile == "" {
		return Input(fmt.Errorf("--tls-cert and --tls-key are required: the receiver serves HTTPS only"))
	}
	if o.ClientCAFile == "" && o.TokenFile == "" && !o.InsecureNoAuth {
		return Input(fmt.Errorf("no authentication: set --client-ca (client certificates) or --token-file (bearer token); --insecure-no-auth is for local tests only"))
	}
	log := o.Log
	if o.InsecureNoAuth {
		for range 3 {
			log.Warn("--insecure-no-auth: THE AUDIT WEBHOOK ACCEPTS UNAUTHENTICATED REQUESTS; anyone who can connect can inject, flood or hide events. Local tests only.")
		}
	}
	if o.ClientCAFile != "" && len(o.ClientNames) == 0 {
		log.Warn("--client-ca without --client-name: every client certificate this CA signed is accepted; if it also signs kubelets or users (a cluster CA), restrict the names")
	}
	engine, err := o.Detection.engine()
	if err != nil {
		return err
	}
	for _, r := range engine.Inactive() {
		log.Info("rule inactive", "rule", r.Rule, "reason", r.Reason)
	}
	sinks, closeSinks, err := o.Sinks.deliverers()
	if err != nil {
		return err
	}
	defer closeSinks()
	// A closed stdout (a reader that went away) must be a failing sink,
	// not the end of the receiver: with SIGPIPE caught, writes return EPIPE.
	sigpipe := make(chan os.Signal, 1)
	signal.Notify(sigpipe, syscall.SIGPIPE)
	defer signal.Stop(sigpipe)

	// The garbage of request bodies must not pile up beyond the documented
	// bound: a soft memory limit makes the collector run before it does.
	if os.Getenv("GOMEMLIMIT") == "" {
		inFlight := int64(max(o.MaxInFlight, 1)) * auditserve.BatchMemoryBound(o.MaxBody, o.MaxBatchEvents, o.MaxBatchMembers)
		debug.SetMemoryLimit(inFlight + 256<<20)
	}
	metrics := auditserve.NewMetrics()
	var pipeline interface {
		auditserve.Ingest
		Run(ctx context.Context, accepting func() bool) error
	}
	if auditstream.IsURL(o.Spool) {
		np, closeNATS, err := o.natsPipeline(ctx, engine, sinks, metrics)
		if err != nil {
			return err
		}
		defer closeNATS()
		pipeline = np
	} else {
		l, err := auditserve.OpenLocal(auditserve.LocalConfig{Dir: o.Spool, MaxBytes: o.SpoolMaxBytes, JournalBytes: o.JournalMaxBytes,
			Engine: engine, Sinks: sinks, EventsOut: o.EventsOut, DedupeWindow: o.DedupeWindow, DedupeKeys: o.DedupeKeys,
			SinkDrainTimeout: o.DrainTimeout, Metrics: metrics, Log: log})
		if err != nil {
			return Input(err)
		}
		defer l.Close()
		pipeline = l
	}
	srv, err := auditserve.New(auditserve.Config{
		Listen: o.Listen, Path: o.Path, TLSCertFile: o.TLSCertFile, TLSKeyFile: o.TLSKeyFile,
		ClientCAFile: o.ClientCAFile, ClientNames: o.ClientNames, TokenFile: o.TokenFile, InsecureNoAuth: o.InsecureNoAuth,
		MaxBody: o.MaxBody, MaxBatchEvents: o.MaxBatchEvents, MaxBatchMembers: o.MaxBatchMembers, MaxInFlight: o.MaxInFlight,
		BodyMinRate: o.BodyMinRate, DedupeWindow: o.DedupeWindow, DedupeKeys: o.DedupeKeys, DrainTimeout: o.DrainTimeout,
		MetricsListen: o.MetricsListen, Ingest: pipeline, Metrics: metrics, Log: log,
		OnListen: func(w, m net.Addr) {
			metricsURL := "off"
			if m != nil {
				metricsURL = "http://" + m.String() + "/metrics"
			}
			log.Info("audit webhook receiver listening", "url", "https://"+w.String()+o.Path, "auth", o.describeAuth(),
				"spool", o.Spool, "metrics", metricsURL, "rules", len(engine.Rules()))
		},
	})
	if err != nil {
		return Input(err)
	}
	// The pipeline drains after the receiver stopped accepting: every
	// acknowledged batch is processed before exit.
	perr := make(chan error, 1)
	go func() { perr <- pipeline.Run(ctx, srv.Serving) }()
	runErr := srv.Run(ctx)
	if err := <-perr; err != nil {
		log.Error("pipeline", "err", err)
		if runErr == nil {
			runErr = err
		}
	}
	if runErr != nil {
		return Input(runErr)
	}
	log.Info("stopped")
	return nil
}

// natsPipeline opens the JetStream spool and, with Detect, this process's
// detector; it returns the function that closes them.
func (o AuditServeOptions) natsPipeline(ctx context.Context, engine *detect.Engine, sinks []alertsink.Deliverer, metrics *auditserve.Metrics) (*natsPipeline, func(), error) {
	st, err := auditstream.Open(ctx, o.NATS.options(o.Spool, o.Log))
	if err != nil {
		return nil, nil, Input(fmt.Errorf("--spool: %w", err))
	}
	np := &natsPipeline{Stream: st}
	if !o.Detect {
		if o.EventsOut != "" || o.Sinks.Out != "" || len(o.Sinks.Webhooks) > 0 {
			st.Close()
			return nil, nil, Input(fmt.Errorf("--detect=false: this process raises no alert; --out, --webhook and --events-out belong to the detectors ('apiguard audit scan --from %s --consumer NAME')", o.Spool))
		}
		return np, st.Close, nil
	}
	var archive *alertsink.FileDeliverer
	closeAll := st.Close
	if o.EventsOut != "" {
		if archive, err = alertsink.OpenFileDeliverer(o.EventsOut); err != nil {
			st.Close()
			return nil, nil, Input(fmt.Errorf("--events-out: %w", err))
		}
		closeAll = func() { archive.Close(); st.Close() }
	}
	np.det, err = st.NewDetector(ctx, auditstream.DetectOptions{Consumer: o.Consumer, Engine: engine, Sinks: sinks,
		Archive: archive, DedupeWindow: o.DedupeWindow, DedupeKeys: o.DedupeKeys, Metrics: metrics, Log: o.Log})
	if err != nil {
		closeAll()
		return nil, nil, Input(fmt.Errorf("--spool: %w", err))
	}
	return np, closeAll, nil
}

func (o AuditServeOptions) describeAuth() string {
	var auth []string
	if o.ClientCAFile != "" {
		s := "client certificates from " + o.ClientCAFile
		if len(o.ClientNames) > 0 {
			s += " named " + strings.Join(o.ClientNames, ",")
		}
		auth = append(auth, s)
	}
	if o.TokenFile != "" {
		auth = append(auth, "bearer token")
	}
	if o.InsecureNoAuth {
		auth = append(auth, "NONE (--insecure-no-auth)")
	}
	return strings.Join(auth, " or ")
}

// natsPipeline is a JetStream spool with (optionally) this process's detector.
type natsPipeline struct {
	*auditstream.Stream
	det *auditstream.Detector
}

// Run runs the detector until ctx is done: what it has not acknowledged
// stays in the stream for the next detector.
func (p *natsPipeline) Run(ctx context.Context, _ func() bool) error {
	if p.det == nil {
		<-ctx.Done()
		return nil
	}
	return p.det.Run(ctx)
}
