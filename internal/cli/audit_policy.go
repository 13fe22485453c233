package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	audit "k8s.io/apiserver/pkg/apis/audit"

	"github.com/apiguard/apiguard/internal/auditpolicy"
	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/fileinput"
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

// loadAuditPolicy reads and loads a policy file ("-" is standard input).
func (a *env) loadAuditPolicy(file string) (*auditpolicy.Policy, error) {
	var (
		data []byte
		err  error
	)
	if file == "-" {
		file = "(stdin)"
		data, err = fileinput.ReadAll(a.ctx, os.Stdin, file, fileinput.AuditPolicy)
	} else {
		data, err = fileinput.ReadFile(file, fileinput.AuditPolicy)
	}
	if err != nil {
		return nil, inputErr(err)
	}
	p, err := auditpolicy.Load(file, data)
	if err != nil {
		return nil, inputErr(err)
	}
	return p, nil
}

// warnProblems prints what loading found, for the commands other than lint.
func (a *env) warnProblems(p *auditpolicy.Policy) {
	for _, pr := range p.Problems {
		loc := p.File
		if pr.Line > 0 {
			loc += ":" + strconv.Itoa(pr.Line)
		}
		fmt.Fprintf(a.stderr, "apiguard: warning: %s: %s\n", loc, pr.Message)
	}
	if p.Refused {
		fmt.Fprintln(a.stderr, "apiguard: warning: kube-apiserver would not start with this policy; evaluating its rules as decoded")
	}
}

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
			if format != "table" && format != "json" {
				return usageErr("-o %q: want table or json", format)
			}
			p, err := a.loadAuditPolicy(args[0])
			if err != nil {
				return err
			}
			fs, err := auditpolicy.LintContext(cmd.Context(), p)
			if err != nil {
				return inputErr(err)
			}
			if format == "json" {
				if fs == nil {
					fs = []auditpolicy.Finding{}
				}
				if err := writeJSON(a.stdout, struct {
					Findings []auditpolicy.Finding `json:"findings"`
				}{fs}); err != nil {
					return err
				}
			} else {
				printLint(a.stdout, p.File, fs)
			}
			if !never && auditpolicy.FailsAt(fs, threshold) {
				return &exitError{code: ExitFindings}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output format: table or json")
	cmd.Flags().StringVar(&failOn, "fail-on", "high", "exit 1 when a finding is at or above this severity (info, low, medium, high, critical, or none)")
	return cmd
}

func printLint(w io.Writer, file string, fs []auditpolicy.Finding) {
	counts := map[check.Severity]int{}
	for _, f := range fs {
		loc := file
		if f.Line > 0 {
			loc += ":" + strconv.Itoa(f.Line)
		}
		rule := ""
		if f.RuleIndex != nil {
			rule = fmt.Sprintf(" [rule %d]", *f.RuleIndex)
		}
		fmt.Fprintf(w, "%s: %s %s%s: %s\n", loc, f.Severity, f.ID, rule, f.Message)
		counts[f.Severity]++
	}
	if len(fs) == 0 {
		fmt.Fprintln(w, "no findings")
		return
	}
	var parts []string
	for s := check.Critical; s >= check.Info; s-- {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	noun := "findings"
	if len(fs) == 1 {
		noun = "finding"
	}
	fmt.Fprintf(w, "\n%d %s: %s\n", len(fs), noun, strings.Join(parts, ", "))
}

// identityFlags are --user and --group.
type identityFlags struct {
	user   string
	groups []string
}

func (f *identityFlags) add(cmd *cobra.Command, userHelp string) {
	cmd.Flags().StringVar(&f.user, "user", "", userHelp)
	cmd.Flags().StringArrayVar(&f.groups, "group", nil, "a group of the user (repeatable); system:authenticated (system:unauthenticated for system:anonymous) and a service account's groups are added")
}

func (a *env) auditPolicyCoverageCmd() *cobra.Command {
	var (
		format string
		id     identityFlags
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
			if format != "table" && format != "json" {
				return usageErr("-o %q: want table or json", format)
			}
			who := auditpolicy.HumanUser
			if id.user != "" || len(id.groups) > 0 {
				if id.user == "" {
					return usageErr("--group needs --user")
				}
				who = auditpolicy.Identity{Name: id.user, User: id.user, Groups: auditpolicy.ImplicitGroups(id.user, id.groups)}
			}
			p, err := a.loadAuditPolicy(args[0])
			if err != nil {
				return err
			}
			a.warnProblems(p)
			rows := auditpolicy.Coverage(p, who)
			if format == "json" {
				return writeJSON(a.stdout, struct {
					Identity struct {
						User   string   `json:"user"`
						Groups []string `json:"groups"`
					} `json:"identity"`
					Rows []auditpolicy.Row `json:"rows"`
				}{Identity: struct {
					User   string   `json:"user"`
					Groups []string `json:"groups"`
				}{who.User, who.Groups}, Rows: rows})
			}
			printCoverage(a.stdout, p, who, rows)
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output format: table or json")
	id.add(cmd, "the user making the requests (default alice)")
	return cmd
}

func printCoverage(w io.Writer, p *auditpolicy.Policy, who auditpolicy.Identity, rows []auditpolicy.Row) {
	fmt.Fprintf(w, "Requests as %s (groups %s), evaluated with kube-apiserver's audit policy evaluator.\n\n", who.User, strings.Join(who.Groups, ", "))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REQUEST\tUSER\tLEVEL\tRULE\tNEEDS\tSTATUS")
	counts := map[string]int{}
	var notes []string
	for _, r := range rows {
		rule := "-"
		if r.RuleIndex != nil {
			rule = strconv.Itoa(*r.RuleIndex)
			if l := p.RuleLine(*r.RuleIndex); l > 0 {
				rule += fmt.Sprintf(" (line %d)", l)
			}
		}
		needs := string(r.Min)
		if needs == "" {
			needs = "-"
		}
		user := r.User
		if user == who.User {
			user = "·"
		}
		req := r.Request
		if r.Note != "" {
			notes = append(notes, fmt.Sprintf("%s: %s", r.Request, r.Note))
			req += " *"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", req, user, r.Level, rule, needs, r.Status)
		counts[r.Status]++
	}
	tw.Flush()
	for _, n := range notes {
		fmt.Fprintf(w, "\n* %s\n", n)
	}
	var parts []string
	for _, s := range []string{"ok", "degraded", "blind", "leak", "info"} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	fmt.Fprintf(w, "\n%d requests: %s\n", len(rows), strings.Join(parts, ", "))
}

func (a *env) auditPolicyEvalCmd() *cobra.Command {
	var (
		id                                            identityFlags
		verb, resource, sub, group, ns, name, urlPath string
		events, format                                string
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
			if format != "text" && format != "json" {
				return usageErr("-o %q: want text or json", format)
			}
			requestFlags := verb != "" || resource != "" || sub != "" || cmd.Flags().Changed("api-group") || ns != "" || name != "" || urlPath != "" || id.user != "" || len(id.groups) > 0
			if events != "" {
				if requestFlags {
					return usageErr("--events replays a log: it cannot be combined with a request (--verb, --resource, --path, --user, ...)")
				}
				p, err := a.loadAuditPolicy(args[0])
				if err != nil {
					return err
				}
				a.warnProblems(p)
				return a.replay(p, events)
			}
			req, err := a.evalRequest(id, verb, resource, sub, group, cmd.Flags().Changed("api-group"), ns, name, urlPath)
			if err != nil {
				return err
			}
			p, err := a.loadAuditPolicy(args[0])
			if err != nil {
				return err
			}
			a.warnProblems(p)
			d := auditpolicy.NewEvaluator(p.Internal).EvaluateRequest(req)
			if format == "json" {
				var idx *int
				if d.RuleIndex >= 0 {
					idx = &d.RuleIndex
				}
				stages := d.OmitStages
				if stages == nil {
					stages = []audit.Stage{}
				}
				return writeJSON(a.stdout, struct {
					Level             audit.Level   `json:"level"`
					OmitStages        []audit.Stage `json:"omitStages"`
					OmitManagedFields bool          `json:"omitManagedFields"`
					RuleIndex         *int          `json:"ruleIndex"`
				}{d.Level, stages, d.OmitManagedFields, idx})
			}
			fmt.Fprintf(a.stdout, "request: %s\n", req)
			if !req.NoUser {
				fmt.Fprintf(a.stdout, "groups: %s\n", report.Dash(strings.Join(req.Groups, ", ")))
			}
			fmt.Fprintf(a.stdout, "level: %s\n", d.Level)
			stages := make([]string, len(d.OmitStages))
			for i, s := range d.OmitStages {
				stages[i] = string(s)
			}
			fmt.Fprintf(a.stdout, "omitted stages: %s\n", report.Dash(strings.Join(stages, ", ")))
			if d.RuleIndex < 0 {
				fmt.Fprintln(a.stdout, "rule: none (no rule matches: the request is not logged)")
			} else {
				line := ""
				if l := p.RuleLine(d.RuleIndex); l > 0 {
					line = fmt.Sprintf(" (%s:%d)", p.File, l)
				}
				fmt.Fprintf(a.stdout, "rule: %d%s\n", d.RuleIndex, line)
			}
			return nil
		},
	}
	f := cmd.Flags()
	id.add(cmd, "the authenticated user (omit for a request whose authentication failed)")
	f.StringVar(&verb, "verb", "", "request verb as kube-apiserver names it: get, list, watch, create, update, patch, delete, deletecollection (resources); get, post, put, ... (URLs)")
	f.StringVar(&resource, "resource", "", "resource (plural), or resource/subresource")
	f.StringVar(&sub, "subresource", "", "subresource (exec, log, status, token, ...)")
	f.StringVar(&group, "api-group", "", "API group (\"\" is core; inferred for built-in resources)")
	f.StringVarP(&ns, "namespace", "n", "", "namespace (\"\" for cluster-scoped resources and cluster-wide lists)")
	f.StringVar(&name, "name", "", "object name (none for create, list and watch)")
	f.StringVar(&urlPath, "path", "", "non-resource URL path (/healthz, /metrics, ...)")
	f.StringVar(&events, "events", "", "replay an audit log (JSON lines; - for stdin) instead of one request")
	f.StringVarP(&format, "output", "o", "text", "output format for one request: text or json")
	return cmd
}

func (a *env) evalRequest(id identityFlags, verb, resource, sub, group string, groupSet bool, ns, name, urlPath string) (auditpolicy.Request, error) {
	var r auditpolicy.Request
	if verb == "" {
		return r, usageErr("--verb is required (or --events LOG)")
	}
	r.Verb = verb
	if id.user == "" {
		if len(id.groups) > 0 {
			return r, usageErr("--group needs --user (without --user the request failed authentication and has no user)")
		}
		r.NoUser = true
	} else {
		r.User, r.Groups = id.user, auditpolicy.ImplicitGroups(id.user, id.groups)
	}
	switch {
	case urlPath != "" && resource != "":
		return r, usageErr("give --resource or --path, not both")
	case urlPath != "":
		if sub != "" || groupSet || ns != "" || name != "" {
			return r, usageErr("--path is a non-resource URL: --subresource, --api-group, -n and --name do not apply")
		}
		if !strings.HasPrefix(urlPath, "/") {
			return r, usageErr("--path %q: a URL path starts with /", urlPath)
		}
		r.Path = urlPath
		return r, nil
	case resource == "":
		return r, usageErr("give --resource R (a resource request) or --path URL (a non-resource request)")
	}
	base, s, hasSub := strings.Cut(resource, "/")
	if hasSub {
		if sub != "" {
			return r, usageErr("subresource given twice (%s and --subresource %s)", resource, sub)
		}
		sub = s
	}
	if base == "" {
		return r, usageErr("--resource %q: empty resource", resource)
	}
	r.Resource, r.Subresource, r.Namespace, r.Name, r.APIGroup = base, sub, ns, name, group
	if !groupSet {
		if g, ok := auditpolicy.BuiltinGroup(base); ok && g != "" {
			r.APIGroup = g
			fmt.Fprintf(a.stderr, "apiguard: note: %s is in group %s (--api-group %s); pass --api-group \"\" to mean the core group\n", base, g, g)
		}
	}
	if verb == "create" && sub == "" && name != "" {
		fmt.Fprintln(a.stderr, "apiguard: note: kube-apiserver evaluates a create without its name (the name is in the body); --name is ignored")
		r.Name = ""
	}
	if base == "namespaces" && name != "" && ns == "" {
		r.Namespace = name // the request info of /api/v1/namespaces/NAME carries namespace NAME
	}
	return r, nil
}

// replay evaluates every event of a log and prints one JSON line per event.
func (a *env) replay(p *auditpolicy.Policy, file string) error {
	var in io.Reader
	if file == "-" {
		in, file = fileinput.ContextReader(a.ctx, os.Stdin), "(stdin)"
	} else {
		f, err := fileinput.Open(file)
		if err != nil {
			return inputErr(err)
		}
		defer f.Close()
		in = f
	}
	ev := auditpolicy.NewEvaluator(p.Internal)
	out := bufio.NewWriterSize(a.stdout, 1<<16)
	var (
		bad, differ int
		buf         []byte
	)
	n, err := auditpolicy.ReadEvents(file, in, func(e *auditpolicy.Event) {
		r := e.Request()
		attrs := r.Attributes()
		idx := ev.RuleIndex(&attrs)
		d := ev.Decide(idx)
		if e.Level != "" && e.Level != string(d.Level) {
			differ++
		}
		buf = appendReplayLine(buf[:0], e.AuditID, d.Level, idx)
		out.Write(buf)
	}, func(e *auditpolicy.EventError) {
		bad++
		if bad <= 10 {
			fmt.Fprintln(a.stderr, "apiguard: warning: "+e.Error())
		}
	})
	if ferr := out.Flush(); ferr != nil {
		return ferr
	}
	if bad > 10 {
		fmt.Fprintf(a.stderr, "apiguard: warning: ... and %d more lines that are not audit events\n", bad-10)
	}
	if err != nil {
		return inputErr(err)
	}
	if n == 0 && bad > 0 {
		return inputErr(fmt.Errorf("%s: no audit event could be read", file))
	}
	fmt.Fprintf(a.stderr, "apiguard: %d events replayed; %d logged at another level than this policy gives\n", n, differ)
	return nil
}

func appendReplayLine(b []byte, auditID string, level audit.Level, idx int) []byte {
	b = append(b, `{"auditID":`...)
	id, _ := json.Marshal(auditID)
	b = append(b, id...)
	b = append(b, `,"level":"`...)
	b = append(b, level...)
	b = append(b, `","ruleIndex":`...)
	if idx < 0 {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(idx), 10)
	}
	return append(b, "}\n"...)
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
			p, err := auditpolicy.ParseProfile(profile)
			if err != nil {
				return usageErr("--profile: %v", err)
			}
			_, err = a.stdout.Write(auditpolicy.Recommend(p))
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
			switch format {
			case "json":
				return writeJSON(a.stdout, auditpolicy.LintRules)
			case "markdown":
				_, err := io.WriteString(a.stdout, auditpolicy.RulesMarkdown())
				return err
			case "table":
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tSEVERITY\tSUMMARY")
				for _, r := range auditpolicy.LintRules {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Name, r.Severity, r.Summary)
				}
				return tw.Flush()
			}
			return usageErr("-o %q: want table, json or markdown", format)
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output format: table, json or markdown")
	return cmd
}
