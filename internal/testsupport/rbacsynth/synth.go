// Package rbacsynth writes a synthetic cluster as `kubectl get
// clusterroles,clusterrolebindings,roles,rolebindings,serviceaccounts,pods,namespaces,nodes
// -A -o json` prints it (one List, keys sorted, four-space indentation,
// full objects without managedFields), plus the metadata of a few legacy
// ServiceAccount token Secrets. It feeds the RBAC benchmarks and tests.
//
// The cluster is realistic rather than uniform: Kubernetes' bootstrap
// roles and bindings; operators (monitoring, ingress, cert-manager,
// Argo CD, Gatekeeper, Velero) with their customary ClusterRoles;
// aggregated ClusterRoles (admin, edit, view and custom ones, with the
// rules the aggregation controller would have stored); custom resource
// roles aggregated into admin/edit/view; team Roles and ClusterRoles with
// wildcards, subresources, resourceNames and nonResourceURLs; RoleBindings
// to ClusterRoles and to Roles; subjects of every kind including the
// implicit groups; escalation risks (pods create, secrets read, bind,
// escalate, impersonate, nodes/proxy, CSR approval, token requests,
// webhook configurations) and a few multi-hop chains to cluster-admin;
// bindings whose roleRef names a missing role, and ServiceAccount
// subjects that do not exist. Pods run as the ServiceAccounts of their
// namespace on the nodes of the cluster.
//
// Output is deterministic for a Config and a seed, and streamed.
package rbacsynth

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/apiguard/apiguard/internal/rbac"
)

// Config is the size of the cluster. Every count is a total, the fixed
// objects (Kubernetes defaults, operators, escalation scenarios) included;
// MinConfig is the smallest cluster that holds them.
type Config struct {
	Namespaces          int
	ClusterRoles        int
	ClusterRoleBindings int
	Roles               int
	RoleBindings        int
	ServiceAccounts     int
	Pods                int
	Nodes               int
	// TokenSecrets are legacy kubernetes.io/service-account-token Secrets,
	// metadata only (no data).
	TokenSecrets int
	// MissingRoleRefs bindings (counted in RoleBindings and
	// ClusterRoleBindings) name a role that does not exist; each is one
	// Problem when loaded.
	MissingRoleRefs int
	// MissingSubjects bindings (counted likewise) name a ServiceAccount
	// that does not exist.
	MissingSubjects int
}

// Default is the cluster of the RBAC scale budget: about five times the
// largest real cluster whose figures are published.
func Default() Config {
	return Config{
		Namespaces:          500,
		ClusterRoles:        2000,
		ClusterRoleBindings: 3000,
		Roles:               10000,
		RoleBindings:        20000,
		ServiceAccounts:     10000,
		Pods:                30000,
		Nodes:               40,
		TokenSecrets:        300,
		MissingRoleRefs:     6,
		MissingSubjects:     12,
	}
}

// Objects is the number of objects a dump of c holds.
func (c Config) Objects() int {
	return c.Namespaces + c.ClusterRoles + c.ClusterRoleBindings + c.Roles + c.RoleBindings +
		c.ServiceAccounts + c.Pods + c.Nodes + c.TokenSecrets
}

// MinConfig is the smallest Config Generate accepts with nodes nodes: the
// fixed objects alone, one application namespace, no missing references.
func MinConfig(nodes int) Config {
	g := newGen(Config{Nodes: max(nodes, 1)}, 0)
	g.fixed()
	return g.fixedCounts()
}

// Generate writes the cluster of cfg as one JSON List to w.
func Generate(w io.Writer, cfg Config, seed int64) error {
	if cfg.Nodes < 1 {
		return errors.New("rbacsynth: Config.Nodes must be at least 1")
	}
	g := newGen(cfg, seed)
	g.fixed()
	if err := g.check(); err != nil {
		return err
	}
	g.variable()
	g.j = newJSONWriter(w)
	g.write()
	g.j.flush()
	return g.j.err
}

// The kinds of namespace.
const (
	nsSystem = iota
	nsInfra
	nsApp
)

type nsPlan struct {
	name        string
	kind        int
	labels      map[string]string
	app         string // the application word of an app namespace
	team        string
	weight      float64
	sas         map[string]*saPlan
	roles       map[string]*object
	rbs         map[string]*object
	pods        []podPlan // fixed pods
	nPods       int       // pods still to generate
	roleNames   []string  // sorted, for RoleBindings to pick from
	saNames     []string  // sorted, non-default first choice for pods
	workloadSAs []string
}

type saPlan struct {
	name        string
	automount   *bool
	annotations map[string]string
	labels      map[string]string
	token       string // legacy token Secret name, if any
}

// object is a role or a binding.
type object struct {
	kind        string
	ns, name    string
	labels      map[string]string
	annotations map[string]string
	rules       []rbacv1.PolicyRule
	agg         *rbacv1.AggregationRule
	roleRef     rbacv1.RoleRef
	subjects    []rbacv1.Subject
	safe        bool // a ClusterRole without escalation risk
	forRB       bool // a ClusterRole meant for RoleBindings
}

type podPlan struct {
	name, generateName string
	sa                 string // "" for a mirror pod
	node               string
	owner              string // ReplicaSet, StatefulSet, DaemonSet, Node
	ownerName          string
	app                string
	image              string
}

type gen struct {
	cfg  Config
	seed int64
	r    *rand.Rand
	j    *jsonWriter
	rv   int64

	ns           map[string]*nsPlan
	nsOrder      []*nsPlan
	apps         []*nsPlan
	clusterRoles map[string]*object
	crbs         map[string]*object
	nodes        []string
	nodeIdx      map[string]int
	cpNodes      int
	crds         []crdGroup
	users        []string
	groups       []string
	safeCRs      []string
	rbCRs        []string
}

func newGen(cfg Config, seed int64) *gen {
	g := &gen{
		cfg:          cfg,
		seed:         seed,
		r:            rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)),
		ns:           map[string]*nsPlan{},
		clusterRoles: map[string]*object{},
		crbs:         map[string]*object{},
	}
	for _, f := range firstNames {
		for _, l := range lastNames {
			g.users = append(g.users, f+"."+l+"@example.com")
		}
	}
	g.r.Shuffle(len(g.users), func(i, j int) { g.users[i], g.users[j] = g.users[j], g.users[i] })
	for _, t := range teams {
		g.groups = append(g.groups, "oidc:"+t+"-developers", "oidc:"+t+"-viewers", "oidc:"+t+"-admins")
	}
	g.groups = append(g.groups, "sre", "oncall", "security-auditors", "data-scientists")
	for i, c := range corps {
		for k := 0; k < 4; k++ {
			w := crdWords[(i*4+k)%len(crdWords)]
			res := []string{w, crdWords[(i*4+k+7)%len(crdWords)], crdWords[(i*4+k+13)%len(crdWords)]}
			g.crds = append(g.crds, crdGroup{group: strings.TrimSuffix(w, "s") + "." + c, resources: res})
		}
	}
	return g
}

// addNS adds a namespace with its default ServiceAccount.
func (g *gen) addNS(name string, kind int) *nsPlan {
	n := &nsPlan{name: name, kind: kind, labels: map[string]string{"kubernetes.io/metadata.name": name},
		sas: map[string]*saPlan{}, roles: map[string]*object{}, rbs: map[string]*object{}}
	g.ns[name] = n
	g.nsOrder = append(g.nsOrder, n)
	n.addSA("default")
	return n
}

func (n *nsPlan) addSA(name string) *saPlan {
	s := n.sas[name]
	if s == nil {
		s = &saPlan{name: name}
		n.sas[name] = s
	}
	return s
}

func (g *gen) addCR(o *object) *object {
	o.kind = rbac.KindClusterRole
	g.clusterRoles[o.name] = o
	return o
}

func (g *gen) addCRB(name string, ref string, subjects ...rbacv1.Subject) *object {
	o := &object{kind: rbac.KindClusterRoleBinding, name: name, subjects: subjects,
		roleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: rbac.KindClusterRole, Name: ref}}
	g.crbs[name] = o
	return o
}

func (g *gen) addRole(ns, name string, rules ...rbacv1.PolicyRule) *object {
	o := &object{kind: rbac.KindRole, ns: ns, name: name, rules: rules}
	g.ns[ns].roles[name] = o
	return o
}

func (g *gen) addRB(ns, name, refKind, ref string, subjects ...rbacv1.Subject) *object {
	o := &object{kind: rbac.KindRoleBinding, ns: ns, name: name, subjects: subjects,
		roleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: refKind, Name: ref}}
	g.ns[ns].rbs[name] = o
	return o
}

func user(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
}

func group(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}

func sa(ns, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// fixed adds the objects every generated cluster has: nodes, the system
// namespaces, Kubernetes' bootstrap policy, the operators and the
// escalation scenarios.
func (g *gen) fixed() {
	g.cpNodes = min(3, g.cfg.Nodes)
	g.nodeIdx = map[string]int{}
	for i := 0; i < g.cfg.Nodes; i++ {
		name := fmt.Sprintf("ip-10-0-%d-%d.eu-west-1.compute.internal", i/200, 10+i%200)
		g.nodes = append(g.nodes, name)
		g.nodeIdx[name] = i
	}
	for _, n := range []string{"default", "kube-node-lease", "kube-public", "kube-system"} {
		g.addNS(n, nsSystem)
	}

	crs, crbs, roles, rbs := rbac.BootstrapObjects()
	for i := range crs {
		c := &crs[i]
		g.addCR(&object{name: c.Name, labels: cloneMap(c.Labels), annotations: cloneMap(c.Annotations), rules: c.Rules, agg: c.AggregationRule, safe: c.Name == "view"})
	}
	ks := g.ns["kube-system"]
	for i := range crbs {
		c := &crbs[i]
		o := g.addCRB(c.Name, c.RoleRef.Name, c.Subjects...)
		o.roleRef = c.RoleRef
		o.labels, o.annotations = cloneMap(c.Labels), cloneMap(c.Annotations)
		for _, s := range c.Subjects {
			if s.Kind == rbacv1.ServiceAccountKind && s.Namespace == "kube-system" {
				ks.addSA(s.Name)
			}
		}
	}
	for i := range roles {
		r := &roles[i]
		o := g.addRole(r.Namespace, r.Name, r.Rules...)
		o.labels, o.annotations = cloneMap(r.Labels), cloneMap(r.Annotations)
	}
	for i := range rbs {
		b := &rbs[i]
		o := g.addRB(b.Namespace, b.Name, b.RoleRef.Kind, b.RoleRef.Name, b.Subjects...)
		o.roleRef = b.RoleRef
		o.labels, o.annotations = cloneMap(b.Labels), cloneMap(b.Annotations)
		for _, s := range b.Subjects {
			if s.Kind == rbacv1.ServiceAccountKind && s.Namespace != "" {
				g.ns[s.Namespace].addSA(s.Name)
			}
		}
	}
	for _, s := range []string{"coredns", "kube-proxy", "metrics-server", "ebs-csi-controller-sa", "aws-node"} {
		ks.addSA(s)
	}
	g.addCR(&object{name: "system:coredns", rules: []rbacv1.PolicyRule{
		rule(core, []string{"endpoints", "services", "pods", "namespaces"}, []string{"list", "watch"}),
		rule([]string{"discovery.k8s.io"}, []string{"endpointslices"}, []string{"list", "watch"}),
	}, labels: map[string]string{"k8s-app": "kube-dns"}})
	g.addCRB("system:coredns", "system:coredns", sa("kube-system", "coredns"))
	g.addCR(&object{name: "system:metrics-server", labels: map[string]string{"k8s-app": "metrics-server"}, rules: []rbacv1.PolicyRule{
		rule(core, []string{"nodes/metrics"}, []string{"get"}),
		rule(core, []string{"pods", "nodes"}, read),
	}})
	g.addCRB("system:metrics-server", "system:metrics-server", sa("kube-system", "metrics-server"))
	g.addCRB("kubeadm:node-proxier", "system:node-proxier", sa("kube-system", "kube-proxy"))
	g.addCRB("kubeadm:get-nodes", "system:node-reader", group("system:bootstrappers:kubeadm:default-node-token"))
	g.addCR(&object{name: "system:node-reader", rules: []rbacv1.PolicyRule{rule(core, []string{"nodes"}, []string{"get"})}})

	for i, node := range g.nodes {
		if i < g.cpNodes {
			for _, c := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"} {
				ks.pods = append(ks.pods, podPlan{name: c + "-" + node, node: node, owner: "Node", ownerName: node, app: c,
					image: "registry.k8s.io/" + c + ":v1.36.3"})
			}
		}
		ks.pods = append(ks.pods, podPlan{generateName: "kube-proxy-", sa: "kube-proxy", node: node, owner: "DaemonSet", ownerName: "kube-proxy", app: "kube-proxy", image: "registry.k8s.io/kube-proxy:v1.36.3"})
	}
	for k := 0; k < 2; k++ {
		ks.pods = append(ks.pods, podPlan{generateName: "coredns-", sa: "coredns", node: g.nodes[k%len(g.nodes)], owner: "ReplicaSet", ownerName: "coredns", app: "coredns", image: "registry.k8s.io/coredns/coredns:v1.12.1"})
	}
	g.operators()
	g.scenarios()
	g.addCustomAggregated()
}

// operators adds the infrastructure namespaces with what their charts install.
func (g *gen) operators() {
	pod := func(ns, sa, owner, name, image string) {
		n := g.ns[ns]
		p := podPlan{sa: sa, owner: owner, ownerName: name, app: name, image: image, node: g.nodes[g.r.IntN(len(g.nodes))]}
		if owner == "StatefulSet" {
			p.name = name + "-0"
		} else {
			p.generateName = name + "-"
		}
		n.pods = append(n.pods, p)
	}
	leader := func(ns, name string) {
		g.addRole(ns, name+"-leader-election",
			named([]string{"coordination.k8s.io"}, []string{"leases"}, []string{name}, []string{"get", "update", "patch"}),
			rule([]string{"coordination.k8s.io"}, []string{"leases"}, []string{"create"}))
		g.addRB(ns, name+"-leader-election", rbac.KindRole, name+"-leader-election", sa(ns, name))
	}

	// monitoring: Prometheus reads node metrics through the kubelet proxy;
	// kube-state-metrics lists every Secret.
	m := g.addNS("monitoring", nsInfra)
	for _, s := range []string{"prometheus", "alertmanager", "grafana", "kube-state-metrics", "node-exporter", "prometheus-operator"} {
		m.addSA(s)
	}
	g.addCR(&object{name: "prometheus-k8s", labels: map[string]string{"app.kubernetes.io/part-of": "kube-prometheus"}, rules: []rbacv1.PolicyRule{
		rule(core, []string{"nodes", "nodes/metrics", "services", "endpoints", "pods"}, read),
		rule(core, []string{"nodes/proxy"}, []string{"get"}),
		urls([]string{"get"}, "/metrics", "/metrics/cadvisor"),
	}})
	g.addCRB("prometheus-k8s", "prometheus-k8s", sa("monitoring", "prometheus"))
	g.addCR(&object{name: "kube-state-metrics", labels: map[string]string{"app.kubernetes.io/name": "kube-state-metrics"}, rules: []rbacv1.PolicyRule{
		rule(core, []string{"configmaps", "secrets", "nodes", "pods", "services", "serviceaccounts", "resourcequotas", "replicationcontrollers", "limitranges", "persistentvolumeclaims", "persistentvolumes", "namespaces", "endpoints"}, []string{"list", "watch"}),
		rule([]string{"apps"}, []string{"statefulsets", "daemonsets", "deployments", "replicasets"}, []string{"list", "watch"}),
		rule([]string{"batch"}, []string{"cronjobs", "jobs"}, []string{"list", "watch"}),
		rule([]string{"certificates.k8s.io"}, []string{"certificatesigningrequests"}, []string{"list", "watch"}),
	}})
	g.addCRB("kube-state-metrics", "kube-state-metrics", sa("monitoring", "kube-state-metrics"))
	g.addCR(&object{name: "prometheus-operator", labels: map[string]string{"app.kubernetes.io/name": "prometheus-operator"}, rules: []rbacv1.PolicyRule{
		rule([]string{"monitoring.coreos.com"}, []string{"alertmanagers", "alertmanagers/finalizers", "alertmanagers/status", "prometheuses", "prometheuses/finalizers", "prometheuses/status", "servicemonitors", "podmonitors", "prometheusrules"}, all),
		rule([]string{"apps"}, []string{"statefulsets"}, all),
		rule(core, []string{"configmaps", "secrets"}, all),
		rule(core, []string{"pods"}, []string{"list", "delete"}),
		rule(core, []string{"services", "services/finalizers", "endpoints"}, []string{"get", "create", "update", "delete"}),
		rule(core, []string{"namespaces"}, read),
	}})
	g.addCRB("prometheus-operator", "prometheus-operator", sa("monitoring", "prometheus-operator"))
	pod("monitoring", "prometheus", "StatefulSet", "prometheus-k8s", "quay.io/prometheus/prometheus:v3.4.0")
	pod("monitoring", "kube-state-metrics", "ReplicaSet", "kube-state-metrics", "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.16.0")
	pod("monitoring", "prometheus-operator", "ReplicaSet", "prometheus-operator", "quay.io/prometheus-operator/prometheus-operator:v0.83.0")
	pod("monitoring", "grafana", "ReplicaSet", "grafana", "docker.io/grafana/grafana:12.0.1")

	// ingress-nginx reads every Secret; its admission job patches webhooks.
	in := g.addNS("ingress-nginx", nsInfra)
	in.addSA("ingress-nginx")
	in.addSA("ingress-nginx-admission")
	g.addCR(&object{name: "ingress-nginx", labels: map[string]string{"app.kubernetes.io/name": "ingress-nginx"}, rules: []rbacv1.PolicyRule{
		rule(core, []string{"configmaps", "endpoints", "nodes", "pods", "secrets", "namespaces"}, []string{"list", "watch"}),
		rule([]string{"coordination.k8s.io"}, []string{"leases"}, []string{"list", "watch"}),
		rule(core, []string{"nodes"}, []string{"get"}),
		rule(core, []string{"services"}, read),
		rule([]string{"networking.k8s.io"}, []string{"ingresses", "ingressclasses"}, read),
		rule([]string{"networking.k8s.io"}, []string{"ingresses/status"}, []string{"update"}),
		rule(core, []string{"events"}, []string{"create", "patch"}),
		rule([]string{"discovery.k8s.io"}, []string{"endpointslices"}, []string{"list", "watch", "get"}),
	}})
	g.addCRB("ingress-nginx", "ingress-nginx", sa("ingress-nginx", "ingress-nginx"))
	g.addCR(&object{name: "ingress-nginx-admission", rules: []rbacv1.PolicyRule{
		rule([]string{"admissionregistration.k8s.io"}, []string{"validatingwebhookconfigurations"}, []string{"get", "update"}),
	}})
	g.addCRB("ingress-nginx-admission", "ingress-nginx-admission", sa("ingress-nginx", "ingress-nginx-admission"))
	g.addRole("ingress-nginx", "ingress-nginx",
		rule(core, []string{"namespaces"}, []string{"get"}),
		rule(core, []string{"configmaps", "pods", "secrets", "endpoints"}, read),
		named(core, []string{"configmaps"}, []string{"ingress-nginx-controller"}, []string{"get", "update"}))
	g.addRB("ingress-nginx", "ingress-nginx", rbac.KindRole, "ingress-nginx", sa("ingress-nginx", "ingress-nginx"))
	pod("ingress-nginx", "ingress-nginx", "ReplicaSet", "ingress-nginx-controller", "registry.k8s.io/ingress-nginx/controller:v1.12.3")

	// cert-manager writes Secrets everywhere; its cainjector patches webhooks.
	cm := g.addNS("cert-manager", nsInfra)
	for _, s := range []string{"cert-manager", "cert-manager-cainjector", "cert-manager-webhook"} {
		cm.addSA(s)
	}
	g.addCR(&object{name: "cert-manager-controller-certificates", labels: map[string]string{"app.kubernetes.io/name": "cert-manager"}, rules: []rbacv1.PolicyRule{
		rule([]string{"cert-manager.io"}, []string{"certificates", "certificates/status", "certificaterequests", "certificaterequests/status"}, []string{"update", "patch"}),
		rule([]string{"cert-manager.io"}, []string{"certificates", "certificaterequests", "clusterissuers", "issuers"}, read),
		rule(core, []string{"secrets"}, readWrite),
		rule(core, []string{"events"}, []string{"create", "patch"}),
	}})
	g.addCRB("cert-manager-controller-certificates", "cert-manager-controller-certificates", sa("cert-manager", "cert-manager"))
	g.addCR(&object{name: "cert-manager-cainjector", rules: []rbacv1.PolicyRule{
		rule([]string{"cert-manager.io"}, []string{"certificates"}, read),
		rule(core, []string{"secrets"}, read),
		rule([]string{"admissionregistration.k8s.io"}, []string{"validatingwebhookconfigurations", "mutatingwebhookconfigurations"}, []string{"get", "list", "watch", "update", "patch"}),
		rule([]string{"apiextensions.k8s.io"}, []string{"customresourcedefinitions"}, []string{"get", "list", "watch", "update", "patch"}),
	}})
	g.addCRB("cert-manager-cainjector", "cert-manager-cainjector", sa("cert-manager", "cert-manager-cainjector"))
	g.addCR(&object{name: "cert-manager-view", labels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-view": "true", "rbac.authorization.k8s.io/aggregate-to-edit": "true", "rbac.authorization.k8s.io/aggregate-to-admin": "true"},
		rules: []rbacv1.PolicyRule{rule([]string{"cert-manager.io"}, []string{"certificates", "certificaterequests", "issuers"}, read), rule([]string{"acme.cert-manager.io"}, []string{"challenges", "orders"}, read)}})
	g.addCR(&object{name: "cert-manager-edit", labels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-edit": "true", "rbac.authorization.k8s.io/aggregate-to-admin": "true"},
		rules: []rbacv1.PolicyRule{rule([]string{"cert-manager.io"}, []string{"certificates", "certificaterequests", "issuers"}, []string{"create", "delete", "deletecollection", "patch", "update"}), rule([]string{"cert-manager.io"}, []string{"certificates/status"}, []string{"update"})}})
	leader("cert-manager", "cert-manager")
	pod("cert-manager", "cert-manager", "ReplicaSet", "cert-manager", "quay.io/jetstack/cert-manager-controller:v1.18.0")
	pod("cert-manager", "cert-manager-cainjector", "ReplicaSet", "cert-manager-cainjector", "quay.io/jetstack/cert-manager-cainjector:v1.18.0")

	// Argo CD's application controller holds everything.
	ac := g.addNS("argocd", nsInfra)
	for _, s := range []string{"argocd-application-controller", "argocd-server", "argocd-repo-server", "argocd-dex-server"} {
		ac.addSA(s)
	}
	g.addCR(&object{name: "argocd-application-controller", labels: map[string]string{"app.kubernetes.io/part-of": "argocd"}, rules: []rbacv1.PolicyRule{
		rule([]string{"*"}, []string{"*"}, all), urls(all, "*"),
	}})
	g.addCRB("argocd-application-controller", "argocd-application-controller", sa("argocd", "argocd-application-controller"))
	g.addCR(&object{name: "argocd-server", labels: map[string]string{"app.kubernetes.io/part-of": "argocd"}, rules: []rbacv1.PolicyRule{
		rule([]string{"*"}, []string{"*"}, []string{"get", "delete", "patch"}),
		rule(core, []string{"events"}, []string{"list"}),
		rule(core, []string{"pods", "pods/log"}, []string{"get"}),
		rule([]string{"argoproj.io"}, []string{"applications", "applicationsets"}, read),
	}})
	g.addCRB("argocd-server", "argocd-server", sa("argocd", "argocd-server"))
	g.addRole("argocd", "argocd-application-controller", rule(core, []string{"secrets", "configmaps"}, all), rule([]string{"argoproj.io"}, []string{"applications", "appprojects"}, all))
	g.addRB("argocd", "argocd-application-controller", rbac.KindRole, "argocd-application-controller", sa("argocd", "argocd-application-controller"))
	pod("argocd", "argocd-application-controller", "StatefulSet", "argocd-application-controller", "quay.io/argoproj/argocd:v3.0.6")
	pod("argocd", "argocd-server", "ReplicaSet", "argocd-server", "quay.io/argoproj/argocd:v3.0.6")
	pod("argocd", "argocd-repo-server", "ReplicaSet", "argocd-repo-server", "quay.io/argoproj/argocd:v3.0.6")

	// Gatekeeper writes webhook configurations and reads everything.
	gk := g.addNS("gatekeeper-system", nsInfra)
	gk.labels["admission.gatekeeper.sh/ignore"] = "no-self-managing"
	gk.addSA("gatekeeper-admin")
	g.addCR(&object{name: "gatekeeper-manager-role", labels: map[string]string{"gatekeeper.sh/system": "yes"}, rules: []rbacv1.PolicyRule{
		rule([]string{"*"}, []string{"*"}, read),
		rule([]string{"admissionregistration.k8s.io"}, []string{"validatingwebhookconfigurations", "mutatingwebhookconfigurations"}, readWrite),
		rule([]string{"apiextensions.k8s.io"}, []string{"customresourcedefinitions"}, readWrite),
		rule([]string{"constraints.gatekeeper.sh", "mutations.gatekeeper.sh", "templates.gatekeeper.sh", "config.gatekeeper.sh", "status.gatekeeper.sh"}, []string{"*"}, all),
		named([]string{"policy"}, []string{"podsecuritypolicies"}, []string{"gatekeeper-admin"}, []string{"use"}),
	}})
	g.addCRB("gatekeeper-manager-rolebinding", "gatekeeper-manager-role", sa("gatekeeper-system", "gatekeeper-admin"))
	pod("gatekeeper-system", "gatekeeper-admin", "ReplicaSet", "gatekeeper-controller-manager", "openpolicyagent/gatekeeper:v3.19.1")

	// Velero is bound to cluster-admin, as its chart does.
	v := g.addNS("velero", nsInfra)
	v.addSA("velero")
	g.addCRB("velero", "cluster-admin", sa("velero", "velero")).labels = map[string]string{"app.kubernetes.io/name": "velero"}
	pod("velero", "velero", "ReplicaSet", "velero", "velero/velero:v1.16.1")

	lg := g.addNS("logging", nsInfra)
	lg.addSA("fluent-bit")
	g.addCR(&object{name: "fluent-bit", rules: []rbacv1.PolicyRule{rule(core, []string{"namespaces", "pods", "nodes", "nodes/proxy"}, []string{"get", "list", "watch"})}})
	g.addCRB("fluent-bit", "fluent-bit", sa("logging", "fluent-bit"))
	for _, node := range g.nodes {
		lg.pods = append(lg.pods, podPlan{generateName: "fluent-bit-", sa: "fluent-bit", node: node, owner: "DaemonSet", ownerName: "fluent-bit", app: "fluent-bit", image: "cr.fluentbit.io/fluent/fluent-bit:4.0.3"})
	}
}

// scenarios adds the escalation risks and the chains to cluster-admin.
func (g *gen) scenarios() {
	ci := g.addNS("ci", nsInfra)
	ops := g.addNS("ops", nsInfra)
	tools := g.addNS("tools", nsInfra)
	for _, s := range []string{"deployer", "terraform", "runner"} {
		ci.addSA(s)
	}
	ops.addSA("ops-admin").token = "ops-admin-token-x7k2p"
	ops.addSA("backup")
	for _, s := range []string{"builder", "rbac-manager", "csr-bot", "ns-labeler"} {
		tools.addSA(s)
	}

	// Direct cluster-admins.
	g.addCRB("cluster-admins", "cluster-admin", group("oidc:platform-admins"), user("alice.smith@example.com"), user("bob.jones@example.com"))
	g.addCRB("ci-cluster-admin", "cluster-admin", sa("ci", "terraform"))
	g.addCRB("ops-admin", "cluster-admin", sa("ops", "ops-admin"))
	ops.pods = append(ops.pods, podPlan{generateName: "ops-toolbox-", sa: "ops-admin", node: g.nodes[len(g.nodes)-1], owner: "ReplicaSet", ownerName: "ops-toolbox", app: "ops-toolbox", image: "registry.example.com/ops/toolbox:2025.06"})

	// Chain: User dev-carol mints a token for tools/builder; builder
	// creates pods in ci, running as ci/deployer; deployer edits ops,
	// where pods run as ops/ops-admin, a cluster-admin.
	g.addRole("tools", "token-minter", named(core, []string{"serviceaccounts/token"}, []string{"builder"}, []string{"create"}))
	g.addRB("tools", "token-minter", rbac.KindRole, "token-minter", user("carol.tanaka@example.com"))
	g.addRole("ci", "ci-runner", rule(core, []string{"pods"}, []string{"get", "list", "watch", "create", "delete"}), rule(core, []string{"pods/log"}, []string{"get"}))
	g.addRB("ci", "ci-runner", rbac.KindRole, "ci-runner", sa("tools", "builder"), sa("ci", "runner"))
	g.addRB("ops", "ci-deployer", rbac.KindClusterRole, "edit", sa("ci", "deployer"))
	ci.pods = append(ci.pods, podPlan{generateName: "deployer-", sa: "deployer", node: g.nodes[0], owner: "ReplicaSet", ownerName: "deployer", app: "deployer", image: "registry.example.com/ci/deployer:1.4.2"})

	// Exec into Velero's pod; a namespace-scoped cluster-admin.
	g.addRole("velero", "velero-debug", rule(core, []string{"pods/exec"}, []string{"create", "get"}), rule(core, []string{"pods"}, read))
	g.addRB("velero", "velero-debug", rbac.KindRole, "velero-debug", user("dan.muller@example.com"))

	// Cluster-wide escalation risks.
	g.addCR(&object{name: "impersonate-serviceaccounts", rules: []rbacv1.PolicyRule{
		rule(core, []string{"serviceaccounts"}, []string{"impersonate"}),
		named(core, []string{"users"}, []string{"support-bot"}, []string{"impersonate"}),
	}})
	g.addCRB("support-impersonation", "impersonate-serviceaccounts", group("oidc:support-engineers"))
	g.addCR(&object{name: "rbac-delegator", rules: []rbacv1.PolicyRule{
		rule([]string{"rbac.authorization.k8s.io"}, []string{"clusterroles"}, []string{"bind", "get", "list"}),
		rule([]string{"rbac.authorization.k8s.io"}, []string{"clusterrolebindings", "rolebindings"}, []string{"create", "update", "delete", "get", "list"}),
	}})
	g.addCRB("rbac-delegator", "rbac-delegator", sa("tools", "rbac-manager"))
	g.addCR(&object{name: "role-editor", rules: []rbacv1.PolicyRule{
		rule([]string{"rbac.authorization.k8s.io"}, []string{"clusterroles", "roles"}, []string{"escalate", "get", "list", "update", "patch"}),
	}})
	g.addCRB("role-editor", "role-editor", user("platform-bot"))
	g.addCR(&object{name: "node-debugger", rules: []rbacv1.PolicyRule{rule(core, []string{"nodes/proxy"}, []string{"get", "create"}), rule(core, []string{"nodes"}, read)}})
	g.addCRB("sre-node-debugger", "node-debugger", group("sre"))
	g.addCR(&object{name: "csr-approver", rules: []rbacv1.PolicyRule{
		rule([]string{"certificates.k8s.io"}, []string{"certificatesigningrequests"}, []string{"create", "get", "list", "watch"}),
		rule([]string{"certificates.k8s.io"}, []string{"certificatesigningrequests/approval"}, []string{"update"}),
		named([]string{"certificates.k8s.io"}, []string{"signers"}, []string{"kubernetes.io/kube-apiserver-client"}, []string{"approve"}),
	}})
	g.addCRB("csr-approver", "csr-approver", sa("tools", "csr-bot"))
	g.addCR(&object{name: "namespace-labeler", rules: []rbacv1.PolicyRule{rule(core, []string{"namespaces"}, []string{"get", "list", "patch"})}})
	g.addCRB("namespace-labeler", "namespace-labeler", sa("tools", "ns-labeler"))
	g.addCR(&object{name: "storage-admin", rules: []rbacv1.PolicyRule{rule(core, []string{"persistentvolumes"}, readWrite), rule([]string{"storage.k8s.io"}, []string{"storageclasses"}, read)}})
	g.addCRB("storage-admin", "storage-admin", group("storage-team"))
	g.addCR(&object{name: "token-requester", rules: []rbacv1.PolicyRule{rule(core, []string{"serviceaccounts/token"}, []string{"create"})}})
	g.addCRB("vault-token-requester", "token-requester", user("vault-issuer"))

	// Public subjects beyond the defaults.
	g.addCR(&object{name: "metrics-reader", safe: true, rules: []rbacv1.PolicyRule{urls([]string{"get"}, "/metrics")}})
	g.addCRB("public-metrics", "metrics-reader", group("system:authenticated"))
	g.addCR(&object{name: "health-reader", rules: []rbacv1.PolicyRule{urls([]string{"get"}, "/healthz", "/livez", "/readyz")}})
	g.addCRB("anonymous-health", "health-reader", user("system:anonymous"))
	g.addRB("default", "all-serviceaccounts-view", rbac.KindClusterRole, "view", group("system:serviceaccounts"))
}

// addCustomAggregated adds two aggregated ClusterRoles beyond the
// defaults; team ClusterRoles carry their labels.
func (g *gen) addCustomAggregated() {
	g.addCR(&object{name: "platform:monitoring-reader", agg: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
		{MatchLabels: map[string]string{"platform.example.com/aggregate-to-monitoring": "true"}},
	}}, safe: true})
	g.addCR(&object{name: "platform:debugger", agg: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
		{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "platform.example.com/aggregate-to", Operator: metav1.LabelSelectorOpIn, Values: []string{"debug", "support"}}}},
		{MatchLabels: map[string]string{"platform.example.com/aggregate-to-monitoring": "true"}},
	}}, forRB: true})
	g.addCR(&object{name: "platform:monitoring-base", safe: true, labels: map[string]string{"platform.example.com/aggregate-to-monitoring": "true"},
		rules: []rbacv1.PolicyRule{rule(core, []string{"pods", "services", "endpoints"}, read), urls([]string{"get"}, "/metrics")}})
	g.addCR(&object{name: "platform:debug-base", forRB: true, labels: map[string]string{"platform.example.com/aggregate-to": "debug"},
		rules: []rbacv1.PolicyRule{rule(core, []string{"pods/log"}, []string{"get"}), rule(core, []string{"pods/portforward"}, []string{"create"})}})
}

func (g *gen) fixedCounts() Config {
	var c Config
	c.Namespaces = len(g.ns) + 1
	c.ClusterRoles = len(g.clusterRoles)
	c.ClusterRoleBindings = len(g.crbs)
	c.Nodes = len(g.nodes)
	for _, n := range g.ns {
		c.Roles += len(n.roles)
		c.RoleBindings += len(n.rbs)
		c.ServiceAccounts += len(n.sas)
		c.Pods += len(n.pods)
		for _, s := range n.sas {
			if s.token != "" {
				c.TokenSecrets++
			}
		}
	}
	c.ServiceAccounts++ // the application namespace's default
	return c
}

func (g *gen) check() error {
	min := g.fixedCounts()
	c := g.cfg
	var bad []string
	need := func(name string, have, want int) {
		if have < want {
			bad = append(bad, fmt.Sprintf("%s %d < %d", name, have, want))
		}
	}
	apps := c.Namespaces - min.Namespaces + 1
	need("Namespaces", c.Namespaces, min.Namespaces)
	need("ClusterRoles", c.ClusterRoles, min.ClusterRoles)
	crbRef, crbSub := crbMissing(c)
	need("ClusterRoleBindings", c.ClusterRoleBindings, min.ClusterRoleBindings+crbRef+crbSub)
	need("Roles", c.Roles, min.Roles)
	need("RoleBindings", c.RoleBindings, min.RoleBindings+c.MissingRoleRefs+c.MissingSubjects)
	need("ServiceAccounts", c.ServiceAccounts, min.ServiceAccounts+max(apps-1, 0))
	need("Pods", c.Pods, min.Pods)
	need("TokenSecrets", c.TokenSecrets, min.TokenSecrets)
	if extra := c.ServiceAccounts - min.ServiceAccounts + 1; c.TokenSecrets-min.TokenSecrets > extra {
		bad = append(bad, fmt.Sprintf("TokenSecrets %d > %d (one per application ServiceAccount)", c.TokenSecrets, min.TokenSecrets+extra))
	}
	if c.MissingRoleRefs < 0 || c.MissingSubjects < 0 {
		bad = append(bad, "negative Missing counts")
	}
	if len(bad) > 0 {
		return fmt.Errorf("rbacsynth: Config too small for the fixed objects (Kubernetes defaults, operators, scenarios): %s", strings.Join(bad, ", "))
	}
	return nil
}

// allocate splits total over weights (largest remainder, ties by index).
func allocate(total int, weights []float64) []int {
	out := make([]int, len(weights))
	if total <= 0 || len(weights) == 0 {
		return out
	}
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	type rem struct {
		i int
		f float64
	}
	rems := make([]rem, len(weights))
	given := 0
	for i, w := range weights {
		x := float64(total) * w / sum
		out[i] = int(math.Floor(x))
		given += out[i]
		rems[i] = rem{i, x - math.Floor(x)}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].f > rems[b].f })
	for k := 0; given < total; k++ {
		out[rems[k%len(rems)].i]++
		given++
	}
	return out
}

// variable adds the configured numbers of application namespaces, roles,
// bindings, ServiceAccounts, pods and Secrets on top of the fixed objects.
func (g *gen) variable() {
	c := g.cfg
	min := g.fixedCounts()
	r := g.r

	// Application namespaces: team-app-env, in a seeded order.
	nApps := c.Namespaces - len(g.ns)
	var names []string
	for _, t := range teams {
		for _, a := range appWords {
			for _, e := range envs {
				names = append(names, t+"-"+a+"-"+e)
			}
		}
	}
	perm := r.Perm(len(names))
	weights := make([]float64, 0, nApps)
	for i := 0; i < nApps; i++ {
		var n *nsPlan
		if i < len(perm) {
			name := names[perm[i]]
			n = g.addNS(name, nsApp)
			parts := strings.SplitN(name, "-", 2)
			n.team = parts[0]
			for _, t := range teams { // team names may hold a dash
				if strings.HasPrefix(name, t+"-") {
					n.team = t
				}
			}
			rest := strings.TrimPrefix(name, n.team+"-")
			n.app = rest[:strings.LastIndexByte(rest, '-')]
			n.labels["team"] = n.team
			n.labels["env"] = rest[strings.LastIndexByte(rest, '-')+1:]
		} else {
			n = g.addNS(fmt.Sprintf("tenant-%05d", i), nsApp)
			n.team, n.app = pick(r, teams), pick(r, appWords)
			n.labels["team"] = n.team
		}
		switch r.IntN(10) {
		case 0, 1, 2:
			n.labels["pod-security.kubernetes.io/enforce"] = "restricted"
		case 3, 4:
			n.labels["pod-security.kubernetes.io/enforce"] = "baseline"
		case 5:
			n.labels["pod-security.kubernetes.io/warn"] = "restricted"
		}
		n.weight = math.Exp(r.NormFloat64() * 0.7)
		g.apps = append(g.apps, n)
		weights = append(weights, n.weight)
	}

	// ServiceAccounts: one per workload of an application namespace.
	for i, k := range allocate(c.ServiceAccounts-min.ServiceAccounts-(nApps-1), weights) {
		n := g.apps[i]
		for j := 0; j < k; j++ {
			name := appWords[(j+int(hash(n.name)%uint64(len(appWords))))%len(appWords)]
			if j == 0 {
				name = n.app
			}
			if j >= len(appWords) {
				name += fmt.Sprintf("-%d", j/len(appWords)+1)
			}
			for n.sas[name] != nil {
				name += "-x"
			}
			s := n.addSA(name)
			if r.IntN(12) == 0 {
				f := false
				s.automount = &f
			}
			if r.IntN(20) == 0 {
				s.annotations = map[string]string{"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/" + n.name + "-" + name}
			}
			if r.IntN(3) == 0 {
				s.labels = map[string]string{"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": n.app}
			}
		}
	}
	for _, n := range g.nsOrder {
		for name := range n.sas {
			n.saNames = append(n.saNames, name)
			if name != "default" {
				n.workloadSAs = append(n.workloadSAs, name)
			}
		}
		sort.Strings(n.saNames)
		sort.Strings(n.workloadSAs)
	}

	// Legacy token Secrets for random ServiceAccounts.
	for k := c.TokenSecrets - min.TokenSecrets; k > 0; {
		n := g.apps[r.IntN(len(g.apps))]
		s := n.sas[pick(r, n.saNames)]
		if s.token != "" {
			continue
		}
		s.token = s.name + "-token-" + randSuffix(r, 5)
		k--
	}

	g.teamClusterRoles(c.ClusterRoles - len(g.clusterRoles))
	g.aggregate()

	// Roles.
	for i, k := range allocate(c.Roles-min.Roles, weights) {
		n := g.apps[i]
		for j := 0; j < k; j++ {
			t := pickTemplate(r)
			app := n.app
			if len(n.workloadSAs) > 0 && r.IntN(2) == 0 {
				app = pick(r, n.workloadSAs)
			}
			name := app + "-" + t.suffix
			for n.roles[name] != nil {
				name = fmt.Sprintf("%s-%s-%d", app, t.suffix, r.IntN(1000))
			}
			o := g.addRole(n.name, name, t.rules(r, app, g.crds)...)
			if r.IntN(4) == 0 {
				o.labels = map[string]string{"app.kubernetes.io/managed-by": pick(r, []string{"Helm", "argocd", "kustomize"}), "app.kubernetes.io/name": app}
			}
		}
	}
	for _, n := range g.nsOrder {
		for name := range n.roles {
			n.roleNames = append(n.roleNames, name)
		}
		sort.Strings(n.roleNames)
	}

	// ClusterRoleBindings; a third of the missing roleRefs and a quarter
	// of the missing subjects are among them.
	crbMissingRef, crbMissingSub := crbMissing(c)
	for k := 0; k < crbMissingRef; k++ {
		name := fmt.Sprintf("legacy-deployer-%d", k)
		g.addCRB(name, name, user(pick(r, g.users)))
	}
	for k := 0; k < crbMissingSub; k++ {
		n := g.apps[r.IntN(len(g.apps))]
		g.addCRB(fmt.Sprintf("old-ci-bot-%d", k), pick(r, g.safeCRs), sa(n.name, fmt.Sprintf("old-ci-bot-%d", k)))
	}
	for k := c.ClusterRoleBindings - len(g.crbs); k > 0; k-- {
		ref := pick(r, g.safeCRs)
		var s rbacv1.Subject
		switch x := r.IntN(10); {
		case x < 4:
			s = user(pick(r, g.users))
		case x < 7:
			s = group(pick(r, g.groups))
		default:
			n := g.apps[r.IntN(len(g.apps))]
			s = sa(n.name, pick(r, n.saNames))
		}
		name := sanitize(ref) + "-" + sanitize(subjectShort(s))
		for g.crbs[name] != nil {
			name = sanitize(ref) + "-" + randSuffix(r, 5)
		}
		subjects := []rbacv1.Subject{s}
		if r.IntN(6) == 0 {
			subjects = append(subjects, user(pick(r, g.users)), group(pick(r, g.groups)))
		}
		g.addCRB(name, ref, subjects...)
	}

	// RoleBindings, the other missing roleRefs and subjects first.
	rbMissingRef, rbMissingSub := c.MissingRoleRefs-crbMissingRef, c.MissingSubjects-crbMissingSub
	for i, k := range allocate(c.RoleBindings-min.RoleBindings, weights) {
		n := g.apps[i]
		for ; k > 0 && rbMissingRef > 0; k-- {
			rbMissingRef--
			if rbMissingRef%2 == 0 {
				g.addRB(n.name, fmt.Sprintf("old-role-%d", rbMissingRef), rbac.KindRole, fmt.Sprintf("old-role-%d", rbMissingRef), sa(n.name, pick(r, n.saNames)))
			} else {
				g.addRB(n.name, fmt.Sprintf("removed-operator-%d", rbMissingRef), rbac.KindClusterRole, fmt.Sprintf("removed-operator-%d", rbMissingRef), user(pick(r, g.users)))
			}
		}
		for ; k > 0 && rbMissingSub > 0; k-- {
			rbMissingSub--
			g.addRB(n.name, fmt.Sprintf("jenkins-%d-edit", rbMissingSub), rbac.KindClusterRole, "edit", sa(n.name, fmt.Sprintf("jenkins-%d", rbMissingSub)))
		}
		for ; k > 0; k-- {
			g.roleBinding(n)
		}
	}

	// Pods.
	for i, k := range allocate(c.Pods-min.Pods, weights) {
		g.apps[i].nPods = k
	}
}

// crbMissing is how many of the missing roleRefs and subjects are
// ClusterRoleBindings.
func crbMissing(c Config) (refs, subjects int) {
	return (c.MissingRoleRefs + 2) / 3, c.MissingSubjects / 4
}

func subjectShort(s rbacv1.Subject) string {
	name := s.Name
	if i := strings.IndexByte(name, '@'); i > 0 {
		name = name[:i]
	}
	name = strings.TrimPrefix(name, "oidc:")
	if s.Kind == rbacv1.ServiceAccountKind {
		return s.Namespace + "-" + name
	}
	return name
}

// roleBinding adds one RoleBinding in n: to one of its Roles or to a
// ClusterRole, for ServiceAccounts, users and groups.
func (g *gen) roleBinding(n *nsPlan) {
	r := g.r
	var kind, ref string
	x := r.IntN(100)
	switch {
	case x < 45 && len(n.roleNames) > 0:
		kind, ref = rbac.KindRole, pick(r, n.roleNames)
	case x < 50:
		kind, ref = rbac.KindClusterRole, "admin"
	case x < 62:
		kind, ref = rbac.KindClusterRole, "edit"
	case x < 80:
		kind, ref = rbac.KindClusterRole, "view"
	default:
		kind, ref = rbac.KindClusterRole, pick(r, g.rbCRs)
	}
	k := 1
	switch y := r.IntN(10); {
	case y == 9:
		k = 3 + r.IntN(3)
	case y >= 7:
		k = 2
	}
	subjects := make([]rbacv1.Subject, 0, k)
	for i := 0; i < k; i++ {
		var s rbacv1.Subject
		switch z := r.IntN(1000); {
		case z < 580:
			s = sa(n.name, pick(r, n.saNames))
			if z < 60 {
				s.Namespace = "" // a RoleBinding's own namespace
			}
		case z < 630:
			o := g.apps[r.IntN(len(g.apps))]
			s = sa(o.name, pick(r, o.saNames))
		case z < 820:
			s = user(pick(r, g.users))
		case z < 970:
			if r.IntN(2) == 0 {
				s = group("oidc:" + n.team + "-" + pick(r, []string{"developers", "viewers", "admins"}))
			} else {
				s = group(pick(r, g.groups))
			}
		case z < 995:
			s = group("system:serviceaccounts:" + n.name)
		case z < 998:
			s = group("system:serviceaccounts")
		default:
			s = group("system:authenticated")
		}
		subjects = append(subjects, s)
	}
	base := sanitize(ref)
	if kind == rbac.KindRole {
		base = ref
	}
	name := base + "-" + sanitize(subjectShort(subjects[0]))
	for n.rbs[name] != nil {
		name = base + "-" + randSuffix(r, 5)
	}
	g.addRB(n.name, name, kind, ref, subjects...)
}

// teamClusterRoles adds k ClusterRoles: custom resource roles aggregated
// into view/edit/admin (a fifth), cluster-wide team roles without
// escalation risks, and ClusterRoles meant for RoleBindings.
func (g *gen) teamClusterRoles(k int) {
	r := g.r
	for name, o := range g.clusterRoles {
		if o.safe {
			g.safeCRs = append(g.safeCRs, name)
		}
		if o.forRB {
			g.rbCRs = append(g.rbCRs, name)
		}
	}
	crdRoles := k / 5
	for i := 0; i+1 < crdRoles; i += 2 {
		c := g.crds[(i/2)%len(g.crds)]
		base := strings.Split(c.group, ".")[0]
		if i/2 >= len(g.crds) {
			base += fmt.Sprintf("-%d", i/2/len(g.crds)+1)
		}
		g.addCR(&object{name: base + "-" + c.group + "-view", labels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-view": "true"},
			rules: []rbacv1.PolicyRule{rule([]string{c.group}, c.resources, read)}})
		g.addCR(&object{name: base + "-" + c.group + "-edit", labels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-edit": "true", "rbac.authorization.k8s.io/aggregate-to-admin": "true"},
			rules: []rbacv1.PolicyRule{rule([]string{c.group}, c.resources, []string{"create", "delete", "deletecollection", "patch", "update"}), rule([]string{c.group}, []string{c.resources[0] + "/status"}, []string{"get"})}})
		k -= 2
	}
	for ; k > 0; k-- {
		t := pick(r, teams)
		var o *object
		if r.IntN(10) < 6 {
			st := &safeTemplates[r.IntN(len(safeTemplates))]
			o = &object{name: "team:" + t + ":" + st.suffix, rules: st.rules(r, g.crds), safe: true}
		} else {
			nt := pickTemplate(r)
			o = &object{name: "team:" + t + ":" + nt.suffix, rules: nt.rules(r, pick(r, appWords), g.crds), forRB: true}
		}
		for base := o.name; g.clusterRoles[o.name] != nil; {
			o.name = base + "-" + randSuffix(r, 4)
		}
		o.labels = map[string]string{"team": t}
		switch r.IntN(100) {
		case 0:
			if o.safe {
				o.labels["platform.example.com/aggregate-to-monitoring"] = "true"
			}
		case 1:
			if !o.safe {
				o.labels["platform.example.com/aggregate-to"] = pick(r, []string{"debug", "support"})
			}
		}
		g.addCR(o)
		if o.safe {
			g.safeCRs = append(g.safeCRs, o.name)
		} else {
			g.rbCRs = append(g.rbCRs, o.name)
		}
	}
	sort.Strings(g.safeCRs)
	sort.Strings(g.rbCRs)
}

// aggregate stores the rules kube-controller-manager's aggregation
// controller computes (pkg/controller/clusterroleaggregation), as a live
// cluster holds them: for each selector, the matching ClusterRoles by name
// (the role itself skipped), each rule once, to a fixed point.
func (g *gen) aggregate() {
	names := make([]string, 0, len(g.clusterRoles))
	for n := range g.clusterRoles {
		names = append(names, n)
	}
	sort.Strings(names)
	type agg struct {
		o    *object
		sels []labels.Selector
	}
	var aggs []agg
	for _, n := range names {
		o := g.clusterRoles[n]
		if o.agg == nil {
			continue
		}
		a := agg{o: o}
		for i := range o.agg.ClusterRoleSelectors {
			s, err := metav1.LabelSelectorAsSelector(&o.agg.ClusterRoleSelectors[i])
			if err != nil {
				panic(err) // the generator's own selectors
			}
			a.sels = append(a.sels, s)
		}
		o.rules = nil
		aggs = append(aggs, a)
	}
	for pass := 0; pass <= len(aggs); pass++ {
		changed := false
		for _, a := range aggs {
			var out []rbacv1.PolicyRule
			for _, s := range a.sels {
				for _, n := range names {
					src := g.clusterRoles[n]
					if src == a.o || !s.Matches(labels.Set(src.labels)) {
						continue
					}
					for _, ru := range src.rules {
						if !containsRule(out, ru) {
							out = append(out, ru)
						}
					}
				}
			}
			if len(out) != len(a.o.rules) {
				a.o.rules = out
				changed = true
			}
		}
		if !changed {
			break
		}
	}
}

func containsRule(list []rbacv1.PolicyRule, r rbacv1.PolicyRule) bool {
	for i := range list {
		if eq(list[i].Verbs, r.Verbs) && eq(list[i].APIGroups, r.APIGroups) && eq(list[i].Resources, r.Resources) &&
			eq(list[i].ResourceNames, r.ResourceNames) && eq(list[i].NonResourceURLs, r.NonResourceURLs) {
			return true
		}
	}
	return false
}

func eq(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
