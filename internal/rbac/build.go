package rbac

import (
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// LastAppliedAnnotation is kubectl's copy of the whole object in an annotation: it
// is dropped everywhere (for a Secret it would hold the data).
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// Builder collects objects, from files or a live cluster, and builds the
// Policy. Objects are reduced as they are added: Secrets keep metadata
// only, Pods keep their ServiceAccount and node.
type Builder struct {
	clusterRoles map[string]*Role
	roles        map[nsName]*Role
	crbs         map[string]*Binding
	rbs          map[nsName]*Binding
	sas          map[nsName]ServiceAccount
	namespaces   map[string]Namespace
	pods         map[nsName]Pod
	nodes        map[string]Node
	secrets      map[nsName]Secret
	noSecrets    string
	problems     []Problem
	objects      int
	// assume: Build adds the bootstrap objects the input lacks
	// (AssumeBuiltins), unless liveDump: a dump of a live model was added.
	assume, assumeOff, liveDump bool
}

type nsName struct{ ns, name string }

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder {
	return &Builder{
		clusterRoles: map[string]*Role{},
		roles:        map[nsName]*Role{},
		crbs:         map[string]*Binding{},
		rbs:          map[nsName]*Binding{},
		sas:          map[nsName]ServiceAccount{},
		namespaces:   map[string]Namespace{},
		pods:         map[nsName]Pod{},
		nodes:        map[string]Node{},
		secrets:      map[nsName]Secret{},
	}
}

// Load builds a Policy from typed objects and typed lists (what a
// client-go clientset returns). Other object types are ignored.
func Load(objs ...runtime.Object) *Policy {
	b := NewBuilder()
	for _, o := range objs {
		b.Add(o, "")
	}
	return b.Build()
}

// Objects is the number of objects added and kept.
func (b *Builder) Objects() int { return b.objects }

// Problem records an input problem (source is "file:line" or a locator).
func (b *Builder) Problem(source, message string) {
	b.problems = append(b.problems, Problem{Source: source, Message: message})
}

// SecretsUnavailable records why the token Secrets could not be read
// (Policy.SecretsUnavailable).
func (b *Builder) SecretsUnavailable(why string) { b.noSecrets = why }

// Add adds a typed object or list; it reports whether the type is one the
// engine uses. Secrets are reduced to metadata at once.
func (b *Builder) Add(obj runtime.Object, source string) bool {
	switch o := obj.(type) {
	case *rbacv1.ClusterRole:
		b.AddClusterRole(o, source)
	case *rbacv1.ClusterRoleList:
		for i := range o.Items {
			b.AddClusterRole(&o.Items[i], source)
		}
	case *rbacv1.Role:
		b.AddRole(o, source)
	case *rbacv1.RoleList:
		for i := range o.Items {
			b.AddRole(&o.Items[i], source)
		}
	case *rbacv1.ClusterRoleBinding:
		b.AddClusterRoleBinding(o, source)
	case *rbacv1.ClusterRoleBindingList:
		for i := range o.Items {
			b.AddClusterRoleBinding(&o.Items[i], source)
		}
	case *rbacv1.RoleBinding:
		b.AddRoleBinding(o, source)
	case *rbacv1.RoleBindingList:
		for i := range o.Items {
			b.AddRoleBinding(&o.Items[i], source)
		}
	case *corev1.ServiceAccount:
		b.AddServiceAccount(serviceAccountOf(o, source))
	case *corev1.ServiceAccountList:
		for i := range o.Items {
			b.AddServiceAccount(serviceAccountOf(&o.Items[i], source))
		}
	case *corev1.Namespace:
		b.AddNamespace(Namespace{Name: o.Name, Labels: o.Labels, Source: source})
	case *corev1.NamespaceList:
		for i := range o.Items {
			b.AddNamespace(Namespace{Name: o.Items[i].Name, Labels: o.Items[i].Labels, Source: source})
		}
	case *corev1.Pod:
		b.AddPod(podOf(o, source))
	case *corev1.PodList:
		for i := range o.Items {
			b.AddPod(podOf(&o.Items[i], source))
		}
	case *corev1.Node:
		b.AddNode(Node{Name: o.Name, Labels: o.Labels, Source: source})
	case *corev1.NodeList:
		for i := range o.Items {
			b.AddNode(Node{Name: o.Items[i].Name, Labels: o.Items[i].Labels, Source: source})
		}
	case *corev1.Secret:
		b.AddSecret(SecretOf(&o.ObjectMeta, string(o.Type), source))
	case *corev1.SecretList:
		for i := range o.Items {
			b.AddSecret(SecretOf(&o.Items[i].ObjectMeta, string(o.Items[i].Type), source))
		}
	default:
		return false
	}
	return true
}

func serviceAccountOf(o *corev1.ServiceAccount, source string) ServiceAccount {
	return ServiceAccount{Namespace: o.Namespace, Name: o.Name, Labels: o.Labels, Annotations: dropLastApplied(o.Annotations),
		AutomountToken: o.AutomountServiceAccountToken, Source: source}
}

func podOf(o *corev1.Pod, source string) Pod {
	return Pod{Namespace: o.Namespace, Name: o.Name, ServiceAccountName: o.Spec.ServiceAccountName, NodeName: o.Spec.NodeName, Source: source}
}

// SecretOf reduces a Secret's metadata to what the model keeps: name,
// namespace, type, labels and the kubernetes.io/service-account.name
// annotation. Nothing else of the Secret is read.
func SecretOf(m *metav1.ObjectMeta, secretType, source string) Secret {
	return Secret{Namespace: m.Namespace, Name: m.Name, Type: secretType,
		ServiceAccountName: m.Annotations[ServiceAccountNameAnnotation], Labels: m.Labels, Source: source}
}

func dropLastApplied(m map[string]string) map[string]string {
	if _, ok := m[LastAppliedAnnotation]; !ok {
		return m
	}
	out := make(map[string]string, len(m)-1)
	for k, v := range m {
		if k != LastAppliedAnnotation {
			out[k] = v
		}
	}
	return out
}

// store puts v under k in m, counting a new key as an object: a later
// definition replaces an earlier one. It returns the value replaced, if
// any, for the caller to report when the two differ.
func store[K comparable, V any](b *Builder, m map[K]V, k K, v V) (old V, replaced bool) {
	old, replaced = m[k]
	if !replaced {
		b.objects++
	}
	m[k] = v
	return old, replaced
}

// The model of each RBAC object, as read (AddClusterRole...) or assumed
// (addAssumed). namespace is the object's own, or for a bootstrap Role its
// key in the bootstrap policy.

func clusterRoleOf(o *rbacv1.ClusterRole, source string) *Role {
	return &Role{Kind: KindClusterRole, Name: o.Name, Labels: o.Labels, Annotations: dropLastApplied(o.Annotations),
		Rules: o.Rules, AggregationRule: o.AggregationRule, Source: source}
}

func roleOf(o *rbacv1.Role, namespace, source string) *Role {
	return &Role{Kind: KindRole, Namespace: namespace, Name: o.Name, Labels: o.Labels, Annotations: dropLastApplied(o.Annotations),
		Rules: o.Rules, Source: source}
}

func clusterRoleBindingOf(o *rbacv1.ClusterRoleBinding, source string) *Binding {
	return &Binding{Kind: KindClusterRoleBinding, Name: o.Name, Labels: o.Labels, Annotations: dropLastApplied(o.Annotations),
		RoleRef: o.RoleRef, Subjects: o.Subjects, Source: source}
}

func roleBindingOf(o *rbacv1.RoleBinding, namespace, source string) *Binding {
	return &Binding{Kind: KindRoleBinding, Namespace: namespace, Name: o.Name, Labels: o.Labels, Annotations: dropLastApplied(o.Annotations),
		RoleRef: o.RoleRef, Subjects: o.Subjects, Source: source}
}

// AddClusterRole adds a ClusterRole. A second definition under the same
// name replaces the first and is reported when it differs.
func (b *Builder) AddClusterRole(o *rbacv1.ClusterRole, source string) {
	r := clusterRoleOf(o, source)
	if old, ok := store(b, b.clusterRoles, o.Name, r); ok {
		b.duplicate(old.String(), old.Source, source, !rulesEqual(old.Rules, r.Rules))
	}
}

// AddRole adds a Role.
func (b *Builder) AddRole(o *rbacv1.Role, source string) {
	r := roleOf(o, o.Namespace, source)
	if old, ok := store(b, b.roles, nsName{o.Namespace, o.Name}, r); ok {
		b.duplicate(old.String(), old.Source, source, !rulesEqual(old.Rules, r.Rules))
	}
}

// AddClusterRoleBinding adds a ClusterRoleBinding.
func (b *Builder) AddClusterRoleBinding(o *rbacv1.ClusterRoleBinding, source string) {
	x := clusterRoleBindingOf(o, source)
	if old, ok := store(b, b.crbs, o.Name, x); ok {
		b.duplicate(old.String(), old.Source, source, !bindingEqual(old, x))
	}
}

// AddRoleBinding adds a RoleBinding.
func (b *Builder) AddRoleBinding(o *rbacv1.RoleBinding, source string) {
	x := roleBindingOf(o, o.Namespace, source)
	if old, ok := store(b, b.rbs, nsName{o.Namespace, o.Name}, x); ok {
		b.duplicate(old.String(), old.Source, source, !bindingEqual(old, x))
	}
}

// AddServiceAccount adds a ServiceAccount.
func (b *Builder) AddServiceAccount(s ServiceAccount) {
	store(b, b.sas, nsName{s.Namespace, s.Name}, s)
}

// AddNamespace adds a Namespace.
func (b *Builder) AddNamespace(n Namespace) { store(b, b.namespaces, n.Name, n) }

// AddPod adds a Pod.
func (b *Builder) AddPod(p Pod) { store(b, b.pods, nsName{p.Namespace, p.Name}, p) }

// AddNode adds a Node.
func (b *Builder) AddNode(n Node) { store(b, b.nodes, n.Name, n) }

// AddSecret adds a token Secret's metadata; Secrets of other types are
// ignored.
func (b *Builder) AddSecret(s Secret) {
	if s.Type != SecretTypeServiceAccountToken && s.Type != SecretTypeBootstrapToken {
		return
	}
	store(b, b.secrets, nsName{s.Namespace, s.Name}, s)
}

func (b *Builder) duplicate(what, first, second string, differs bool) {
	if !differs {
		return
	}
	msg := what + " is defined twice with different content"
	if first != "" {
		msg += " (first at " + first + ")"
	}
	b.Problem(second, msg+"; this later definition is used")
}

// rulesEqual compares rule lists in order, nil and empty alike (as
// equality.Semantic.DeepEqual does).
func rulesEqual(a, b []rbacv1.PolicyRule) bool {
	return slices.EqualFunc(a, b, func(x, y rbacv1.PolicyRule) bool { return ruleEqual(&x, &y) })
}

func ruleEqual(a, b *rbacv1.PolicyRule) bool {
	return slices.Equal(a.Verbs, b.Verbs) && slices.Equal(a.APIGroups, b.APIGroups) && slices.Equal(a.Resources, b.Resources) &&
		slices.Equal(a.ResourceNames, b.ResourceNames) && slices.Equal(a.NonResourceURLs, b.NonResourceURLs)
}

func bindingEqual(a, b *Binding) bool {
	return a.RoleRef == b.RoleRef && slices.Equal(a.Subjects, b.Subjects)
}

// Build resolves role references, computes aggregated ClusterRoles,
// recognises Kubernetes defaults and indexes bindings by subject. The
// Builder must not be used afterwards.
func (b *Builder) Build() *Policy {
	p := &Policy{
		clusterRoleByName: b.clusterRoles,
		roleByKey:         b.roles,
	}
	p.Problems = b.problems
	p.SecretsUnavailable = b.noSecrets
	p.Live = b.liveDump
	switch {
	case b.liveDump:
	case b.assume:
		p.Builtins = b.addAssumed()
	case b.assumeOff:
		p.Builtins.Disabled = true
	}

	p.ClusterRoles = sortedValues(b.clusterRoles, func(r *Role) (string, string) { return r.Namespace, r.Name })
	p.Roles = sortedValues(b.roles, func(r *Role) (string, string) { return r.Namespace, r.Name })
	p.allRoles = make([]*Role, 0, len(p.ClusterRoles)+len(p.Roles))
	p.allRoles = append(append(p.allRoles, p.ClusterRoles...), p.Roles...)
	for i, r := range p.allRoles {
		r.id = int32(i)
	}

	p.aggregate()

	p.ClusterRoleBindings = sortedValues(b.crbs, func(x *Binding) (string, string) { return x.Namespace, x.Name })
	p.RoleBindings = sortedValues(b.rbs, func(x *Binding) (string, string) { return x.Namespace, x.Name })

	p.resolve()
	p.recogniseDefaults()
	p.index()

	p.ServiceAccounts = sortedValues(b.sas, func(s ServiceAccount) (string, string) { return s.Namespace, s.Name })
	p.Namespaces = sortedValues(b.namespaces, func(n Namespace) (string, string) { return "", n.Name })
	p.Pods = sortedValues(b.pods, func(x Pod) (string, string) { return x.Namespace, x.Name })
	p.Nodes = sortedValues(b.nodes, func(n Node) (string, string) { return "", n.Name })
	p.Secrets = sortedValues(b.secrets, func(s Secret) (string, string) { return s.Namespace, s.Name })
	p.objects = b.objects
	p.Problems = sortedProblems(p.Problems)
	*b = Builder{}
	return p
}

// sortedValues lists the objects of one of the Builder's maps, each once
// (its key), by namespace then name (id gives them).
func sortedValues[K comparable, V any](m map[K]V, id func(V) (namespace, name string)) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b V) int {
		ans, an := id(a)
		bns, bn := id(b)
		if c := strings.Compare(ans, bns); c != 0 {
			return c
		}
		return strings.Compare(an, bn)
	})
	return out
}

func lessNS(ns1, n1, ns2, n2 string) bool {
	if ns1 != ns2 {
		return ns1 < ns2
	}
	return n1 < n2
}

// resolve points each binding at its role, as GetRoleReferenceRules
// (pkg/registry/rbac/validation/rule.go) resolves it: kind Role is looked
// up in the binding's namespace (so a ClusterRoleBinding to a Role never
// resolves), kind ClusterRole by name, any other kind fails. The roleRef's
// apiGroup is not consulted, as upstream does not. A binding whose role is
// missing grants nothing and is reported.
func (p *Policy) resolve() {
	for _, list := range [][]*Binding{p.ClusterRoleBindings, p.RoleBindings} {
		for _, x := range list {
			switch x.RoleRef.Kind {
			case KindClusterRole:
				x.Role = p.clusterRoleByName[x.RoleRef.Name]
			case KindRole:
				if x.Namespace != "" {
					x.Role = p.roleByKey[nsName{x.Namespace, x.RoleRef.Name}]
				}
			default:
				p.objProblem(x.String(), x.Source, "roleRef.kind: unsupported kind "+quote(x.RoleRef.Kind)+" (want ClusterRole or Role): the binding grants nothing")
				continue
			}
			if x.Role == nil {
				what := x.RoleRef.Kind + " " + x.RoleRef.Name
				if x.RoleRef.Kind == KindRole && x.Namespace != "" {
					what = KindRole + " " + x.Namespace + "/" + x.RoleRef.Name
				}
				p.objProblem(x.String(), x.Source, "roleRef: "+what+" "+p.MissingRoleText()+": the binding grants nothing (until a role of that name is created)")
			}
		}
	}
}

// objProblem records a problem about object what, read at source ("" when
// live: the object names itself then).
func (p *Policy) objProblem(what, source, msg string) {
	if source == "" {
		p.Problems = append(p.Problems, Problem{Source: what, Message: msg})
		return
	}
	p.Problems = append(p.Problems, Problem{Source: source, Message: what + ": " + msg})
}

func quote(s string) string { return "\"" + s + "\"" }

// sortedProblems returns problems ordered by source (file, then line).
func sortedProblems(ps []Problem) []Problem {
	out := append([]Problem(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool { return lessSource(out[i].Source, out[j].Source) })
	return out
}

// lessSource orders "file:line" naturally (line numerically).
func lessSource(a, b string) bool {
	fa, la := splitSource(a)
	fb, lb := splitSource(b)
	if fa != fb {
		return fa < fb
	}
	return la < lb
}

func splitSource(s string) (string, int) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, 0
	}
	n := 0
	for _, r := range s[i+1:] {
		if r < '0' || r > '9' {
			return s, 0
		}
		n = n*10 + int(r-'0')
	}
	return s[:i], n
}

// RBACObjects is the number of roles and bindings added.
func (b *Builder) RBACObjects() int {
	return len(b.clusterRoles) + len(b.roles) + len(b.crbs) + len(b.rbs)
}

// Problems are the problems recorded so far, in order.
func (b *Builder) Problems() []Problem { return b.problems }

// LiveDump marks the input as a dump of a live model (LiveDumpAnnotation): it holds the server's own built-ins, so none is
// assumed.
func (b *Builder) LiveDump() { b.liveDump = true }
