package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/inputs/offline"
)

func (a *env) snapshotCmd() *cobra.Command {
	var (
		in  inputFlags
		out string
	)
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
			if out == "" {
				return usageErr("--out DIR is required")
			}
			c, err := a.collect(cmd.Context(), in)
			if err != nil {
				return err
			}
			a.printProblems(c.snap)
			if err := offline.SaveSnapshot(c.snap, out, c.manifests); err != nil {
				return inputErr(fmt.Errorf("writing snapshot: %w", err))
			}
			fmt.Fprintf(a.stderr, "apiguard: snapshot of %s written to %s (%d kube-apiserver instance(s))\n", c.snap.Target, out, len(c.snap.APIServers))
			return nil
		},
	}
	in.add(cmd)
	cmd.Flags().StringVar(&out, "out", "", "directory to write the snapshot to")
	a.kubeFlags(cmd)
	return cmd
}
