// Package auditsynth writes realistic kube-apiserver audit logs for benchmarks
// and tests: the traffic of a busy cluster (kubelets reporting node and pod
// status, controllers reconciling, the scheduler binding, token requests,
// Events, watches, health checks, people using kubectl), at the levels of
// the GCE/kube-up default policy the Kubernetes documentation recommends as
// a starting point: Metadata for Secrets, ConfigMaps, tokens and unknown
// groups (leases); Request for reads and for kubelets' status updates;
// RequestResponse with both bodies for the other writes. A few attacks are
// mixed in.
package auditsynth

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// Options control the log.
type Options struct {
	// Events to write.
	Events int
	// Seed makes the log reproducible.
	Seed int64
	// AttackEvery puts one attack event (from a fixed set) every N events;
	// 0 writes none.
	AttackEvery int
	// Start is the first timestamp (default 2026-11-27T10:00:00Z); events
	// are 2 ms apart on average.
	Start time.Time
}

// Stats describe what was written.
type Stats struct {
	Events, Bytes int64
	Attacks       int64
	// ByLevel counts events per audit level.
	ByLevel map[string]int64
}

// Write writes the log to w as JSON lines.
func Write(w io.Writer, o Options) (Stats, error) {
	g := NewGenerator(o)
	bw := bufio.NewWriterSize(w, 1<<20)
	st := Stats{ByLevel: map[string]int64{}}
	for i := 0; i < o.Events; i++ {
		ev, attack := g.Next()
		b, err := json.Marshal(ev)
		if err != nil {
			return st, err
		}
		b = append(b, '\n')
		if _, err := bw.Write(b); err != nil {
			return st, err
		}
		st.Events++
		st.Bytes += int64(len(b))
		st.ByLevel[string(ev.Level)]++
		if attack {
			st.Attacks++
		}
	}
	return st, bw.Flush()
}

// Generator makes the events of a log one at a time (Options.Events is
// not used): the same sequence Write writes for the same options.
type Generator struct {
	g *gen
	i int
}

// NewGenerator starts a log.
func NewGenerator(o Options) *Generator {
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	}
	return &Generator{g: newGen(o)}
}

// Next returns the next event, and whether it is one of the attacks.
func (gg *Generator) Next() (*auditv1.Event, bool) {
	g, i := gg.g, gg.i
	gg.i++
	var ev *auditv1.Event
	attack := g.o.AttackEvery > 0 && i%g.o.AttackEvery == g.o.AttackEvery/2
	if attack {
		ev = g.attack(i)
	} else {
		ev = g.benign(i)
	}
	g.stamp(ev, i)
	return ev, attack
}

type gen struct {
	o     Options
	r     *rand.Rand
	nodes []string
	pods  []string
	ns    []string
	t     time.Time

	podBody, nodeStatusPatch, podStatusPatch, epsBody, eventBody, deployBody, bindingBody []byte
}

func newGen(o Options) *gen {
	g := &gen{o: o, r: rand.New(rand.NewSource(o.Seed)), t: o.Start}
	for i := 0; i < 50; i++ {
		g.nodes = append(g.nodes, fmt.Sprintf("ip-10-0-%d-%d.eu-west-1.compute.internal", i/10, i%250))
	}
	g.ns = []string{"default", "shop", "payments", "monitoring", "ingress-nginx", "kube-system", "data", "ci"}
	for i := 0; i < 400; i++ {
		g.pods = append(g.pods, fmt.Sprintf("%s-%x-%s", []string{"web", "api", "worker", "cache", "db", "queue"}[i%6], 0x5f4d8c9b6+i*7919, randSuffix(i)))
	}
	g.podBody = []byte(podJSON)
	g.nodeStatusPatch = []byte(nodeStatusPatchJSON)
	g.podStatusPatch = []byte(podStatusPatchJSON)
	g.epsBody = []byte(endpointSliceJSON)
	g.eventBody = []byte(eventJSON)
	g.deployBody = []byte(deploymentJSON)
	g.bindingBody = []byte(bindingJSON)
	return g
}

func randSuffix(i int) string {
	const a = "bcdfghjklmnpqrstvwxz2456789"
	s := make([]byte, 5)
	for j := range s {
		s[j] = a[(i*31+j*17)%len(a)]
	}
	return string(s)
}

func (g *gen) stamp(ev *auditv1.Event, i int) {
	g.t = g.t.Add(time.Duration(g.r.Intn(4000)) * time.Microsecond)
	ev.Kind, ev.APIVersion = "Event", "audit.k8s.io/v1"
	ev.AuditID = types.UID(fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", g.r.Uint32(), i&0xffff, g.r.Intn(0xfff), g.r.Intn(0xfff), g.r.Int63n(1<<48)))
	if ev.Stage == "" {
		ev.Stage = auditv1.StageResponseComplete
	}
	lat := time.Duration(200+g.r.Intn(20000)) * time.Microsecond
	ev.RequestReceivedTimestamp = metav1.NewMicroTime(g.t.Add(-lat))
	ev.StageTimestamp = metav1.NewMicroTime(g.t)
	if ev.ResponseStatus == nil {
		ev.ResponseStatus = &metav1.Status{Code: 200}
	}
	if ev.Annotations == nil {
		ev.Annotations = map[string]string{}
	}
	if _, ok := ev.Annotations["authorization.k8s.io/decision"]; !ok {
		ev.Annotations["authorization.k8s.io/decision"] = "allow"
		ev.Annotations["authorization.k8s.io/reason"] = reasonFor(ev)
	}
}

func reasonFor(ev *auditv1.Event) string {
	switch {
	case strings.HasPrefix(ev.User.Username, "system:node:"):
		return ""
	case strings.HasPrefix(ev.User.Username, "system:serviceaccount:kube-system:"):
		n := strings.TrimPrefix(ev.User.Username, "system:serviceaccount:kube-system:")
		return fmt.Sprintf(`RBAC: allowed by ClusterRoleBinding "system:controller:%s" of ClusterRole "system:controller:%s" to ServiceAccount "%s/kube-system"`, n, n, n)
	}
	return `RBAC: allowed by ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole "cluster-admin" to Group "kubeadm:cluster-admins"`
}

func raw(b []byte) *runtime.Unknown {
	return &runtime.Unknown{Raw: b, ContentType: runtime.ContentTypeJSON}
}

func nodeUser(node string) authnv1.UserInfo {
	return authnv1.UserInfo{Username: "system:node:" + node, Groups: []string{"system:nodes", "system:authenticated"},
		Extra: map[string]authnv1.ExtraValue{"authentication.kubernetes.io/credential-id": {"X509SHA256=8f1c9a0d3e7b2c54a1e6f90b7d3c2a1e5f4b6c8d9e0a1b2c3d4e5f60718293a4"}}}
}

func saUser(ns, name, pod, node string) authnv1.UserInfo {
	return authnv1.UserInfo{Username: "system:serviceaccount:" + ns + ":" + name, UID: "3f0d2c1b-7a6e-4d5c-9b8a-1e2f3a4b5c6d",
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
		Extra: map[string]authnv1.ExtraValue{
			"authentication.kubernetes.io/credential-id": {"JTI=6a1f0e2d-9c8b-4a7e-8d6f-5e4c3b2a1f0e"},
			"authentication.kubernetes.io/node-name":     {node},
			"authentication.kubernetes.io/node-uid":      {"9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"},
			"authentication.kubernetes.io/pod-name":      {pod},
			"authentication.kubernetes.io/pod-uid":       {"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"},
		}}
}

func ctrlUser(name string) authnv1.UserInfo {
	return authnv1.UserInfo{Username: "system:serviceaccount:kube-system:" + name, UID: "b3c4d5e6-f7a8-4b9c-8d0e-1f2a3b4c5d6e",
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}}
}

const kubeletUA = "kubelet/v1.36.3 (linux/amd64) kubernetes/a1b2c3d"
const kcmUA = "kube-controller-manager/v1.36.3 (linux/amd64) kubernetes/a1b2c3d/system:serviceaccount:kube-system:"

func (g *gen) pick(l []string) string { return l[g.r.Intn(len(l))] }

func obj(resource, group, version, ns, name, sub string) *auditv1.ObjectReference {
	return &auditv1.ObjectReference{Resource: resource, APIGroup: group, APIVersion: version, Namespace: ns, Name: name, Subresource: sub}
}

func (g *gen) benign(i int) *auditv1.Event {
	node := g.pick(g.nodes)
	nodeIP := fmt.Sprintf("10.0.%d.%d", g.r.Intn(4), 10+g.r.Intn(200))
	pod := g.pick(g.pods)
	ns := g.pick(g.ns)
	x := g.r.Intn(1000)
	ev := &auditv1.Event{SourceIPs: []string{nodeIP}}
	switch {
	case x < 110: // kubelet patches its node status (Request: the patch)
		ev.Level, ev.Verb, ev.User, ev.UserAgent = auditv1.LevelRequest, "patch", nodeUser(node), kubeletUA
		ev.RequestURI = "/api/v1/nodes/" + node + "/status?timeout=10s"
		ev.ObjectRef = obj("nodes", "", "v1", "", node, "status")
		ev.RequestObject = raw(g.nodeStatusPatch)
	case x < 210: // kubelet patches pod status (Request)
		ev.Level, ev.Verb, ev.User, ev.UserAgent = auditv1.LevelRequest, "patch", nodeUser(node), kubeletUA
		ev.RequestURI = "/api/v1/namespaces/" + ns + "/pods/" + pod + "/status"
		ev.ObjectRef = obj("pods", "", "v1", ns, pod, "status")
		ev.RequestObject = raw(g.podStatusPatch)
	case x < 300: // EndpointSlice controller
		ev.Level, ev.Verb, ev.User, ev.UserAgent = auditv1.LevelRequestResponse, "update", ctrlUser("endpointslice-controller"), kcmUA+"endpointslice-controller"
		ev.RequestURI = "/apis/discovery.k8s.io/v1/namespaces/" + ns + "/endpointslices/web-" + randSuffix(i%50)
		ev.ObjectRef = obj("endpointslices", "discovery.k8s.io", "v1", ns, "web-"+randSuffix(i%50), "")
		ev.RequestObject, ev.ResponseObject = raw(g.epsBody), raw(g.epsBody)
		ev.SourceIPs = []string{"10.0.0.10"}
	case x < 380: // Events (many policies drop them; kept here at RequestResponse)
		ev.Level, ev.Verb, ev.User, ev.UserAgent = auditv1.LevelRequestResponse, "create", nodeUser(node), kubeletUA
		ev.RequestURI = "/api/v1/namespaces/" + ns + "/events"
		ev.ObjectRef = obj("events", "", "v1", ns, pod+".18a2b3c4d5e6f708", "")
		ev.RequestObject, ev.ResponseObject = raw(g.eventBody), raw(g.eventBody)
		ev.ResponseStatus = &metav1.Status{Code: 201}
	case x < 430: // leases (not a known group of the GCE policy: Metadata)
		ev.Level, ev.Verb, ev.User, ev.UserAgent = auditv1.LevelMetadata, "update", nodeUser(node), kubeletUA
		ev.RequestURI = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/" + node + "?timeout=10s"
		ev.ObjectRef = obj("leases", "coordination.k8s.io", "v1", "kube-node-lease", node, "")
	case x < 540: // kubelet reads (Request level: no body for reads)
		ev.Level, ev.User, ev.UserAgent = auditv1.LevelRequest, nodeUser(node), kubeletUA
		switch g.r.Intn(3) {
		case 0:
			ev.Verb, ev.RequestURI, ev.ObjectRef = "get", "/api/v1/namespaces/"+ns+"/pods/"+pod, obj("pods", "", "v1", ns, pod, "")
		case 1:
			ev.Verb, ev.RequestURI, ev.ObjectRef = "get", "/api/v1/nodes/"+node+"?resourceVersion=0&timeout=10s", obj("nodes", "", "v1", "", node, "")
		default:
			ev.Verb, ev.RequestURI, ev.ObjectRef = "list", "/api/v1/pods?fieldSelector=spec.nodeName%3D"+node+"&limit=500&resourceVersion=0", obj("pods", "", "v1", "", "", "")
		}
	case x < 620: // kubelet Secret/ConfigMap reads and token requests (Metadata)
		ev.Level, ev.User, ev.UserAgent = auditv1.LevelMetadata, nodeUser(node), kubeletUA
		switch g.r.Intn(3) {
		case 0:
			ev.Verb, ev.RequestURI, ev.ObjectRef = "get", "/api/v1/namespaces/"+ns+"/secrets/app-tls", obj("secrets", "", "v1", ns, "app-tls", "")
		case 1:
			ev.Verb, ev.RequestURI, ev.ObjectRef = "watch", "/api/v1/namespaces/"+ns+"/configmaps?allowWatchBookmarks=true&fieldSelector=metadata.name%3Dkube-root-ca.crt&watch=true", obj("configmaps", "", "v1", ns, "", "")
			ev.Stage = auditv1.StageResponseStarted
		default:
			ev.Verb, ev.RequestURI, ev.ObjectRef = "create", "/api/v1/namespaces/"+ns+"/serviceaccounts/default/token", obj("serviceaccounts", "", "v1", ns, "default", "token")
			ev.ResponseStatus = &metav1.Status{Code: 201}
			ev.Annotations = map[string]string{"authentication.kubernetes.io/issued-credential-id": "JTI=" + randSuffix(i) + "-2f1e-4d3c-9b8a-7f6e5d4c3b2a"}
		}
	case x < 700: // controllers reading and watching (Request level)
		c := g.pick([]string{"replicaset-controller", "deployment-controller", "generic-garbage-collector", "namespace-controller", "job-controller"})
		ev.Level, ev.User, ev.UserAgent, ev.SourceIPs = auditv1.LevelRequest, ctrlUser(c), kcmUA+c, []string{"10.0.0.10"}
		ev.Verb = g.pick([]string{"get", "list", "watch"})
		ev.RequestURI = "/apis/apps/v1/namespaces/" + ns + "/replicasets?limit=500"
		ev.ObjectRef = obj("replicasets", "apps", "v1", ns, "", "")
	case x < 760: // scheduler binds
		ev.Level, ev.Verb, ev.UserAgent, ev.SourceIPs = auditv1.LevelRequestResponse, "create", "kube-scheduler/v1.36.3 (linux/amd64) kubernetes/a1b2c3d/scheduler", []string{"10.0.0.10"}
		ev.User = authnv1.UserInfo{Username: "system:kube-scheduler", Groups: []string{"system:authenticated"}}
		ev.RequestURI = "/api/v1/namespaces/" + ns + "/pods/" + pod + "/binding"
		ev.ObjectRef = obj("pods", "", "v1", ns, pod, "binding")
		ev.RequestObject, ev.ResponseObject = raw(g.bindingBody), raw([]byte(`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":201}`))
		ev.ResponseStatus = &metav1.Status{Code: 201}
	case x < 810: // ReplicaSet controller creates pods (body)
		ev.Level, ev.Verb, ev.User, ev.UserAgent, ev.SourceIPs = auditv1.LevelRequestResponse, "create", ctrlUser("replicaset-controller"), kcmUA+"replicaset-controller", []string{"10.0.0.10"}
		ev.RequestURI = "/api/v1/namespaces/" + ns + "/pods"
		ev.ObjectRef = obj("pods", "", "v1", ns, pod, "")
		ev.RequestObject, ev.ResponseObject = raw(g.podBody), raw(g.podBody)
		ev.ResponseStatus = &metav1.Status{Code: 201}
	case x < 840: // deployment status updates
		ev.Level, ev.Verb, ev.User, ev.UserAgent, ev.SourceIPs = auditv1.LevelRequestResponse, "update", ctrlUser("deployment-controller"), kcmUA+"deployment-controller", []string{"10.0.0.10"}
		ev.RequestURI = "/apis/apps/v1/namespaces/" + ns + "/deployments/web/status"
		ev.ObjectRef = obj("deployments", "apps", "v1", ns, "web", "status")
		ev.RequestObject, ev.ResponseObject = raw(g.deployBody), raw(g.deployBody)
	case x < 920: // people with kubectl
		u := g.pick([]string{"alice@example.com", "bob@example.com", "ci-deployer", "carol@example.com"})
		ev.Level, ev.UserAgent = auditv1.LevelRequest, "kubectl/v1.36.3 (linux/amd64) kubernetes/a1b2c3d"
		ev.User = authnv1.UserInfo{Username: u, Groups: []string{"oidc:platform", "system:authenticated"}}
		ev.SourceIPs = []string{fmt.Sprintf("192.168.%d.%d", g.r.Intn(4), 2+g.r.Intn(250))}
		switch g.r.Intn(4) {
		case 0:
			ev.Verb, ev.RequestURI, ev.ObjectRef = "list", "/api/v1/namespaces/"+ns+"/pods?limit=500", obj("pods", "", "v1", ns, "", "")
		case 1:
			ev.Verb, ev.RequestURI, ev.ObjectRef = "get", "/apis/apps/v1/namespaces/"+ns+"/deployments/web", obj("deployments", "apps", "v1", ns, "web", "")
		case 2:
			ev.Verb, ev.RequestURI, ev.ObjectRef = "get", "/api/v1/namespaces/"+ns+"/pods/"+pod+"/log?container=app&tailLines=100", obj("pods", "", "v1", ns, pod, "log")
			ev.Level = auditv1.LevelMetadata
		default:
			ev.Verb, ev.RequestURI = "get", "/api?timeout=32s"
			ev.Level = auditv1.LevelMetadata
		}
	case x < 960: // health checks by the load balancer (anonymous)
		ev.Level, ev.Verb, ev.UserAgent = auditv1.LevelMetadata, "get", "kube-probe/1.36"
		ev.User = authnv1.UserInfo{Username: "system:anonymous", Groups: []string{"system:unauthenticated"}}
		ev.RequestURI = g.pick([]string{"/livez", "/readyz", "/healthz", "/readyz?verbose"})
		ev.SourceIPs = []string{"10.0.200.4"}
	case x < 985: // denied requests (misconfigured workload)
		ev.Level, ev.Verb, ev.User, ev.UserAgent = auditv1.LevelMetadata, "list", saUser("monitoring", "exporter", "exporter-0", node), "exporter/1.2 (linux/amd64) kubernetes/unknown"
		ev.RequestURI = "/api/v1/namespaces/" + ns + "/endpoints?limit=500"
		ev.ObjectRef = obj("endpoints", "", "v1", ns, "", "")
		ev.ResponseStatus = &metav1.Status{Status: "Failure", Reason: "Forbidden", Code: 403, Message: `endpoints is forbidden: User "system:serviceaccount:monitoring:exporter" cannot list resource "endpoints" in API group "" in the namespace "` + ns + `"`}
		ev.Annotations = map[string]string{"authorization.k8s.io/decision": "forbid", "authorization.k8s.io/reason": ""}
		ev.SourceIPs = []string{fmt.Sprintf("10.244.%d.%d", g.r.Intn(50), 2+g.r.Intn(250))}
	default: // workload ServiceAccounts reading ConfigMaps
		ev.Level, ev.Verb, ev.User, ev.UserAgent = auditv1.LevelMetadata, "get", saUser(ns, "app", pod, node), "app/2.3.1 (linux/amd64) kubernetes/unknown"
		ev.RequestURI = "/api/v1/namespaces/" + ns + "/configmaps/app-config"
		ev.ObjectRef = obj("configmaps", "", "v1", ns, "app-config", "")
		ev.SourceIPs = []string{fmt.Sprintf("10.244.%d.%d", g.r.Intn(50), 2+g.r.Intn(250))}
	}
	return ev
}

// attack returns one event of a fixed rotation of attacks.
func (g *gen) attack(i int) *auditv1.Event {
	mallory := authnv1.UserInfo{Username: "mallory", Groups: []string{"system:authenticated"}}
	ev := &auditv1.Event{User: mallory, UserAgent: "kubectl/v1.36.3 (linux/amd64) kubernetes/a1b2c3d", SourceIPs: []string{"198.51.100.23"}}
	switch (i / max(g.o.AttackEvery, 1)) % 5 {
	case 0:
		ev.Level, ev.Verb = auditv1.LevelRequestResponse, "create"
		ev.RequestURI, ev.ObjectRef = "/api/v1/namespaces/shop/pods", obj("pods", "", "v1", "shop", "", "")
		ev.RequestObject = raw([]byte(`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"debug"},"spec":{"hostPID":true,"containers":[{"name":"c","image":"alpine","securityContext":{"privileged":true}}]}}`))
		ev.ResponseStatus = &metav1.Status{Code: 201}
	case 1:
		ev.Level, ev.Verb = auditv1.LevelMetadata, "create"
		ev.RequestURI = "/api/v1/namespaces/shop/pods/" + g.pick(g.pods) + "/exec?command=sh&command=-c&command=cat+%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken&container=app&stdout=true"
		ev.ObjectRef = obj("pods", "", "v1", "shop", "web-0", "exec")
		ev.ResponseStatus = &metav1.Status{Code: 101}
	case 2:
		ev.Level, ev.Verb = auditv1.LevelMetadata, "list"
		ev.RequestURI, ev.ObjectRef = "/api/v1/secrets?limit=500", obj("secrets", "", "v1", "", "", "")
	case 3:
		ev.Level, ev.Verb = auditv1.LevelRequestResponse, "create"
		ev.RequestURI, ev.ObjectRef = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", obj("clusterrolebindings", "rbac.authorization.k8s.io", "v1", "", "", "")
		ev.RequestObject = raw([]byte(`{"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"mallory-admin"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"User","name":"mallory"}]}`))
		ev.ResponseStatus = &metav1.Status{Code: 201}
	default:
		ev.Level, ev.Verb = auditv1.LevelMetadata, "get"
		ev.RequestURI, ev.ObjectRef = "/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef", obj("secrets", "", "v1", "kube-system", "bootstrap-token-abcdef", "")
		ev.UserAgent = "curl/8.5.0"
	}
	return ev
}
