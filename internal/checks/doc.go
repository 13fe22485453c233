package checks

import (
	"fmt"
	"strings"

	"github.com/apiguard/apiguard/internal/check"
)

// Markdown renders the catalogue of checks: docs/checks.md is this output,
// and TestChecksDoc fails when the file drifts from the metadata.
func Markdown(all []check.Check) string {
	var b strings.Builder
	b.WriteString("# apiguard checks\n\n")
	b.WriteString("<!-- Generated from check metadata by `go test ./internal/checks -run TestChecksDoc -update`. Do not edit. -->\n\n")
	fmt.Fprintf(&b, "%d checks. IDs are stable: baselines, suppressions and SARIF rules refer to them.\n\n", len(all))
	b.WriteString("| ID | Layer | Severity | CIS 1.12 | Secure state |\n|---|---|---|---|---|\n")
	for _, c := range all {
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s | %s |\n", c.ID, strings.ToLower(c.ID), c.Layer, c.Severity, cell(c.CIS()), cell(c.Title))
	}
	for _, l := range check.Layers {
		var in []check.Check
		for _, c := range all {
			if c.Layer == l {
				in = append(in, c)
			}
		}
		if len(in) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n", l.Title())
		for _, c := range in {
			fmt.Fprintf(&b, "\n### %s\n\n**%s**  \n", c.ID, c.Title)
			fmt.Fprintf(&b, "Severity: %s", c.Severity)
			if cis := c.CIS(); cis != "" {
				fmt.Fprintf(&b, " · CIS %s", cis)
			}
			ins := make([]string, len(c.Inputs))
			for i, x := range c.Inputs {
				ins[i] = string(x)
			}
			fmt.Fprintf(&b, " · reads: %s\n\n", strings.Join(ins, ", "))
			fmt.Fprintf(&b, "%s\n\n**Remediation.** %s\n", c.Rationale, c.Remediation)
			if len(c.References) > 0 {
				b.WriteString("\nReferences:\n")
				for _, r := range c.References {
					t := r.Title
					if r.CIS != "" {
						t = "CIS " + r.CIS + ": " + t
					}
					if r.URL != "" {
						t = "[" + t + "](" + r.URL + ")"
					}
					fmt.Fprintf(&b, "- %s\n", t)
				}
			}
		}
	}
	return b.String()
}

func cell(s string) string {
	if s == "" {
		return "–"
	}
	return strings.ReplaceAll(s, "|", "\\|")
}
