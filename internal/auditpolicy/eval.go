package auditpolicy

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	audit "k8s.io/apiserver/pkg/apis/audit"
	auditinternal "k8s.io/apiserver/pkg/audit"
	"k8s.io/apiserver/pkg/audit/policy"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// Decision is what the policy decides for one request.
type Decision struct {
	Level audit.Level
	// OmitStages are the stages not recorded: the union of the policy's and
	// the deciding rule's omitStages, in stage order.
	OmitStages        []audit.Stage
	OmitManagedFields bool
	// RuleIndex is the 0-based index of the deciding rule, -1 when no rule
	// matches (the request is not logged).
	RuleIndex int
}

// Evaluator evaluates requests with kube-apiserver's own audit policy
// evaluator (policy.NewPolicyRuleEvaluator), on deep copies of the policy.
//
// The real evaluator returns a level, not the rule that decided it. To get
// the index too, a second deep copy has each rule's level replaced by its
// index ("0", "1", ...): the same first-match code then returns the index
// of the rule it stopped at (or "None" when no rule matched). Levels are
// opaque strings to the matcher, so the two copies match identically; the
// tests check it on every request they evaluate.
//
// For speed, RuleIndex runs the real evaluator on the subset of rules that
// can match the request at all: for a non-resource request the rules with
// no resources and namespaces, for a resource request those with no
// resources or with an entry whose group and resource patterns match it
// (names are left to the evaluator). The subset keeps the rules' order, so
// the first match is the same; the tests check RuleIndex against the whole
// policy on random policies and requests.
type Evaluator struct {
	real    auditinternal.PolicyRuleEvaluator
	indexed auditinternal.PolicyRuleEvaluator
	rules   []Decision // per rule, as the real evaluator returns it
	none    Decision

	policy      *audit.Policy // the index-carrying copy, for subsets
	nonResource auditinternal.PolicyRuleEvaluator
	mu          sync.RWMutex
	byResource  map[resourceKey]auditinternal.PolicyRuleEvaluator
}

type resourceKey struct{ group, resource, sub string }

// NewEvaluator builds an evaluator for p. p is not modified.
func NewEvaluator(p *audit.Policy) *Evaluator {
	real := p.DeepCopy()
	ix := p.DeepCopy()
	for i := range ix.Rules {
		ix.Rules[i].Level = audit.Level(strconv.Itoa(i))
	}
	e := &Evaluator{
		real:    policy.NewPolicyRuleEvaluator(real),
		indexed: policy.NewPolicyRuleEvaluator(ix),
		rules:   make([]Decision, len(ix.Rules)),
	}
	// NewPolicyRuleEvaluator has rewritten each rule's OmitStages to the
	// union with the policy's (in map order): read it back from the copy.
	for i, r := range ix.Rules {
		omf := p.OmitManagedFields
		if r.OmitManagedFields != nil {
			omf = *r.OmitManagedFields
		}
		e.rules[i] = Decision{Level: p.Rules[i].Level, OmitStages: sortStages(r.OmitStages), OmitManagedFields: omf, RuleIndex: i}
	}
	e.none = Decision{Level: policy.DefaultAuditLevel, OmitStages: sortStages(p.OmitStages), OmitManagedFields: p.OmitManagedFields, RuleIndex: -1}
	e.policy = p.DeepCopy()
	for i := range e.policy.Rules {
		e.policy.Rules[i].Level = audit.Level(strconv.Itoa(i))
	}
	e.nonResource = e.subset(func(r *audit.PolicyRule) bool { return len(r.Resources) == 0 && len(r.Namespaces) == 0 })
	e.byResource = map[resourceKey]auditinternal.PolicyRuleEvaluator{}
	return e
}

// subset is the real evaluator over the rules keep selects, in order, with
// their levels replaced by their index in the whole policy.
func (e *Evaluator) subset(keep func(*audit.PolicyRule) bool) auditinternal.PolicyRuleEvaluator {
	sub := &audit.Policy{OmitStages: e.policy.OmitStages, OmitManagedFields: e.policy.OmitManagedFields}
	for i := range e.policy.Rules {
		if keep(&e.policy.Rules[i]) {
			sub.Rules = append(sub.Rules, e.policy.Rules[i]) // the evaluator only reassigns OmitStages
		}
	}
	return policy.NewPolicyRuleEvaluator(sub)
}

func (e *Evaluator) forResource(k resourceKey) auditinternal.PolicyRuleEvaluator {
	e.mu.RLock()
	ev := e.byResource[k]
	e.mu.RUnlock()
	if ev != nil {
		return ev
	}
	ev = e.subset(func(r *audit.PolicyRule) bool {
		if len(r.Resources) == 0 {
			// Namespaces only, or nothing: every resource request is a
			// candidate. Non-resource URLs only: none is.
			return len(r.Namespaces) > 0 || len(r.NonResourceURLs) == 0
		}
		for _, gr := range r.Resources {
			if gr.Group != k.group && gr.Group != "*" {
				continue
			}
			if len(gr.Resources) == 0 || matchesAnyResource(gr.Resources, k.resource, k.sub) {
				return true
			}
		}
		return false
	})
	e.mu.Lock()
	if len(e.byResource) > 4096 {
		e.byResource = map[resourceKey]auditinternal.PolicyRuleEvaluator{} // bound memory on odd logs
	}
	e.byResource[k] = ev
	e.mu.Unlock()
	return ev
}

// Rules is the number of rules.
func (e *Evaluator) Rules() int { return len(e.rules) }

// RuleIndex returns the index of the rule deciding attrs, or -1. It is the
// fast path for replaying logs: one pass of the real evaluator.
func (e *Evaluator) RuleIndex(attrs authorizer.Attributes) int {
	if !attrs.IsResourceRequest() {
		return indexOf(e.nonResource.EvaluatePolicyRule(attrs).Level)
	}
	ev := e.forResource(resourceKey{attrs.GetAPIGroup(), attrs.GetResource(), attrs.GetSubresource()})
	return indexOf(ev.EvaluatePolicyRule(attrs).Level)
}

// wholeIndex is RuleIndex over the whole policy, for the many one-off
// requests lint builds (no subset to build per resource).
func (e *Evaluator) wholeIndex(attrs authorizer.Attributes) int {
	return indexOf(e.indexed.EvaluatePolicyRule(attrs).Level)
}

// Decide returns the decision of a rule index from RuleIndex.
func (e *Evaluator) Decide(idx int) Decision {
	if idx < 0 || idx >= len(e.rules) {
		return e.none
	}
	return e.rules[idx]
}

// Evaluate returns the full decision for attrs, from both copies, and
// panics if they disagree (they cannot: it would be a bug in this package).
func (e *Evaluator) Evaluate(attrs authorizer.Attributes) Decision {
	idx := e.wholeIndex(attrs)
	d := e.Decide(idx)
	rac := e.real.EvaluatePolicyRule(attrs)
	if rac.Level != d.Level || rac.OmitManagedFields != d.OmitManagedFields || !sameStages(rac.OmitStages, d.OmitStages) {
		panic(fmt.Sprintf("auditpolicy: evaluator copies disagree: rule %d gives %+v, the real evaluator %+v", idx, d, rac))
	}
	return d
}

// EvaluateRequest evaluates a Request.
func (e *Evaluator) EvaluateRequest(r Request) Decision {
	a := r.Attributes()
	return e.Evaluate(&a)
}

func indexOf(l audit.Level) int {
	s := string(l)
	if s == "" || s[0] < '0' || s[0] > '9' {
		return -1 // "None": no rule matched
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

var stageOrder = map[audit.Stage]int{
	audit.StageRequestReceived: 0, audit.StageResponseStarted: 1, audit.StageResponseComplete: 2, audit.StagePanic: 3,
}

func sortStages(in []audit.Stage) []audit.Stage {
	out := append([]audit.Stage{}, in...)
	sort.Slice(out, func(i, j int) bool {
		oi, iok := stageOrder[out[i]]
		oj, jok := stageOrder[out[j]]
		if iok != jok {
			return iok
		}
		if oi != oj {
			return oi < oj
		}
		return out[i] < out[j]
	})
	// The union has no duplicates; a policy-level list may (validation allows it).
	w := 0
	for i, s := range out {
		if i == 0 || s != out[w-1] {
			out[w] = s
			w++
		}
	}
	return out[:w]
}

func sameStages(a, b []audit.Stage) bool {
	return slices.Equal(sortStages(a), sortStages(b))
}

// Omits reports whether the decision omits stage s.
func (d Decision) Omits(s audit.Stage) bool {
	for _, x := range d.OmitStages {
		if x == s {
			return true
		}
	}
	return false
}

// Request is a request as the audit filter sees it: the authenticated user
// (never the impersonated one: kube-apiserver evaluates the policy before
// impersonation) and the request info.
type Request struct {
	// User and Groups are the authenticated identity. NoUser is a request
	// that failed authentication: the policy sees no user at all, and no
	// rule with users or userGroups matches it.
	User   string   `json:"user,omitempty"`
	Groups []string `json:"groups,omitempty"`
	NoUser bool     `json:"noUser,omitempty"`
	Verb   string   `json:"verb"`
	// Resource requests.
	APIGroup    string `json:"apiGroup,omitempty"`
	APIVersion  string `json:"apiVersion,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
	// Path is the URL path of a non-resource request (Resource empty).
	Path string `json:"path,omitempty"`
}

// IsResourceRequest reports whether the request is for an API resource.
func (r Request) IsResourceRequest() bool { return r.Resource != "" }

// Attributes builds the authorizer attributes the audit filter passes to
// the evaluator.
func (r Request) Attributes() authorizer.AttributesRecord {
	a := authorizer.AttributesRecord{
		Verb:            r.Verb,
		Namespace:       r.Namespace,
		APIGroup:        r.APIGroup,
		APIVersion:      r.APIVersion,
		Resource:        r.Resource,
		Subresource:     r.Subresource,
		Name:            r.Name,
		ResourceRequest: r.IsResourceRequest(),
		Path:            r.Path,
	}
	if !r.NoUser {
		a.User = &user.DefaultInfo{Name: r.User, Groups: r.Groups}
	}
	return a
}

// String describes the request: "get secrets db-password in default as alice".
func (r Request) String() string {
	var b strings.Builder
	b.WriteString(r.Verb)
	b.WriteByte(' ')
	b.WriteString(r.Target())
	switch {
	case r.NoUser:
		b.WriteString(" without credentials (failed authentication)")
	default:
		b.WriteString(" as " + r.User)
	}
	return b.String()
}

// Target is the resource (with group, subresource, name, namespace) or path.
func (r Request) Target() string {
	if !r.IsResourceRequest() {
		return r.Path
	}
	s := r.Resource
	if r.APIGroup != "" {
		s += "." + r.APIGroup
	}
	if r.Subresource != "" {
		s += "/" + r.Subresource
	}
	if r.Name != "" {
		s += " " + r.Name
	}
	if r.Namespace != "" {
		s += " in " + r.Namespace
	}
	return s
}

// ImplicitGroups returns groups plus the ones kube-apiserver's
// authenticators add: system:unauthenticated for system:anonymous,
// system:authenticated for everyone else, and system:serviceaccounts plus
// system:serviceaccounts:NS for service account users.
func ImplicitGroups(userName string, groups []string) []string {
	out := append([]string{}, groups...)
	add := func(g string) {
		for _, x := range out {
			if x == g {
				return
			}
		}
		out = append(out, g)
	}
	if userName == user.Anonymous {
		add(user.AllUnauthenticated)
		return out
	}
	if rest, ok := strings.CutPrefix(userName, "system:serviceaccount:"); ok {
		if ns, _, ok := strings.Cut(rest, ":"); ok && ns != "" {
			add("system:serviceaccounts")
			add("system:serviceaccounts:" + ns)
		}
	}
	add(user.AllAuthenticated)
	return out
}

// levelRank orders levels; -1 for a value that is not a level.
func levelRank(l audit.Level) int {
	switch l {
	case audit.LevelNone:
		return 0
	case audit.LevelMetadata:
		return 1
	case audit.LevelRequest:
		return 2
	case audit.LevelRequestResponse:
		return 3
	}
	return -1
}
