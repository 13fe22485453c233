package rbacusage

import (
	"encoding/binary"
	"hash"
	"hash/fnv"
	"io"
	"net/url"
	"strings"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/auditpolicy"
	"github.com/apiguard/apiguard/internal/rbac"
)

// Options tune an Engine.
type Options struct {
	// Since and Until bound the window (zero: open). An event counts when
	// its requestReceivedTimestamp (else its stageTimestamp) is in
	// [Since, Until].
	Since, Until time.Time
	// Policy is the audit policy the log was written under; nil assumes
	// every request is logged. With it, unused permissions the policy logs
	// at None are blind: listed, never reported unused.
	// Cluster-wide grants are asked about with no namespace and in each
	// namespace the policy's rules name.
	Policy *auditpolicy.Policy
	// DedupeWindow is how many recent auditIDs are remembered to drop
	// duplicate deliveries (default 1<<20; memory stays bounded).
	DedupeWindow int
	// CacheSize bounds the cache of authorization answers (default 1<<19
	// distinct requests, about 100 B each; it is cleared when full).
	CacheSize int
	// Track, when set, keeps the distinct requests of this subject (see
	// Used, used.go), at most TrackLimit (default DefaultTrackLimit).
	Track      *SubjectKey
	TrackLimit int
}

// The default discovery bindings: kube-apiserver bootstraps them so that
// everyone may discover the API and ask about itself. A request they allow
// needs nothing.
var discoveryBindings = map[string]bool{
	"system:discovery":          true,
	"system:basic-user":         true,
	"system:public-info-viewer": true,
}

// DecisionAnnotation is the audit annotation in which kube-apiserver
// records its authorization decision ("allow" or "forbid").
const DecisionAnnotation = "authorization.k8s.io/decision"

// SubjectKey names a subject: Kind User, Group or ServiceAccount;
// Namespace only for ServiceAccounts.
type SubjectKey struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

func (s SubjectKey) String() string {
	if s.Kind == rbac.KindServiceAccount {
		return s.Kind + " " + s.Namespace + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

// identityOf is the subject a user name authenticates as.
func identityOf(username string) SubjectKey {
	if ns, name, ok := rbac.SplitServiceAccountUsername(username); ok {
		return SubjectKey{Kind: rbac.KindServiceAccount, Namespace: ns, Name: name}
	}
	return SubjectKey{Kind: rbac.KindUser, Name: username}
}

// grantRef is one grant that allows a request: the binding (its index in
// Engine.bindings; privileged for system:masters), the rule and the
// binding's subject that matched.
type grantRef struct {
	binding int32
	rule    int32
	subject SubjectKey
	group   *subjectUse // the subject's use when it is a Group
}

// useIdx is a binding's rule in subjectUse.use.
func useIdx(binding, rule int32) int64 { return int64(binding)<<32 | int64(uint32(rule)) }

// DeniedKey is a refused request's shape.
type DeniedKey struct {
	Verb        string `json:"verb"`
	APIGroup    string `json:"apiGroup,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
	Path        string `json:"path,omitempty"`
}

type subjectUse struct {
	key          SubjectKey
	name         string          // key.String()
	use          map[int64]int64 // useIdx → requests
	requests     int64
	unattributed int64
	lastSeen     time.Time
	denied       map[DeniedKey]int64
	members      map[string]struct{} // groups: the users whose requests used its bindings
	via          map[int32]string    // users: group bindings used, with the group
}

type cached struct {
	grants []grantRef
}

// Engine aggregates audit events against an RBAC model. It is not safe
// for concurrent use.
type Engine struct {
	p    *rbac.Policy
	opts Options

	bindings   []*rbac.Binding // ClusterRoleBindings then RoleBindings
	bindingIdx map[string]int32
	privileged int32 // the index standing for system:masters
	discovery  []bool

	subjects map[SubjectKey]*subjectUse
	byUser   map[string]*subjectUse // the identity a user name authenticates as
	cache    map[string]cached
	keyBuf   []byte
	actors   map[string]uint32 // user and groups → a number, for short cache keys

	seen, seenPrev map[[16]byte]struct{}
	idHash         hash.Hash
	idSum          []byte

	stats    Stats
	from, to time.Time
	used     *usedSet // Options.Track's requests, or nil
}

// Stats count what Add was given.
type Stats struct {
	// Read is every event given; Counted the requests counted (one per
	// auditID, final stage, in the window).
	Read    int64 `json:"read"`
	Counted int64 `json:"counted"`
	// NotFinal are events of another stage than ResponseComplete or Panic
	// (each request is counted once, at its final stage).
	NotFinal int64 `json:"notFinalStage"`
	// OutsideWindow are events before Since or after Until.
	OutsideWindow int64 `json:"outsideWindow"`
	// Duplicates repeat an auditID already counted.
	Duplicates int64 `json:"duplicates"`
	// Denied were refused by authorization; Unattributed were authorized
	// by something other than the RBAC model (another authorizer, or
	// RBAC changed since the log was written).
	Denied       int64 `json:"denied"`
	Unattributed int64 `json:"unattributed"`
}

// New returns an Engine over p.
func New(p *rbac.Policy, opts Options) *Engine {
	if opts.DedupeWindow <= 0 {
		opts.DedupeWindow = 1 << 20
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = 1 << 19
	}
	e := &Engine{p: p, opts: opts, bindingIdx: map[string]int32{},
		subjects: map[SubjectKey]*subjectUse{}, byUser: map[string]*subjectUse{}, cache: map[string]cached{}, actors: map[string]uint32{},
		seen: map[[16]byte]struct{}{}, idHash: fnv.New128a()}
	e.bindings = append(append(e.bindings, p.ClusterRoleBindings...), p.RoleBindings...)
	for i, b := range e.bindings {
		e.bindingIdx[bindingKey(b.Kind, b.Namespace, b.Name)] = int32(i)
		e.discovery = append(e.discovery, b.Kind == rbac.KindClusterRoleBinding && discoveryBindings[b.Name] && (b.Default || b.Assumed))
	}
	e.privileged = int32(len(e.bindings))
	e.used = newUsedSet(opts.Track, opts.TrackLimit)
	return e
}

func bindingKey(kind, ns, name string) string { return kind + "\x00" + ns + "\x00" + name }

func (e *Engine) subject(k SubjectKey) *subjectUse {
	s := e.subjects[k]
	if s == nil {
		s = &subjectUse{key: k, name: k.String(), use: map[int64]int64{}}
		e.subjects[k] = s
	}
	return s
}

// identity is the use of the subject username authenticates as.
func (e *Engine) identity(username string) *subjectUse {
	s := e.byUser[username]
	if s == nil {
		username = strings.Clone(username) // not the reader's buffer
		s = e.subject(identityOf(username))
		e.byUser[username] = s
	}
	return s
}

// count is how many requests of k the binding's rule allowed.
func (e *Engine) count(k SubjectKey, binding, rule int32) int64 {
	if s := e.subjects[k]; s != nil {
		return s.use[useIdx(binding, rule)]
	}
	return 0
}

// eventTime is when the request was received (else the stage's time).
func eventTime(ev *auditv1.Event) time.Time {
	if !ev.RequestReceivedTimestamp.IsZero() {
		return ev.RequestReceivedTimestamp.Time
	}
	return ev.StageTimestamp.Time
}

// Denied reports whether authorization refused the request: the
// decision annotation when kube-apiserver wrote it (a 403 from admission,
// PodSecurity or a webhook was authorized), else a 403 response.
func Denied(ev *auditv1.Event) bool {
	switch ev.Annotations[DecisionAnnotation] {
	case "forbid":
		return true
	case "allow":
		return false
	}
	return ev.ResponseStatus != nil && ev.ResponseStatus.Code == 403
}

// Add counts one event.
func (e *Engine) Add(ev *auditv1.Event) {
	e.stats.Read++
	if ev.Stage != auditv1.StageResponseComplete && ev.Stage != auditv1.StagePanic {
		e.stats.NotFinal++
		return
	}
	t := eventTime(ev)
	if (!e.opts.Since.IsZero() && t.Before(e.opts.Since)) || (!e.opts.Until.IsZero() && t.After(e.opts.Until)) {
		e.stats.OutsideWindow++
		return
	}
	if e.duplicate(string(ev.AuditID)) {
		e.stats.Duplicates++
		return
	}
	e.stats.Counted++
	if e.from.IsZero() || t.Before(e.from) {
		e.from = t
	}
	if t.After(e.to) {
		e.to = t
	}
	actor := ev.User
	if ev.ImpersonatedUser != nil {
		actor = *ev.ImpersonatedUser
		e.impersonation(ev.User, actor, t)
	}
	req := RequestOf(ev, actor)
	s := e.identity(actor.Username)
	who := s.key
	if t.After(s.lastSeen) {
		s.lastSeen = t
	}
	if Denied(ev) {
		e.stats.Denied++
		if s.denied == nil {
			s.denied = map[DeniedKey]int64{}
		}
		d := DeniedKey{Verb: req.Verb, APIGroup: req.APIGroup, Resource: req.Resource, Subresource: req.Subresource,
			Namespace: req.Namespace, Name: req.Name, Path: req.Path}
		if _, ok := s.denied[d]; !ok { // kept: not the reader's buffer
			d = DeniedKey{Verb: strings.Clone(d.Verb), APIGroup: strings.Clone(d.APIGroup), Resource: strings.Clone(d.Resource),
				Subresource: strings.Clone(d.Subresource), Namespace: strings.Clone(d.Namespace), Name: strings.Clone(d.Name), Path: strings.Clone(d.Path)}
		}
		s.denied[d]++
		return
	}
	s.requests++
	e.attribute(who, s, req)
}

// attribute counts an authorized request of who against the grants that
// allow it.
func (e *Engine) attribute(who SubjectKey, s *subjectUse, req rbac.Request) {
	grants := e.allowed(req)
	if len(grants) == 0 {
		s.unattributed++
		e.stats.Unattributed++
		return
	}
	if e.used != nil {
		e.track(who, req, grants)
	}
	for i := range grants {
		e.countGrant(who, s, &grants[i])
	}
}

// impersonation counts the impersonate checks kube-apiserver made for
// impersonator acting as target (filters/impersonation.go): the user or
// ServiceAccount, each group asked for (not the implicit ones the filter
// adds), the UID and each extra value.
func (e *Engine) impersonation(impersonator, target authnv1.UserInfo, t time.Time) {
	s := e.identity(impersonator.Username)
	who := s.key
	s.requests++
	if t.After(s.lastSeen) {
		s.lastSeen = t
	}
	base := rbac.Request{User: impersonator.Username, Groups: impersonator.Groups, Verb: "impersonate"}
	var reqs []rbac.Request
	r := base
	if ns, name, ok := rbac.SplitServiceAccountUsername(target.Username); ok {
		r.Resource, r.Namespace, r.Name = "serviceaccounts", ns, name
	} else {
		r.Resource, r.Name = "users", target.Username
	}
	reqs = append(reqs, r)
	implicit := rbac.EffectiveGroups(target.Username, nil)
	for _, g := range target.Groups {
		if contains(implicit, g) {
			continue
		}
		r := base
		r.Resource, r.Name = "groups", g
		reqs = append(reqs, r)
	}
	if target.UID != "" {
		r := base
		r.APIGroup, r.Resource, r.Name = "authentication.k8s.io", "uids", target.UID
		reqs = append(reqs, r)
	}
	for k, vs := range target.Extra {
		for _, v := range vs {
			r := base
			r.APIGroup, r.Resource, r.Subresource, r.Name = "authentication.k8s.io", "userextras", k, v
			reqs = append(reqs, r)
		}
	}
	for _, r := range reqs {
		if grants := e.allowed(r); len(grants) > 0 {
			if e.used != nil {
				e.track(who, r, grants)
			}
			for i := range grants {
				e.countGrant(who, s, &grants[i])
			}
		} else {
			s.unattributed++
			e.stats.Unattributed++
		}
	}
}

// countGrant counts g (a cached answer's: its group's use is resolved
// once, on first use).
func (e *Engine) countGrant(who SubjectKey, s *subjectUse, g *grantRef) {
	s.use[useIdx(g.binding, g.rule)]++
	if g.subject.Kind != rbac.KindGroup {
		return
	}
	if g.group == nil {
		g.group = e.subject(g.subject)
	}
	gs := g.group
	gs.requests++
	if gs.lastSeen.Before(s.lastSeen) {
		gs.lastSeen = s.lastSeen
	}
	if gs.members == nil {
		gs.members = map[string]struct{}{}
	}
	gs.members[s.name] = struct{}{}
	gs.use[useIdx(g.binding, g.rule)]++
	if s.via == nil {
		s.via = map[int32]string{}
	}
	if s.via[g.binding] != g.subject.Name {
		s.via[g.binding] = g.subject.Name
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// duplicate remembers id and reports whether it was seen within the last
// DedupeWindow to 2*DedupeWindow ids (two generations: memory is bounded).
// A UUID is remembered as its 16 bytes, another id as its FNV-128a hash.
func (e *Engine) duplicate(id string) bool {
	if id == "" {
		return false
	}
	k, ok := parseUUID(id)
	if !ok {
		e.idHash.Reset()
		io.WriteString(e.idHash, id)
		e.idSum = e.idHash.Sum(e.idSum[:0])
		copy(k[:], e.idSum)
	}
	if _, ok := e.seen[k]; ok {
		return true
	}
	if _, ok := e.seenPrev[k]; ok {
		return true
	}
	if len(e.seen) >= e.opts.DedupeWindow {
		e.seenPrev, e.seen = e.seen, make(map[[16]byte]struct{}, len(e.seen))
	}
	e.seen[k] = struct{}{}
	return false
}

// parseUUID reads the canonical form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.
func parseUUID(s string) (u [16]byte, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	j := 0
	for i := 0; i < 36; i += 2 {
		if s[i] == '-' {
			i--
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return u, false
		}
		u[j] = hi<<4 | lo
		j++
	}
	return u, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// RequestOf is the authorizer's request for an event, as the identity
// actor (the impersonated user when there is one): resource requests from
// objectRef, non-resource ones from the path of requestURI. The verb is the
// event's, which is already the authorizer's (watch for ?watch=true).
func RequestOf(ev *auditv1.Event, actor authnv1.UserInfo) rbac.Request {
	req := rbac.Request{User: actor.Username, Groups: actor.Groups, Verb: ev.Verb}
	if o := ev.ObjectRef; o != nil {
		req.APIGroup, req.Resource, req.Subresource = o.APIGroup, o.Resource, o.Subresource
		req.Namespace, req.Name = o.Namespace, o.Name
		return req
	}
	path := ev.RequestURI
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if u, err := url.PathUnescape(path); err == nil {
		path = u
	}
	if path == "" {
		path = "/"
	}
	req.Path = path
	return req
}

// allowed returns the grants that allow req (cached): only the default
// discovery grants when one of them allows it.
func (e *Engine) allowed(req rbac.Request) []grantRef {
	k := e.requestKey(&req)
	if c, ok := e.cache[string(k)]; ok {
		return c.grants
	}
	_, grants := e.p.Allowed(req)
	var refs, defaults []grantRef
	for _, g := range grants {
		ref := grantRef{binding: e.privileged, rule: 0, subject: SubjectKey{Kind: g.Subject.Kind, Name: g.Subject.Name, Namespace: g.Subject.Namespace}}
		if g.BindingKind != rbac.KindPrivilegedGroup {
			i, ok := e.bindingIdx[bindingKey(g.BindingKind, g.BindingNamespace, g.BindingName)]
			if !ok {
				continue
			}
			ref.binding, ref.rule = i, int32(g.RuleIndex)
			if e.discovery[i] {
				defaults = append(defaults, ref)
			}
		}
		refs = append(refs, ref)
	}
	if len(defaults) > 0 {
		refs = defaults
	}
	if len(e.cache) >= e.opts.CacheSize {
		clear(e.cache)
		clear(e.actors)
		k = e.requestKey(&req)
	}
	e.cache[string(k)] = cached{grants: refs}
	return refs
}

// requestKey is the cache key of r: its user and groups as a number
// (the actors seen, cleared with the cache), then its other fields.
func (e *Engine) requestKey(r *rbac.Request) []byte {
	b := append(e.keyBuf[:0], r.User...)
	for _, g := range r.Groups {
		b = append(b, 1)
		b = append(b, g...)
	}
	id, ok := e.actors[string(b)]
	if !ok {
		id = uint32(len(e.actors))
		e.actors[string(b)] = id
	}
	b = binary.LittleEndian.AppendUint32(b[:0], id)
	for _, s := range [...]string{r.Verb, r.APIGroup, r.Resource, r.Subresource, r.Namespace, r.Name, r.Path} {
		b = append(b, s...)
		b = append(b, 0)
	}
	e.keyBuf = b
	return b
}
