package rbac_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/rbac"
	"github.com/apiguard/apiguard/internal/rbacdump"
	"github.com/apiguard/apiguard/internal/testsupport/rbacsynth"
)

// The cut ranking is judged against the truth: delete the binding from the
// input, run the analysis again, and see who no longer reaches
// cluster-admin power.

func loadJSON(t testing.TB, data []byte) *rbac.Policy {
	t.Helper()
	b := rbac.NewBuilder()
	if err := rbacdump.AddData(b, "dump.json", data); err != nil {
		t.Fatal(err)
	}
	return b.Build()
}

type listItem struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

// withoutBinding is the List with one binding ("ClusterRoleBinding NAME" or
// "RoleBinding NS/NAME") left out.
func withoutBinding(t testing.TB, data []byte, binding string) []byte {
	t.Helper()
	var list map[string]json.RawMessage
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(list["items"], &items); err != nil {
		t.Fatal(err)
	}
	kind, name, _ := strings.Cut(binding, " ")
	ns := ""
	if kind == "RoleBinding" {
		ns, name, _ = strings.Cut(name, "/")
	}
	out, found := items[:0:0], false
	for _, it := range items {
		var li listItem
		if err := json.Unmarshal(it, &li); err != nil {
			t.Fatal(err)
		}
		if li.Kind == kind && li.Metadata.Name == name && li.Metadata.Namespace == ns {
			found = true
			continue
		}
		out = append(out, it)
	}
	if !found {
		t.Fatalf("%s is not in the input", binding)
	}
	raw, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	list["items"] = raw
	res, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func adminSet(p *rbac.Policy) map[rbac.SubjectRef]bool {
	m := map[rbac.SubjectRef]bool{}
	for _, ad := range p.Analysis().Admins {
		m[ad.Subject] = true
	}
	return m
}

// lostWithout runs the analysis without the binding and lists the admins
// that are admins no more (sorted as Cut.Subjects).
func lostWithout(t testing.TB, data []byte, before map[rbac.SubjectRef]bool, binding string) []rbac.SubjectRef {
	t.Helper()
	after := adminSet(loadJSON(t, withoutBinding(t, data, binding)))
	var lost []rbac.SubjectRef
	for s := range before {
		if !after[s] {
			lost = append(lost, s)
		}
	}
	for s := range after {
		if !before[s] {
			t.Errorf("without %s, %s is an admin it was not before", binding, s)
		}
	}
	slices.SortFunc(lost, func(a, b rbac.SubjectRef) int {
		return strings.Compare(a.Kind+"\x00"+a.Namespace+"\x00"+a.Name, b.Kind+"\x00"+b.Namespace+"\x00"+b.Name)
	})
	return lost
}

func refsText(rs []rbac.SubjectRef) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.String())
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// checkCuts compares every listed cut with the truth and, for the bindings
// on some admin's path that are not listed, that they cut nobody (or no more
// than the last listed when the list is full).
func checkCuts(t *testing.T, data []byte) []rbac.Cut {
	t.Helper()
	p := loadJSON(t, data)
	a := p.Analysis()
	before := adminSet(p)
	cuts := a.Cuts()
	listed := map[string]bool{}
	for _, c := range cuts {
		listed[c.Binding] = true
		if got, want := refsText(c.Subjects), refsText(lostWithout(t, data, before, c.Binding)); got != want {
			t.Errorf("cut %s: lists %d subjects [%s], deleting it loses %s", c.Binding, len(c.Subjects), got, want)
		}
	}
	// every other binding on a path
	onPath := map[string]bool{}
	for _, ad := range a.Admins {
		for _, st := range ad.Path {
			for _, part := range strings.Split(st.Via, "; ") {
				b, _, _ := strings.Cut(part, " → ")
				if strings.HasPrefix(b, "ClusterRoleBinding ") || strings.HasPrefix(b, "RoleBinding ") {
					onPath[b] = true
				}
			}
		}
	}
	isDefault := map[string]bool{}
	for _, b := range append(append([]*rbac.Binding(nil), p.ClusterRoleBindings...), p.RoleBindings...) {
		if b.Default || b.Assumed {
			isDefault[b.String()] = true
		}
	}
	for b := range onPath {
		if listed[b] || isDefault[b] {
			continue
		}
		lost := lostWithout(t, data, before, b)
		if len(cuts) < 25 && len(lost) > 0 {
			t.Errorf("%s is not listed, but deleting it loses %s", b, refsText(lost))
		}
		if len(cuts) == 25 && len(lost) > len(cuts[24].Subjects) {
			t.Errorf("%s is not listed, but deleting it loses %d subjects, more than the last listed", b, len(lost))
		}
	}
	return cuts
}

func TestCutsSynthetic(t *testing.T) {
	for _, seed := range []int64{7} { // ~10 s: every binding on a path is deleted in turn
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			var buf bytes.Buffer
			cfg := rbacsynth.Config{Namespaces: 40, ClusterRoles: 200, ClusterRoleBindings: 150, Roles: 300, RoleBindings: 500,
				ServiceAccounts: 400, Pods: 900, Nodes: 6, TokenSecrets: 20}
			if err := rbacsynth.Generate(&buf, cfg, seed); err != nil {
				t.Fatal(err)
			}
			cuts := checkCuts(t, buf.Bytes())
			if len(cuts) == 0 {
				t.Fatal("no cut at all: the synthetic cluster's chains to cluster-admin run through user-made bindings")
			}
			t.Logf("top cut: %s cuts %d (of %d cuts)", cuts[0].Binding, len(cuts[0].Subjects), len(cuts))
		})
	}
}

// obj is one object of a List, as JSON.
func obj(kind, ns, name string, rest string) string {
	apiVersion := "rbac.authorization.k8s.io/v1"
	if kind == "ServiceAccount" || kind == "Pod" || kind == "Namespace" {
		apiVersion = "v1"
	}
	meta := fmt.Sprintf(`{"name":%q}`, name)
	if ns != "" {
		meta = fmt.Sprintf(`{"name":%q,"namespace":%q}`, name, ns)
	}
	if rest != "" {
		rest = "," + rest
	}
	return fmt.Sprintf(`{"apiVersion":%q,"kind":%q,"metadata":%s%s}`, apiVersion, kind, meta, rest)
}

func cr(name, rules string) string { return obj("ClusterRole", "", name, `"rules":`+rules) }
func crbTo(name, role, subject string) string {
	return obj("ClusterRoleBinding", "", name, fmt.Sprintf(`"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":%q},"subjects":[%s]`, role, subject))
}
func rbTo(ns, name, roleKind, role, subject string) string {
	return obj("RoleBinding", ns, name, fmt.Sprintf(`"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":%q,"name":%q},"subjects":[%s]`, roleKind, role, subject))
}
func userSubj(name string) string {
	return fmt.Sprintf(`{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":%q}`, name)
}
func saSubj(ns, name string) string {
	return fmt.Sprintf(`{"kind":"ServiceAccount","name":%q,"namespace":%q}`, name, ns)
}

func list(items ...string) []byte {
	return []byte(`{"apiVersion":"v1","kind":"List","items":[` + strings.Join(items, ",") + `]}`)
}

// TestCutsCases: the steps with more than one way to take them.
func TestCutsCases(t *testing.T) {
	base := []string{
		cr("cluster-admin", `[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]},{"verbs":["*"],"nonResourceURLs":["*"]}]`),
		obj("Namespace", "", "ci", ""),
		obj("ServiceAccount", "ci", "deployer", ""),
		crbTo("deployer-admin", "cluster-admin", saSubj("ci", "deployer")),
	}
	for _, c := range []struct {
		name  string
		items []string
		want  map[string]string // binding → the subjects it cuts
	}{
		{"one binding, one way", []string{
			cr("pods", `[{"verbs":["create"],"apiGroups":[""],"resources":["pods"]}]`),
			rbTo("ci", "alice-pods", "ClusterRole", "pods", userSubj("alice")),
		}, map[string]string{
			"ClusterRoleBinding deployer-admin": "ServiceAccount ci/deployer, User alice",
			"RoleBinding ci/alice-pods":         "User alice",
		}},
		{"two bindings, the same step", []string{
			cr("pods", `[{"verbs":["create"],"apiGroups":[""],"resources":["pods"]}]`),
			cr("deploys", `[{"verbs":["create"],"apiGroups":["apps"],"resources":["deployments"]}]`),
			rbTo("ci", "alice-pods", "ClusterRole", "pods", userSubj("alice")),
			rbTo("ci", "alice-deploys", "ClusterRole", "deploys", userSubj("alice")),
		}, map[string]string{
			"ClusterRoleBinding deployer-admin": "ServiceAccount ci/deployer, User alice",
		}},
		{"escalate a role bound twice", []string{
			cr("escalator", `[{"verbs":["escalate","update"],"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"]}]`),
			cr("r1", `[{"verbs":["get"],"apiGroups":[""],"resources":["configmaps"]}]`),
			cr("r2", `[{"verbs":["list"],"apiGroups":[""],"resources":["configmaps"]}]`),
			crbTo("carol-escalate", "escalator", userSubj("carol")),
			crbTo("carol-r1", "r1", userSubj("carol")),
			crbTo("carol-r2", "r2", userSubj("carol")),
		}, map[string]string{
			"ClusterRoleBinding deployer-admin": "ServiceAccount ci/deployer",
			"ClusterRoleBinding carol-escalate": "User carol",
		}},
		{"tokens of any ServiceAccount, and of one by name", []string{
			cr("tokens", `[{"verbs":["create"],"apiGroups":[""],"resources":["serviceaccounts/token"]}]`),
			cr("deployer-token", `[{"verbs":["create"],"apiGroups":[""],"resources":["serviceaccounts/token"],"resourceNames":["deployer"]}]`),
			rbTo("ci", "dan-tokens", "ClusterRole", "tokens", userSubj("dan")),
			rbTo("ci", "dan-deployer", "ClusterRole", "deployer-token", userSubj("dan")),
		}, map[string]string{
			"ClusterRoleBinding deployer-admin": "ServiceAccount ci/deployer, User dan",
		}},
		{"join either of two admin bindings", []string{
			cr("binder", `[{"verbs":["bind"],"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"]},{"verbs":["update"],"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterrolebindings"]}]`),
			crbTo("erin-binder", "binder", userSubj("erin")),
			crbTo("root-admin", "cluster-admin", userSubj("root")),
		}, map[string]string{
			"ClusterRoleBinding erin-binder":    "User erin",
			"ClusterRoleBinding deployer-admin": "ServiceAccount ci/deployer",
			"ClusterRoleBinding root-admin":     "User root",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := list(append(append([]string(nil), base...), c.items...)...)
			cuts := checkCuts(t, data)
			got := map[string]string{}
			for _, cut := range cuts {
				got[cut.Binding] = refsText(cut.Subjects)
			}
			for b, want := range c.want {
				if got[b] != want {
					t.Errorf("%s cuts [%s], want [%s]", b, got[b], want)
				}
			}
			for b, g := range got {
				if _, ok := c.want[b]; !ok {
					t.Errorf("%s listed as cutting [%s], want not listed", b, g)
				}
			}
		})
	}
}
