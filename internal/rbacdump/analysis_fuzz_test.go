package rbacdump

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/apiguard/apiguard/internal/rbac"
)

// FuzzAnalysis: any dump that loads analyses without panicking, and the
// result keeps its invariants (go test ./internal/rbac -fuzz FuzzAnalysis).
func FuzzAnalysis(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yaml", "testdata/*.json", "testdata/analysis/*.yaml", "../cli/testdata/rbac/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			if data, err := os.ReadFile(name); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(`{"kind":"List","items":[
{"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"x"},"rules":[{"verbs":["bind","escalate","update","create","impersonate"],"apiGroups":["*"],"resources":["*"]}]},
{"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"x"},"roleRef":{"kind":"ClusterRole","name":"x"},"subjects":[{"kind":"Group","name":"system:serviceaccounts"},{"kind":"User","name":"system:serviceaccount:a:b"}]},
{"kind":"RoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"y","namespace":"a"},"roleRef":{"kind":"ClusterRole","name":"x"},"subjects":[{"kind":"ServiceAccount","name":"c"},{"kind":"Group","name":"system:authenticated"}]},
{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","namespace":"a"},"spec":{"serviceAccountName":"c","nodeName":"n"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := rbac.NewBuilder()
		if err := AddData(b, "fuzz", data); err != nil {
			return
		}
		a := b.Build().Analysis()
		if len(a.Admins) == 0 {
			t.Fatal("system:masters is always an admin")
		}
		for _, ad := range a.Admins {
			ps := a.Paths(ad.Subject)
			if len(ad.Path) == 0 || len(ps) == 0 || len(ps) > 10 || !reflect.DeepEqual(ps[0], ad.Path) {
				t.Fatalf("%s: path %v, paths %v", ad.Subject, ad.Path, ps)
			}
			for _, p := range ps {
				if len(p) != len(ad.Path) {
					t.Fatalf("%s: paths of different lengths", ad.Subject)
				}
			}
		}
		for _, r := range a.Risks {
			if r.Detail == "" || len(r.Grants) == 0 {
				t.Fatalf("risk %+v", r)
			}
		}
	})
}
