package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/detect"
)

// ruleView is a rule as `apiguard audit rules -o json` lists it.
type ruleView struct {
	detect.Rule
	Coverage *detect.RuleCoverage `json:"coverage,omitempty"`
}

func (a *env) auditRulesCmd() *cobra.Command {
	var (
		format string
		files  []string
		policy string
	)
	cmd := &cobra.Command{
		Use:   "rules [ID...]",
		Short: "List the audit log detection rules",
		Long: `List the detection rules 'apiguard audit scan' and 'apiguard audit serve' run:
the built-in catalogue and the --rules files, grouped by tactic, with the audit
level each needs. With IDs, print those rules in full (description, CEL
condition). With --policy, each rule's representative request is evaluated
against that audit policy (kube-apiserver's own evaluator) and the rules it
leaves blind are marked.

The rule format and the CEL functions are in docs/audit-detection.md.`,
		Example: `  apiguard audit rules
  apiguard audit rules AG-DET-201
  apiguard audit rules --policy /etc/kubernetes/audit-policy.yaml
  apiguard audit rules --rules my-rules.yaml -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" {
				return usageErr("-o %q: want table or json", format)
			}
			rules := detect.Builtin()
			for _, f := range files {
				more, err := detect.LoadRules(f)
				if err != nil {
					return inputErr(err)
				}
				rules = append(rules, more...)
			}
			detect.SortRules(rules)
			if len(args) > 0 {
				var sel []detect.Rule
				for _, id := range args {
					found := false
					for _, r := range rules {
						if strings.EqualFold(r.ID, id) {
							sel = append(sel, r)
							found = true
						}
					}
					if !found {
						return usageErr("no rule %q (apiguard audit rules lists them)", id)
					}
				}
				rules = sel
			}
			cov := map[string]*detect.RuleCoverage{}
			if policy != "" {
				p, err := a.loadAuditPolicy(policy)
				if err != nil {
					return err
				}
				for _, c := range detect.Coverage(rules, p) {
					c := c
					cov[c.Rule] = &c
				}
			}
			if format == "json" {
				views := make([]ruleView, len(rules))
				for i, r := range rules {
					views[i] = ruleView{Rule: r, Coverage: cov[r.ID]}
				}
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(views)
			}
			if len(args) > 0 {
				for i, r := range rules {
					if i > 0 {
						fmt.Fprintln(a.stdout)
					}
					a.printRule(r, cov[r.ID])
				}
				return nil
			}
			a.printRulesTable(rules, cov, policy)
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output format: table or json")
	cmd.Flags().StringArrayVar(&files, "rules", nil, "YAML file of more detection rules to list (repeatable)")
	cmd.Flags().StringVar(&policy, "policy", "", "audit policy to check the rules against (blind rules are marked)")
	return cmd
}

func (a *env) printRulesTable(rules []detect.Rule, cov map[string]*detect.RuleCoverage, policy string) {
	w := a.stdout
	tactic := ""
	blind := 0
	for _, r := range rules {
		if r.Tactic != tactic {
			if tactic != "" {
				fmt.Fprintln(w)
			}
			tactic = r.Tactic
			n := 0
			for _, x := range rules {
				if x.Tactic == tactic {
					n++
				}
			}
			fmt.Fprintf(w, "%s (%d)\n", detect.TacticTitle(tactic), n)
		}
		status := ""
		if c := cov[r.ID]; c != nil && c.Status == "blind" {
			status = "  [BLIND: " + c.Reason + "]"
			blind++
		}
		fmt.Fprintf(w, "  %-11s %-8s  %-15s %-10s %s%s\n", r.ID, r.Severity, r.Level, r.Technique, r.Title, status)
	}
	fmt.Fprintf(w, "\n%d rules.", len(rules))
	if policy != "" {
		fmt.Fprintf(w, " %d blind under %s.", blind, policy)
	}
	fmt.Fprintln(w)
}

func (a *env) printRule(r detect.Rule, c *detect.RuleCoverage) {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 1, ' ', 0)
	fmt.Fprintf(tw, "%s\t%s\n", r.ID, r.Title)
	fmt.Fprintf(tw, "severity\t%s\n", r.Severity)
	fmt.Fprintf(tw, "tactic\t%s (%s)\n", detect.TacticTitle(r.Tactic), r.Technique)
	fmt.Fprintf(tw, "needs\t%s level for %s\n", r.Level, r.Request)
	if len(r.Sources) > 0 {
		fmt.Fprintf(tw, "sources\t%s\n", strings.Join(r.Sources, ", "))
	}
	if len(r.Params) > 0 {
		fmt.Fprintf(tw, "active with\t%s\n", strings.Join(flagsOf(r.Params), " or "))
	}
	if r.Window != nil {
		by := r.Window.By
		if by == "" {
			by = "event.user.username"
		}
		what := "events"
		if r.Window.Distinct != "" {
			what = "distinct " + r.Window.Distinct
		}
		fmt.Fprintf(tw, "window\t%d %s within %s per %s\n", r.Window.Count, what, r.Window.Within, by)
	}
	if c != nil {
		fmt.Fprintf(tw, "policy\t%s (recorded at %s)", c.Status, c.Level)
		if c.Reason != "" {
			fmt.Fprintf(tw, ": %s", c.Reason)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintln(a.stdout)
	fmt.Fprintln(a.stdout, wrap(r.Description, 88))
	fmt.Fprintln(a.stdout)
	fmt.Fprintln(a.stdout, "condition:")
	for _, l := range strings.Split(strings.TrimRight(r.Condition, "\n"), "\n") {
		fmt.Fprintln(a.stdout, "  "+l)
	}
}

func flagsOf(params []string) []string {
	out := make([]string, len(params))
	for i, p := range params {
		out[i] = "--" + strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(p, "CIDRs", "-cidrs"), "CIDR", "-cidr"))
	}
	return out
}

// wrap folds text at width.
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for _, word := range strings.Fields(s) {
		if n > 0 && n+1+len(word) > width {
			b.WriteByte('\n')
			n = 0
		} else if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}
