package rbacdump

import (
	"encoding/json"
	"fmt"

	"github.com/apiguard/apiguard/internal/rbac"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// fixtureSize is the shape of a generated cluster. The default, bigFixture,
// is about the largest RBAC footprint KubeHound reported (PR #87: 4.5k
// RoleBindings, 1.4k Roles, 700 ClusterRoles and ClusterRoleBindings),
// scaled to the 30k bindings and 60k objects budget.
type fixtureSize struct {
	namespaces, clusterRoles, clusterRoleBindings, roles, roleBindings, serviceAccounts, pods, nodes, secrets int
}

var bigFixture = fixtureSize{namespaces: 1000, clusterRoles: 700, clusterRoleBindings: 700, roles: 1400, roleBindings: 29300,
	serviceAccounts: 12000, pods: 13000, nodes: 200, secrets: 1700}

var verbsPool = [][]string{{"get", "list", "watch"}, {"create", "update", "patch", "delete"}, {"*"}, {"get"}, {"impersonate"}}
var resPool = []struct{ group, res string }{
	{"", "pods"}, {"", "pods/exec"}, {"", "secrets"}, {"", "configmaps"}, {"apps", "deployments"}, {"apps", "*"},
	{"batch", "jobs"}, {"", "services"}, {"", "serviceaccounts/token"}, {"rbac.authorization.k8s.io", "roles"}, {"", "nodes/proxy"},
	{"example.com", "widgets"}, {"", "*/scale"},
}

// fixtureObjects generates a cluster: every object as a JSON-ready value.
func fixtureObjects(n fixtureSize) []any {
	var out []any
	tm := func(kind, group string) metav1.TypeMeta {
		if group == "" {
			return metav1.TypeMeta{APIVersion: "v1", Kind: kind}
		}
		return metav1.TypeMeta{APIVersion: group + "/v1", Kind: kind}
	}
	rules := func(i, n int) []rbacv1.PolicyRule {
		var r []rbacv1.PolicyRule
		for j := 0; j < n; j++ {
			x := resPool[(i+j)%len(resPool)]
			r = append(r, rbacv1.PolicyRule{Verbs: verbsPool[(i*7+j)%len(verbsPool)], APIGroups: []string{x.group}, Resources: []string{x.res}})
		}
		return r
	}
	ns := func(i int) string { return fmt.Sprintf("ns-%04d", i%n.namespaces) }
	for i := 0; i < n.namespaces; i++ {
		out = append(out, corev1.Namespace{TypeMeta: tm("Namespace", ""), ObjectMeta: metav1.ObjectMeta{Name: ns(i), Labels: map[string]string{"team": fmt.Sprint(i % 17)}}})
	}
	for i := 0; i < n.clusterRoles; i++ {
		out = append(out, rbacv1.ClusterRole{TypeMeta: tm("ClusterRole", "rbac.authorization.k8s.io"),
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cr-%d", i), Labels: map[string]string{"agg": fmt.Sprint(i % 10 / 9)}}, Rules: rules(i, 6)})
	}
	out = append(out, rbacv1.ClusterRole{TypeMeta: tm("ClusterRole", "rbac.authorization.k8s.io"), ObjectMeta: metav1.ObjectMeta{Name: "aggregated"},
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"agg": "1"}}}}})
	for i := 0; i < n.clusterRoleBindings; i++ {
		out = append(out, rbacv1.ClusterRoleBinding{TypeMeta: tm("ClusterRoleBinding", "rbac.authorization.k8s.io"), ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("crb-%d", i)},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: fmt.Sprintf("cr-%d", i%n.clusterRoles)},
			Subjects: []rbacv1.Subject{{Kind: "User", Name: fmt.Sprintf("user-%d", i%300)}, {Kind: "Group", Name: fmt.Sprintf("group-%d", i%50)},
				{Kind: "ServiceAccount", Name: fmt.Sprintf("sa-%d", i%12), Namespace: ns(i)}}})
	}
	for i := 0; i < n.roles; i++ {
		out = append(out, rbacv1.Role{TypeMeta: tm("Role", "rbac.authorization.k8s.io"), ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("role-%d", i), Namespace: ns(i)}, Rules: rules(i, 4)})
	}
	for i := 0; i < n.roleBindings; i++ {
		ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: fmt.Sprintf("cr-%d", i%n.clusterRoles)}
		if i%3 == 0 {
			// role-N lives in ns(N): role i%namespaces is in this binding's namespace
			ref = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: fmt.Sprintf("role-%d", i%min(n.namespaces, n.roles))}
		}
		out = append(out, rbacv1.RoleBinding{TypeMeta: tm("RoleBinding", "rbac.authorization.k8s.io"), ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("rb-%d", i), Namespace: ns(i)},
			RoleRef: ref, Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: fmt.Sprintf("sa-%d", i%12)}, {Kind: "User", Name: fmt.Sprintf("user-%d", i%300)}}})
	}
	for i := 0; i < n.serviceAccounts; i++ {
		out = append(out, corev1.ServiceAccount{TypeMeta: tm("ServiceAccount", ""), ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("sa-%d", i/n.namespaces), Namespace: ns(i)}})
	}
	for i := 0; i < n.pods; i++ {
		out = append(out, corev1.Pod{TypeMeta: tm("Pod", ""), ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%d", i), Namespace: ns(i), Labels: map[string]string{"app": "x"}},
			Spec: corev1.PodSpec{ServiceAccountName: fmt.Sprintf("sa-%d", i%12), NodeName: fmt.Sprintf("node-%d", i%n.nodes),
				Containers: []corev1.Container{{Name: "c", Image: "registry.example/app:1.0", Args: []string{"--port=8080"}}}}})
	}
	for i := 0; i < n.nodes; i++ {
		out = append(out, corev1.Node{TypeMeta: tm("Node", ""), ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%d", i), Labels: map[string]string{"kubernetes.io/os": "linux"}}})
	}
	for i := 0; i < n.secrets; i++ {
		out = append(out, corev1.Secret{TypeMeta: tm("Secret", ""), ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("tok-%d", i), Namespace: ns(i),
			Annotations: map[string]string{rbac.ServiceAccountNameAnnotation: fmt.Sprintf("sa-%d", i%12)}},
			Type: rbac.SecretTypeServiceAccountToken, Data: map[string][]byte{"token": []byte("c2VjcmV0")}})
	}
	return out
}

// fixtureList renders objects as `kubectl get -o json` (asJSON) or -o yaml does: one List.
func fixtureList(objs []any, asJSON bool) []byte {
	list := map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{"resourceVersion": ""}, "items": objs}
	data, err := json.MarshalIndent(list, "", "    ")
	if err != nil {
		panic(err)
	}
	if asJSON {
		return data
	}
	y, err := yaml.JSONToYAML(data)
	if err != nil {
		panic(err)
	}
	return y
}

func l(s ...string) []string { return s }

const groupRBAC = rbacv1.GroupName
