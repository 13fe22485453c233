package rbacusage

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiserver/pkg/apis/audit"

	"github.com/apiguard/apiguard/internal/auditpolicy"
	"github.com/apiguard/apiguard/internal/rbac"
)

// Report is the usage of every subject's grants in the window.
type Report struct {
	Window Window `json:"window"`
	// Events is the number of requests counted (see Stats.Counted).
	Events   int64          `json:"events"`
	Stats    Stats          `json:"stats"`
	Subjects []SubjectUsage `json:"subjects"`
	Blind    []Blind        `json:"blind"`
	Policy   bool           `json:"policy"`
	Note     string         `json:"note,omitempty"`
	Model    *rbac.Policy   `json:"-"`
	byKey    map[SubjectKey]int
}

// Window is the span the counted events cover (null without events).
type Window struct {
	From *time.Time `json:"from"`
	To   *time.Time `json:"to"`
}

// SubjectUsage is one subject's grants and their use.
type SubjectUsage struct {
	Subject SubjectKey `json:"subject"`
	// Requests: for a User or ServiceAccount the authorized requests it
	// made (impersonating counts as one); for a Group the requests of its
	// members its bindings allowed.
	Requests int64      `json:"requests"`
	LastSeen *time.Time `json:"lastSeen"`
	// Unattributed requests were authorized but no grant of the model
	// allows them (another authorizer, or RBAC changed since).
	Unattributed int64 `json:"unattributed,omitempty"`
	// Members are the identities whose requests a Group's bindings allowed.
	Members  []string       `json:"members,omitempty"`
	Bindings []BindingUsage `json:"bindings"`
	Denied   []DeniedUsage  `json:"denied"`
}

// BindingUsage is one binding the subject holds (or, with Via, one it used
// through a group).
type BindingUsage struct {
	Kind      string      `json:"kind"`
	Name      string      `json:"name"`
	Namespace string      `json:"namespace,omitempty"`
	RoleRef   RoleRef     `json:"roleRef"`
	Via       string      `json:"via,omitempty"` // "Group NAME"
	Used      bool        `json:"used"`
	Default   bool        `json:"default,omitempty"`
	Rules     []RuleUsage `json:"rules"`
	binding   int32
}

// RoleRef names the bound role.
type RoleRef struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// RuleUsage is one rule of the bound role.
type RuleUsage struct {
	APIGroups       []string `json:"apiGroups"`
	Resources       []string `json:"resources"`
	Verbs           []string `json:"verbs"`
	ResourceNames   []string `json:"resourceNames"`
	NonResourceURLs []string `json:"nonResourceURLs"`
	Used            bool     `json:"used"`
	Requests        int64    `json:"requests"`
	// Blind: unused, and the audit policy logs part of it at None: it
	// cannot be judged unused.
	Blind bool `json:"blind,omitempty"`
}

// DeniedUsage is a request shape authorization refused, and how often.
type DeniedUsage struct {
	DeniedKey
	Requests int64 `json:"requests"`
}

// Blind is an unused rule of which some requests are not logged.
type Blind struct {
	Subject SubjectKey `json:"subject"`
	Binding string     `json:"binding"`
	Rule    int        `json:"rule"`
	// Unlogged are requests the rule allows that the policy logs at None
	// (at most 20), More how many more.
	Unlogged []string `json:"unlogged"`
	More     int      `json:"more,omitempty"`
}

// NoPolicyNote is said when no audit policy was given.
const NoPolicyNote = "no audit policy read (--policy, or a snapshot that holds one): the judgement assumes every request is logged"

// Result builds the report whole (Stream, every subject appended). The
// engine can go on counting afterwards.
func (e *Engine) Result() *Report {
	u := e.Stream()
	r := u.Header()
	r.byKey = make(map[SubjectKey]int, len(u.keys))
	r.Subjects = make([]SubjectUsage, 0, len(u.keys))
	u.Each(func(su *SubjectUsage) error {
		r.byKey[su.Subject] = len(r.Subjects)
		r.Subjects = append(r.Subjects, *su)
		return nil
	})
	return r
}

// Subjects is a report handed out one subject at a time: the header
// (everything but Subjects), then each subject in order. Both a Report
// and a Usage are.
type Subjects interface {
	// Header is the report without its subjects.
	Header() *Report
	// Each calls fn with each subject in order; the SubjectUsage is fn's
	// until it returns. It stops at fn's first error and returns it.
	Each(fn func(*SubjectUsage) error) error
}

// Header is r without its subjects.
func (r *Report) Header() *Report {
	h := *r
	h.Subjects, h.byKey = nil, nil
	return &h
}

// Each calls fn with each subject of r in order.
func (r *Report) Each(fn func(*SubjectUsage) error) error {
	for i := range r.Subjects {
		if err := fn(&r.Subjects[i]); err != nil {
			return err
		}
	}
	return nil
}

// Usage is the engine's report, built one subject at a time when it is
// walked (Each): a large model's report (millions of rules) is never held
// whole. It reads the engine: it is valid until the next Add.
type Usage struct {
	e      *Engine
	header Report
	keys   []SubjectKey
	held   map[SubjectKey][]int32
	// blind are the blind rules (with an audit policy), judged up front:
	// the header counts them.
	blind map[blindRef]struct{}
}

type blindRef struct {
	subject SubjectKey
	binding int32
	rule    int
}

// Stream returns the report to walk subject by subject. The engine can go
// on counting afterwards (then Stream again).
func (e *Engine) Stream() *Usage {
	// the cache of answers is not needed to judge: its memory goes to the
	// report (Add refills it if counting goes on)
	e.cache, e.answers = map[uint64]uint64{}, nil
	u := &Usage{e: e, header: Report{Events: e.stats.Counted, Stats: e.stats, Policy: e.opts.Policy != nil, Model: e.p, Blind: []Blind{}}}
	r := &u.header
	if !r.Policy {
		r.Note = NoPolicyNote
	}
	if e.stats.Counted > 0 {
		from, to := e.from.UTC(), e.to.UTC()
		r.Window = Window{From: &from, To: &to}
	}
	held := map[SubjectKey][]int32{}
	for i, b := range e.bindings {
		for _, s := range b.Subjects {
			k := SubjectKey{Kind: s.Kind, Name: s.Name}
			switch s.Kind {
			case rbac.KindUser, rbac.KindGroup:
			case rbac.KindServiceAccount:
				k.Namespace = s.Namespace
				if k.Namespace == "" {
					k.Namespace = b.Namespace
				}
				if k.Namespace == "" {
					continue
				}
			default:
				continue
			}
			if l := held[k]; len(l) == 0 || l[len(l)-1] != int32(i) {
				held[k] = append(l, int32(i))
			}
		}
	}
	keys := make([]SubjectKey, 0, len(held)+len(e.subjects))
	for k := range held {
		keys = append(keys, k)
	}
	for k := range e.subjects {
		if _, ok := held[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return lessSubject(keys[i], keys[j]) })
	u.keys, u.held = keys, held
	if e.opts.Policy != nil {
		ev := newBlindEval(e.opts.Policy)
		u.blind = map[blindRef]struct{}{}
		for _, k := range keys {
			su := u.build(k)
			for bi := range su.Bindings {
				b := &su.Bindings[bi]
				for ri := range b.Rules {
					if b.Rules[ri].Used || b.binding == e.privileged {
						continue
					}
					if bl := ev.judge(k, e.bindings[b.binding], ri); bl != nil {
						u.blind[blindRef{k, b.binding, ri}] = struct{}{}
						r.Blind = append(r.Blind, *bl)
					}
				}
			}
		}
	}
	return u
}

// Header is the report without its subjects: the window, the counts, the
// blind rules.
func (u *Usage) Header() *Report {
	h := u.header
	h.Blind = slices.Clone(u.header.Blind)
	return &h
}

// Len is the number of subjects.
func (u *Usage) Len() int { return len(u.keys) }

// Each builds each subject's usage in order and calls fn with it.
func (u *Usage) Each(fn func(*SubjectUsage) error) error {
	for _, k := range u.keys {
		su := u.build(k)
		if err := fn(&su); err != nil {
			return err
		}
	}
	return nil
}

// Subject returns the usage of a subject, or nil.
func (u *Usage) Subject(k SubjectKey) *SubjectUsage {
	if _, ok := u.held[k]; !ok && u.e.subjects[k] == nil {
		return nil
	}
	su := u.build(k)
	return &su
}

// build is subject k's usage, blind rules marked.
func (u *Usage) build(k SubjectKey) SubjectUsage {
	e := u.e
	su := SubjectUsage{Subject: k, Bindings: []BindingUsage{}, Denied: []DeniedUsage{}}
	s := e.subjects[k]
	if s != nil {
		su.Requests, su.Unattributed = s.requests, s.unattributed
		if !s.lastSeen.IsZero() {
			t := s.lastSeen.UTC()
			su.LastSeen = &t
		}
		for m := range s.members {
			su.Members = append(su.Members, m)
		}
		sort.Strings(su.Members)
		for d, n := range s.denied {
			su.Denied = append(su.Denied, DeniedUsage{DeniedKey: d, Requests: n})
		}
		sort.Slice(su.Denied, func(i, j int) bool {
			a, b := su.Denied[i], su.Denied[j]
			if a.Requests != b.Requests {
				return a.Requests > b.Requests
			}
			return fmt.Sprint(a.DeniedKey) < fmt.Sprint(b.DeniedKey)
		})
	}
	for _, bi := range u.held[k] {
		su.Bindings = append(su.Bindings, e.bindingUsage(k, bi, ""))
	}
	if s != nil {
		var via []int32
		for bi := range s.via {
			via = append(via, bi)
		}
		sort.Slice(via, func(i, j int) bool { return via[i] < via[j] })
		for _, bi := range via {
			su.Bindings = append(su.Bindings, e.bindingUsage(k, bi, "Group "+s.via[bi]))
		}
		if e.count(k, e.privileged, 0) > 0 {
			su.Bindings = append(su.Bindings, e.bindingUsage(k, e.privileged, ""))
		}
	}
	if len(u.blind) > 0 {
		for bi := range su.Bindings {
			b := &su.Bindings[bi]
			for ri := range b.Rules {
				if _, ok := u.blind[blindRef{k, b.binding, ri}]; ok {
					b.Rules[ri].Blind = true
				}
			}
		}
	}
	return su
}

// Subject returns the usage of a subject, or nil.
func (r *Report) Subject(k SubjectKey) *SubjectUsage {
	i, ok := r.byKey[k]
	if !ok {
		return nil
	}
	return &r.Subjects[i]
}

func lessSubject(a, b SubjectKey) bool {
	rank := func(k string) int {
		switch k {
		case rbac.KindUser:
			return 0
		case rbac.KindGroup:
			return 1
		}
		return 2
	}
	if a.Kind != b.Kind {
		return rank(a.Kind) < rank(b.Kind)
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

func list(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// bindingUsage is binding bi's rules with k's use of them.
func (e *Engine) bindingUsage(k SubjectKey, bi int32, via string) BindingUsage {
	if bi == e.privileged {
		n := e.count(k, bi, 0)
		return BindingUsage{Kind: rbac.KindPrivilegedGroup, Name: rbac.PrivilegedGroup, Used: n > 0, binding: bi,
			Rules: []RuleUsage{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}, ResourceNames: []string{},
				NonResourceURLs: []string{"*"}, Used: n > 0, Requests: n}}}
	}
	b := e.bindings[bi]
	bu := BindingUsage{Kind: b.Kind, Name: b.Name, Namespace: b.Namespace, RoleRef: RoleRef{Kind: b.RoleRef.Kind, Name: b.RoleRef.Name},
		Via: via, Default: e.discovery[bi], Rules: []RuleUsage{}, binding: bi}
	if b.Role == nil {
		return bu
	}
	bu.Rules = make([]RuleUsage, 0, len(b.Role.Rules))
	for ri, rule := range b.Role.Rules {
		n := e.count(k, bi, int32(ri))
		bu.Rules = append(bu.Rules, RuleUsage{APIGroups: list(rule.APIGroups), Resources: list(rule.Resources), Verbs: list(rule.Verbs),
			ResourceNames: list(rule.ResourceNames), NonResourceURLs: list(rule.NonResourceURLs), Used: n > 0, Requests: n})
		if n > 0 {
			bu.Used = true
		}
	}
	return bu
}

// blindEval judges unused rules under the audit policy.
type blindEval struct {
	ev         *auditpolicy.Evaluator
	namespaces []string // those the policy names, for cluster-wide grants
}

func newBlindEval(p *auditpolicy.Policy) *blindEval {
	be := &blindEval{ev: auditpolicy.NewEvaluator(p.Internal)}
	seen := map[string]bool{}
	for _, r := range p.Internal.Rules {
		for _, ns := range r.Namespaces {
			if ns != "" && !seen[ns] {
				seen[ns] = true
				be.namespaces = append(be.namespaces, ns)
			}
		}
	}
	sort.Strings(be.namespaces)
	return be
}

// standardVerbs are the verbs "*" stands for in the judgement.
var standardVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}

// judge returns the Blind entry of binding b's rule ri for subject k when
// some request the rule allows is logged at None, else nil.
func (be *blindEval) judge(k SubjectKey, b *rbac.Binding, ri int) *Blind {
	rule := b.Role.Rules[ri]
	user, groups := "", []string{}
	switch k.Kind {
	case rbac.KindUser:
		user = k.Name
		groups = auditpolicy.ImplicitGroups(user, nil)
	case rbac.KindServiceAccount:
		user = rbac.ServiceAccountUsername(k.Namespace, k.Name)
		groups = auditpolicy.ImplicitGroups(user, nil)
	case rbac.KindGroup:
		groups = auditpolicy.ImplicitGroups("", []string{k.Name})
	}
	verbs := rule.Verbs
	if contains(verbs, rbacv1.VerbAll) {
		verbs = standardVerbs
	}
	namespaces := []string{b.Namespace}
	if b.Namespace == "" {
		namespaces = append(namespaces, be.namespaces...)
	}
	names := rule.ResourceNames
	if len(names) == 0 {
		names = []string{""}
	}
	var reqs []auditpolicy.Request
	if len(rule.Resources) > 0 {
		for _, g := range expandGroups(rule.APIGroups) {
			for _, res := range expandResources(g, rule.Resources) {
				resource, sub, _ := strings.Cut(res, "/")
				for _, v := range verbs {
					for _, ns := range namespaces {
						for _, n := range names {
							reqs = append(reqs, auditpolicy.Request{User: user, Groups: groups, Verb: v, APIGroup: g,
								Resource: resource, Subresource: sub, Namespace: ns, Name: n})
						}
					}
				}
			}
		}
	}
	if b.Namespace == "" {
		for _, u := range rule.NonResourceURLs {
			path := strings.TrimSuffix(u, "*")
			if path == "" {
				path = "/"
			}
			for _, v := range verbs {
				reqs = append(reqs, auditpolicy.Request{User: user, Groups: groups, Verb: v, Path: path})
			}
		}
	}
	var bl *Blind
	for _, r := range reqs {
		a := r.Attributes()
		if be.ev.Decide(be.ev.RuleIndex(&a)).Level != audit.LevelNone {
			continue
		}
		if bl == nil {
			bl = &Blind{Subject: k, Binding: b.String(), Rule: ri}
		}
		if len(bl.Unlogged) < 20 {
			bl.Unlogged = append(bl.Unlogged, r.Verb+" "+r.Target())
		} else {
			bl.More++
		}
	}
	return bl
}

// expandGroups: "*" is every built-in group.
func expandGroups(groups []string) []string {
	if contains(groups, rbacv1.APIGroupAll) {
		return auditpolicy.BuiltinGroups()
	}
	return groups
}

// expandResources: "*" is every built-in resource and subresource of the
// group (a group apiguard does not know keeps "*", judged by the policy's
// rules for every resource); "*/sub" every built-in resource with it.
func expandResources(group string, resources []string) []string {
	var out []string
	builtin := auditpolicy.BuiltinResources(group)
	for _, r := range resources {
		switch {
		case r == rbacv1.ResourceAll && len(builtin) > 0:
			out = append(out, builtin...)
		case strings.HasPrefix(r, "*/") && len(builtin) > 0:
			for _, b := range builtin {
				if strings.HasSuffix(b, r[1:]) {
					out = append(out, b)
				}
			}
		default:
			out = append(out, r)
		}
	}
	return out
}
