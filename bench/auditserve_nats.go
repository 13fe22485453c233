package main

import (
	"context"
	"fmt"
	"os"

	"github.com/apiguard/apiguard/internal/auditserve"
	"github.com/apiguard/apiguard/internal/auditstream"
	"github.com/apiguard/apiguard/internal/testsupport/auditload"
	"github.com/apiguard/apiguard/internal/testsupport/natsserver"
)

// benchJetStream: the same load through a JetStream stream as the spool
// (the receiver acknowledges after JetStream's publish acknowledgement) and
// a durable consumer running the rules in the same process (acknowledging
// each message after its alerts were delivered), on a real nats-server
// with file storage on loopback.
func benchJetStream(engine func() (auditserve.Processor, string, error)) error {
	bin := natsserver.Binary()
	if bin == "" {
		fmt.Println("JetStream spool: skipped (no nats-server: run test/e2e/build-binaries.sh or set APIGUARD_NATS_SERVER)")
		return nil
	}
	dir, err := os.MkdirTemp("", "apiguard-bench-nats")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := natsserver.Start(bin, dir, 0)
	if err != nil {
		return err
	}
	defer srv.Stop()
	eng, what, err := engine()
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, err := auditstream.Open(ctx, auditstream.Options{URL: srv.URL() + "/BENCH"})
	if err != nil {
		return err
	}
	defer st.Close()
	det, err := st.NewDetector(ctx, auditstream.DetectOptions{Consumer: "bench", Engine: eng})
	if err != nil {
		return err
	}
	return loadRun("JetStream spool (nats-server "+bin+", file storage), "+what, &auditload.NATS{Stream: st, Det: det}, det.Alerts)
}
