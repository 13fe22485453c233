package app

import (
	"strings"
	"testing"
)

func TestKubeconfigAudit(t *testing.T) {
	r, err := KubeconfigAudit(KubeconfigAuditOptions{File: "../cli/testdata/kubeconfig/all-kinds.yaml", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != "../cli/testdata/kubeconfig/all-kinds.yaml" || len(r.Rules) == 0 || len(r.Findings) == 0 {
		t.Errorf("result: %s, %d rules, %d findings", r.Source, len(r.Rules), len(r.Findings))
	}
	t.Setenv("KUBECONFIG", "testdata/none.yaml")
	for _, c := range []struct {
		name string
		o    KubeconfigAuditOptions
		want string
	}{
		{"missing", KubeconfigAuditOptions{File: "testdata/none.yaml"}, "none.yaml"},
		{"not a kubeconfig", KubeconfigAuditOptions{File: "../cli/testdata/kubeconfig/not-a-kubeconfig.yaml"}, "not-a-kubeconfig.yaml"},
		{"none by default", KubeconfigAuditOptions{}, "no kubeconfig: give a FILE, or set KUBECONFIG"},
		{"bad date", KubeconfigAuditOptions{AsOf: "soon"}, "--now"},
	} {
		if _, err := KubeconfigAudit(c.o); !IsInput(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an input error saying %q", c.name, err, c.want)
		}
	}
}
