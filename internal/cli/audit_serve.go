package cli

import (
	"log/slog"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/auditserve"
)

func (a *env) auditServeCmd() *cobra.Command {
	var (
		o                                          app.AuditServeOptions
		maxBody, bodyMinRate, spoolMax, journalMax string
		stdout                                     bool
		// deprecated (the in-memory queue is gone)
		queueEvents int64
		queueBytes  string
	)
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, s := range []struct {
				flag, v string
				to      *int64
			}{{"--max-body", maxBody, &o.MaxBody}, {"--body-min-rate", bodyMinRate, &o.BodyMinRate},
				{"--spool-max-bytes", spoolMax, &o.SpoolMaxBytes}, {"--journal-max-bytes", journalMax, &o.JournalMaxBytes}} {
				q, err := resource.ParseQuantity(s.v)
				if err != nil || q.Sign() <= 0 {
					return usageErr("%s %q: want a size such as 32Mi", s.flag, s.v)
				}
				*s.to = q.Value()
			}
			if stdout {
				o.Sinks.Stdout = a.stdout
			}
			o.Log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
			return app.AuditServe(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Listen, "listen", ":8443", "address of the webhook listener (HTTPS)")
	f.StringVar(&o.Path, "path", auditserve.DefaultPath, "the only path that accepts events (the server URL's path in the webhook kubeconfig)")
	f.StringVar(&o.TLSCertFile, "tls-cert", "", "serving certificate (PEM; re-read when the file changes)")
	f.StringVar(&o.TLSKeyFile, "tls-key", "", "serving key (PEM)")
	f.StringVar(&o.ClientCAFile, "client-ca", "", "CA bundle (PEM) that signs the API server's client certificate")
	f.StringArrayVar(&o.ClientNames, "client-name", nil, "accept only client certificates with this common name or DNS SAN (repeatable)")
	f.StringVar(&o.TokenFile, "token-file", "", "file holding the bearer token the API server sends (compared in constant time)")
	f.BoolVar(&o.InsecureNoAuth, "insecure-no-auth", false, "accept unauthenticated requests (LOCAL TESTS ONLY: anyone who can connect can inject or flood events)")
	f.StringVar(&o.Spool, "spool", "", "where accepted batches are stored before they are acknowledged: a directory (created 0700), or nats://HOST[:PORT]/STREAM for a JetStream stream (required)")
	f.StringVar(&spoolMax, "spool-max-bytes", "1Gi", "accepted batches held in a directory spool before answering 503 (detection is behind)")
	f.StringVar(&journalMax, "journal-max-bytes", "256Mi", "undelivered alerts held for a failing sink before processing pauses")
	f.StringVar(&o.Consumer, "consumer", "apiguard", "with a nats:// spool: the durable consumer the detectors of this process join")
	f.BoolVar(&o.Detect, "detect", true, "with a nats:// spool: also run the detectors (false: only receive; run 'apiguard audit scan --from' elsewhere)")
	natsFlags(f, &o.NATS)
	f.StringVar(&maxBody, "max-body", "16Mi", "largest request body accepted (413 above)")
	f.IntVar(&o.MaxBatchEvents, "max-batch-events", auditserve.DefaultMaxBatchEvents, "most events in one batch (413 above; kube-apiserver sends --audit-webhook-batch-max-size, default 400)")
	f.IntVar(&o.MaxBatchMembers, "max-batch-members", auditserve.DefaultMaxBatchMembers, "most JSON members and array elements in one batch, bodies excluded (413 above; a real event has about 25)")
	f.StringVar(&bodyMinRate, "body-min-rate", "1Mi", "slowest body accepted, in bytes per second after a 5 s grace (408 below): slow senders cannot hold in-flight slots")
	f.IntVar(&o.MaxInFlight, "max-in-flight", auditserve.DefaultMaxInFlight, "request bodies read, decoded and stored at once (429 above)")
	f.DurationVar(&o.DedupeWindow, "dedupe-window", auditserve.DefaultDedupeWindow, "how long an accepted event is remembered to drop its re-sends")
	f.IntVar(&o.DedupeKeys, "dedupe-keys", auditserve.DefaultDedupeKeys, "most events remembered for de-duplication (about 80 bytes each)")
	f.DurationVar(&o.DrainTimeout, "drain-timeout", 30*time.Second, "at shutdown, how long in-flight requests may take to finish, then how long sinks may deliver (accepted batches are always processed; undelivered alerts wait in the journal)")
	f.StringVar(&o.MetricsListen, "metrics-listen", "127.0.0.1:9464", `address of the plain-HTTP /metrics, /healthz and /readyz listener ("" disables it)`)
	detectionFlags(f, &o.Detection)
	f.BoolVar(&stdout, "stdout", true, "write alerts as JSON lines to stdout")
	f.StringVar(&o.Sinks.Out, "out", "", "append alerts as JSON lines to this file (exactly once, across crashes)")
	f.StringArrayVar(&o.Sinks.Webhooks, "webhook", nil, "POST each alert as JSON (Slack-compatible) to this URL, retried until delivered (repeatable)")
	f.StringArrayVar(&o.Sinks.Headers, "webhook-header", nil, `header added to webhook requests, "Name: value" (repeatable)`)
	f.StringVar(&o.EventsOut, "events-out", "", "also append every processed event to this file as JSON lines (an audit log 'apiguard audit scan' reads)")
	f.Int64Var(&queueEvents, "queue-events", 0, "")
	f.StringVar(&queueBytes, "queue-bytes", "", "")
	f.MarkDeprecated("queue-events", "there is no in-memory queue any more: batches are stored in --spool (see --spool-max-bytes)")
	f.MarkDeprecated("queue-bytes", "there is no in-memory queue any more: batches are stored in --spool (see --spool-max-bytes)")
	return cmd
}
