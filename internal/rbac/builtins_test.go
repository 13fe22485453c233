package rbac

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes/scheme"
)

// writeInput joins YAML documents into one input.
func writeInput(_ *testing.T, docs ...string) string { return strings.Join(docs, "\n---\n") }

// loadDocs builds a model of YAML documents decoded by client-go's
// deserializer (the dump loader is package rbacdump's), assuming the
// built-ins or not.
func loadDocs(t *testing.T, input string, assume bool) *Policy {
	t.Helper()
	b := NewBuilder()
	if assume {
		b.AssumeBuiltins()
	} else {
		b.NoBuiltins()
	}
	for i, doc := range strings.Split(input, "\n---\n") {
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		b.Add(obj, fmt.Sprintf("input.yaml#%d", i))
	}
	return b.Build()
}

func loadBoth(t *testing.T, input string) (assumed, alone *Policy) {
	t.Helper()
	return loadDocs(t, input, true), loadDocs(t, input, false)
}

// A Helm chart's binder: bind on clusterroles and create on
// clusterrolebindings, no cluster-admin in the input.
const binderDocs = `apiVersion: v1
kind: ServiceAccount
metadata: {name: binder, namespace: ops}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: binder}
rules:
- apiGroups: [rbac.authorization.k8s.io]
  resources: [clusterroles]
  verbs: [bind]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [clusterrolebindings]
  verbs: [create]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: binder}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: binder}
subjects: [{kind: ServiceAccount, name: binder, namespace: ops}]`

var binderSA = SubjectRef{Kind: KindServiceAccount, Namespace: "ops", Name: "binder"}

// TestAssumedBuiltinsRevealPaths: without cluster-admin in the input the
// binder has no path; with the built-ins assumed it binds cluster-admin,
// and the step says the role is assumed.
func TestAssumedBuiltinsRevealPaths(t *testing.T) {
	assumed, alone := loadBoth(t, writeInput(t, binderDocs))
	if ps := alone.Analysis().Paths(binderSA); ps != nil {
		t.Fatalf("alone, the binder has a path: %s", pathText(ps[0]))
	}
	if !alone.Builtins.Disabled || alone.Builtins.Version != "" || alone.Builtins.Summary() != "" {
		t.Errorf("alone: %+v", alone.Builtins)
	}
	ps := assumed.Analysis().Paths(binderSA)
	if len(ps) == 0 || len(ps[0]) != 1 {
		t.Fatalf("assumed: paths %v, want one step", ps)
	}
	st := ps[0][0]
	if !st.Assumed || !strings.Contains(st.Action, "bind ClusterRole cluster-admin (built-in, assumed) to itself with a new ClusterRoleBinding") {
		t.Errorf("step %+v", st)
	}
	if strings.Contains(st.Via, "assumed") {
		t.Errorf("the binder's own grant is not assumed: %q", st.Via)
	}
	b := assumed.Builtins
	crs, crbs, rs, rbs := BootstrapObjects()
	if b.Version != BootstrapVersion || b.ClusterRoles != len(crs) || b.ClusterRoleBindings != len(crbs) || b.Roles != len(rs) || b.RoleBindings != len(rbs) {
		t.Errorf("assumed %+v, want every bootstrap object (%d, %d, %d, %d)", b, len(crs), len(crbs), len(rs), len(rbs))
	}
	if !strings.HasPrefix(b.Summary(), "built-in roles assumed, v1.36: the input does not define ") {
		t.Errorf("summary %q", b.Summary())
	}
	if got := assumed.Objects(); got != alone.Objects() {
		t.Errorf("Objects() counts the input only: %d, alone %d", got, alone.Objects())
	}
	r := assumed.ClusterRole("cluster-admin")
	if r == nil || !r.Assumed || !r.Default || r.Source != AssumedSource {
		t.Fatalf("cluster-admin: %+v", r)
	}
}

// TestAssumedBuiltinsInputWins: the input's own version of a default is
// used, even a weaker one; only what it lacks is assumed.
func TestAssumedBuiltinsInputWins(t *testing.T) {
	weak := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]`
	p, _ := loadBoth(t, writeInput(t, binderDocs, weak))
	crs, _, _, _ := BootstrapObjects()
	if p.Builtins.ClusterRoles != len(crs)-1 {
		t.Errorf("assumed %d ClusterRoles, want %d", p.Builtins.ClusterRoles, len(crs)-1)
	}
	r := p.ClusterRole("cluster-admin")
	if r.Assumed || r.Default || len(r.Rules) != 1 {
		t.Errorf("the input's cluster-admin: %+v", r)
	}
	if ps := p.Analysis().Paths(binderSA); ps != nil {
		t.Errorf("no role holds */*/*, yet: %s", pathText(ps[0]))
	}
	// the assumed system:masters binding resolves to the input's role
	seen := false
	for _, b := range p.ClusterRoleBindings {
		if b.Name == "cluster-admin" {
			seen = true
			if b.Role != r || !b.Assumed {
				t.Errorf("ClusterRoleBinding cluster-admin: role %v, assumed %v", b.Role, b.Assumed)
			}
		}
	}
	if !seen {
		t.Error("no ClusterRoleBinding cluster-admin assumed")
	}
}

// TestAssumedBuiltinsNotReported: the assumed defaults make only builtin
// admins and risks and no binding issue, as a fresh cluster's do.
func TestAssumedBuiltinsNotReported(t *testing.T) {
	p, _ := loadBoth(t, writeInput(t, `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]`))
	a := p.Analysis()
	wantBuiltinOnly(t, a)
	if len(a.BindingIssues) != 0 || len(p.Problems) != 0 {
		t.Errorf("issues %+v, problems %v", a.BindingIssues, p.Problems)
	}
}

// TestAssumedBuiltinsMissingRoles: a roleRef to a default resolves; one to
// a role neither in the input nor built in is said to be so.
func TestAssumedBuiltinsMissingRoles(t *testing.T) {
	input := writeInput(t, `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev-edit, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev-gone, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: gone}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]`)
	assumed, alone := loadBoth(t, input)
	if got, want := assumed.MissingRoles(), []string{"RoleBinding dev/dev-gone → ClusterRole gone"}; !reflect.DeepEqual(got, want) {
		t.Errorf("assumed: missing %q, want %q", got, want)
	}
	if got := alone.MissingRoles(); len(got) != 2 {
		t.Errorf("alone: missing %q, want both", got)
	}
	if got := problems(assumed); !strings.Contains(got, "RoleBinding dev/dev-gone: roleRef: ClusterRole gone is neither in the input nor a Kubernetes v1.36 built-in") ||
		strings.Contains(got, "dev-edit") {
		t.Errorf("assumed problems:\n%s", got)
	}
	if got := problems(alone); !strings.Contains(got, "ClusterRole edit is not in the input (built-in roles not assumed") {
		t.Errorf("alone problems:\n%s", got)
	}
	a := assumed.Analysis()
	if len(a.BindingIssues) != 1 || !strings.Contains(a.BindingIssues[0].Detail, "neither in the input nor a Kubernetes v1.36 built-in") {
		t.Errorf("issues %+v", a.BindingIssues)
	}
	// edit is the aggregated default: alice creates workloads in dev, and
	// the grant says its role is assumed
	rs := risksOf(a, RiskWorkloadCreate, alice)
	if len(rs) != 1 || rs[0].Namespace != "dev" || rs[0].Grants[0].Assumed != "role" {
		t.Fatalf("alice's workload risk: %+v", rs)
	}
	if g := rs[0].Grants[0]; g.String() != "RoleBinding dev/dev-edit → ClusterRole edit (built-in role, assumed)" {
		t.Errorf("grant %q", g.String())
	}
	// Load (typed objects, the engine's own constructor) assumes nothing
	if p := Load(clusterRole("r")); p.Builtins != (BuiltinsAssumption{}) || len(p.ClusterRoles) != 1 {
		t.Errorf("Load: %+v, %d ClusterRoles", p.Builtins, len(p.ClusterRoles))
	}
}

// TestAssumedAggregation: an input ClusterRole labelled for aggregation
// joins the assumed aggregated default, as the controller would add it.
func TestAssumedAggregation(t *testing.T) {
	p, _ := loadBoth(t, writeInput(t, `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: widgets-edit
  labels: {rbac.authorization.k8s.io/aggregate-to-edit: "true"}
rules: [{apiGroups: [example.com], resources: [widgets], verbs: [create]}]`))
	ok, _ := p.Allowed(Request{User: "bob", Verb: "create", APIGroup: "example.com", Resource: "widgets", Namespace: "dev"})
	if ok {
		t.Fatal("bob holds nothing")
	}
	edit := p.ClusterRole("edit")
	if edit == nil || !edit.Assumed || !edit.Aggregated {
		t.Fatalf("edit: %+v", edit)
	}
	found := false
	for _, r := range edit.Rules {
		if reflect.DeepEqual(r.Resources, []string{"widgets"}) {
			found = true
		}
	}
	if !found {
		t.Errorf("edit does not aggregate widgets-edit: %v", edit.Rules)
	}
}

// TestAssumedControllerServiceAccounts: the ServiceAccounts the assumed
// bindings name exist even when the input holds other ServiceAccounts of
// kube-system: pods created there may run as them.
func TestAssumedControllerServiceAccounts(t *testing.T) {
	p, alone := loadBoth(t, writeInput(t, `apiVersion: v1
kind: ServiceAccount
metadata: {name: chart-agent, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pods, namespace: kube-system}
rules: [{apiGroups: [""], resources: [pods], verbs: [create]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: mallory-pods, namespace: kube-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pods}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: mallory}]`))
	mallory := SubjectRef{Kind: KindUser, Name: "mallory"}
	if ps := alone.Analysis().Paths(mallory); ps != nil {
		t.Fatalf("alone: %s", pathText(ps[0]))
	}
	ad := adminOf(p.Analysis(), mallory)
	if ad == nil || ad.Builtin || len(ad.Path) < 2 {
		t.Fatalf("mallory: %+v", ad)
	}
	if first := ad.Path[0]; !strings.Contains(first.Action, "create pods in namespace kube-system → run as ServiceAccount kube-system/") || first.Assumed {
		t.Errorf("first step %+v", first)
	}
	last := ad.Path[len(ad.Path)-1]
	if !last.Assumed || !strings.Contains(last.Via, "assumed") {
		t.Errorf("the last step goes through an assumed default: %+v", last)
	}
}
