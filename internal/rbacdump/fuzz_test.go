package rbacdump

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/rbac"
)

// FuzzLoad feeds arbitrary bytes to the dump loader: it must never panic,
// must name the input in every problem, and the model it builds must
// answer queries. A differential check: a JSON input is also read as YAML
// (a superset of JSON, through go.yaml.in/yaml/v3), and when both read it
// without problems, the JSON scanner and yaml.v3 must build the same roles
// and bindings.
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
	for _, c := range yamlSeeds {
		f.Add([]byte(c.yaml))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := rbac.NewBuilder()
		if err := AddData(b, "fuzz", data); err != nil {
			return
		}
		p := b.Build()
		for _, pr := range p.Problems {
			if pr.Source == "" {
				t.Fatalf("problem without a source: %v", pr)
			}
		}
		for _, req := range []rbac.Request{
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
			p.RulesFor(rbac.Subject{Kind: rbac.KindUser, Name: "u"})
			_ = r.String()
		}
		trimmed := strings.TrimLeft(string(data), " \t\r\n")
		if len(p.Problems) > 0 || !strings.HasPrefix(trimmed, "{") {
			return
		}
		y := rbac.NewBuilder()
		addYAML(y, "fuzz", data)
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

func modelOf(p *rbac.Policy) []any {
	var out []any
	for _, r := range append(append([]*rbac.Role{}, p.ClusterRoles...), p.Roles...) {
		out = append(out, modelRole{r.Kind, r.Namespace, r.Name, normRules(r.Rules), r.Labels})
	}
	for _, b := range append(append([]*rbac.Binding{}, p.ClusterRoleBindings...), p.RoleBindings...) {
		out = append(out, b.String(), b.RoleRef, b.Subjects)
	}
	return out
}

const head = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n"

// yamlSeeds are FuzzLoad seeds: the YAML kubectl prints and hand-written
// forms (flow collections, block scalars, anchors, tags, errors).
var yamlSeeds = []struct{ name, yaml string }{
	{"block lists", head + "rules:\n- apiGroups:\n  - \"\"\n  resources:\n  - pods\n  verbs:\n  - get\n"},
	{"indented lists", head + "rules:\n  - apiGroups:\n      - ''\n    resources: [pods]\n    verbs: [get, 'list']\n"},
	{"flow map", "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: n}\nroleRef: {kind: Role, \"name\": 'r', apiGroup: }\nsubjects: []\n"},
	{"nested flow map", head + "rules: []\naggregationRule: {clusterRoleSelectors: []}\n"},
	{"comments", "# c\n" + head + "  # indented comment\nrules: # trailing\n- verbs: [\"*\"] # c\n  apiGroups: [\"*\"]\n  resources: ['*']\n"},
	{"double quoted escapes", head + "  labels:\n    a: \"x\\ty\\u00e9\\\"q\\\\\"\n"},
	{"single quoted", head + "  labels:\n    a: 'it''s'\n"},
	{"multi-line plain", head + "  annotations:\n    a: one two\n      three\n\n      four\n"},
	{"multi-line double quoted", head + "  annotations:\n    a: \"one two\n      three\n\n      four\"\n"},
	{"multi-line single quoted", head + "  annotations:\n    a: 'one\n      two'\n"},
	{"literal", head + "  annotations:\n    a: |\n      line 1\n\n        indented\n      last\n    b: |-\n      x\n    c: |+\n      y\n\n    d: x\n"},
	{"literal at end", head + "  annotations:\n    a: |\n      z\n"},
	{"empty values", head + "  labels:\n    a:\n    b: ~\n    c: null\n    d: \"\"\n"},
	{"typed scalars", head + "  labels:\n    a: 1.5\n"},
	{"bools", head + "  labels:\n    a: yes\n    b: true\n"},
	{"crlf", strings.ReplaceAll(head+"rules:\n- verbs: [get]\n", "\n", "\r\n")},
	{"documents", "---\n" + head + "---\n\n--- # c\n" + head + "...\n"},
	{"list", "apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(strings.TrimSuffix(head, "\n"), "\n", "\n  ") + "\n  rules: []\n"},
	{"top-level sequence", "- " + strings.ReplaceAll(strings.TrimSuffix(head, "\n"), "\n", "\n  ") + "\n"},
	{"skipped junk", head + "status:\n  x: [1, {a: b}]\n  y: &a b\n  z: *a\n  w: >\n    folded\n"},
	{"quoted keys", head + "  labels:\n    \"a b\": c\n    'd': e\n"},
	{"data and stringData skipped", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: n\ntype: bootstrap.kubernetes.io/token\ndata:\n  a: |\n    x\nstringData: {b: c}\n"},
	{"anchor", head + "  labels: &l\n    a: b\n"},
	{"alias", head + "  labels:\n    a: *x\n"},
	{"tag", head + "  labels:\n    a: !!str 1\n"},
	{"folded", head + "  annotations:\n    a: >\n      x\n"},
	{"nested flow", head + "rules: [{verbs: [get]}]\n"},
	{"multi-line flow", head + "rules:\n- verbs: [get,\n    list]\n"},
	{"tab indentation", head + "rules:\n-\tverbs: [get]\n"},
	{"syntax error", head + "rules: [\n"},
	{"bad indentation", head + "   extra: x\n"},
	{"value with colon space", head + "  labels:\n    a: b: c\n"},
	{"scalar document", "just text\n"},
	{"content after a sequence", "- a\nkind: x\n"},
	{"explicit indentation", head + "  annotations:\n    a: |2\n      x\n"},
	{"complex key", head + "? a\n: b\n"},
}
