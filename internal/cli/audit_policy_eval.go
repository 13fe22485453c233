package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/apiguard/apiguard/internal/app"
	"github.com/apiguard/apiguard/internal/report"
)

func (a *env) auditPolicyEvalCmd() *cobra.Command {
	var (
		o              app.AuditPolicyEvalOptions
		events, format string
	)
	cmd := &cobra.Command{
		Use:   "eval FILE (--verb V --resource R [--subresource S] [--api-group G] [-n NS] [--name N] | --verb V --path URL) [--user U] [--group G]... | eval FILE --events LOG",
		Short: "The level, omitted stages and deciding rule of a request, or of every event of an audit log",
		Long: `Evaluate one request with kube-apiserver's audit policy evaluator and print
the level (None, Metadata, Request, RequestResponse), the stages omitted and
the 0-based index of the deciding rule (none: not logged).

The user is the authenticated one: kube-apiserver evaluates the policy before
impersonation, so a rule naming an impersonated user never matches. Without
--user the request is one whose authentication failed (no user: no rule with
users or userGroups matches). The groups kube-apiserver's authenticators add
are added. A built-in resource outside the core group gets its group when
--api-group is not given.

With --events LOG ("-" for standard input; JSON lines of audit.k8s.io/v1
Events or EventLists, gzip or not) every event is replayed instead, as the
server evaluated it (the authenticated user, the request info in objectRef,
no name for creates), and one JSON line is printed per event:
{"auditID","level","ruleIndex"}: the level this policy logs it at.`,
		Example: `  apiguard audit policy eval policy.yaml --user alice --verb create --resource pods --subresource exec -n prod --name web-0
  apiguard audit policy eval policy.yaml --user system:anonymous --verb get --path /healthz
  apiguard audit policy eval new-policy.yaml --events /var/log/kubernetes/audit/audit.log`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			o.APIGroupSet = cmd.Flags().Changed("api-group")
			o.Policy, o.Notes = policyFile(args[0]), a.stderr
			if events != "" {
				if o.Verb != "" || o.Resource != "" || o.Subresource != "" || o.APIGroupSet || o.Namespace != "" || o.Name != "" || o.Path != "" || o.User != "" || len(o.Groups) > 0 {
					return usageErr("--events replays a log: it cannot be combined with a request (--verb, --resource, --path, --user, ...)")
				}
				res, err := app.AuditPolicyReplay(cmd.Context(), app.AuditPolicyReplayOptions{Policy: o.Policy, Events: events, Stdin: os.Stdin, Out: a.stdout, Warnings: a.stderr})
				if err != nil {
					return err
				}
				report.AuditPolicyReplayDone(a.stderr, res.Events, res.Differ)
				return nil
			}
			res, err := app.AuditPolicyEval(cmd.Context(), o)
			if err != nil {
				return err
			}
			if format == "json" {
				return report.WriteJSON(a.stdout, report.AuditPolicyEvalJSON(res.Decision))
			}
			report.AuditPolicyEval(a.stdout, res.Policy, res.Request, res.Decision)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.User, "user", "", "the authenticated user (omit for a request whose authentication failed)")
	groupFlag(cmd, &o.Groups)
	f.StringVar(&o.Verb, "verb", "", "request verb as kube-apiserver names it: get, list, watch, create, update, patch, delete, deletecollection (resources); get, post, put, ... (URLs)")
	f.StringVar(&o.Resource, "resource", "", "resource (plural), or resource/subresource")
	f.StringVar(&o.Subresource, "subresource", "", "subresource (exec, log, status, token, ...)")
	f.StringVar(&o.APIGroup, "api-group", "", "API group (\"\" is core; inferred for built-in resources)")
	f.StringVarP(&o.Namespace, "namespace", "n", "", "namespace (\"\" for cluster-scoped resources and cluster-wide lists)")
	f.StringVar(&o.Name, "name", "", "object name (none for create, list and watch)")
	f.StringVar(&o.Path, "path", "", "non-resource URL path (/healthz, /metrics, ...)")
	f.StringVar(&events, "events", "", "replay an audit log (JSON lines; - for stdin) instead of one request")
	f.StringVarP(&format, "output", "o", "text", "output format for one request: text or json")
	return cmd
}
