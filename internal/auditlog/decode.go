package auditlog

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	sigsjson "sigs.k8s.io/json"
)

// LineDecoder decodes single lines of a JSON-lines audit log (an Event or an
// EventList per line) into audit.k8s.io/v1 Events. It is much faster than a
// general JSON decoder: it reads the event's own fields directly, keeps the
// request and response bodies as raw JSON (runtime.Unknown, as
// kube-apiserver's codec does) without decoding them, and interns the short
// strings that repeat from event to event (verbs, users, groups, resources,
// user agents). Unknown fields are skipped. A LineDecoder is not safe for
// concurrent use; use one per goroutine.
//
// Identical user, impersonatedUser, sourceIPs and annotations values are
// decoded once and shared: events decoded by one LineDecoder may share
// those slices and maps. Treat decoded events as read-only.
type LineDecoder struct {
	s      scanner
	intern internTab
	users  rawCache[authnv1.UserInfo]
	ips    rawCache[[]string]
	anns   rawCache[map[string]string]
	// NoCopy makes bodies (runtime.Unknown.Raw) slices of the line instead
	// of copies: set it only when lines are never modified afterwards.
	NoCopy bool
	// Limits bound what one line may decode into (zero: unbounded).
	Limits Limits
	// raws, when not nil, collects each decoded event's raw JSON.
	raws *[][]byte

	box *eventBox
	// boxes, when set, are reused for the events (see Parallel); nbox
	// counts the boxes taken, beyond len(boxes) too.
	boxes []eventBox
	nbox  int
}

// eventBox is a single event and the objects it points to, allocated at
// once.
type eventBox struct {
	evs             [1]auditv1.Event
	ref             auditv1.ObjectReference
	st              metav1.Status
	body            [2]runtime.Unknown
	bodies          int
	refUsed, stUsed bool
}

// newBox returns a zeroed box: the next of d.boxes, else a new one.
func (d *LineDecoder) newBox() *eventBox {
	if d.boxes == nil {
		return &eventBox{}
	}
	d.nbox++
	if d.nbox <= len(d.boxes) {
		b := &d.boxes[d.nbox-1]
		*b = eventBox{}
		return b
	}
	return &eventBox{}
}

// NewLineDecoder returns a decoder with an empty intern table.
func NewLineDecoder() *LineDecoder { return newLineDecoder(512) }

// streamUsers is the size of the user cache of decoders of long streams
// (Decoder, Parallel): a busy cluster's log holds thousands of identities
// (10,028 in 200,000 events of the rbacusage bench's log, the top 8,192 in
// 97% of the events); a miss decodes the user and its groups again.
const streamUsers = 16384

// newLineDecoder returns a decoder whose user cache has users entries (a
// power of two): about 100 bytes each, and the bytes of the users cached.
func newLineDecoder(users int) *LineDecoder {
	seed := maphash.MakeSeed()
	d := &LineDecoder{}
	// Source addresses vary the most (pods, nodes, people): their cache
	// is large; a stream's users too.
	d.users.init(seed, users)
	d.ips.init(seed, 4096)
	d.anns.init(seed, 512)
	return d
}

// rawCache maps the raw JSON of a value to its decoding (direct-mapped,
// bounded: a colliding value replaces the previous one).
type rawCache[T any] struct {
	seed maphash.Seed
	e    []rawEntry[T] // a power of two long
}

type rawEntry[T any] struct {
	key []byte
	val T
}

func (c *rawCache[T]) init(seed maphash.Seed, n int) {
	c.seed, c.e = seed, make([]rawEntry[T], n)
}

// slot is the entry raw maps to.
func (c *rawCache[T]) slot(raw []byte) *rawEntry[T] {
	return &c.e[maphash.Bytes(c.seed, raw)&uint64(len(c.e)-1)]
}

// cached decodes the value at the scanner (an object or array) with
// decode, or returns the decoding of identical bytes seen before.
func cached[T any](d *LineDecoder, c *rawCache[T], decode func() (T, error)) (T, error) {
	s := &d.s
	start := s.i
	raw, err := s.rawFast()
	if err != nil {
		var zero T
		return zero, err
	}
	e := c.slot(raw)
	if e.key != nil && bytes.Equal(e.key, raw) {
		return e.val, nil
	}
	// Decode (and check) the bytes for real.
	end := s.i
	s.i = start
	v, err := decode()
	if err != nil {
		return v, err
	}
	if s.i != end {
		return v, s.errf("inconsistent value")
	}
	if len(raw) <= 4096 {
		e.key = append(e.key[:0], raw...)
		e.val = v
	}
	return v, nil
}

// Limits bound the memory one decoded line (a webhook batch) can take,
// whatever its shape: what an event decodes into is bounded by its bytes
// (strings and bodies are copied once) plus a fixed cost per event and per
// JSON member or array element, so these two counts with the input size
// bound the decoded size.
type Limits struct {
	Events  int // events in one EventList
	Members int // object members and array elements, at any depth (bodies excluded: they stay raw)
}

// maxInternLen: longer strings are not interned.
const maxInternLen = 128

// ErrNotAudit is wrapped by errors for JSON lines that are not audit events.
var ErrNotAudit = errors.New("not an audit event")

// Decode decodes one line and appends its events to dst. Blank lines yield
// no event and no error. A line is an Event (kind Event or no kind) or an
// EventList (kind EventList, or an "items" array); any other kind, an
// apiVersion outside audit.k8s.io, or an object with none of auditID, stage,
// verb and requestURI is an error wrapping ErrNotAudit.
func (d *LineDecoder) Decode(line []byte, dst []auditv1.Event) ([]auditv1.Event, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return dst, nil
	}
	d.s = scanner{b: line, scratch: d.s.scratch[:0], maxMembers: d.Limits.Members}
	s := &d.s
	if s.peek() != '{' {
		return dst, s.errf("want a JSON object (an audit Event or EventList)")
	}
	n0 := len(dst)
	// One allocation holds the event and its objects.
	box := d.newBox()
	ev := &box.evs[0]
	items := false
	err := s.object(func(k []byte) error {
		if string(k) == "items" {
			items = true
			if s.null() {
				return nil
			}
			return s.array(func() error {
				if d.Limits.Events > 0 && len(dst)-n0 >= d.Limits.Events {
					return fmt.Errorf("%w: more than %d events", ErrLimit, d.Limits.Events)
				}
				dst = append(dst, auditv1.Event{})
				start := s.i
				err := d.event(&dst[len(dst)-1])
				if d.raws != nil {
					*d.raws = append(*d.raws, s.b[start:s.i])
				}
				return err
			})
		}
		d.box = box
		err := d.eventField(k, ev)
		d.box = nil
		return err
	})
	if err == nil {
		if s.peek() != 0 {
			err = s.errf("invalid character %q after the top-level value", s.b[s.i])
		}
	}
	if err != nil {
		return dst[:n0], err
	}
	if ev.APIVersion != "" && !strings.HasPrefix(ev.APIVersion, "audit.k8s.io/") {
		return dst[:n0], fmt.Errorf("%w: apiVersion %q", ErrNotAudit, ev.APIVersion)
	}
	switch {
	case ev.Kind == "EventList" || (items && ev.Kind == ""):
		for i := n0; i < len(dst); i++ {
			if err := checkEvent(&dst[i]); err != nil {
				return dst[:n0], fmt.Errorf("items[%d]: %w", i-n0, err)
			}
		}
		return dst, nil
	case ev.Kind == "Event" || ev.Kind == "":
		if items {
			return dst[:n0], fmt.Errorf("%w: kind Event with an items array", ErrNotAudit)
		}
		if err := checkEvent(ev); err != nil {
			return dst[:n0], err
		}
		if dst == nil {
			return box.evs[:], nil
		}
		return append(dst, *ev), nil
	default:
		return dst[:n0], fmt.Errorf("%w: kind %q", ErrNotAudit, ev.Kind)
	}
}

func checkEvent(ev *auditv1.Event) error {
	if ev.AuditID == "" && ev.Stage == "" && ev.Verb == "" && ev.RequestURI == "" {
		return fmt.Errorf("%w: no auditID, stage, verb or requestURI", ErrNotAudit)
	}
	if ev.Kind != "" && ev.Kind != "Event" {
		return fmt.Errorf("%w: kind %q", ErrNotAudit, ev.Kind)
	}
	return nil
}

// DecodeEventList decodes a request body of kube-apiserver's audit webhook
// (an EventList, or a single Event) with the same decoder.
func (d *LineDecoder) DecodeEventList(body []byte) ([]auditv1.Event, error) {
	return d.Decode(body, nil)
}

// DecodeBatch is DecodeEventList that also returns each event's raw JSON
// object: slices of body, parallel to the events (the whole body for a
// single Event).
func (d *LineDecoder) DecodeBatch(body []byte) ([]auditv1.Event, [][]byte, error) {
	var raws [][]byte
	d.raws = &raws
	defer func() { d.raws = nil }()
	evs, err := d.Decode(body, nil)
	if err != nil {
		return nil, nil, err
	}
	if len(raws) != len(evs) { // a single Event
		raws = [][]byte{bytes.TrimSpace(body)}
	}
	return evs, raws, nil
}

func (d *LineDecoder) event(ev *auditv1.Event) error {
	s := &d.s
	if s.null() {
		return nil
	}
	return s.object(func(k []byte) error { return d.eventField(k, ev) })
}

func (d *LineDecoder) eventField(k []byte, ev *auditv1.Event) error {
	s := &d.s
	var err error
	switch string(k) {
	case "kind":
		err = d.strKnown(&ev.Kind)
	case "apiVersion":
		err = d.strKnown(&ev.APIVersion)
	case "level":
		var v string
		if v, err = d.strvKnown(string(ev.Level)); err == nil {
			ev.Level = auditv1.Level(v)
		}
	case "auditID":
		var v string
		if v, err = d.strv(string(ev.AuditID), false); err == nil {
			ev.AuditID = types.UID(v)
		}
	case "stage":
		var v string
		if v, err = d.strvKnown(string(ev.Stage)); err == nil {
			ev.Stage = auditv1.Stage(v)
		}
	case "requestURI":
		err = d.str(&ev.RequestURI, false)
	case "verb":
		err = d.strKnown(&ev.Verb)
	case "user":
		if s.null() {
			return nil
		}
		if s.peek() != '{' {
			return s.errf("user: want an object")
		}
		if ev.User.Username != "" || ev.User.UID != "" || ev.User.Groups != nil || ev.User.Extra != nil {
			// A repeated key merges into what was decoded, as encoding/json does.
			u := ev.User
			u.Groups = append([]string(nil), u.Groups...)
			if u.Extra != nil {
				x := make(map[string]authnv1.ExtraValue, len(u.Extra))
				for k, v := range u.Extra {
					x[k] = v
				}
				u.Extra = x
			}
			err = d.user(&u)
			ev.User = u
			break
		}
		ev.User, err = cached(d, &d.users, func() (authnv1.UserInfo, error) {
			var u authnv1.UserInfo
			err := d.user(&u)
			return u, err
		})
	case "impersonatedUser":
		if s.null() {
			ev.ImpersonatedUser = nil
			return nil
		}
		if s.peek() != '{' {
			return s.errf("impersonatedUser: want an object")
		}
		if ev.ImpersonatedUser != nil {
			u := *ev.ImpersonatedUser
			u.Groups = append([]string(nil), u.Groups...)
			err = d.user(&u)
			ev.ImpersonatedUser = &u
			break
		}
		var u authnv1.UserInfo
		u, err = cached(d, &d.users, func() (authnv1.UserInfo, error) {
			var u authnv1.UserInfo
			err := d.user(&u)
			return u, err
		})
		ev.ImpersonatedUser = &u
	case "authenticationMetadata":
		if s.null() {
			ev.AuthenticationMetadata = nil
			return nil
		}
		if ev.AuthenticationMetadata == nil {
			ev.AuthenticationMetadata = &auditv1.AuthenticationMetadata{}
		}
		am := ev.AuthenticationMetadata
		err = s.object(func(k []byte) error {
			if string(k) == "impersonationConstraint" {
				return d.str(&am.ImpersonationConstraint, true)
			}
			return s.skip()
		})
	case "sourceIPs":
		if s.peek() != '[' {
			ev.SourceIPs, err = d.strs()
			break
		}
		ev.SourceIPs, err = cached(d, &d.ips, d.strs)
	case "userAgent":
		err = d.str(&ev.UserAgent, true)
	case "objectRef":
		if s.null() {
			ev.ObjectRef = nil
			return nil
		}
		if ev.ObjectRef == nil {
			if b := d.box; b != nil && !b.refUsed {
				b.refUsed = true
				ev.ObjectRef = &b.ref
			} else {
				ev.ObjectRef = &auditv1.ObjectReference{}
			}
		}
		err = d.objectRef(ev.ObjectRef)
	case "responseStatus":
		if s.null() {
			ev.ResponseStatus = nil
			return nil
		}
		if ev.ResponseStatus == nil {
			if b := d.box; b != nil && !b.stUsed {
				b.stUsed = true
				ev.ResponseStatus = &b.st
			} else {
				ev.ResponseStatus = &metav1.Status{}
			}
		}
		err = d.status(ev.ResponseStatus)
	case "requestObject":
		ev.RequestObject, err = d.unknown(ev.RequestObject)
	case "responseObject":
		ev.ResponseObject, err = d.unknown(ev.ResponseObject)
	case "requestReceivedTimestamp":
		err = d.microTime(&ev.RequestReceivedTimestamp)
	case "stageTimestamp":
		err = d.microTime(&ev.StageTimestamp)
	case "annotations":
		if s.peek() != '{' || ev.Annotations != nil {
			// A repeated key merges into what was decoded, as
			// encoding/json does: into a copy, the map may be shared.
			var m map[string]string
			if ev.Annotations != nil && s.peek() == '{' {
				m = make(map[string]string, len(ev.Annotations)+4)
				for k, v := range ev.Annotations {
					m[k] = v
				}
			}
			ev.Annotations, err = d.strMap(m)
			break
		}
		ev.Annotations, err = cached(d, &d.anns, func() (map[string]string, error) { return d.strMap(nil) })
	default:
		err = s.skip()
	}
	return err
}

// str reads a string or null (which leaves *dst unchanged, as encoding/json
// does) into *dst, interning it when intern is set.
func (d *LineDecoder) str(dst *string, intern bool) error {
	v, err := d.strv(*dst, intern)
	*dst = v
	return err
}

func (d *LineDecoder) strv(old string, intern bool) (string, error) {
	s := &d.s
	if s.null() {
		return old, nil
	}
	if s.peek() != '"' {
		return old, s.errf("want a string")
	}
	b, err := s.strBytes()
	if err != nil {
		return old, err
	}
	if intern {
		return d.internStr(b), nil
	}
	return string(b), nil
}

// strKnown is str for the fields whose values are mostly constants.
func (d *LineDecoder) strKnown(dst *string) error {
	v, err := d.strvKnown(*dst)
	*dst = v
	return err
}

func (d *LineDecoder) strvKnown(old string) (string, error) {
	s := &d.s
	if s.null() {
		return old, nil
	}
	if s.peek() != '"' {
		return old, s.errf("want a string")
	}
	b, err := s.strBytes()
	if err != nil {
		return old, err
	}
	if v, ok := known(b); ok {
		return v, nil
	}
	return d.internStr(b), nil
}

// known returns the constant for the values audit events repeat the most
// (kinds, versions, levels, stages, verbs, statuses) without a table
// look-up.
func known(b []byte) (string, bool) {
	switch string(b) {
	case "Event":
		return "Event", true
	case "audit.k8s.io/v1":
		return "audit.k8s.io/v1", true
	case "v1":
		return "v1", true
	case "Metadata":
		return "Metadata", true
	case "Request":
		return "Request", true
	case "RequestResponse":
		return "RequestResponse", true
	case "ResponseComplete":
		return "ResponseComplete", true
	case "ResponseStarted":
		return "ResponseStarted", true
	case "RequestReceived":
		return "RequestReceived", true
	case "get":
		return "get", true
	case "list":
		return "list", true
	case "watch":
		return "watch", true
	case "create":
		return "create", true
	case "update":
		return "update", true
	case "patch":
		return "patch", true
	case "delete":
		return "delete", true
	case "Success":
		return "Success", true
	case "Failure":
		return "Failure", true
	}
	return "", false
}

func (d *LineDecoder) internStr(b []byte) string {
	if len(b) > maxInternLen {
		return string(b)
	}
	return d.intern.get(b)
}

// internTab shares the short strings that repeat from event to event
// (verbs, resources, users, user agents): direct-mapped on a cheap hash, a
// colliding string replaces the previous one.
type internTab struct {
	e [4096]string
}

func (t *internTab) get(b []byte) string {
	n := len(b)
	if n == 0 {
		return ""
	}
	h := (uint(n)*0x9e37 ^ uint(b[0])*0x85eb ^ uint(b[n-1])*0xc2b2 ^ uint(b[n/2])*0x27d4 ^ uint(b[n/3])*0x1656) & 4095
	if s := t.e[h]; s == string(b) {
		return s
	}
	s := string(b)
	t.e[h] = s
	return s
}

func (d *LineDecoder) strs() ([]string, error) {
	s := &d.s
	if s.null() {
		return nil, nil
	}
	out := []string{}
	err := s.array(func() error {
		var v string
		err := d.str(&v, true)
		out = append(out, v)
		return err
	})
	return out, err
}

func (d *LineDecoder) strMap(m map[string]string) (map[string]string, error) {
	s := &d.s
	if s.null() {
		return nil, nil
	}
	if m == nil {
		m = make(map[string]string, 4)
	}
	err := s.object(func(k []byte) error {
		key := d.internStr(k)
		v := m[key]
		err := d.str(&v, true)
		m[key] = v
		return err
	})
	return m, err
}

func (d *LineDecoder) user(u *authnv1.UserInfo) error {
	s := &d.s
	if s.null() {
		return nil
	}
	return s.object(func(k []byte) error {
		switch string(k) {
		case "username":
			return d.str(&u.Username, true)
		case "uid":
			return d.str(&u.UID, true)
		case "groups":
			var err error
			u.Groups, err = d.strs()
			return err
		case "extra":
			if s.null() {
				u.Extra = nil
				return nil
			}
			if u.Extra == nil {
				u.Extra = make(map[string]authnv1.ExtraValue, 4)
			}
			return s.object(func(k []byte) error {
				key := d.internStr(k)
				v, err := d.strs()
				u.Extra[key] = v
				return err
			})
		}
		return s.skip()
	})
}

func (d *LineDecoder) objectRef(o *auditv1.ObjectReference) error {
	s := &d.s
	return s.object(func(k []byte) error {
		switch string(k) {
		case "resource":
			return d.str(&o.Resource, true)
		case "namespace":
			return d.str(&o.Namespace, true)
		case "name":
			return d.str(&o.Name, false)
		case "uid":
			v, err := d.strv(string(o.UID), false)
			o.UID = types.UID(v)
			return err
		case "apiGroup":
			return d.str(&o.APIGroup, true)
		case "apiVersion":
			return d.strKnown(&o.APIVersion)
		case "resourceVersion":
			return d.str(&o.ResourceVersion, false)
		case "subresource":
			return d.str(&o.Subresource, true)
		}
		return s.skip()
	})
}

func (d *LineDecoder) status(st *metav1.Status) error {
	s := &d.s
	return s.object(func(k []byte) error {
		switch string(k) {
		case "kind":
			return d.str(&st.Kind, true)
		case "apiVersion":
			return d.str(&st.APIVersion, true)
		case "status":
			return d.strKnown(&st.Status)
		case "message":
			return d.str(&st.Message, false)
		case "reason":
			v, err := d.strv(string(st.Reason), true)
			st.Reason = metav1.StatusReason(v)
			return err
		case "code":
			if s.null() {
				return nil
			}
			v, err := s.int32v()
			if err == nil {
				st.Code = v
			}
			return err
		case "metadata":
			if s.null() {
				return nil
			}
			lm := &st.ListMeta
			return s.object(func(k []byte) error {
				switch string(k) {
				case "selfLink":
					//lint:ignore SA1019 decoded as kube-apiserver's codec does
					return d.str(&lm.SelfLink, false)
				case "resourceVersion":
					return d.str(&lm.ResourceVersion, false)
				case "continue":
					return d.str(&lm.Continue, false)
				case "remainingItemCount":
					if s.null() {
						lm.RemainingItemCount = nil
						return nil
					}
					v, err := s.int64v()
					if err == nil {
						lm.RemainingItemCount = &v
					}
					return err
				}
				return s.skip()
			})
		case "details":
			// Rare and nested: the standard (case-sensitive) decoder, exactly.
			raw, err := s.raw()
			if err != nil {
				return err
			}
			if err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, &st.Details); err != nil {
				return fmt.Errorf("responseStatus.details: %w", err)
			}
			return nil
		}
		return s.skip()
	})
}

// unknown keeps a body as raw JSON, like runtime.Unknown.UnmarshalJSON.
func (d *LineDecoder) unknown(old *runtime.Unknown) (*runtime.Unknown, error) {
	s := &d.s
	if s.null() {
		return nil, nil
	}
	raw, err := s.rawFast()
	if err != nil {
		return old, err
	}
	if !d.NoCopy {
		raw = bytes.Clone(raw)
	}
	if b := d.box; b != nil && b.bodies < len(b.body) {
		u := &b.body[b.bodies]
		b.bodies++
		u.Raw, u.ContentType = raw, runtime.ContentTypeJSON
		return u, nil
	}
	return &runtime.Unknown{Raw: raw, ContentType: runtime.ContentTypeJSON}, nil
}

func (d *LineDecoder) microTime(t *metav1.MicroTime) error {
	s := &d.s
	if s.null() {
		t.Time = time.Time{}
		return nil
	}
	if s.peek() != '"' {
		return s.errf("want a timestamp string")
	}
	b, err := s.strBytes()
	if err != nil {
		return err
	}
	v, ok := parseMicroUTC(b)
	if !ok {
		// kube-apiserver writes microseconds; log shippers may rewrite the
		// fraction: any RFC 3339 time is accepted.
		v, err = time.Parse(time.RFC3339Nano, string(b))
		if err != nil {
			return fmt.Errorf("timestamp %q: want an RFC 3339 time", b)
		}
	}
	if ok {
		t.Time = v // already Local
	} else {
		t.Time = v.Local()
	}
	return nil
}

// parseMicroUTC parses the exact form kube-apiserver writes,
// 2006-01-02T15:04:05.000000Z, without time.Parse, into a time in the
// Local location (as metav1.MicroTime's decoder leaves it).
func parseMicroUTC(b []byte) (time.Time, bool) {
	if len(b) != 27 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[19] != '.' || b[26] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range b[i : i+n] {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, dd, h, mi, sec, us := num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2), num(20, 6)
	if y < 0 || mo < 1 || mo > 12 || dd < 1 || dd > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || us < 0 {
		return time.Time{}, false
	}
	if dd > daysIn(mo, y) { // Feb 30 and friends: let time.Parse reject it
		return time.Time{}, false
	}
	// time.Unix is the instant in the Local location: what
	// time.Date(..., time.UTC).Local() is, without the normalisation.
	return time.Unix(daysFromCivil(y, mo, dd)*86400+int64(h*3600+mi*60+sec), int64(us)*1000), true
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to y-m-d (proleptic
// Gregorian; Howard Hinnant's algorithm, for y >= 0).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := m + 9
	if m > 2 {
		mp = m - 3
	}
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}
