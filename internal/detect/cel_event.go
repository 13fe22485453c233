package detect

import (
	"fmt"
	"reflect"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	authnv1 "k8s.io/api/authentication/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// The event as CEL sees it: an object whose fields are read on demand.

var fields = map[objKind][]string{
	kEvent: {"kind", "apiVersion", "level", "auditID", "stage", "requestURI", "verb", "user", "impersonatedUser",
		"authenticationMetadata", "sourceIPs", "userAgent", "objectRef", "responseStatus", "requestObject",
		"responseObject", "requestReceivedTimestamp", "stageTimestamp", "annotations"},
	kUser:      {"username", "uid", "groups", "extra"},
	kImpUser:   {"username", "uid", "groups", "extra"},
	kObjectRef: {"resource", "namespace", "name", "uid", "apiGroup", "apiVersion", "resourceVersion", "subresource"},
	kStatus:    {"code", "status", "reason", "message"},
	kAuthn:     {"impersonationConstraint"},
}

// subObject maps event fields to the kind of object they hold.
var subObject = map[string]objKind{
	"user": kUser, "impersonatedUser": kImpUser, "objectRef": kObjectRef,
	"responseStatus": kStatus, "authenticationMetadata": kAuthn,
}

type objKind uint8

const (
	kEvent objKind = iota
	kUser
	kImpUser
	kObjectRef
	kStatus
	kAuthn
	nKinds
)

var emptyObjectRef auditv1.ObjectReference
var emptyUser authnv1.UserInfo

// objVal is the event or one of its objects, as CEL sees it: an object
// whose fields are read on demand (no map is built per event).
type objVal struct {
	k objKind
	c *evalCtx
}

var (
	_                     ref.Val            = (*objVal)(nil)
	_                     traits.Indexer     = (*objVal)(nil)
	_                     traits.FieldTester = (*objVal)(nil)
	objType                                  = types.NewObjectType("audit.Event")
	errNotEvent                              = types.NewErr("the argument is not the audit event")
	reflectStringInterMap                    = reflect.TypeOf(map[string]any{})
)

func (o *objVal) ConvertToNative(t reflect.Type) (any, error) {
	if t == reflectStringInterMap {
		m := map[string]any{}
		for _, f := range fields[o.k] {
			v := o.Get(types.String(f))
			if types.IsError(v) {
				continue
			}
			if n, err := v.ConvertToNative(reflect.TypeOf((*any)(nil)).Elem()); err == nil {
				m[f] = n
			}
		}
		return m, nil
	}
	return nil, fmt.Errorf("audit event object cannot be converted to %v", t)
}

func (o *objVal) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return objType
	}
	return types.NewErr("type conversion error from audit event object to %v", t)
}

func (o *objVal) Equal(other ref.Val) ref.Val {
	p, ok := other.(*objVal)
	return types.Bool(ok && p.k == o.k && p.c == o.c && p.c.ev == o.c.ev)
}

func (o *objVal) Type() ref.Type { return objType }
func (o *objVal) Value() any     { return o.c.ev }

func (o *objVal) user() *authnv1.UserInfo {
	if o.k == kImpUser {
		if o.c.ev.ImpersonatedUser == nil {
			return &emptyUser
		}
		return o.c.ev.ImpersonatedUser
	}
	return &o.c.ev.User
}

func (o *objVal) objectRef() *auditv1.ObjectReference {
	if o.c.ev.ObjectRef == nil {
		return &emptyObjectRef
	}
	return o.c.ev.ObjectRef
}

func (o *objVal) Get(index ref.Val) ref.Val {
	f, ok := index.(types.String)
	if !ok {
		return types.NewErr("no such key: %v", index)
	}
	if v := o.get(string(f)); v != nil {
		return v
	}
	return types.NewErr("no such key: %s", f)
}

func (o *objVal) get(f string) ref.Val {
	c := o.c
	ev := c.ev
	switch o.k {
	case kEvent:
		switch f {
		case "verb":
			return types.String(ev.Verb)
		case "objectRef":
			return &c.objs[kObjectRef]
		case "user":
			return &c.objs[kUser]
		case "annotations":
			if c.annotations == nil {
				m := ev.Annotations
				if m == nil {
					m = map[string]string{}
				}
				c.annotations = types.NewStringStringMap(types.DefaultTypeAdapter, m)
			}
			return c.annotations
		case "requestURI":
			return types.String(ev.RequestURI)
		case "sourceIPs":
			return types.NewStringList(types.DefaultTypeAdapter, ev.SourceIPs)
		case "userAgent":
			return types.String(ev.UserAgent)
		case "stage":
			return types.String(ev.Stage)
		case "level":
			return types.String(ev.Level)
		case "auditID":
			return types.String(ev.AuditID)
		case "impersonatedUser":
			return &c.objs[kImpUser]
		case "responseStatus":
			return &c.objs[kStatus]
		case "authenticationMetadata":
			return &c.objs[kAuthn]
		case "requestObject":
			return c.requestObject()
		case "responseObject":
			return c.responseObject()
		case "requestReceivedTimestamp":
			return types.Timestamp{Time: ev.RequestReceivedTimestamp.Time}
		case "stageTimestamp":
			return types.Timestamp{Time: ev.StageTimestamp.Time}
		case "kind":
			return types.String(ev.Kind)
		case "apiVersion":
			return types.String(ev.APIVersion)
		}
	case kUser, kImpUser:
		u := o.user()
		switch f {
		case "username":
			return types.String(u.Username)
		case "groups":
			return types.NewStringList(types.DefaultTypeAdapter, u.Groups)
		case "uid":
			return types.String(u.UID)
		case "extra":
			m := make(map[string][]string, len(u.Extra))
			for k, v := range u.Extra {
				m[k] = v
			}
			return types.DefaultTypeAdapter.NativeToValue(m)
		}
	case kObjectRef:
		r := o.objectRef()
		switch f {
		case "resource":
			return types.String(r.Resource)
		case "subresource":
			return types.String(r.Subresource)
		case "namespace":
			return types.String(r.Namespace)
		case "name":
			return types.String(r.Name)
		case "apiGroup":
			return types.String(r.APIGroup)
		case "apiVersion":
			return types.String(r.APIVersion)
		case "uid":
			return types.String(r.UID)
		case "resourceVersion":
			return types.String(r.ResourceVersion)
		}
	case kStatus:
		s := ev.ResponseStatus
		if s == nil {
			switch f {
			case "code":
				return types.Int(0)
			case "status", "reason", "message":
				return types.String("")
			}
			return nil
		}
		switch f {
		case "code":
			return types.Int(s.Code)
		case "status":
			return types.String(s.Status)
		case "reason":
			return types.String(s.Reason)
		case "message":
			return types.String(s.Message)
		}
	case kAuthn:
		if f == "impersonationConstraint" {
			if ev.AuthenticationMetadata == nil {
				return types.String("")
			}
			return types.String(ev.AuthenticationMetadata.ImpersonationConstraint)
		}
	}
	return nil
}

// IsSet implements has(): objects are set when present in the event,
// strings when non-empty, lists and maps when non-empty.
func (o *objVal) IsSet(field ref.Val) ref.Val {
	f, ok := field.(types.String)
	if !ok {
		return types.NewErr("no such key: %v", field)
	}
	ev := o.c.ev
	if o.k == kEvent {
		switch string(f) {
		case "impersonatedUser":
			return types.Bool(ev.ImpersonatedUser != nil)
		case "objectRef":
			return types.Bool(ev.ObjectRef != nil)
		case "responseStatus":
			return types.Bool(ev.ResponseStatus != nil)
		case "authenticationMetadata":
			return types.Bool(ev.AuthenticationMetadata != nil)
		case "requestObject":
			return types.Bool(ev.RequestObject != nil && len(ev.RequestObject.Raw) > 0)
		case "responseObject":
			return types.Bool(ev.ResponseObject != nil && len(ev.ResponseObject.Raw) > 0)
		case "user":
			return types.True
		}
	}
	v := o.get(string(f))
	if v == nil {
		return types.NewErr("no such key: %s", f)
	}
	switch x := v.(type) {
	case types.String:
		return types.Bool(x != "")
	case types.Int:
		return types.Bool(x != 0)
	case traits.Sizer:
		return types.Bool(x.Size() != types.Int(0))
	}
	return types.True
}

func eventArg(v ref.Val) (*evalCtx, bool) {
	o, ok := v.(*objVal)
	if !ok || o.k != kEvent {
		return nil, false
	}
	return o.c, true
}
