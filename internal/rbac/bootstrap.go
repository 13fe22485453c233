package rbac

import (
	_ "embed"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/component-helpers/auth/rbac/validation"
)

// bootstrapJSON is kube-apiserver v1.36.3's bootstrap RBAC policy
// (plugin/pkg/auth/authorizer/rbac/bootstrappolicy: policy.go,
// controller_policy.go, namespace_policy.go), written by bootstrap_gen.go.
//
//go:embed bootstrap_v1.36.json
var bootstrapJSON []byte

// BootstrapVersion is the Kubernetes version the default definitions come from.
const BootstrapVersion = "v1.36"

type bootstrapPolicy struct {
	ClusterRoles        []rbacv1.ClusterRole            `json:"clusterRoles"`
	ClusterRoleBindings []rbacv1.ClusterRoleBinding     `json:"clusterRoleBindings"`
	Roles               map[string][]rbacv1.Role        `json:"roles"`
	RoleBindings        map[string][]rbacv1.RoleBinding `json:"roleBindings"`

	clusterRoles        map[string]*rbacv1.ClusterRole
	clusterRoleBindings map[string]*rbacv1.ClusterRoleBinding
	roles               map[nsName]*rbacv1.Role
	roleBindings        map[nsName]*rbacv1.RoleBinding
}

var bootstrap = sync.OnceValue(func() *bootstrapPolicy {
	var b bootstrapPolicy
	if err := json.Unmarshal(bootstrapJSON, &b); err != nil {
		panic("rbac: embedded bootstrap policy: " + err.Error()) // a build defect, caught by the tests
	}
	b.clusterRoles = map[string]*rbacv1.ClusterRole{}
	for i := range b.ClusterRoles {
		b.clusterRoles[b.ClusterRoles[i].Name] = &b.ClusterRoles[i]
	}
	b.clusterRoleBindings = map[string]*rbacv1.ClusterRoleBinding{}
	for i := range b.ClusterRoleBindings {
		b.clusterRoleBindings[b.ClusterRoleBindings[i].Name] = &b.ClusterRoleBindings[i]
	}
	b.roles = map[nsName]*rbacv1.Role{}
	for ns, list := range b.Roles {
		for i := range list {
			b.roles[nsName{ns, list[i].Name}] = &list[i]
		}
	}
	b.roleBindings = map[nsName]*rbacv1.RoleBinding{}
	for ns, list := range b.RoleBindings {
		for i := range list {
			b.roleBindings[nsName{ns, list[i].Name}] = &list[i]
		}
	}
	return &b
})

// BootstrapObjects returns kube-apiserver's default RBAC objects (v1.36),
// as a fresh cluster holds them before the aggregation controller runs.
func BootstrapObjects() (clusterRoles []rbacv1.ClusterRole, clusterRoleBindings []rbacv1.ClusterRoleBinding, roles []rbacv1.Role, roleBindings []rbacv1.RoleBinding) {
	b := bootstrap()
	for _, r := range b.ClusterRoles {
		clusterRoles = append(clusterRoles, *r.DeepCopy())
	}
	for _, r := range b.ClusterRoleBindings {
		clusterRoleBindings = append(clusterRoleBindings, *r.DeepCopy())
	}
	for _, ns := range slices.Sorted(maps.Keys(b.Roles)) {
		for _, r := range b.Roles[ns] {
			r := r.DeepCopy()
			r.Namespace = ns
			roles = append(roles, *r)
		}
	}
	for _, ns := range slices.Sorted(maps.Keys(b.RoleBindings)) {
		for _, r := range b.RoleBindings[ns] {
			r := r.DeepCopy()
			r.Namespace = ns
			roleBindings = append(roleBindings, *r)
		}
	}
	return
}

// marked reports whether an object carries the bootstrap label or the
// autoupdate annotation, which kube-apiserver puts on what it creates
// (bootstrappolicy addDefaultMetadata).
func marked(labels, annotations map[string]string) bool {
	if labels[BootstrapLabel] == BootstrapLabelValue {
		return true
	}
	_, ok := annotations[AutoupdateAnnotation]
	return ok
}

const userMade = "; counted as user-made"

// recogniseDefaults sets Default and DefaultNote on every role and
// binding. A Kubernetes default is an object that
//
//  1. carries the label kubernetes.io/bootstrapping=rbac-defaults or the
//     annotation rbac.authorization.kubernetes.io/autoupdate, and
//  2. has the name (and namespace) of an object of the bootstrap policy,
//     and
//  3. grants no more than that definition: a role's rules are covered by
//     the default's (validation.Covers; fewer rules, as older releases have, is
//     fine), an aggregated role keeps the default's aggregationRule, a
//     binding keeps the default's roleRef and adds no subject.
//
// Anything else is user-made; an object that is one or two of these but
// not all says so in DefaultNote. kube-apiserver re-adds missing rules and
// subjects of defaults whose autoupdate annotation is not "false", but it
// never removes added ones: those are someone's change.
func (p *Policy) recogniseDefaults() {
	b := bootstrap()
	for _, r := range p.ClusterRoles {
		def := b.clusterRoles[r.Name]
		var defRules []rbacv1.PolicyRule
		var defAgg *rbacv1.AggregationRule
		if def != nil {
			defRules, defAgg = def.Rules, def.AggregationRule
		}
		classifyRole(r, def != nil, defRules, defAgg)
	}
	for _, r := range p.Roles {
		def := b.roles[nsName{r.Namespace, r.Name}]
		var defRules []rbacv1.PolicyRule
		if def != nil {
			defRules = def.Rules
		}
		classifyRole(r, def != nil, defRules, nil)
	}
	for _, x := range p.ClusterRoleBindings {
		def := b.clusterRoleBindings[x.Name]
		if def == nil {
			classifyBinding(x, false, rbacv1.RoleRef{}, nil)
		} else {
			classifyBinding(x, true, def.RoleRef, def.Subjects)
		}
	}
	for _, x := range p.RoleBindings {
		def := b.roleBindings[nsName{x.Namespace, x.Name}]
		if def == nil {
			classifyBinding(x, false, rbacv1.RoleRef{}, nil)
		} else {
			classifyBinding(x, true, def.RoleRef, def.Subjects)
		}
	}
}

// notDefaultByMarking is the DefaultNote of an object that its name
// (known: a default has it) and its bootstrap marking already show not to
// be a default, and whether they do: "" for an unmarked object of a name no
// default has.
func notDefaultByMarking(known bool, labels, annotations map[string]string) (note string, settled bool) {
	isMarked := marked(labels, annotations)
	switch {
	case !known && !isMarked:
		return "", true
	case !known:
		return "carries the bootstrap label or autoupdate annotation but is not a Kubernetes " + BootstrapVersion + " default" + userMade, true
	case !isMarked:
		return "has the name of a Kubernetes default but not its bootstrap label or autoupdate annotation" + userMade, true
	}
	return "", false
}

func classifyRole(r *Role, known bool, defRules []rbacv1.PolicyRule, defAgg *rbacv1.AggregationRule) {
	if note, settled := notDefaultByMarking(known, r.Labels, r.Annotations); settled {
		r.DefaultNote = note
		return
	}
	if defAgg != nil || r.AggregationRule != nil {
		if defAgg == nil || r.AggregationRule == nil || !equality.Semantic.DeepEqual(defAgg, r.AggregationRule) {
			r.DefaultNote = "its aggregationRule differs from the Kubernetes " + BootstrapVersion + " default" + userMade
			return
		}
	} else if ok, extra := validation.Covers(defRules, r.Rules); !ok {
		r.DefaultNote = "grants more than the Kubernetes " + BootstrapVersion + " default (" + summarizeRules(extra) + ")" + userMade
		return
	}
	r.Default = true
	r.DefaultNote = "Kubernetes default (bootstrap policy)" + autoupdateNote(r.Annotations)
}

func classifyBinding(x *Binding, known bool, defRef rbacv1.RoleRef, defSubjects []rbacv1.Subject) {
	if note, settled := notDefaultByMarking(known, x.Labels, x.Annotations); settled {
		x.DefaultNote = note
		return
	}
	if x.RoleRef.Kind != defRef.Kind || x.RoleRef.Name != defRef.Name {
		x.DefaultNote = "its roleRef differs from the Kubernetes " + BootstrapVersion + " default (" + defRef.Kind + " " + defRef.Name + ")" + userMade
		return
	}
	var extra []string
	for _, s := range x.Subjects {
		found := false
		for _, d := range defSubjects {
			if s.Kind == d.Kind && s.Name == d.Name && s.Namespace == d.Namespace {
				found = true
				break
			}
		}
		if !found {
			extra = append(extra, Subject{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace}.String())
		}
	}
	if len(extra) > 0 {
		x.DefaultNote = "has subjects the Kubernetes " + BootstrapVersion + " default does not (" + strings.Join(extra, ", ") + ")" + userMade
		return
	}
	x.Default = true
	x.DefaultNote = "Kubernetes default (bootstrap policy)" + autoupdateNote(x.Annotations)
}

func autoupdateNote(annotations map[string]string) string {
	if annotations[AutoupdateAnnotation] == "false" {
		return "; autoupdate is off, so kube-apiserver no longer reconciles it"
	}
	return ""
}

func summarizeRules(rules []rbacv1.PolicyRule) string {
	const max = 3
	parts := make([]string, 0, max+1)
	for i, r := range rules {
		if i == max {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, CompactString(r))
	}
	return strings.Join(parts, ", ")
}
