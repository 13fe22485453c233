// Package detect is apiguard's audit-log detection engine and its built-in
// rule catalogue.
//
// # API (stable; the offline scanner and the webhook receiver both use it)
//
//	rules := detect.Builtin()                      // []detect.Rule, compiled, sorted by tactic
//	more, err := detect.LoadRules("my-rules.yaml")  // same YAML format, compiled; errors name file:line
//	engine, err := detect.New(append(rules, more...), detect.Options{
//		AllowCIDRs: []netip.Prefix{...},           // enables the rules whose params need them
//		PodCIDRs:   []netip.Prefix{...},
//		NodeCIDRs:  []netip.Prefix{...},
//	})
//	for ... {
//		alerts := engine.Process(ev)               // ev *auditv1.Event (k8s.io/apiserver/pkg/apis/audit/v1)
//	}
//	alerts := engine.Flush()                       // at the end of input (clears windows)
//	engine.Stats()                                 // per-rule evaluations, matches, alerts, errors
//
//	// Several cores: each goroutine matches with its own Matcher (rule
//	// conditions keep no state); one goroutine commits, in event order.
//	m := engine.NewMatcher()                       // per worker goroutine
//	ms := m.Match(ev, nil)                         // []detect.Match
//	alerts := engine.Commit(ev, ms)                // in order, one goroutine
//	engine.Inactive()                              // rules skipped for missing params, and why
//	detect.Coverage(rules, policy)                 // which rules a given audit policy blinds
//
// An Engine is safe for use by one goroutine at a time: Process keeps the
// state of windowed rules (counts per user or source IP, evicted as they
// age, bounded by Options.MaxKeys) and the recent (rule, request) pairs
// that already alerted, so the ResponseStarted and ResponseComplete events
// of one request alert once (a request is its auditID with its
// requestReceivedTimestamp, user, verb and URI: see requestKey). Windows
// run on event time (requestReceivedTimestamp), so offline files and live streams
// give the same alerts. Process does not retain ev.
//
// Events come from internal/auditlog: auditlog.Open(paths...) or
// auditlog.NewDecoder(r, name) for JSON-lines logs, and
// auditlog.NewLineDecoder().DecodeEventList(body) for a webhook body.
package detect

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/check"
)

// Options configure an Engine.
type Options struct {
	// AllowCIDRs: requests from elsewhere alert (rules with params
	// [allowCIDRs]; inactive when empty).
	AllowCIDRs []netip.Prefix
	// PodCIDRs and NodeCIDRs: where ServiceAccount tokens are expected to
	// be used from (rules with params [podCIDRs] or [nodeCIDRs]).
	PodCIDRs  []netip.Prefix
	NodeCIDRs []netip.Prefix
	// MaxKeys bounds the keys one windowed rule tracks (default 50000);
	// beyond it the stalest keys are evicted.
	MaxKeys int
	// DedupeSize bounds the remembered (rule, request) pairs (default 65536).
	DedupeSize int
	// Learn, when set, replaces the learning period of every firstSeen
	// rule (audit scan --learn; 0 keeps each rule's own).
	Learn time.Duration
	// NoPrefilter evaluates every rule's CEL condition on every event:
	// no Go prefilter, no resource index. Same alerts, slower: it is the
	// reference the differential tests hold the prefilter to.
	NoPrefilter bool
}

// Alert is one detection. For windowed rules the event fields are those of
// the event that completed the window, and Count, Window and Key describe
// the window.
type Alert struct {
	Rule      string         `json:"rule"`
	Title     string         `json:"title"`
	Severity  check.Severity `json:"severity"`
	Tactic    string         `json:"tactic"`
	Technique string         `json:"technique"`
	// EnterpriseTechnique is the rule's more precise ATT&CK technique
	// outside the Containers matrix, when it names one.
	EnterpriseTechnique string `json:"enterpriseTechnique,omitempty"`
	// MSTechnique is the rule's technique of the Threat Matrix for
	// Kubernetes (MS-TA9xxx), when it names one.
	MSTechnique string `json:"msTechnique,omitempty"`
	Message     string `json:"message"`

	AuditID          string    `json:"auditID"`
	Stage            string    `json:"stage,omitempty"`
	Timestamp        time.Time `json:"timestamp"`
	User             string    `json:"user"`
	Groups           []string  `json:"groups,omitempty"`
	ImpersonatedUser string    `json:"impersonatedUser,omitempty"`
	// Identity is who the request acted as: ImpersonatedUser when set,
	// else User (the authenticated identity, always named too).
	Identity     string                   `json:"identity"`
	SourceIPs    []string                 `json:"sourceIPs"`
	UserAgent    string                   `json:"userAgent"`
	Verb         string                   `json:"verb"`
	RequestURI   string                   `json:"requestURI,omitempty"`
	ObjectRef    *auditv1.ObjectReference `json:"objectRef,omitempty"`
	ResponseCode int32                    `json:"responseCode,omitempty"`
	Decision     string                   `json:"decision,omitempty"`

	Count  int    `json:"count,omitempty"`
	Window string `json:"window,omitempty"`
	Key    string `json:"key,omitempty"`

	// Source is where the event was read (file:line), set by the caller.
	Source string `json:"source,omitempty"`
	// ID identifies the alert across deliveries (set by apiguard audit
	// serve and audit scan --from): an alert delivered again after a crash
	// or a redelivery carries the same ID, so a consumer can drop it.
	ID string `json:"id,omitempty"`
}

// Actor names who acted: the identity, and the authenticated user when
// it impersonated another ("erin (impersonated by system:serviceaccount:ci:robot)").
func (a Alert) Actor() string {
	if a.ImpersonatedUser != "" && a.ImpersonatedUser != a.User {
		return a.Identity + " (impersonated by " + a.User + ")"
	}
	return a.Identity
}

// Target renders the object of the alert (namespace/name resource/sub) or
// the request URI.
func (a Alert) Target() string {
	if a.ObjectRef == nil {
		return a.RequestURI
	}
	return objectString(a.ObjectRef)
}

func objectString(o *auditv1.ObjectReference) string {
	res := o.Resource
	if o.APIGroup != "" {
		res += "." + o.APIGroup
	}
	if o.Subresource != "" {
		res += "/" + o.Subresource
	}
	ns := o.Namespace
	if o.Resource == "namespaces" {
		ns = "" // a namespace's objectRef names it twice
	}
	switch {
	case o.Name == "" && ns == "":
		return res
	case o.Name == "":
		return res + " in " + ns
	case ns == "":
		return res + " " + o.Name
	}
	return res + " " + ns + "/" + o.Name
}

// resIndex lists the rules to try on events of one resource, by
// subresource (other: the subresources no rule names).
type resIndex struct {
	bySub map[string][]int
	other []int
}

// RuleStats counts what one rule did.
type RuleStats struct {
	Rule      string `json:"rule"`
	Evaluated int64  `json:"evaluated"`
	Matched   int64  `json:"matched"`
	Alerts    int64  `json:"alerts"`
	Errors    int64  `json:"errors"`
	LastError string `json:"lastError,omitempty"`
}

// InactiveRule is a rule New skipped, and why.
type InactiveRule struct {
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// Engine evaluates rules over a stream of events.
type Engine struct {
	rules      []*Rule
	alerts     []int64
	windows    []*window
	sequences  []*sequence // per rule: a sequence rule's state, else nil
	firstSeens []*firstSeen
	learn      time.Duration // Options.Learn
	byResource map[string]*resIndex
	anyRes     []int
	inactive   []InactiveRule
	params     ref.Val
	preds      [][]pred // per rule: its prefilter (conjuncts on the event, then on params)
	own        *Matcher
	buf        []Match
	seen       *dedupe
	maxKeys    int

	mu       sync.Mutex
	matchers []*Matcher
}

// New prepares an engine. Rules must come from Builtin, LoadRules or
// ParseRules (compiled); IDs must be unique. Rules whose params are not
// given are skipped and listed by Inactive.
func New(rules []Rule, opts Options) (*Engine, error) {
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = 50000
	}
	if opts.DedupeSize <= 0 {
		opts.DedupeSize = 1 << 16
	}
	params := map[string][]string{
		"allowCIDRs": prefixStrings(opts.AllowCIDRs),
		"podCIDRs":   prefixStrings(opts.PodCIDRs),
		"nodeCIDRs":  prefixStrings(opts.NodeCIDRs),
	}
	e := &Engine{
		byResource: map[string]*resIndex{},
		params:     paramsValue(params),
		seen:       newDedupe(opts.DedupeSize),
		maxKeys:    opts.MaxKeys,
		learn:      opts.Learn,
	}
	ids := map[string]bool{}
	for i := range rules {
		r := &rules[i]
		if r.compiled == nil {
			return nil, fmt.Errorf("rule %s is not compiled (use Builtin, LoadRules or ParseRules)", r.ID)
		}
		if ids[r.ID] {
			return nil, fmt.Errorf("rule %s is defined twice (%s:%d)", r.ID, r.File, r.Line)
		}
		ids[r.ID] = true
		var missing []string
		for _, p := range r.Params {
			if len(params[p]) == 0 {
				missing = append(missing, "--"+flagOfParam(p))
			}
		}
		if len(r.Params) > 0 && len(missing) == len(r.Params) {
			e.inactive = append(e.inactive, InactiveRule{Rule: r.ID, Reason: "needs " + strings.Join(missing, " or ")})
			continue
		}
		rc := *r
		e.rules = append(e.rules, &rc)
		var pp []pred
		if !opts.NoPrefilter {
			pp = append(pp, r.compiled.pre.preds...)
			for _, mk := range r.compiled.pre.withParams {
				pp = append(pp, mk(params))
			}
		}
		e.preds = append(e.preds, pp)
		e.alerts = append(e.alerts, 0)
		var w *window
		if r.Window != nil {
			w = newWindow(r.Window, opts.MaxKeys)
		}
		e.windows = append(e.windows, w)
		var s *sequence
		if r.Sequence != nil {
			s = newSequence(r.Sequence, opts.MaxKeys)
		}
		e.sequences = append(e.sequences, s)
		var fs *firstSeen
		if r.FirstSeen != nil {
			fs = newFirstSeen(r.FirstSeen, opts.Learn, opts.MaxKeys)
		}
		e.firstSeens = append(e.firstSeens, fs)
	}
	e.own = e.NewMatcher()
	if opts.NoPrefilter {
		for i := range e.rules {
			e.anyRes = append(e.anyRes, i)
		}
		return e, nil
	}
	// Index: rules constrained to resources (and subresources) are only
	// tried on events of those.
	resSet := map[string]bool{}
	for _, r := range e.rules {
		for res := range r.compiled.pre.resources {
			resSet[res] = true
		}
	}
	for i, r := range e.rules {
		if r.compiled.pre.resources == nil {
			e.anyRes = append(e.anyRes, i)
		}
	}
	for res := range resSet {
		ix := &resIndex{bySub: map[string][]int{}}
		subs := map[string]bool{}
		for _, r := range e.rules {
			if r.compiled.pre.resources[res] {
				for s := range r.compiled.pre.subresources {
					subs[s] = true
				}
			}
		}
		for i, r := range e.rules {
			p := r.compiled.pre
			if p.resources == nil || (p.resources[res] && p.subresources == nil) {
				ix.other = append(ix.other, i)
			}
		}
		for sub := range subs {
			var l []int
			for i, r := range e.rules {
				p := r.compiled.pre
				if p.resources == nil || (p.resources[res] && (p.subresources == nil || p.subresources[sub])) {
					l = append(l, i)
				}
			}
			ix.bySub[sub] = l
		}
		e.byResource[res] = ix
	}
	return e, nil
}

func flagOfParam(p string) string {
	switch p {
	case "allowCIDRs":
		return "allow-cidrs"
	case "podCIDRs":
		return "pod-cidrs"
	case "nodeCIDRs":
		return "node-cidrs"
	}
	return p
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// Rules lists the active rules.
func (e *Engine) Rules() []Rule {
	out := make([]Rule, len(e.rules))
	for i, r := range e.rules {
		out[i] = *r
	}
	return out
}

// Inactive lists the rules skipped for missing parameters.
func (e *Engine) Inactive() []InactiveRule { return append([]InactiveRule(nil), e.inactive...) }

// Stats returns per-rule counters, in rule order, summed over the
// engine's matchers.
func (e *Engine) Stats() []RuleStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]RuleStats, len(e.rules))
	for i, r := range e.rules {
		out[i] = RuleStats{Rule: r.ID, Alerts: e.alerts[i]}
		for _, m := range e.matchers {
			st := m.stats[i]
			out[i].Evaluated += st.Evaluated
			out[i].Matched += st.Matched
			out[i].Errors += st.Errors
			if st.LastError != "" {
				out[i].LastError = st.LastError
			}
		}
	}
	return out
}

// BodyErrors counts request and response bodies rules read that were not
// valid JSON.
func (e *Engine) BodyErrors() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, m := range e.matchers {
		n += m.ctx.decodeErrors
	}
	return n
}

// Process evaluates every rule on ev and returns the alerts it raises.
// It is Commit(ev, Match(ev)) with the engine's own Matcher.
func (e *Engine) Process(ev *auditv1.Event) []Alert {
	if ev == nil {
		return nil
	}
	e.buf = e.own.Match(ev, e.buf[:0])
	return e.Commit(ev, e.buf)
}

// Match is a rule whose condition an event satisfied, with what Commit
// needs (the window key and value, the message).
type Match struct {
	rule     int
	key      string
	distinct string
	message  string
	// steps: for a sequence, the steps the event matched (bit k: After[k],
	// lastStep: the condition)
	steps uint8
}

// lastStep is the bit of a sequence's own condition in Match.steps.
const lastStep = 1 << 7

// Matcher evaluates the rules' conditions, which keep no state, so that
// several goroutines can share the work: each uses its own Matcher, and
// the matches go to Engine.Commit in event order (windows and
// de-duplication depend on the order). A Matcher is used by one goroutine.
type Matcher struct {
	e     *Engine
	ctx   *evalCtx
	facts facts
	stats []RuleStats
}

// NewMatcher returns a matcher for one goroutine. Engine.Stats includes its
// counts; do not call Stats while matchers run.
func (e *Engine) NewMatcher() *Matcher {
	m := &Matcher{e: e, ctx: newEvalCtx(e.params), stats: make([]RuleStats, len(e.rules))}
	e.mu.Lock()
	e.matchers = append(e.matchers, m)
	e.mu.Unlock()
	return m
}

// Match appends the rules ev satisfies to dst.
func (m *Matcher) Match(ev *auditv1.Event, dst []Match) []Match {
	e := m.e
	cands := e.anyRes
	ref := ev.ObjectRef
	if ref == nil {
		ref = &emptyObjectRef
	}
	if ix := e.byResource[ref.Resource]; ix != nil {
		var ok bool
		if cands, ok = ix.bySub[ref.Subresource]; !ok {
			cands = ix.other
		}
	}
	c := m.ctx
	c.reset(ev)
	defer c.reset(nil)
	f := &m.facts
	f.reset(ev)
	defer f.reset(nil)
	for _, i := range cands {
		r := e.rules[i]
		if !allOf(e.preds[i], f) {
			continue
		}
		if r.Sequence != nil {
			if mt, ok := m.matchSequence(i, f); ok {
				dst = append(dst, mt)
			}
			continue
		}
		st := &m.stats[i]
		st.Evaluated++
		out, _, err := r.compiled.cond.Eval(c)
		if err != nil {
			st.Errors++
			st.LastError = err.Error()
			continue
		}
		if out != types.True {
			if types.IsError(out) {
				st.Errors++
				st.LastError = fmt.Sprint(out)
			}
			continue
		}
		st.Matched++
		mt := Match{rule: i}
		if r.compiled.message != nil && r.Window == nil && r.FirstSeen == nil {
			// Windowed rules: only when the window fires (Commit).
			mt.message = evalString(r.compiled.message, c, st)
		}
		if r.Window != nil || r.FirstSeen != nil {
			mt.key = evalString(r.compiled.by, c, st)
			if r.compiled.distinct != nil {
				mt.distinct = evalString(r.compiled.distinct, c, st)
			}
		}
		dst = append(dst, mt)
	}
	return dst
}

// matchSequence evaluates the steps of sequence rule i (each behind its
// prefilter) and the key when one matched.
func (m *Matcher) matchSequence(i int, f *facts) (Match, bool) {
	r := m.e.rules[i]
	c, st := m.ctx, &m.stats[i]
	mt := Match{rule: i}
	eval := func(p cel.Program) bool {
		st.Evaluated++
		out, _, err := p.Eval(c)
		if err != nil || types.IsError(out) {
			st.Errors++
			if err != nil {
				st.LastError = err.Error()
			} else {
				st.LastError = fmt.Sprint(out)
			}
			return false
		}
		return out == types.True
	}
	for k, s := range r.compiled.steps {
		if s.pre.admits(f) && eval(s.cond) {
			mt.steps |= 1 << k
		}
	}
	if r.compiled.last.admits(f) && eval(r.compiled.cond) {
		mt.steps |= lastStep
		st.Matched++
	}
	if mt.steps == 0 {
		return mt, false
	}
	mt.key = evalString(r.compiled.by, c, st)
	return mt, true
}

// Commit applies de-duplication and windows to the matches of ev (from a
// Matcher, events in order) and returns the alerts. Commit and Process
// share the engine's state: call them from one goroutine.
func (e *Engine) Commit(ev *auditv1.Event, ms []Match) []Alert {
	var alerts []Alert
	var (
		rk    reqKey
		keyed bool
	)
	for _, mt := range ms {
		i := mt.rule
		// First-seen and sequence state is idempotent (a value seen again,
		// a step or a completion repeated, changes nothing): only the other
		// rules (and absent-sequences, whose alert changes no state)
		// remember requests, which costs the rules that match most events
		// (AG-DET-108) nothing.
		if ev.AuditID != "" && e.firstSeens[i] == nil && (e.sequences[i] == nil || e.sequences[i].absent) {
			if !keyed {
				rk, keyed = requestKey(ev), true
			}
			if !e.seen.add(i, rk) {
				continue // another stage of the request, or the same event again, already counted
			}
		}
		if f := e.firstSeens[i]; f != nil {
			if f.observe(mt.key, mt.distinct, e.rules[i].FirstSeen.Value != "", memoryTime(ev)) {
				alerts = append(alerts, e.alert(i, ev, e.commitMessage(i, ev), 0, mt.key))
				e.alerts[i]++
			}
			continue
		}
		if s := e.sequences[i]; s != nil {
			if n := s.observe(mt.key, mt.steps, memoryTime(ev)); n > 0 {
				alerts = append(alerts, e.alert(i, ev, e.commitMessage(i, ev), n, mt.key))
				e.alerts[i]++
			}
			continue
		}
		w := e.windows[i]
		if w == nil {
			alerts = append(alerts, e.alert(i, ev, mt.message, 0, ""))
			e.alerts[i]++
			continue
		}
		if n := w.observe(mt.key, mt.distinct, memoryTime(ev)); n > 0 {
			alerts = append(alerts, e.alert(i, ev, e.commitMessage(i, ev), n, mt.key))
			e.alerts[i]++
		}
	}
	return alerts
}

// commitMessage evaluates rule i's message on ev when its window or
// sequence completes ("" without a message).
func (e *Engine) commitMessage(i int, ev *auditv1.Event) string {
	m := e.rules[i].compiled.message
	if m == nil {
		return ""
	}
	c := e.own.ctx
	c.reset(ev)
	defer c.reset(nil)
	return evalString(m, c, &e.own.stats[i])
}

func evalString(p cel.Program, c *evalCtx, st *RuleStats) string {
	out, _, err := p.Eval(c)
	if err != nil {
		st.Errors++
		st.LastError = err.Error()
		return ""
	}
	s, ok := out.(types.String)
	if !ok {
		return fmt.Sprint(out.Value())
	}
	return string(s)
}

// DefaultBy keys a window when its rule names no key: the identity the
// request acted as.
const DefaultBy = "identity(event)"

// identityOf is the identity a request acted as: the impersonated user
// when there is one (the authorizer judged the request as that user), else
// the authenticated one.
func identityOf(ev *auditv1.Event) string {
	if ev.ImpersonatedUser != nil {
		return ev.ImpersonatedUser.Username
	}
	return ev.User.Username
}

func eventTime(ev *auditv1.Event) time.Time {
	if !ev.StageTimestamp.IsZero() {
		return ev.StageTimestamp.Time
	}
	return ev.RequestReceivedTimestamp.Time
}

// memoryTime is the time rules with memory (windows, sequences, first
// seen) place an event at: when the server received the request, the same
// for all its stages, and in the order requests arrived even when a long
// one completes after later ones.
func memoryTime(ev *auditv1.Event) time.Time {
	if !ev.RequestReceivedTimestamp.IsZero() {
		return ev.RequestReceivedTimestamp.Time
	}
	return ev.StageTimestamp.Time
}

func (e *Engine) alert(i int, ev *auditv1.Event, message string, count int, key string) Alert {
	r := e.rules[i]
	a := Alert{
		Rule: r.ID, Title: r.Title, Severity: r.Severity, Tactic: r.Tactic, Technique: r.Technique, EnterpriseTechnique: r.EnterpriseTechnique, MSTechnique: r.MSTechnique,
		AuditID: string(ev.AuditID), Stage: string(ev.Stage), Timestamp: eventTime(ev).UTC(),
		User: ev.User.Username, Groups: ev.User.Groups, SourceIPs: ev.SourceIPs, UserAgent: ev.UserAgent,
		Verb: ev.Verb, RequestURI: ev.RequestURI, Decision: ev.Annotations["authorization.k8s.io/decision"],
	}
	if a.SourceIPs == nil {
		a.SourceIPs = []string{}
	}
	a.Identity = identityOf(ev)
	if ev.ImpersonatedUser != nil {
		a.ImpersonatedUser = ev.ImpersonatedUser.Username
	}
	if ev.ObjectRef != nil {
		o := *ev.ObjectRef
		a.ObjectRef = &o
	}
	if ev.ResponseStatus != nil {
		a.ResponseCode = ev.ResponseStatus.Code
	}
	a.Message = message
	if a.Message == "" {
		a.Message = fmt.Sprintf("%s: %s %s %s", r.Title, a.Actor(), a.Verb, a.Target())
	}
	if s := r.Sequence; s != nil && count > 0 && s.Absent {
		a.Window, a.Key = shortDuration(time.Duration(s.Within)), key
		a.Message += fmt.Sprintf(" (not preceded within %s for %s)", a.Window, key)
	} else if s != nil && count > 0 {
		a.Count, a.Window, a.Key = count, shortDuration(time.Duration(s.Within)), key
		a.Message += fmt.Sprintf(" (%d steps within %s for %s)", count, a.Window, key)
	} else if count > 0 {
		a.Count, a.Window, a.Key = count, shortDuration(time.Duration(r.Window.Within)), key
		if r.Window.Count > 1 {
			what := "events"
			if r.Window.Distinct != "" {
				what = "distinct values"
			}
			a.Message += fmt.Sprintf(" (%d %s within %s for %s)", count, what, a.Window, key)
		}
	}
	return a
}

// Flush ends the stream: windowed rules alert as soon as they reach their
// count, so nothing is pending and Flush returns no alert today; it clears
// the windows and the de-duplication memory. Call it at the end of input
// (or shutdown) so that a future rule kind holding alerts can release them.
func (e *Engine) Flush() []Alert {
	for i, w := range e.windows {
		if w != nil {
			e.windows[i] = newWindow(e.rules[i].Window, e.maxKeys)
		}
	}
	for i, q := range e.sequences {
		if q != nil {
			e.sequences[i] = newSequence(e.rules[i].Sequence, e.maxKeys)
		}
	}
	for i, f := range e.firstSeens {
		if f != nil {
			e.firstSeens[i] = newFirstSeen(e.rules[i].FirstSeen, e.learn, e.maxKeys)
		}
	}
	e.seen = newDedupe(e.seen.size)
	return nil
}
