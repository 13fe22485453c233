package rbacusage

import (
	"reflect"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/auditpolicy"
	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/rbacdump"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// evSpec is one event (ResponseComplete unless stage says otherwise):
// what is "GROUP:RESOURCE[/SUB]" (":pods" is the core group) or a "/path";
// code 0 is 200; at t0 plus min minutes.
type evSpec struct {
	id, user    string
	groups      []string
	verb, what  string
	ns, name    string
	code        int32
	min         int
	stage       auditv1.Stage
	impersonate *authnv1.UserInfo
	decision    string
}

var seq int

func ev(s evSpec) *auditv1.Event {
	seq++
	e := &auditv1.Event{AuditID: types.UID(s.id), Stage: s.stage, Verb: s.verb,
		User: authnv1.UserInfo{Username: s.user, Groups: s.groups}, ImpersonatedUser: s.impersonate,
		ResponseStatus:           &metav1.Status{Code: s.code},
		RequestReceivedTimestamp: metav1.NewMicroTime(t0.Add(time.Duration(s.min) * time.Minute))}
	if e.AuditID == "" {
		e.AuditID = types.UID("id-" + string(rune('a'+seq%26)) + strings.Repeat("x", seq/26))
	}
	if e.Stage == "" {
		e.Stage = auditv1.StageResponseComplete
	}
	if s.code == 0 {
		e.ResponseStatus.Code = 200
	}
	if s.decision != "" {
		e.Annotations = map[string]string{DecisionAnnotation: s.decision}
	}
	if strings.HasPrefix(s.what, "/") {
		e.RequestURI = s.what + "?timeout=32s"
		return e
	}
	group, res, _ := strings.Cut(s.what, ":")
	res, sub, _ := strings.Cut(res, "/")
	e.ObjectRef = &auditv1.ObjectReference{APIGroup: group, Resource: res, Subresource: sub, Namespace: s.ns, Name: s.name}
	e.RequestURI = "/api/v1/" + res
	return e
}

func loadFixture(t *testing.T) *rbac.Policy {
	t.Helper()
	p, err := rbacdump.Load("testdata/cluster.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	alice    = SubjectKey{Kind: "User", Name: "alice"}
	bob      = SubjectKey{Kind: "User", Name: "bob"}
	carol    = SubjectKey{Kind: "User", Name: "carol"}
	dave     = SubjectKey{Kind: "User", Name: "dave"}
	erin     = SubjectKey{Kind: "User", Name: "erin"}
	devs     = SubjectKey{Kind: "Group", Name: "devs"}
	authed   = SubjectKey{Kind: "Group", Name: "system:authenticated"}
	robot    = SubjectKey{Kind: "ServiceAccount", Namespace: "ci", Name: "robot"}
	frontend = SubjectKey{Kind: "ServiceAccount", Namespace: "web", Name: "frontend"}
	webSAs   = SubjectKey{Kind: "Group", Name: "system:serviceaccounts:web"}
)

// rule returns subject k's rule ri of binding name (with via, for a group
// binding it used), failing the test when there is none.
func rule(t *testing.T, r *Report, k SubjectKey, binding string, ri int) RuleUsage {
	t.Helper()
	s := r.Subject(k)
	if s == nil {
		t.Fatalf("%s is not in the report", k)
	}
	for _, b := range s.Bindings {
		if b.Name == binding {
			if ri >= len(b.Rules) {
				t.Fatalf("%s: binding %s has %d rules", k, binding, len(b.Rules))
			}
			return b.Rules[ri]
		}
	}
	t.Fatalf("%s: no binding %s in %+v", k, binding, s.Bindings)
	return RuleUsage{}
}

func requests(t *testing.T, r *Report, k SubjectKey) int64 {
	t.Helper()
	s := r.Subject(k)
	if s == nil {
		t.Fatalf("%s is not in the report", k)
	}
	return s.Requests
}

func want[T comparable](t *testing.T, what string, got, w T) {
	t.Helper()
	if got != w {
		t.Errorf("%s = %v, want %v", what, got, w)
	}
}

func TestUsage(t *testing.T) {
	p := loadFixture(t)
	cases := []struct {
		name   string
		opts   Options
		events []evSpec
		check  func(t *testing.T, r *Report)
	}{
		{"rolebinding to clusterrole counts inside its namespace only", Options{}, []evSpec{
			{user: "alice", verb: "get", what: ":pods", ns: "dev", name: "a"},
			{user: "alice", verb: "list", what: ":pods", ns: "prod"},
		}, func(t *testing.T, r *Report) {
			want(t, "alice requests", requests(t, r, alice), 2)
			want(t, "alice-pods pods rule", rule(t, r, alice, "alice-pods", 0).Requests, 2)
			want(t, "alice-view pods rule (dev only)", rule(t, r, alice, "alice-view", 0).Requests, 1)
			want(t, "alice-pods secrets rule used", rule(t, r, alice, "alice-pods", 1).Used, false)
		}},
		{"group binding attributed to the member whose request carried the group", Options{}, []evSpec{
			{user: "bob", groups: []string{"devs"}, verb: "create", what: "apps:deployments", ns: "dev"},
			{user: "bob", groups: []string{"devs"}, verb: "patch", what: "apps:deployments", ns: "dev", name: "web"},
		}, func(t *testing.T, r *Report) {
			want(t, "devs create/patch rule", rule(t, r, devs, "devs-deploy", 0).Requests, 2)
			want(t, "devs delete rule used", rule(t, r, devs, "devs-deploy", 1).Used, false)
			want(t, "devs members", strings.Join(r.Subject(devs).Members, ","), "User bob")
			want(t, "bob requests", requests(t, r, bob), 2)
			bu := r.Subject(bob).Bindings
			want(t, "bob's bindings", len(bu), 1)
			want(t, "bob's binding via", bu[0].Via, "Group devs")
			want(t, "bob's rule via the group", bu[0].Rules[0].Requests, 2)
		}},
		{"impersonated request belongs to the impersonated user, the impersonator used impersonate", Options{}, []evSpec{
			{user: "system:serviceaccount:ci:robot", verb: "get", what: ":pods", ns: "dev", name: "a",
				impersonate: &authnv1.UserInfo{Username: "alice", Groups: []string{"system:authenticated"}}},
		}, func(t *testing.T, r *Report) {
			want(t, "alice requests", requests(t, r, alice), 1)
			want(t, "alice-pods used", rule(t, r, alice, "alice-pods", 0).Requests, 1)
			want(t, "robot requests", requests(t, r, robot), 1)
			want(t, "robot impersonate users", rule(t, r, robot, "robot-impersonates", 0).Requests, 1)
			// system:authenticated was added by the impersonation filter, not asked for.
			want(t, "robot impersonate groups used", rule(t, r, robot, "robot-impersonates", 1).Used, false)
		}},
		{"impersonated groups asked for are impersonate uses", Options{}, []evSpec{
			{user: "system:serviceaccount:ci:robot", verb: "create", what: "apps:deployments", ns: "dev",
				impersonate: &authnv1.UserInfo{Username: "bob", Groups: []string{"devs", "system:authenticated"}}},
		}, func(t *testing.T, r *Report) {
			want(t, "robot impersonate groups", rule(t, r, robot, "robot-impersonates", 1).Requests, 1)
			want(t, "devs create rule", rule(t, r, devs, "devs-deploy", 0).Requests, 1)
		}},
		{"404 and 409 were authorized, 403 is denied and listed apart", Options{}, []evSpec{
			{user: "alice", verb: "get", what: ":secrets", ns: "x", name: "gone", code: 404},
			{user: "alice", verb: "get", what: ":pods", ns: "x", name: "p", code: 409},
			{user: "alice", verb: "delete", what: ":pods", ns: "x", name: "p", code: 403},
			{user: "alice", verb: "delete", what: ":pods", ns: "x", name: "p", code: 403},
		}, func(t *testing.T, r *Report) {
			want(t, "alice requests", requests(t, r, alice), 2)
			want(t, "secrets rule", rule(t, r, alice, "alice-pods", 1).Requests, 1)
			d := r.Subject(alice).Denied
			want(t, "denied shapes", len(d), 1)
			want(t, "denied", d[0].Verb+" "+d[0].Resource+" "+d[0].Name, "delete pods p")
			want(t, "denied count", d[0].Requests, 2)
			want(t, "stats denied", r.Stats.Denied, 2)
		}},
		{"the decision annotation beats the response code", Options{}, []evSpec{
			// Forbidden by admission after authorization allowed it.
			{user: "alice", verb: "get", what: ":secrets", ns: "x", name: "s", code: 403, decision: "allow"},
			{user: "alice", verb: "get", what: ":pods", ns: "x", name: "p", code: 200, decision: "forbid"},
		}, func(t *testing.T, r *Report) {
			want(t, "secrets rule", rule(t, r, alice, "alice-pods", 1).Requests, 1)
			want(t, "pods rule", rule(t, r, alice, "alice-pods", 0).Used, false)
			want(t, "denied", len(r.Subject(alice).Denied), 1)
		}},
		{"only the final stage counts, once per auditID", Options{}, []evSpec{
			{id: "1", user: "alice", verb: "get", what: ":pods", ns: "dev", name: "a", stage: auditv1.StageRequestReceived},
			{id: "1", user: "alice", verb: "get", what: ":pods", ns: "dev", name: "a"},
			{id: "1", user: "alice", verb: "get", what: ":pods", ns: "dev", name: "a"}, // redelivered
			{id: "2", user: "alice", verb: "watch", what: ":pods", ns: "dev", stage: auditv1.StageResponseStarted},
			{id: "2", user: "alice", verb: "watch", what: ":pods", ns: "dev"},
		}, func(t *testing.T, r *Report) {
			want(t, "alice requests", requests(t, r, alice), 2)
			want(t, "events", r.Events, 2)
			want(t, "not final", r.Stats.NotFinal, 2)
			want(t, "duplicates", r.Stats.Duplicates, 1)
		}},
		{"a request a default discovery binding allows marks only that grant", Options{}, []evSpec{
			{user: "carol", verb: "get", what: "/api"},
			{user: "carol", verb: "get", what: "/healthz"},
			{user: "carol", verb: "get", what: "/metrics"},
		}, func(t *testing.T, r *Report) {
			want(t, "carol requests", requests(t, r, carol), 3)
			// /metrics: only carol's own rule allows it.
			want(t, "carol's url rule", rule(t, r, carol, "carol-urls", 0).Requests, 1)
			disc := rule(t, r, authed, "system:discovery", 0)
			want(t, "system:discovery used", disc.Used, true)
			pub := rule(t, r, SubjectKey{Kind: "Group", Name: "system:unauthenticated"}, "system:public-info-viewer", 0)
			want(t, "public-info-viewer through system:authenticated", pub.Used, false)
		}},
		{"watch is its own verb: a list-only rule is not used by a watch", Options{}, []evSpec{
			{user: "system:serviceaccount:web:frontend", verb: "watch", what: ":pods", ns: "web"},
			{user: "system:serviceaccount:web:frontend", verb: "list", what: ":pods", ns: "web"},
			{user: "system:serviceaccount:web:frontend", verb: "deletecollection", what: ":pods", ns: "web"},
		}, func(t *testing.T, r *Report) {
			want(t, "frontend requests", requests(t, r, frontend), 3)
			want(t, "unattributed (watch, deletecollection)", r.Subject(frontend).Unattributed, 2)
			want(t, "list rule via system:serviceaccounts:web", rule(t, r, webSAs, "web-sas-list", 0).Requests, 1)
			want(t, "members", strings.Join(r.Subject(webSAs).Members, ","), "ServiceAccount web/frontend")
		}},
		{"subjects with grants and no requests are listed with zero", Options{}, nil, func(t *testing.T, r *Report) {
			want(t, "dave requests", requests(t, r, dave), 0)
			want(t, "dave lastSeen", r.Subject(dave).LastSeen == nil, true)
			want(t, "dave binding used", r.Subject(dave).Bindings[0].Used, false)
			want(t, "frontend (RoleBinding subject without namespace)", requests(t, r, frontend), 0)
			want(t, "window", r.Window.From == nil, true)
		}},
		{"identities seen in the log without grants are listed", Options{}, []evSpec{
			{user: "erin", verb: "get", what: ":secrets", ns: "x", name: "s", code: 403},
		}, func(t *testing.T, r *Report) {
			want(t, "erin requests", requests(t, r, erin), 0)
			want(t, "erin denied", len(r.Subject(erin).Denied), 1)
		}},
		{"the window bounds the events, the report states the span read", Options{Since: t0.Add(10 * time.Minute), Until: t0.Add(20 * time.Minute)}, []evSpec{
			{user: "alice", verb: "get", what: ":pods", ns: "dev", name: "a", min: 5},
			{user: "alice", verb: "get", what: ":pods", ns: "dev", name: "a", min: 12},
			{user: "alice", verb: "get", what: ":secrets", ns: "dev", name: "a", min: 18},
			{user: "alice", verb: "get", what: ":pods", ns: "dev", name: "a", min: 25},
		}, func(t *testing.T, r *Report) {
			want(t, "alice requests", requests(t, r, alice), 2)
			want(t, "outside", r.Stats.OutsideWindow, 2)
			want(t, "from", *r.Window.From, t0.Add(12*time.Minute))
			want(t, "to", *r.Window.To, t0.Add(18*time.Minute))
			want(t, "lastSeen", *r.Subject(alice).LastSeen, t0.Add(18*time.Minute))
		}},
		{"system:masters is allowed before RBAC", Options{}, []evSpec{
			{user: "root", groups: []string{"system:masters"}, verb: "delete", what: ":nodes", name: "n1"},
		}, func(t *testing.T, r *Report) {
			want(t, "privileged", rule(t, r, SubjectKey{Kind: "User", Name: "root"}, "system:masters", 0).Requests, 1)
			want(t, "unattributed", r.Stats.Unattributed, 0)
		}},
		{"without a policy the judgement assumes everything is logged", Options{}, nil, func(t *testing.T, r *Report) {
			want(t, "note", r.Note, NoPolicyNote)
			want(t, "blind", len(r.Blind), 0)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := New(p, c.opts)
			for _, s := range c.events {
				e.Add(ev(s))
			}
			c.check(t, e.Result())
		})
	}
}

const blindPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
  resources:
  - group: ""
    resources: ["configmaps"]
- level: None
  namespaces: ["kube-system"]
- level: Metadata
`

func TestUsageBlindSpots(t *testing.T) {
	p := loadFixture(t)
	pol, err := auditpolicy.Load("policy.yaml", []byte(blindPolicy))
	if err != nil {
		t.Fatal(err)
	}
	e := New(p, Options{Policy: pol})
	e.Add(ev(evSpec{user: "alice", verb: "get", what: ":pods", ns: "dev", name: "a"}))
	r := e.Result()
	want(t, "note", r.Note, "")
	// frontend's configmaps rule is never logged: blind, not unused.
	cm := rule(t, r, frontend, "frontend-cm", 0)
	want(t, "configmaps rule blind", cm.Blind, true)
	// dave's ClusterRoleBinding: kube-system is not logged, so its
	// cluster-wide rules are blind there.
	want(t, "dave pods rule blind", rule(t, r, dave, "dave-pods", 0).Blind, true)
	// alice's used rule is not judged; her RoleBinding in dev is logged.
	want(t, "alice used rule blind", rule(t, r, alice, "alice-pods", 0).Blind, false)
	want(t, "alice-view secrets rule blind", rule(t, r, alice, "alice-view", 1).Blind, false)
	var found bool
	for _, b := range r.Blind {
		if b.Subject == frontend && b.Binding == "RoleBinding web/frontend-cm" && b.Rule == 0 {
			found = true
			want(t, "unlogged", strings.Join(b.Unlogged, ";"), "get configmaps in web")
		}
	}
	if !found {
		t.Errorf("no blind entry for frontend-cm in %+v", r.Blind)
	}
}

func TestRequestOf(t *testing.T) {
	e := ev(evSpec{user: "u", verb: "get", what: "/api/v1"})
	e.RequestURI = "/openapi/v3%2Fapis?hash=1"
	r := RequestOf(e, e.User)
	want(t, "path", r.Path, "/openapi/v3/apis")
	want(t, "resource request", r.IsResourceRequest(), false)
	e = ev(evSpec{user: "u", verb: "create", what: ":pods/exec", ns: "n", name: "p"})
	r = RequestOf(e, e.User)
	want(t, "subresource", r.Resource+"/"+r.Subresource+" "+r.Namespace+"/"+r.Name, "pods/exec n/p")
}

func TestDedupeMemoryIsBounded(t *testing.T) {
	e := New(loadFixture(t), Options{DedupeWindow: 4})
	for i := 0; i < 100; i++ {
		e.Add(ev(evSpec{id: "id" + string(rune('A'+i%50)) + string(rune('a'+i/50)), user: "alice", verb: "get", what: ":pods", ns: "dev", name: "a"}))
	}
	if n := len(e.seen) + len(e.seenPrev); n > 8 {
		t.Errorf("%d auditIDs remembered, want at most 8", n)
	}
	want(t, "counted", e.stats.Counted, 100)
}

// TestCacheSizeDoesNotChangeTheReport: the answers cache (cleared when
// full) and the per-subject actor hash are only speed: a cache of one
// answer, cleared at almost every request, gives the report of the
// default one, whatever the order of users, groups and grants.
func TestCacheSizeDoesNotChangeTheReport(t *testing.T) {
	specs := []evSpec{
		{user: "alice", verb: "get", what: ":pods", ns: "dev", name: "a"},
		{user: "bob", groups: []string{"devs"}, verb: "create", what: "apps:deployments", ns: "dev"},
		{user: "alice", verb: "watch", what: ":pods", ns: "dev"},
		{user: "bob", groups: []string{"devs", "other"}, verb: "patch", what: "apps:deployments", ns: "dev", name: "web"},
		{user: "carol", verb: "get", what: "/api"},
		{user: "carol", verb: "get", what: "/metrics"},
		{user: "root", groups: []string{"system:masters"}, verb: "delete", what: ":nodes", name: "n1"},
		{user: "system:serviceaccount:ci:robot", verb: "get", what: ":pods", ns: "dev", name: "a", impersonate: &authnv1.UserInfo{Username: "alice"}},
		{user: "system:serviceaccount:web:frontend", verb: "list", what: ":pods", ns: "web"},
		{user: "bob", groups: []string{"devs"}, verb: "delete", what: ":secrets", ns: "dev", name: "s", code: 403},
	}
	run := func(size int) *Report {
		e := New(loadFixture(t), Options{CacheSize: size})
		groups := []string{"devs"} // one slice for many requests, as the decoder hands it out
		for round := 0; round < 3; round++ {
			for _, s := range specs {
				ev := ev(s)
				if len(s.groups) == 1 && s.groups[0] == "devs" {
					ev.User.Groups = groups
				}
				e.Add(ev)
			}
		}
		return e.Result()
	}
	small, def := run(1), run(0)
	if !reflect.DeepEqual(small.Subjects, def.Subjects) || small.Stats != def.Stats {
		t.Errorf("a cache of 1 answer:\n%+v\nthe default cache:\n%+v", small, def)
	}
	if def.Stats.Counted != int64(3*len(specs)) || def.Stats.Unattributed == int64(3*len(specs)) {
		t.Errorf("stats %+v: want every request counted, most attributed", def.Stats)
	}
}
