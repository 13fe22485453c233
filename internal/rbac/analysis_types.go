package rbac

// The types of the RBAC analysis: who holds cluster-admin power or can reach
// it, which escalation risks each subject holds, and which bindings are
// suspicious in themselves. Policy.Analysis computes them once per Policy;
// the CLI (rbac admins, rbac paths) and the scan's authorization and
// admin-power checks read them.

// SubjectRef names one subject: a User, a Group or a ServiceAccount
// (Namespace set for ServiceAccounts only).
type SubjectRef struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// String is "User NAME", "Group NAME" or "ServiceAccount NS/NAME".
func (s SubjectRef) String() string {
	if s.Kind == KindServiceAccount {
		return s.Kind + " " + s.Namespace + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

// Step is one hop of an escalation path: what the subject does (Action,
// naming whom it becomes) and the grant that allows it (Via: "RoleBinding
// NS/NAME → ClusterRole NAME", several grants joined by "; "). It has the
// shape of check.Step.
type Step struct {
	Action string     `json:"action"`
	Via    string     `json:"via"`
	To     SubjectRef `json:"-"` // the subject this step makes one act as
	// Default: every grant of the step is an unmodified Kubernetes default.
	Default bool `json:"-"`
	// Assumed: a grant of the step is (or binds) a built-in the input did
	// not define, assumed to exist (Policy.Builtins); Via says which.
	Assumed bool `json:"assumed,omitempty"`
}

// Admin is a subject that holds cluster-admin power (Direct: its own rules
// allow every verb on every resource of every group cluster-wide) or can
// reach a subject that does. Path is the shortest way there: for a direct
// admin the grant itself, one step.
type Admin struct {
	Subject SubjectRef `json:"subject"`
	Direct  bool       `json:"direct"`
	Path    []Step     `json:"path"`
	// Builtin marks Kubernetes' own principals (system:masters, the
	// control-plane components and controllers) that hold this power by
	// an unmodified default binding; users act on the others.
	Builtin bool `json:"builtin,omitempty"`
	// DefaultPrincipal: the subject is one of Kubernetes' own principals
	// (Builtin or not: its path may run through a user-made grant).
	DefaultPrincipal bool `json:"-"`
}

// RiskKind names one escalation risk of the Kubernetes RBAC good-practices
// guide (and namespace-scoped cluster-admin).
type RiskKind string

// The escalation risks. Each is reported only when all its halves are held
// in the same scope.
const (
	RiskNamespaceAdmin RiskKind = "namespace-admin" // */*/* in one namespace (RoleBinding to cluster-admin)
	RiskSecretsRead    RiskKind = "secrets-read"    // get/list/watch secrets
	RiskWorkloadCreate RiskKind = "workload-create" // create pods or a pod controller: act as any ServiceAccount of the namespace
	RiskPVCreate       RiskKind = "pv-create"       // create persistentvolumes (hostPath)
	RiskNodesProxy     RiskKind = "nodes-proxy"     // get/create nodes/proxy: kubelet API, exec in every pod of a node
	RiskEscalate       RiskKind = "escalate"        // escalate + write on roles
	RiskBind           RiskKind = "bind"            // bind on a role + write on bindings
	RiskImpersonate    RiskKind = "impersonate"     // impersonate users, groups or serviceaccounts
	RiskCSRMint        RiskKind = "csr-mint"        // create CSRs + update approval + approve on a client signer
	RiskTokenRequest   RiskKind = "token-request"   // create serviceaccounts/token
	RiskWebhookWrite   RiskKind = "webhook-write"   // write admission webhook configurations
	RiskNamespacePatch RiskKind = "namespace-patch" // patch/update namespaces (Pod Security labels)
	RiskPodExec        RiskKind = "pod-exec"        // exec/attach/ephemeral containers in pods
)

// Risk is one escalation risk held by one subject in one scope, with every
// grant that forms it (all halves).
type Risk struct {
	Kind      RiskKind   `json:"kind"`
	Subject   SubjectRef `json:"subject"`
	Namespace string     `json:"namespace,omitempty"` // "" is cluster-wide
	// Detail says what exactly is held, e.g. "create pods, deployments.apps".
	Detail string  `json:"detail"`
	Grants []Grant `json:"grants"`
	// Names are the object names the risk is restricted to (the rules'
	// resourceNames: Secrets, ServiceAccounts, pods, nodes, namespaces; for
	// bind the roles that may be bound); empty when any name is allowed.
	Names []string `json:"names,omitempty"`
	// Builtin: the subject is a Kubernetes default principal and every grant
	// is an unmodified default binding.
	Builtin bool `json:"builtin,omitempty"`
}

// BindingIssueKind names a problem of a binding in itself.
type BindingIssueKind string

// The binding issues.
const (
	// IssuePublicSubject: a binding beyond the defaults to system:anonymous,
	// system:unauthenticated or system:authenticated.
	IssuePublicSubject BindingIssueKind = "public-subject"
	// IssueMissingSubject: a ServiceAccount subject that does not exist
	// (whoever creates it inherits the rights); reported only when the
	// namespace's ServiceAccounts were loaded.
	IssueMissingSubject BindingIssueKind = "missing-subject"
	// IssueMissingRole: a roleRef to a role that does not exist (whoever
	// creates it decides what the subjects get).
	IssueMissingRole BindingIssueKind = "missing-role"
)

// BindingIssue is one problem of one binding.
type BindingIssue struct {
	Kind    BindingIssueKind `json:"kind"`
	Binding string           `json:"binding"` // "RoleBinding NS/NAME"
	Subject *SubjectRef      `json:"subject,omitempty"`
	Role    string           `json:"role"` // "ClusterRole NAME"
	Detail  string           `json:"detail"`
	Source  string           `json:"source,omitempty"`
}

// Analysis is what Policy.Analysis computes.
type Analysis struct {
	Admins        []Admin        // sorted by kind, namespace, name
	Risks         []Risk         // sorted by kind, subject, namespace
	BindingIssues []BindingIssue // sorted by kind, binding

	graph *graph // for Paths
}
