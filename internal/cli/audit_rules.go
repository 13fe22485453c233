package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/report"
)

func (a *env) auditRulesCmd() *cobra.Command {
	var (
		format string
		o      app.AuditRulesOptions
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
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			o.IDs, o.Policy.Stdin = args, os.Stdin
			res, err := app.AuditRules(cmd.Context(), o)
			if err != nil {
				return err
			}
			switch {
			case format == "json":
				return report.WriteJSON(a.stdout, report.AuditRulesJSON(res.Rules, res.Coverage))
			case len(args) > 0:
				report.AuditRules(a.stdout, res.Rules, res.Coverage)
			default:
				report.AuditRulesTable(a.stdout, res.Rules, res.Coverage, o.Policy.Path)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output format: table or json")
	cmd.Flags().StringArrayVar(&o.RuleFiles, "rules", nil, "YAML file of more detection rules to list (repeatable)")
	cmd.Flags().StringVar(&o.Policy.Path, "policy", "", "audit policy to check the rules against (blind rules are marked)")
	return cmd
}
