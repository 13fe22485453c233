package rbacdump

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/apiguard/apiguard/internal/rbac"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The analysis budget: a cluster of 500 namespaces, 2,000 ClusterRoles,
// 10,000 Roles, 20,000 RoleBindings, 3,000 ClusterRoleBindings, 10,000
// ServiceAccounts and 30,000 Pods loads and is analysed in at most 3 s and
// 1 GiB on two cores.
//
//	go test ./internal/rbac -run '^$' -bench Analysis -benchmem

type analysisSize struct {
	namespaces, clusterRoles, roles, roleBindings, clusterRoleBindings, serviceAccounts, pods, nodes, secrets int
}

var analysisBudget = analysisSize{namespaces: 500, clusterRoles: 2000, roles: 10000, roleBindings: 20000, clusterRoleBindings: 3000,
	serviceAccounts: 10000, pods: 30000, nodes: 300, secrets: 2000}

// analysisRules is a pool of rules: harmless ones, every risk's halves,
// and the traps (which must grant nothing).
var analysisRules = [][]rbacv1.PolicyRule{
	{{Verbs: l("get", "list", "watch"), APIGroups: l(""), Resources: l("pods", "configmaps", "services")}},
	{{Verbs: l("get", "list"), APIGroups: l("apps"), Resources: l("deployments", "replicasets")}},
	{{Verbs: l("create", "update", "patch"), APIGroups: l("apps"), Resources: l("deployments")}},
	{{Verbs: l("get", "list", "watch"), APIGroups: l(""), Resources: l("secrets")}},
	{{Verbs: l("get"), APIGroups: l(""), Resources: l("secrets"), ResourceNames: l("tok-1", "tok-2")}},
	{{Verbs: l("create"), APIGroups: l(""), Resources: l("pods/exec", "pods/attach")}},
	{{Verbs: l("create"), APIGroups: l(""), Resources: l("serviceaccounts/token"), ResourceNames: l("sa-3")}},
	{{Verbs: l("bind"), APIGroups: l(groupRBAC), Resources: l("clusterroles"), ResourceNames: l("cr-7")}, {Verbs: l("create"), APIGroups: l(groupRBAC), Resources: l("rolebindings")}},
	{{Verbs: l("escalate", "update"), APIGroups: l(groupRBAC), Resources: l("roles")}},
	{{Verbs: l("impersonate"), APIGroups: l(""), Resources: l("users"), ResourceNames: l("user-5")}},
	{{Verbs: l("get"), APIGroups: l(""), Resources: l("nodes/proxy")}},
	{{Verbs: l("patch"), APIGroups: l(""), Resources: l("namespaces")}},
	{{Verbs: l("*"), APIGroups: l("batch"), Resources: l("*")}},
	// traps
	{{Verbs: l("create"), APIGroups: l(""), Resources: l("pods/*")}},
	{{Verbs: l("create"), APIGroups: l("core"), Resources: l("pods")}},
	{{Verbs: l("create"), APIGroups: l(""), Resources: l("deployments")}},
	{{Verbs: l("get"), APIGroups: l(""), Resources: l("pods/exec")}},
	{{Verbs: l("bind"), APIGroups: l(groupRBAC), Resources: l("clusterrolebindings")}},
	{{Verbs: l("get"), NonResourceURLs: l("/metrics")}},
}

func analysisObjects(n analysisSize) []any {
	var out []any
	ns := func(i int) string { return fmt.Sprintf("ns-%03d", i%n.namespaces) }
	meta := func(namespace, name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: namespace, Name: name}
	}
	tm := func(kind string) metav1.TypeMeta {
		if kind == "ServiceAccount" || kind == "Pod" || kind == "Namespace" || kind == "Secret" {
			return metav1.TypeMeta{APIVersion: "v1", Kind: kind}
		}
		return metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: kind}
	}
	for i := 0; i < n.namespaces; i++ {
		out = append(out, &corev1.Namespace{TypeMeta: tm("Namespace"), ObjectMeta: meta("", ns(i))})
	}
	out = append(out, &rbacv1.ClusterRole{TypeMeta: tm("ClusterRole"), ObjectMeta: meta("", "cluster-admin"),
		Rules: []rbacv1.PolicyRule{{Verbs: l("*"), APIGroups: l("*"), Resources: l("*")}, {Verbs: l("*"), NonResourceURLs: l("*")}}})
	for i := 1; i < n.clusterRoles; i++ {
		out = append(out, &rbacv1.ClusterRole{TypeMeta: tm("ClusterRole"), ObjectMeta: meta("", fmt.Sprintf("cr-%d", i)),
			Rules: append(append([]rbacv1.PolicyRule(nil), analysisRules[i%len(analysisRules)]...), analysisRules[(i*7+3)%len(analysisRules)]...)})
	}
	for i := 0; i < n.roles; i++ {
		out = append(out, &rbacv1.Role{TypeMeta: tm("Role"), ObjectMeta: meta(ns(i), fmt.Sprintf("role-%d", i/n.namespaces)),
			Rules: append(append([]rbacv1.PolicyRule(nil), analysisRules[(i*3)%len(analysisRules)]...), analysisRules[(i*5+1)%len(analysisRules)]...)})
	}
	rolesPerNS := n.roles / n.namespaces
	saPerNS := n.serviceAccounts / n.namespaces
	for i := 0; i < n.roleBindings; i++ {
		ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: fmt.Sprintf("cr-%d", 1+i%(n.clusterRoles-1))}
		if i%2 == 0 {
			ref = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: fmt.Sprintf("role-%d", (i/n.namespaces)%rolesPerNS)}
		}
		subjects := []rbacv1.Subject{{Kind: "ServiceAccount", Name: fmt.Sprintf("sa-%d", i%saPerNS)}, {Kind: "User", APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("user-%d", i%1000)}}
		if i%10 == 0 {
			subjects = append(subjects, rbacv1.Subject{Kind: "Group", APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("group-%d", i%100)})
		}
		out = append(out, &rbacv1.RoleBinding{TypeMeta: tm("RoleBinding"), ObjectMeta: meta(ns(i), fmt.Sprintf("rb-%d", i)), RoleRef: ref, Subjects: subjects})
	}
	for i := 0; i < n.clusterRoleBindings; i++ {
		role := fmt.Sprintf("cr-%d", 1+(i*13)%(n.clusterRoles-1))
		if i%300 == 0 {
			role = "cluster-admin" // ten admin ServiceAccounts, the targets of the paths
		}
		out = append(out, &rbacv1.ClusterRoleBinding{TypeMeta: tm("ClusterRoleBinding"), ObjectMeta: meta("", fmt.Sprintf("crb-%d", i)),
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: ns(i * 7), Name: fmt.Sprintf("sa-%d", i%saPerNS)},
				{Kind: "User", APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("user-%d", (i*3)%1000)}}})
	}
	for i := 0; i < n.serviceAccounts; i++ {
		out = append(out, &corev1.ServiceAccount{TypeMeta: tm("ServiceAccount"), ObjectMeta: meta(ns(i), fmt.Sprintf("sa-%d", i/n.namespaces))})
	}
	for i := 0; i < n.pods; i++ {
		out = append(out, &corev1.Pod{TypeMeta: tm("Pod"), ObjectMeta: meta(ns(i), fmt.Sprintf("pod-%d", i)),
			Spec: corev1.PodSpec{ServiceAccountName: fmt.Sprintf("sa-%d", i%saPerNS), NodeName: fmt.Sprintf("node-%d", i%n.nodes),
				Containers: []corev1.Container{{Name: "c", Image: "registry.example/app:1"}}}})
	}
	for i := 0; i < n.secrets; i++ {
		out = append(out, &corev1.Secret{TypeMeta: tm("Secret"), ObjectMeta: metav1.ObjectMeta{Namespace: ns(i), Name: fmt.Sprintf("tok-%d", i%7),
			Annotations: map[string]string{rbac.ServiceAccountNameAnnotation: fmt.Sprintf("sa-%d", i%saPerNS)}}, Type: rbac.SecretTypeServiceAccountToken})
	}
	return out
}

var (
	analysisBenchOnce sync.Once
	analysisBenchJSON []byte
)

func analysisBenchData() []byte {
	analysisBenchOnce.Do(func() { analysisBenchJSON = fixtureList(analysisObjects(analysisBudget), true) })
	return analysisBenchJSON
}

func loadAnalysisBench(b *testing.B) *rbac.Policy {
	bl := rbac.NewBuilder()
	if err := AddData(bl, "analysis.json", analysisBenchData()); err != nil {
		b.Fatal(err)
	}
	return bl.Build()
}

// BenchmarkAnalysis: the analysis alone, on a freshly loaded policy each
// time (Analysis caches its result).
func BenchmarkAnalysis(b *testing.B) {
	analysisBenchData()
	b.ReportAllocs()
	var a *rbac.Analysis
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		p := loadAnalysisBench(b)
		runtime.GC()
		b.StartTimer()
		a = p.Analysis()
	}
	b.StopTimer()
	b.ReportMetric(float64(len(a.Admins)), "admins")
	b.ReportMetric(float64(len(a.Risks)), "risks")
}

// BenchmarkLoadAndAnalysis: what the budget is about, reading the JSON dump
// and analysing it.
func BenchmarkLoadAndAnalysis(b *testing.B) {
	data := analysisBenchData()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		loadAnalysisBench(b).Analysis()
	}
}
