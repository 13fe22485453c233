package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

// regoRBACRules maps kubescape's RBAC rules to the apiguard checks that
// answer the same question. The case's objects are scanned together with
// `scan --rbac` (apiguard assumes Kubernetes' built-in roles and bindings
// exist, as on any real cluster); apiguard fails the case when a mapped
// check fails or warns on a subject or binding of the case.
var regoRBACRules = map[string][]string{
	// Bindings that give anonymous or unauthenticated users permissions.
	"anonymous-access-enabled": {"AG-AUTHZ-024"},
	// CIS 5.1.1: who is bound to cluster-admin (cluster-wide).
	"cluster-admin-role": {"AG-ADMIN-005"},
	// Subjects with cluster-admin-like power, directly or through what they
	// can act as.
	"rule-list-all-cluster-admins-v1": {"AG-ADMIN-005", "AG-ADMIN-006"},
	// CIS 5.1.13: create serviceaccounts/token.
	"rule-can-create-service-account-token": {"AG-AUTHZ-020"},
	// CIS 5.1.12: write access to admission webhook configurations.
	"rule-can-modify-admission-webhooks": {"AG-AUTHZ-021"},
}

// rbacObject is the part of an RBAC object the mapping reads.
type rbacObject struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Subjects []struct {
		Kind      string `json:"kind"`
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"subjects"`
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

// caseNames are the names apiguard gives the case's subjects and bindings
// as finding resources ("User jane", "ServiceAccount ns/sa",
// "ClusterRoleBinding name", "RoleBinding ns/name").
func caseNames(files []string) (map[string]bool, error) {
	names := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, doc := range docSeparator.Split(string(b), -1) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			var o rbacObject
			if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			switch o.Kind {
			case "ClusterRoleBinding":
				names["ClusterRoleBinding "+o.Metadata.Name] = true
			case "RoleBinding":
				names["RoleBinding "+o.Metadata.Namespace+"/"+o.Metadata.Name] = true
			default:
				continue
			}
			for _, s := range o.Subjects {
				n := s.Name
				if s.Kind == "ServiceAccount" {
					ns := s.Namespace
					if ns == "" {
						ns = o.Metadata.Namespace
					}
					n = ns + "/" + n
				}
				names[s.Kind+" "+n] = true
			}
		}
	}
	return names, nil
}

// regoRBACCase scans the case's RBAC objects and reports the mapped checks'
// statuses on the case's own subjects and bindings, and how many of them it
// flags (kubescape alerts once per subject or binding).
func regoRBACCase(e *env, dir string, checks []string) (string, int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "input", "*"))
	if err != nil || len(files) == 0 {
		return "", 0, fmt.Errorf("no input files (%v)", err)
	}
	names, err := caseNames(files)
	if err != nil {
		return "", 0, err
	}
	var args []string
	for _, f := range files {
		args = append(args, "--rbac", f)
	}
	fs, err := e.scan(args...)
	if err != nil {
		return "", 0, err
	}
	var parts []string
	hit := map[string]bool{}
	for _, id := range checks {
		var on []string
		for _, f := range fs {
			if f.CheckID == id && flagged(f.Status) && names[f.Resource] {
				on = append(on, f.Status+" on "+f.Resource)
				hit[f.Resource] = true
			}
		}
		if len(on) == 0 {
			on = []string{"no finding on the case's subjects (" + statuses(fs, id) + ")"}
		}
		parts = append(parts, id+" "+strings.Join(on, ", "))
	}
	return strings.Join(parts, "; "), len(hit), nil
}
