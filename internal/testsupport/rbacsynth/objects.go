package rbacsynth

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/apiguard/apiguard/internal/rbac"
)

// epoch is the oldest creationTimestamp; objects are spread over the
// following 400 days.
var epoch = time.Date(2024, 11, 3, 9, 0, 0, 0, time.UTC)

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// objHash identifies an object for its uid and timestamp, whatever the
// order of generation.
func (g *gen) objHash(kind, ns, name string) uint64 {
	return splitmix(hash(kind+"/"+ns+"/"+name) ^ uint64(g.seed))
}

func appendUID(b []byte, h uint64) []byte {
	a, c := splitmix(h), splitmix(h+1)
	var raw [16]byte
	for i := 0; i < 8; i++ {
		raw[i] = byte(a >> (8 * i))
		raw[8+i] = byte(c >> (8 * i))
	}
	raw[6] = raw[6]&0x0f | 0x40
	raw[8] = raw[8]&0x3f | 0x80
	b = append(b, '"')
	for i, x := range raw {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hex[x>>4], hex[x&0xf])
	}
	return append(b, '"')
}

func (j *jsonWriter) uid(k string, h uint64) {
	j.key(k)
	j.buf = appendUID(j.buf, h)
}

func (j *jsonWriter) time(k string, t time.Time) {
	j.key(k)
	j.buf = append(j.buf, '"')
	j.buf = t.AppendFormat(j.buf, time.RFC3339)
	j.buf = append(j.buf, '"')
}

func (j *jsonWriter) sortedMap(k string, m map[string]string) {
	keys := make([]string, 0, len(m))
	for x := range m {
		keys = append(keys, x)
	}
	sort.Strings(keys)
	j.obj(k)
	for _, x := range keys {
		j.str(x, m[x])
	}
	j.end()
}

type ownerRef struct {
	apiVersion, kind, name string
}

type meta struct {
	kind         string
	ns, name     string
	generateName string
	labels       map[string]string
	annotations  map[string]string
	owner        *ownerRef
}

func (g *gen) created(h uint64) time.Time {
	return epoch.Add(time.Duration(h%(400*24*3600)) * time.Second)
}

// metadata writes an object's metadata, keys sorted, and returns its
// creation time.
func (g *gen) metadata(m meta) time.Time {
	j := g.j
	h := g.objHash(m.kind, m.ns, m.name)
	t := g.created(h)
	j.obj("metadata")
	if len(m.annotations) > 0 {
		j.sortedMap("annotations", m.annotations)
	}
	j.time("creationTimestamp", t)
	if m.generateName != "" {
		j.str("generateName", m.generateName)
	}
	if len(m.labels) > 0 {
		j.sortedMap("labels", m.labels)
	}
	j.str("name", m.name)
	if m.ns != "" {
		j.str("namespace", m.ns)
	}
	if m.owner != nil {
		j.arr("ownerReferences")
		j.itemObj()
		j.str("apiVersion", m.owner.apiVersion)
		j.boolean("blockOwnerDeletion", true)
		j.boolean("controller", true)
		j.str("kind", m.owner.kind)
		j.str("name", m.owner.name)
		j.uid("uid", g.objHash(m.owner.kind, m.ns, m.owner.name))
		j.end()
		j.endArr()
	}
	g.rv += 1 + int64(h%97)
	j.str("resourceVersion", strconv.FormatInt(g.rv, 10))
	j.uid("uid", h)
	j.end()
	return t
}

func (g *gen) write() {
	j := g.j
	j.open('{')
	j.str("apiVersion", "v1")
	j.arr("items")

	sort.Slice(g.nsOrder, func(a, b int) bool { return g.nsOrder[a].name < g.nsOrder[b].name })
	for _, name := range sortedKeys(g.clusterRoles) {
		g.writeRole(g.clusterRoles[name])
	}
	for _, name := range sortedKeys(g.crbs) {
		g.writeBinding(g.crbs[name])
	}
	for _, n := range g.nsOrder {
		for _, name := range sortedKeys(n.roles) {
			g.writeRole(n.roles[name])
		}
	}
	for _, n := range g.nsOrder {
		for _, name := range sortedKeys(n.rbs) {
			g.writeBinding(n.rbs[name])
		}
	}
	for _, n := range g.nsOrder {
		for _, name := range n.saNames {
			g.writeSA(n, n.sas[name])
		}
	}
	for _, n := range g.nsOrder {
		g.writePods(n)
	}
	for _, n := range g.nsOrder {
		g.writeNamespace(n)
	}
	for i, name := range g.nodes {
		g.writeNode(i, name)
	}
	for _, n := range g.nsOrder {
		var tokens []*saPlan
		for _, name := range n.saNames {
			if s := n.sas[name]; s.token != "" {
				tokens = append(tokens, s)
			}
		}
		sort.Slice(tokens, func(a, b int) bool { return tokens[a].token < tokens[b].token })
		for _, s := range tokens {
			g.writeTokenSecret(n, s)
		}
	}

	j.endArr()
	j.str("kind", "List")
	j.obj("metadata")
	j.str("resourceVersion", "")
	j.end()
	j.end()
	j.buf = append(j.buf, '\n')
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (g *gen) writeRules(rules []rbacv1.PolicyRule) {
	j := g.j
	j.arr("rules")
	for _, r := range rules {
		j.itemObj()
		if len(r.APIGroups) > 0 {
			j.strs("apiGroups", r.APIGroups)
		}
		if len(r.NonResourceURLs) > 0 {
			j.strs("nonResourceURLs", r.NonResourceURLs)
		}
		if len(r.ResourceNames) > 0 {
			j.strs("resourceNames", r.ResourceNames)
		}
		if len(r.Resources) > 0 {
			j.strs("resources", r.Resources)
		}
		j.strs("verbs", r.Verbs)
		j.end()
	}
	j.endArr()
}

func (g *gen) writeRole(o *object) {
	j := g.j
	j.itemObj()
	if o.agg != nil {
		j.obj("aggregationRule")
		j.arr("clusterRoleSelectors")
		for _, s := range o.agg.ClusterRoleSelectors {
			j.itemObj()
			if len(s.MatchExpressions) > 0 {
				j.arr("matchExpressions")
				for _, e := range s.MatchExpressions {
					j.itemObj()
					j.str("key", e.Key)
					j.str("operator", string(e.Operator))
					if len(e.Values) > 0 {
						j.strs("values", e.Values)
					}
					j.end()
				}
				j.endArr()
			}
			if len(s.MatchLabels) > 0 {
				j.sortedMap("matchLabels", s.MatchLabels)
			}
			j.end()
		}
		j.endArr()
		j.end()
	}
	j.str("apiVersion", "rbac.authorization.k8s.io/v1")
	j.str("kind", o.kind)
	g.metadata(meta{kind: o.kind, ns: o.ns, name: o.name, labels: o.labels, annotations: o.annotations})
	if len(o.rules) > 0 || o.agg == nil {
		g.writeRules(o.rules)
	}
	j.end()
	j.flushIfFull()
}

func (g *gen) writeBinding(o *object) {
	j := g.j
	j.itemObj()
	j.str("apiVersion", "rbac.authorization.k8s.io/v1")
	j.str("kind", o.kind)
	g.metadata(meta{kind: o.kind, ns: o.ns, name: o.name, labels: o.labels, annotations: o.annotations})
	j.obj("roleRef")
	j.str("apiGroup", o.roleRef.APIGroup)
	j.str("kind", o.roleRef.Kind)
	j.str("name", o.roleRef.Name)
	j.end()
	if len(o.subjects) > 0 {
		j.arr("subjects")
		for _, s := range o.subjects {
			j.itemObj()
			if s.APIGroup != "" {
				j.str("apiGroup", s.APIGroup)
			}
			j.str("kind", s.Kind)
			j.str("name", s.Name)
			if s.Namespace != "" {
				j.str("namespace", s.Namespace)
			}
			j.end()
		}
		j.endArr()
	}
	j.end()
	j.flushIfFull()
}

func (g *gen) writeSA(n *nsPlan, s *saPlan) {
	j := g.j
	j.itemObj()
	j.str("apiVersion", "v1")
	if s.automount != nil {
		j.boolean("automountServiceAccountToken", *s.automount)
	}
	j.str("kind", "ServiceAccount")
	g.metadata(meta{kind: "ServiceAccount", ns: n.name, name: s.name, labels: s.labels, annotations: s.annotations})
	if s.token != "" {
		j.arr("secrets")
		j.itemObj()
		j.str("name", s.token)
		j.end()
		j.endArr()
	}
	j.end()
	j.flushIfFull()
}

func (g *gen) writeTokenSecret(n *nsPlan, s *saPlan) {
	j := g.j
	j.itemObj()
	j.str("apiVersion", "v1")
	j.str("kind", "Secret")
	g.metadata(meta{kind: "Secret", ns: n.name, name: s.token, annotations: map[string]string{
		rbac.ServiceAccountNameAnnotation:   s.name,
		"kubernetes.io/service-account.uid": string(appendUID(nil, g.objHash("ServiceAccount", n.name, s.name))[1:37]),
	}})
	j.str("type", rbac.SecretTypeServiceAccountToken)
	j.end()
	j.flushIfFull()
}

func (g *gen) writeNamespace(n *nsPlan) {
	j := g.j
	j.itemObj()
	j.str("apiVersion", "v1")
	j.str("kind", "Namespace")
	g.metadata(meta{kind: "Namespace", name: n.name, labels: n.labels})
	j.obj("spec")
	j.strs("finalizers", []string{"kubernetes"})
	j.end()
	j.obj("status")
	j.str("phase", "Active")
	j.end()
	j.end()
	j.flushIfFull()
}

func nodeIP(i int) string { return fmt.Sprintf("10.0.%d.%d", i/200, 10+i%200) }

func (g *gen) writeNode(i int, name string) {
	j := g.j
	cp := i < g.cpNodes
	zone := []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}[i%3]
	lbl := map[string]string{
		"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
		"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "node.kubernetes.io/instance-type": "m6i.2xlarge",
		"topology.kubernetes.io/region": "eu-west-1", "topology.kubernetes.io/zone": zone,
	}
	if cp {
		lbl["node-role.kubernetes.io/control-plane"] = ""
		lbl["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
	}
	j.itemObj()
	j.str("apiVersion", "v1")
	j.str("kind", "Node")
	t := g.metadata(meta{kind: "Node", name: name, labels: lbl, annotations: map[string]string{
		"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true",
	}})
	j.obj("spec")
	j.str("podCIDR", fmt.Sprintf("10.244.%d.0/24", i))
	j.strs("podCIDRs", []string{fmt.Sprintf("10.244.%d.0/24", i)})
	j.str("providerID", fmt.Sprintf("aws:///%s/i-0%015x", zone, g.objHash("Node", "", name)>>4))
	if cp {
		j.arr("taints")
		j.itemObj()
		j.str("effect", "NoSchedule")
		j.str("key", "node-role.kubernetes.io/control-plane")
		j.end()
		j.endArr()
	}
	j.end()
	j.obj("status")
	j.arr("addresses")
	for _, a := range [][2]string{{nodeIP(i), "InternalIP"}, {name, "InternalDNS"}, {name, "Hostname"}} {
		j.itemObj()
		j.str("address", a[0])
		j.str("type", a[1])
		j.end()
	}
	j.endArr()
	j.strMap("allocatable", []string{"cpu", "7910m", "ephemeral-storage", "95491281146", "hugepages-1Gi", "0", "hugepages-2Mi", "0", "memory", "31526508Ki", "pods", "110"})
	j.strMap("capacity", []string{"cpu", "8", "ephemeral-storage", "104845292Ki", "hugepages-1Gi", "0", "hugepages-2Mi", "0", "memory", "32547436Ki", "pods", "110"})
	j.arr("conditions")
	for _, c := range [][4]string{
		{"kubelet has sufficient memory available", "KubeletHasSufficientMemory", "False", "MemoryPressure"},
		{"kubelet has no disk pressure", "KubeletHasNoDiskPressure", "False", "DiskPressure"},
		{"kubelet has sufficient PID available", "KubeletHasSufficientPID", "False", "PIDPressure"},
		{"kubelet is posting ready status", "KubeletReady", "True", "Ready"},
	} {
		j.itemObj()
		j.time("lastHeartbeatTime", epoch.Add(410*24*time.Hour))
		j.time("lastTransitionTime", t.Add(40*time.Second))
		j.str("message", c[0])
		j.str("reason", c[1])
		j.str("status", c[2])
		j.str("type", c[3])
		j.end()
	}
	j.endArr()
	j.obj("daemonEndpoints")
	j.obj("kubeletEndpoint")
	j.num("Port", 10250)
	j.end()
	j.end()
	j.arr("images")
	for k, img := range []string{"registry.k8s.io/kube-proxy:v1.36.3", "cr.fluentbit.io/fluent/fluent-bit:4.0.3", "registry.k8s.io/pause:3.10"} {
		j.itemObj()
		j.strs("names", []string{img})
		j.num("sizeBytes", int64(31_000_000+k*7_340_033))
		j.end()
	}
	j.endArr()
	j.obj("nodeInfo")
	j.str("architecture", "amd64")
	j.str("bootID", string(appendUID(nil, g.objHash("boot", "", name))[1:37]))
	j.str("containerRuntimeVersion", "containerd://2.1.3")
	j.str("kernelVersion", "6.12.34-amzn")
	j.str("kubeProxyVersion", "")
	j.str("kubeletVersion", "v1.36.3")
	j.str("machineID", fmt.Sprintf("%016x%016x", g.objHash("machine", "", name), g.objHash("machine2", "", name)))
	j.str("operatingSystem", "linux")
	j.str("osImage", "Amazon Linux 2023.7.20250623")
	j.str("systemUUID", string(appendUID(nil, g.objHash("sys", "", name))[1:37]))
	j.end()
	j.end()
	j.end()
	j.flushIfFull()
}
