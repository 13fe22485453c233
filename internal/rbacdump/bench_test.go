package rbacdump

import (
	"sync"
	"testing"

	"github.com/apiguard/apiguard/internal/rbac"
)

// The figures the budgets are about (make bench, or
// go test ./internal/rbac -run '^$' -bench . -benchmem): loading a
// 60k-object dump (30k bindings) and answering who-can on it.

var (
	benchOnce        sync.Once
	benchJSON        []byte
	benchYAML        []byte
	benchPolicyValue *rbac.Policy
)

func benchData(b *testing.B) {
	b.Helper()
	benchOnce.Do(func() {
		objs := fixtureObjects(bigFixture)
		benchJSON = fixtureList(objs, true)
		benchYAML = fixtureList(objs, false)
		bl := rbac.NewBuilder()
		if err := AddData(bl, "bench.json", benchJSON); err != nil {
			panic(err)
		}
		benchPolicyValue = bl.Build()
	})
}

func benchLoad(b *testing.B, name string, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	var p *rbac.Policy
	for i := 0; i < b.N; i++ {
		bl := rbac.NewBuilder()
		if err := AddData(bl, name, data); err != nil {
			b.Fatal(err)
		}
		p = bl.Build()
	}
	b.StopTimer()
	if p.Objects() < 60000 || len(p.ClusterRoleBindings)+len(p.RoleBindings) < 30000 {
		b.Fatalf("fixture too small: %d objects", p.Objects())
	}
	b.ReportMetric(float64(p.Objects()), "objects")
}

// BenchmarkLoadJSON: `kubectl get -A -o json` of the 60k-object cluster.
func BenchmarkLoadJSON(b *testing.B) {
	benchData(b)
	benchLoad(b, "bench.json", benchJSON)
}

// BenchmarkLoadYAML: the same cluster as `-o yaml`.
func BenchmarkLoadYAML(b *testing.B) {
	benchData(b)
	benchLoad(b, "bench.yaml", benchYAML)
}

var whoCanCases = []struct {
	name string
	req  rbac.Request
}{
	{"namespaced", rbac.Request{Verb: "get", Resource: "secrets", Namespace: "ns-0042"}},
	{"subresource", rbac.Request{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "ns-0007", Name: "web"}},
	{"cluster-wide", rbac.Request{Verb: "list", APIGroup: "apps", Resource: "deployments"}},
	{"nonresource", rbac.Request{Verb: "get", Path: "/metrics"}},
}

func BenchmarkWhoCan(b *testing.B) {
	benchData(b)
	for _, c := range whoCanCases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for i := 0; i < b.N; i++ {
				n = len(benchPolicyValue.WhoCan(c.req))
			}
			b.ReportMetric(float64(n), "subjects")
		})
	}
}

func BenchmarkAllowed(b *testing.B) {
	benchData(b)
	reqs := []rbac.Request{
		{User: "user-7", Groups: []string{"group-3"}, Verb: "get", Resource: "secrets", Namespace: "ns-0042", Name: "x"},
		{User: "system:serviceaccount:ns-0042:sa-3", Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "ns-0042"},
		{User: "nobody", Verb: "delete", Resource: "nodes"},
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		benchPolicyValue.Allowed(reqs[i%len(reqs)])
	}
}

func BenchmarkRulesFor(b *testing.B) {
	benchData(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		benchPolicyValue.RulesFor(rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: "ns-0042", Name: "sa-3"})
	}
}
