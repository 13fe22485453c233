package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/checks"
	"github.com/apiguard/apiguard/internal/report"
)

func (a *env) checksCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "checks",
		Short: "List every check",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "json", "markdown"); err != nil {
				return err
			}
			all := checks.All()
			if format == "markdown" {
				_, err := fmt.Fprint(a.stdout, checks.Markdown(all))
				return err
			}
			ms := make([]check.Metadata, len(all))
			for i, c := range all {
				ms[i] = c.Metadata
			}
			return report.Checks(a.stdout, format, ms)
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output format: table, json or markdown")
	return cmd
}

func (a *env) explainCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "explain CHECK-ID",
		Short: "Print one check's metadata: why it matters and how to fix it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ok := checks.ByID(strings.ToUpper(args[0]))
			if !ok {
				return usageErr("no check %q (run 'apiguard checks' for the list)", args[0])
			}
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			return report.Explain(a.stdout, format, c.Metadata)
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	return cmd
}
