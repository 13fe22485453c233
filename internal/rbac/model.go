package rbac

import (
	rbacv1 "k8s.io/api/rbac/v1"
)

// Kinds of roles, bindings and subjects, spelled as RBAC spells them.
const (
	KindClusterRole        = "ClusterRole"
	KindRole               = "Role"
	KindClusterRoleBinding = "ClusterRoleBinding"
	KindRoleBinding        = "RoleBinding"
	KindUser               = rbacv1.UserKind           // "User"
	KindGroup              = rbacv1.GroupKind          // "Group"
	KindServiceAccount     = rbacv1.ServiceAccountKind // "ServiceAccount"

	// KindPrivilegedGroup is the BindingKind of the grant kube-apiserver
	// gives the system:masters group before any authorizer (RBAC included)
	// is asked: pkg/kubeapiserver/authorizer/reload.go adds
	// authorizerfactory.NewPrivilegedGroups(user.SystemPrivilegedGroup)
	// first. No binding can revoke it.
	KindPrivilegedGroup = "PrivilegedGroup"
	// PrivilegedGroup is that group.
	PrivilegedGroup = "system:masters"
)

// Annotation and label that mark the objects kube-apiserver creates and
// reconciles from its bootstrap policy.
const (
	AutoupdateAnnotation = "rbac.authorization.kubernetes.io/autoupdate"
	BootstrapLabel       = "kubernetes.io/bootstrapping"
	BootstrapLabelValue  = "rbac-defaults"
)

// Role is a ClusterRole or a Role with the rules the server enforces.
type Role struct {
	Kind        string // KindClusterRole or KindRole
	Namespace   string // "" for a ClusterRole
	Name        string
	Labels      map[string]string
	Annotations map[string]string
	Rules       []rbacv1.PolicyRule
	// AggregationRule is set on aggregated ClusterRoles (admin, edit, view, ...).
	AggregationRule *rbacv1.AggregationRule
	// Aggregated is true when Rules were computed from AggregationRule
	// because the input carried none (the aggregation controller had not
	// run, or the dump is a manifest).
	Aggregated bool
	// Default is true for an unmodified Kubernetes default (bootstrap
	// policy); DefaultNote says why it is, or why a look-alike is not.
	Default     bool
	DefaultNote string
	// Source is where the object was read: "file:line", or "live"
	// (AssumedSource for an assumed built-in).
	Source string
	// Assumed: the input did not define this Kubernetes default; it is
	// kube-apiserver's bootstrap definition, assumed to exist (see
	// Builder.AssumeBuiltins).
	Assumed bool

	id int32
}

// String is "ClusterRole NAME" or "Role NS/NAME".
func (r *Role) String() string { return kindName(r.Kind, r.Namespace, r.Name) }

// kindName names an object in messages: "KIND NAME" when it is
// cluster-scoped (namespace ""), "KIND NS/NAME" otherwise.
func kindName(kind, namespace, name string) string {
	if namespace == "" {
		return kind + " " + name
	}
	return kind + " " + namespace + "/" + name
}

// Binding is a ClusterRoleBinding or a RoleBinding.
type Binding struct {
	Kind        string // KindClusterRoleBinding or KindRoleBinding
	Namespace   string // "" for a ClusterRoleBinding
	Name        string
	Labels      map[string]string
	Annotations map[string]string
	RoleRef     rbacv1.RoleRef
	Subjects    []rbacv1.Subject
	// Role is the role RoleRef resolves to; nil when it names a role that
	// does not exist, in which case the binding grants nothing (the
	// authorizer's GetRoleReferenceRules fails for it).
	Role        *Role
	Default     bool
	DefaultNote string
	Source      string
	// Assumed: an assumed built-in, as Role.Assumed.
	Assumed bool
}

// String is "ClusterRoleBinding NAME" or "RoleBinding NS/NAME".
func (b *Binding) String() string { return kindName(b.Kind, b.Namespace, b.Name) }

// ServiceAccount is the part of a ServiceAccount the engine needs.
type ServiceAccount struct {
	Namespace   string
	Name        string
	Labels      map[string]string
	Annotations map[string]string
	// AutomountToken is the ServiceAccount's automountServiceAccountToken.
	AutomountToken *bool
	Source         string
}

// Username is "system:serviceaccount:NS:NAME".
func (s ServiceAccount) Username() string { return ServiceAccountUsername(s.Namespace, s.Name) }

// Namespace is a namespace's name and labels (Pod Security levels live there).
type Namespace struct {
	Name   string
	Labels map[string]string
	Source string
}

// Pod is a pod's identity: which ServiceAccount it runs as, on which node.
type Pod struct {
	Namespace          string
	Name               string
	ServiceAccountName string // spec.serviceAccountName as stored (admission sets it; mirror pods have none)
	NodeName           string // spec.nodeName
	Source             string
}

// Node is a node's name and labels.
type Node struct {
	Name   string
	Labels map[string]string
	Source string
}

// Secret is the metadata of a token Secret, never its data. Only Secrets
// of type kubernetes.io/service-account-token and
// bootstrap.kubernetes.io/token are kept.
type Secret struct {
	Namespace string
	Name      string
	Type      string
	// ServiceAccountName is the kubernetes.io/service-account.name
	// annotation: the ServiceAccount a legacy token Secret authenticates as.
	ServiceAccountName string
	Labels             map[string]string
	Source             string
}

// Secret types the model keeps; every other Secret is ignored.
const (
	SecretTypeServiceAccountToken = "kubernetes.io/service-account-token"
	SecretTypeBootstrapToken      = "bootstrap.kubernetes.io/token"
	// ServiceAccountNameAnnotation names the ServiceAccount of a token Secret.
	ServiceAccountNameAnnotation = "kubernetes.io/service-account.name"
)

// Request is one question to the authorizer, as authorizer.Attributes
// carries it. A Path makes it a non-resource request (/healthz, /metrics);
// otherwise it is a resource request.
type Request struct {
	User   string
	Groups []string // as authenticated; the implicit groups are added by the engine

	Verb        string
	APIGroup    string // "" is the core group
	Resource    string
	Subresource string
	Name        string
	Namespace   string // "" is cluster-wide: only ClusterRoleBindings apply

	Path string // non-resource URL
}

// IsResourceRequest reports whether r asks about a resource (not a URL path).
func (r Request) IsResourceRequest() bool { return r.Path == "" }

// Grant explains one allow: which binding, for which of its subjects, bound
// which role, whose rule matched.
type Grant struct {
	BindingKind      string `json:"bindingKind"`
	BindingName      string `json:"bindingName"`
	BindingNamespace string `json:"bindingNamespace,omitempty"`
	RoleKind         string `json:"roleKind,omitempty"`
	RoleName         string `json:"roleName,omitempty"`
	// RuleIndex is the index of the matching rule in the role's Rules, or
	// -1 for the privileged-group grant.
	RuleIndex int `json:"ruleIndex"`
	// Rule is the matching rule in upstream's CompactString form.
	Rule string `json:"rule"`
	// Subject is the binding's subject that matched: the user itself, one
	// of its groups (system:authenticated, ...) or its ServiceAccount (a
	// RoleBinding's ServiceAccount subject without a namespace is shown
	// with the binding's, as the authorizer reads it).
	Subject rbacv1.Subject `json:"subject"`
	// Assumed says which of the binding and its role are assumed
	// built-ins, not read from the input: "binding", "role", "binding and
	// role", or "".
	Assumed string `json:"assumed,omitempty"`
}

// assumedOf is Grant.Assumed for a binding.
func assumedOf(x *Binding) string {
	role := x.Role != nil && x.Role.Assumed
	switch {
	case x.Assumed && role:
		return "binding and role"
	case x.Assumed:
		return "binding"
	case role:
		return "role"
	}
	return ""
}

// AssumedNote is " (built-in role, assumed)" and the like for a grant
// whose binding or role is an assumed built-in, "" otherwise: what the
// text outputs append to "BINDING → ROLE".
func (g Grant) AssumedNote() string {
	if g.Assumed == "" {
		return ""
	}
	return " (built-in " + g.Assumed + ", assumed)"
}

// Binding is "ClusterRoleBinding NAME", "RoleBinding NS/NAME" or
// "PrivilegedGroup system:masters".
func (g Grant) Binding() string { return kindName(g.BindingKind, g.BindingNamespace, g.BindingName) }

// Role is "ClusterRole NAME" or "Role NS/NAME" ("" for the privileged group).
func (g Grant) Role() string {
	switch {
	case g.RoleKind == "":
		return ""
	case g.RoleKind == KindRole:
		return g.RoleKind + " " + g.BindingNamespace + "/" + g.RoleName
	default:
		return g.RoleKind + " " + g.RoleName
	}
}

// String is "BINDING → ROLE", with AssumedNote.
func (g Grant) String() string {
	if g.RoleKind == "" {
		return g.Binding() + " (" + g.Rule + ")"
	}
	return g.Binding() + " → " + g.Role() + g.AssumedNote()
}

// Subject is a binding subject that may perform a request, with every
// grant that allows it. Groups are listed as groups, never expanded.
type Subject struct {
	Kind      string  `json:"kind"` // KindUser, KindGroup or KindServiceAccount
	Name      string  `json:"name"`
	Namespace string  `json:"namespace,omitempty"` // ServiceAccounts only
	Grants    []Grant `json:"grants,omitempty"`
}

// String is "User NAME", "Group NAME" or "ServiceAccount NS/NAME".
func (s Subject) String() string {
	if s.Kind == KindServiceAccount {
		return s.Kind + " " + s.Namespace + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

// EffectiveRule is one rule a subject holds and where: Namespace "" is
// cluster-wide (granted by a ClusterRoleBinding), otherwise the namespace
// of the RoleBinding that grants it.
type EffectiveRule struct {
	Rule      rbacv1.PolicyRule
	Namespace string
	Grant     Grant
}

// Problem is an input that could not be used, fully or in part, or a
// warning about the model (missing roleRef, aggregation drift). The
// Snapshot (package inputs, above this one) calls it inputs.Problem and
// holds the problems of every input in it.
type Problem struct {
	// Source is "file:line" or another locator.
	Source  string `json:"source"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Source == "" {
		return p.Message
	}
	return p.Source + ": " + p.Message
}
