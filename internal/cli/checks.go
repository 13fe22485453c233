package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

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
			all := checks.All()
			switch format {
			case "json":
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(metadataOf(all))
			case "markdown":
				_, err := fmt.Fprint(a.stdout, checks.Markdown(all))
				return err
			case "table":
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tLAYER\tSEVERITY\tCIS\tTITLE")
				for _, c := range all {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Layer, c.Severity, report.Dash(c.CIS()), c.Title)
				}
				return tw.Flush()
			}
			return usageErr("-o %q: want table, json or markdown", format)
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
			if format == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(c.Metadata)
			}
			if format != "text" {
				return usageErr("-o %q: want text or json", format)
			}
			fmt.Fprint(a.stdout, explainText(c.Metadata))
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	return cmd
}

func explainText(m check.Metadata) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s\n\n", m.ID, m.Title)
	fmt.Fprintf(&b, "Layer:     %s\nSeverity:  %s\n", m.Layer.Title(), m.Severity)
	if cis := m.CIS(); cis != "" {
		fmt.Fprintf(&b, "CIS:       %s (CIS Kubernetes Benchmark v1.12)\n", cis)
	}
	inputs := make([]string, len(m.Inputs))
	for i, in := range m.Inputs {
		inputs[i] = string(in)
	}
	fmt.Fprintf(&b, "Reads:     %s\n", report.Dash(strings.Join(inputs, ", ")))
	if m.MinVersion != "" || m.MaxVersion != "" {
		fmt.Fprintf(&b, "Applies:   Kubernetes %s to %s\n", report.Dash(m.MinVersion), report.Dash(m.MaxVersion))
	}
	fmt.Fprintf(&b, "\nWhy it matters\n  %s\n\nRemediation\n  %s\n", m.Rationale, m.Remediation)
	if len(m.References) > 0 {
		b.WriteString("\nReferences\n")
		for _, r := range m.References {
			line := r.Title
			if r.CIS != "" {
				line = "CIS " + r.CIS + ": " + line
			}
			if r.URL != "" {
				line += " <" + r.URL + ">"
			}
			fmt.Fprintf(&b, "  - %s\n", line)
		}
	}
	return b.String()
}
