package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/apiguard/apiguard/internal/auditstream"
	"github.com/apiguard/apiguard/internal/detect"
	"github.com/apiguard/apiguard/internal/report"
)

// auditScanStream is audit scan --from: a durable JetStream consumer that
// runs until ctx is done, then reports like a file scan.
func auditScanStream(ctx context.Context, o AuditScanOptions, engine *detect.Engine, rep *report.AuditScan) (*AuditScanResult, error) {
	if !auditstream.IsURL(o.From) {
		return nil, Input(fmt.Errorf("--from %q: want nats://HOST[:PORT]/STREAM", o.From))
	}
	if o.Consumer == "" {
		return nil, Input(fmt.Errorf("--from needs --consumer NAME: the durable consumer this process joins"))
	}
	if o.Follow {
		return nil, Input(fmt.Errorf("--follow reads files; --from already runs until interrupted"))
	}
	rep.Inputs = []string{o.From}
	sinks, closeSinks, err := o.Sinks.deliverers()
	if err != nil {
		return nil, err
	}
	defer closeSinks()
	log := slog.New(slog.NewTextHandler(o.Warnings, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := auditstream.Open(ctx, o.NATS.options(o.From, log))
	if err != nil {
		return nil, Input(fmt.Errorf("--from: %w", err))
	}
	defer st.Close()
	det, err := st.NewDetector(ctx, auditstream.DetectOptions{Consumer: o.Consumer, Engine: engine, Sinks: sinks, Log: log,
		OnAlert: rep.Add})
	if err != nil {
		return nil, Input(fmt.Errorf("--from: %w", err))
	}
	start := time.Now()
	if err := det.Run(ctx); err != nil {
		return nil, Input(err)
	}
	rep.Summary.Events = det.Processed()
	rep.Summary.Sort()
	return &AuditScanResult{Report: rep, Elapsed: time.Since(start)}, nil
}
