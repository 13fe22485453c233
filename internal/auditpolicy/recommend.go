package auditpolicy

import (
	"fmt"
	"strconv"
	"strings"

	audit "k8s.io/apiserver/pkg/apis/audit"
)

// Profile selects a recommended policy.
type Profile string

const (
	// Minimal records what detections need and nothing more: bodies only
	// where a detection reads them (pods, workloads, RBAC, webhooks,
	// namespaces, services, CSR creation and approval), everything else at Metadata.
	Minimal Profile = "minimal"
	// Standard adds response bodies for RBAC and admission writes (the
	// result of a patch) and request bodies for every write.
	Standard Profile = "standard"
	// Strict records every write with its response, drops only health
	// probes, events, leases and discovery noise.
	Strict Profile = "strict"
)

// Profiles lists the profiles.
var Profiles = []Profile{Minimal, Standard, Strict}

// ParseProfile accepts a profile name.
func ParseProfile(s string) (Profile, error) {
	for _, p := range Profiles {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("unknown profile %q (want minimal, standard or strict)", s)
}

// builtinGroups are the API groups kube-apiserver v1.36 serves, for the
// "every write" rules.
var builtinGroups = []string{"", "admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io", "apps",
	"authentication.k8s.io", "authorization.k8s.io", "autoscaling", "batch", "certificates.k8s.io", "coordination.k8s.io",
	"discovery.k8s.io", "events.k8s.io", "flowcontrol.apiserver.k8s.io", "networking.k8s.io", "node.k8s.io", "policy",
	"rbac.authorization.k8s.io", "resource.k8s.io", "scheduling.k8s.io", "storage.k8s.io"}

type gr struct {
	group     string
	resources []string
}

type recRule struct {
	comment    string
	profiles   string // letters: m(inimal) s(tandard) t (strict)
	level      func(Profile) audit.Level
	users      []string
	userGroups []string
	verbs      []string
	namespaces []string
	resources  []gr
	urls       []string
}

func lv(l audit.Level) func(Profile) audit.Level { return func(Profile) audit.Level { return l } }

var writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}

func recommendedRules() []recRule {
	every := make([]gr, len(builtinGroups))
	for i, g := range builtinGroups {
		every[i] = gr{group: g}
	}
	return []recRule{
		{comment: "Health probes: the highest volume, no security value.", profiles: "mst", level: lv(audit.LevelNone),
			urls: []string{"/healthz*", "/livez*", "/readyz*"}},
		{comment: "Version and OpenAPI discovery: every kubectl invocation fetches them.", profiles: "ms", level: lv(audit.LevelNone),
			urls: []string{"/version", "/version/", "/openapi/*"}},
		{comment: "Events are written and read constantly (kube-up drops them); their deletion stays logged.", profiles: "mst", level: lv(audit.LevelNone),
			verbs: []string{"get", "list", "watch", "create", "update", "patch"}, resources: []gr{{"", []string{"events"}}, {"events.k8s.io", []string{"events"}}}},
		{comment: "Lease renewals for leader election and node heartbeats.", profiles: "mst", level: lv(audit.LevelNone),
			verbs: []string{"get", "list", "watch", "update", "patch"}, resources: []gr{{"coordination.k8s.io", []string{"leases"}}}},
		{comment: "kube-proxy's watches (kube-up).", profiles: "ms", level: lv(audit.LevelNone),
			users: []string{"system:kube-proxy"}, verbs: []string{"watch"},
			resources: []gr{{"", []string{"endpoints", "services", "services/status"}}, {"discovery.k8s.io", []string{"endpointslices"}}}},
		{comment: "Kubelets reading their Node (kube-up).", profiles: "ms", level: lv(audit.LevelNone),
			userGroups: []string{"system:nodes"}, verbs: []string{"get"}, resources: []gr{{"", []string{"nodes", "nodes/status"}}}},
		{comment: "kube-apiserver reading namespaces (kube-up).", profiles: "ms", level: lv(audit.LevelNone),
			users: []string{"system:apiserver"}, verbs: []string{"get"}, resources: []gr{{"", []string{"namespaces", "namespaces/status", "namespaces/finalize"}}}},
		{comment: "The HPA controller reading metrics (kube-up).", profiles: "ms", level: lv(audit.LevelNone),
			users: []string{"system:kube-controller-manager", "system:cloud-controller-manager"}, verbs: []string{"get", "list"}, resources: []gr{{"metrics.k8s.io", nil}}},
		{comment: "TokenRequests: the request body (audiences, expirationSeconds, boundObjectRef) holds no\nsecret, the issued token is only in the response, which Request does not log. Detections\nread expirationSeconds (tokens made to last).", profiles: "mst", level: lv(audit.LevelRequest),
			verbs: []string{"create"}, resources: []gr{{"", []string{"serviceaccounts/token"}}}},
		{comment: "Credentials: Metadata only, before any rule that logs bodies (CIS 3.2.2). Secrets and\nConfigMaps hold data, TokenReviews and TokenRequests' responses hold tokens.", profiles: "mst", level: lv(audit.LevelMetadata),
			resources: []gr{{"", []string{"secrets", "configmaps", "serviceaccounts/token"}}, {"authentication.k8s.io", []string{"tokenreviews"}}}},
		{comment: "RBAC and admission changes: who granted what, which webhook sees which objects.\nThe response shows the result of a patch.", profiles: "mst",
			level: func(p Profile) audit.Level {
				if p == Minimal {
					return audit.LevelRequest
				}
				return audit.LevelRequestResponse
			},
			verbs: writeVerbs,
			resources: []gr{{"rbac.authorization.k8s.io", []string{"clusterroles", "clusterrolebindings", "roles", "rolebindings"}},
				{"admissionregistration.k8s.io", []string{"mutatingwebhookconfigurations", "validatingwebhookconfigurations",
					"validatingadmissionpolicies", "validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"}}}},
		{comment: "exec, attach, port-forward and proxying (both create and, over WebSocket, get);\nthe command is in requestURI.", profiles: "mst", level: lv(audit.LevelRequest),
			resources: []gr{{"", []string{"pods/exec", "pods/attach", "pods/portforward", "pods/proxy", "services/proxy", "nodes/proxy"}}}},
		{comment: "Bodies the detections read: pod specs (privileged, hostPath, host namespaces), debug\ncontainers, workload templates, namespace labels, service types, CSR signers and approvals\n(a CSR holds a public key and the issued certificate: no credential).", profiles: "mst",
			level: func(p Profile) audit.Level {
				if p == Strict {
					return audit.LevelRequestResponse
				}
				return audit.LevelRequest
			},
			verbs: []string{"create", "update", "patch"},
			resources: []gr{{"", []string{"pods", "pods/ephemeralcontainers", "namespaces", "services"}},
				{"apps", []string{"deployments", "daemonsets", "statefulsets", "replicasets"}},
				{"batch", []string{"jobs", "cronjobs"}},
				{"certificates.k8s.io", []string{"certificatesigningrequests", "certificatesigningrequests/approval"}}}},
		{comment: "Every other write to a built-in API.", profiles: "st",
			level: func(p Profile) audit.Level {
				if p == Strict {
					return audit.LevelRequestResponse
				}
				return audit.LevelRequest
			},
			verbs: writeVerbs, resources: every},
		{comment: "Everything else, reads included, and custom resources: Metadata.", profiles: "mst", level: lv(audit.LevelMetadata)},
	}
}

// Recommend returns the recommended policy of a profile as YAML.
func Recommend(p Profile) []byte {
	var b strings.Builder
	b.WriteString("# Audit policy recommended by apiguard (profile " + string(p) + "): `apiguard audit policy recommend --profile " + string(p) + "`.\n")
	b.WriteString("# Rules are evaluated in order and the first match wins. Credentials are never logged above\n")
	b.WriteString("# Metadata; the requests audit detections read are logged with their bodies; known noise\n")
	b.WriteString("# (modelled on kube-up's configure-helper.sh policy) is dropped; everything else is Metadata.\n")
	b.WriteString("apiVersion: audit.k8s.io/v1\nkind: Policy\n")
	b.WriteString("# RequestReceived would write every request twice.\nomitStages:\n  - RequestReceived\n")
	b.WriteString("# managedFields are often most of an object's size.\nomitManagedFields: true\nrules:\n")
	for _, r := range recommendedRules() {
		if !strings.Contains(r.profiles, profileLetter(p)) {
			continue
		}
		for _, c := range strings.Split(r.comment, "\n") {
			b.WriteString("  # " + c + "\n")
		}
		b.WriteString("  - level: " + string(r.level(p)) + "\n")
		list := func(key string, xs []string) {
			if len(xs) > 0 {
				b.WriteString("    " + key + ": " + flow(xs) + "\n")
			}
		}
		list("users", r.users)
		list("userGroups", r.userGroups)
		list("verbs", r.verbs)
		list("namespaces", r.namespaces)
		if len(r.resources) > 0 {
			b.WriteString("    resources:\n")
			for _, g := range r.resources {
				b.WriteString("      - group: " + strconv.Quote(g.group) + "\n")
				if len(g.resources) > 0 {
					b.WriteString("        resources: " + flow(g.resources) + "\n")
				}
			}
		}
		list("nonResourceURLs", r.urls)
	}
	return []byte(b.String())
}

func profileLetter(p Profile) string {
	switch p {
	case Minimal:
		return "m"
	case Strict:
		return "t"
	}
	return "s"
}

func flow(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = strconv.Quote(x)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// Intended is the level the recommended policy of a profile means to log
// each need's request at (by need ID), as data: the detection engine can
// check a policy or a log against it. A test proves the generated policy
// evaluates to exactly these levels.
func Intended(p Profile) map[string]audit.Level {
	out := map[string]audit.Level{}
	for id, l := range intendedStandard {
		out[id] = l
	}
	var over map[string]audit.Level
	switch p {
	case Minimal:
		over = intendedMinimal
	case Strict:
		over = intendedStrict
	}
	for id, l := range over {
		out[id] = l
	}
	return out
}

var intendedStandard = map[string]audit.Level{
	"secrets-get": M, "secrets-list": M, "secrets-watch": M, "secrets-create": M,
	"configmaps-get": M, "configmaps-update": M, "tokenreviews-create": M, "serviceaccounts-token-create": R,
	"serviceaccounts-create": R, "csr-create": R, "csr-approval": R,
	"pods-create": R, "pods-update": R, "pods-patch": R,
	"pods-exec-create": R, "pods-exec-get": R, "pods-attach-create": R, "pods-attach-get": R,
	"pods-portforward-create": R, "pods-portforward-get": R, "pods-ephemeralcontainers": R,
	"pods-proxy": R, "services-proxy": R, "nodes-proxy": R,
	"clusterrolebindings-create": RR, "rolebindings-create": RR, "clusterroles-patch": RR, "roles-update": RR,
	"mutatingwebhooks-create": RR, "validatingwebhooks-patch": RR, "validatingwebhooks-delete": RR, "validatingadmissionpolicies-create": RR,
	"impersonation": M, "anonymous-request": M, "unauthenticated-request": M, "selfsubjectrulesreviews-create": R,
	"namespaces-create": R, "namespaces-patch": R, "namespaces-delete": R, "nodes-create": R, "services-create": R,
	"deployments-create": R, "deployments-patch": R, "daemonsets-create": R, "statefulsets-update": R,
	"replicasets-create": R, "jobs-create": R, "cronjobs-create": R,
	"events-delete": R, "events-deletecollection": R, "events.k8s.io-delete": R,
	"metrics": M, "debug-pprof": M, "logs": M, "version": audit.LevelNone, "healthz": audit.LevelNone,
}

var intendedMinimal = map[string]audit.Level{
	"serviceaccounts-create": M, "clusterrolebindings-create": R, "rolebindings-create": R, "clusterroles-patch": R, "roles-update": R,
	"mutatingwebhooks-create": R, "validatingwebhooks-patch": R, "validatingwebhooks-delete": R, "validatingadmissionpolicies-create": R,
	"selfsubjectrulesreviews-create": M, "namespaces-delete": M, "nodes-create": M,
	"events-delete": M, "events-deletecollection": M, "events.k8s.io-delete": M,
}

var intendedStrict = map[string]audit.Level{
	"serviceaccounts-create": RR, "csr-create": RR, "csr-approval": RR, "pods-create": RR, "pods-update": RR, "pods-patch": RR, "pods-ephemeralcontainers": RR,
	"selfsubjectrulesreviews-create": RR, "namespaces-create": RR, "namespaces-patch": RR, "namespaces-delete": RR,
	"nodes-create": RR, "services-create": RR, "deployments-create": RR, "deployments-patch": RR, "daemonsets-create": RR,
	"statefulsets-update": RR, "replicasets-create": RR, "jobs-create": RR, "cronjobs-create": RR,
	"events-delete": RR, "events-deletecollection": RR, "events.k8s.io-delete": RR, "version": M,
}
