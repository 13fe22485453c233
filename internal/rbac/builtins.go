package rbac

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Manifests under review, Helm or GitOps output and partial kubectl dumps
// rarely hold kube-apiserver's own roles and bindings, yet every cluster
// has them: the server creates them at start-up (and re-creates deleted
// ones at the next). Analysed alone, such an input hides the paths that
// end at them (bind or escalate to cluster-admin, the controllers'
// ServiceAccounts in kube-system). So files are read as a cluster would
// hold them: the bootstrap objects the input does not define itself (by
// kind, namespace and name; the input's own version wins) are assumed, and
// marked so wherever they appear.

// AssumedSource is the Source of an assumed built-in.
const AssumedSource = "kube-apiserver " + BootstrapVersion + " bootstrap policy (assumed)"

// LiveDumpAnnotation marks a dump rbacdump.Write wrote of a live model: it holds
// the server's own built-ins, so none is assumed when it is read back.
const LiveDumpAnnotation = "apiguard.dev/rbac-source"

// BuiltinsAssumption says whether, and which, built-ins were assumed.
type BuiltinsAssumption struct {
	// Version is BootstrapVersion when the assumption applied to the input
	// (even if the input lacked none), "" when it did not (live models,
	// Load, --no-builtin-roles).
	Version string `json:"version,omitempty"`
	// The number of objects assumed, of each kind.
	ClusterRoles        int `json:"clusterRoles,omitempty"`
	ClusterRoleBindings int `json:"clusterRoleBindings,omitempty"`
	Roles               int `json:"roles,omitempty"`
	RoleBindings        int `json:"roleBindings,omitempty"`
	// Disabled: files were read without the assumption on request.
	Disabled bool `json:"disabled,omitempty"`
}

// Count is the number of objects assumed.
func (b BuiltinsAssumption) Count() int {
	return b.ClusterRoles + b.ClusterRoleBindings + b.Roles + b.RoleBindings
}

// Summary is "built-in roles assumed, v1.36: the input does not define 2
// ClusterRoles and 1 ClusterRoleBinding of kube-apiserver's bootstrap
// policy; ...", or "" when none was assumed.
func (b BuiltinsAssumption) Summary() string {
	if b.Version == "" || b.Count() == 0 {
		return ""
	}
	var parts []string
	for _, x := range []struct {
		n    int
		kind string
	}{{b.ClusterRoles, KindClusterRole}, {b.ClusterRoleBindings, KindClusterRoleBinding}, {b.Roles, KindRole}, {b.RoleBindings, KindRoleBinding}} {
		switch {
		case x.n == 1:
			parts = append(parts, "1 "+x.kind)
		case x.n > 1:
			parts = append(parts, fmt.Sprintf("%d %ss", x.n, x.kind))
		}
	}
	list := parts[0]
	if len(parts) > 1 {
		list = strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	}
	return "built-in roles assumed, " + b.Version + ": the input does not define " + list +
		" of kube-apiserver's bootstrap policy, which every cluster has; they are used as " + b.Version +
		" defines them and marked \"assumed\" (--no-builtin-roles reads the input alone)"
}

// FileOptions tune how dumps are read (rbacdump.LoadWith).
type FileOptions struct {
	// NoBuiltins reads the input alone: kube-apiserver's bootstrap roles
	// and bindings it lacks are not assumed.
	NoBuiltins bool
}

// AssumeBuiltins makes Build add kube-apiserver's bootstrap ClusterRoles,
// ClusterRoleBindings, Roles and RoleBindings (BootstrapVersion) that the
// added objects do not define, marked Assumed, unless a dump of a live
// model was added (it holds the server's own). Files are read this way by
// default (rbacdump.Load); live models and Load never are.
func (b *Builder) AssumeBuiltins() { b.assume = true }

// NoBuiltins records that files were read without the assumption.
func (b *Builder) NoBuiltins() { b.assumeOff = true }

// addAssumed adds the bootstrap objects the input lacks (before Build
// resolves references and aggregates) and says how many.
func (b *Builder) addAssumed() BuiltinsAssumption {
	out := BuiltinsAssumption{Version: BootstrapVersion}
	bp := bootstrap()
	out.ClusterRoles = addMissing(b.clusterRoles, bp.clusterRoles, func(_ string, o *rbacv1.ClusterRole) *Role {
		return assumedRole(clusterRoleOf(o.DeepCopy(), AssumedSource))
	})
	out.ClusterRoleBindings = addMissing(b.crbs, bp.clusterRoleBindings, func(_ string, o *rbacv1.ClusterRoleBinding) *Binding {
		return assumedBinding(clusterRoleBindingOf(o.DeepCopy(), AssumedSource))
	})
	out.Roles = addMissing(b.roles, bp.roles, func(k nsName, o *rbacv1.Role) *Role {
		return assumedRole(roleOf(o.DeepCopy(), k.ns, AssumedSource))
	})
	out.RoleBindings = addMissing(b.rbs, bp.roleBindings, func(k nsName, o *rbacv1.RoleBinding) *Binding {
		return assumedBinding(roleBindingOf(o.DeepCopy(), k.ns, AssumedSource))
	})
	return out
}

// addMissing adds, under each key of builtins that m lacks, the model of
// that bootstrap object (the input's own definition wins); it returns how
// many it added.
func addMissing[K comparable, O, V any](m map[K]V, builtins map[K]*O, model func(K, *O) V) int {
	n := 0
	for k, o := range builtins {
		if _, ok := m[k]; !ok {
			m[k] = model(k, o)
			n++
		}
	}
	return n
}

func assumedRole(r *Role) *Role {
	r.Assumed = true
	return r
}

func assumedBinding(x *Binding) *Binding {
	x.Assumed = true
	return x
}

// MissingRoleText is what a roleRef to a missing role is called, with the
// built-ins in mind: "does not exist" (live, or built without files),
// "is neither in the input nor a Kubernetes v1.36 built-in", or "is not in
// the input (built-in roles not assumed)".
func (p *Policy) MissingRoleText() string {
	switch {
	case p.Builtins.Version != "":
		return "is neither in the input nor a Kubernetes " + p.Builtins.Version + " built-in"
	case p.Builtins.Disabled:
		return "is not in the input (built-in roles not assumed: --no-builtin-roles)"
	}
	return "does not exist"
}

// MissingRoles lists the bindings whose roleRef names a role that does not
// resolve ("RoleBinding NS/NAME → Role NS/NAME"), sorted; they grant
// nothing.
func (p *Policy) MissingRoles() []string {
	var out []string
	for _, list := range [][]*Binding{p.ClusterRoleBindings, p.RoleBindings} {
		for _, x := range list {
			if x.Role != nil {
				continue
			}
			what := x.RoleRef.Kind + " " + x.RoleRef.Name
			if x.RoleRef.Kind == KindRole && x.Namespace != "" {
				what = KindRole + " " + x.Namespace + "/" + x.RoleRef.Name
			}
			out = append(out, x.String()+" → "+what)
		}
	}
	return out
}
