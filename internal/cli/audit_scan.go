package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/alertsink"
	"github.com/apiguard/apiguard/internal/auditlog"
	"github.com/apiguard/apiguard/internal/auditstream"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/detect"
)

type auditScanOptions struct {
	follow                          bool
	rules                           []string
	policy                          string
	allowCIDRs, podCIDRs, nodeCIDRs []string
	format                          string
	out                             string
	webhooks, webhookHeaders        []string
	failOn                          string
	workers                         int
	from, consumer                  string
	nats                            natsFlags
}

// Bounds of what a scan holds in memory for its report, whatever the log
// size: alerts listed by -o json, and input problems printed.
const (
	scanMaxJSONAlerts = 10000
	scanMaxProblems   = 20
	scanMemoryLimit   = 96 << 20
)

func (a *env) auditScanCmd() *cobra.Command {
	o := &auditScanOptions{}
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
			if o.from != "" {
				if len(args) > 0 {
					return usageErr("--from reads a stream: give no FILE arguments")
				}
				return nil
			}
			return cobra.MinimumNArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error { return a.runAuditScan(cmd.Context(), o, args) },
	}
	f := cmd.Flags()
	f.BoolVar(&o.follow, "follow", false, "keep reading the last input as it grows (across rotation) until interrupted")
	f.StringArrayVar(&o.rules, "rules", nil, "YAML file of more detection rules, same format as the built-in ones (repeatable)")
	f.StringVar(&o.policy, "policy", "", "the audit policy the logs were written under: report the rules it leaves blind")
	f.StringSliceVar(&o.allowCIDRs, "allow-cidrs", nil, "CIDRs requests are expected from; others alert (enables the rules that need it)")
	f.StringSliceVar(&o.podCIDRs, "pod-cidrs", nil, "pod network CIDRs (ServiceAccount tokens used from elsewhere alert)")
	f.StringSliceVar(&o.nodeCIDRs, "node-cidrs", nil, "node network CIDRs")
	f.StringVarP(&o.format, "output", "o", "table", "output format: table (summary at the end), jsonl (one alert per line), json")
	f.StringVar(&o.out, "out", "", "append alerts as JSON lines to this file")
	f.StringArrayVar(&o.webhooks, "webhook", nil, "POST each alert as JSON (Slack-compatible) to this URL, with retries (repeatable)")
	f.StringArrayVar(&o.webhookHeaders, "webhook-header", nil, `header added to webhook requests, "Name: value" (repeatable)`)
	f.StringVar(&o.failOn, "fail-on", "high", "exit 1 when an alert is at or above this severity (info, low, medium, high, critical, or none)")
	f.IntVar(&o.workers, "workers", 0, "decoding goroutines (default: the number of CPUs)")
	f.StringVar(&o.from, "from", "", "read a JetStream stream (nats://HOST[:PORT]/STREAM) as a durable consumer instead of files")
	f.StringVar(&o.consumer, "consumer", "", "with --from: the durable consumer's name; processes sharing it share the work")
	o.nats.add(f)
	return cmd
}

// scanSummary accumulates what a scan reports at the end, bounded whatever
// the log size.
type scanSummary struct {
	Events     int64            `json:"events"`
	Lines      int64            `json:"lines"`
	Bytes      int64            `json:"bytes"`
	Files      int64            `json:"files"`
	BadLines   int64            `json:"badLines"`
	Alerts     int64            `json:"alerts"`
	BySeverity map[string]int64 `json:"bySeverity"`
	ByRule     []*ruleSummary   `json:"byRule"`
	// AlertsOmitted counts alerts beyond the ones listed (-o json).
	AlertsOmitted int64 `json:"alertsOmitted,omitempty"`
	byRule        map[string]*ruleSummary
}

type ruleSummary struct {
	Rule     string         `json:"rule"`
	Title    string         `json:"title"`
	Severity check.Severity `json:"severity"`
	Tactic   string         `json:"tactic"`
	Count    int64          `json:"count"`
	First    time.Time      `json:"first"`
	Last     time.Time      `json:"last"`
	Example  string         `json:"example"`
}

func (s *scanSummary) add(al detect.Alert) {
	s.Alerts++
	s.BySeverity[al.Severity.String()]++
	r := s.byRule[al.Rule]
	if r == nil {
		r = &ruleSummary{Rule: al.Rule, Title: al.Title, Severity: al.Severity, Tactic: al.Tactic, First: al.Timestamp, Example: al.Message}
		s.byRule[al.Rule] = r
		s.ByRule = append(s.ByRule, r)
	}
	r.Count++
	if al.Timestamp.Before(r.First) {
		r.First = al.Timestamp
	}
	if al.Timestamp.After(r.Last) {
		r.Last = al.Timestamp
	}
}

func (s *scanSummary) sort() {
	sort.SliceStable(s.ByRule, func(i, j int) bool {
		a, b := s.ByRule[i], s.ByRule[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Rule < b.Rule
	})
}

type scanReport struct {
	Tool     string                `json:"tool"`
	Version  string                `json:"version"`
	Inputs   []string              `json:"inputs"`
	Alerts   []detect.Alert        `json:"alerts"`
	Summary  *scanSummary          `json:"summary"`
	Coverage []detect.RuleCoverage `json:"blind"`
	Inactive []detect.InactiveRule `json:"inactive"`
	Problems []string              `json:"problems"`
}

// add counts an alert in the summary and, for -o json, lists it (at most
// scanMaxJSONAlerts).
func (r *scanReport) add(al detect.Alert, list bool) {
	r.Summary.add(al)
	if !list {
		return
	}
	if len(r.Alerts) < scanMaxJSONAlerts {
		r.Alerts = append(r.Alerts, al)
	} else {
		r.Summary.AlertsOmitted++
	}
}

func (a *env) runAuditScan(ctx context.Context, o *auditScanOptions, args []string) error {
	switch o.format {
	case "table", "jsonl", "json":
	default:
		return usageErr("-o %q: want one of table, jsonl, json", o.format)
	}
	threshold, never, err := parseFailOn(o.failOn)
	if err != nil {
		return err
	}
	if o.follow {
		for _, p := range args {
			if p == "-" {
				return usageErr("--follow cannot read standard input (-): follow a file")
			}
		}
	}
	headers, err := parseHeaders(o.webhookHeaders)
	if err != nil {
		return err
	}
	engine, err := newDetectEngine(o.rules, o.allowCIDRs, o.podCIDRs, o.nodeCIDRs)
	if err != nil {
		return err
	}
	rep := &scanReport{Tool: "apiguard", Version: Version, Inputs: args, Alerts: []detect.Alert{},
		Summary:  &scanSummary{BySeverity: map[string]int64{}, ByRule: []*ruleSummary{}, byRule: map[string]*ruleSummary{}},
		Coverage: []detect.RuleCoverage{}, Inactive: append([]detect.InactiveRule{}, engine.Inactive()...), Problems: []string{}}
	warn := func(msg string) {
		rep.Problems = append(rep.Problems, msg)
		fmt.Fprintln(a.stderr, "apiguard: warning: "+msg)
	}
	if o.policy != "" {
		p, err := a.loadAuditPolicy(o.policy)
		if err != nil {
			return err
		}
		if p.Refused {
			warn(fmt.Sprintf("%s: kube-apiserver would refuse this policy (see apiguard audit policy lint); its rules are evaluated anyway", o.policy))
		}
		for _, c := range detect.Coverage(engine.Rules(), p) {
			if c.Status == "blind" {
				rep.Coverage = append(rep.Coverage, c)
				if o.format != "table" {
					fmt.Fprintf(a.stderr, "apiguard: warning: rule %s is blind under %s: %s\n", c.Rule, o.policy, c.Reason)
				}
			}
		}
	}

	if o.from != "" {
		return a.auditScanStream(ctx, o, engine, rep, threshold, never)
	}

	// Sinks: stdout (jsonl), --out, --webhook.
	var sinks []alertsink.Sink
	if o.format == "jsonl" {
		sinks = append(sinks, alertsink.JSONL(a.stdout, "stdout"))
	}
	if o.out != "" {
		f, err := alertsink.File(o.out)
		if err != nil {
			return inputErr(fmt.Errorf("--out: %w", err))
		}
		sinks = append(sinks, f)
	}
	for _, u := range o.webhooks {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return usageErr("--webhook %q: want an http(s) URL", u)
		}
		sinks = append(sinks, alertsink.NewWebhook(u, alertsink.WebhookOptions{Header: headers, OnError: func(err error) {
			fmt.Fprintln(a.stderr, "apiguard: warning: webhook: "+err.Error())
		}}))
	}
	sinkErrs := 0
	multi := alertsink.Multi{Sinks: sinks, OnError: func(s alertsink.Sink, err error) {
		if sinkErrs++; sinkErrs <= scanMaxProblems {
			fmt.Fprintln(a.stderr, "apiguard: warning: "+err.Error())
		}
	}}

	r, openErr := auditlog.OpenWith(ctx, auditlog.OpenOptions{Follow: o.follow}, args...)
	inputFailed := false
	if openErr != nil {
		inputFailed = true
		for _, e := range splitErrors(openErr) {
			warn(e.Error())
		}
	}
	if r == nil {
		multi.Close()
		return inputErr(errors.New("no input could be read"))
	}
	defer r.Close()

	badShown := 0
	emit := func(al detect.Alert) {
		rep.add(al, o.format == "json")
		multi.Send(al)
	}
	onErr := func(err error) {
		var le *auditlog.LineError
		if errors.As(err, &le) {
			if badShown++; badShown <= scanMaxProblems {
				warn(err.Error())
			}
			return
		}
		inputFailed = true
		warn(err.Error())
	}

	// Decoding allocates fast and keeps little: collect less often (the
	// live heap is small and bounded) within a soft limit that keeps the
	// process under the memory budget, unless the user tuned the GC.
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(scanMemoryLimit))
	}
	stopProgress := a.scanProgress(r, o.follow)
	start := time.Now()
	if o.follow || o.workers == 1 {
		for {
			ev, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				onErr(err)
				continue
			}
			for _, al := range engine.Process(ev) {
				al.Source = r.Position().String()
				emit(al)
			}
			if o.follow {
				multi.Flush()
			}
		}
	} else {
		workers := o.workers
		if workers <= 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		p := auditlog.NewParallel(r, workers, func() func(*auditv1.Event) []detect.Match {
			m := engine.NewMatcher()
			return func(ev *auditv1.Event) []detect.Match { return m.Match(ev, nil) }
		})
		for {
			d, err := p.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if d.Err != nil {
				onErr(d.Err)
				continue
			}
			if len(d.Result) == 0 {
				continue
			}
			for _, al := range engine.Commit(d.Event, d.Result) {
				al.Source = d.Pos.String()
				emit(al)
			}
		}
		p.Close()
	}
	for _, al := range engine.Flush() {
		emit(al)
	}
	stopProgress()
	elapsed := time.Since(start)
	if err := multi.Close(); err != nil && sinkErrs == 0 {
		fmt.Fprintln(a.stderr, "apiguard: warning: "+err.Error())
	}
	st := r.Stats()
	s := rep.Summary
	s.Events, s.Lines, s.Bytes, s.Files, s.BadLines = st.Events, st.Lines, st.Bytes, st.Files, st.BadLines
	if badShown > scanMaxProblems {
		warn(fmt.Sprintf("... and %d more undecodable lines", badShown-scanMaxProblems))
	}
	for _, rs := range engine.Stats() {
		if rs.Errors > 0 {
			warn(fmt.Sprintf("rule %s failed to evaluate on %d events: %s", rs.Rule, rs.Errors, rs.LastError))
		}
	}
	s.sort()
	if err := a.renderAuditScan(rep, o, elapsed); err != nil {
		return err
	}

	if st.Events == 0 && (st.BadLines > 0 || inputFailed) {
		return &exitError{code: ExitUsage, err: errors.New("no audit event could be read")}
	}
	if st.Events == 0 && !o.follow {
		// Empty inputs (blank lines, empty EventLists) are no usable input:
		// a clean exit would pass a gate that analysed nothing. A followed
		// log may stay quiet until interrupted.
		return &exitError{code: ExitUsage, err: fmt.Errorf("no usable input: no audit event in %s", strings.Join(args, ", "))}
	}
	if !never {
		for _, rs := range s.ByRule {
			if rs.Severity >= threshold {
				return &exitError{code: ExitFindings}
			}
		}
	}
	if inputFailed {
		return &exitError{code: ExitUsage}
	}
	return nil
}

// renderAuditScan writes the report in the -o format (jsonl: the alerts
// were written as they came; a summary on a terminal).
func (a *env) renderAuditScan(rep *scanReport, o *auditScanOptions, elapsed time.Duration) error {
	switch o.format {
	case "json":
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "table":
		a.printScanTable(rep, o.policy)
	case "jsonl":
		if isTerminal(a.stderr) {
			fmt.Fprintf(a.stderr, "apiguard: %s in %s\n", scanTotals(rep.Summary), elapsed.Round(time.Millisecond))
		}
	}
	return nil
}

// auditScanStream is audit scan --from: a durable JetStream consumer that
// runs until ctx is done, then reports like a file scan.
func (a *env) auditScanStream(ctx context.Context, o *auditScanOptions, engine *detect.Engine, rep *scanReport, threshold check.Severity, never bool) error {
	if !auditstream.IsURL(o.from) {
		return usageErr("--from %q: want nats://HOST[:PORT]/STREAM", o.from)
	}
	if o.consumer == "" {
		return usageErr("--from needs --consumer NAME: the durable consumer this process joins")
	}
	if o.follow {
		return usageErr("--follow reads files; --from already runs until interrupted")
	}
	rep.Inputs = []string{o.from}
	sinks, closeSinks, err := a.alertDeliverers(o.format == "jsonl", o.out, o.webhooks, o.webhookHeaders)
	if err != nil {
		return err
	}
	defer closeSinks()
	log := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := auditstream.Open(ctx, o.nats.options(o.from, log))
	if err != nil {
		return inputErr(fmt.Errorf("--from: %w", err))
	}
	defer st.Close()
	det, err := st.NewDetector(ctx, auditstream.DetectOptions{Consumer: o.consumer, Engine: engine, Sinks: sinks, Log: log,
		OnAlert: func(al detect.Alert) { rep.add(al, o.format == "json") }})
	if err != nil {
		return inputErr(fmt.Errorf("--from: %w", err))
	}
	start := time.Now()
	if err := det.Run(ctx); err != nil {
		return inputErr(err)
	}
	rep.Summary.Events = det.Processed()
	rep.Summary.sort()
	if err := a.renderAuditScan(rep, o, time.Since(start)); err != nil {
		return err
	}
	if !never {
		for _, rs := range rep.Summary.ByRule {
			if rs.Severity >= threshold {
				return &exitError{code: ExitFindings}
			}
		}
	}
	return nil
}

func splitErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func parseHeaders(hs []string) (http.Header, error) {
	h := http.Header{}
	for _, x := range hs {
		k, v, ok := strings.Cut(x, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, usageErr("--webhook-header %q: want \"Name: value\"", x)
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return h, nil
}

func scanTotals(s *scanSummary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s events", thousands(s.Events))
	if s.Files > 0 {
		fmt.Fprintf(&b, " in %d file%s (%s)", s.Files, plural(s.Files), humanBytes(s.Bytes))
	}
	if s.Alerts == 0 {
		b.WriteString(": no alert")
		return b.String()
	}
	var sev []string
	for i := check.Critical; i >= check.Info; i-- {
		if n := s.BySeverity[i.String()]; n > 0 {
			sev = append(sev, fmt.Sprintf("%d %s", n, i))
		}
	}
	fmt.Fprintf(&b, ": %d alert%s (%s) from %d rule%s", s.Alerts, plural(s.Alerts), strings.Join(sev, ", "), len(s.ByRule), plural(int64(len(s.ByRule))))
	return b.String()
}

func (a *env) printScanTable(rep *scanReport, policy string) {
	s := rep.Summary
	w := a.stdout
	if len(s.ByRule) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SEVERITY\tRULE\tTACTIC\tALERTS\tFIRST SEEN\tTITLE")
		for _, r := range s.ByRule {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", r.Severity, r.Rule, r.Tactic, r.Count, r.First.UTC().Format(time.RFC3339), r.Title)
		}
		tw.Flush()
		fmt.Fprintln(w)
		fmt.Fprintln(w, "First alert of each rule:")
		for _, r := range s.ByRule {
			fmt.Fprintf(w, "  %s  %s\n", r.Rule, truncate(r.Example, 160))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, capitalize(scanTotals(s))+".")
	if s.BadLines > 0 {
		fmt.Fprintf(w, "%d undecodable line%s (see the warnings).\n", s.BadLines, plural(s.BadLines))
	}
	if len(rep.Coverage) > 0 {
		fmt.Fprintf(w, "\nBlind under %s (%d rule%s cannot see what they need):\n", policy, len(rep.Coverage), plural(int64(len(rep.Coverage))))
		for _, c := range rep.Coverage {
			fmt.Fprintf(w, "  %s  %s\n", c.Rule, c.Reason)
		}
	}
	if len(rep.Inactive) > 0 {
		fmt.Fprintf(w, "\nInactive (%d rule%s):\n", len(rep.Inactive), plural(int64(len(rep.Inactive))))
		for _, in := range rep.Inactive {
			fmt.Fprintf(w, "  %s  %s\n", in.Rule, in.Reason)
		}
	}
}

// Progress of long scans: how often, and the terminal test (variables so
// that a test can see the line without a terminal).
var (
	progressEvery    = 500 * time.Millisecond
	progressTerminal = isTerminal
)

// scanProgress prints events/s, bytes and ETA on stderr when it is a
// terminal; it returns the function that stops and clears it.
func (a *env) scanProgress(r *auditlog.Reader, follow bool) func() {
	if !progressTerminal(a.stderr) {
		return func() {}
	}
	var stopped atomic.Bool
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for range t.C {
			if stopped.Load() {
				return
			}
			st := r.Stats()
			el := time.Since(start).Seconds()
			line := fmt.Sprintf("%s events  %.0f events/s  %s", thousands(st.Events), float64(st.Events)/el, humanBytes(st.Bytes))
			if st.TotalBytes > 0 && !follow {
				line += " of " + humanBytes(st.TotalBytes)
				if st.Bytes > 0 && st.Bytes < st.TotalBytes {
					eta := time.Duration(el * float64(st.TotalBytes-st.Bytes) / float64(st.Bytes) * float64(time.Second))
					line += "  ETA " + eta.Round(time.Second).String()
				}
			}
			fmt.Fprintf(a.stderr, "\r\033[K%s", line)
		}
	}()
	return func() {
		stopped.Store(true)
		<-done
		fmt.Fprint(a.stderr, "\r\033[K")
	}
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
