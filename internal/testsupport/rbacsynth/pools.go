package rbacsynth

import (
	"math/rand/v2"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Names and rule templates the generator draws from.

var teams = []string{
	"payments", "growth", "identity", "data", "ml", "search", "mobile", "web", "risk", "billing",
	"marketing", "support", "logistics", "core", "partners", "content", "checkout", "catalog",
	"ledger", "fraud", "media", "ads", "maps", "messaging", "platform-apps",
}

var appWords = []string{
	"api", "web", "worker", "frontend", "backend", "auth", "orders", "cart", "inventory", "shipping",
	"notifications", "email", "reports", "analytics", "etl", "scheduler", "gateway", "proxy", "cache",
	"redis", "postgres", "kafka-consumer", "ingest", "exporter", "sync", "importer", "uploader",
	"thumbnailer", "recommender", "pricing", "profile", "session", "chat", "cdn-purger", "geo",
	"tracker", "audit", "admin-ui", "dashboard", "docs", "ml-serving", "feature-store",
	"model-trainer", "batch", "cron", "mailer", "webhook", "graphql", "grpc-gateway", "indexer",
	"crawler", "ranker", "translator", "renderer", "invoicer", "settlement", "kyc", "ledger-writer",
	"router", "sidecar-injector",
}

var envs = []string{"prod", "staging", "dev", "qa", "sandbox"}

var firstNames = []string{
	"alice", "bob", "carol", "dan", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
	"niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yusuf", "zoe",
	"amir", "bea", "chen", "dara", "emeka", "fatima", "goran", "hana", "ines", "jonas", "kai",
	"lena", "mateo", "nora", "oskar", "priya", "quinn", "ravi", "sara",
}

var lastNames = []string{
	"smith", "jones", "garcia", "muller", "rossi", "tanaka", "kim", "nguyen", "silva", "kowalski",
	"novak", "dubois", "jensen", "okafor", "haddad", "ivanova", "larsen", "moreau", "patel", "schmidt",
	"singh", "sato", "lopez", "costa", "weber", "fischer", "berg", "ali", "chan", "wong",
}

var crdWords = []string{
	"widgets", "gadgets", "pipelines", "tenants", "databases", "buckets", "queues", "topics",
	"certificates", "issuers", "policies", "backups", "schedules", "restores", "rollouts",
	"experiments", "workflows", "sensors", "gateways", "routes", "meshes", "clusters", "machines",
	"dashboards", "alerts", "probes", "secretstores", "externalsecrets", "scaledobjects", "triggers",
}

var corps = []string{"example.com", "acme.io", "contoso.dev", "initech.net", "globex.io", "umbrella.org", "hooli.xyz", "stark.tech"}

// podAlphabet is Kubernetes' random suffix alphabet (no vowels).
const podAlphabet = "bcdfghjklmnpqrstvwxz2456789"

func randSuffix(r *rand.Rand, n int) string {
	var b [16]byte
	for i := 0; i < n; i++ {
		b[i] = podAlphabet[r.IntN(len(podAlphabet))]
	}
	return string(b[:n])
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

var (
	read      = []string{"get", "list", "watch"}
	readWrite = []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	all       = []string{"*"}
)

func rule(groups []string, resources []string, verbs []string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: groups, Resources: resources, Verbs: verbs}
}

func named(groups, resources, names, verbs []string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: groups, Resources: resources, ResourceNames: names, Verbs: verbs}
}

func urls(verbs []string, u ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{NonResourceURLs: u, Verbs: verbs}
}

var core = []string{""}

// subset returns between lo and hi distinct elements of xs, in xs order.
func subset(r *rand.Rand, xs []string, lo, hi int) []string {
	n := lo + r.IntN(hi-lo+1)
	if n > len(xs) {
		n = len(xs)
	}
	idx := r.Perm(len(xs))[:n]
	keep := make([]bool, len(xs))
	for _, i := range idx {
		keep[i] = true
	}
	out := make([]string, 0, n)
	for i, x := range xs {
		if keep[i] {
			out = append(out, x)
		}
	}
	return out
}

// crdGroup is a custom resource API group with its resources.
type crdGroup struct {
	group     string
	resources []string
}

// nsTemplate is a kind of namespaced permission set (a Role, or a
// ClusterRole meant for RoleBindings).
type nsTemplate struct {
	suffix string
	weight int
	rules  func(r *rand.Rand, app string, crds []crdGroup) []rbacv1.PolicyRule
}

var nsTemplates = []nsTemplate{
	{"reader", 20, func(r *rand.Rand, _ string, _ []crdGroup) []rbacv1.PolicyRule {
		out := []rbacv1.PolicyRule{rule(core, subset(r, []string{"pods", "pods/log", "services", "endpoints", "configmaps", "events", "persistentvolumeclaims"}, 2, 5), read)}
		if r.IntN(2) == 0 {
			out = append(out, rule([]string{"apps"}, subset(r, []string{"deployments", "statefulsets", "replicasets", "daemonsets"}, 1, 3), read))
		}
		return out
	}},
	{"configmap-editor", 10, func(r *rand.Rand, app string, _ []crdGroup) []rbacv1.PolicyRule {
		if r.IntN(3) == 0 {
			return []rbacv1.PolicyRule{named(core, []string{"configmaps"}, []string{app + "-config", app + "-flags"}, []string{"get", "update", "patch"})}
		}
		return []rbacv1.PolicyRule{rule(core, []string{"configmaps"}, readWrite)}
	}},
	{"leader-election", 10, func(_ *rand.Rand, app string, _ []crdGroup) []rbacv1.PolicyRule {
		return []rbacv1.PolicyRule{
			named([]string{"coordination.k8s.io"}, []string{"leases"}, []string{app + "-leader"}, []string{"get", "update", "patch"}),
			rule([]string{"coordination.k8s.io"}, []string{"leases"}, []string{"create"}),
			rule(core, []string{"events"}, []string{"create", "patch"}),
		}
	}},
	{"deployer", 10, func(r *rand.Rand, _ string, _ []crdGroup) []rbacv1.PolicyRule {
		out := []rbacv1.PolicyRule{
			rule([]string{"apps"}, []string{"deployments", "statefulsets"}, readWrite),
			rule(core, []string{"services", "configmaps"}, readWrite),
			rule(core, []string{"pods", "pods/log"}, read),
		}
		if r.IntN(4) == 0 {
			out = append(out, rule([]string{"networking.k8s.io"}, []string{"ingresses"}, all))
		}
		return out
	}},
	{"pod-manager", 5, func(_ *rand.Rand, _ string, _ []crdGroup) []rbacv1.PolicyRule {
		return []rbacv1.PolicyRule{
			rule(core, []string{"pods"}, []string{"get", "list", "watch", "create", "delete"}),
			rule(core, []string{"pods/log"}, []string{"get"}),
		}
	}},
	{"secret-reader", 8, func(r *rand.Rand, app string, _ []crdGroup) []rbacv1.PolicyRule {
		if r.IntN(2) == 0 {
			return []rbacv1.PolicyRule{named(core, []string{"secrets"}, []string{app + "-tls", app + "-db"}, []string{"get"})}
		}
		return []rbacv1.PolicyRule{rule(core, []string{"secrets"}, read)}
	}},
	{"debugger", 3, func(_ *rand.Rand, _ string, _ []crdGroup) []rbacv1.PolicyRule {
		return []rbacv1.PolicyRule{
			rule(core, []string{"pods/exec", "pods/attach", "pods/portforward"}, []string{"create", "get"}),
			rule(core, []string{"pods", "pods/log"}, read),
		}
	}},
	{"job-runner", 6, func(_ *rand.Rand, _ string, _ []crdGroup) []rbacv1.PolicyRule {
		return []rbacv1.PolicyRule{rule([]string{"batch"}, []string{"jobs", "cronjobs"}, all), rule([]string{"batch"}, []string{"jobs/status"}, []string{"get"})}
	}},
	{"token-requester", 2, func(_ *rand.Rand, app string, _ []crdGroup) []rbacv1.PolicyRule {
		return []rbacv1.PolicyRule{named(core, []string{"serviceaccounts/token"}, []string{app}, []string{"create"})}
	}},
	{"crd-operator", 5, func(r *rand.Rand, _ string, crds []crdGroup) []rbacv1.PolicyRule {
		c := pick(r, crds)
		return []rbacv1.PolicyRule{
			rule([]string{c.group}, []string{"*"}, all),
			rule(core, []string{"events"}, []string{"create", "patch"}),
		}
	}},
	{"scaler", 5, func(_ *rand.Rand, _ string, _ []crdGroup) []rbacv1.PolicyRule {
		return []rbacv1.PolicyRule{rule([]string{"apps"}, []string{"deployments/scale", "statefulsets/scale"}, []string{"get", "update", "patch"})}
	}},
	{"status-writer", 5, func(r *rand.Rand, _ string, crds []crdGroup) []rbacv1.PolicyRule {
		c := pick(r, crds)
		res := pick(r, c.resources)
		return []rbacv1.PolicyRule{
			rule([]string{c.group}, []string{res}, read),
			rule([]string{c.group}, []string{res + "/status", res + "/finalizers"}, []string{"get", "update", "patch"}),
		}
	}},
	{"event-writer", 6, func(_ *rand.Rand, _ string, _ []crdGroup) []rbacv1.PolicyRule {
		return []rbacv1.PolicyRule{rule(core, []string{"events"}, []string{"create", "patch", "update"}), rule([]string{"events.k8s.io"}, []string{"events"}, []string{"create", "patch"})}
	}},
	{"role-manager", 1, func(r *rand.Rand, _ string, _ []crdGroup) []rbacv1.PolicyRule {
		out := []rbacv1.PolicyRule{rule([]string{"rbac.authorization.k8s.io"}, []string{"roles", "rolebindings"}, readWrite)}
		if r.IntN(2) == 0 {
			out = append(out, rule([]string{"rbac.authorization.k8s.io"}, []string{"roles"}, []string{"bind", "escalate"}))
		}
		return out
	}},
	{"namespace-operator", 2, func(_ *rand.Rand, _ string, _ []crdGroup) []rbacv1.PolicyRule {
		return []rbacv1.PolicyRule{rule([]string{"", "apps", "batch"}, []string{"*"}, all)}
	}},
}

var nsTemplateTotal = func() int {
	n := 0
	for _, t := range nsTemplates {
		n += t.weight
	}
	return n
}()

func pickTemplate(r *rand.Rand) *nsTemplate {
	x := r.IntN(nsTemplateTotal)
	for i := range nsTemplates {
		if x < nsTemplates[i].weight {
			return &nsTemplates[i]
		}
		x -= nsTemplates[i].weight
	}
	return &nsTemplates[0]
}

// safeTemplates are cluster-wide permission sets without an escalation
// risk: what ClusterRoleBindings of teams bind.
var safeTemplates = []struct {
	suffix string
	rules  func(r *rand.Rand, crds []crdGroup) []rbacv1.PolicyRule
}{
	{"viewer", func(r *rand.Rand, _ []crdGroup) []rbacv1.PolicyRule {
		out := []rbacv1.PolicyRule{rule(core, subset(r, []string{"pods", "pods/log", "services", "endpoints", "configmaps", "events", "namespaces", "nodes", "persistentvolumeclaims"}, 2, 6), read)}
		out = append(out, rule([]string{"apps"}, subset(r, []string{"deployments", "statefulsets", "replicasets", "daemonsets"}, 1, 4), read))
		if r.IntN(3) == 0 {
			out = append(out, rule([]string{"batch"}, []string{"jobs", "cronjobs"}, read))
		}
		return out
	}},
	{"metrics", func(_ *rand.Rand, _ []crdGroup) []rbacv1.PolicyRule {
		return []rbacv1.PolicyRule{urls([]string{"get"}, "/metrics"), rule([]string{"metrics.k8s.io"}, []string{"pods", "nodes"}, []string{"get", "list"})}
	}},
	{"crd-reader", func(r *rand.Rand, crds []crdGroup) []rbacv1.PolicyRule {
		c := pick(r, crds)
		return []rbacv1.PolicyRule{rule([]string{c.group}, []string{"*"}, read)}
	}},
	{"crd-editor", func(r *rand.Rand, crds []crdGroup) []rbacv1.PolicyRule {
		c := pick(r, crds)
		return []rbacv1.PolicyRule{rule([]string{c.group}, c.resources, readWrite), rule([]string{c.group}, []string{c.resources[0] + "/status"}, []string{"get"})}
	}},
	{"node-viewer", func(_ *rand.Rand, _ []crdGroup) []rbacv1.PolicyRule {
		return []rbacv1.PolicyRule{rule(core, []string{"nodes", "nodes/status"}, read)}
	}},
	{"discovery", func(_ *rand.Rand, _ []crdGroup) []rbacv1.PolicyRule {
		return []rbacv1.PolicyRule{urls([]string{"get"}, "/api", "/api/*", "/apis", "/apis/*", "/version")}
	}},
	{"all-reader", func(_ *rand.Rand, _ []crdGroup) []rbacv1.PolicyRule {
		return []rbacv1.PolicyRule{rule([]string{"apps", "batch", "networking.k8s.io", "policy"}, []string{"*"}, read)}
	}},
	{"lease-holder", func(r *rand.Rand, _ []crdGroup) []rbacv1.PolicyRule {
		return []rbacv1.PolicyRule{named([]string{"coordination.k8s.io"}, []string{"leases"}, []string{pick(r, appWords) + "-lock"}, []string{"get", "update"})}
	}},
}

func sanitize(s string) string {
	return strings.NewReplacer(":", "-", "@", "-", ".", "-").Replace(s)
}
