package rbac

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// How contributions read in results: the grants of a risk or step and
// the one-line "via" of a graph edge.

func (a *analyzer) grant(c contrib) Grant {
	if c.b == nil {
		return privilegedGrant()
	}
	s := c.b.Subjects[c.subj]
	if s.Kind == rbacv1.ServiceAccountKind && s.Namespace == "" {
		s.Namespace = c.b.Namespace
	}
	g := Grant{BindingKind: c.b.Kind, BindingName: c.b.Name, BindingNamespace: c.b.Namespace, RuleIndex: -1, Subject: s, Assumed: assumedOf(c.b)}
	if r := c.b.Role; r != nil {
		g.RoleKind, g.RoleName = r.Kind, r.Name
		if c.f != nil {
			g.RuleIndex = int(c.f.rule)
			g.Rule = a.ruleString(r, c.f.rule)
		}
	}
	return g
}

// grants are the distinct grants of contributions (one per binding, subject
// entry and rule).
func (a *analyzer) grants(cs []contrib) []Grant {
	out := make([]Grant, 0, len(cs))
	for i, c := range cs {
		dup := false
		for _, d := range cs[:i] { // contributions are few: a scan beats a map
			if d.b == c.b && d.subj == c.subj && d.f.rule == c.f.rule {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, a.grant(c))
		}
	}
	return out
}

// via names the grants of a step: "RoleBinding ci/deployers → ClusterRole edit".
func via(cs []contrib) string {
	var b strings.Builder
	for i, c := range cs {
		dup := false
		for _, d := range cs[:i] {
			if d.b == c.b {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(viaText(c.b))
	}
	return b.String()
}

func viaText(b *Binding) string {
	if b == nil {
		return KindPrivilegedGroup + " " + PrivilegedGroup
	}
	if b.Role == nil {
		return b.String()
	}
	return b.String() + " → " + b.Role.String() + Grant{Assumed: assumedOf(b)}.AssumedNote()
}

// anyAssumed reports whether a contribution's binding or role is an
// assumed built-in.
func anyAssumed(cs []contrib) bool {
	for _, c := range cs {
		if c.b != nil && assumedOf(c.b) != "" {
			return true
		}
	}
	return false
}

func scopeText(ns string) string {
	if ns == "" {
		return "in every namespace"
	}
	return "in namespace " + ns
}
