package detect

import (
	"strings"

	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/overloads"
	"github.com/google/cel-go/common/types"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// prefilter is what the engine checks in Go before evaluating a rule's
// condition: the top-level conjuncts of the condition (A && B && ...) that
// are built only from simple tests of the event (comparisons of its
// string fields with literals, membership in literal lists, group and
// annotation membership, has(), the allowed/forbidden/isNode/
// isServiceAccount/controlPlane helpers, and !, && and || of those),
// translated exactly. CEL's && is false as soon as one side is false,
// whatever the others evaluate to, so skipping an event a conjunct rejects
// changes no result; it only saves the evaluation. Conjuncts fixing
// objectRef.resource also index the rule by resource.
type prefilter struct {
	resources    map[string]bool
	subresources map[string]bool // only with resources
	preds        []func(*auditv1.Event) bool
}

func (p *prefilter) match(ev *auditv1.Event) bool {
	for _, f := range p.preds {
		if !f(ev) {
			return false
		}
	}
	return true
}

func extractPrefilter(e celast.Expr) prefilter {
	var p prefilter
	cs := conjuncts(e, nil)
	for _, c := range cs {
		if res, ok := fieldSet(c, "objectRef.resource"); ok {
			p.resources = intersect(p.resources, res)
		}
	}
	for _, c := range cs {
		if p.resources != nil {
			if sub, ok := fieldSet(c, "objectRef.subresource"); ok {
				p.subresources = intersect(p.subresources, sub)
			}
		}
	}
	for _, c := range cs {
		if _, ok := fieldSet(c, "objectRef.resource"); ok {
			continue // the index only offers the rule events of these resources
		}
		if _, ok := fieldSet(c, "objectRef.subresource"); ok && p.subresources != nil {
			continue // and of these subresources
		}
		if f, ok := compilePred(c); ok {
			p.preds = append(p.preds, f)
		}
	}
	return p
}

func intersect(a, b map[string]bool) map[string]bool {
	if a == nil {
		return b
	}
	out := map[string]bool{}
	for k := range a {
		if b[k] {
			out[k] = true
		}
	}
	return out
}

func conjuncts(e celast.Expr, out []celast.Expr) []celast.Expr {
	if e.Kind() == celast.CallKind && e.AsCall().FunctionName() == operators.LogicalAnd {
		for _, a := range e.AsCall().Args() {
			out = conjuncts(a, out)
		}
		return out
	}
	return append(out, e)
}

// fieldSet reads event.<path> == "x" or event.<path> in ["x", ...].
func fieldSet(e celast.Expr, path string) (map[string]bool, bool) {
	if e.Kind() != celast.CallKind {
		return nil, false
	}
	call := e.AsCall()
	args := call.Args()
	var vals []string
	switch call.FunctionName() {
	case operators.Equals:
		if len(args) != 2 {
			return nil, false
		}
		a, b := args[0], args[1]
		if p, ok := eventPath(b); ok && p == path {
			a, b = b, a
		}
		p, ok := eventPath(a)
		s, ok2 := stringLit(b)
		if !ok || !ok2 || p != path {
			return nil, false
		}
		vals = []string{s}
	case operators.In:
		p, ok := eventPath(args[0])
		l, ok2 := stringList(args[1])
		if !ok || !ok2 || p != path {
			return nil, false
		}
		vals = l
	default:
		return nil, false
	}
	m := map[string]bool{}
	for _, v := range vals {
		m[v] = true
	}
	return m, true
}

type pred = func(*auditv1.Event) bool

// stringField returns the getter of a string field of the event.
func stringField(path string) (func(*auditv1.Event) string, bool) {
	ref := func(ev *auditv1.Event) *auditv1.ObjectReference {
		if ev.ObjectRef == nil {
			return &emptyObjectRef
		}
		return ev.ObjectRef
	}
	switch path {
	case "verb":
		return func(ev *auditv1.Event) string { return ev.Verb }, true
	case "stage":
		return func(ev *auditv1.Event) string { return string(ev.Stage) }, true
	case "level":
		return func(ev *auditv1.Event) string { return string(ev.Level) }, true
	case "requestURI":
		return func(ev *auditv1.Event) string { return ev.RequestURI }, true
	case "userAgent":
		return func(ev *auditv1.Event) string { return ev.UserAgent }, true
	case "user.username":
		return func(ev *auditv1.Event) string { return ev.User.Username }, true
	case "impersonatedUser.username":
		return func(ev *auditv1.Event) string {
			if ev.ImpersonatedUser == nil {
				return ""
			}
			return ev.ImpersonatedUser.Username
		}, true
	case "objectRef.resource":
		return func(ev *auditv1.Event) string { return ref(ev).Resource }, true
	case "objectRef.subresource":
		return func(ev *auditv1.Event) string { return ref(ev).Subresource }, true
	case "objectRef.apiGroup":
		return func(ev *auditv1.Event) string { return ref(ev).APIGroup }, true
	case "objectRef.namespace":
		return func(ev *auditv1.Event) string { return ref(ev).Namespace }, true
	case "objectRef.name":
		return func(ev *auditv1.Event) string { return ref(ev).Name }, true
	}
	return nil, false
}

// stringOperand is a string field of the event or an annotation value
// (event.annotations["k"]: a missing key fails the CEL expression, which is
// no match either, so reading it as "" is exact for ==, and for != it only
// lets CEL decide).
func stringOperand(e celast.Expr) (func(*auditv1.Event) string, bool) {
	if p, ok := eventPath(e); ok {
		return stringField(p)
	}
	if e.Kind() != celast.CallKind {
		return nil, false
	}
	call := e.AsCall()
	args := call.Args()
	if call.FunctionName() == operators.Index {
		if len(args) == 2 && isAnnotations(args[0]) {
			if k, ok := stringLit(args[1]); ok {
				return func(ev *auditv1.Event) string { return ev.Annotations[k] }, true
			}
		}
		return nil, false
	}
	if call.IsMemberFunction() || len(args) != 1 || args[0].Kind() != celast.IdentKind || args[0].AsIdent() != "event" {
		return nil, false
	}
	switch call.FunctionName() {
	case "clientName":
		return func(ev *auditv1.Event) string { return clientName(ev.UserAgent) }, true
	case "uriPath":
		return func(ev *auditv1.Event) string { return uriPath(ev.RequestURI) }, true
	case "saNamespace":
		return func(ev *auditv1.Event) string { ns, _ := saOf(ev.User.Username); return ns }, true
	case "peerIP":
		return func(ev *auditv1.Event) string {
			if len(ev.SourceIPs) == 0 {
				return ""
			}
			return ev.SourceIPs[len(ev.SourceIPs)-1]
		}, true
	}
	return nil, false
}

// stringSet tests membership: a short list is faster than a map.
func stringSet(l []string) func(string) bool {
	if len(l) <= 8 {
		return func(s string) bool {
			for _, x := range l {
				if x == s {
					return true
				}
			}
			return false
		}
	}
	set := map[string]bool{}
	for _, v := range l {
		set[v] = true
	}
	return func(s string) bool { return set[s] }
}

func compilePred(e celast.Expr) (pred, bool) {
	switch e.Kind() {
	case celast.LiteralKind:
		if b, ok := e.AsLiteral().(types.Bool); ok {
			v := bool(b)
			return func(*auditv1.Event) bool { return v }, true
		}
		return nil, false
	case celast.SelectKind:
		sel := e.AsSelect()
		if !sel.IsTestOnly() {
			return nil, false
		}
		if op := sel.Operand(); op.Kind() == celast.IdentKind && op.AsIdent() == "event" {
			switch sel.FieldName() {
			case "impersonatedUser":
				return func(ev *auditv1.Event) bool { return ev.ImpersonatedUser != nil }, true
			case "objectRef":
				return func(ev *auditv1.Event) bool { return ev.ObjectRef != nil }, true
			}
		}
		return nil, false
	case celast.CallKind:
	default:
		return nil, false
	}
	call := e.AsCall()
	args := call.Args()
	switch fn := call.FunctionName(); fn {
	case operators.LogicalAnd, operators.LogicalOr:
		var ps []pred
		for _, a := range args {
			p, ok := compilePred(a)
			if !ok {
				return nil, false
			}
			ps = append(ps, p)
		}
		if fn == operators.LogicalAnd {
			return func(ev *auditv1.Event) bool {
				for _, p := range ps {
					if !p(ev) {
						return false
					}
				}
				return true
			}, true
		}
		return func(ev *auditv1.Event) bool {
			for _, p := range ps {
				if p(ev) {
					return true
				}
			}
			return false
		}, true
	case operators.LogicalNot:
		p, ok := compilePred(args[0])
		if !ok {
			return nil, false
		}
		return func(ev *auditv1.Event) bool { return !p(ev) }, true
	case operators.Equals, operators.NotEquals:
		a, b := args[0], args[1]
		if _, ok := stringLit(a); ok {
			a, b = b, a
		}
		lit, ok := stringLit(b)
		if get, ok2 := stringOperand(a); ok && ok2 {
			if fn == operators.Equals {
				return func(ev *auditv1.Event) bool { return get(ev) == lit }, true
			}
			return func(ev *auditv1.Event) bool { return get(ev) != lit }, true
		}
		// event.responseStatus.code == 401
		if p, ok := eventPath(a); ok && p == "responseStatus.code" && b.Kind() == celast.LiteralKind {
			if n, ok := b.AsLiteral().(types.Int); ok {
				code := int32(n)
				get := func(ev *auditv1.Event) int32 {
					if ev.ResponseStatus == nil {
						return 0
					}
					return ev.ResponseStatus.Code
				}
				if fn == operators.Equals {
					return func(ev *auditv1.Event) bool { return get(ev) == code }, true
				}
				return func(ev *auditv1.Event) bool { return get(ev) != code }, true
			}
		}
		return nil, false
	case operators.In:
		if get, ok := stringOperand(args[0]); ok {
			if l, ok := stringList(args[1]); ok {
				in := stringSet(l)
				return func(ev *auditv1.Event) bool { return in(get(ev)) }, true
			}
			return nil, false
		}
		lit, ok := stringLit(args[0])
		if !ok {
			return nil, false
		}
		if isAnnotations(args[1]) {
			return func(ev *auditv1.Event) bool { _, ok := ev.Annotations[lit]; return ok }, true
		}
		if p, ok := eventPath(args[1]); ok && (p == "user.groups" || p == "impersonatedUser.groups") {
			imp := p == "impersonatedUser.groups"
			return func(ev *auditv1.Event) bool {
				groups := ev.User.Groups
				if imp {
					if ev.ImpersonatedUser == nil {
						return false
					}
					groups = ev.ImpersonatedUser.Groups
				}
				for _, g := range groups {
					if g == lit {
						return true
					}
				}
				return false
			}, true
		}
		return nil, false
	case overloads.StartsWith, overloads.EndsWith, overloads.Contains:
		if !call.IsMemberFunction() || len(args) != 1 {
			return nil, false
		}
		get, ok := stringOperand(call.Target())
		lit, ok2 := stringLit(args[0])
		if !ok || !ok2 {
			return nil, false
		}
		switch fn {
		case overloads.StartsWith:
			return func(ev *auditv1.Event) bool { return strings.HasPrefix(get(ev), lit) }, true
		case overloads.EndsWith:
			return func(ev *auditv1.Event) bool { return strings.HasSuffix(get(ev), lit) }, true
		}
		return func(ev *auditv1.Event) bool { return strings.Contains(get(ev), lit) }, true
	case "allowed", "forbidden", "isServiceAccount", "isNode", "controlPlane":
		if len(args) != 1 || args[0].Kind() != celast.IdentKind || args[0].AsIdent() != "event" || call.IsMemberFunction() {
			return nil, false
		}
		switch fn {
		case "allowed":
			return func(ev *auditv1.Event) bool { return ev.Annotations["authorization.k8s.io/decision"] == "allow" }, true
		case "forbidden":
			return func(ev *auditv1.Event) bool { return ev.Annotations["authorization.k8s.io/decision"] == "forbid" }, true
		case "isServiceAccount":
			return func(ev *auditv1.Event) bool { return strings.HasPrefix(ev.User.Username, saPrefix) }, true
		case "isNode":
			return func(ev *auditv1.Event) bool { return isNode(&ev.User) }, true
		}
		return func(ev *auditv1.Event) bool { return isControlPlane(ev.User.Username) }, true
	}
	return nil, false
}

func eventPath(e celast.Expr) (string, bool) {
	var parts []string
	for e.Kind() == celast.SelectKind {
		s := e.AsSelect()
		if s.IsTestOnly() {
			return "", false
		}
		parts = append([]string{s.FieldName()}, parts...)
		e = s.Operand()
	}
	if e.Kind() != celast.IdentKind || e.AsIdent() != "event" || len(parts) == 0 {
		return "", false
	}
	return strings.Join(parts, "."), true
}

func isAnnotations(e celast.Expr) bool {
	p, ok := eventPath(e)
	return ok && p == "annotations"
}

func stringLit(e celast.Expr) (string, bool) {
	if e.Kind() != celast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

func stringList(e celast.Expr) ([]string, bool) {
	if e.Kind() != celast.ListKind {
		return nil, false
	}
	var out []string
	for _, el := range e.AsList().Elements() {
		s, ok := stringLit(el)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}
