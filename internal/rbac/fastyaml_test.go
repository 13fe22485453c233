package rbac

import (
	"os"
	"reflect"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// readings loads data through the fast YAML path (ok=false when it gave
// up) and through go.yaml.in/yaml/v3 nodes.
func readings(data []byte) (fast *Policy, ok bool, slow *Policy) {
	objs, ok := readFastYAML(data)
	if ok {
		b := NewBuilder()
		for _, o := range objs {
			b.addObject("f", o)
		}
		fast = b.Build()
	}
	b := NewBuilder()
	b.addYAMLNodes("f", data)
	return fast, ok, b.Build()
}

type outcome struct {
	Model    []any
	Problems string
	Extra    []any
}

func outcomeOf(p *Policy) outcome {
	return outcome{modelOf(p), problems(p), []any{p.ServiceAccounts, p.Pods, p.Nodes, p.Namespaces, p.Secrets}}
}

// sameReading fails unless the fast path, when it reads data, builds
// exactly what yaml.v3 builds: objects, identities, sources and problems.
func sameReading(t *testing.T, data []byte) bool {
	t.Helper()
	fast, ok, slow := readings(data)
	if !ok {
		return false
	}
	if strings.Contains(problems(slow), "not valid YAML") {
		return true // the fast path is more lenient than a parser error; not compared
	}
	if a, b := outcomeOf(fast), outcomeOf(slow); !reflect.DeepEqual(a, b) {
		t.Fatalf("fast and yaml.v3 readings differ for\n%s\nfast: %+v\nv3:   %+v", data, a, b)
	}
	return true
}

func TestFastYAMLFiles(t *testing.T) {
	for _, c := range []struct {
		file string
		fast bool
	}{
		{"testdata/list.yaml", true},
		{"testdata/multi.yaml", true},
		{"testdata/dir/a.yaml", true},
		{"testdata/dir/sub/b.yml", true},
		{"testdata/unknown.yaml", true},
		{"../cli/testdata/rbac/cluster.yaml", true},
		{"../cli/testdata/rbac/bad.yaml", true},
		{"testdata/bad.yaml", false}, // a syntax error: yaml.v3 reports it
	} {
		data, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		if got := sameReading(t, data); got != c.fast {
			t.Errorf("%s: fast path used %v, want %v", c.file, got, c.fast)
		}
	}
	big := fixtureList(fixtureObjects(fixtureSize{namespaces: 3, clusterRoles: 5, clusterRoleBindings: 5, roles: 5, roleBindings: 20, serviceAccounts: 5, pods: 5, nodes: 2, secrets: 3}), false)
	if !sameReading(t, big) {
		t.Error("kubectl-style YAML left the fast path")
	}
}

// TestFastYAMLSubset: constructs the fast path reads, and those it leaves
// to yaml.v3; both must give yaml.v3's result.
func TestFastYAMLSubset(t *testing.T) {
	for _, c := range fastYAMLCases {
		t.Run(c.name, func(t *testing.T) {
			if got := sameReading(t, []byte(c.yaml)); got != c.fast {
				t.Fatalf("fast path used %v, want %v", got, c.fast)
			}
		})
	}
}

const head = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n"

// fastYAMLCases are also FuzzLoad seeds.
var fastYAMLCases = []struct {
	name, yaml string
	fast       bool
}{
	{"block lists", head + "rules:\n- apiGroups:\n  - \"\"\n  resources:\n  - pods\n  verbs:\n  - get\n", true},
	{"indented lists", head + "rules:\n  - apiGroups:\n      - ''\n    resources: [pods]\n    verbs: [get, 'list']\n", true},
	{"flow map", "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: n}\nroleRef: {kind: Role, \"name\": 'r', apiGroup: }\nsubjects: []\n", true},
	{"nested flow map", head + "rules: []\naggregationRule: {clusterRoleSelectors: []}\n", false},
	{"comments", "# c\n" + head + "  # indented comment\nrules: # trailing\n- verbs: [\"*\"] # c\n  apiGroups: [\"*\"]\n  resources: ['*']\n", true},
	{"double quoted escapes", head + "  labels:\n    a: \"x\\ty\\u00e9\\\"q\\\\\"\n", true},
	{"single quoted", head + "  labels:\n    a: 'it''s'\n", true},
	{"multi-line plain", head + "  annotations:\n    a: one two\n      three\n\n      four\n", true},
	{"multi-line double quoted", head + "  annotations:\n    a: \"one two\n      three\n\n      four\"\n", true},
	{"multi-line single quoted", head + "  annotations:\n    a: 'one\n      two'\n", true},
	{"literal", head + "  annotations:\n    a: |\n      line 1\n\n        indented\n      last\n    b: |-\n      x\n    c: |+\n      y\n\n    d: x\n", true},
	{"literal at end", head + "  annotations:\n    a: |\n      z\n", true},
	{"empty values", head + "  labels:\n    a:\n    b: ~\n    c: null\n    d: \"\"\n", true},
	{"typed scalars", head + "  labels:\n    a: 1.5\n", true},
	{"bools", head + "  labels:\n    a: yes\n    b: true\n", true},
	{"crlf", strings.ReplaceAll(head+"rules:\n- verbs: [get]\n", "\n", "\r\n"), true},
	{"documents", "---\n" + head + "---\n\n--- # c\n" + head + "...\n", true},
	{"list", "apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(strings.TrimSuffix(head, "\n"), "\n", "\n  ") + "\n  rules: []\n", true},
	{"top-level sequence", "- " + strings.ReplaceAll(strings.TrimSuffix(head, "\n"), "\n", "\n  ") + "\n", true},
	{"skipped junk", head + "status:\n  x: [1, {a: b}]\n  y: &a b\n  z: *a\n  w: >\n    folded\n", true},
	{"quoted keys", head + "  labels:\n    \"a b\": c\n    'd': e\n", true},
	{"data and stringData skipped", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: n\ntype: bootstrap.kubernetes.io/token\ndata:\n  a: |\n    x\nstringData: {b: c}\n", true},
	// left to yaml.v3
	{"anchor", head + "  labels: &l\n    a: b\n", false},
	{"alias", head + "  labels:\n    a: *x\n", false},
	{"tag", head + "  labels:\n    a: !!str 1\n", false},
	{"folded", head + "  annotations:\n    a: >\n      x\n", false},
	{"nested flow", head + "rules: [{verbs: [get]}]\n", false},
	{"multi-line flow", head + "rules:\n- verbs: [get,\n    list]\n", false},
	{"tab indentation", head + "rules:\n-\tverbs: [get]\n", false},
	{"syntax error", head + "rules: [\n", false},
	{"bad indentation", head + "   extra: x\n", false},
	{"value with colon space", head + "  labels:\n    a: b: c\n", false},
	{"scalar document", "just text\n", false},
	{"content after a sequence", "- a\nkind: x\n", false},
	{"explicit indentation", head + "  annotations:\n    a: |2\n      x\n", false},
	{"complex key", head + "? a\n: b\n", false},
}

func TestResolvePlain(t *testing.T) {
	for _, s := range []string{"---", "...", "1", "-1", "+1", "1_000", "0x1F", "0o17", "017", "0b101", "-0b101", "1.5", ".5", "1e3", "1.", ".inf", "-.Inf", ".nan",
		"1e", "0x", "1.2.3", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "yes", "no", "on", "Off", "y", "~", "null", "NULL", "nULL", "true", "tRUE",
		"<<", "-foo", "+", ".", "..", "9223372036854775808", "18446744073709551616", "0b", "0o8", "1_", "_1", "0.1_0", "+.5", "-.5e-3", "00", "08", "0xG"} {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte("k: "+s), &n); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		c := &yamlCursor{cur: n.Content[0].Content[1]}
		if want, got := c.kind(), resolvePlain(s); got != want {
			t.Errorf("resolvePlain(%q) = %v, yaml.v3 says %v", s, got, want)
		}
	}
}
