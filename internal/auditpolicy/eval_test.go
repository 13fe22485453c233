package auditpolicy

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	audit "k8s.io/apiserver/pkg/apis/audit"
	"k8s.io/apiserver/pkg/audit/policy"
)

// The policy of the reference's verification table (the k8s docs example
// reduced), with the decisions kube-apiserver's evaluator gives.
const docsPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: None
  users: ["system:kube-proxy"]
  verbs: ["watch"]
  resources:
  - group: ""
    resources: ["endpoints", "services"]
- level: Metadata
  resources:
  - group: ""
    resources: ["secrets", "configmaps"]
- level: Request
  resources:
  - group: ""
    resources: ["pods/*"]
  omitStages: ["ResponseStarted"]
- level: RequestResponse
  resources:
  - group: ""
    resources: ["pods"]
- level: Metadata
  omitManagedFields: true
`

func TestEvaluate(t *testing.T) {
	ev := NewEvaluator(mustLoad(t, docsPolicy).Internal)
	alice := func(r Request) Request { return HumanUser.apply(r) }
	cases := []struct {
		req    Request
		level  audit.Level
		rule   int
		stages string
	}{
		{alice(res("get", "", "secrets", "", "default", "x")), "Metadata", 1, "RequestReceived"},
		{alice(res("create", "", "pods", "exec", "default", "web")), "Request", 2, "RequestReceived,ResponseStarted"},
		// pods/* matches pods itself, not only its subresources.
		{alice(res("create", "", "pods", "", "default", "")), "Request", 2, "RequestReceived,ResponseStarted"},
		{Request{User: "system:kube-proxy", Verb: "watch", Resource: "endpoints", Namespace: "default"}, "None", 0, "RequestReceived"},
		{Request{User: "bob", Verb: "get", Path: "/healthz"}, "Metadata", 4, "RequestReceived"},
		{Request{NoUser: true, Verb: "get", Path: "/healthz"}, "Metadata", 4, "RequestReceived"},
	}
	for _, c := range cases {
		d := ev.EvaluateRequest(c.req)
		var st []string
		for _, s := range d.OmitStages {
			st = append(st, string(s))
		}
		if d.Level != c.level || d.RuleIndex != c.rule || strings.Join(st, ",") != c.stages {
			t.Errorf("%s: got %s rule %d stages %v, want %s rule %d stages %s", c.req, d.Level, d.RuleIndex, st, c.level, c.rule, c.stages)
		}
	}
	if d := ev.EvaluateRequest(alice(nonres("get", "/x"))); !d.OmitManagedFields {
		t.Errorf("rule 4 sets omitManagedFields: %+v", d)
	}
	none := NewEvaluator(mustLoad(t, "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [Panic]\nrules:\n- level: Metadata\n  users: [x]\n").Internal)
	if d := none.EvaluateRequest(alice(nonres("get", "/"))); d.Level != "None" || d.RuleIndex != -1 || len(d.OmitStages) != 1 {
		t.Errorf("no match: %+v", d)
	}
}

// TestIndexedMatchesReal: the index-carrying copy and the real evaluator
// agree on random requests against random policies (Evaluate panics if
// they do not).
func TestIndexedMatchesReal(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for range 200 {
		p := randomPolicy(rng, 1+rng.Intn(12))
		ev := NewEvaluator(p)
		real := policy.NewPolicyRuleEvaluator(p.DeepCopy())
		for range 200 {
			r := randomRequest(rng)
			a := r.Attributes()
			d := ev.Evaluate(&a)
			if got := real.EvaluatePolicyRule(&a).Level; got != d.Level {
				t.Fatalf("%s: real %s, ours %+v", r, got, d)
			}
			if fast := ev.RuleIndex(&a); fast != d.RuleIndex {
				t.Fatalf("%s: the rule subset decides rule %d, the whole policy rule %d\n%s", r, fast, d.RuleIndex, dump(p))
			}
		}
	}
}

var (
	tokUsers  = []string{"alice", "bob", "system:anonymous", "system:node:n1"}
	tokGroups = []string{"system:authenticated", "system:nodes", "dev", "system:unauthenticated"}
	tokVerbs  = []string{"get", "list", "watch", "create", "update", "patch", "delete", "post"}
	tokNS     = []string{"default", ""}
	tokGroupR = []string{"", "apps", "*"}
	tokRes    = []string{"pods", "pods/exec", "pods/*", "*", "*/status", "secrets", "deployments", "nodes"}
	tokNames  = []string{"a"}
	tokURLs   = []string{"/healthz", "/healthz*", "/api*", "*", "/version"}
	tokLevels = []audit.Level{"None", "Metadata", "Request", "RequestResponse"}
)

func pick[T any](rng *rand.Rand, xs []T, p float64) []T {
	if rng.Float64() > p {
		return nil
	}
	var out []T
	for _, x := range xs {
		if rng.Intn(3) == 0 {
			out = append(out, x)
		}
	}
	return out
}

func randomPolicy(rng *rand.Rand, n int) *audit.Policy {
	p := &audit.Policy{}
	for range n {
		r := audit.PolicyRule{Level: tokLevels[rng.Intn(4)]}
		r.Users = pick(rng, tokUsers, 0.3)
		r.UserGroups = pick(rng, tokGroups, 0.3)
		r.Verbs = pick(rng, tokVerbs, 0.4)
		switch rng.Intn(3) {
		case 0:
			r.NonResourceURLs = pick(rng, tokURLs, 1)
		case 1:
			r.Namespaces = pick(rng, tokNS, 0.3)
			for k := rng.Intn(3); k > 0; k-- {
				g := audit.GroupResources{Group: tokGroupR[rng.Intn(len(tokGroupR))], Resources: pick(rng, tokRes, 0.8)}
				if len(g.Resources) > 0 {
					g.ResourceNames = pick(rng, tokNames, 0.2)
				}
				r.Resources = append(r.Resources, g)
			}
		}
		p.Rules = append(p.Rules, r)
	}
	return p
}

func randomRequest(rng *rand.Rand) Request {
	r := Request{Verb: tokVerbs[rng.Intn(len(tokVerbs))]}
	switch rng.Intn(4) {
	case 0:
		r.NoUser = true
	default:
		r.User = append(tokUsers, "zed")[rng.Intn(len(tokUsers)+1)]
		r.Groups = pick(rng, tokGroups, 0.8)
	}
	if rng.Intn(3) == 0 {
		r.Path = []string{"/healthz", "/healthz/etcd", "/api", "/apis/apps", "/version", "/metrics"}[rng.Intn(6)]
		return r
	}
	r.APIGroup = []string{"", "apps", "example.com"}[rng.Intn(3)]
	r.Resource = []string{"pods", "secrets", "deployments", "nodes", "widgets"}[rng.Intn(5)]
	r.Subresource = []string{"", "", "exec", "status", "scale"}[rng.Intn(5)]
	r.Namespace = []string{"default", "kube-system", ""}[rng.Intn(3)]
	r.Name = []string{"", "a", "b", "c"}[rng.Intn(4)]
	return r
}

// TestReachExact compares reachability with brute force over a universe of
// requests built from the tokens the random policies use (plus fresh
// values): every rule reach() calls unreachable is unreachable in the
// universe, and every rule reachable in the universe is reachable.
func TestReachExact(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	var universe []Request
	users := append([]string{freshUser}, tokUsers...)
	groupSets := [][]string{nil}
	for _, g := range tokGroups {
		groupSets = append(groupSets, []string{g})
	}
	for _, u := range users {
		for _, gs := range groupSets {
			for _, v := range append(append([]string{}, resourceVerbs...), nonResourceVerbs...) {
				for _, p := range []string{"/healthz", "/healthz/x", "/api", "/apis", "/version", freshPath} {
					universe = append(universe, Request{User: u, Groups: gs, Verb: v, Path: p})
				}
				for _, g := range []string{"", "apps", freshGroup} {
					for _, rs := range [][2]string{{"pods", ""}, {"pods", "exec"}, {"pods", "x"}, {"secrets", ""}, {"deployments", ""}, {"nodes", ""}, {"nodes", "status"}, {freshRes, ""}, {freshRes, "status"}} {
						for _, ns := range []string{"default", "", freshNS} {
							for _, n := range []string{"", "a", freshName} {
								universe = append(universe, Request{User: u, Groups: gs, Verb: v, APIGroup: g, Resource: rs[0], Subresource: rs[1], Namespace: ns, Name: n})
							}
						}
					}
				}
			}
		}
	}
	iterations := 30
	if testing.Short() {
		iterations = 5
	}
	for it := range iterations {
		p := randomPolicy(rng, 2+rng.Intn(8))
		ev := NewEvaluator(p)
		hit := map[int]bool{}
		for _, r := range universe {
			a := r.Attributes()
			hit[ev.RuleIndex(&a)] = true
		}
		for j := range p.Rules {
			got := ev.reach(p.Rules, j, filter{})
			if got.reached != hit[j] {
				t.Fatalf("policy %d rule %d: reach=%v (witness %s), brute force=%v\n%s", it, j, got.reached, got.witness, hit[j], dump(p))
			}
		}
	}
}

func dump(p *audit.Policy) string {
	var b strings.Builder
	for i, r := range p.Rules {
		fmt.Fprintf(&b, "%d: %+v\n", i, r)
	}
	return b.String()
}

func TestEventRequest(t *testing.T) {
	var seen []Request
	log := `{"kind":"Event","auditID":"1","level":"Request","verb":"create","requestURI":"/api/v1/namespaces/default/pods","user":{"username":"alice","groups":["system:authenticated"]},"objectRef":{"resource":"pods","namespace":"default","name":"web-0","apiVersion":"v1"}}
{"kind":"Event","auditID":"2","level":"Metadata","verb":"get","requestURI":"/healthz?verbose=1","user":{}}
{"kind":"Event","auditID":"3","verb":"create","requestURI":"/api/v1/namespaces/default/pods/web-0/exec?command=ls","user":{"username":"bob"},"impersonatedUser":{"username":"system:admin"},"objectRef":{"resource":"pods","subresource":"exec","namespace":"default","name":"web-0"}}
not json
{"kind":"EventList","items":[{"auditID":"4","verb":"get","requestURI":"/api/v1/namespaces/a%2Fb","user":{"username":"c"}},{"auditID":"5","verb":"get","requestURI":"/version","user":{"username":"c"}}]}
{}
`
	var bad []string
	n, err := ReadEvents("audit.log", strings.NewReader(log), func(e *Event) { seen = append(seen, e.Request()) }, func(e *EventError) { bad = append(bad, e.Error()) })
	if err != nil || n != 5 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if len(bad) != 2 || !strings.HasPrefix(bad[0], "audit.log:4: not a JSON audit event") || !strings.HasPrefix(bad[1], "audit.log:6:") {
		t.Fatalf("bad = %q", bad)
	}
	want := []Request{
		{User: "alice", Groups: []string{"system:authenticated"}, Verb: "create", Resource: "pods", Namespace: "default", APIVersion: "v1"},
		{NoUser: true, Verb: "get", Path: "/healthz"},
		{User: "bob", Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "default", Name: "web-0"},
		{User: "c", Verb: "get", Path: "/api/v1/namespaces/a/b"},
		{User: "c", Verb: "get", Path: "/version"},
	}
	for i := range want {
		if fmt.Sprint(seen[i]) != fmt.Sprint(want[i]) || seen[i].NoUser != want[i].NoUser || seen[i].Path != want[i].Path || seen[i].Name != want[i].Name {
			t.Errorf("event %d: got %+v, want %+v", i, seen[i], want[i])
		}
	}
}

func TestImplicitGroups(t *testing.T) {
	for _, c := range []struct {
		user   string
		groups []string
		want   string
	}{
		{"alice", nil, "system:authenticated"},
		{"alice", []string{"dev", "system:authenticated"}, "dev,system:authenticated"},
		{"system:anonymous", nil, "system:unauthenticated"},
		{"system:serviceaccount:ci:deployer", nil, "system:serviceaccounts,system:serviceaccounts:ci,system:authenticated"},
	} {
		if got := strings.Join(ImplicitGroups(c.user, c.groups), ","); got != c.want {
			t.Errorf("%s %v: %s, want %s", c.user, c.groups, got, c.want)
		}
	}
}
