package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/report"
)

// fixJSON writes what apiguard fix did as JSON.
func fixJSON(w io.Writer, r *app.FixResult) error { return report.WriteJSON(w, r) }

// fixText writes what apiguard fix did for a person: each change with its
// check and why, the files to install, the checks now passing, and what
// configuration alone could not fix.
func fixText(w io.Writer, r *app.FixResult) error {
	var b strings.Builder
	for i, s := range r.Servers {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s (Kubernetes %s)\n  fixed configuration: %s\n", s.Input, strings.TrimPrefix(s.Version, "v"), s.Output)
		if len(s.Changes) == 0 {
			b.WriteString("\nNo flag changes.\n")
		} else {
			fmt.Fprintf(&b, "\nChanges (%d):\n", len(s.Changes))
			for _, c := range s.Changes {
				old, nw := c.Old, c.New
				if old == "" {
					old = "(unset)"
				}
				if c.Action == "removed" {
					nw = "(removed)"
				}
				fmt.Fprintf(&b, "  %-13s %s: %s -> %s\n  %13s %s\n", c.Check, c.Flag, old, nw, "", c.Why)
			}
		}
		if len(s.Files) > 0 {
			fmt.Fprintf(&b, "\nFiles to install on every control-plane node (written under the output directory):\n")
			for _, f := range s.Files {
				fmt.Fprintf(&b, "  %s -> %s (%s)\n  %13s %s\n", f.Written, f.Path, strings.Join(f.Checks, ", "), "", f.Why)
				if f.Secret {
					fmt.Fprintf(&b, "  %13s holds a key generated just now from the system's random source: mode 0600, root only, back it up\n", "")
				}
			}
		}
		if len(s.Volumes) > 0 {
			var vs []string
			for _, v := range s.Volumes {
				vs = append(vs, v.Path)
			}
			fmt.Fprintf(&b, "\nHost directories the fixed server mounts: %s\n", strings.Join(vs, ", "))
		}
		fmt.Fprintf(&b, "\nChecks that fail now and pass on the fixed configuration (%d): %s\n", len(s.Fixed), strings.Join(s.Fixed, ", "))
		if len(s.Needs) == 0 {
			b.WriteString("\nNeeds you: nothing.\n")
			continue
		}
		fmt.Fprintf(&b, "\nNeeds you (%d): what configuration alone cannot fix\n", len(s.Needs))
		for _, n := range s.Needs {
			head := n.Check
			if n.Check != "" {
				head = fmt.Sprintf("[%s] %s %s", n.Severity, n.Check, n.Title)
			}
			fmt.Fprintf(&b, "  - %s\n    %s\n", strings.TrimSpace(head), n.What)
			for _, c := range n.Commands {
				fmt.Fprintf(&b, "      $ %s\n", c)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
