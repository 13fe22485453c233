package auditpolicy

import (
	"os"
	"reflect"
	"testing"

	"k8s.io/apiserver/pkg/audit/policy"
)

// FuzzLoad: Load never panics, agrees with kube-apiserver's own loader
// (accepted means not refused and the same rules; refused means refused or
// not loadable), and whatever loads can be linted and covered.
func FuzzLoad(f *testing.F) {
	kubeUp, _ := os.ReadFile("testdata/kube-up.yaml")
	for _, s := range []string{
		docsPolicy, string(kubeUp), string(Recommend(Standard)),
		head + "- level: RequestResponse\n  resource:\n  - group: \"\"\n",
		"apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n- level: Metadata\n",
		`{"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"None","verbs":["get"],"x":1},{"level":"Metadata"}]}`,
		"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  level: Metadata\n  resources: [{group: apps/v1}]\n",
		"rules: [\n", "\x00\xff",
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: audit.k8s.io/v1\n  kind: Policy\n  rules: [{level: None}]\n",
		"apiVersion: audit.k8s.io/v1\nrules:\n- level: Metadata\n",
		"apiVersion: audit.k8s.io/v1\nkind: Event\nrules:\n- level: Metadata\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Load("f.yaml", data)
		real, realErr := policy.LoadPolicyFromBytes(data)
		if err != nil {
			if realErr == nil {
				t.Fatalf("kube-apiserver loads the policy, Load fails: %v", err)
			}
			return
		}
		switch {
		case realErr == nil && p.Refused:
			t.Fatalf("kube-apiserver loads the policy, Load says it is refused: %+v", p.Problems)
		case realErr == nil && !reflect.DeepEqual(real, p.Internal):
			t.Fatalf("rules differ from kube-apiserver's:\n%+v\n%+v", real, p.Internal)
		case realErr != nil && !p.Refused:
			t.Fatalf("kube-apiserver refuses the policy (%v), Load does not", realErr)
		}
		_ = Lint(p)
		_ = Coverage(p, HumanUser)
	})
}
