package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/app"
)

func (a *env) snapshotCmd() *cobra.Command {
	var o app.SnapshotOptions
	cmd := &cobra.Command{
		Use:   "snapshot --out DIR",
		Short: "Save what collection sees, to scan later with 'scan --snapshot DIR'",
		Long: `Save what collection sees (the kube-apiserver pods or manifests, the files
their flags point to when readable, the server version and platform, and what
could not be seen and why) to a directory. 'apiguard scan --snapshot DIR'
reproduces the same findings offline, elsewhere or later.

Secret data is never collected; a static token file is stored with its
tokens redacted.`,
		Example: `  apiguard snapshot --context prod --out prod-2026-11-27
  apiguard scan --snapshot prod-2026-11-27`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Inputs, o.Warn = a.liveInputs(o.Inputs), a.warn
			res, err := app.Snapshot(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "apiguard: snapshot of %s written to %s (%d kube-apiserver instance(s))\n", res.Target, res.Out, res.APIServers)
			return nil
		},
	}
	addInputFlags(cmd, &o.Inputs)
	cmd.Flags().StringVar(&o.Out, "out", "", "directory to write the snapshot to")
	a.kubeFlags(cmd)
	return cmd
}
