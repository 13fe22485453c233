package detect

import (
	"encoding/json"
	"os"
	"testing"
)

// TestControlPlaneAccounts: every kube-system ServiceAccount that the v1.36
// bootstrap policy binds to a controller role is the control plane, and a
// look-alike is not (RBAC Buster's kube-system/kube-controller).
func TestControlPlaneAccounts(t *testing.T) {
	raw, err := os.ReadFile("../rbac/bootstrap_v1.36.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ClusterRoleBindings []struct {
			Metadata struct{ Name string }
			Subjects []struct{ Kind, Name, Namespace string }
		} `json:"clusterRoleBindings"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range doc.ClusterRoleBindings {
		if len(b.Metadata.Name) < len("system:controller:") || b.Metadata.Name[:len("system:controller:")] != "system:controller:" {
			continue
		}
		for _, s := range b.Subjects {
			if s.Kind != "ServiceAccount" || s.Namespace != "kube-system" {
				continue
			}
			n++
			if !isControlPlane("system:serviceaccount:kube-system:" + s.Name) {
				t.Errorf("%s (bound by %s) is not the control plane", s.Name, b.Metadata.Name)
			}
		}
	}
	if n < 30 {
		t.Fatalf("only %d controller accounts in the bootstrap policy: the file's shape changed", n)
	}
	for _, u := range []string{"system:serviceaccount:kube-system:kube-controller", "system:serviceaccount:kube-system:coredns",
		"system:serviceaccount:kube-system:my-controller", "system:serviceaccount:default:deployment-controller", "kube-controller-manager"} {
		if isControlPlane(u) {
			t.Errorf("%s counts as the control plane", u)
		}
	}
}
