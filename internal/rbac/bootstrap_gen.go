//go:build ignore

// bootstrap_gen writes bootstrap_v1.36.json: the RBAC objects kube-apiserver
// creates and reconciles at start-up (the same lists as
// pkg/registry/rbac/rest/storage_rbac.go PolicyData), taken from
// k8s.io/kubernetes itself so they cannot drift. The product module cannot
// import k8s.io/kubernetes; the e2e module can, so run it from there:
//
//	cd test/e2e && go run ../../internal/rbac/bootstrap_gen.go > ../../internal/rbac/bootstrap_v1.36.json
package main

import (
	"encoding/json"
	"os"

	"k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac/bootstrappolicy"
)

func main() {
	out := map[string]any{
		"version":             "v1.36.3",
		"clusterRoles":        append(bootstrappolicy.ClusterRoles(), bootstrappolicy.ControllerRoles()...),
		"clusterRoleBindings": append(bootstrappolicy.ClusterRoleBindings(), bootstrappolicy.ControllerRoleBindings()...),
		"roles":               bootstrappolicy.NamespaceRoles(),
		"roleBindings":        bootstrappolicy.NamespaceRoleBindings(),
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
