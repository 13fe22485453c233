package rbacdump

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/apiguard/apiguard/internal/rbac"
)

// TestWriteDumpRoundTrip: a Policy written with WriteDump and loaded again
// is the same model (what a snapshot's rbac/ folder relies on), including
// the defaults recognised and the aggregated rules recomputed.
func TestWriteDumpRoundTrip(t *testing.T) {
	objs := fixtureObjects(fixtureSize{namespaces: 4, clusterRoles: 12, clusterRoleBindings: 9, roles: 10, roleBindings: 30,
		serviceAccounts: 12, pods: 15, nodes: 3, secrets: 6})
	dir := t.TempDir()
	in := filepath.Join(dir, "in.json")
	if err := os.WriteFile(in, fixtureList(objs, true), 0o600); err != nil {
		t.Fatal(err)
	}
	p1, err := Load(in)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, p1); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte(`"data"`)) {
		t.Fatal("dump holds a data field")
	}
	out := filepath.Join(dir, "out.json")
	if err := os.WriteFile(out, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	p2, err := Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.Problems) != len(p1.Problems) {
		t.Errorf("problems: %d after the round trip, %d before: %v", len(p2.Problems), len(p1.Problems), p2.Problems)
	}
	strip := func(p *rbac.Policy) map[string]any {
		roles := func(rs []*rbac.Role) []map[string]any {
			var out []map[string]any
			for _, r := range rs {
				out = append(out, exportedFields(*r, "Source"))
			}
			return out
		}
		bindings := func(bs []*rbac.Binding) []rbac.Binding {
			var out []rbac.Binding
			for _, b := range bs {
				c := *b
				c.Source, c.Role = "", nil
				out = append(out, c)
			}
			return out
		}
		m := map[string]any{"cr": roles(p.ClusterRoles), "r": roles(p.Roles), "crb": bindings(p.ClusterRoleBindings), "rb": bindings(p.RoleBindings)}
		m["sa"] = withoutSource(p.ServiceAccounts, func(x *rbac.ServiceAccount) *string { return &x.Source })
		m["pods"] = withoutSource(p.Pods, func(x *rbac.Pod) *string { return &x.Source })
		m["secrets"] = withoutSource(p.Secrets, func(x *rbac.Secret) *string { return &x.Source })
		m["nodes"] = withoutSource(p.Nodes, func(x *rbac.Node) *string { return &x.Source })
		m["ns"] = withoutSource(p.Namespaces, func(x *rbac.Namespace) *string { return &x.Source })
		return m
	}
	a, b := strip(p1), strip(p2)
	for k := range a {
		if !reflect.DeepEqual(a[k], b[k]) {
			t.Errorf("%s differ after the round trip:\n before %+v\n after  %+v", k, a[k], b[k])
		}
	}
	if len(p1.Pods) == 0 || len(p1.Secrets) == 0 || len(p1.ClusterRoles) == 0 {
		t.Fatalf("fixture too small: %d pods, %d secrets, %d cluster roles", len(p1.Pods), len(p1.Secrets), len(p1.ClusterRoles))
	}
}

// TestWriteDumpDefaults: the Kubernetes defaults survive the round trip as
// defaults, and aggregated rules are recomputed rather than frozen.
func TestWriteDumpDefaults(t *testing.T) {
	crs, crbs, rs, rbs := rbac.BootstrapObjects()
	b := rbac.NewBuilder()
	aggregated := 0
	for i := range crs {
		if crs[i].AggregationRule != nil {
			crs[i].Rules = nil
			aggregated++
		}
		b.AddClusterRole(&crs[i], "bootstrap")
	}
	for i := range crbs {
		b.AddClusterRoleBinding(&crbs[i], "bootstrap")
	}
	for i := range rs {
		b.AddRole(&rs[i], "bootstrap")
	}
	for i := range rbs {
		b.AddRoleBinding(&rbs[i], "bootstrap")
	}
	p1 := b.Build()
	var buf bytes.Buffer
	if err := Write(&buf, p1); err != nil {
		t.Fatal(err)
	}
	p2 := rbac.NewBuilder()
	if err := AddData(p2, "dump.json", buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	got := p2.Build()
	if aggregated == 0 {
		t.Fatal("no aggregated ClusterRole among the defaults")
	}
	for _, r := range p1.ClusterRoles {
		r2 := got.ClusterRole(r.Name)
		if r2 == nil {
			t.Fatalf("%s lost", r)
		}
		if r2.Default != r.Default || r2.Aggregated != r.Aggregated || !reflect.DeepEqual(r2.Rules, r.Rules) {
			t.Errorf("%s: default %v→%v aggregated %v→%v rules equal %v", r, r.Default, r2.Default, r.Aggregated, r2.Aggregated, reflect.DeepEqual(r2.Rules, r.Rules))
		}
	}
	for i, x := range p1.ClusterRoleBindings {
		if y := got.ClusterRoleBindings[i]; y.Name != x.Name || y.Default != x.Default {
			t.Errorf("%s: default %v→%v", x, x.Default, y.Default)
		}
	}
}

// TestLiveDumpAssumesNothing: a dump of a live model holds the server's
// own built-ins: read back, none is assumed; a dump of files leaves the
// assumed ones out, and reading it back assumes them again.
func TestLiveDumpAssumesNothing(t *testing.T) {
	b := rbac.NewBuilder()
	if err := AddData(b, "live.yaml", []byte(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: only}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: only}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: u}]
`)); err != nil {
		t.Fatal(err)
	}
	live := b.Build()
	live.Live = true
	var buf bytes.Buffer
	if err := Write(&buf, live); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rbac.json")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Live || p.Builtins != (rbac.BuiltinsAssumption{}) || len(p.ClusterRoles) != 1 || len(p.ClusterRoleBindings) != 1 {
		t.Fatalf("read back: live %v, builtins %+v, %d ClusterRoles", p.Live, p.Builtins, len(p.ClusterRoles))
	}

	files, err := Load("../cli/testdata/rbac/partial.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if files.Builtins.Count() == 0 {
		t.Fatal("partial.yaml: no built-in assumed")
	}
	buf.Reset()
	if err := Write(&buf, files); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("system:controller:")) || bytes.Contains(buf.Bytes(), []byte(rbac.LiveDumpAnnotation)) {
		t.Fatal("a dump of files holds assumed built-ins or the live mark")
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if again.Live || again.Builtins != files.Builtins || len(again.ClusterRoles) != len(files.ClusterRoles) {
		t.Errorf("read back: live %v, builtins %+v (was %+v)", again.Live, again.Builtins, files.Builtins)
	}
}

// exportedFields is a struct's exported fields but skip, by name.
// withoutSource copies list with each element's Source (named by source)
// cleared: where an object was read differs after a round trip.
func withoutSource[T any](list []T, source func(*T) *string) []T {
	var out []T
	for _, x := range list {
		*source(&x) = ""
		out = append(out, x)
	}
	return out
}

func exportedFields(v any, skip ...string) map[string]any {
	rv := reflect.ValueOf(v)
	out := map[string]any{}
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Type().Field(i)
		if f.IsExported() && !slices.Contains(skip, f.Name) {
			out[f.Name] = rv.Field(i).Interface()
		}
	}
	return out
}
