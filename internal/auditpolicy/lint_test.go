package auditpolicy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/check"
)

// head is a clean policy header; tail a clean catch-all.
const (
	head        = "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nomitManagedFields: true\nrules:\n"
	catchAll    = "- level: Metadata\n"
	credentials = `- level: Metadata
  resources:
  - group: ""
    resources: ["secrets", "configmaps", "serviceaccounts/token"]
  - group: authentication.k8s.io
    resources: ["tokenreviews"]
  - group: certificates.k8s.io
    resources: ["certificatesigningrequests", "certificatesigningrequests/status"]
`
)

type lintCase struct {
	name string
	doc  string
	id   string
	// fire: the rule must fire (at rule, -1 for null; -2 any); otherwise it must not.
	fire     bool
	rule     int
	sev      check.Severity // checked when > 0
	contains string
}

func TestLintRules(t *testing.T) {
	cases := []lintCase{
		// AP001
		{"AP001 misspelled resources", head + "- level: None\n  resource:\n  - group: \"\"\n" + catchAll, "AP001", true, 0, 0, "matches every request"},
		{"AP001 near miss", head + "- level: None\n  resources:\n  - group: coordination.k8s.io\n" + catchAll, "AP001", false, 0, 0, ""},
		{"AP001 top level", strings.Replace(head, "omitStages", "omitStage", 1) + catchAll, "AP001", true, -1, 0, `did you mean "omitStages"`},
		// AP002
		{"AP002 v1beta1", strings.Replace(head, "audit.k8s.io/v1", "audit.k8s.io/v1beta1", 1) + catchAll, "AP002", true, -1, check.Critical, "removed"},
		{"AP002 near miss", head + catchAll, "AP002", false, 0, 0, ""},
		// AP003
		{"AP003 bad level", head + "- level: metadata\n", "AP003", true, 0, check.Critical, "Unsupported value"},
		{"AP003 near miss", head + "- level: Metadata\n", "AP003", false, 0, 0, ""},
		// AP004
		{"AP004 whole core group", head + "- level: Request\n  resources:\n  - group: \"\"\n" + catchAll, "AP004", true, 0, check.High, "a rule for the whole core group"},
		{"AP004 catch-all for one user", head + credentials + "- level: RequestResponse\n  users: [bob]\n" + catchAll, "AP004", false, 0, 0, ""},
		{"AP004 catch-all before credentials", head + "- level: RequestResponse\n  users: [bob]\n" + credentials + catchAll, "AP004", true, 0, check.High, "by user bob"},
		{"AP004 group wildcard", head + "- level: Request\n  resources:\n  - group: \"*\"\n    resources: [\"secrets\"]\n" + catchAll, "AP004", true, 0, check.High, "Secrets"},
		{"AP004 configmaps only", head + "- level: Request\n  resources:\n  - group: \"\"\n    resources: [configmaps]\n" + catchAll, "AP004", true, 0, check.Medium, "ConfigMaps"},
		{"AP004 near miss", head + credentials + "- level: Request\n  resources:\n  - group: \"\"\n" + catchAll, "AP004", false, 0, 0, ""},
		{"AP004 by resourceNames", head + "- level: RequestResponse\n  verbs: [get]\n  resources:\n  - group: \"\"\n    resources: [secrets]\n    resourceNames: [public-ca]\n" + catchAll, "AP004", true, 0, check.High, "for get"},
		// A TokenRequest's request body (audiences, expirationSeconds,
		// boundObjectRef) holds no secret: Request is fine, the response
		// (status.token) is not.
		{"AP004 near miss: TokenRequests at Request", head + "- level: Request\n  verbs: [create]\n  resources: [{group: \"\", resources: [serviceaccounts/token]}]\n" + credentials + catchAll, "AP004", false, 0, 0, ""},
		{"AP004 near miss: TokenRequests under a catch-all at Request", head + "- level: Metadata\n  resources: [{group: \"\", resources: [secrets, configmaps]}, {group: authentication.k8s.io}, {group: certificates.k8s.io}]\n- level: Request\n", "AP004", false, 0, 0, ""},
		{"AP004 TokenRequests at RequestResponse", head + "- level: RequestResponse\n  verbs: [create]\n  resources: [{group: \"\", resources: [serviceaccounts/token]}]\n" + credentials + catchAll, "AP004", true, 0, check.High, "TokenRequests (serviceaccounts/token: the issued token, in the response) are logged at RequestResponse by rule 0"},
		{"AP004 TokenRequests under a catch-all at RequestResponse", head + "- level: Metadata\n  resources: [{group: \"\", resources: [secrets, configmaps]}, {group: authentication.k8s.io}, {group: certificates.k8s.io}]\n- level: RequestResponse\n", "AP004", true, 1, check.High, "TokenRequests"},
		{"AP004 near miss: reads at Request carry no body", head + "- level: Request\n  verbs: [get, list, watch]\n  resources:\n  - group: \"\"\n" + catchAll, "AP004", false, 0, 0, ""},
		// Reads have no request body: at Request a GET of a ConfigMap or a
		// Secret logs nothing of it (the upstream example logs configmaps in
		// kube-system at Request: only its writes are flagged).
		{"AP004 configmap writes at Request, not reads", head + "- level: Request\n  namespaces: [kube-system]\n  resources: [{group: \"\", resources: [configmaps]}]\n" + catchAll, "AP004", true, 0, check.Medium, "for create, update, patch:"},
		// At RequestResponse the response of a read holds the Secret; a
		// watch's events are streamed and never logged.
		{"AP004 Secret reads at RequestResponse", head + "- level: RequestResponse\n  verbs: [get, list, watch]\n  resources: [{group: \"\", resources: [secrets]}]\n" + catchAll, "AP004", true, 0, check.High, "for get, list: the log then holds what these requests carry; log them at Request or Metadata"},
		{"AP004 near miss: Secret watches at RequestResponse", head + "- level: RequestResponse\n  verbs: [watch]\n  resources: [{group: \"\", resources: [secrets, configmaps]}]\n" + catchAll, "AP004", false, 0, 0, ""},
		// OpenShift's WriteRequestBodies profile: every write at
		// RequestResponse but Secrets: TokenReviews and TokenRequests leak.
		{"AP004 TokenReviews under a write rule at RequestResponse", head + "- level: Metadata\n  resources: [{group: \"\", resources: [secrets]}]\n- level: RequestResponse\n  verbs: [create, update, patch, delete, deletecollection]\n" + catchAll, "AP004", true, 1, check.High, "TokenReviews (the bearer token under review) are logged at RequestResponse by rule 1, a rule for every resource, for create"},
		// A CSR holds a public key and, once issued, the certificate: kube-up
		// logs certificates.k8s.io at RequestResponse, which leaks nothing.
		{"AP004 near miss: CSRs at RequestResponse", head + "- level: Metadata\n  resources: [{group: \"\", resources: [secrets, configmaps, serviceaccounts/token]}, {group: authentication.k8s.io}]\n- level: RequestResponse\n  resources: [{group: certificates.k8s.io}]\n" + catchAll, "AP004", false, 0, 0, ""},
		// AP005
		{"AP005 no catch-all", head + credentials, "AP005", true, -1, check.Medium, "no catch-all"},
		{"AP005 None catch-all", head + credentials + "- level: None\n", "AP005", true, 1, 0, "None catch-all"},
		{"AP005 authenticated only", head + "- level: Metadata\n  userGroups: [system:authenticated]\n", "AP005", true, -1, 0, "a client whose credentials were rejected"},
		{"AP005 near miss", head + credentials + catchAll, "AP005", false, 0, 0, ""},
		{"AP005 near miss: two halves", head + "- level: Metadata\n  resources: [{group: \"*\"}]\n- level: Metadata\n  nonResourceURLs: [\"*\"]\n", "AP005", false, 0, 0, ""},
		// AP006
		{"AP006 after the catch-all", head + catchAll + credentials, "AP006", true, 1, check.Medium, "matched first by rule 0"},
		{"AP006 pods/* before pods", head + "- level: Request\n  resources: [{group: \"\", resources: [\"pods/*\"]}]\n- level: RequestResponse\n  resources: [{group: \"\", resources: [pods]}]\n" + catchAll, "AP006", true, 1, 0, ""},
		{"AP006 near miss", head + credentials + catchAll, "AP006", false, 0, 0, ""},
		{"AP006 near miss: other verbs", head + "- level: None\n  verbs: [get]\n  resources: [{group: \"\"}]\n- level: Request\n  resources: [{group: \"\", resources: [pods]}]\n" + catchAll, "AP006", false, 0, 0, ""},
		// AP007
		{"AP007 not omitted", strings.Replace(head, "omitStages: [RequestReceived]\n", "", 1) + catchAll, "AP007", true, -1, check.Low, "written twice"},
		{"AP007 some rules", strings.Replace(head, "omitStages: [RequestReceived]\n", "", 1) + "- level: Request\n  verbs: [create]\n  omitStages: [RequestReceived]\n" + catchAll, "AP007", true, -1, 0, "by rule 1"},
		{"AP007 near miss: every rule", strings.Replace(head, "omitStages: [RequestReceived]\n", "", 1) + "- level: None\n  users: [x]\n- level: Metadata\n  omitStages: [RequestReceived]\n", "AP007", false, 0, 0, ""},
		// AP008
		{"AP008 not set", strings.Replace(head, "omitManagedFields: true\n", "", 1) + credentials + "- level: Request\n", "AP008", true, -1, check.Low, "rule 1"},
		{"AP008 overridden", head + credentials + "- level: Request\n  omitManagedFields: false\n", "AP008", true, 1, 0, "overriding"},
		{"AP008 near miss: no bodies", strings.Replace(head, "omitManagedFields: true\n", "", 1) + catchAll, "AP008", false, 0, 0, ""},
		// AP009
		{"AP009 users glob", head + "- level: None\n  users: [\"system:serviceaccount:*\"]\n" + catchAll, "AP009", true, 0, check.Medium, "compared literally"},
		{"AP009 groups star", head + "- level: None\n  userGroups: [\"*\"]\n" + catchAll, "AP009", true, 0, 0, ""},
		{"AP009 near miss", head + "- level: None\n  users: [\"system:serviceaccount:kube-system:generic-garbage-collector\"]\n" + catchAll, "AP009", false, 0, 0, ""},
		// AP010
		{"AP010 deployments in core", head + "- level: Request\n  resources:\n  - group: \"\"\n    resources: [deployments]\n" + catchAll, "AP010", true, 0, check.Medium, `write group: "apps"`},
		{"AP010 extensions", head + "- level: Request\n  resources:\n  - group: extensions\n" + catchAll, "AP010", true, 0, check.Low, "no longer served"},
		{"AP010 bad subresource", head + "- level: Request\n  resources:\n  - group: \"\"\n    resources: [pods/exe]\n" + catchAll, "AP010", true, 0, check.Low, `no subresource "exe"`},
		{"AP010 typo in core", head + "- level: Request\n  resources:\n  - group: \"\"\n    resources: [pod]\n" + catchAll, "AP010", true, 0, check.Medium, "a typo"},
		{"AP010 near miss", head + "- level: Request\n  resources:\n  - group: apps\n    resources: [deployments, deployments/scale, \"*/status\"]\n  - group: example.com\n    resources: [widgets]\n  - group: coordination.k8s.io\n    resources: [leasecandidates]\n" + catchAll, "AP010", false, 0, 0, ""},
		// AP011
		{"AP011 pods without exec", head + "- level: Request\n  resources: [{group: \"\", resources: [pods]}]\n- level: None\n  resources: [{group: \"\"}]\n" + catchAll, "AP011", true, 0, check.Medium, "create pods/exec at None (rule 1)"},
		{"AP011 near miss: listed", head + "- level: Request\n  resources: [{group: \"\", resources: [pods, pods/exec, pods/attach, pods/portforward, pods/ephemeralcontainers]}]\n- level: None\n  resources: [{group: \"\"}]\n" + catchAll, "AP011", false, 0, 0, ""},
		{"AP011 near miss: catch-all records exec", head + "- level: RequestResponse\n  verbs: [create]\n  resources: [{group: \"\", resources: [pods]}]\n" + catchAll, "AP011", false, 0, 0, ""},
		// AP012
		{"AP012 create", head + "- level: None\n  verbs: [create, get]\n  resources: [{group: \"\", resources: [configmaps], resourceNames: [leader]}]\n" + catchAll, "AP012", true, 0, check.Medium, "never matches a create"},
		{"AP012 no verbs", head + "- level: None\n  resources: [{group: \"\", resources: [configmaps], resourceNames: [leader]}]\n" + catchAll, "AP012", true, 0, check.Low, ""},
		{"AP012 near miss", head + "- level: None\n  verbs: [get, update]\n  resources: [{group: \"\", resources: [configmaps], resourceNames: [leader]}]\n" + catchAll, "AP012", false, 0, 0, ""},
		// AP013
		{"AP013 core group", head + "- level: None\n  resources: [{group: \"\"}]\n" + catchAll, "AP013", true, 0, check.High, "get secrets db-password in default"},
		{"AP013 for a group", head + "- level: None\n  userGroups: [system:nodes]\n  resources: [{group: \"\", resources: [pods]}]\n" + catchAll, "AP013", true, 0, check.Medium, "by members of group system:nodes"},
		// The upstream example's None rule for the controller-leader
		// ConfigMap (a leader-election lock) hides only that object.
		{"AP013 named leader lock", head + "- level: None\n  resources: [{group: \"\", resources: [configmaps], resourceNames: [controller-leader]}]\n" + catchAll, "AP013", true, 0, check.Low, `only for the objects named "controller-leader": get configmaps controller-leader in kube-system`},
		{"AP013 named leader lock of some users", head + "- level: None\n  users: [system:kube-controller-manager]\n  resources: [{group: \"\", resources: [configmaps, endpoints], resourceNames: [kube-controller-manager]}]\n" + catchAll, "AP013", true, 0, check.Low, "by user system:kube-controller-manager, only for the objects named"},
		{"AP013 named Secret", head + "- level: None\n  resources: [{group: \"\", resources: [secrets], resourceNames: [db-password]}]\n" + catchAll, "AP013", true, 0, check.Medium, `only for the objects named "db-password": get secrets db-password`},
		{"AP013 names and a whole group", head + "- level: None\n  resources: [{group: \"\", resources: [configmaps], resourceNames: [controller-leader]}, {group: rbac.authorization.k8s.io}]\n" + catchAll, "AP013", true, 0, check.High, "create clusterrolebindings"},
		{"AP013 anonymous", head + "- level: None\n  users: [system:anonymous]\n" + catchAll, "AP013", true, 0, 0, "by user system:anonymous"},
		{"AP013 near miss", head + "- level: None\n  users: [system:kube-proxy]\n  verbs: [watch]\n  resources: [{group: \"\", resources: [endpoints, services]}]\n- level: None\n  nonResourceURLs: [\"/healthz*\", /version]\n" + catchAll, "AP013", false, 0, 0, ""},
		// AP014
		{"AP014 reads", head + credentials + "- level: RequestResponse\n", "AP014", true, 1, check.Low, "(get, list, watch)"},
		{"AP014 watch only", head + credentials + "- level: RequestResponse\n  verbs: [watch, create]\n" + catchAll, "AP014", true, 1, 0, "(watch)"},
		{"AP014 near miss", head + credentials + "- level: RequestResponse\n  verbs: [create, update, patch]\n" + catchAll, "AP014", false, 0, 0, ""},
		// AP015
		{"AP015 degraded", head + credentials + catchAll, "AP015", true, 1, check.Medium, "create pods in default (needs Request)"},
		{"AP015 blind", head + "- level: Metadata\n  users: [x]\n", "AP015", true, -1, check.High, "blind"},
		{"AP015 near miss", head + credentials + "- level: Request\n", "AP015", false, 0, 0, ""},
		// AP016
		{"AP016 upper case", head + "- level: None\n  verbs: [GET]\n" + catchAll, "AP016", true, 0, check.Medium, "lower case"},
		{"AP016 star", head + "- level: None\n  verbs: [\"*\"]\n" + catchAll, "AP016", true, 0, 0, "not a wildcard"},
		{"AP016 unknown", head + "- level: None\n  verbs: [read]\n" + catchAll, "AP016", true, 0, 0, `did you mean`},
		{"AP016 near miss", head + "- level: None\n  verbs: [get, post, deletecollection]\n  nonResourceURLs: [/x]\n" + catchAll, "AP016", false, 0, 0, ""},
		// AP017
		{"AP017 policy", strings.Replace(head, "[RequestReceived]", "[RequestReceived, ResponseComplete]", 1) + catchAll, "AP017", true, -1, check.Medium, "every rule"},
		{"AP017 rule", head + "- level: Metadata\n  omitStages: [ResponseComplete]\n", "AP017", true, 0, 0, ""},
		{"AP017 near miss", head + "- level: None\n  omitStages: [ResponseComplete]\n  users: [x]\n- level: Metadata\n  omitStages: [ResponseStarted]\n", "AP017", false, 0, 0, ""},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := Lint(mustLoad(t, c.doc))
			var hit *Finding
			for i := range fs {
				f := &fs[i]
				if f.ID != c.id {
					continue
				}
				if c.rule >= -1 {
					if (c.rule == -1) != (f.RuleIndex == nil) || (f.RuleIndex != nil && *f.RuleIndex != c.rule) {
						continue
					}
				}
				if strings.Contains(f.Message, c.contains) && (c.sev == 0 || f.Severity == c.sev) {
					hit = f
				}
			}
			if c.fire && hit == nil {
				t.Fatalf("%s did not fire (rule %d, %q):\n%s", c.id, c.rule, c.contains, render(fs))
			}
			if !c.fire {
				for _, f := range fs {
					if f.ID == c.id {
						t.Fatalf("%s fired on the near miss:\n%s", c.id, render(fs))
					}
				}
			}
			if c.fire && hit.Line == 0 && c.id != "AP005" && c.id != "AP015" {
				t.Errorf("no line: %+v", hit)
			}
		})
		if c.fire {
			covered[c.id] = true
		}
	}
	for _, r := range LintRules {
		if !covered[r.ID] {
			t.Errorf("%s has no case that fires", r.ID)
		}
	}
}

func render(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		idx := "-"
		if f.RuleIndex != nil {
			idx = string(rune('0' + *f.RuleIndex))
		}
		b.WriteString("  " + f.ID + " " + f.Severity.String() + " rule " + idx + ": " + f.Message + "\n")
	}
	return b.String()
}

func TestLintRulesAreDocumented(t *testing.T) {
	ids := map[string]bool{}
	for i, r := range LintRules {
		if want := "AP0" + string(rune('0'+(i+1)/10)) + string(rune('0'+(i+1)%10)); r.ID != want {
			t.Errorf("rule %d: ID %s, want %s (IDs are in order, never reused)", i, r.ID, want)
		}
		if ids[r.ID] || r.Name == "" || r.Summary == "" || r.Detail == "" {
			t.Errorf("%s: duplicate or incomplete", r.ID)
		}
		ids[r.ID] = true
	}
}

// TestLintContext: commands lint at most MaxLintRules rules, and stop
// when their context ends.
func TestLintContext(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: audit.k8s.io/v1\nkind: Policy\n# many rules\nrules:\n")
	for i := 0; i <= MaxLintRules; i++ {
		fmt.Fprintf(&b, "- level: Metadata\n  users: [u%d]\n", i)
	}
	p, err := Load("p.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = LintContext(context.Background(), p)
	if want := "p.yaml:4: 1001 rules: more than the 1000 apiguard lints"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err = %v, want %s...", err, want)
	}
	p.Internal.Rules = p.Internal.Rules[:MaxLintRules]
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if _, err := LintContext(ctx, p); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled lint: %v", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("a cancelled lint of %d rules took %s", MaxLintRules, el)
	}
	fs, err := LintContext(context.Background(), p)
	if err != nil || len(fs) == 0 {
		t.Fatalf("%d findings, %v", len(fs), err)
	}
}
