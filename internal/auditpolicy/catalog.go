package auditpolicy

import (
	audit "k8s.io/apiserver/pkg/apis/audit"
)

// Identity is who makes a canonical request.
type Identity struct {
	// Name describes the identity in messages ("a user", "a service account").
	Name   string
	User   string
	Groups []string
	NoUser bool
}

// The identities lint and coverage evaluate requests as. Groups are what
// kube-apiserver's authenticators attach.
var (
	HumanUser       = Identity{Name: "a user", User: "alice", Groups: []string{"system:authenticated"}}
	ServiceAccount  = Identity{Name: "a service account", User: "system:serviceaccount:default:app", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"}}
	NodeUser        = Identity{Name: "a node", User: "system:node:node-1", Groups: []string{"system:nodes", "system:authenticated"}}
	ControllerUser  = Identity{Name: "kube-controller-manager", User: "system:kube-controller-manager", Groups: []string{"system:authenticated"}}
	Anonymous       = Identity{Name: "an anonymous user", User: "system:anonymous", Groups: []string{"system:unauthenticated"}}
	Unauthenticated = Identity{Name: "a client whose credentials were rejected", NoUser: true}
)

func (id Identity) apply(r Request) Request {
	r.User, r.Groups, r.NoUser = id.User, id.Groups, id.NoUser
	return r
}

// Need is a security-relevant request: what an investigation or an audit
// detection needs recorded, at which level at least (Min) and at most (Max).
// The list is the rows of `apiguard audit policy coverage` and what lint
// checks policies against.
type Need struct {
	// ID is stable: the recommended policy's intended levels and the
	// detection engine refer to it.
	ID       string `json:"id"`
	Category string `json:"category"`
	// Request is the canonical request. Its identity is HumanUser unless
	// Fixed is set (anonymous, unauthenticated).
	Request Request `json:"request"`
	Fixed   *Identity
	// Min is the lowest level the detections need; "" for requests that
	// need nothing (health checks), listed to show what the policy does.
	Min audit.Level `json:"min,omitempty"`
	// Max is the highest level the log may hold without leaking
	// credentials; "" for no limit.
	Max audit.Level `json:"max,omitempty"`
	// Why names the detections or the risk.
	Why string `json:"why"`
	// Note explains a subtlety of the row shown in coverage.
	Note string `json:"note,omitempty"`
}

const (
	M  = audit.LevelMetadata
	R  = audit.LevelRequest
	RR = audit.LevelRequestResponse
)

func res(verb, group, resource, sub, ns, name string) Request {
	return Request{Verb: verb, APIGroup: group, Resource: resource, Subresource: sub, Namespace: ns, Name: name}
}

func nonres(verb, path string) Request { return Request{Verb: verb, Path: path} }

// Needs is the catalogue of security-relevant requests.
var Needs = []Need{
	// Credentials: never above Metadata.
	{ID: "secrets-get", Category: "credential access", Request: res("get", "", "secrets", "", "default", "db-password"), Min: M, Max: R, Why: "Secret reads by unusual users, tokens or clients; the response holds the Secret's data (a read has no request body)"},
	{ID: "secrets-list", Category: "credential access", Request: res("list", "", "secrets", "", "", ""), Min: M, Max: R, Why: "cluster-wide Secret listing; the response holds every Secret's data"},
	{ID: "secrets-watch", Category: "credential access", Request: res("watch", "", "secrets", "", "default", ""), Min: M, Why: "Secret enumeration through watches (the watch's events are streamed, never logged)"},
	{ID: "secrets-create", Category: "persistence", Request: res("create", "", "secrets", "", "default", ""), Min: M, Max: M, Why: "legacy service-account token Secrets minted by hand; the body holds the data"},
	{ID: "configmaps-get", Category: "credential access", Request: res("get", "", "configmaps", "", "kube-system", "kubeadm-config"), Min: M, Max: R, Why: "ConfigMaps often carry credentials, in the response of a read (CIS 3.2.2 asks for Metadata)"},
	{ID: "configmaps-update", Category: "defense evasion", Request: res("update", "", "configmaps", "", "kube-system", "coredns"), Min: M, Max: M, Why: "CoreDNS or aws-auth changes; the body holds the data (CIS 3.2.2: Metadata only)"},
	{ID: "tokenreviews-create", Category: "credential access", Request: res("create", "authentication.k8s.io", "tokenreviews", "", "", ""), Min: M, Max: M, Why: "the body holds the bearer token under review"},
	{ID: "serviceaccounts-token-create", Category: "persistence", Request: res("create", "", "serviceaccounts", "token", "kube-system", "replicaset-controller"), Min: M, Max: R, Why: "TokenRequest minting a credential: the request body (audiences, expirationSeconds, boundObjectRef) holds no secret and shows a long-lived token (AG-DET-303); the response holds the token",
		Note: "Request is safe (the token is only in the response); RequestResponse writes every issued token into the log"},
	{ID: "serviceaccounts-create", Category: "persistence", Request: res("create", "", "serviceaccounts", "", "kube-system", ""), Min: M, Why: "service accounts created for persistence"},
	{ID: "csr-create", Category: "persistence", Request: res("create", "certificates.k8s.io", "certificatesigningrequests", "", "", ""), Min: M, Why: "client-certificate persistence: the body names the signer (AG-DET-306); a CSR holds a public key and, once issued, the certificate: no credential"},
	{ID: "csr-approval", Category: "persistence", Request: res("update", "certificates.k8s.io", "certificatesigningrequests", "approval", "", "csr-abc12"), Min: R, Why: "CSR approval outside the kubelet flows: the body says Approved or Denied and names the signer"},
	// Execution.
	{ID: "pods-create", Category: "privilege escalation", Request: res("create", "", "pods", "", "default", ""), Min: R, Why: "privileged, host-namespace and hostPath pods: detections read the pod spec in the body"},
	{ID: "pods-update", Category: "privilege escalation", Request: res("update", "", "pods", "", "default", "web-0"), Min: R, Why: "pod spec changes (images, sidecars)"},
	{ID: "pods-patch", Category: "privilege escalation", Request: res("patch", "", "pods", "", "default", "web-0"), Min: R, Why: "pod spec changes through patches"},
	{ID: "pods-exec-create", Category: "execution", Request: res("create", "", "pods", "exec", "default", "web-0"), Min: M, Why: "exec into a pod (the command is in requestURI); pods does not match pods/exec"},
	{ID: "pods-exec-get", Category: "execution", Request: res("get", "", "pods", "exec", "default", "web-0"), Min: M, Why: "exec over WebSocket is verb get"},
	{ID: "pods-attach-create", Category: "execution", Request: res("create", "", "pods", "attach", "default", "web-0"), Min: M, Why: "attach to a pod's process"},
	{ID: "pods-attach-get", Category: "execution", Request: res("get", "", "pods", "attach", "default", "web-0"), Min: M, Why: "attach over WebSocket is verb get"},
	{ID: "pods-portforward-create", Category: "execution", Request: res("create", "", "pods", "portforward", "default", "web-0"), Min: M, Why: "port-forward into the pod network"},
	{ID: "pods-portforward-get", Category: "execution", Request: res("get", "", "pods", "portforward", "default", "web-0"), Min: M, Why: "port-forward over WebSocket is verb get"},
	{ID: "pods-ephemeralcontainers", Category: "execution", Request: res("patch", "", "pods", "ephemeralcontainers", "default", "web-0"), Min: R, Why: "debug containers added to running pods: the body names the image and privileges"},
	{ID: "pods-proxy", Category: "execution", Request: res("get", "", "pods", "proxy", "default", "web-0"), Min: M, Why: "the API server proxying into a pod (CIS 3.2.2)"},
	{ID: "services-proxy", Category: "execution", Request: res("get", "", "services", "proxy", "default", "web"), Min: M, Why: "the API server proxying to a service (CIS 3.2.2)"},
	{ID: "nodes-proxy", Category: "privilege escalation", Request: res("get", "", "nodes", "proxy", "", "node-1"), Min: M, Why: "the kubelet API through the API server (/exec, /run, /pods)"},
	// RBAC.
	{ID: "clusterrolebindings-create", Category: "privilege escalation", Request: res("create", "rbac.authorization.k8s.io", "clusterrolebindings", "", "", ""), Min: R, Why: "bindings to cluster-admin or to system:anonymous / system:authenticated: the body names roleRef and subjects"},
	{ID: "rolebindings-create", Category: "privilege escalation", Request: res("create", "rbac.authorization.k8s.io", "rolebindings", "", "default", ""), Min: R, Why: "RoleBindings granting powerful roles"},
	{ID: "clusterroles-patch", Category: "privilege escalation", Request: res("patch", "rbac.authorization.k8s.io", "clusterroles", "", "", "view"), Min: R, Why: "wildcard or escalate/bind/impersonate rules added to a role (RequestResponse shows the result of a patch)"},
	{ID: "roles-update", Category: "privilege escalation", Request: res("update", "rbac.authorization.k8s.io", "roles", "", "default", "deployer"), Min: R, Why: "Roles widened to secrets, pods/exec or wildcards"},
	// Admission.
	{ID: "mutatingwebhooks-create", Category: "persistence", Request: res("create", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "", "", ""), Min: R, Why: "a mutating webhook sees (and changes) every matching object: the body names its URL and rules"},
	{ID: "validatingwebhooks-patch", Category: "defense evasion", Request: res("patch", "admissionregistration.k8s.io", "validatingwebhookconfigurations", "", "", "policy-enforcer"), Min: R, Why: "policy webhooks weakened (failurePolicy, rules)"},
	{ID: "validatingwebhooks-delete", Category: "defense evasion", Request: res("delete", "admissionregistration.k8s.io", "validatingwebhookconfigurations", "", "", "policy-enforcer"), Min: M, Why: "policy enforcement removed"},
	{ID: "validatingadmissionpolicies-create", Category: "defense evasion", Request: res("create", "admissionregistration.k8s.io", "validatingadmissionpolicies", "", "", ""), Min: R, Why: "admission policies added or replaced"},
	// Identity.
	{ID: "impersonation", Category: "privilege escalation", Request: res("list", "", "pods", "", "kube-system", ""), Min: M, Why: "impersonation of privileged identities (impersonatedUser is in the event)",
		Note: "evaluated as the impersonating user: kube-apiserver evaluates the policy before impersonation, so a rule naming the impersonated user never matches"},
	{ID: "anonymous-request", Category: "initial access", Request: res("list", "", "namespaces", "", "", ""), Fixed: &Anonymous, Min: M, Why: "requests by system:anonymous that authorization allowed"},
	{ID: "unauthenticated-request", Category: "initial access", Request: res("list", "", "secrets", "", "", ""), Fixed: &Unauthenticated, Min: M, Why: "401 sprays: a failed authentication has no user, so no rule with users or userGroups matches it"},
	{ID: "selfsubjectrulesreviews-create", Category: "discovery", Request: res("create", "authorization.k8s.io", "selfsubjectrulesreviews", "", "", ""), Min: M, Why: "permission self-review (kubectl auth can-i --list) by stolen credentials"},
	// Namespaces and workloads.
	{ID: "namespaces-create", Category: "persistence", Request: res("create", "", "namespaces", "", "", ""), Min: R, Why: "namespaces created with privileged Pod Security labels"},
	{ID: "namespaces-patch", Category: "defense evasion", Request: res("patch", "", "namespaces", "", "prod", "prod"), Min: R, Why: "pod-security.kubernetes.io/enforce relabelled to privileged"},
	{ID: "namespaces-delete", Category: "impact", Request: res("delete", "", "namespaces", "", "prod", "prod"), Min: M, Why: "mass deletion"},
	{ID: "nodes-create", Category: "initial access", Request: res("create", "", "nodes", "", "", ""), Min: M, Why: "untrusted node registration"},
	{ID: "services-create", Category: "initial access", Request: res("create", "", "services", "", "default", ""), Min: R, Why: "services exposed as NodePort or LoadBalancer: the body has the type"},
	{ID: "deployments-create", Category: "execution", Request: res("create", "apps", "deployments", "", "default", ""), Min: R, Why: "privileged or hostPath pod templates"},
	{ID: "deployments-patch", Category: "execution", Request: res("patch", "apps", "deployments", "", "default", "web"), Min: R, Why: "sidecars and images patched into templates"},
	{ID: "daemonsets-create", Category: "persistence", Request: res("create", "apps", "daemonsets", "", "kube-system", ""), Min: R, Why: "a pod on every node: the static-pod-like persistence"},
	{ID: "statefulsets-update", Category: "execution", Request: res("update", "apps", "statefulsets", "", "default", "db"), Min: R, Why: "pod template changes"},
	{ID: "replicasets-create", Category: "execution", Request: res("create", "apps", "replicasets", "", "default", ""), Min: R, Why: "pod templates"},
	{ID: "jobs-create", Category: "execution", Request: res("create", "batch", "jobs", "", "default", ""), Min: R, Why: "one-off privileged jobs"},
	{ID: "cronjobs-create", Category: "persistence", Request: res("create", "batch", "cronjobs", "", "default", ""), Min: R, Why: "scheduled persistence: jobTemplate"},
	// Defense evasion.
	{ID: "events-delete", Category: "defense evasion", Request: res("delete", "", "events", "", "default", "web-0.17a"), Min: M, Why: "traces removed"},
	{ID: "events-deletecollection", Category: "defense evasion", Request: res("deletecollection", "", "events", "", "default", ""), Min: M, Why: "traces removed in bulk"},
	{ID: "events.k8s.io-delete", Category: "defense evasion", Request: res("delete", "events.k8s.io", "events", "", "default", "web-0.17a"), Min: M, Why: "traces removed (events.k8s.io)"},
	// Non-resource URLs.
	{ID: "metrics", Category: "discovery", Request: nonres("get", "/metrics"), Min: M, Why: "API server internals read"},
	{ID: "debug-pprof", Category: "discovery", Request: nonres("get", "/debug/pprof/profile"), Min: M, Why: "profiling endpoints (memory contents, denial of service)"},
	{ID: "logs", Category: "discovery", Request: nonres("get", "/logs/"), Min: M, Why: "control-plane host logs through /logs"},
	{ID: "version", Category: "noise", Request: nonres("get", "/version"), Why: "health and version probes: high volume, little value"},
	{ID: "healthz", Category: "noise", Request: nonres("get", "/healthz"), Fixed: &Anonymous, Why: "health probes: high volume, little value"},
}

// canonical returns the need's request as identity id (or its fixed one).
func (n Need) canonical(id Identity) Request {
	if n.Fixed != nil {
		id = *n.Fixed
	}
	return id.apply(n.Request)
}

// identity returns who the need's request is evaluated as.
func (n Need) identity(id Identity) Identity {
	if n.Fixed != nil {
		return *n.Fixed
	}
	return id
}

// NeedByID returns a need by its ID.
func NeedByID(id string) (Need, bool) {
	for _, n := range Needs {
		if n.ID == id {
			return n, true
		}
	}
	return Need{}, false
}

// What kube-apiserver writes into an event (k8s.io/apiserver
// endpoints/handlers): at Request the request body of a create, an update
// or a patch (audit.LogRequestObject, LogRequestPatch; a delete's body is
// DeleteOptions, and a get, list or watch has none); at RequestResponse
// also the response (responsewriters.WriteObjectNegotiated calls
// audit.LogResponseObject), except a watch's: its events are streamed and
// never logged.
var bodyVerbs = []string{"create", "update", "patch"}

// responseLogged reports whether the response of a request of verb is
// written into the event at RequestResponse.
func responseLogged(verb string) bool { return verb != "watch" }

// sensitiveResource is a resource whose bodies hold credentials.
type sensitiveResource struct {
	group, resource, sub string
	verbs                []string
	what                 string
	severe               bool // high (credentials) rather than medium
	// inRequest: the request body of a write holds the credential;
	// inResponse: the response does. A TokenRequest's request body
	// (audiences, expirationSeconds, boundObjectRef) holds no secret, the
	// issued token is in its status.
	inRequest, inResponse bool
}

// CertificateSigningRequests are not here: a CSR holds a PKCS#10 request
// (a public key and the subject; the private key never leaves the
// requester), the requester's identity, and once issued the certificate,
// which is public. Nothing in it authenticates anyone.
var sensitiveResources = []sensitiveResource{
	{"", "secrets", "", []string{"get", "list", "watch", "create", "update", "patch", "delete"}, "Secrets (their data)", true, true, true},
	{"", "configmaps", "", []string{"get", "list", "watch", "create", "update", "patch", "delete"}, "ConfigMaps (often credentials; CIS 3.2.2)", false, true, true},
	{"authentication.k8s.io", "tokenreviews", "", []string{"create"}, "TokenReviews (the bearer token under review)", true, true, true},
	{"", "serviceaccounts", "token", []string{"create"}, "TokenRequests (serviceaccounts/token: the issued token, in the response)", true, false, true},
}

// sensitiveFor returns the entry of sensitiveResources for a request's
// resource, whatever its verb.
func sensitiveFor(r Request) (sensitiveResource, bool) {
	for _, s := range sensitiveResources {
		if s.group == r.APIGroup && s.resource == r.Resource && s.sub == r.Subresource {
			return s, true
		}
	}
	return sensitiveResource{}, false
}

// leaks reports whether a request of verb for s, logged at level l, writes
// the credential into the log.
func (s sensitiveResource) leaks(verb string, l audit.Level) bool {
	if !contains(s.verbs, verb) {
		return false
	}
	if s.inRequest && levelRank(l) >= levelRank(audit.LevelRequest) && contains(bodyVerbs, verb) {
		return true
	}
	return s.inResponse && levelRank(l) >= levelRank(audit.LevelRequestResponse) && responseLogged(verb)
}

// CredentialLimit says whether a request's bodies carry credentials (by
// the catalogue lint rule AP004 checks) and, if so, the highest level a
// policy can record it at without writing them into the log: Metadata
// when the request body holds them (a Secret's create), Request when only
// the response does (a Secret's get, a TokenRequest). A request whose
// logged bodies never hold them (a watch of Secrets) has no limit. what
// describes the resource ("Secrets (their data)").
func CredentialLimit(r Request) (max audit.Level, what string, ok bool) {
	s, found := sensitiveFor(r)
	switch {
	case !found:
		return "", "", false
	case s.leaks(r.Verb, audit.LevelRequest):
		return audit.LevelMetadata, s.what, true
	case s.leaks(r.Verb, audit.LevelRequestResponse):
		return audit.LevelRequest, s.what, true
	}
	return "", "", false
}
