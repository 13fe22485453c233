// Package guardrails generates ValidatingAdmissionPolicies (CEL, evaluated
// in kube-apiserver, no webhook) that block the escalations apiguard finds,
// for everyone but the cluster's admins and the control plane, and replays
// logged write requests through them (replay.go) with kube-apiserver's own
// policy evaluator.
package guardrails

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Action is the rollout stage of the bindings.
type Action string

const (
	// Audit records what would be denied in the audit log's annotations.
	Audit Action = "audit"
	// Warn also returns a warning to the client.
	Warn Action = "warn"
	// Deny refuses the request (and records it).
	Deny Action = "deny"
)

// ParseAction reads --action.
func ParseAction(s string) (Action, error) {
	switch a := Action(s); a {
	case Audit, Warn, Deny:
		return a, nil
	}
	return "", fmt.Errorf("--action %q: want audit, warn or deny", s)
}

func (a Action) validationActions() []admissionv1.ValidationAction {
	switch a {
	case Deny:
		return []admissionv1.ValidationAction{admissionv1.Deny, admissionv1.Audit}
	case Warn:
		return []admissionv1.ValidationAction{admissionv1.Warn, admissionv1.Audit}
	}
	return []admissionv1.ValidationAction{admissionv1.Audit}
}

// Subject is an identity the guardrails do not apply to.
type Subject struct {
	Kind      string // User, Group or ServiceAccount
	Name      string
	Namespace string
}

// ParseSubject reads user:NAME, group:NAME, sa:NS/NAME or
// system:serviceaccount:NS:NAME.
func ParseSubject(s string) (Subject, error) {
	kind, rest, ok := strings.Cut(s, ":")
	switch {
	case ok && kind == "user" && rest != "":
		return Subject{Kind: "User", Name: rest}, nil
	case ok && kind == "group" && rest != "":
		return Subject{Kind: "Group", Name: rest}, nil
	case ok && kind == "sa":
		if ns, name, ok := strings.Cut(rest, "/"); ok && ns != "" && name != "" {
			return Subject{Kind: "ServiceAccount", Namespace: ns, Name: name}, nil
		}
	case strings.HasPrefix(s, "system:serviceaccount:"):
		parts := strings.Split(s, ":")
		if len(parts) == 4 && parts[2] != "" && parts[3] != "" {
			return Subject{Kind: "ServiceAccount", Namespace: parts[2], Name: parts[3]}, nil
		}
	}
	return Subject{}, fmt.Errorf("%q: want user:NAME, group:NAME or sa:NAMESPACE/NAME", s)
}

// username is how the subject appears in request.userInfo.username.
func (s Subject) username() string {
	if s.Kind == "ServiceAccount" {
		return "system:serviceaccount:" + s.Namespace + ":" + s.Name
	}
	return s.Name
}

// Options say who is exempt and how the policies act.
type Options struct {
	Action Action
	// Admins are exempt from every guardrail.
	Admins []Subject
	// PowerfulRoles are the roles whose binding is an escalation: cluster-
	// admin and every role holding escalate, bind, impersonate or a
	// wildcard ("ClusterRole/NAME" or "Role/NAMESPACE/NAME"); PowerfulRoles
	// of a policy compute them.
	PowerfulRoles []string
}

// Label marks every object apiguard writes.
const Label = "app.kubernetes.io/managed-by"

// Set is the generated policies and their bindings, in apply order.
type Set struct {
	Policies []admissionv1.ValidatingAdmissionPolicy
	Bindings []admissionv1.ValidatingAdmissionPolicyBinding
}

// controlPlaneUsers act for the cluster itself: the guardrails never
// apply to them (the aggregation controller writes aggregated roles'
// rules, the ReplicaSet controller creates pods from templates, the CSR
// approver approves kubelet client certificates).
var controlPlaneUsers = []string{"system:apiserver", "system:kube-controller-manager", "system:kube-scheduler", "system:cloud-controller-manager"}

// exempt is the matchCondition: the request is not from an admin, from
// system:masters or from the control plane (kube-controller-manager's
// controllers' ServiceAccounts in kube-system included).
func exempt(o Options, extraGroups ...string) admissionv1.MatchCondition {
	var users, groups []string
	users = append(users, controlPlaneUsers...)
	groups = append(groups, "system:masters")
	groups = append(groups, extraGroups...)
	for _, s := range o.Admins {
		if s.Kind == "Group" {
			groups = append(groups, s.Name)
		} else {
			users = append(users, s.username())
		}
	}
	sort.Strings(users)
	sort.Strings(groups)
	expr := fmt.Sprintf("!(request.userInfo.username in %s) && !request.userInfo.groups.exists(g, g in %s) && "+
		"!(request.userInfo.username.startsWith('system:serviceaccount:kube-system:') && "+
		"(request.userInfo.username.endsWith('-controller') || request.userInfo.username.split(':')[3] in %s))",
		celList(users), celList(groups), celList(controllerSAs))
	return admissionv1.MatchCondition{Name: "not-an-admin-or-the-control-plane", Expression: expr}
}

// controllerSAs are kube-controller-manager's ServiceAccounts whose names do
// not end in -controller (as in internal/detect).
var controllerSAs = []string{"bootstrap-signer", "generic-garbage-collector", "horizontal-pod-autoscaler", "legacy-service-account-token-cleaner",
	"persistent-volume-binder", "pod-garbage-collector", "root-ca-cert-publisher", "token-cleaner"}

func celList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func rule(group string, resources []string, ops ...admissionv1.OperationType) admissionv1.NamedRuleWithOperations {
	return admissionv1.NamedRuleWithOperations{RuleWithOperations: admissionv1.RuleWithOperations{
		Operations: ops,
		Rule:       admissionv1.Rule{APIGroups: []string{group}, APIVersions: []string{"*"}, Resources: resources},
	}}
}

// systemNamespaces are the namespaces whose pods run with the cluster's
// own power.
var systemNamespaces = []string{"kube-system", "kube-public", "kube-node-lease"}

type spec struct {
	name, checks, title string
	rules               []admissionv1.NamedRuleWithOperations
	namespaces          []string // namespaceSelector by name, when set
	extraExempt         []string // groups exempt from this one
	variables           []admissionv1.Variable
	validations         []admissionv1.Validation
}

// Generate builds the guardrails.
func Generate(o Options) Set {
	fail := admissionv1.Fail
	powerful := append([]string(nil), o.PowerfulRoles...)
	if len(powerful) == 0 {
		powerful = []string{"ClusterRole/cluster-admin"}
	}
	sort.Strings(powerful)
	c, u := admissionv1.Create, admissionv1.Update
	specs := []spec{
		{name: "bindings-to-admin-power", checks: "AG-AUTHZ-017, AG-ADMIN-005, AG-ADMIN-006",
			title: "bindings to cluster-admin or to a role holding escalate, bind, impersonate or a wildcard",
			rules: []admissionv1.NamedRuleWithOperations{rule("rbac.authorization.k8s.io", []string{"rolebindings", "clusterrolebindings"}, c, u)},
			variables: []admissionv1.Variable{{Name: "ref", Expression: "object.roleRef.kind == 'ClusterRole' ? 'ClusterRole/' + object.roleRef.name : " +
				"'Role/' + (has(object.metadata.namespace) ? object.metadata.namespace : '') + '/' + object.roleRef.name"}},
			validations: []admissionv1.Validation{{
				Expression:        "!(variables.ref in " + celList(powerful) + ")",
				MessageExpression: "'apiguard guardrail: binding ' + variables.ref + ' grants cluster-admin power (escalate, bind, impersonate or wildcards); only cluster admins may bind it (AG-AUTHZ-017)'",
				Reason:            ptr(metav1.StatusReasonForbidden)}}},
		{name: "roles-gaining-escalation", checks: "AG-AUTHZ-016, AG-AUTHZ-017, AG-AUTHZ-018, AG-AUTHZ-012",
			title:     "roles gaining escalate, bind, impersonate, wildcards, or Secrets cluster-wide",
			rules:     []admissionv1.NamedRuleWithOperations{rule("rbac.authorization.k8s.io", []string{"roles", "clusterroles"}, c, u)},
			variables: []admissionv1.Variable{{Name: "rules", Expression: "has(object.rules) ? object.rules : []"}},
			validations: []admissionv1.Validation{
				{Expression: "!variables.rules.exists(r, r.verbs.exists(v, v in ['escalate', 'bind', 'impersonate', '*']) || " +
					"(has(r.resources) && r.resources.exists(x, x == '*')) || (has(r.apiGroups) && r.apiGroups.exists(g, g == '*')))",
					Message: "apiguard guardrail: this role would grant escalate, bind, impersonate or a wildcard (cluster-admin power); only cluster admins may write such roles (AG-AUTHZ-016/017/018)",
					Reason:  ptr(metav1.StatusReasonForbidden)},
				{Expression: "object.kind != 'ClusterRole' || !variables.rules.exists(r, has(r.resources) && r.resources.exists(x, x == 'secrets') && " +
					"(!has(r.apiGroups) || r.apiGroups.exists(g, g == '')) && r.verbs.exists(v, v in ['get', 'list', 'watch']))",
					Message: "apiguard guardrail: this ClusterRole would read Secrets (every credential, when bound cluster-wide); only cluster admins may write it (AG-AUTHZ-012)",
					Reason:  ptr(metav1.StatusReasonForbidden)},
			}},
		{name: "host-access-in-system-namespaces", checks: "AG-AUTHZ-013, AG-ADMIN-006",
			title:       "privileged, hostPath, hostPID/hostNetwork/hostIPC pods and workload templates in system namespaces",
			namespaces:  systemNamespaces,
			extraExempt: []string{"system:nodes"}, // mirror pods of the control plane's static pods
			rules: []admissionv1.NamedRuleWithOperations{
				rule("", []string{"pods", "pods/ephemeralcontainers", "replicationcontrollers", "podtemplates"}, c, u),
				rule("apps", []string{"deployments", "daemonsets", "statefulsets", "replicasets"}, c, u),
				rule("batch", []string{"jobs", "cronjobs"}, c, u)},
			variables: []admissionv1.Variable{
				{Name: "spec", Expression: "object.kind == 'Pod' ? object.spec : object.kind == 'PodTemplate' ? object.template.spec : " +
					"object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec"},
				{Name: "containers", Expression: "variables.spec.containers + (has(variables.spec.initContainers) ? variables.spec.initContainers : []) + " +
					"(has(variables.spec.ephemeralContainers) ? variables.spec.ephemeralContainers : [])"},
			},
			validations: []admissionv1.Validation{{
				Expression: "!(has(variables.spec.hostPID) && variables.spec.hostPID) && !(has(variables.spec.hostIPC) && variables.spec.hostIPC) && " +
					"!(has(variables.spec.hostNetwork) && variables.spec.hostNetwork) && " +
					"!(has(variables.spec.volumes) && variables.spec.volumes.exists(v, has(v.hostPath))) && " +
					"!variables.containers.exists(x, has(x.securityContext) && has(x.securityContext.privileged) && x.securityContext.privileged)",
				MessageExpression: "'apiguard guardrail: ' + object.kind + ' ' + object.metadata.name + ' in ' + request.namespace + " +
					"' asks for host access (privileged, hostPath, or the host PID, IPC or network namespace): in a system namespace that is root on the node with the cluster\\'s own credentials; only cluster admins may do it'",
				Reason: ptr(metav1.StatusReasonForbidden)}}},
		{name: "legacy-token-secrets", checks: "AG-AUTHN-012",
			title: "legacy ServiceAccount token Secrets (tokens that never expire)",
			rules: []admissionv1.NamedRuleWithOperations{rule("", []string{"secrets"}, c, u)},
			validations: []admissionv1.Validation{{
				Expression: "!has(object.type) || object.type != 'kubernetes.io/service-account-token'",
				Message:    "apiguard guardrail: Secrets of type kubernetes.io/service-account-token hold ServiceAccount tokens that never expire; request short-lived tokens (kubectl create token, TokenRequest) instead (AG-AUTHN-012)",
				Reason:     ptr(metav1.StatusReasonForbidden)}}},
		{name: "client-certificate-approvals", checks: "AG-AUTHZ-019, AG-AUTHN-014",
			title: "approvals of client certificate requests (which may assert system:masters or system:node:*)",
			rules: []admissionv1.NamedRuleWithOperations{rule("certificates.k8s.io", []string{"certificatesigningrequests/approval"}, u)},
			validations: []admissionv1.Validation{{
				Expression: "!(object.spec.signerName in ['kubernetes.io/kube-apiserver-client', 'kubernetes.io/kube-apiserver-client-kubelet'] && " +
					"has(object.status.conditions) && object.status.conditions.exists(x, x.type == 'Approved'))",
				MessageExpression: "'apiguard guardrail: approving ' + object.metadata.name + ' (' + object.spec.signerName + ') issues a client certificate that cannot be revoked and whose subject, which may claim system:masters or system:node:<name>, admission cannot read; only cluster admins approve client certificates (AG-AUTHZ-019)'",
				Reason:            ptr(metav1.StatusReasonForbidden)}}},
		{name: "admission-webhooks", checks: "AG-AUTHZ-021",
			title: "changes to admission webhook configurations",
			rules: []admissionv1.NamedRuleWithOperations{rule("admissionregistration.k8s.io",
				[]string{"mutatingwebhookconfigurations", "validatingwebhookconfigurations"}, c, u, admissionv1.Delete)},
			validations: []admissionv1.Validation{{
				Expression:        "false",
				MessageExpression: "'apiguard guardrail: admission webhooks see or rewrite every request they match; only cluster admins may ' + request.operation.lowerAscii() + ' them (AG-AUTHZ-021)'",
				Reason:            ptr(metav1.StatusReasonForbidden)}}},
		{name: "pod-security-labels", checks: "AG-AUTHZ-022",
			title: "namespace label changes that weaken Pod Security admission",
			rules: []admissionv1.NamedRuleWithOperations{rule("", []string{"namespaces"}, c, u)},
			variables: []admissionv1.Variable{
				{Name: "levels", Expression: "{'privileged': 0, 'baseline': 1, 'restricted': 2}"},
				{Name: "enforce", Expression: "has(object.metadata.labels) && 'pod-security.kubernetes.io/enforce' in object.metadata.labels ? object.metadata.labels['pod-security.kubernetes.io/enforce'] : ''"},
				{Name: "oldEnforce", Expression: "oldObject != null && has(oldObject.metadata.labels) && 'pod-security.kubernetes.io/enforce' in oldObject.metadata.labels ? oldObject.metadata.labels['pod-security.kubernetes.io/enforce'] : ''"},
			},
			validations: []admissionv1.Validation{
				{Expression: "variables.enforce != 'privileged'",
					MessageExpression: "'apiguard guardrail: pod-security.kubernetes.io/enforce=privileged on namespace ' + object.metadata.name + ' lets any pod in it run as root on its node; only cluster admins may set it (AG-AUTHZ-022)'",
					Reason:            ptr(metav1.StatusReasonForbidden)},
				{Expression: "variables.oldEnforce == '' || (variables.enforce in variables.levels && variables.oldEnforce in variables.levels && variables.levels[variables.enforce] >= variables.levels[variables.oldEnforce])",
					MessageExpression: "'apiguard guardrail: namespace ' + object.metadata.name + ' would lose Pod Security enforcement (' + variables.oldEnforce + ' -> ' + (variables.enforce == '' ? 'none' : variables.enforce) + '); only cluster admins may weaken it (AG-AUTHZ-022)'",
					Reason:            ptr(metav1.StatusReasonForbidden)},
			}},
	}
	var set Set
	for _, s := range specs {
		name := "apiguard-guardrail-" + s.name
		mr := &admissionv1.MatchResources{ResourceRules: s.rules}
		if len(s.namespaces) > 0 {
			mr.NamespaceSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpIn, Values: s.namespaces}}}
		}
		meta := metav1.ObjectMeta{Name: name, Labels: map[string]string{Label: "apiguard"},
			Annotations: map[string]string{"apiguard.dev/enforces": s.checks, "apiguard.dev/blocks": s.title}}
		set.Policies = append(set.Policies, admissionv1.ValidatingAdmissionPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicy"},
			ObjectMeta: meta,
			Spec: admissionv1.ValidatingAdmissionPolicySpec{FailurePolicy: &fail, MatchConstraints: mr,
				MatchConditions: []admissionv1.MatchCondition{exempt(o, s.extraExempt...)},
				Variables:       s.variables, Validations: s.validations,
				AuditAnnotations: []admissionv1.AuditAnnotation{{Key: "blocked",
					ValueExpression: "'" + s.title + " (" + s.checks + ")'"}}},
		})
		set.Bindings = append(set.Bindings, admissionv1.ValidatingAdmissionPolicyBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicyBinding"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{Label: "apiguard"}, Annotations: map[string]string{"apiguard.dev/action": string(o.Action)}},
			Spec:       admissionv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: name, ValidationActions: o.Action.validationActions()},
		})
	}
	return set
}

func ptr[T any](v T) *T { return &v }

// PowerfulRoles are the roles whose binding grants cluster-admin power:
// a rule with escalate, bind, impersonate, or a wildcard verb, resource or
// group ("ClusterRole/NAME", "Role/NAMESPACE/NAME").
func PowerfulRoles(roles []RoleRules) []string {
	var out []string
	for _, r := range roles {
		if risky(r.Rules) {
			if r.Namespace == "" {
				out = append(out, "ClusterRole/"+r.Name)
			} else {
				out = append(out, "Role/"+r.Namespace+"/"+r.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// RoleRules is a role's identity and rules.
type RoleRules struct {
	Namespace, Name string
	Rules           []rbacv1.PolicyRule
}

func risky(rules []rbacv1.PolicyRule) bool {
	for _, r := range rules {
		for _, v := range r.Verbs {
			if v == "escalate" || v == "bind" || v == "impersonate" || v == "*" {
				return true
			}
		}
		for _, x := range append(append([]string{}, r.Resources...), r.APIGroups...) {
			if x == "*" {
				return true
			}
		}
	}
	return false
}

// SelfPolicyName is the static policy that guards the guardrails: the
// static-manifest suffix is kube-apiserver's requirement.
const SelfPolicyName = "apiguard-guardrails-protect.static.k8s.io"

// SelfProtection is the static (manifest-based) policy and binding that
// keep everyone but the admins from changing or deleting the guardrails:
// kube-apiserver does not apply API-created policies to policies and
// bindings, but applies static ones (--admission-control-config-file with a
// ValidatingAdmissionPolicyConfiguration whose staticManifestsDir holds
// these files; Kubernetes 1.36, feature gate
// ManifestBasedAdmissionControlConfig).
func SelfProtection(o Options) Set {
	fail := admissionv1.Fail
	all := []admissionv1.OperationType{admissionv1.Create, admissionv1.Update, admissionv1.Delete}
	p := admissionv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: SelfPolicyName, Labels: map[string]string{Label: "apiguard"}, Annotations: map[string]string{"apiguard.dev/blocks": "changes to apiguard's guardrails"}},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{FailurePolicy: &fail,
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{
				rule("admissionregistration.k8s.io", []string{"validatingadmissionpolicies", "validatingadmissionpolicybindings"}, all...)}},
			MatchConditions: []admissionv1.MatchCondition{exempt(o)},
			Validations: []admissionv1.Validation{{
				Expression:        "!(request.name.startsWith('apiguard-guardrail-'))",
				MessageExpression: "'apiguard guardrail: ' + request.name + ' is one of apiguard guardrails; only cluster admins may ' + request.operation.lowerAscii() + ' it'",
				Reason:            ptr(metav1.StatusReasonForbidden)}}},
	}
	b := admissionv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: SelfPolicyName, Labels: map[string]string{Label: "apiguard"}},
		Spec:       admissionv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: SelfPolicyName, ValidationActions: o.Action.validationActions()},
	}
	return Set{Policies: []admissionv1.ValidatingAdmissionPolicy{p}, Bindings: []admissionv1.ValidatingAdmissionPolicyBinding{b}}
}

// StaticAdmissionConfig is the AdmissionConfiguration entry that loads the
// static policies of dir.
func StaticAdmissionConfig(dir string) string {
	return `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: ValidatingAdmissionPolicy
  configuration:
    apiVersion: apiserver.config.k8s.io/v1
    kind: ValidatingAdmissionPolicyConfiguration
    staticManifestsDir: ` + dir + "\n"
}
