package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/apiguard/apiguard/internal/alertsink"
	"github.com/apiguard/apiguard/internal/auditlog"
	"github.com/apiguard/apiguard/internal/detect"
	"github.com/apiguard/apiguard/internal/report"
)

// AuditScanOptions is audit scan: the detection rules over audit logs
// (Inputs, or a JetStream stream with From).
type AuditScanOptions struct {
	// Inputs are files, directories of rotated logs, or "-" (standard input).
	Inputs []string
	// Follow keeps reading the last input as it grows, until ctx ends.
	Follow bool
	// From is a nats://HOST[:PORT]/STREAM read as the durable consumer
	// Consumer, until ctx ends (instead of Inputs).
	From, Consumer string
	NATS           NATSCredentials
	Detection      DetectionOptions
	// Policy (when its Path is set) is the audit policy the logs were
	// written under: the rules it leaves blind are reported.
	Policy PolicyFile
	// Sinks receive each alert as it is raised.
	Sinks AlertSinks
	// ListAlerts lists the alerts in the report (-o json), not only counts.
	ListAlerts bool
	// WarnBlind also writes the blind rules to Warnings (when the report's
	// table, which lists them, is not printed).
	WarnBlind bool
	// Workers decode in parallel (0: one per CPU; 1, and Follow, decode
	// and match in this goroutine).
	Workers int
	// Version is apiguard's, for the report.
	Version string
	// Warnings receives input problems as they are found.
	Warnings io.Writer
	// Progress, when set (a terminal), shows events/s, bytes and ETA every
	// ProgressEvery (default 500 ms) on one rewritten line.
	Progress      io.Writer
	ProgressEvery time.Duration
}

// AuditScanResult is the report, and what the input was worth.
type AuditScanResult struct {
	Report  *report.AuditScan
	Elapsed time.Duration
	// Unusable says no audit event could be read: the report stands, and
	// the scan fails (exit 2).
	Unusable error
	// InputFailed: an input could not be read (a warning said why).
	InputFailed bool
}

// Bounds of a scan whatever the log size: the input problems warned
// about, and the soft memory limit.
const (
	scanMaxProblems = 20
	scanMemoryLimit = 96 << 20
)

// AuditScan runs the detection rules over the inputs (or the stream).
func AuditScan(ctx context.Context, o AuditScanOptions) (*AuditScanResult, error) {
	hdr, err := o.Sinks.header()
	if err != nil {
		return nil, err
	}
	engine, err := o.Detection.engine()
	if err != nil {
		return nil, err
	}
	rep := report.NewAuditScan("apiguard", o.Version, o.Inputs)
	rep.ListAlerts, rep.Policy = o.ListAlerts, o.Policy.Path
	rep.Inactive = append(rep.Inactive, engine.Inactive()...)
	warn := func(msg string) {
		rep.Problems = append(rep.Problems, msg)
		fmt.Fprintln(o.Warnings, "apiguard: warning: "+msg)
	}
	if o.Policy.Path != "" {
		p, err := o.Policy.load(ctx)
		if err != nil {
			return nil, err
		}
		if p.Refused {
			warn(fmt.Sprintf("%s: kube-apiserver would refuse this policy (see apiguard audit policy lint); its rules are evaluated anyway", o.Policy.Path))
		}
		for _, c := range detect.Coverage(engine.Rules(), p) {
			if c.Status == "blind" {
				rep.Coverage = append(rep.Coverage, c)
				if o.WarnBlind {
					fmt.Fprintf(o.Warnings, "apiguard: warning: rule %s is blind under %s: %s\n", c.Rule, o.Policy.Path, c.Reason)
				}
			}
		}
	}
	if o.From != "" {
		return auditScanStream(ctx, o, engine, rep)
	}
	sink, sinkErrs, err := o.scanSinks(hdr)
	if err != nil {
		return nil, err
	}

	r, openErr := auditlog.OpenWith(ctx, auditlog.OpenOptions{Follow: o.Follow}, o.Inputs...)
	res := &AuditScanResult{Report: rep}
	if openErr != nil {
		res.InputFailed = true
		for _, e := range splitErrors(openErr) {
			warn(e.Error())
		}
	}
	if r == nil {
		sink.Close()
		return nil, Input(errors.New("no input could be read"))
	}
	defer r.Close()

	badShown := 0
	emit := func(al detect.Alert) {
		rep.Add(al)
		sink.Send(al)
	}
	onErr := func(err error) {
		var le *auditlog.LineError
		if errors.As(err, &le) {
			if badShown++; badShown <= scanMaxProblems {
				warn(err.Error())
			}
			return
		}
		res.InputFailed = true
		warn(err.Error())
	}

	// Decoding allocates fast and keeps little: collect less often (the
	// live heap is small and bounded) within a soft limit that keeps the
	// process under the memory budget, unless the user tuned the GC.
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(scanMemoryLimit))
	}
	stopProgress := o.progress(r)
	start := time.Now()
	if o.Follow || o.Workers == 1 {
		scanSerial(r, engine, emit, onErr, func() {
			if o.Follow {
				sink.Flush()
			}
		})
	} else {
		scanParallel(r, engine, o.Workers, emit, onErr)
	}
	for _, al := range engine.Flush() {
		emit(al)
	}
	stopProgress()
	res.Elapsed = time.Since(start)
	if err := sink.Close(); err != nil && *sinkErrs == 0 {
		fmt.Fprintln(o.Warnings, "apiguard: warning: "+err.Error())
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
	s.Sort()
	switch {
	case st.Events == 0 && (st.BadLines > 0 || res.InputFailed):
		res.Unusable = errors.New("no audit event could be read")
	case st.Events == 0 && !o.Follow:
		// Empty inputs (blank lines, empty EventLists) are no usable input:
		// a clean exit would pass a gate that analysed nothing. A followed
		// log may stay quiet until interrupted.
		res.Unusable = fmt.Errorf("no usable input: no audit event in %s", strings.Join(o.Inputs, ", "))
	}
	return res, nil
}

// scanSinks opens the sinks of a file scan: stdout, --out, --webhook
// (failures are warned about, the first scanMaxProblems of them; the
// count is returned).
func (o AuditScanOptions) scanSinks(hdr http.Header) (alertsink.Multi, *int, error) {
	var sinks []alertsink.Sink
	if o.Sinks.Stdout != nil {
		sinks = append(sinks, alertsink.JSONL(o.Sinks.Stdout, "stdout"))
	}
	if o.Sinks.Out != "" {
		f, err := alertsink.File(o.Sinks.Out)
		if err != nil {
			return alertsink.Multi{}, nil, Input(fmt.Errorf("--out: %w", err))
		}
		sinks = append(sinks, f)
	}
	if err := o.Sinks.checkWebhooks(); err != nil {
		return alertsink.Multi{}, nil, err
	}
	for _, u := range o.Sinks.Webhooks {
		sinks = append(sinks, alertsink.NewWebhook(u, alertsink.WebhookOptions{Header: hdr, OnError: func(err error) {
			fmt.Fprintln(o.Warnings, "apiguard: warning: webhook: "+err.Error())
		}}))
	}
	errs := new(int)
	return alertsink.Multi{Sinks: sinks, OnError: func(s alertsink.Sink, err error) {
		if *errs++; *errs <= scanMaxProblems {
			fmt.Fprintln(o.Warnings, "apiguard: warning: "+err.Error())
		}
	}}, errs, nil
}

func splitErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
