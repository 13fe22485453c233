package rbac

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the dump loader: it must never panic,
// must name the input in every problem, and the model it builds must
// answer queries. Two differential checks: YAML read by the fast path must
// give what go.yaml.in/yaml/v3 gives (objects, sources, problems); a JSON
// input is also read through yaml.v3 (YAML is a superset of JSON), and
// when both read it without problems they must build the same roles and
// bindings.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yaml", "testdata/*.json", "testdata/dir/*.*", "../cli/testdata/rbac/*.yaml", "../cli/testdata/rbac/*.json"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			if data, err := os.ReadFile(name); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(`{"kind":"List","items":[{"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"x"},"rules":[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}]}]}`))
	f.Add([]byte(`[{"kind":"RoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"x","namespace":"n"},"roleRef":{"kind":"Role","name":"r"},"subjects":[{"kind":"ServiceAccount","name":"s"}]}]`))
	f.Add([]byte("kind: ClusterRole\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: a, labels: {x: y}}\naggregationRule:\n  clusterRoleSelectors:\n  - matchExpressions: [{key: x, operator: Exists}]\n"))
	f.Add([]byte("a: &a [*a]\n"))
	for _, c := range fastYAMLCases {
		f.Add([]byte(c.yaml))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := NewBuilder()
		if err := b.AddData("fuzz", data); err != nil {
			return
		}
		p := b.Build()
		for _, pr := range p.Problems {
			if pr.Source == "" {
				t.Fatalf("problem without a source: %v", pr)
			}
		}
		for _, req := range []Request{
			{User: "u", Verb: "get", Resource: "pods", Namespace: "n"},
			{User: "system:serviceaccount:n:s", Verb: "create", APIGroup: "apps", Resource: "deployments", Subresource: "scale", Namespace: "n", Name: "x"},
			{User: "system:anonymous", Verb: "get", Path: "/healthz"},
		} {
			ok, grants := p.Allowed(req)
			if ok != (len(grants) > 0) {
				t.Fatalf("allowed %v with %d grants", ok, len(grants))
			}
			p.WhoCan(req)
		}
		for _, r := range p.ClusterRoles {
			p.RulesFor(Subject{Kind: KindUser, Name: "u"})
			_ = r.String()
		}
		trimmed := strings.TrimLeft(string(data), " \t\r\n")
		if !strings.HasPrefix(trimmed, "{") && !strings.HasPrefix(trimmed, "[") {
			sameReading(t, data) // the fast YAML path agrees with yaml.v3
			return
		}
		if len(p.Problems) > 0 || !strings.HasPrefix(trimmed, "{") {
			return
		}
		y := NewBuilder()
		y.addYAML("fuzz", data)
		q := y.Build()
		if len(q.Problems) > 0 {
			return
		}
		if !reflect.DeepEqual(modelOf(p), modelOf(q)) {
			t.Fatalf("JSON and YAML readings differ:\n%v\n%v", modelOf(p), modelOf(q))
		}
	})
}

type modelRole struct {
	Kind, Namespace, Name string
	Rules                 any
	Labels                map[string]string
}

func modelOf(p *Policy) []any {
	var out []any
	for _, r := range append(append([]*Role{}, p.ClusterRoles...), p.Roles...) {
		out = append(out, modelRole{r.Kind, r.Namespace, r.Name, normRules(r.Rules), r.Labels})
	}
	for _, b := range append(append([]*Binding{}, p.ClusterRoleBindings...), p.RoleBindings...) {
		out = append(out, b.String(), b.RoleRef, b.Subjects)
	}
	return out
}
