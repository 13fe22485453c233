package rbacusage

import (
	"fmt"
	"reflect"
	"testing"

	authnv1 "k8s.io/api/authentication/v1"
)

func TestTrack(t *testing.T) {
	p := loadFixture(t)
	sa := []string{"system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"}
	events := []evSpec{
		{user: "alice", groups: []string{"system:authenticated"}, verb: "get", what: ":pods", ns: "dev", name: "a"},
		{user: "alice", groups: []string{"system:authenticated"}, verb: "get", what: ":pods", ns: "dev", name: "a"},
		{user: "alice", groups: []string{"system:authenticated"}, verb: "delete", what: ":secrets", ns: "dev", name: "x", decision: "forbid"},
		{user: "alice", groups: []string{"system:authenticated"}, verb: "get", what: "/api"},
		{user: "alice", groups: []string{"system:authenticated"}, verb: "delete", what: ":nodes", name: "n"},
		{user: "system:serviceaccount:ci:robot", groups: sa, verb: "watch", what: ":pods", ns: "dev",
			impersonate: &authnv1.UserInfo{Username: "alice", Groups: []string{"system:authenticated"}}},
		{user: "bob", groups: []string{"devs", "system:authenticated"}, verb: "create", what: "apps:deployments", ns: "dev"},
	}
	cases := []struct {
		name    string
		subject SubjectKey
		limit   int
		want    []string
		groups  string
		dropped int64
	}{
		{"user: own and impersonated requests; denied, discovery and unattributed left out", alice, 0, []string{
			"get /pods dev a ×2", "watch /pods dev  ×1"}, "[system:authenticated]", 0},
		{"impersonator: the impersonate check", robot, 0, []string{"impersonate /users  alice ×1"}, "[system:authenticated system:serviceaccounts system:serviceaccounts:ci]", 0},
		{"group: what its bindings allowed its members", devs, 0, []string{"create apps/deployments dev  ×1"}, "[devs]", 0},
		{"bounded: names given up, then requests dropped", alice, 1, []string{"get /pods dev a ×2", "watch /pods dev  ×1"}, "[system:authenticated]", 0},
		{"no use", erin, 0, nil, "[]", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := New(p, Options{Track: []SubjectKey{c.subject}, TrackLimit: c.limit})
			for _, s := range events {
				e.Add(ev(s))
			}
			u := e.Used(c.subject)
			var got []string
			for _, r := range u.Requests {
				got = append(got, fmt.Sprintf("%s %s/%s %s %s ×%d", r.Verb, r.APIGroup, r.Resource, r.Namespace, r.Name, r.Requests))
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("requests %q, want %q", got, c.want)
			}
			if g := fmt.Sprint(u.Groups); g != c.groups && !(g == "[]" && c.groups == "[]") {
				t.Errorf("groups %s, want %s", g, c.groups)
			}
			if u.Dropped != c.dropped {
				t.Errorf("dropped %d, want %d", u.Dropped, c.dropped)
			}
		})
	}
	if New(p, Options{}).Used(alice) != nil {
		t.Error("Used without Track is not nil")
	}
	// Every subject tracked by one engine (scan --audit's second pass):
	// each one's use is what it is when tracked alone.
	var all []SubjectKey
	for _, c := range cases {
		if c.limit == 0 {
			all = append(all, c.subject)
		}
	}
	together := New(p, Options{Track: all})
	for _, s := range events {
		together.Add(ev(s))
	}
	for _, k := range all {
		alone := New(p, Options{Track: []SubjectKey{k}})
		for _, s := range events {
			alone.Add(ev(s))
		}
		if a, b := alone.Used(k), together.Used(k); !reflect.DeepEqual(a, b) {
			t.Errorf("%s tracked with %d others: %+v, alone: %+v", k, len(all)-1, b, a)
		}
	}
	if together.Used(SubjectKey{Kind: "User", Name: "nobody"}) != nil {
		t.Error("Used of a subject not tracked is not nil")
	}
}

func TestTrackBound(t *testing.T) {
	p := loadFixture(t)
	e := New(p, Options{Track: []SubjectKey{alice}, TrackLimit: 1})
	for i := range 6 {
		e.Add(ev(evSpec{user: "alice", verb: "get", what: ":pods", ns: "dev", name: fmt.Sprint("p", i)}))
	}
	u := e.Used(alice)
	// p0 kept by name; p1..p5 collapse into "get pods" without a name.
	if len(u.Requests) != 2 || u.Requests[0].Name != "" || u.Requests[0].Requests != 5 || u.Requests[1].Name != "p0" || u.Collapsed != 5 {
		t.Errorf("%+v", u)
	}
	for i := range 6 {
		e.Add(ev(evSpec{user: "alice", verb: "list", what: ":pods", ns: fmt.Sprint("ns", i)}))
	}
	if u := e.Used(alice); len(u.Requests) != 4 || u.Dropped != 4 {
		t.Errorf("past 4×limit: %d requests kept, %d dropped, want 4 and 4", len(u.Requests), u.Dropped)
	}
}
