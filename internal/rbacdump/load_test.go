package rbacdump

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/rbac"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// literal reads files alone, without assumed built-ins: these tests
// count what the files hold.
var literal = rbac.FileOptions{NoBuiltins: true}

func problems(p *rbac.Policy) string {
	var out []string
	for _, pr := range p.Problems {
		out = append(out, pr.String())
	}
	return strings.Join(out, "\n")
}

func names[T any](list []T, name func(T) string) []string {
	var out []string
	for _, x := range list {
		out = append(out, name(x))
	}
	return out
}

func roleNames(rs []*rbac.Role) []string {
	return names(rs, func(r *rbac.Role) string { return r.String() })
}
func bindingNames(bs []*rbac.Binding) []string {
	return names(bs, func(b *rbac.Binding) string { return b.String() })
}

func TestLoadList(t *testing.T) {
	p, err := LoadWith(literal, "testdata/list.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := roleNames(p.ClusterRoles); !reflect.DeepEqual(got, []string{"ClusterRole reader"}) {
		t.Fatalf("roles %q", got)
	}
	r := p.ClusterRoles[0]
	want := []rbacv1.PolicyRule{{Verbs: l("get", "list"), APIGroups: l(""), Resources: l("pods", "pods/log")}}
	if !reflect.DeepEqual(r.Rules, want) || r.Source != "testdata/list.yaml:3" {
		t.Fatalf("role %+v", r)
	}
	b := p.ClusterRoleBindings[0]
	if b.Source != "testdata/list.yaml:18" || b.Role != r || len(b.Subjects) != 2 || b.Subjects[1] != (rbacv1.Subject{Kind: "ServiceAccount", Namespace: "ci", Name: "robot"}) {
		t.Fatalf("binding %+v", b)
	}
	if ok, _ := p.Allowed(rbac.Request{User: "system:serviceaccount:ci:robot", Verb: "list", Resource: "pods"}); !ok {
		t.Fatal("robot cannot list pods")
	}
	if len(p.Problems) != 0 {
		t.Fatalf("problems: %s", problems(p))
	}
}

func TestLoadMultiDocAndSecretsMetadataOnly(t *testing.T) {
	p, err := LoadWith(literal, "testdata/multi.yaml", "testdata/list.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Problems) != 0 {
		t.Fatalf("problems: %s", problems(p))
	}
	if got := bindingNames(p.RoleBindings); !reflect.DeepEqual(got, []string{"RoleBinding ci/token-reader"}) {
		t.Fatalf("bindings %q", got)
	}
	if ok, g := p.Allowed(rbac.Request{User: "system:serviceaccount:ci:robot", Verb: "get", Resource: "secrets", Name: "robot-token", Namespace: "ci"}); !ok || g[0].Subject.Namespace != "ci" {
		t.Fatalf("robot token read: %v %v", ok, g)
	}
	wantSecrets := []rbac.Secret{
		{Namespace: "ci", Name: "json-token", Type: rbac.SecretTypeServiceAccountToken, ServiceAccountName: "robot", Source: "testdata/list.json:45"},
		{Namespace: "ci", Name: "robot-token", Type: rbac.SecretTypeServiceAccountToken, ServiceAccountName: "robot", Labels: map[string]string{"app": "robot"}, Source: "testdata/multi.yaml:25"},
		{Namespace: "kube-system", Name: "bootstrap-token-abcdef", Type: rbac.SecretTypeBootstrapToken, Source: "testdata/multi.yaml:52"},
	}
	if !reflect.DeepEqual(p.Secrets, wantSecrets) {
		t.Fatalf("secrets:\n%#v\nwant\n%#v", p.Secrets, wantSecrets)
	}
	// Nothing of any Secret's data, stringData or last-applied copy is kept anywhere.
	all, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"REFUQS1TRUNSRVQtVE9LRU4=", "Q0EtREFUQQ==", "STRINGDATA-SECRET", "TEFTVC1BUFBMSUVELVNFQ1JFVA", "T1BBUVVFLVNFQ1JFVA==",
		"BOOTSTRAP-SECRET", "SlNPTi1TRUNSRVQ=", "service-account.uid", "not-needed", "opaque"} {
		if strings.Contains(string(all), secret) {
			t.Errorf("the model holds %q", secret)
		}
	}
	f := false
	if !reflect.DeepEqual(p.ServiceAccounts, []rbac.ServiceAccount{{Namespace: "ci", Name: "robot", AutomountToken: &f, Source: "testdata/multi.yaml:61"}}) {
		t.Errorf("service accounts %#v", p.ServiceAccounts)
	}
	if !reflect.DeepEqual(p.Pods, []rbac.Pod{{Namespace: "ci", Name: "robot-1", ServiceAccountName: "robot", NodeName: "node-a", Source: "testdata/multi.yaml:68"}}) {
		t.Errorf("pods %#v", p.Pods)
	}
	if len(p.Nodes) != 1 || p.Nodes[0].Labels["kubernetes.io/hostname"] != "node-a" || len(p.Namespaces) != 1 || p.Namespaces[0].Labels["pod-security.kubernetes.io/enforce"] != "baseline" {
		t.Errorf("nodes %#v namespaces %#v", p.Nodes, p.Namespaces)
	}
	if r := p.ClusterRole("json-reader"); r == nil || r.Annotations["note"] != "a \"quoted\" é value" || r.Source != "testdata/list.json:4" {
		t.Errorf("json role %+v", r)
	}
}

func TestLoadJSONForms(t *testing.T) {
	p, err := LoadWith(literal, "testdata/typed-list.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := bindingNames(p.ClusterRoleBindings); !reflect.DeepEqual(got, []string{"ClusterRoleBinding raw-api"}) {
		t.Fatalf("typed list items: %q", got)
	}
	if got := roleNames(append(p.ClusterRoles, p.Roles...)); !reflect.DeepEqual(got, []string{"ClusterRole view", "Role a/in-array"}) {
		t.Fatalf("stream and array: %q", got)
	}
	if ok, _ := p.Allowed(rbac.Request{User: "raw", Verb: "get", Resource: "pods"}); !ok {
		t.Fatal("raw cannot get pods")
	}
}

func TestLoadDirectoryAndSnapshot(t *testing.T) {
	p, err := LoadWith(literal, "testdata/dir", "testdata/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	if got := roleNames(p.ClusterRoles); !reflect.DeepEqual(got, []string{"ClusterRole dir-a", "ClusterRole from-snapshot"}) {
		t.Fatalf("roles %q (hidden directories and other extensions are skipped)", got)
	}
	if got := bindingNames(p.ClusterRoleBindings); !reflect.DeepEqual(got, []string{"ClusterRoleBinding dir-b"}) {
		t.Fatalf("bindings %q", got)
	}
	if len(p.ServiceAccounts) != 1 || p.ServiceAccounts[0].Source != filepath.Join("testdata", "dir", "c.json")+":1" {
		t.Fatalf("sa %+v", p.ServiceAccounts)
	}
}

func TestLoadBadDocuments(t *testing.T) {
	p, err := LoadWith(literal, "testdata/bad.yaml", "testdata/bad.json")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"testdata/bad.json:5: not valid JSON: expected a value in a list",
		"testdata/bad.yaml:17: ClusterRole wrong-verbs: rules[0].verbs: expected a list of strings, got a string; the object is ignored",
		"testdata/bad.yaml:23: ClusterRoleBinding wrong-label: metadata.labels.version: expected a string, got a number; the object is ignored",
		`testdata/bad.yaml:27: RoleBinding no-namespace: metadata.namespace: missing; assuming "default" (kubectl would use the context's namespace)`,
		"testdata/bad.yaml:34: ClusterRoleBinding no-roleref: roleRef: missing; the object is ignored",
		"testdata/bad.yaml:56: not valid YAML: did not find expected node content",
	}
	if got := problems(p); got != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if got := roleNames(p.ClusterRoles); !reflect.DeepEqual(got, []string{"ClusterRole before", "ClusterRole fine"}) {
		t.Fatalf("the good objects load: %q", got)
	}
	if ok, _ := p.Allowed(rbac.Request{User: "frank", Verb: "get", Resource: "pods"}); !ok {
		t.Fatal("frank")
	}
	if ok, _ := p.Allowed(rbac.Request{User: "erin", Verb: "get", Resource: "pods", Namespace: "default"}); !ok {
		t.Fatal("erin")
	}
}

func TestLoadErrors(t *testing.T) {
	for _, c := range []struct {
		paths []string
		want  string
	}{
		{[]string{"testdata/unknown.yaml"}, "testdata/unknown.yaml: no RBAC objects found"},
		{[]string{"testdata/does-not-exist.yaml"}, "testdata/does-not-exist.yaml: no such file or directory"},
		{[]string{"testdata/list.yaml", "testdata/nope"}, "testdata/nope: no such file or directory"},
		{[]string{"testdata/dir/ignored.txt"}, "testdata/dir/ignored.txt: no RBAC objects found"},
	} {
		_, err := Load(c.paths...)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Load(%q) = %v, want %q", c.paths, err, c.want)
		}
	}
	if _, err := Load("testdata/unknown.yaml"); !errors.Is(err, ErrNoRBAC) {
		t.Errorf("not ErrNoRBAC: %v", err)
	}
	b := rbac.NewBuilder()
	if err := AddData(b, "bin", []byte{0x7f, 'E', 'L', 'F', 0, 1}); err == nil || !strings.Contains(err.Error(), "binary file") {
		t.Errorf("binary: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "snapshot.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "a snapshot without an rbac/ folder") {
		t.Errorf("snapshot without rbac: %v", err)
	}
}

// TestLoadNonRegularFiles: a FIFO given as a dump is an error, one inside
// a dump directory a problem, at once; a dump above the limit is refused
// without being read.
func TestLoadNonRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := mkfifo(fifo); err != nil {
		t.Skip(err)
	}
	list, err := os.ReadFile("testdata/list.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "list.yaml"), list, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(big, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxSize+1); err != nil { // sparse
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := Load(fifo); err == nil || err.Error() != fifo+": is a named pipe (FIFO), not a regular file" {
			t.Errorf("a FIFO: %v", err)
		}
		if _, err := Load(big); err == nil || err.Error() != big+": larger than 1 GiB (limit for RBAC dumps)" {
			t.Errorf("too large: %v", err)
		}
		p, err := Load(dir)
		if err != nil {
			t.Errorf("a directory with a FIFO: %v", err)
			return
		}
		var probs []string
		for _, pr := range p.Problems {
			probs = append(probs, pr.String())
		}
		if want := fifo + ": is a named pipe (FIFO), not a regular file"; len(probs) != 1 || probs[0] != want {
			t.Errorf("problems = %q, want %q", probs, want)
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("LoadFiles blocked on a FIFO")
	}
}

// TestExtractorMatchesTypedDecoding checks the fast extractor against
// sigs.k8s.io/yaml decoding into the k8s.io/api types, document by
// document, for the RBAC kinds.
func TestExtractorMatchesTypedDecoding(t *testing.T) {
	files := []string{"testdata/list.yaml", "testdata/multi.yaml", "testdata/list.json", "../cli/testdata/rbac/cluster.yaml", "testdata/dir/a.yaml", "testdata/dir/sub/b.yml"}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := LoadWith(literal, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range typedDocs(t, data) {
			var tm struct {
				Kind string `json:"kind"`
			}
			if err := json.Unmarshal(doc, &tm); err != nil {
				t.Fatal(err)
			}
			switch tm.Kind {
			case "ClusterRole":
				var want rbacv1.ClusterRole
				mustUnmarshal(t, doc, &want)
				got := p.ClusterRole(want.Name)
				if got == nil || (!got.Aggregated && !reflect.DeepEqual(normRules(got.Rules), normRules(want.Rules))) ||
					(want.AggregationRule == nil) != (got.AggregationRule == nil) || !reflect.DeepEqual(got.Labels, want.Labels) {
					t.Errorf("%s: ClusterRole %s: got %+v, want %+v", f, want.Name, got, want)
				}
				if want.AggregationRule != nil && !reflect.DeepEqual(want.AggregationRule, got.AggregationRule) {
					t.Errorf("%s: aggregation %+v, want %+v", f, got.AggregationRule, want.AggregationRule)
				}
			case "Role":
				var want rbacv1.Role
				mustUnmarshal(t, doc, &want)
				if got := p.Role(want.Namespace, want.Name); got == nil || !reflect.DeepEqual(normRules(got.Rules), normRules(want.Rules)) {
					t.Errorf("%s: Role %s: got %+v, want %+v", f, want.Name, got, want)
				}
			case "ClusterRoleBinding", "RoleBinding":
				var want rbacv1.RoleBinding
				mustUnmarshal(t, doc, &want)
				var got *rbac.Binding
				for _, b := range append(append([]*rbac.Binding{}, p.ClusterRoleBindings...), p.RoleBindings...) {
					if b.Kind == tm.Kind && b.Name == want.Name && b.Namespace == want.Namespace {
						got = b
					}
				}
				if got == nil || got.RoleRef != want.RoleRef || !reflect.DeepEqual(append([]rbacv1.Subject{}, got.Subjects...), append([]rbacv1.Subject{}, want.Subjects...)) {
					t.Errorf("%s: %s %s: got %+v, want %+v", f, tm.Kind, want.Name, got, want)
				}
			}
		}
	}
}

// typedDocs splits a file into JSON documents the way kubectl would read
// it: YAML documents, List items.
func typedDocs(t *testing.T, data []byte) [][]byte {
	var docs [][]byte
	for _, part := range strings.Split(string(data), "\n---") {
		j, err := yaml.YAMLToJSON([]byte(part))
		if err != nil {
			t.Fatal(err)
		}
		var list struct {
			Kind  string            `json:"kind"`
			Items []json.RawMessage `json:"items"`
		}
		if string(j) == "null" {
			continue
		}
		if err := json.Unmarshal(j, &list); err != nil {
			t.Fatal(err)
		}
		if list.Kind == "List" {
			for _, it := range list.Items {
				docs = append(docs, it)
			}
			continue
		}
		docs = append(docs, j)
	}
	return docs
}

func mustUnmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

// normRules maps nil and empty lists alike, as equality.Semantic does.
func normRules(rs []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	out := []rbacv1.PolicyRule{}
	n := func(s []string) []string {
		if len(s) == 0 {
			return nil
		}
		return s
	}
	for _, r := range rs {
		out = append(out, rbacv1.PolicyRule{Verbs: n(r.Verbs), APIGroups: n(r.APIGroups), Resources: n(r.Resources), ResourceNames: n(r.ResourceNames), NonResourceURLs: n(r.NonResourceURLs)})
	}
	return out
}
