package rbacusage

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiguard/apiguard/internal/rbac"
)

// Labels and annotations of the minimized objects.
const (
	ManagedByLabel       = "app.kubernetes.io/managed-by"
	ManagedBy            = "apiguard"
	SubjectAnnotation    = "apiguard.dev/subject"
	WindowFromAnnotation = "apiguard.dev/window-from"
	WindowToAnnotation   = "apiguard.dev/window-to"
	// BlindAnnotation marks the objects that keep blind rules: held today,
	// partly logged at None by the audit policy, so not judged unused.
	BlindAnnotation = "apiguard.dev/blind"
)

// MinimizeInput is what Minimize needs.
type MinimizeInput struct {
	// Policy is the RBAC model the subject holds its grants in today.
	Policy *rbac.Policy
	// Used is the subject's use (an Engine's Used with Options.Track).
	Used *Used
	// Usage is the subject's usage report (for its blind rules); may be nil.
	Usage  *SubjectUsage
	Window Window
}

// Minimized is the Roles, ClusterRoles and bindings that grant a subject
// exactly what it used, plus the blind rules it holds.
type Minimized struct {
	Subject             SubjectKey
	ClusterRoles        []rbacv1.ClusterRole
	ClusterRoleBindings []rbacv1.ClusterRoleBinding
	Roles               []rbacv1.Role        // sorted by namespace, name
	RoleBindings        []rbacv1.RoleBinding // sorted by namespace, name
	// NotHeld are used requests left out because the subject does not hold
	// them today in the form a rule can grant (e.g. a list allowed only by
	// resourceNames), as "VERB TARGET [in NS]: why".
	NotHeld []string
	// Used is the number of distinct used requests; Blind the number of
	// blind rules kept.
	Used, Blind int
}

// Empty reports whether there is nothing to grant.
func (m *Minimized) Empty() bool {
	return len(m.ClusterRoles)+len(m.Roles) == 0
}

// Objects are the objects in apply order: each role before its binding,
// cluster scope first, then by namespace.
func (m *Minimized) Objects() []runtime.Object {
	var out []runtime.Object
	for i := range m.ClusterRoles {
		out = append(out, &m.ClusterRoles[i])
		for j := range m.ClusterRoleBindings {
			if m.ClusterRoleBindings[j].Name == m.ClusterRoles[i].Name {
				out = append(out, &m.ClusterRoleBindings[j])
			}
		}
	}
	for i := range m.Roles {
		out = append(out, &m.Roles[i])
		for j := range m.RoleBindings {
			if m.RoleBindings[j].Name == m.Roles[i].Name && m.RoleBindings[j].Namespace == m.Roles[i].Namespace {
				out = append(out, &m.RoleBindings[j])
			}
		}
	}
	return out
}

// namedVerbs are verbs whose requests kube-apiserver can restrict by
// resourceNames: every verb but these, whose requests carry no name the
// authorizer can check (list and watch name one only through a field
// selector, create has no name before the object exists).
var unnamedVerbs = map[string]bool{"list": true, "watch": true, "create": true, "deletecollection": true}

// atom is one permission: a verb on a resource (with subresource) in a
// namespace ("" cluster-wide), for one name or any; or a verb on a URL.
type atom struct {
	ns, group, resource, verb, name, path string
}

// Minimize builds the roles that grant the subject exactly what it used in
// the window:
//   - a Role and RoleBinding in each namespace it used, a ClusterRole and
//     ClusterRoleBinding for cluster-scoped resources, requests across all
//     namespaces and non-resource URLs;
//   - subresources ("pods/log") and URLs as requested, never a wildcard
//     (rules name only what requests named);
//   - resourceNames only for verbs whose requests the authorizer checks by
//     name (never list, watch, create or deletecollection); a verb also
//     used without a name gets none;
//   - only what the subject holds today: each permission is put to
//     Policy.Allowed as the subject (with the groups its requests carried)
//     and left out, in NotHeld, when no grant of the subject allows it;
//   - rules merged: verbs of the same group, resource and names unite, then
//     resources with the same verbs and names; everything sorted;
//   - the blind rules of in.Usage kept as they are held, in objects of
//     their own (suffix -blind) annotated with BlindAnnotation.
func Minimize(in MinimizeInput) *Minimized {
	m := &Minimized{Subject: in.Used.Subject, Used: len(in.Used.Requests)}
	base := MinimizedName(m.Subject)
	// permissions: for each (ns, group, resource, verb) the names used, or
	// any name.
	type perm struct{ ns, group, resource, verb string }
	names := map[perm]map[string]bool{}
	anyName := map[perm]bool{}
	urls := map[string]map[string]bool{} // path -> verbs
	for _, u := range in.Used.Requests {
		a := atomOf(u.UsedRequest)
		if why := m.held(in, a); why != "" {
			m.NotHeld = append(m.NotHeld, describe(a)+": "+why)
			continue
		}
		if a.path != "" {
			addSet(urls, a.path, a.verb)
			continue
		}
		p := perm{a.ns, a.group, a.resource, a.verb}
		if a.name == "" {
			anyName[p] = true
		} else {
			addSet(names, p, a.name)
		}
	}
	// Merge: (ns, group, resource, names) -> verbs; then (ns, group, verbs,
	// names) -> resources.
	type byRes struct{ ns, group, resource, names string }
	verbs := map[byRes]map[string]bool{}
	for p := range anyName {
		addSet(verbs, byRes{p.ns, p.group, p.resource, ""}, p.verb)
	}
	for p, ns := range names {
		if anyName[p] {
			continue
		}
		addSet(verbs, byRes{p.ns, p.group, p.resource, strings.Join(sortedSet(ns), "\x00")}, p.verb)
	}
	type byVerbs struct{ ns, group, verbs, names string }
	resources := map[byVerbs]map[string]bool{}
	for k, vs := range verbs {
		addSet(resources, byVerbs{k.ns, k.group, strings.Join(sortedSet(vs), "\x00"), k.names}, k.resource)
	}
	rules := map[string][]rbacv1.PolicyRule{} // by namespace
	for k, rs := range resources {
		r := rbacv1.PolicyRule{APIGroups: []string{k.group}, Resources: sortedSet(rs), Verbs: split(k.verbs)}
		r.ResourceNames = split(k.names)
		rules[k.ns] = append(rules[k.ns], r)
	}
	pathsByVerbs := map[string]map[string]bool{}
	for path, vs := range urls {
		addSet(pathsByVerbs, strings.Join(sortedSet(vs), "\x00"), path)
	}
	for vs, ps := range pathsByVerbs {
		rules[""] = append(rules[""], rbacv1.PolicyRule{NonResourceURLs: sortedSet(ps), Verbs: split(vs)})
	}
	for ns, rs := range rules {
		m.add(in, ns, base, sortRules(rs), nil)
	}
	m.addBlind(in, base)
	slices.SortFunc(m.ClusterRoles, func(a, b rbacv1.ClusterRole) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(m.ClusterRoleBindings, func(a, b rbacv1.ClusterRoleBinding) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(m.Roles, func(a, b rbacv1.Role) int {
		return strings.Compare(a.Namespace+"\x00"+a.Name, b.Namespace+"\x00"+b.Name)
	})
	slices.SortFunc(m.RoleBindings, func(a, b rbacv1.RoleBinding) int {
		return strings.Compare(a.Namespace+"\x00"+a.Name, b.Namespace+"\x00"+b.Name)
	})
	slices.Sort(m.NotHeld)
	return m
}

func atomOf(u UsedRequest) atom {
	if u.Path != "" {
		return atom{verb: u.Verb, path: u.Path}
	}
	a := atom{ns: u.Namespace, group: u.APIGroup, resource: u.Resource, verb: u.Verb}
	if u.Subresource != "" {
		a.resource += "/" + u.Subresource
	}
	if !unnamedVerbs[u.Verb] {
		a.name = u.Name
	}
	return a
}

func describe(a atom) string {
	if a.path != "" {
		return a.verb + " " + a.path
	}
	s := a.verb + " " + a.resource
	if a.group != "" {
		s = a.verb + " " + a.resource + "." + a.group
	}
	if a.name != "" {
		s += " " + a.name
	}
	if a.ns != "" {
		return s + " in " + a.ns
	}
	return s + " (cluster-wide)"
}

// held returns "" when the subject holds a today, else why not.
func (m *Minimized) held(in MinimizeInput, a atom) string {
	req := rbac.Request{Verb: a.verb, Path: a.path, APIGroup: a.group, Namespace: a.ns, Name: a.name}
	req.Resource, req.Subresource, _ = strings.Cut(a.resource, "/")
	k := m.Subject
	switch k.Kind {
	case rbac.KindUser:
		req.User, req.Groups = k.Name, in.Used.Groups
	case rbac.KindServiceAccount:
		req.User, req.Groups = rbac.ServiceAccountUsername(k.Namespace, k.Name), in.Used.Groups
	case rbac.KindGroup:
		req.Groups = []string{k.Name}
	}
	_, grants := in.Policy.Allowed(req)
	for _, g := range grants {
		if k.Kind != rbac.KindGroup || (g.Subject.Kind == rbac.KindGroup && g.Subject.Name == k.Name) {
			return ""
		}
	}
	if a.name == "" && a.path == "" && unnamedVerbs[a.verb] {
		return "not held without resourceNames (kube-apiserver cannot check names for " + a.verb + ")"
	}
	return "not held today"
}

// add appends a role (ClusterRole when ns is "") and its binding.
func (m *Minimized) add(in MinimizeInput, ns, name string, rules []rbacv1.PolicyRule, extra map[string]string) {
	meta := metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{ManagedByLabel: ManagedBy},
		Annotations: map[string]string{SubjectAnnotation: m.Subject.String()}}
	if in.Window.From != nil {
		meta.Annotations[WindowFromAnnotation] = in.Window.From.UTC().Format(time.RFC3339)
		meta.Annotations[WindowToAnnotation] = in.Window.To.UTC().Format(time.RFC3339)
	}
	for k, v := range extra {
		meta.Annotations[k] = v
	}
	subject := rbacv1.Subject{Kind: m.Subject.Kind, Name: m.Subject.Name, Namespace: m.Subject.Namespace}
	if subject.Kind != rbac.KindServiceAccount {
		subject.APIGroup = rbacv1.GroupName
	}
	gv := rbacv1.SchemeGroupVersion.String()
	if ns == "" {
		m.ClusterRoles = append(m.ClusterRoles, rbacv1.ClusterRole{TypeMeta: metav1.TypeMeta{APIVersion: gv, Kind: "ClusterRole"},
			ObjectMeta: meta, Rules: rules})
		m.ClusterRoleBindings = append(m.ClusterRoleBindings, rbacv1.ClusterRoleBinding{
			TypeMeta: metav1.TypeMeta{APIVersion: gv, Kind: "ClusterRoleBinding"}, ObjectMeta: *meta.DeepCopy(),
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}, Subjects: []rbacv1.Subject{subject}})
		return
	}
	m.Roles = append(m.Roles, rbacv1.Role{TypeMeta: metav1.TypeMeta{APIVersion: gv, Kind: "Role"}, ObjectMeta: meta, Rules: rules})
	m.RoleBindings = append(m.RoleBindings, rbacv1.RoleBinding{TypeMeta: metav1.TypeMeta{APIVersion: gv, Kind: "RoleBinding"},
		ObjectMeta: *meta.DeepCopy(), RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects: []rbacv1.Subject{subject}})
}

// addBlind keeps the subject's blind rules as held: a ClusterRoleBinding's
// in a ClusterRole, a RoleBinding's in a Role of its namespace (without
// nonResourceURLs, which a RoleBinding never grants).
func (m *Minimized) addBlind(in MinimizeInput, base string) {
	if in.Usage == nil {
		return
	}
	type kept struct {
		rules []rbacv1.PolicyRule
		seen  map[string]bool
		from  []string
	}
	byNS := map[string]*kept{}
	for _, b := range in.Usage.Bindings {
		for ri, r := range b.Rules {
			if !r.Blind {
				continue
			}
			rule := rbacv1.PolicyRule{APIGroups: r.APIGroups, Resources: r.Resources, Verbs: r.Verbs,
				ResourceNames: r.ResourceNames, NonResourceURLs: r.NonResourceURLs}
			ns := ""
			if b.Kind == rbac.KindRoleBinding {
				ns = b.Namespace
				rule.NonResourceURLs = nil
				if len(rule.Resources) == 0 {
					continue
				}
			}
			rule = compactRule(rule)
			k := byNS[ns]
			if k == nil {
				k = &kept{seen: map[string]bool{}}
				byNS[ns] = k
			}
			from := fmt.Sprintf("%s %s rule %d", b.Kind, nsName(b.Namespace, b.Name), ri)
			k.from = append(k.from, from)
			if key := rule.String(); !k.seen[key] {
				k.seen[key] = true
				k.rules = append(k.rules, rule)
				m.Blind++
			}
		}
	}
	for ns, k := range byNS {
		m.add(in, ns, blindName(base), sortRules(k.rules), map[string]string{BlindAnnotation: "kept from the current grants, " +
			"the audit policy logs part of these rules at None so their use cannot be judged: " + strings.Join(k.from, ", ")})
	}
}

func nsName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// compactRule drops empty lists (the report's [] for none).
func compactRule(r rbacv1.PolicyRule) rbacv1.PolicyRule {
	for _, l := range []*[]string{&r.APIGroups, &r.Resources, &r.ResourceNames, &r.NonResourceURLs} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	return r
}

func blindName(base string) string {
	if len(base) > 253-len("-blind") {
		base = base[:253-len("-blind")]
	}
	return base + "-blind"
}

// MinimizedName is apiguard-min-KIND-NAME (KIND user, group or sa; an sa's
// NAME is NAMESPACE-NAME) as a DNS subdomain: lower case, every other
// character than a-z, 0-9 and - replaced by -, runs of - collapsed. When
// that changed the name, or it had to be shortened, a hash of the subject
// keeps it unique.
func MinimizedName(k SubjectKey) string {
	kind, name := "user", k.Name
	switch k.Kind {
	case rbac.KindGroup:
		kind = "group"
	case rbac.KindServiceAccount:
		kind, name = "sa", k.Namespace+"-"+k.Name
	}
	raw := "apiguard-min-" + kind + "-" + name
	var b strings.Builder
	for _, c := range strings.ToLower(raw) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		default:
			if s := b.String(); !strings.HasSuffix(s, "-") {
				b.WriteByte('-')
			}
		}
	}
	out := strings.TrimRight(b.String(), "-")
	const max = 253 - len("-blind") - 9
	// A ServiceAccount's is always hashed: sa:a-b/c and sa:a/b-c would
	// collide.
	if k.Kind != rbac.KindServiceAccount && out == strings.ToLower(raw) && len(out) <= max {
		return out
	}
	if len(out) > max {
		out = strings.TrimRight(out[:max], "-")
	}
	sum := sha256.Sum256([]byte(k.String()))
	return out + "-" + hex.EncodeToString(sum[:4])
}

func addSet[K comparable](m map[K]map[string]bool, k K, v string) {
	s := m[k]
	if s == nil {
		s = map[string]bool{}
		m[k] = s
	}
	s[v] = true
}

func sortedSet(s map[string]bool) []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x00")
}

func sortRules(rs []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	slices.SortFunc(rs, func(a, b rbacv1.PolicyRule) int {
		return strings.Compare(ruleKey(a), ruleKey(b))
	})
	return rs
}

func ruleKey(r rbacv1.PolicyRule) string {
	return strings.Join([]string{strings.Join(r.NonResourceURLs, ","), strings.Join(r.APIGroups, ","),
		strings.Join(r.Resources, ","), strings.Join(r.ResourceNames, ","), strings.Join(r.Verbs, ",")}, "\x01")
}
