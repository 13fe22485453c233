package cli

import (
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/report"
)

// Progress of long scans: how often, and the terminal test (variables so
// that a test can see the line without a terminal).
var (
	progressEvery    = 500 * time.Millisecond
	progressTerminal = isTerminal
)

func (a *env) auditScanCmd() *cobra.Command {
	var (
		o              app.AuditScanOptions
		format, failOn string
	)
	cmd := &cobra.Command{
		Use:   "scan (FILE|DIR|- ... | --from nats://HOST/STREAM --consumer NAME)",
		Short: "Detect attacks in kube-apiserver audit logs",
		Long: `Run the detection rules (apiguard audit rules) over audit logs, after the fact
or live (--follow).

Inputs: JSON-lines audit logs (an Event or an EventList per line), gzip
files (detected by content), directories of rotated logs (read oldest first:
kube-apiserver's backups audit-2026-11-27T10-00-00.000.log[.gz] by the time in
their name, the active log last), and - for standard input. --follow keeps
reading the last input as it grows, across rotation, until interrupted.
Unknown and newer event fields are ignored; an undecodable line is reported
with its file and line and the rest is analysed.

Alerts: -o jsonl writes one JSON alert per line as it is raised; -o table and
-o json report at the end (json lists at most 10000 alerts, the summary counts
them all). --out appends the JSON lines to a file and --webhook posts each alert
(JSON with a Slack-compatible "text") with retries.

--from nats://HOST/STREAM --consumer NAME reads a JetStream stream that
'apiguard audit serve --spool nats://...' fills, as a durable consumer: every
process started with the same --consumer takes its share of the messages, and
a message is acknowledged only after its alerts were delivered to every sink
(stdout with -o jsonl, --out, --webhook; retried until they are), so a
detector that dies loses nothing. Alerts are de-duplicated across processes
and redeliveries. It runs until interrupted (SIGINT/SIGTERM), then reports.

--policy names the audit policy the logs were written under: rules that need
a level it does not record for their requests are reported as blind.
--allow-cidrs, --pod-cidrs and --node-cidrs enable the rules about where
requests and ServiceAccount tokens come from.

Exit: 0 no alert at or above --fail-on, 1 alerts, 2 usage or input error (an
input that cannot be read, a bad flag or rules file; undecodable lines alone
are warnings unless no event could be read).`,
		Example: `  apiguard audit scan /var/log/kubernetes/audit/
  apiguard audit scan audit.log.gz --policy /etc/kubernetes/audit-policy.yaml -o json
  kubectl logs -n kube-system kube-apiserver-cp1 | apiguard audit scan - -o jsonl
  apiguard audit scan --follow /var/log/kubernetes/audit/audit.log --webhook https://hooks.slack.com/services/...
  apiguard audit scan --from nats://nats.apiguard.svc:4222/AUDIT --consumer detectors -o jsonl`,
		Args: func(cmd *cobra.Command, args []string) error {
			if o.From != "" {
				if len(args) > 0 {
					return usageErr("--from reads a stream: give no FILE arguments")
				}
				return nil
			}
			return cobra.MinimumNArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "table", "jsonl", "json", "html"); err != nil {
				return err
			}
			threshold, never, err := parseFailOn(failOn)
			if err != nil {
				return err
			}
			if o.Follow {
				for _, p := range args {
					if p == "-" {
						return usageErr("--follow cannot read standard input (-): follow a file")
					}
				}
			}
			o.Inputs, o.Version, o.Policy.Stdin = args, Version, os.Stdin
			if format == "jsonl" {
				o.Sinks.Stdout = a.stdout
			}
			o.ListAlerts, o.WarnBlind, o.Warnings = format == "json" || format == "html", format != "table" && format != "html", a.stderr
			if progressTerminal(a.stderr) {
				o.Progress, o.ProgressEvery = a.stderr, progressEvery
			}
			res, err := app.AuditScan(cmd.Context(), o)
			if err != nil {
				return err
			}
			switch format {
			case "json":
				if err := report.WriteJSON(a.stdout, res.Report); err != nil {
					return err
				}
			case "html":
				if err := report.AuditScanHTML(a.stdout, res.Report, threshold, never); err != nil {
					return err
				}
			case "table":
				report.AuditScanTable(a.stdout, res.Report)
			case "jsonl":
				if isTerminal(a.stderr) {
					report.AuditScanDone(a.stderr, res.Report.Summary, res.Elapsed)
				}
			}
			if res.Unusable != nil {
				return inputErr(res.Unusable)
			}
			if !never && res.Report.Summary.AtOrAbove(threshold) {
				return &exitError{code: ExitFindings}
			}
			if res.InputFailed {
				return &exitError{code: ExitUsage}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.Follow, "follow", false, "keep reading the last input as it grows (across rotation) until interrupted")
	f.StringVar(&o.Policy.Path, "policy", "", "the audit policy the logs were written under: report the rules it leaves blind")
	detectionFlags(f, &o.Detection)
	f.StringVarP(&format, "output", "o", "table", "output format: table (summary at the end), jsonl (one alert per line), json, html (a self-contained report: alerts over time, each alert's event)")
	f.StringVar(&o.Sinks.Out, "out", "", "append alerts as JSON lines to this file")
	f.StringArrayVar(&o.Sinks.Webhooks, "webhook", nil, "POST each alert as JSON (Slack-compatible) to this URL, with retries (repeatable)")
	f.StringArrayVar(&o.Sinks.Headers, "webhook-header", nil, `header added to webhook requests, "Name: value" (repeatable)`)
	f.StringVar(&failOn, "fail-on", "high", "exit 1 when an alert is at or above this severity (info, low, medium, high, critical, or none)")
	f.IntVar(&o.Workers, "workers", 0, "decoding goroutines (default: the number of CPUs)")
	f.StringVar(&o.From, "from", "", "read a JetStream stream (nats://HOST[:PORT]/STREAM) as a durable consumer instead of files")
	f.StringVar(&o.Consumer, "consumer", "", "with --from: the durable consumer's name; processes sharing it share the work")
	natsFlags(f, &o.NATS)
	return cmd
}
