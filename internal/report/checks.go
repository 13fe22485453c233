package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/apiguard/apiguard/internal/check"
)

// Checks writes apiguard checks' list: table or json (the markdown of
// docs/checks.md is checks.Markdown's).
func Checks(w io.Writer, format string, ms []check.Metadata) error {
	return document(w, format, ms, func(b *bytes.Buffer) {
		tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tLAYER\tSEVERITY\tCIS\tTITLE")
		for _, m := range ms {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.ID, m.Layer, m.Severity, Dash(m.CIS()), m.Title)
		}
		tw.Flush()
	})
}

// Explain writes one check's metadata, apiguard explain's answer: text
// (why it matters, how to fix it) or json.
func Explain(w io.Writer, format string, m check.Metadata) error {
	return document(w, format, m, func(b *bytes.Buffer) { explainText(b, m) })
}

func explainText(b *bytes.Buffer, m check.Metadata) {
	fmt.Fprintf(b, "%s  %s\n\n", m.ID, m.Title)
	fmt.Fprintf(b, "Layer:     %s\nSeverity:  %s\n", m.Layer.Title(), m.Severity)
	if cis := m.CIS(); cis != "" {
		fmt.Fprintf(b, "CIS:       %s (CIS Kubernetes Benchmark v1.12)\n", cis)
	}
	inputs := make([]string, len(m.Inputs))
	for i, in := range m.Inputs {
		inputs[i] = string(in)
	}
	fmt.Fprintf(b, "Reads:     %s\n", Dash(strings.Join(inputs, ", ")))
	if m.MinVersion != "" || m.MaxVersion != "" {
		fmt.Fprintf(b, "Applies:   Kubernetes %s to %s\n", Dash(m.MinVersion), Dash(m.MaxVersion))
	}
	fmt.Fprintf(b, "\nWhy it matters\n  %s\n\nRemediation\n  %s\n", m.Rationale, m.Remediation)
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
			fmt.Fprintf(b, "  - %s\n", line)
		}
	}
}
