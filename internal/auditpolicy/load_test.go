package auditpolicy

import (
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apiserver/pkg/audit/policy"
	"k8s.io/klog/v2"
)

// TestMain silences the warnings policy.LoadPolicyFromBytes logs: the
// tests compare Load with it on policies that make it warn.
func TestMain(m *testing.M) {
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard)
	os.Exit(m.Run())
}

func mustLoad(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := Load("policy.yaml", []byte(doc))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return p
}

func problem(t *testing.T, p *Policy, id string, line int, contains string) Problem {
	t.Helper()
	for _, pr := range p.Problems {
		if pr.ID == id && (line == 0 || pr.Line == line) && strings.Contains(pr.Message, contains) {
			return pr
		}
	}
	t.Fatalf("no %s problem at line %d containing %q in %+v", id, line, contains, p.Problems)
	return Problem{}
}

// The classic typo: kube-apiserver warns, drops "resource" and the rule
// matches every request. Load reports it at its line and still evaluates
// the policy as the server does.
func TestLoadUnknownFieldLenient(t *testing.T) {
	doc := `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: RequestResponse
  resource:
  - group: ""
    resources: ["pods"]
- level: None
  omitStage: [RequestReceived]
`
	p := mustLoad(t, doc)
	if p.Refused {
		t.Fatalf("refused: %+v", p.Problems)
	}
	pr := problem(t, p, "AP001", 5, `unknown field "rules[0].resource"`)
	if pr.RuleIndex != 0 || !strings.Contains(pr.Message, `did you mean "resources"`) || !strings.Contains(pr.Message, "matches every request") {
		t.Fatalf("problem = %+v", pr)
	}
	pr = problem(t, p, "AP001", 9, `"rules[1].omitStage"`)
	if pr.RuleIndex != 1 || !strings.Contains(pr.Message, "omits no stage of its own") {
		t.Fatalf("problem = %+v", pr)
	}
	if d := NewEvaluator(p.Internal).EvaluateRequest(HumanUser.apply(res("get", "", "secrets", "", "default", "x"))); d.Level != "RequestResponse" || d.RuleIndex != 0 {
		t.Fatalf("the typo rule must match everything, got %+v", d)
	}
	real, err := policy.LoadPolicyFromBytes([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(real, p.Internal) {
		t.Fatalf("differs from LoadPolicyFromBytes:\n%+v\n%+v", real, p.Internal)
	}
}

func TestLoadDuplicateKey(t *testing.T) {
	p := mustLoad(t, "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n- level: None\n  level: Metadata\n")
	pr := problem(t, p, "AP001", 6, `duplicate "level"`)
	if pr.RuleIndex != 1 || !strings.Contains(pr.Message, "keeps the last value") {
		t.Fatalf("problem = %+v", pr)
	}
	if p.Internal.Rules[1].Level != "Metadata" {
		t.Fatalf("the server keeps the last value: %+v", p.Internal.Rules[1])
	}
}

func TestLoadRefused(t *testing.T) {
	cases := []struct {
		name, doc, id string
		line          int
		contains      string
		rules         int
	}{
		{"removed v1beta1", "apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n- level: Metadata\n", "AP002", 1, "removed in Kubernetes 1.24", 1},
		{"no apiVersion", "kind: Policy\nrules:\n- level: Metadata\n", "AP002", 0, `apiVersion ""`, 1},
		{"no rules", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []\n", "AP003", 3, "no rules", 0},
		{"missing level", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- verbs: [get]\n", "AP003", 4, "rules[0].level: Required", 1},
		{"lower-case level", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n- level: metadata\n", "AP003", 5, "Unsupported value", 2},
		{"bad stage", "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [Received]\nrules:\n- level: Metadata\n", "AP003", 3, "allowed stages", 1},
		{"url without slash", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  nonResourceURLs:\n  - /healthz\n  - healthz\n", "AP003", 7, "must begin with a '/'", 1},
		{"url and resources", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  nonResourceURLs: [/x]\n  resources: [{group: \"\"}]\n", "AP003", 5, "both regular resources and non-resource URLs", 1},
		{"group with version", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  resources:\n  - group: \"\"\n  - group: apps/v1\n    resources: [deployments]\n", "AP003", 7, `write "apps"`, 1},
		{"resourceNames without resources", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  resources:\n  - group: \"\"\n    resourceNames: [x]\n", "AP003", 7, "requires at least one resource", 1},
		{"type error", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  verbs: get\n", "", 0, "", -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Load("policy.yaml", []byte(c.doc))
			_, realErr := policy.LoadPolicyFromBytes([]byte(c.doc))
			if realErr == nil {
				t.Fatalf("kube-apiserver accepts this policy: the case is wrong")
			}
			if c.rules < 0 {
				if err == nil {
					t.Fatalf("want an error, got %+v", p.Problems)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !p.Refused {
				t.Fatalf("not refused: %+v", p.Problems)
			}
			problem(t, p, c.id, c.line, c.contains)
			if len(p.Internal.Rules) != c.rules {
				t.Fatalf("rules = %d, want %d (still linted)", len(p.Internal.Rules), c.rules)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{"", "policy.yaml: the file is empty"},
		{"rules: [\n", "policy.yaml:1: not valid YAML"},
		{"- just\n- a list\n", "not an audit policy"},
	} {
		if _, err := Load("policy.yaml", []byte(c.doc)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.doc, err, c.want)
		}
	}
}

func TestLoadJSON(t *testing.T) {
	doc := `{"apiVersion": "audit.k8s.io/v1", "kind": "Policy",
 "rules": [{"level": "Metadata", "verb": ["get"]}]}`
	p := mustLoad(t, doc)
	problem(t, p, "AP001", 2, `"rules[0].verb"`)
}

func TestRuleLines(t *testing.T) {
	p := mustLoad(t, "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n# c\n- level: None\n  users: [a]\n\n- level: Metadata\n")
	if p.RuleLine(0) != 5 || p.RuleLine(1) != 8 || p.RuleLine(2) != 0 {
		t.Fatalf("lines = %v", p.lines)
	}
}

// TestLoadNotAPolicy: a document of another kind or API group is no audit
// policy: an error naming the file and the line of its kind, not findings.
func TestLoadNotAPolicy(t *testing.T) {
	cases := []struct{ name, doc, want string }{
		{"List", "# pods\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n",
			`p.yaml:3: kind "List" (apiVersion "v1") is not an audit policy: want apiVersion: audit.k8s.io/v1 and kind: Policy (a list of objects is not read: give the policy file itself)`},
		{"JSON List", `{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [{"level": "None"}]}]}`,
			`p.yaml:1: kind "List" (apiVersion "v1") is not an audit policy: want apiVersion: audit.k8s.io/v1 and kind: Policy (a list of objects is not read: give the policy file itself)`},
		{"Event", "apiVersion: audit.k8s.io/v1\nkind: Event\nrules:\n- level: Metadata\n",
			`p.yaml:2: kind "Event" (apiVersion "audit.k8s.io/v1") is not an audit policy: want apiVersion: audit.k8s.io/v1 and kind: Policy`},
		{"no kind, another group", "apiVersion: apps/v1\nrules:\n- level: Metadata\n",
			`p.yaml:1: a document without kind is not an audit policy: want apiVersion: audit.k8s.io/v1 and kind: Policy`},
		{"neither", "rules:\n- level: Metadata\n",
			`p.yaml:1: a document without kind is not an audit policy: want apiVersion: audit.k8s.io/v1 and kind: Policy`},
		{"Policy of another group", "apiVersion: kubescheduler.config.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n",
			`p.yaml:1: kind "Policy" (apiVersion "kubescheduler.config.k8s.io/v1") is not an audit policy: want apiVersion: audit.k8s.io/v1 and kind: Policy`},
		{"Policy of the core group", "kind: Policy\napiVersion: v1\nrules:\n- level: Metadata\n",
			`p.yaml:2: kind "Policy" (apiVersion "v1") is not an audit policy: want apiVersion: audit.k8s.io/v1 and kind: Policy`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Load("p.yaml", []byte(c.doc))
			if err == nil || err.Error() != c.want {
				t.Fatalf("got %+v, %v\nwant %s", p, err, c.want)
			}
			if _, realErr := policy.LoadPolicyFromBytes([]byte(c.doc)); realErr == nil {
				t.Fatal("kube-apiserver loads it: the case is wrong")
			}
		})
	}
	// Policies of a removed version, or without apiVersion, are policies.
	for _, doc := range []string{
		"apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n- level: Metadata\n",
		"kind: Policy\nrules:\n- level: Metadata\n",
		"apiVersion: audit.k8s.io\nkind: Policy\nrules:\n- level: Metadata\n",
	} {
		if p, err := Load("p.yaml", []byte(doc)); err != nil || !p.Refused {
			t.Errorf("%q: %v (refused %v)", doc, err, p != nil && p.Refused)
		}
	}
	// kube-apiserver loads an audit.k8s.io/v1 document without kind.
	for _, doc := range []string{
		"apiVersion: audit.k8s.io/v1\nrules:\n- level: Metadata\n",
	} {
		if p, err := Load("p.yaml", []byte(doc)); err != nil || p.Refused {
			t.Errorf("%q: %v (refused %v)", doc, err, p != nil && p.Refused)
		}
	}
}
