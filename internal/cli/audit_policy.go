package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/report"
)

func (a *env) auditPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Lint, evaluate and recommend kube-apiserver audit policies",
		Long: `Read an audit policy exactly as kube-apiserver does (strict decoding, then the
lenient fallback the server uses with only a warning) and evaluate requests
with kube-apiserver's own policy evaluator (k8s.io/apiserver/pkg/audit/policy).

  lint       every problem, with the rule and line it concerns
  coverage   what the policy records of the security-relevant requests
  eval       the level of one request, or of every event of an audit log
  recommend  a policy that passes lint and records what detections need
  rules      the lint rules`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.auditPolicyLintCmd(), a.auditPolicyCoverageCmd(), a.auditPolicyEvalCmd(), a.auditPolicyRecommendCmd(), a.auditPolicyRulesCmd())
	return cmd
}

// policyFile is the policy argument ("-" is standard input).
func policyFile(path string) app.PolicyFile { return app.PolicyFile{Path: path, Stdin: os.Stdin} }

func (a *env) auditPolicyLintCmd() *cobra.Command {
	var format, failOn string
	cmd := &cobra.Command{
		Use:   "lint FILE",
		Short: "Report every problem of an audit policy, with its rule and line",
		Long: `Report every problem of an audit policy: fields kube-apiserver silently drops,
what makes it refuse the policy, credentials logged above Metadata,
unreachable rules, None rules hiding security-relevant requests, requests the
audit detections need but the policy does not record, and more
('apiguard audit policy rules' lists them).

Each finding names its rule by 0-based index (null for the policy as a
whole), its severity and line. -o json prints
{"findings":[{"id","severity","ruleIndex","message","line"}]}.

Exit codes: 0 no finding at or above --fail-on, 1 some, 2 the file cannot be
read or is no audit policy (another kind, such as a List; larger than 4 MiB).`,
		Example: `  apiguard audit policy lint /etc/kubernetes/audit-policy.yaml
  apiguard audit policy lint policy.yaml -o json --fail-on medium`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			threshold, never, err := parseFailOn(failOn)
			if err != nil {
				return err
			}
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			res, err := app.AuditPolicyLint(cmd.Context(), policyFile(args[0]))
			if err != nil {
				return err
			}
			if format == "json" {
				if err := report.WriteJSON(a.stdout, report.AuditPolicyLintJSON(res.Findings)); err != nil {
					return err
				}
			} else {
				report.AuditPolicyLint(a.stdout, res.Policy.File, res.Findings)
			}
			if !never && res.FailsAt(threshold) {
				return &exitError{code: ExitFindings}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output format: table or json")
	cmd.Flags().StringVar(&failOn, "fail-on", "high", "exit 1 when a finding is at or above this severity (info, low, medium, high, critical, or none)")
	return cmd
}

// groupFlag is --group, which adds to --user.
func groupFlag(cmd *cobra.Command, groups *[]string) {
	cmd.Flags().StringArrayVar(groups, "group", nil, "a group of the user (repeatable); system:authenticated (system:unauthenticated for system:anonymous) and a service account's groups are added")
}

func (a *env) auditPolicyCoverageCmd() *cobra.Command {
	var (
		format string
		o      app.AuditPolicyCoverageOptions
	)
	cmd := &cobra.Command{
		Use:   "coverage FILE",
		Short: "Show the level and deciding rule of every security-relevant request",
		Long: `Evaluate the security-relevant requests (Secret, ConfigMap, TokenReview and
TokenRequest access, pod writes, exec/attach/port-forward, ephemeral
containers, proxies, RBAC and admission webhook writes, CSR creation and
approval, impersonation, anonymous and unauthenticated requests, namespace and
workload writes, event deletion, non-resource URLs) against the policy and
print the level each is logged at, the rule that decides it, the level audit
detections need and a status: ok, degraded (logged below what detections
need), blind (not logged), leak (credentials above Metadata) or info.

Requests are made as the user alice (group system:authenticated) unless
--user/--group say otherwise; the anonymous and unauthenticated rows keep
their identity. -o json prints {"identity":{...},"rows":[...]}.`,
		Example: `  apiguard audit policy coverage /etc/kubernetes/audit-policy.yaml
  apiguard audit policy coverage policy.yaml --user system:serviceaccount:ci:deployer -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "table", "json", "html"); err != nil {
				return err
			}
			o.Policy, o.Warnings = policyFile(args[0]), a.stderr
			res, err := app.AuditPolicyCoverage(cmd.Context(), o)
			if err != nil {
				return err
			}
			if format == "json" {
				return report.WriteJSON(a.stdout, report.AuditPolicyCoverageJSON(res.Identity, res.Rows))
			}
			if format == "html" {
				return report.AuditPolicyCoverageHTML(a.stdout, res.Policy, res.Identity, res.Rows)
			}
			report.AuditPolicyCoverage(a.stdout, res.Policy, res.Identity, res.Rows)
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output format: table, json or html (a self-contained report)")
	cmd.Flags().StringVar(&o.User, "user", "", "the user making the requests (default alice)")
	groupFlag(cmd, &o.Groups)
	return cmd
}

func (a *env) auditPolicyRecommendCmd() *cobra.Command {
	var profile string
	cmd := &cobra.Command{
		Use:   "recommend [--profile minimal|standard|strict]",
		Short: "Write a recommended audit policy",
		Long: `Write an audit.k8s.io/v1 Policy that passes 'apiguard audit policy lint' with no
finding: credentials (Secrets, ConfigMaps, TokenReviews, serviceaccounts/token,
CSRs) at Metadata only, the requests audit detections read (pod and workload
specs, debug containers, RBAC and admission webhook changes, namespace labels,
service types, CSR approvals, exec/attach/port-forward) with their bodies,
RequestReceived omitted, managedFields omitted, and the known high-volume
noise dropped (modelled on the policy kube-up's configure-helper.sh writes,
which GKE uses).

  minimal   bodies only where a detection reads them; everything else Metadata
  standard  plus every write with its request body, RBAC and admission changes
            with their responses (default)
  strict    every write with its response; only health probes, events and
            leases dropped`,
		Example: `  apiguard audit policy recommend > /etc/kubernetes/audit-policy.yaml
  apiguard audit policy recommend --profile minimal`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			policy, err := app.AuditPolicyRecommend(profile)
			if err != nil {
				return err
			}
			_, err = a.stdout.Write(policy)
			return err
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "standard", "minimal, standard or strict")
	return cmd
}

func (a *env) auditPolicyRulesCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the lint rules",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "json", "markdown"); err != nil {
				return err
			}
			switch format {
			case "json":
				return report.WriteJSON(a.stdout, app.AuditPolicyLintRules())
			case "markdown":
				return report.AuditPolicyLintRulesMarkdown(a.stdout)
			}
			return report.AuditPolicyLintRules(a.stdout, app.AuditPolicyLintRules())
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output format: table, json or markdown")
	return cmd
}
