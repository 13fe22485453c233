package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/alertsink"
	"github.com/apiguard/apiguard/internal/auditserve"
	"github.com/apiguard/apiguard/internal/detect"
)

type auditServeOptions struct {
	listen, tlsCert, tlsKey         string
	clientCA, tokenFile             string
	clientNames                     []string
	insecureNoAuth                  bool
	maxBody, queueBytes             string
	maxInFlight                     int
	queueEvents                     int64
	dedupeWindow, drainTimeout      time.Duration
	dedupeKeys                      int
	metricsListen                   string
	rules                           []string
	allowCIDRs, podCIDRs, nodeCIDRs []string
	stdout                          bool
	out, eventsOut                  string
	webhooks, webhookHeaders        []string
}

func (a *app) auditServeCmd() *cobra.Command {
	o := &auditServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve --listen ADDR --tls-cert F --tls-key F (--client-ca F | --token-file F)",
		Short: "Receive kube-apiserver's audit webhook and raise alerts live",
		Long: `Receive kube-apiserver's audit webhook backend (--audit-webhook-config-file) and
run every event through the detection rules as it arrives.

The receiver serves HTTPS only and authenticates the API server: a client
certificate signed by --client-ca (restrict it with --client-name when that CA
signs other clients too), or the bearer token in --token-file. It refuses to
start without one of them; --insecure-no-auth is for local tests only.

It acknowledges (200) a batch only once all of it is queued; when the queue is
full it answers 429 with Retry-After and kube-apiserver sends the batch again.
Events re-sent after a lost acknowledgement are dropped (same auditID and stage,
same request). A body over --max-body is refused (413): kube-apiserver drops
that batch after its retries, so keep --max-body above the server's batch size
(--audit-webhook-truncate-enabled caps it at 10 MiB).

Alerts are written as JSON lines to stdout (--stdout=false to silence), appended
to --out, and posted to each --webhook (JSON with a Slack-compatible "text").
SIGTERM or SIGINT: stop accepting, process everything queued, flush, exit 0.

Metrics (Prometheus), /healthz and /readyz are on --metrics-listen (plain HTTP);
/healthz and /readyz also answer on --listen without authentication.
The kube-apiserver side: deploy/audit-webhook-kubeconfig.yaml, docs/audit-serve.md.`,
		Example: `  apiguard audit serve --listen :8443 --tls-cert tls.crt --tls-key tls.key \
    --client-ca webhook-ca.crt --client-name kube-apiserver-audit --out /var/log/apiguard/alerts.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runAuditServe(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", ":8443", "address of the webhook listener (HTTPS)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "serving certificate (PEM; re-read when the file changes)")
	f.StringVar(&o.tlsKey, "tls-key", "", "serving key (PEM)")
	f.StringVar(&o.clientCA, "client-ca", "", "CA bundle (PEM) that signs the API server's client certificate")
	f.StringArrayVar(&o.clientNames, "client-name", nil, "accept only client certificates with this common name or DNS SAN (repeatable)")
	f.StringVar(&o.tokenFile, "token-file", "", "file holding the bearer token the API server sends (compared in constant time)")
	f.BoolVar(&o.insecureNoAuth, "insecure-no-auth", false, "accept unauthenticated requests (LOCAL TESTS ONLY: anyone who can connect can inject or flood events)")
	f.StringVar(&o.maxBody, "max-body", "32Mi", "largest request body accepted (413 above)")
	f.IntVar(&o.maxInFlight, "max-in-flight", auditserve.DefaultMaxInFlight, "request bodies read and decoded at once (429 above)")
	f.Int64Var(&o.queueEvents, "queue-events", auditserve.DefaultQueueEvents, "events queued before answering 429")
	f.StringVar(&o.queueBytes, "queue-bytes", "256Mi", "request bytes queued before answering 429")
	f.DurationVar(&o.dedupeWindow, "dedupe-window", auditserve.DefaultDedupeWindow, "how long a queued event is remembered to drop its re-sends")
	f.IntVar(&o.dedupeKeys, "dedupe-keys", auditserve.DefaultDedupeKeys, "most events remembered for de-duplication (about 50 bytes each)")
	f.DurationVar(&o.drainTimeout, "drain-timeout", 30*time.Second, "at shutdown, how long in-flight requests may take to finish (the queue itself is always drained)")
	f.StringVar(&o.metricsListen, "metrics-listen", "127.0.0.1:9464", `address of the plain-HTTP /metrics, /healthz and /readyz listener ("" disables it)`)
	f.StringArrayVar(&o.rules, "rules", nil, "YAML file of more detection rules, same format as the built-in ones (repeatable)")
	f.StringSliceVar(&o.allowCIDRs, "allow-cidrs", nil, "CIDRs requests are expected from; others alert (enables the rules that need it)")
	f.StringSliceVar(&o.podCIDRs, "pod-cidrs", nil, "pod network CIDRs (ServiceAccount tokens used from elsewhere alert)")
	f.StringSliceVar(&o.nodeCIDRs, "node-cidrs", nil, "node network CIDRs")
	f.BoolVar(&o.stdout, "stdout", true, "write alerts as JSON lines to stdout")
	f.StringVar(&o.out, "out", "", "append alerts as JSON lines to this file")
	f.StringArrayVar(&o.webhooks, "webhook", nil, "POST each alert as JSON (Slack-compatible) to this URL, with retries (repeatable)")
	f.StringArrayVar(&o.webhookHeaders, "webhook-header", nil, `header added to webhook requests, "Name: value" (repeatable)`)
	f.StringVar(&o.eventsOut, "events-out", "", "also append every processed event to this file as JSON lines (an audit log 'apiguard audit scan' reads)")
	return cmd
}

func (a *app) runAuditServe(cmd *cobra.Command, o *auditServeOptions) error {
	maxBody, err := byteSize("--max-body", o.maxBody)
	if err != nil {
		return err
	}
	queueBytes, err := byteSize("--queue-bytes", o.queueBytes)
	if err != nil {
		return err
	}
	if o.tlsCert == "" || o.tlsKey == "" {
		return usageErr("--tls-cert and --tls-key are required: the receiver serves HTTPS only")
	}
	if o.clientCA == "" && o.tokenFile == "" && !o.insecureNoAuth {
		return usageErr("no authentication: set --client-ca (client certificates) or --token-file (bearer token); --insecure-no-auth is for local tests only")
	}
	log := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if o.insecureNoAuth {
		for range 3 {
			log.Warn("--insecure-no-auth: THE AUDIT WEBHOOK ACCEPTS UNAUTHENTICATED REQUESTS; anyone who can connect can inject, flood or hide events. Local tests only.")
		}
	}
	if o.clientCA != "" && len(o.clientNames) == 0 {
		log.Warn("--client-ca without --client-name: every client certificate this CA signed is accepted; if it also signs kubelets or users (a cluster CA), restrict the names")
	}
	engine, err := newDetectEngine(o.rules, o.allowCIDRs, o.podCIDRs, o.nodeCIDRs)
	if err != nil {
		return err
	}
	for _, r := range engine.Inactive() {
		log.Info("rule inactive", "rule", r.Rule, "reason", r.Reason)
	}
	em := &sinkEmitter{log: log}
	var sinks []alertsink.Sink
	if o.stdout {
		sinks = append(sinks, alertsink.JSONL(a.stdout, "stdout"))
	}
	if o.out != "" {
		f, err := alertsink.File(o.out)
		if err != nil {
			return inputErr(fmt.Errorf("--out: %w", err))
		}
		sinks = append(sinks, f)
	}
	hdr, err := parseHeaders(o.webhookHeaders) // shared with audit scan
	if err != nil {
		return err
	}
	for _, u := range o.webhooks {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return usageErr("--webhook %q: want an http(s) URL", u)
		}
		sinks = append(sinks, alertsink.NewWebhook(u, alertsink.WebhookOptions{Header: hdr,
			OnError: func(err error) { em.sinkError("webhook", err) }}))
	}
	var archive auditserve.Archiver
	var archiveSink *eventArchive
	if o.eventsOut != "" {
		if archiveSink, err = openEventArchive(o.eventsOut, log); err != nil {
			return inputErr(fmt.Errorf("--events-out: %w", err))
		}
		archive = archiveSink
	}
	em.multi = alertsink.Multi{Sinks: sinks, OnError: func(s alertsink.Sink, err error) { em.sinkError(s.Name(), err) }}
	srv, err := auditserve.New(auditserve.Config{
		Listen: o.listen, TLSCertFile: o.tlsCert, TLSKeyFile: o.tlsKey,
		ClientCAFile: o.clientCA, ClientNames: o.clientNames, TokenFile: o.tokenFile, InsecureNoAuth: o.insecureNoAuth,
		MaxBody: maxBody, MaxInFlight: o.maxInFlight, QueueEvents: o.queueEvents, QueueBytes: queueBytes,
		DedupeWindow: o.dedupeWindow, DedupeKeys: o.dedupeKeys, DrainTimeout: o.drainTimeout,
		MetricsListen: o.metricsListen,
		Engine:        engine, Emitter: em, Archive: archive, Log: log,
		OnListen: func(w, m net.Addr) {
			auth := []string{}
			if o.clientCA != "" {
				auth = append(auth, "client certificates from "+o.clientCA)
				if len(o.clientNames) > 0 {
					auth[len(auth)-1] += " named " + strings.Join(o.clientNames, ",")
				}
			}
			if o.tokenFile != "" {
				auth = append(auth, "bearer token")
			}
			if o.insecureNoAuth {
				auth = append(auth, "NONE (--insecure-no-auth)")
			}
			metrics := "off"
			if m != nil {
				metrics = "http://" + m.String() + "/metrics"
			}
			log.Info("audit webhook receiver listening", "url", "https://"+w.String(), "auth", strings.Join(auth, " or "),
				"metrics", metrics, "rules", len(engine.Rules()))
		},
	})
	if err != nil {
		return usageErr("%v", err)
	}
	em.metrics = srv
	runErr := srv.Run(cmd.Context())
	closeErr := em.multi.Close()
	if archiveSink != nil {
		closeErr = errors.Join(closeErr, archiveSink.close())
	}
	if runErr != nil {
		return inputErr(runErr)
	}
	if closeErr != nil {
		log.Error("closing sinks", "err", closeErr)
	}
	return nil
}

// newDetectEngine builds the engine from the built-in rules, the --rules
// files and the CIDR flags.
func newDetectEngine(ruleFiles, allow, pod, node []string) (*detect.Engine, error) {
	rules := detect.Builtin()
	for _, f := range ruleFiles {
		more, err := detect.LoadRules(f)
		if err != nil {
			return nil, inputErr(err)
		}
		rules = append(rules, more...)
	}
	var opts detect.Options
	for _, c := range []struct {
		flag string
		in   []string
		out  *[]netip.Prefix
	}{{"--allow-cidrs", allow, &opts.AllowCIDRs}, {"--pod-cidrs", pod, &opts.PodCIDRs}, {"--node-cidrs", node, &opts.NodeCIDRs}} {
		for _, s := range c.in {
			p, err := netip.ParsePrefix(strings.TrimSpace(s))
			if err != nil {
				return nil, usageErr("%s %q: want a CIDR such as 10.0.0.0/8", c.flag, s)
			}
			*c.out = append(*c.out, p.Masked())
		}
	}
	e, err := detect.New(rules, opts)
	if err != nil {
		return nil, inputErr(err)
	}
	return e, nil
}

// byteSize parses 1048576, 64Mi or 10M.
func byteSize(flag, v string) (int64, error) {
	q, err := resource.ParseQuantity(v)
	if err != nil || q.Sign() <= 0 {
		return 0, usageErr("%s %q: want a size such as 32Mi", flag, v)
	}
	return q.Value(), nil
}

// sinkEmitter adapts the sinks to the receiver: alerts go to every sink and
// are flushed after each batch that raised one.
type sinkEmitter struct {
	multi   alertsink.Multi
	log     *slog.Logger
	metrics *auditserve.Server // set before the server runs
}

func (e *sinkEmitter) sinkError(name string, err error) {
	e.log.Error("alert sink failed", "sink", name, "err", err)
	if e.metrics != nil {
		e.metrics.SinkError(name)
	}
}

func (e *sinkEmitter) Emit(al detect.Alert) { e.multi.Send(al) }
func (e *sinkEmitter) Sync()                { e.multi.Flush() }

// eventArchive appends processed events as JSON lines (--events-out), in
// the audit log's format, written out after each batch.
type eventArchive struct {
	f      *os.File
	buf    []byte
	log    *slog.Logger
	failed bool
}

func openEventArchive(path string, log *slog.Logger) (*eventArchive, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return &eventArchive{f: f, log: log}, nil
}

func (a *eventArchive) Write(ev *auditv1.Event) {
	e := *ev
	e.Kind, e.APIVersion = "Event", "audit.k8s.io/v1"
	b, err := json.Marshal(&e)
	if err != nil {
		a.log.Error("--events-out: event not written", "auditID", ev.AuditID, "err", err)
		return
	}
	a.buf = append(append(a.buf, b...), '\n')
}

func (a *eventArchive) Flush() {
	if len(a.buf) == 0 {
		return
	}
	if _, err := a.f.Write(a.buf); err != nil && !a.failed {
		a.failed = true
		a.log.Error("--events-out: write failed", "err", err)
	}
	a.buf = a.buf[:0]
}

func (a *eventArchive) close() error {
	a.Flush()
	return a.f.Close()
}
