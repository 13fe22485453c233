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
// isServiceAccount/controlPlane helpers, and !, && and || of those, and
// the address tests outsideCIDRs/ipInCIDRs against the scan's params),
// translated exactly. CEL's && is false as soon as one side is false,
// whatever the others evaluate to, so skipping an event a conjunct rejects
// changes no result; it only saves the evaluation. Conjuncts fixing
// objectRef.resource also index the rule by resource.
type prefilter struct {
	resources    map[string]bool
	subresources map[string]bool // only with resources
	// preds, cheapest first: plain field tests, then those that look up
	// annotations, then those that call a helper on a field.
	preds []pred
	// withParams are the conjuncts that read the scan's parameters
	// (outsideCIDRs(event.sourceIPs, params.allowCIDRs)): New makes them
	// preds once it knows the parameters.
	withParams []func(params map[string][]string) pred
}

// admits reports whether an event may satisfy the condition p was
// extracted from (its resources, subresources and predicates).
func (p *prefilter) admits(f *facts) bool {
	if p.resources != nil {
		ref := f.ev.ObjectRef
		if ref == nil || !p.resources[ref.Resource] || (p.subresources != nil && !p.subresources[ref.Subresource]) {
			return false
		}
	}
	return allOf(p.preds, f)
}

func allOf(ps []pred, f *facts) bool {
	for _, p := range ps {
		if !p(f) {
			return false
		}
	}
	return true
}

// facts is the event the predicates test, with what several rules read
// computed once per event.
type facts struct {
	ev       *auditv1.Event
	decision string
	decided  bool
}

func (f *facts) reset(ev *auditv1.Event) { f.ev, f.decision, f.decided = ev, "", false }

// decisionOf is the authorizer's decision annotation.
func (f *facts) decisionOf() string {
	if !f.decided {
		f.decision, f.decided = f.ev.Annotations[decisionAnnotation], true
	}
	return f.decision
}

const decisionAnnotation = "authorization.k8s.io/decision"

// Cost tiers of predicates (the order they are tried in).
const (
	costField      = 0 // a field of the event against a literal
	costAnnotation = 1 // a map lookup
	costHelper     = 2 // a helper that parses a field
)

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
	var tiers [costHelper + 1][]pred
	for _, c := range cs {
		if _, ok := fieldSet(c, "objectRef.resource"); ok {
			continue // the index only offers the rule events of these resources
		}
		if _, ok := fieldSet(c, "objectRef.subresource"); ok && p.subresources != nil {
			continue // and of these subresources
		}
		if f, cost, ok := compilePred(c); ok {
			tiers[cost] = append(tiers[cost], f)
			continue
		}
		if f, ok := compileParamPred(c); ok {
			p.withParams = append(p.withParams, f)
		}
	}
	// Conjuncts are pure and all must hold: any order gives the same
	// answer; the cheap ones go first (in the order they are written).
	for _, t := range tiers {
		p.preds = append(p.preds, t...)
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

type pred = func(*facts) bool

// getter reads a string of the event, at a cost tier.
type getter struct {
	get  func(*facts) string
	cost int
}

// stringField returns the getter of a string field of the event.
func stringField(path string) (func(*facts) string, bool) {
	ref := func(ev *auditv1.Event) *auditv1.ObjectReference {
		if ev.ObjectRef == nil {
			return &emptyObjectRef
		}
		return ev.ObjectRef
	}
	switch path {
	case "verb":
		return func(f *facts) string { return f.ev.Verb }, true
	case "stage":
		return func(f *facts) string { return string(f.ev.Stage) }, true
	case "level":
		return func(f *facts) string { return string(f.ev.Level) }, true
	case "requestURI":
		return func(f *facts) string { return f.ev.RequestURI }, true
	case "userAgent":
		return func(f *facts) string { return f.ev.UserAgent }, true
	case "user.username":
		return func(f *facts) string { return f.ev.User.Username }, true
	case "impersonatedUser.username":
		return func(f *facts) string {
			if f.ev.ImpersonatedUser == nil {
				return ""
			}
			return f.ev.ImpersonatedUser.Username
		}, true
	case "objectRef.resource":
		return func(f *facts) string { return ref(f.ev).Resource }, true
	case "objectRef.subresource":
		return func(f *facts) string { return ref(f.ev).Subresource }, true
	case "objectRef.apiGroup":
		return func(f *facts) string { return ref(f.ev).APIGroup }, true
	case "objectRef.namespace":
		return func(f *facts) string { return ref(f.ev).Namespace }, true
	case "objectRef.name":
		return func(f *facts) string { return ref(f.ev).Name }, true
	}
	return nil, false
}

// stringOperand is a string field of the event or an annotation value
// (event.annotations["k"]: a missing key fails the CEL expression, which is
// no match either, so reading it as "" is exact for ==, and for != it only
// lets CEL decide).
func stringOperand(e celast.Expr) (getter, bool) {
	if p, ok := eventPath(e); ok {
		get, ok := stringField(p)
		return getter{get, costField}, ok
	}
	if e.Kind() != celast.CallKind {
		return getter{}, false
	}
	call := e.AsCall()
	args := call.Args()
	if call.FunctionName() == operators.Index {
		if len(args) == 2 && isAnnotations(args[0]) {
			if k, ok := stringLit(args[1]); ok {
				if k == decisionAnnotation {
					return getter{func(f *facts) string { return f.decisionOf() }, costAnnotation}, true
				}
				return getter{func(f *facts) string { return f.ev.Annotations[k] }, costAnnotation}, true
			}
		}
		return getter{}, false
	}
	if call.IsMemberFunction() || len(args) != 1 || args[0].Kind() != celast.IdentKind || args[0].AsIdent() != "event" {
		return getter{}, false
	}
	switch call.FunctionName() {
	case "clientName":
		return getter{func(f *facts) string { return clientName(f.ev.UserAgent) }, costHelper}, true
	case "uriPath":
		return getter{func(f *facts) string { return uriPath(f.ev.RequestURI) }, costHelper}, true
	case "saNamespace":
		return getter{func(f *facts) string { ns, _ := saOf(f.ev.User.Username); return ns }, costHelper}, true
	case "identity":
		return getter{func(f *facts) string { return identityOf(f.ev) }, costField}, true
	case "peerIP":
		return getter{func(f *facts) string {
			if len(f.ev.SourceIPs) == 0 {
				return ""
			}
			return f.ev.SourceIPs[len(f.ev.SourceIPs)-1]
		}, costField}, true
	}
	return getter{}, false
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

// compilePred translates a test of the event, and tells its cost tier.
func compilePred(e celast.Expr) (pred, int, bool) {
	switch e.Kind() {
	case celast.LiteralKind:
		if b, ok := e.AsLiteral().(types.Bool); ok {
			v := bool(b)
			return func(*facts) bool { return v }, costField, true
		}
		return nil, 0, false
	case celast.SelectKind:
		sel := e.AsSelect()
		if !sel.IsTestOnly() {
			return nil, 0, false
		}
		if op := sel.Operand(); op.Kind() == celast.IdentKind && op.AsIdent() == "event" {
			switch sel.FieldName() {
			case "impersonatedUser":
				return func(f *facts) bool { return f.ev.ImpersonatedUser != nil }, costField, true
			case "objectRef":
				return func(f *facts) bool { return f.ev.ObjectRef != nil }, costField, true
			}
		}
		return nil, 0, false
	case celast.CallKind:
	default:
		return nil, 0, false
	}
	call := e.AsCall()
	args := call.Args()
	switch fn := call.FunctionName(); fn {
	case operators.LogicalAnd, operators.LogicalOr:
		var ps []pred
		cost := 0
		for _, a := range args {
			p, c, ok := compilePred(a)
			if !ok {
				return nil, 0, false
			}
			ps = append(ps, p)
			cost = max(cost, c)
		}
		if len(ps) == 2 {
			a, b := ps[0], ps[1]
			if fn == operators.LogicalAnd {
				return func(f *facts) bool { return a(f) && b(f) }, cost, true
			}
			return func(f *facts) bool { return a(f) || b(f) }, cost, true
		}
		if fn == operators.LogicalAnd {
			return func(f *facts) bool {
				for _, p := range ps {
					if !p(f) {
						return false
					}
				}
				return true
			}, cost, true
		}
		return func(f *facts) bool {
			for _, p := range ps {
				if p(f) {
					return true
				}
			}
			return false
		}, cost, true
	case operators.LogicalNot:
		p, c, ok := compilePred(args[0])
		if !ok {
			return nil, 0, false
		}
		return func(f *facts) bool { return !p(f) }, c, true
	case operators.Equals, operators.NotEquals:
		a, b := args[0], args[1]
		if _, ok := stringLit(a); ok {
			a, b = b, a
		}
		lit, ok := stringLit(b)
		if g, ok2 := stringOperand(a); ok && ok2 {
			get := g.get
			if fn == operators.Equals {
				return func(f *facts) bool { return get(f) == lit }, g.cost, true
			}
			return func(f *facts) bool { return get(f) != lit }, g.cost, true
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
					return func(f *facts) bool { return get(f.ev) == code }, costField, true
				}
				return func(f *facts) bool { return get(f.ev) != code }, costField, true
			}
		}
		return nil, 0, false
	case operators.In:
		if g, ok := stringOperand(args[0]); ok {
			if l, ok := stringList(args[1]); ok {
				in, get := stringSet(l), g.get
				return func(f *facts) bool { return in(get(f)) }, g.cost, true
			}
			return nil, 0, false
		}
		lit, ok := stringLit(args[0])
		if !ok {
			return nil, 0, false
		}
		if isAnnotations(args[1]) {
			if lit == decisionAnnotation {
				return func(f *facts) bool { return f.decisionOf() != "" || hasKey(f.ev.Annotations, lit) }, costAnnotation, true
			}
			return func(f *facts) bool { return hasKey(f.ev.Annotations, lit) }, costAnnotation, true
		}
		if p, ok := eventPath(args[1]); ok && (p == "user.groups" || p == "impersonatedUser.groups") {
			imp := p == "impersonatedUser.groups"
			return func(f *facts) bool {
				groups := f.ev.User.Groups
				if imp {
					if f.ev.ImpersonatedUser == nil {
						return false
					}
					groups = f.ev.ImpersonatedUser.Groups
				}
				for _, g := range groups {
					if g == lit {
						return true
					}
				}
				return false
			}, costField, true
		}
		return nil, 0, false
	case overloads.StartsWith, overloads.EndsWith, overloads.Contains:
		if !call.IsMemberFunction() || len(args) != 1 {
			return nil, 0, false
		}
		g, ok := stringOperand(call.Target())
		lit, ok2 := stringLit(args[0])
		if !ok || !ok2 {
			return nil, 0, false
		}
		get := g.get
		switch fn {
		case overloads.StartsWith:
			return func(f *facts) bool { return strings.HasPrefix(get(f), lit) }, g.cost, true
		case overloads.EndsWith:
			return func(f *facts) bool { return strings.HasSuffix(get(f), lit) }, g.cost, true
		}
		return func(f *facts) bool { return strings.Contains(get(f), lit) }, g.cost, true
	case "allowed", "forbidden", "isServiceAccount", "isNode", "controlPlane":
		if len(args) != 1 || args[0].Kind() != celast.IdentKind || args[0].AsIdent() != "event" || call.IsMemberFunction() {
			return nil, 0, false
		}
		switch fn {
		case "allowed":
			return func(f *facts) bool { return f.decisionOf() == "allow" }, costAnnotation, true
		case "forbidden":
			return func(f *facts) bool { return f.decisionOf() == "forbid" }, costAnnotation, true
		case "isServiceAccount":
			return func(f *facts) bool { return strings.HasPrefix(f.ev.User.Username, saPrefix) }, costField, true
		case "isNode":
			return func(f *facts) bool { return isNode(&f.ev.User) }, costHelper, true
		}
		return func(f *facts) bool { return isControlPlane(f.ev.User.Username) }, costHelper, true
	}
	return nil, 0, false
}

// compileParamPred translates outsideCIDRs(event.sourceIPs, L) and
// ipInCIDRs(peerIP(event), L), L being params.X or a sum of those, exactly
// (the same parsing as the CEL functions, done once).
func compileParamPred(e celast.Expr) (func(map[string][]string) pred, bool) {
	if e.Kind() != celast.CallKind {
		return nil, false
	}
	call := e.AsCall()
	args := call.Args()
	if call.IsMemberFunction() || len(args) != 2 {
		return nil, false
	}
	names, ok := paramLists(args[1], nil)
	if !ok {
		return nil, false
	}
	set := func(params map[string][]string) cidrSet {
		var all []string
		for _, n := range names {
			all = append(all, params[n]...)
		}
		return parseCIDRs(all)
	}
	switch call.FunctionName() {
	case "outsideCIDRs":
		if p, ok := eventPath(args[0]); !ok || p != "sourceIPs" {
			return nil, false
		}
		return func(params map[string][]string) pred {
			cs := set(params)
			return func(f *facts) bool {
				for _, ip := range f.ev.SourceIPs {
					if !cs.contains(ip) {
						return true
					}
				}
				return false
			}
		}, true
	case "ipInCIDRs":
		g, ok := stringOperand(args[0])
		if !ok || g.cost != costField {
			return nil, false
		}
		return func(params map[string][]string) pred {
			cs := set(params)
			return func(f *facts) bool { return cs.contains(g.get(f)) }
		}, true
	}
	return nil, false
}

// paramLists reads params.X or a sum of those.
func paramLists(e celast.Expr, names []string) ([]string, bool) {
	switch e.Kind() {
	case celast.SelectKind:
		sel := e.AsSelect()
		if op := sel.Operand(); !sel.IsTestOnly() && op.Kind() == celast.IdentKind && op.AsIdent() == "params" {
			return append(names, sel.FieldName()), true
		}
	case celast.CallKind:
		call := e.AsCall()
		if call.FunctionName() == operators.Add && len(call.Args()) == 2 {
			names, ok := paramLists(call.Args()[0], names)
			if !ok {
				return nil, false
			}
			return paramLists(call.Args()[1], names)
		}
	}
	return nil, false
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
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
