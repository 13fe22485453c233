package auditpolicy

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	audit "k8s.io/apiserver/pkg/apis/audit"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/configfile"
)

// LintRule describes one lint rule. The list is the source of the lint
// section of docs/audit-policy.md (a test fails when the doc drifts).
type LintRule struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Severity check.Severity `json:"severity"`
	Summary  string         `json:"summary"`
	Detail   string         `json:"detail"`
}

// LintRules are every lint rule, in ID order. IDs are stable.
var LintRules = []LintRule{
	{ID: "AP001", Name: "unknown-field", Severity: check.High, Summary: "Every field is known, and none is repeated",
		Detail: "kube-apiserver decodes the policy strictly and, on an unknown or duplicate field, only logs a warning and decodes it again leniently: an unknown field is dropped, a duplicate key keeps its last value. A rule written with `resource:` for `resources:` loses its filter and matches every request. Each field is reported with its line."},
	{ID: "AP002", Name: "api-version", Severity: check.Critical, Summary: "The policy is an audit.k8s.io/v1 Policy",
		Detail: "kube-apiserver only loads audit.k8s.io/v1 (v1alpha1 and v1beta1 were removed in 1.24) and refuses to start with anything else. The rules of an `audit.k8s.io` Policy of a removed version, or of a Policy without `apiVersion`, are still linted; a document of another kind or group is no policy and is refused (exit 2)."},
	{ID: "AP003", Name: "invalid", Severity: check.Critical, Summary: "The policy passes kube-apiserver's validation and has rules",
		Detail: "The errors of k8s.io/apiserver's validation.ValidatePolicy (a missing or unknown level, unknown stages, non-resource URLs without a leading `/` or with `*` not last, non-resource URLs mixed with resources or namespaces, `resourceNames` without `resources`, a group that is not a DNS subdomain such as `apps/v1`), a policy with no rules, or one that does not decode: kube-apiserver refuses it and does not start."},
	{ID: "AP004", Name: "sensitive-body", Severity: check.High, Summary: "Credentials are never written into the log",
		Detail: "Secrets and TokenReviews whose bodies are logged write credentials into the log (high); ConfigMaps too (medium: they often hold credentials, and CIS 3.2.2 asks for Metadata). What is logged depends on the verb, as in kube-apiserver's handlers: at Request the request body of a create, update or patch (a get, list or watch has none, a delete's is DeleteOptions), so reads at Request leak nothing; at RequestResponse the response too, for every verb but watch (a watch's events are streamed, never logged). TokenRequests (`serviceaccounts/token`) are flagged at RequestResponse only (high): the issued token is in the response, while the request body (audiences, expirationSeconds, boundObjectRef) holds no secret, and logging it at Request is what lets AG-DET-303 see long-lived tokens. Found wherever they are matched: by name, by a resource or group wildcard, or by the catch-all, for any user, using the real evaluator. The fix is a Metadata rule for them (Request where only responses carry them) placed before the rule that logs bodies. CertificateSigningRequests are not credentials: a CSR holds a PKCS#10 request (a public key and the subject; the private key never leaves the requester) and, once issued, the certificate, which is public; their bodies name the signer detections read."},
	{ID: "AP005", Name: "no-catch-all", Severity: check.Medium, Summary: "A final catch-all rule logs what no other rule matches",
		Detail: "A request no rule matches is not logged (the default level is None): without a last rule such as `- level: Metadata`, new resources, CRDs, unusual verbs or clients drop out of the log unnoticed. A final None rule has the same effect. Probed with requests for an unknown group, an unknown URL and every verb, as a user, a service account, a node, anonymous and unauthenticated clients."},
	{ID: "AP006", Name: "shadowed", Severity: check.Medium, Summary: "Every rule can be reached",
		Detail: "The first matching rule wins. A rule that every request it matches has already matched an earlier rule never applies (typically a specific rule after a broader one). Decided exactly: candidate requests built from the rule's own users, groups, verbs, namespaces, resources, names and URLs (and fresh values for what it leaves open) are evaluated with kube-apiserver's evaluator."},
	{ID: "AP007", Name: "request-received", Severity: check.Low, Summary: "The RequestReceived stage is omitted",
		Detail: "Without `omitStages: [RequestReceived]` every logged request is written twice (RequestReceived and ResponseComplete), doubling the volume with nothing an investigation uses. Policy-level and rule-level omitStages are unioned."},
	{ID: "AP008", Name: "managed-fields", Severity: check.Low, Summary: "omitManagedFields is set when bodies are logged",
		Detail: "At Request and RequestResponse the bodies include `metadata.managedFields`, often most of an object's size. `omitManagedFields: true` at the top of the policy drops them; a rule can override it back to false."},
	{ID: "AP009", Name: "user-wildcard", Severity: check.Medium, Summary: "users and userGroups have no wildcards",
		Detail: "users and userGroups are compared literally: `system:serviceaccount:*` or `*` matches only a user or group with exactly that name, so the rule silently never applies."},
	{ID: "AP010", Name: "wrong-group", Severity: check.Medium, Summary: "Resources are listed under the API group that serves them",
		Detail: "`group` is compared exactly with the request's API group, \"\" being the core group. `deployments` under the core group (as in some published policies) matches nothing; so does a typo, a subresource kube-apiserver does not have, or a group it no longer serves (`extensions`). Checked against the resources kube-apiserver v1.36 serves (test/e2e compares the table with a real server's discovery); alpha and beta resources are known, custom resources are not judged."},
	{ID: "AP011", Name: "subresources", Severity: check.Medium, Summary: "Rules for pods cover the subresources they were meant to",
		Detail: "`pods` does not match `pods/exec`, `pods/attach`, `pods/portforward` or `pods/ephemeralcontainers` (nor `nodes` `nodes/proxy`): when a rule names the parent at some level and the subresource requests fall to a weaker rule or to none, exec and attach are logged less than intended. `pods/*` matches pods and all its subresources."},
	{ID: "AP012", Name: "resource-names-create", Severity: check.Medium, Summary: "resourceNames rules are not expected to match creates",
		Detail: "The policy is evaluated before the body is read: a create has no name then (kube-apiserver fills objectRef.name later), and list, watch and deletecollection have none unless a `metadata.name` field selector gives one. A rule with resourceNames never matches them."},
	{ID: "AP013", Name: "none-swallows", Severity: check.High, Summary: "No None rule drops security-relevant requests",
		Detail: "A None rule that matches a request of the security-relevant catalogue (Secret reads, exec, RBAC and webhook writes, token and CSR requests, anonymous requests, ...) hides it from investigators. Decided exactly for every None rule, with any user: high when any client's requests are dropped, medium when the rule is restricted to some users or groups (the message names them). A rule limited to named objects (`resourceNames`) hides only those objects: low, as for the `controller-leader` ConfigMap of the upstream example policy, a leader-election lock whose renewals are noise; medium when the named objects are Secrets or TokenRequests (a named credential read unseen)."},
	{ID: "AP014", Name: "response-on-reads", Severity: check.Low, Summary: "Reads are not logged with their responses",
		Detail: "RequestResponse on get, list and watch writes every object read, and every list, into the log: the largest volume a policy can produce, with little value (kube-up logs reads at Request). Log reads at Metadata or Request."},
	{ID: "AP015", Name: "detection-gap", Severity: check.Medium, Summary: "Requests the audit detections need are recorded at the level they need",
		Detail: "Each request of the catalogue (the rows of `apiguard audit policy coverage`) is evaluated as a user and as a service account: below its minimum level a detection is degraded (medium: e.g. privileged pods cannot be seen at Metadata), not logged at all it is blind (high). None rules are reported by AP013."},
	{ID: "AP016", Name: "unknown-verb", Severity: check.Medium, Summary: "verbs are verbs kube-apiserver produces",
		Detail: "Verbs are compared exactly with the request-info verb: get, list, watch, create, update, patch, delete, deletecollection, proxy for resources; the lower-case HTTP method for non-resource URLs. `GET`, `read` or `*` (no wildcard here) never match."},
	{ID: "AP017", Name: "stages", Severity: check.Medium, Summary: "ResponseComplete is not omitted",
		Detail: "For ordinary requests ResponseComplete is the only event with the response status; omitting it (policy-wide or in a rule that logs) leaves only RequestReceived, or nothing."},
}

// LintRuleByID returns a lint rule.
func LintRuleByID(id string) (LintRule, bool) {
	for _, r := range LintRules {
		if r.ID == id {
			return r, true
		}
	}
	return LintRule{}, false
}

// Finding is one lint finding.
type Finding struct {
	ID       string         `json:"id"`
	Severity check.Severity `json:"severity"`
	// RuleIndex is the 0-based index of the rule concerned, nil for the
	// policy as a whole.
	RuleIndex *int   `json:"ruleIndex"`
	Message   string `json:"message"`
	// Line is the line in the policy file, 0 when unknown.
	Line int `json:"line,omitempty"`
}

type linter struct {
	ctx   context.Context
	p     *Policy
	rules []audit.PolicyRule
	ev    *Evaluator
	out   []Finding
	// reached[j] is false for rules AP006 found unreachable.
	unreachable map[int]bool
}

func (l *linter) add(id string, sev check.Severity, idx int, line int, msg string) {
	f := Finding{ID: id, Severity: sev, Message: msg, Line: line}
	if idx >= 0 {
		i := idx
		f.RuleIndex = &i
		if f.Line == 0 {
			f.Line = l.p.RuleLine(idx)
		}
	}
	l.out = append(l.out, f)
}

func (l *linter) sev(id string) check.Severity {
	r, _ := LintRuleByID(id)
	return r.Severity
}

// MaxLintRules bounds the rules LintContext lints. Reachability is decided
// rule against rule (each candidate request of a rule is evaluated by the
// rules before it), so the work grows with the square of the rule count:
// 1000 rules lint in about a second, 40000 (a 4 MiB policy) in hours. Real
// policies have tens of rules (kube-up's, which GKE uses, has 17).
const MaxLintRules = 1000

// LintContext is Lint for commands: a policy of more than MaxLintRules
// rules is an error naming the file, and the work stops when ctx ends
// (the error is then ctx's).
func LintContext(ctx context.Context, p *Policy) ([]Finding, error) {
	if n := len(p.Internal.Rules); n > MaxLintRules {
		return nil, &configfile.Error{File: p.File, Line: p.Line("rules"),
			Message: fmt.Sprintf("%d rules: more than the %d apiguard lints (real policies have tens; each rule is checked against the rules before it)", n, MaxLintRules)}
	}
	fs := lint(ctx, p)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return fs, nil
}

// Lint returns every finding for a loaded policy, sorted by rule.
func Lint(p *Policy) []Finding { return lint(context.Background(), p) }

// reach is Evaluator.reach, answered "reached" (no finding) once ctx ended.
func (l *linter) reach(j int, f filter) reachResult {
	if l.ctx.Err() != nil {
		return reachResult{reached: true, tooMany: true}
	}
	return l.ev.reach(l.rules, j, f)
}

func lint(ctx context.Context, p *Policy) []Finding {
	l := &linter{ctx: ctx, p: p, rules: p.Internal.Rules, unreachable: map[int]bool{}}
	for _, pr := range p.Problems {
		sev := l.sev(pr.ID)
		l.add(pr.ID, sev, pr.RuleIndex, pr.Line, pr.Message)
	}
	if len(l.rules) > 0 {
		l.ev = NewEvaluator(p.Internal)
		for i := range l.rules {
			l.userWildcards(i)
			l.groups(i)
			l.resourceNames(i)
			l.verbs(i)
		}
		l.stages()
		l.managedFields()
		l.shadowed()
		l.sensitive()
		l.noneSwallows()
		l.readResponses()
		l.subresources()
		l.catchAll()
		l.detectionGaps()
	}
	sortFindings(l.out)
	return l.out
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		ai, bi := -1, -1
		if a.RuleIndex != nil {
			ai = *a.RuleIndex
		}
		if b.RuleIndex != nil {
			bi = *b.RuleIndex
		}
		if ai != bi {
			return ai < bi
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Line < b.Line
	})
}

// ---- descriptions -------------------------------------------------------

func (l *linter) level(i int) audit.Level { return l.rules[i].Level }

// what says what kind of rule i is, for messages: "a catch-all",
// "a wildcard for every resource", "a rule for the whole core group".
func (l *linter) what(i int, group, resource string) string {
	r := l.rules[i]
	if len(r.Resources) == 0 && len(r.NonResourceURLs) == 0 {
		if len(r.Namespaces) == 0 && len(r.Users) == 0 && len(r.UserGroups) == 0 && len(r.Verbs) == 0 {
			return "the catch-all"
		}
		if len(r.Namespaces) == 0 {
			return "a rule for every resource"
		}
		return "a rule for every resource in its namespaces"
	}
	for _, gr := range r.Resources {
		if gr.Group != group && gr.Group != "*" {
			continue
		}
		if len(gr.Resources) == 0 {
			if gr.Group == "*" {
				return "a rule for every group"
			}
			return "a rule for the whole " + groupName(gr.Group) + " group"
		}
		for _, p := range gr.Resources {
			if p == "*" {
				return "a rule for every resource (\"*\")"
			}
			if p == resource+"/*" {
				return "a rule for " + p
			}
		}
		if gr.Group == "*" {
			return "a rule for group \"*\""
		}
	}
	return "a rule naming them"
}

func groupName(g string) string {
	if g == "" {
		return "core"
	}
	return g
}

// who describes the identity of a witness request.
func who(w Request) string {
	switch {
	case len(w.Groups) > 0 && !broadGroup(w.Groups[0]):
		return " by members of group " + w.Groups[0]
	case w.User != "" && w.User != freshUser:
		return " by user " + w.User
	}
	return ""
}

// broadGroup: groups that hold (nearly) every client.
func broadGroup(g string) bool {
	switch g {
	case "system:authenticated", "system:unauthenticated", "system:serviceaccounts":
		return true
	}
	return false
}

func ruleList(idx []int) string {
	s := make([]string, len(idx))
	for i, x := range idx {
		s[i] = strconv.Itoa(x)
	}
	if len(s) == 1 {
		return "rule " + s[0]
	}
	return "rules " + strings.Join(s, ", ")
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = strconv.Quote(x)
	}
	return strings.Join(q, ", ")
}

// ---- syntactic rules ----------------------------------------------------

func (l *linter) userWildcards(i int) {
	r := l.rules[i]
	for _, f := range []struct {
		key  string
		vals []string
	}{{"users", r.Users}, {"userGroups", r.UserGroups}} {
		for k, v := range f.vals {
			if !strings.Contains(v, "*") {
				continue
			}
			l.add("AP009", l.sev("AP009"), i, l.p.Line("rules", strconv.Itoa(i), f.key, strconv.Itoa(k)),
				fmt.Sprintf("%s %q is compared literally, not as a pattern: rule %d only applies to a name that is exactly %q; list the names, or drop %s to match everyone", f.key, v, i, v, f.key))
		}
	}
}

func (l *linter) groups(i int) {
	r := l.rules[i]
	for k, gr := range r.Resources {
		line := l.p.Line("rules", strconv.Itoa(i), "resources", strconv.Itoa(k), "group")
		if why, ok := removedGroups[gr.Group]; ok {
			l.add("AP010", check.Low, i, line, fmt.Sprintf("group %q is no longer served (%s): this entry of rule %d matches nothing", gr.Group, why, i))
			continue
		}
		if gr.Group == "*" || !isBuiltinGroup(gr.Group) {
			continue
		}
		for _, p := range gr.Resources {
			if p == "*" || strings.HasPrefix(p, "*/") {
				continue
			}
			base, sub, hasSub := strings.Cut(p, "/")
			if !knownResource(gr.Group, base) {
				if gs := groupsOf(base); len(gs) > 0 {
					l.add("AP010", l.sev("AP010"), i, line, fmt.Sprintf("%s is not in the %s group, so this entry of rule %d matches nothing: %s is served by %s; write group: %q",
						base, groupName(gr.Group), i, base, strings.Join(quoteGroups(gs), " and "), gs[0]))
				} else {
					sev := check.Low
					if gr.Group == "" {
						sev = l.sev("AP010") // custom resources are never in the core group
					}
					l.add("AP010", sev, i, line, fmt.Sprintf("%q is not a resource of the %s group in Kubernetes 1.36 (a typo?): this entry of rule %d matches nothing", base, groupName(gr.Group), i))
				}
				continue
			}
			if hasSub && sub != "*" && !knownResource(gr.Group, p) {
				l.add("AP010", check.Low, i, line, fmt.Sprintf("%s has no subresource %q in Kubernetes 1.36 (known: %s): %q matches nothing", base, sub, strings.Join(subresourcesOf(gr.Group, base), ", "), p))
			}
		}
	}
}

func quoteGroups(gs []string) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		if g == "" {
			out[i] = "the core group"
		} else {
			out[i] = g
		}
	}
	return out
}

func subresourcesOf(group, base string) []string {
	var out []string
	for r := range builtin.byGroup[group] {
		if b, s, ok := strings.Cut(r, "/"); ok && b == base {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

func (l *linter) resourceNames(i int) {
	r := l.rules[i]
	for k, gr := range r.Resources {
		if len(gr.ResourceNames) == 0 {
			continue
		}
		line := l.p.Line("rules", strconv.Itoa(i), "resources", strconv.Itoa(k), "resourceNames")
		switch {
		case contains(r.Verbs, "create"):
			l.add("AP012", l.sev("AP012"), i, line, fmt.Sprintf("rule %d lists verb create with resourceNames %s: a create has no name when the policy is evaluated (the name is in the body), so it never matches a create; match creates in a rule without resourceNames", i, quoteList(gr.ResourceNames)))
		case len(r.Verbs) == 0:
			l.add("AP012", check.Low, i, line, fmt.Sprintf("rule %d has resourceNames %s and no verbs: it never matches create, nor list, watch or deletecollection without a metadata.name field selector (no name when the policy is evaluated); those requests fall to later rules", i, quoteList(gr.ResourceNames)))
		}
	}
}

func (l *linter) verbs(i int) {
	for k, v := range l.rules[i].Verbs {
		if contains(resourceVerbs, v) || contains(nonResourceVerbs, v) {
			continue
		}
		line := l.p.Line("rules", strconv.Itoa(i), "verbs", strconv.Itoa(k))
		var msg string
		switch lv := strings.ToLower(v); {
		case v == "*":
			msg = fmt.Sprintf("verb \"*\" is not a wildcard in audit policies: rule %d matches no request with it; leave verbs out to match every verb", i)
		case lv != v && (contains(resourceVerbs, lv) || contains(nonResourceVerbs, lv)):
			msg = fmt.Sprintf("verb %q never matches: verbs are lower case (%q)", v, lv)
		default:
			msg = fmt.Sprintf("kube-apiserver never produces verb %q, so it never matches (resource verbs: %s; non-resource: the lower-case HTTP method)", v, strings.Join(resourceVerbs, ", "))
			if s := suggest(v, append(append([]string{}, resourceVerbs...), nonResourceVerbs...)); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
		}
		l.add("AP016", l.sev("AP016"), i, line, msg)
	}
}

// ---- stages and managed fields -----------------------------------------

func (l *linter) stages() {
	pol := l.p.Internal
	policyOmitsRR := containsStage(pol.OmitStages, audit.StageRequestReceived)
	if containsStage(pol.OmitStages, audit.StageResponseComplete) {
		l.add("AP017", l.sev("AP017"), -1, l.p.Line("omitStages"), "the policy omits ResponseComplete for every rule: ordinary requests are then recorded without their response status, or not at all")
	}
	var missing []int
	logging := 0
	for i, r := range l.rules {
		if levelRank(r.Level) <= 0 {
			continue
		}
		logging++
		if containsStage(r.OmitStages, audit.StageResponseComplete) {
			l.add("AP017", l.sev("AP017"), i, l.p.Line("rules", strconv.Itoa(i), "omitStages"), fmt.Sprintf("rule %d omits ResponseComplete: its requests are recorded without their response status (RequestReceived only, if that is not omitted too)", i))
		}
		if !policyOmitsRR && !containsStage(r.OmitStages, audit.StageRequestReceived) {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "RequestReceived is not omitted: every logged request is written twice (RequestReceived and ResponseComplete), doubling the volume for nothing an investigation uses; add omitStages: [RequestReceived] at the top of the policy"
	if len(missing) < logging {
		msg = fmt.Sprintf("RequestReceived is not omitted by %s (the others omit it): their requests are written twice; add omitStages: [RequestReceived] at the top of the policy", ruleList(missing))
	}
	l.add("AP007", l.sev("AP007"), -1, l.p.Line("omitStages"), msg)
}

func containsStage(ss []audit.Stage, s audit.Stage) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func (l *linter) managedFields() {
	var bodies []int
	for i, r := range l.rules {
		if r.Level == audit.LevelRequest || r.Level == audit.LevelRequestResponse {
			bodies = append(bodies, i)
		}
	}
	if len(bodies) == 0 {
		return
	}
	if !l.p.Internal.OmitManagedFields {
		var without []int
		for _, i := range bodies {
			if r := l.rules[i]; r.OmitManagedFields == nil || !*r.OmitManagedFields {
				without = append(without, i)
			}
		}
		if len(without) > 0 {
			l.add("AP008", l.sev("AP008"), -1, l.p.Line("omitManagedFields"), fmt.Sprintf("omitManagedFields is not set: the bodies logged by %s include metadata.managedFields, often most of each object; set omitManagedFields: true at the top of the policy", ruleList(without)))
		}
		return
	}
	for _, i := range bodies {
		if r := l.rules[i]; r.OmitManagedFields != nil && !*r.OmitManagedFields {
			l.add("AP008", l.sev("AP008"), i, l.p.Line("rules", strconv.Itoa(i), "omitManagedFields"), fmt.Sprintf("rule %d sets omitManagedFields: false, overriding the policy: its bodies include metadata.managedFields", i))
		}
	}
}

// ---- reachability-based rules ------------------------------------------

func (l *linter) shadowed() {
	for j := range l.rules {
		res := l.reach(j, filter{})
		if res.reached || len(res.shadowers) == 0 {
			continue
		}
		l.unreachable[j] = true
		sort.Ints(res.shadowers)
		l.add("AP006", l.sev("AP006"), j, 0, fmt.Sprintf("rule %d (%s) is never reached: every request it matches is matched first by %s; move it before them or remove it",
			j, l.level(j), ruleList(res.shadowers)))
	}
}

func (l *linter) sensitive() {
	for _, s := range sensitiveResources {
		for i, r := range l.rules {
			if levelRank(r.Level) <= 1 || l.unreachable[i] {
				continue
			}
			var verbsAt []string
			for _, v := range s.verbs {
				if s.leaks(v, r.Level) {
					verbsAt = append(verbsAt, v)
				}
			}
			if len(verbsAt) == 0 {
				continue
			}
			f := filter{resource: true, group: s.group, res: s.resource, sub: s.sub, verbs: verbsAt}
			first := l.reach(i, f)
			if !first.reached || first.tooMany {
				continue
			}
			var verbs []string
			for _, v := range verbsAt {
				f.verbs = []string{v}
				if l.reach(i, f).reached {
					verbs = append(verbs, v)
				}
			}
			sev := check.Medium
			if s.severe {
				sev = check.High
			}
			fix := "Metadata"
			if !slices.ContainsFunc(verbs, func(v string) bool { return s.leaks(v, audit.LevelRequest) }) {
				fix = "Request or Metadata (only the responses carry them)"
			}
			l.add("AP004", sev, i, 0, fmt.Sprintf("%s are logged at %s by rule %d, %s, for %s%s: the log then holds what these requests carry; log them at %s in a rule placed before rule %d",
				s.what, r.Level, i, l.what(i, s.group, s.resource), strings.Join(verbs, ", "), who(first.witness), fix, i))
		}
	}
}

// needFilter narrows reachability to a need's kind of request: its verb
// and resource (any namespace, name or user), or its URL.
func needFilter(n Need) filter {
	r := n.Request
	if r.IsResourceRequest() {
		return filter{resource: true, group: r.APIGroup, res: r.Resource, sub: r.Subresource, verbs: []string{r.Verb}}
	}
	return filter{path: r.Path, verbs: []string{r.Verb}, nrOnly: true}
}

// describeAs describes a need's request with the namespace and name of a
// witness that reached a rule (when they are not fresh probe values).
func describeAs(n Need, w Request) string {
	r := n.Request
	if r.IsResourceRequest() {
		if w.Namespace != freshNS && !(r.Namespace == "" && w.Namespace != "") {
			r.Namespace = w.Namespace
		}
		if w.Name != freshName && w.Name != "" && r.Verb != "create" {
			r.Name = w.Name
		}
	}
	return r.Verb + " " + r.Target()
}

func (l *linter) noneSwallows() {
	for i, r := range l.rules {
		if r.Level != audit.LevelNone || l.unreachable[i] || allWildcards(r.Users) || allWildcards(r.UserGroups) {
			continue // a rule only for names with "*" matches no real client (AP009)
		}
		var ids []string
		var w Request
		broad, credential := true, false
		for _, n := range Needs {
			if n.Min == "" {
				continue
			}
			res := l.reach(i, needFilter(n))
			if !res.reached || res.tooMany {
				continue
			}
			if len(ids) == 0 {
				w = res.witness
				broad = who(w) == ""
			}
			if s, ok := sensitiveFor(n.Request); ok && s.severe {
				credential = true
			}
			ids = append(ids, describeAs(n, res.witness))
		}
		if len(ids) == 0 {
			continue
		}
		sev := check.High
		if !broad {
			sev = check.Medium
		}
		more := ""
		if len(ids) > 6 {
			more = fmt.Sprintf(" and %d more", len(ids)-6)
			ids = ids[:6]
		}
		if names := namedObjects(r); names != nil {
			// Only the named objects go unseen: the leader-election locks
			// of the upstream example policy (controller-leader), renewed
			// every few seconds, are noise. A named credential is not.
			sev = check.Low
			if credential {
				sev = check.Medium
			}
			l.add("AP013", sev, i, 0, fmt.Sprintf("rule %d (None) drops security-relevant requests%s, only for the objects named %s: %s%s; harmless for leader-election locks, whose renewals are noise; otherwise log these requests in a rule before it",
				i, who(w), quoteList(names), strings.Join(ids, "; "), more))
			continue
		}
		l.add("AP013", sev, i, 0, fmt.Sprintf("rule %d (None) drops security-relevant requests%s: %s%s; narrow it (users, verbs, resources) or log these requests in a rule before it",
			i, who(w), strings.Join(ids, "; "), more))
	}
}

// namedObjects returns the resourceNames a resource rule is limited to
// (every entry names objects, no non-resource URL), nil when it is not.
func namedObjects(r audit.PolicyRule) []string {
	if len(r.Resources) == 0 || len(r.NonResourceURLs) > 0 {
		return nil
	}
	var names []string
	for _, gr := range r.Resources {
		if len(gr.ResourceNames) == 0 {
			return nil
		}
		for _, n := range gr.ResourceNames {
			if !contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}

func (l *linter) readResponses() {
	for i, r := range l.rules {
		if r.Level != audit.LevelRequestResponse || l.unreachable[i] {
			continue
		}
		res := l.reach(i, filter{resourceOnly: true, verbs: []string{"get", "list", "watch"}})
		if !res.reached || res.tooMany {
			continue
		}
		var verbs []string
		for _, v := range []string{"get", "list", "watch"} {
			if l.reach(i, filter{resourceOnly: true, verbs: []string{v}}).reached {
				verbs = append(verbs, v)
			}
		}
		l.add("AP014", l.sev("AP014"), i, 0, fmt.Sprintf("rule %d logs the responses of reads (%s) at RequestResponse: every object read and every list is written to the log, the largest volume a policy can produce; log reads at Metadata or Request (add verbs to rule %d, or a read rule before it)",
			i, strings.Join(verbs, ", "), i))
	}
}

// parentSubresources are the security-relevant subresources a rule naming
// the parent alone does not match, and the verbs to probe them with.
var parentSubresources = []struct {
	group, parent, sub string
	verbs              []string
	bodies             bool // the subresource has request bodies worth logging
}{
	{"", "pods", "exec", []string{"create", "get"}, false},
	{"", "pods", "attach", []string{"create", "get"}, false},
	{"", "pods", "portforward", []string{"create", "get"}, false},
	{"", "pods", "ephemeralcontainers", []string{"patch", "update"}, true},
	{"", "nodes", "proxy", []string{"get", "create"}, false},
}

func (l *linter) subresources() {
	for i, r := range l.rules {
		rank := levelRank(r.Level)
		if rank <= 0 || l.unreachable[i] {
			continue
		}
		var gaps []string
		var worst = -1
		for _, ps := range parentSubresources {
			if !namesParentOnly(r, ps.group, ps.parent) {
				continue
			}
			want := rank
			if !ps.bodies && want > 1 {
				want = 1 // no body: Metadata records everything there is
			} else if ps.bodies && want > 2 {
				want = 2
			}
			for _, v := range ps.verbs {
				f := filter{resource: true, group: ps.group, res: ps.parent, verbs: []string{v}}
				res := l.reach(i, f)
				if !res.reached {
					continue
				}
				c := res.witness
				c.Subresource = ps.sub
				if c.Name == "" {
					c.Name = freshName
				}
				d := l.ev.EvaluateRequest(c)
				if levelRank(d.Level) >= want {
					continue
				}
				by := "no rule (not logged)"
				if d.RuleIndex >= 0 {
					by = fmt.Sprintf("rule %d", d.RuleIndex)
				}
				gaps = append(gaps, fmt.Sprintf("%s %s/%s at %s (%s)", v, ps.parent, ps.sub, d.Level, by))
				if worst < 0 || levelRank(d.Level) < worst {
					worst = levelRank(d.Level)
				}
				break
			}
		}
		if len(gaps) == 0 {
			continue
		}
		l.add("AP011", l.sev("AP011"), i, 0, fmt.Sprintf("rule %d logs pods at %s but not their subresources, which \"pods\" does not match: %s; add the subresources (pods/exec, pods/attach, pods/portforward, pods/ephemeralcontainers) or pods/* to rule %d",
			i, r.Level, strings.Join(gaps, "; "), i))
	}
}

// namesParentOnly: the rule names the parent resource (exactly) in the group
// and no pattern that covers its subresources.
func namesParentOnly(r audit.PolicyRule, group, parent string) bool {
	found := false
	for _, gr := range r.Resources {
		if gr.Group != group && gr.Group != "*" {
			continue
		}
		if len(gr.Resources) == 0 {
			return false
		}
		for _, p := range gr.Resources {
			switch {
			case p == parent:
				found = true
			case p == "*", p == parent+"/*", strings.HasPrefix(p, parent+"/"), strings.HasPrefix(p, "*/"):
				return false
			}
		}
	}
	return found
}

// ---- evaluation-based rules ---------------------------------------------

// probeIdentities are who the catch-all probes are made as.
var probeIdentities = []Identity{HumanUser, ServiceAccount, NodeUser, Anonymous, Unauthenticated}

func (l *linter) catchAll() {
	var unmatched, unmatchedIDs []string
	noneRules := map[int]bool{}
	for _, id := range probeIdentities {
		for _, v := range resourceVerbs {
			probes := []Request{
				{Verb: v, APIGroup: freshGroup, Resource: freshRes, Namespace: freshNS, Name: freshName},
			}
			if v != "proxy" && v != "deletecollection" && v != "list" && v != "watch" {
				probes = append(probes, Request{Verb: nrVerb(v), Path: freshPath})
			}
			for _, p := range probes {
				d := l.ev.Decide(l.ev.wholeIndex(ptr(id.apply(p).Attributes())))
				switch {
				case d.RuleIndex < 0:
					unmatched = append(unmatched, fmt.Sprintf("%s %s as %s", p.Verb, probeTarget(p), id.Name))
					if !contains(unmatchedIDs, id.Name) {
						unmatchedIDs = append(unmatchedIDs, id.Name)
					}
				case d.Level == audit.LevelNone:
					noneRules[d.RuleIndex] = true
				}
			}
		}
	}
	if len(unmatched) > 0 {
		ex := unmatched[0]
		l.add("AP005", l.sev("AP005"), -1, 0, fmt.Sprintf("no catch-all rule: requests no rule matches are not logged (%d of %d probes, made as %s; e.g. %s); end the policy with - level: Metadata",
			len(unmatched), len(probeIdentities)*(len(resourceVerbs)+5), strings.Join(unmatchedIDs, ", "), ex))
		return
	}
	for i := range noneRules {
		if l.unreachable[i] {
			continue
		}
		r := l.rules[i]
		if len(r.Resources) == 0 && len(r.NonResourceURLs) == 0 && len(r.Namespaces) == 0 && len(r.Users) == 0 && len(r.UserGroups) == 0 {
			l.add("AP005", l.sev("AP005"), i, 0, fmt.Sprintf("rule %d is a None catch-all: everything no earlier rule matches is dropped, new resources and CRDs included; end the policy with - level: Metadata instead", i))
		}
	}
}

func nrVerb(v string) string {
	switch v {
	case "create":
		return "post"
	case "update":
		return "put"
	}
	return v
}

func probeTarget(r Request) string {
	if r.IsResourceRequest() {
		return "a resource of an unknown group"
	}
	return "an unknown URL"
}

func ptr[T any](v T) *T { return &v }

func (l *linter) detectionGaps() {
	type gap struct {
		ids   []string
		level audit.Level
	}
	blind := []string{}
	degraded := map[int]*gap{}
	for _, n := range Needs {
		if n.Min == "" {
			continue
		}
		ids := []Identity{HumanUser, ServiceAccount}
		if n.Fixed != nil {
			ids = []Identity{*n.Fixed}
		}
		for _, id := range ids {
			d := l.ev.EvaluateRequest(n.canonical(id))
			if levelRank(d.Level) >= levelRank(n.Min) {
				continue
			}
			desc := n.Request.Verb + " " + n.Request.Target()
			if n.Fixed != nil || id.User != HumanUser.User {
				desc += " (" + n.identity(id).Name + ")"
			}
			switch {
			case d.RuleIndex < 0:
				blind = append(blind, desc)
			case d.Level == audit.LevelNone:
				// reported by AP013
			default:
				g := degraded[d.RuleIndex]
				if g == nil {
					g = &gap{level: d.Level}
					degraded[d.RuleIndex] = g
				}
				g.ids = append(g.ids, fmt.Sprintf("%s (needs %s)", desc, n.Min))
			}
			break
		}
	}
	if len(blind) > 0 {
		l.add("AP015", check.High, -1, 0, fmt.Sprintf("no rule matches these security-relevant requests, so they are not logged and the detections that need them are blind: %s", limitList(blind, 8)))
	}
	idx := make([]int, 0, len(degraded))
	for i := range degraded {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		g := degraded[i]
		l.add("AP015", l.sev("AP015"), i, 0, fmt.Sprintf("rule %d logs at %s requests the audit detections need at a higher level (they read the body): %s; log them at Request in a rule before rule %d",
			i, g.level, limitList(g.ids, 8), i))
	}
}

// allWildcards: a non-empty list whose every entry has a "*".
func allWildcards(xs []string) bool {
	if len(xs) == 0 {
		return false
	}
	for _, x := range xs {
		if !strings.Contains(x, "*") {
			return false
		}
	}
	return true
}

func limitList(xs []string, n int) string {
	if len(xs) <= n {
		return strings.Join(xs, "; ")
	}
	return strings.Join(xs[:n], "; ") + fmt.Sprintf("; and %d more", len(xs)-n)
}

// FailsAt reports whether a finding is at or above the threshold.
func FailsAt(fs []Finding, threshold check.Severity) bool {
	for _, f := range fs {
		if f.Severity >= threshold {
			return true
		}
	}
	return false
}
