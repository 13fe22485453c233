package auditpolicy

import (
	"fmt"
	"strings"
)

// SyntheticPolicy returns a valid policy of n rules (n >= 3) shaped like a
// large multi-tenant one: per-team noise drops, per-team write rules, custom
// resource groups, non-resource URLs, then credentials at Metadata and a
// catch-all. It feeds the benchmarks (bench/auditpolicy.go and the Go
// benchmarks); the content is deterministic.
func SyntheticPolicy(n int) []byte {
	var b strings.Builder
	b.WriteString("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nomitManagedFields: true\nrules:\n")
	b.WriteString(`- level: Metadata
  resources:
  - group: ""
    resources: ["secrets", "configmaps", "serviceaccounts/token"]
  - group: authentication.k8s.io
    resources: ["tokenreviews"]
  - group: certificates.k8s.io
    resources: ["certificatesigningrequests", "certificatesigningrequests/status"]
`)
	for i := 0; i < n-2; i++ {
		t := i / 5
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "- level: None\n  users: [\"system:serviceaccount:team-%d:operator\", \"system:serviceaccount:team-%d:monitor\"]\n  verbs: [get, list, watch]\n  namespaces: [team-%d]\n  resources:\n  - group: \"\"\n    resources: [endpoints, services]\n", t, t, t)
		case 1:
			fmt.Fprintf(&b, "- level: Metadata\n  resources:\n  - group: team-%d.example.com\n    resources: [widgets, widgets/status]\n", t)
		case 2:
			fmt.Fprintf(&b, "- level: Request\n  verbs: [create, update, patch, delete]\n  namespaces: [team-%d]\n  resources:\n  - group: apps\n    resources: [deployments, statefulsets, daemonsets]\n  - group: \"\"\n    resources: [pods, pods/exec, pods/attach, pods/portforward, pods/ephemeralcontainers, services]\n", t)
		case 3:
			fmt.Fprintf(&b, "- level: None\n  nonResourceURLs: [\"/apis/metrics.team-%d.example.com/*\", \"/team-%d/healthz\"]\n", t, t)
		case 4:
			fmt.Fprintf(&b, "- level: RequestResponse\n  userGroups: [\"team-%d:admins\"]\n  verbs: [create, update, patch, delete]\n  resources:\n  - group: rbac.authorization.k8s.io\n    resources: [roles, rolebindings]\n", t)
		}
	}
	b.WriteString("- level: Metadata\n")
	return []byte(b.String())
}

// SyntheticEvents returns n decoded audit events shaped like a control
// plane's traffic (lease renewals, node and pod status, controller reads,
// kubectl writes, exec, health probes), for the replay benchmarks.
func SyntheticEvents(n int) []Event {
	type ref struct{ group, res, sub, ns, name string }
	shapes := []struct {
		user   string
		groups []string
		verb   string
		ref    *ref
		uri    string
	}{
		{"system:node:node-1", []string{"system:nodes", "system:authenticated"}, "update", &ref{"coordination.k8s.io", "leases", "", "kube-node-lease", "node-1"}, ""},
		{"system:kube-controller-manager", []string{"system:authenticated"}, "update", &ref{"coordination.k8s.io", "leases", "", "kube-system", "kube-controller-manager"}, ""},
		{"system:node:node-2", []string{"system:nodes", "system:authenticated"}, "patch", &ref{"", "nodes", "status", "", "node-2"}, ""},
		{"system:node:node-1", []string{"system:nodes", "system:authenticated"}, "get", &ref{"", "secrets", "", "team-3", "db"}, ""},
		{"system:serviceaccount:kube-system:deployment-controller", []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}, "update", &ref{"apps", "deployments", "status", "team-1", "web"}, ""},
		{"system:serviceaccount:kube-system:replicaset-controller", []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}, "create", &ref{"", "pods", "", "team-1", "web-abc"}, ""},
		{"system:kube-scheduler", []string{"system:authenticated"}, "create", &ref{"", "pods", "binding", "team-1", "web-abc"}, ""},
		{"system:kube-proxy", []string{"system:authenticated"}, "watch", &ref{"discovery.k8s.io", "endpointslices", "", "", ""}, ""},
		{"alice", []string{"dev", "system:authenticated"}, "list", &ref{"", "pods", "", "team-2", ""}, ""},
		{"alice", []string{"dev", "system:authenticated"}, "create", &ref{"", "pods", "exec", "team-2", "web-0"}, ""},
		{"alice", []string{"dev", "system:authenticated"}, "patch", &ref{"apps", "deployments", "", "team-2", "web"}, ""},
		{"system:serviceaccount:team-4:operator", []string{"system:serviceaccounts", "system:serviceaccounts:team-4", "system:authenticated"}, "get", &ref{"team-4.example.com", "widgets", "", "team-4", "w"}, ""},
		{"system:anonymous", []string{"system:unauthenticated"}, "get", nil, "/healthz"},
		{"system:serviceaccount:monitoring:prometheus", []string{"system:serviceaccounts", "system:serviceaccounts:monitoring", "system:authenticated"}, "get", nil, "/metrics"},
		{"system:apiserver", []string{"system:authenticated"}, "get", &ref{"", "namespaces", "", "team-5", "team-5"}, ""},
		{"bob", []string{"system:authenticated"}, "create", &ref{"rbac.authorization.k8s.io", "rolebindings", "", "team-6", "edit"}, ""},
	}
	out := make([]Event, n)
	for i := range out {
		s := shapes[i%len(shapes)]
		e := &out[i]
		e.Kind, e.AuditID, e.Verb, e.RequestURI, e.Stage = "Event", fmt.Sprintf("00000000-0000-0000-0000-%012d", i), s.verb, s.uri, "ResponseComplete"
		e.User.Username, e.User.Groups = s.user, s.groups
		if s.ref != nil {
			e.ObjectRef = &EventObjectRef{s.ref.res, s.ref.ns, s.ref.name, s.ref.group, "v1", s.ref.sub}
		}
	}
	return out
}
