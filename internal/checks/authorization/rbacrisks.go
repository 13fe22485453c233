package authorization

import (
	"fmt"
	"slices"
	"sort"

	"github.com/apiguard/apiguard/internal/check"
	"github.com/apiguard/apiguard/internal/checks/rbacinput"
	"github.com/apiguard/apiguard/internal/inputs"
	"github.com/apiguard/apiguard/internal/rbac"
)

// The escalation risks of the Kubernetes RBAC good-practices guide, one
// check per risk. Each finding is one subject that holds every half of the
// risk, in a scope: cluster-wide (fail) or in namespaces (warn, one
// severity lower: the namespace bounds it, unless the analysis finds a path
// onwards, which the admin-power checks report). Kubernetes' own principals
// holding a risk by an unmodified default are not reported, and neither are
// direct cluster admins (AG-ADMIN-005 reports them: they hold everything).

const goodPractices = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks"

var goodPracticesRef = check.Reference{Title: "RBAC good practices: privilege escalation risks", URL: goodPractices}

func riskMeta(id string, sev check.Severity, title, rationale, remediation string, refs ...check.Reference) check.Metadata {
	return check.Metadata{
		ID: id, Title: title, Layer: check.Authorization, Severity: sev,
		Rationale: rationale, Remediation: remediation,
		References: append([]check.Reference{goodPracticesRef}, refs...),
		Inputs:     []check.Input{check.InputRBAC},
	}
}

func riskCheck(kind rbac.RiskKind, m check.Metadata) check.Check {
	return rbacinput.Check(m, func(m check.Metadata, s *inputs.Snapshot, a *rbac.Analysis) []check.Finding {
		return riskFindings(m, kind, s, a)
	})
}

func riskFindings(m check.Metadata, kind rbac.RiskKind, s *inputs.Snapshot, a *rbac.Analysis) []check.Finding {
	direct := map[rbac.SubjectRef]bool{}
	for _, ad := range a.Admins {
		if ad.Direct {
			direct[ad.Subject] = true
		}
	}
	type holder struct {
		subject    rbac.SubjectRef
		cluster    *rbac.Risk
		namespaces []*rbac.Risk
	}
	holders := map[rbac.SubjectRef]*holder{}
	builtin := 0
	for i := range a.Risks {
		r := &a.Risks[i]
		if r.Kind != kind {
			continue
		}
		if r.Builtin || direct[r.Subject] {
			builtin++
			continue
		}
		h := holders[r.Subject]
		if h == nil {
			h = &holder{subject: r.Subject}
			holders[r.Subject] = h
		}
		if r.Namespace == "" {
			h.cluster = r
		} else {
			h.namespaces = append(h.namespaces, r)
		}
	}
	if len(holders) == 0 {
		msg := "no subject beyond Kubernetes' own principals and the cluster admins holds this"
		if builtin > 0 {
			msg += fmt.Sprintf(" (%d held by defaults or cluster admins)", builtin)
		}
		return []check.Finding{m.Result(check.Pass, rbacinput.Resource, msg)}
	}
	subjects := make([]rbac.SubjectRef, 0, len(holders))
	for s := range holders {
		subjects = append(subjects, s)
	}
	sort.Slice(subjects, func(i, j int) bool { return subjectLess(subjects[i], subjects[j]) })
	var out []check.Finding
	for _, sub := range subjects {
		h := holders[sub]
		if r := h.cluster; r != nil {
			f := m.Result(check.Fail, sub.String(), fmt.Sprintf("%s holds %s cluster-wide", sub, r.Detail), riskEvidence(r)...)
			f.Path = []check.Step{{Action: r.Detail + " in every namespace", Via: rbacinput.Via(r.Grants)}}
			out = append(out, f)
			continue // the namespaces add nothing to a cluster-wide grant
		}
		var names []string
		var ev []check.Evidence
		var path []check.Step
		for _, r := range h.namespaces {
			names = append(names, r.Namespace)
			ev = append(ev, riskEvidence(r)...)
			path = append(path, check.Step{Action: r.Detail + " in namespace " + r.Namespace, Via: rbacinput.Via(r.Grants)})
		}
		f := m.Result(check.Warn, sub.String(), fmt.Sprintf("%s holds %s in namespace(s) %s", sub, h.namespaces[0].Detail, rbacinput.Names(names, 5)), ev...)
		if f.Severity > check.Low {
			f.Severity--
		}
		if kind == rbac.RiskNamespaceAdmin && slices.Contains(names, systemNamespace) {
			// kube-system bounds nothing: its ServiceAccounts are the
			// controllers' (the clusterrole-aggregation-controller may
			// escalate ClusterRoles) and its Secrets include bootstrap
			// tokens.
			f.Status, f.Severity = check.Fail, m.Severity
			f.Message += "; full control of kube-system is control of the cluster: pods there run as the controllers' " +
				"ServiceAccounts (AG-ADMIN-006 names the path)"
		}
		f.Path = path
		out = append(out, f)
	}
	return out
}

// systemNamespace holds the control plane's ServiceAccounts and Secrets.
const systemNamespace = "kube-system"

// riskEvidence is one item per grant: the binding and role, and the rule.
func riskEvidence(r *rbac.Risk) []check.Evidence {
	var ev []check.Evidence
	seen := map[string]bool{}
	for _, g := range r.Grants {
		v := rbacinput.GrantText(g)
		if seen[v+g.Rule] {
			continue
		}
		seen[v+g.Rule] = true
		scope := "cluster-wide"
		if r.Namespace != "" {
			scope = "namespace " + r.Namespace
		}
		ev = append(ev, check.Evidence{Key: string(r.Kind) + " (" + scope + ")", Value: g.Rule, Source: v})
	}
	return ev
}

func subjectLess(a, b rbac.SubjectRef) bool {
	if a.Kind != b.Kind {
		return kindOrder(a.Kind) < kindOrder(b.Kind)
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

func kindOrder(k string) int {
	switch k {
	case rbac.KindUser:
		return 0
	case rbac.KindGroup:
		return 1
	}
	return 2
}

// The checks, in ID order.
var (
	RBACNamespaceAdmin = riskCheck(rbac.RiskNamespaceAdmin, riskMeta("AG-AUTHZ-011", check.Medium,
		"No RoleBinding grants full control of a namespace",
		"A RoleBinding to cluster-admin (or to any role allowing every verb on every resource, or on every resource "+
			"of the core API group: Secrets, pods and their exec, ServiceAccount tokens) makes its subjects "+
			"administrators of the namespace: they can read its Secrets, run pods as any of its ServiceAccounts, and "+
			"grant all of it on. Tools that report this as cluster-admin exaggerate; tools that ignore it miss full "+
			"control of everything in the namespace. In kube-system it is a fail at full severity: the controllers' "+
			"ServiceAccounts live there, and full control of it leads to cluster-admin.",
		"Bind the aggregated ClusterRoles admin or edit instead, or a Role listing what the subjects need; keep "+
			"*/*/* grants for break-glass accounts.",
		check.Reference{Title: "User-facing roles", URL: "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles"}))

	RBACSecretsRead = riskCheck(rbac.RiskSecretsRead, riskMeta("AG-AUTHZ-012", check.High,
		"Only trusted subjects can read Secrets",
		"get, list and watch on Secrets reveal their contents: list and watch return every Secret with its data "+
			"(kubectl get secrets -A -o yaml). A legacy ServiceAccount token among them lets the reader act as that "+
			"ServiceAccount, which the admin-power checks follow further.",
		"Remove secrets from the roles of people and workloads that do not manage them; give controllers get on "+
			"the named Secrets they use (resourceNames) rather than list/watch."))

	RBACWorkloadCreate = riskCheck(rbac.RiskWorkloadCreate, riskMeta("AG-AUTHZ-013", check.High,
		"Only trusted subjects can create workloads",
		"Whoever creates a pod, or a Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob or "+
			"ReplicationController that makes pods, chooses its ServiceAccount and volumes: they gain the API access of "+
			"every ServiceAccount in the namespace and every Secret, ConfigMap and volume mountable there, and with a "+
			"privileged pod the node itself unless Pod Security admission enforces baseline or restricted. update or "+
			"patch on pods is the same for the pods that run: a container's image is mutable, and the new image runs "+
			"with the pod's ServiceAccount token (kubectl set image pod/NAME).",
		"Grant workload creation through GitOps or CI identities rather than people; keep privileged "+
			"ServiceAccounts out of namespaces where others create workloads; enforce the baseline or restricted Pod "+
			"Security Standard on the namespace; remove update and patch on pods from roles that only need to read or "+
			"delete them."))

	RBACPVCreate = riskCheck(rbac.RiskPVCreate, riskMeta("AG-AUTHZ-014", check.High,
		"Only storage administrators can create PersistentVolumes",
		"A PersistentVolume can be a hostPath volume: whoever creates one and a pod that claims it reads and "+
			"writes the node's filesystem (kubelet credentials, other pods' tokens, the container runtime socket).",
		"Let users claim storage through PersistentVolumeClaims and StorageClasses; keep create on "+
			"persistentvolumes for provisioners and storage administrators."))

	RBACNodesProxy = riskCheck(rbac.RiskNodesProxy, riskMeta("AG-AUTHZ-015", check.Critical,
		"No subject can reach the kubelet API through nodes/proxy",
		"nodes/proxy reaches the kubelet API of every node: run commands in any pod there and read its "+
			"ServiceAccount token, bypassing admission and the API server's audit of exec. get is enough: the "+
			"kubelet's exec endpoint is reached with a websocket GET, so a 'read-only' monitoring role with get "+
			"nodes/proxy is a cluster-wide exec right.",
		"Give monitoring agents nodes/metrics and nodes/stats (or the kubelet's fine-grained authorization) "+
			"instead of nodes/proxy; remove nodes/proxy from every role that does not administer nodes.",
		check.Reference{Title: "Kubelet authorization", URL: "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/#kubelet-authorization"}))

	RBACEscalate = riskCheck(rbac.RiskEscalate, riskMeta("AG-AUTHZ-016", check.Critical,
		"No subject can write roles with the escalate verb",
		"RBAC stops a subject from writing a role that grants more than it holds, unless it has the escalate "+
			"verb on roles. escalate plus create, update or patch on roles (or clusterroles) lets it write any "+
			"permission, including into a role already bound to itself. escalate alone does nothing: it is reported "+
			"only with the write.",
		"Remove escalate; let administrators own roles. Controllers that aggregate roles need it only for their "+
			"own ClusterRoles, by resourceNames.",
		check.Reference{Title: "Restrictions on role creation or update", URL: "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#restrictions-on-role-creation-or-update"}))

	RBACBind = riskCheck(rbac.RiskBind, riskMeta("AG-AUTHZ-017", check.Critical,
		"No subject can bind roles it does not hold",
		"The bind verb on a role lets a subject create bindings to it without holding its permissions; with "+
			"create, update or patch on (cluster)rolebindings it can bind cluster-admin to itself. bind alone, or bind "+
			"on the binding resources (a no-op), is not reported.",
		"Remove bind, or restrict it with resourceNames to the few roles a delegated administrator may hand out.",
		check.Reference{Title: "Restrictions on role binding creation or update", URL: "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#restrictions-on-role-binding-creation-or-update"}))

	RBACImpersonate = riskCheck(rbac.RiskImpersonate, riskMeta("AG-AUTHZ-018", check.Critical,
		"No subject can impersonate other users, groups or ServiceAccounts",
		"impersonate on users, groups or serviceaccounts lets a subject send requests as another identity "+
			"(kubectl --as, --as-group): impersonating the group system:masters, or a user bound to cluster-admin, "+
			"is cluster-admin.",
		"Remove impersonate, or restrict it with resourceNames to the identities a support tool must act as.",
		check.Reference{Title: "User impersonation", URL: "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation"}))

	RBACCSRMint = riskCheck(rbac.RiskCSRMint, riskMeta("AG-AUTHZ-019", check.Critical,
		"No subject can both request and approve client certificates",
		"create on certificatesigningrequests, update on certificatesigningrequests/approval and approve on the "+
			"kubernetes.io/kube-apiserver-client signer together let a subject mint a client certificate for any "+
			"user and group except system:masters, valid until it expires: no binding can be removed to revoke it. "+
			"Each half alone is harmless and not reported.",
		"Split requesting and approving between different identities; restrict approve on signers with "+
			"resourceNames to the signers an approver really handles.",
		check.Reference{Title: "Certificates and certificate signing requests", URL: "https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/#authorization"}))

	RBACTokenRequest = riskCheck(rbac.RiskTokenRequest, riskMeta("AG-AUTHZ-020", check.High,
		"Only trusted subjects can request ServiceAccount tokens",
		"create on serviceaccounts/token issues a token for an existing ServiceAccount (kubectl create token): "+
			"the subject gains that ServiceAccount's permissions for as long as the token is valid.",
		"Remove create on serviceaccounts/token, or restrict it with resourceNames to the ServiceAccounts a "+
			"tool must issue tokens for."))

	RBACWebhookWrite = riskCheck(rbac.RiskWebhookWrite, riskMeta("AG-AUTHZ-021", check.Critical,
		"Only cluster administrators can change admission webhooks",
		"A validating webhook configuration decides which objects the API server sends to a webhook: whoever "+
			"writes one reads every admitted object, Secrets included. A mutating webhook also rewrites them: it can "+
			"add a privileged container or another ServiceAccount to every pod created.",
		"Keep create, update and patch on validatingwebhookconfigurations and mutatingwebhookconfigurations for "+
			"cluster administrators and the operators that own their webhooks (by resourceNames)."))

	RBACNamespacePatch = riskCheck(rbac.RiskNamespacePatch, riskMeta("AG-AUTHZ-022", check.High,
		"Only cluster administrators can relabel namespaces",
		"patch or update on a Namespace changes its labels: the pod-security.kubernetes.io/enforce label (relax "+
			"Pod Security admission to privileged, then run a privileged pod) and the labels NetworkPolicies select "+
			"namespaces by. A RoleBinding granting it reaches its own namespace object, so a namespace owner can "+
			"lift its own restrictions.",
		"Remove patch and update on namespaces from namespace-scoped roles; manage namespace labels from "+
			"GitOps under administrator review, or protect them with a ValidatingAdmissionPolicy.",
		check.Reference{Title: "Pod Security Admission labels", URL: "https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-admission-labels-for-namespaces"}))

	RBACPodExec = riskCheck(rbac.RiskPodExec, riskMeta("AG-AUTHZ-023", check.High,
		"Only trusted subjects can exec or attach into pods",
		"create on pods/exec or pods/attach (or a write on pods/ephemeralcontainers) runs commands in a running "+
			"container: its mounted ServiceAccount token, Secrets and network position become the subject's. Since "+
			"Kubernetes 1.35 a websocket exec also needs create, so get on pods/exec alone is not reported.",
		"Keep exec and attach for on-call break-glass roles, bound for a time; debug through logs and metrics."))
)

// riskChecks are the escalation-risk checks in ID order.
var riskChecks = []check.Check{RBACNamespaceAdmin, RBACSecretsRead, RBACWorkloadCreate, RBACPVCreate, RBACNodesProxy,
	RBACEscalate, RBACBind, RBACImpersonate, RBACCSRMint, RBACTokenRequest, RBACWebhookWrite, RBACNamespacePatch, RBACPodExec}
