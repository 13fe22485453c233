// Command apiguard assesses, explains and hardens the security of the
// Kubernetes API server. Installed as kubectl-apiguard it is a kubectl plugin.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/apiguard/apiguard/internal/cli"
)

func main() {
	// The first SIGINT or SIGTERM ends the context: commands stop promptly
	// (audit serve drains, audit scan --follow reports). Then the default
	// handling is restored, so a second signal ends apiguard at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := cli.Run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
