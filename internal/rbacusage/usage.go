package rbacusage

import (
	"encoding/binary"
	"hash/maphash"
	"net/url"
	"strings"
	"time"
	"unsafe"

	authnv1 "k8s.io/api/authentication/v1"
	rbacv1 "k8s.io/api/rbac/v1"
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
	// Track keeps the distinct requests of these subjects (see Used,
	// used.go), at most TrackLimit each (default DefaultTrackLimit).
	Track      []SubjectKey
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
// binding's subject that matched (its index in Engine.grantSubjects).
// It holds no pointer: the cached answers, millions of them, are not
// scanned by the garbage collector.
type grantRef struct {
	binding int32
	rule    int32
	subject int32
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

	// The hash of the actor (user and groups) of its last request, for
	// cache keys: the decoder hands out the same groups slice for the same
	// user object, so a pointer comparison spares hashing the group names.
	actorUser   string
	actorGroups []string
	actorHash   uint64
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

	// The answers of the authorizer: a request's 64-bit hash (keySeed) →
	// its grants in answers (offset<<32 | count). Pointer-free, so the
	// collector never scans them; cleared together when CacheSize is
	// reached. Two distinct requests of a cache share a hash with a
	// probability of about 2^-45 per lookup.
	cache   map[uint64]uint64
	answers []grantRef
	keySeed maphash.Seed
	keyBuf  []byte

	// The subjects of grants (grantRef.subject), and the use of those
	// that are Groups, resolved on first use.
	grantSubjects []SubjectKey
	grantSubject  map[SubjectKey]int32
	groupUse      []*subjectUse

	// The auditIDs remembered (64 bits each): this generation and the one
	// before (two maps of at most DedupeWindow: smaller than one map of
	// both with generations, so that fewer lookups miss the CPU cache).
	seen, seenPrev map[uint64]struct{}
	idSeed         maphash.Seed

	// userFast finds the identity of a user name by the address of its
	// bytes (the decoder hands out one string per user object), sparing
	// the byUser lookup: direct-mapped, each slot holding its string, so
	// that the address cannot be reused for other bytes while there.
	userFast []userSlot

	stats    Stats
	from, to time.Time
	used     map[SubjectKey]*usedSet // Options.Track's requests, or nil
	trackSeq uint64                  // the calls of track
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
		subjects: map[SubjectKey]*subjectUse{}, byUser: map[string]*subjectUse{}, cache: map[uint64]uint64{}, keySeed: maphash.MakeSeed(), grantSubject: map[SubjectKey]int32{},
		seen: map[uint64]struct{}{}, idSeed: maphash.MakeSeed(), userFast: make([]userSlot, userFastSlots)}
	e.bindings = append(append(e.bindings, p.ClusterRoleBindings...), p.RoleBindings...)
	for i, b := range e.bindings {
		e.bindingIdx[bindingKey(b.Kind, b.Namespace, b.Name)] = int32(i)
		e.discovery = append(e.discovery, b.Kind == rbac.KindClusterRoleBinding && discoveryBindings[b.Name] && (b.Default || b.Assumed))
	}
	e.privileged = int32(len(e.bindings))
	e.used = newUsedSets(opts.Track, opts.TrackLimit)
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
	p := unsafe.StringData(username)
	slot := &e.userFast[uintptr(unsafe.Pointer(p))>>4&(userFastSlots-1)]
	if slot.s != nil && unsafe.StringData(slot.name) == p && len(slot.name) == len(username) {
		return slot.s
	}
	s := e.byUser[username]
	if s == nil {
		s = e.subject(identityOf(strings.Clone(username))) // not the reader's buffer
		e.byUser[strings.Clone(username)] = s
	}
	slot.name, slot.s = username, s
	return s
}

// userFastSlots is the size of Engine.userFast (a power of two).
const userFastSlots = 8192

type userSlot struct {
	name string
	s    *subjectUse
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
	grants := e.allowed(s, req)
	if len(grants) == 0 {
		s.unattributed++
		e.stats.Unattributed++
		return
	}
	if e.used != nil {
		e.track(who, req, grants)
	}
	for _, g := range grants {
		e.countGrant(s, g)
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
		if grants := e.allowed(s, r); len(grants) > 0 {
			if e.used != nil {
				e.track(who, r, grants)
			}
			for _, g := range grants {
				e.countGrant(s, g)
			}
		} else {
			s.unattributed++
			e.stats.Unattributed++
		}
	}
}

// countGrant counts g (a cached answer's: its group's use is resolved
// once, on first use).
func (e *Engine) countGrant(s *subjectUse, g grantRef) {
	s.use[useIdx(g.binding, g.rule)]++
	gs := e.groupUse[g.subject]
	if gs == nil {
		k := e.grantSubjects[g.subject]
		if k.Kind != rbac.KindGroup {
			return
		}
		gs = e.subject(k)
		e.groupUse[g.subject] = gs
	}
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
	if s.via[g.binding] != gs.key.Name {
		s.via[g.binding] = gs.key.Name
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
// An id is remembered as 64 bits: a UUID's halves folded, another id's
// hash. (Two distinct ids of a window share them with a probability of
// about 2^-43 per event: one wrongly dropped request in 10^13.)
func (e *Engine) duplicate(id string) bool {
	if id == "" {
		return false
	}
	var k uint64
	if u, ok := parseUUID(id); ok {
		k = binary.LittleEndian.Uint64(u[:8]) ^ binary.LittleEndian.Uint64(u[8:])
	} else {
		k = maphash.String(e.idSeed, id)
	}
	if _, ok := e.seen[k]; ok {
		return true
	}
	if _, ok := e.seenPrev[k]; ok {
		return true
	}
	if len(e.seen) >= e.opts.DedupeWindow {
		e.seenPrev, e.seen = e.seen, make(map[uint64]struct{}, len(e.seen))
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

// allowed returns the grants that allow req, a request of s (cached):
// only the default discovery grants when one of them allows it. The
// slice is valid until the next call.
func (e *Engine) allowed(s *subjectUse, req rbac.Request) []grantRef {
	k := e.requestKey(s, &req)
	if c, ok := e.cache[k]; ok {
		return e.answers[c>>32 : c>>32+c&0xffffffff]
	}
	_, grants := e.p.Allowed(req)
	if len(e.cache) >= e.opts.CacheSize {
		clear(e.cache)
		e.answers = e.answers[:0]
	}
	start := len(e.answers)
	defaults := false
	for _, g := range grants {
		ref := grantRef{binding: e.privileged, rule: 0, subject: e.grantSubjectIdx(g.Subject)}
		if g.BindingKind != rbac.KindPrivilegedGroup {
			i, ok := e.bindingIdx[bindingKey(g.BindingKind, g.BindingNamespace, g.BindingName)]
			if !ok {
				continue
			}
			ref.binding, ref.rule = i, int32(g.RuleIndex)
			if e.discovery[i] && !defaults {
				// only the default discovery grants from here on
				defaults = true
				e.answers = e.answers[:start]
			}
		}
		if !defaults || ref.binding != e.privileged && e.discovery[ref.binding] {
			e.answers = append(e.answers, ref)
		}
	}
	n := len(e.answers) - start
	e.cache[k] = uint64(start)<<32 | uint64(n)
	return e.answers[start:]
}

// grantSubjectIdx is the number of a grant's subject.
func (e *Engine) grantSubjectIdx(sub rbacv1.Subject) int32 {
	k := SubjectKey{Kind: sub.Kind, Name: sub.Name, Namespace: sub.Namespace}
	i, ok := e.grantSubject[k]
	if !ok {
		i = int32(len(e.grantSubjects))
		e.grantSubjects = append(e.grantSubjects, k)
		e.groupUse = append(e.groupUse, nil)
		e.grantSubject[k] = i
	}
	return i
}

// requestKey is the cache key of r, a request of s: the hash of its user
// and groups (remembered on s), then of its other fields.
func (e *Engine) requestKey(s *subjectUse, r *rbac.Request) uint64 {
	if !e.sameActor(s, r) {
		b := append(e.keyBuf[:0], r.User...)
		for _, g := range r.Groups {
			b = append(b, 1)
			b = append(b, g...)
		}
		s.actorUser, s.actorGroups, s.actorHash = r.User, r.Groups, maphash.Bytes(e.keySeed, b)
		e.keyBuf = b
	}
	b := binary.LittleEndian.AppendUint64(e.keyBuf[:0], s.actorHash)
	for _, f := range [...]string{r.Verb, r.APIGroup, r.Resource, r.Subresource, r.Namespace, r.Name, r.Path} {
		b = append(b, f...)
		b = append(b, 0)
	}
	e.keyBuf = b
	return maphash.Bytes(e.keySeed, b)
}

// sameActor reports whether s's last request had r's user and the very
// same groups slice (s holds it: the pointer cannot be reused), so that
// s.actorHash is r's.
func (e *Engine) sameActor(s *subjectUse, r *rbac.Request) bool {
	if s.actorGroups == nil && s.actorUser == "" || len(r.Groups) != len(s.actorGroups) || r.User != s.actorUser {
		return false
	}
	return len(r.Groups) == 0 || unsafe.SliceData(r.Groups) == unsafe.SliceData(s.actorGroups)
}
