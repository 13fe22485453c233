package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/apiguard/apiguard/internal/alertsink"
	"github.com/apiguard/apiguard/internal/auditserve"
	"github.com/apiguard/apiguard/internal/auditstream"
	"github.com/apiguard/apiguard/internal/detect"
)

type auditServeOptions struct {
	listen, path, tlsCert, tlsKey   string
	clientCA, tokenFile             string
	clientNames                     []string
	insecureNoAuth                  bool
	maxBody, bodyMinRate            string
	maxBatchEvents, maxBatchMembers int
	maxInFlight                     int
	spool, spoolMax, journalMax     string
	consumer                        string
	detect                          bool
	nats                            natsFlags
	dedupeWindow, drainTimeout      time.Duration
	dedupeKeys                      int
	metricsListen                   string
	rules                           []string
	allowCIDRs, podCIDRs, nodeCIDRs []string
	stdout                          bool
	out, eventsOut                  string
	webhooks, webhookHeaders        []string
	// deprecated (the in-memory queue is gone)
	queueEvents int64
	queueBytes  string
}

// natsFlags are the credentials of a nats:// spool.
type natsFlags struct{ creds, ca, cert, key string }

func (n *natsFlags) add(f *pflag.FlagSet) {
	f.StringVar(&n.creds, "nats-creds", "", "NATS credentials file (JWT and NKey seed) for a nats:// spool")
	f.StringVar(&n.ca, "nats-ca", "", "CA bundle of a tls:// NATS server")
	f.StringVar(&n.cert, "nats-cert", "", "client certificate for the NATS server")
	f.StringVar(&n.key, "nats-key", "", "client key for the NATS server")
}

func (n *natsFlags) options(url string, log *slog.Logger) auditstream.Options {
	return auditstream.Options{URL: url, CredsFile: n.creds, CAFile: n.ca, CertFile: n.cert, KeyFile: n.key, Log: log}
}

func (a *env) auditServeCmd() *cobra.Command {
	o := &auditServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve --spool DIR|nats://HOST/STREAM --tls-cert F --tls-key F (--client-ca F | --token-file F)",
		Short: "Receive kube-apiserver's audit webhook and raise alerts live",
		Long: `Receive kube-apiserver's audit webhook backend (--audit-webhook-config-file) and
run every event through the detection rules as it arrives.

The receiver serves HTTPS only and authenticates the API server: a client
certificate signed by --client-ca (restrict it with --client-name when that CA
signs other clients too), or the bearer token in --token-file. It refuses to
start without one of them; --insecure-no-auth is for local tests only. Events
are accepted only by POST to --path (default /audit).

It acknowledges (200) a batch only once it is durable: appended to the
write-ahead spool in --spool (fsynced) or, with --spool nats://HOST/STREAM,
acknowledged by JetStream. When it cannot store a batch (disk full, I/O error,
spool full, NATS down) it answers 503 and the server sends the batch again;
/readyz says why, and it recovers by itself. Events re-sent after a lost
acknowledgement are dropped (same event, also across restarts). A batch over
--max-body, --max-batch-events or --max-batch-members is refused (413);
kube-apiserver drops it after its retries, so keep the limits above what the
server sends (--audit-webhook-truncate-enabled caps batches at 10 MiB).

The spool is processed in order; every alert is recorded in the spool's
journal before it is delivered: JSON lines to stdout (--stdout=false to
silence), appended to --out, posted to each --webhook (JSON with a
Slack-compatible "text"). A failing sink is retried from its own cursor and
never skipped; the other sinks go on. After a crash (even kill -9) the next
start processes what was not finished, cuts --out and --events-out back to
what was recorded, and raises no alert twice.
SIGTERM or SIGINT: stop accepting, process everything accepted, deliver what
the sinks can within 30 s (the rest waits in the journal), exit 0.

Metrics (Prometheus), /healthz and /readyz are on --metrics-listen (plain HTTP);
/healthz and /readyz also answer on --listen without authentication.
The kube-apiserver side: deploy/audit-webhook-kubeconfig.yaml, docs/audit-serve.md.`,
		Example: `  apiguard audit serve --spool /var/lib/apiguard/spool --listen :8443 --tls-cert tls.crt --tls-key tls.key \
    --client-ca webhook-ca.crt --client-name kube-apiserver-audit --out /var/log/apiguard/alerts.jsonl
  apiguard audit serve --spool nats://nats.apiguard.svc:4222/AUDIT --consumer detectors ...`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runAuditServe(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", ":8443", "address of the webhook listener (HTTPS)")
	f.StringVar(&o.path, "path", auditserve.DefaultPath, "the only path that accepts events (the server URL's path in the webhook kubeconfig)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "serving certificate (PEM; re-read when the file changes)")
	f.StringVar(&o.tlsKey, "tls-key", "", "serving key (PEM)")
	f.StringVar(&o.clientCA, "client-ca", "", "CA bundle (PEM) that signs the API server's client certificate")
	f.StringArrayVar(&o.clientNames, "client-name", nil, "accept only client certificates with this common name or DNS SAN (repeatable)")
	f.StringVar(&o.tokenFile, "token-file", "", "file holding the bearer token the API server sends (compared in constant time)")
	f.BoolVar(&o.insecureNoAuth, "insecure-no-auth", false, "accept unauthenticated requests (LOCAL TESTS ONLY: anyone who can connect can inject or flood events)")
	f.StringVar(&o.spool, "spool", "", "where accepted batches are stored before they are acknowledged: a directory (created 0700), or nats://HOST[:PORT]/STREAM for a JetStream stream (required)")
	f.StringVar(&o.spoolMax, "spool-max-bytes", "1Gi", "accepted batches held in a directory spool before answering 503 (detection is behind)")
	f.StringVar(&o.journalMax, "journal-max-bytes", "256Mi", "undelivered alerts held for a failing sink before processing pauses")
	f.StringVar(&o.consumer, "consumer", "apiguard", "with a nats:// spool: the durable consumer the detectors of this process join")
	f.BoolVar(&o.detect, "detect", true, "with a nats:// spool: also run the detectors (false: only receive; run 'apiguard audit scan --from' elsewhere)")
	o.nats.add(f)
	f.StringVar(&o.maxBody, "max-body", "16Mi", "largest request body accepted (413 above)")
	f.IntVar(&o.maxBatchEvents, "max-batch-events", auditserve.DefaultMaxBatchEvents, "most events in one batch (413 above; kube-apiserver sends --audit-webhook-batch-max-size, default 400)")
	f.IntVar(&o.maxBatchMembers, "max-batch-members", auditserve.DefaultMaxBatchMembers, "most JSON members and array elements in one batch, bodies excluded (413 above; a real event has about 25)")
	f.StringVar(&o.bodyMinRate, "body-min-rate", "1Mi", "slowest body accepted, in bytes per second after a 5 s grace (408 below): slow senders cannot hold in-flight slots")
	f.IntVar(&o.maxInFlight, "max-in-flight", auditserve.DefaultMaxInFlight, "request bodies read, decoded and stored at once (429 above)")
	f.DurationVar(&o.dedupeWindow, "dedupe-window", auditserve.DefaultDedupeWindow, "how long an accepted event is remembered to drop its re-sends")
	f.IntVar(&o.dedupeKeys, "dedupe-keys", auditserve.DefaultDedupeKeys, "most events remembered for de-duplication (about 80 bytes each)")
	f.DurationVar(&o.drainTimeout, "drain-timeout", 30*time.Second, "at shutdown, how long in-flight requests may take to finish, then how long sinks may deliver (accepted batches are always processed; undelivered alerts wait in the journal)")
	f.StringVar(&o.metricsListen, "metrics-listen", "127.0.0.1:9464", `address of the plain-HTTP /metrics, /healthz and /readyz listener ("" disables it)`)
	f.StringArrayVar(&o.rules, "rules", nil, "YAML file of more detection rules, same format as the built-in ones (repeatable)")
	f.StringSliceVar(&o.allowCIDRs, "allow-cidrs", nil, "CIDRs requests are expected from; others alert (enables the rules that need it)")
	f.StringSliceVar(&o.podCIDRs, "pod-cidrs", nil, "pod network CIDRs (ServiceAccount tokens used from elsewhere alert)")
	f.StringSliceVar(&o.nodeCIDRs, "node-cidrs", nil, "node network CIDRs")
	f.BoolVar(&o.stdout, "stdout", true, "write alerts as JSON lines to stdout")
	f.StringVar(&o.out, "out", "", "append alerts as JSON lines to this file (exactly once, across crashes)")
	f.StringArrayVar(&o.webhooks, "webhook", nil, "POST each alert as JSON (Slack-compatible) to this URL, retried until delivered (repeatable)")
	f.StringArrayVar(&o.webhookHeaders, "webhook-header", nil, `header added to webhook requests, "Name: value" (repeatable)`)
	f.StringVar(&o.eventsOut, "events-out", "", "also append every processed event to this file as JSON lines (an audit log 'apiguard audit scan' reads)")
	f.Int64Var(&o.queueEvents, "queue-events", 0, "")
	f.StringVar(&o.queueBytes, "queue-bytes", "", "")
	f.MarkDeprecated("queue-events", "there is no in-memory queue any more: batches are stored in --spool (see --spool-max-bytes)")
	f.MarkDeprecated("queue-bytes", "there is no in-memory queue any more: batches are stored in --spool (see --spool-max-bytes)")
	return cmd
}

func (a *env) runAuditServe(cmd *cobra.Command, o *auditServeOptions) error {
	maxBody, err := byteSize("--max-body", o.maxBody)
	if err != nil {
		return err
	}
	minRate, err := byteSize("--body-min-rate", o.bodyMinRate)
	if err != nil {
		return err
	}
	spoolMax, err := byteSize("--spool-max-bytes", o.spoolMax)
	if err != nil {
		return err
	}
	journalMax, err := byteSize("--journal-max-bytes", o.journalMax)
	if err != nil {
		return err
	}
	if o.spool == "" {
		return usageErr("--spool is required: the receiver acknowledges only what it stored there (a directory, or nats://HOST/STREAM)")
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
	sinks, closeSinks, err := a.alertDeliverers(o.stdout, o.out, o.webhooks, o.webhookHeaders)
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
		inFlight := int64(max(o.maxInFlight, 1)) * auditserve.BatchMemoryBound(maxBody, o.maxBatchEvents, o.maxBatchMembers)
		debug.SetMemoryLimit(inFlight + 256<<20)
	}
	metrics := auditserve.NewMetrics()
	ctx := cmd.Context()
	var pipeline interface {
		auditserve.Ingest
		Run(ctx context.Context, accepting func() bool) error
	}
	if auditstream.IsURL(o.spool) {
		st, err := auditstream.Open(ctx, o.nats.options(o.spool, log))
		if err != nil {
			return inputErr(fmt.Errorf("--spool: %w", err))
		}
		defer st.Close()
		np := &natsPipeline{Stream: st}
		if o.detect {
			var archive *alertsink.FileDeliverer
			if o.eventsOut != "" {
				if archive, err = alertsink.OpenFileDeliverer(o.eventsOut); err != nil {
					return inputErr(fmt.Errorf("--events-out: %w", err))
				}
				defer archive.Close()
			}
			np.det, err = st.NewDetector(ctx, auditstream.DetectOptions{Consumer: o.consumer, Engine: engine, Sinks: sinks,
				Archive: archive, DedupeWindow: o.dedupeWindow, DedupeKeys: o.dedupeKeys, Metrics: metrics, Log: log})
			if err != nil {
				return inputErr(fmt.Errorf("--spool: %w", err))
			}
		} else if o.eventsOut != "" || o.out != "" || len(o.webhooks) > 0 {
			return usageErr("--detect=false: this process raises no alert; --out, --webhook and --events-out belong to the detectors ('apiguard audit scan --from %s --consumer NAME')", o.spool)
		}
		pipeline = np
	} else {
		l, err := auditserve.OpenLocal(auditserve.LocalConfig{Dir: o.spool, MaxBytes: spoolMax, JournalBytes: journalMax,
			Engine: engine, Sinks: sinks, EventsOut: o.eventsOut, DedupeWindow: o.dedupeWindow, DedupeKeys: o.dedupeKeys,
			SinkDrainTimeout: o.drainTimeout, Metrics: metrics, Log: log})
		if err != nil {
			return inputErr(err)
		}
		defer l.Close()
		pipeline = l
	}
	srv, err := auditserve.New(auditserve.Config{
		Listen: o.listen, Path: o.path, TLSCertFile: o.tlsCert, TLSKeyFile: o.tlsKey,
		ClientCAFile: o.clientCA, ClientNames: o.clientNames, TokenFile: o.tokenFile, InsecureNoAuth: o.insecureNoAuth,
		MaxBody: maxBody, MaxBatchEvents: o.maxBatchEvents, MaxBatchMembers: o.maxBatchMembers, MaxInFlight: o.maxInFlight,
		BodyMinRate: minRate, DedupeWindow: o.dedupeWindow, DedupeKeys: o.dedupeKeys, DrainTimeout: o.drainTimeout,
		MetricsListen: o.metricsListen, Ingest: pipeline, Metrics: metrics, Log: log,
		OnListen: func(w, m net.Addr) {
			metricsURL := "off"
			if m != nil {
				metricsURL = "http://" + m.String() + "/metrics"
			}
			log.Info("audit webhook receiver listening", "url", "https://"+w.String()+o.path, "auth", describeAuth(o),
				"spool", o.spool, "metrics", metricsURL, "rules", len(engine.Rules()))
		},
	})
	if err != nil {
		return usageErr("%v", err)
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
		return inputErr(runErr)
	}
	log.Info("stopped")
	return nil
}

func describeAuth(o *auditServeOptions) string {
	var auth []string
	if o.clientCA != "" {
		s := "client certificates from " + o.clientCA
		if len(o.clientNames) > 0 {
			s += " named " + strings.Join(o.clientNames, ",")
		}
		auth = append(auth, s)
	}
	if o.tokenFile != "" {
		auth = append(auth, "bearer token")
	}
	if o.insecureNoAuth {
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

// alertDeliverers opens the synchronous alert sinks: stdout, --out, --webhook.
func (a *env) alertDeliverers(stdout bool, out string, webhooks, headers []string) ([]alertsink.Deliverer, func(), error) {
	hdr, err := parseHeaders(headers)
	if err != nil {
		return nil, nil, err
	}
	var sinks []alertsink.Deliverer
	closeAll := func() {}
	if stdout {
		sinks = append(sinks, alertsink.NewStreamDeliverer(a.stdout, "stdout"))
	}
	if out != "" {
		f, err := alertsink.OpenFileDeliverer(out)
		if err != nil {
			return nil, nil, inputErr(fmt.Errorf("--out: %w", err))
		}
		sinks = append(sinks, f)
		closeAll = func() { f.Close() }
	}
	for _, u := range webhooks {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			closeAll()
			return nil, nil, usageErr("--webhook %q: want an http(s) URL", u)
		}
		sinks = append(sinks, alertsink.NewWebhookDeliverer(u, hdr, nil))
	}
	return sinks, closeAll, nil
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
