package detect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"path"
	"reflect"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/decls"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"
	authnv1 "k8s.io/api/authentication/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// The CEL environment rules are written in.
//
// Variables:
//
//	event   the audit.k8s.io/v1 Event, with its JSON field names
//	        (event.verb, event.user.username, event.objectRef.resource,
//	        event.annotations["authorization.k8s.io/decision"], ...).
//	        Absent objects read as empty: event.objectRef.resource is ""
//	        for a non-resource request, event.impersonatedUser.username is
//	        "" without impersonation, event.responseStatus.code is 0, and
//	        event.requestObject is {} when the level did not record it;
//	        has(event.impersonatedUser) tells whether it is present.
//	params  the scan's parameters: params.allowCIDRs, params.podCIDRs,
//	        params.nodeCIDRs (lists of CIDR strings).
//
// Functions (besides CEL's standard library, cel-go's strings, sets and
// lists extensions, and optional types):
//
//	allowed(event) bool       the authorizer allowed the request
//	                          (annotation authorization.k8s.io/decision=allow)
//	forbidden(event) bool     the authorizer denied it (decision=forbid)
//	execCommand(event) string the command of an exec request, decoded from
//	                          every command= parameter of the URI, joined by spaces
//	queryParam(uri, name) list(string)   decoded values of a query parameter
//	writtenObject(event) dyn  the object a create/update/patch writes: the
//	                          request body, or for a patch the response body
//	                          when it is the object (RequestResponse)
//	podSpecs(obj) list        the pod specs of a Pod, PodTemplate, Deployment,
//	                          DaemonSet, StatefulSet, ReplicaSet,
//	                          ReplicationController, Job or CronJob (and of
//	                          a merge patch of one)
//	containers(obj) list      containers, initContainers and
//	                          ephemeralContainers of every pod spec (and of a
//	                          pods/ephemeralcontainers body)
//	hostPaths(obj) list(string)  hostPath volume paths of every pod spec, cleaned
//	pathUnder(p, prefixes) bool  cleaned path p is one of prefixes or below one
//	ipInCIDRs(ip, cidrs) bool    ip (string) is in one of the CIDR strings
//	outsideCIDRs(ips, cidrs) bool  some ip of the list is in none of the CIDRs
//	peerIP(event) string      the address that connected: the last of
//	                          sourceIPs (earlier ones come from
//	                          X-Forwarded-For / X-Real-Ip and can be forged)
//	uriPath(event) string     the request path without its query, cleaned
//	                          (/healthz/../api is /api)
//	clientName(event) string  the product of the user agent, lower-cased:
//	                          "kubectl", "kubelet", "curl", "python-requests",
//	                          "go-http-client", "rakkess" (text before the
//	                          first '/' or space)
//	target(event) string      what the request is about, for messages:
//	                          "deployments.apps/scale prod/web" or the URI path
//	outcome(event) string     "" when the request succeeded, else
//	                          " (failed: 403 Forbidden)" and the like
//	isServiceAccount(event) bool  the user is a ServiceAccount
//	saNamespace(event) string the namespace of that ServiceAccount, else ""
//	isNode(event) bool        the user is a kubelet (system:node:NAME in group
//	                          system:nodes)
//	controlPlane(event) bool  the user is a control-plane component:
//	                          system:apiserver, system:kube-controller-manager,
//	                          system:kube-scheduler,
//	                          system:cloud-controller-manager, or a
//	                          kube-system ServiceAccount of a controller
//	                          (kube-controller-manager with
//	                          --use-service-account-credentials: names ending
//	                          in -controller and the others it uses)

// fields lists the fields rules may select on each object of the event;
// rule conditions are checked against it when they are loaded.
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

// evalCtx is the evaluation state of one event. An engine reuses one.
type evalCtx struct {
	ev     *auditv1.Event
	objs   [nKinds]objVal
	params ref.Val

	req, resp     jsonBody
	written       ref.Val
	writtenDone   bool
	annotations   ref.Val
	cmd           string
	cmdDone       bool
	decodeErrors  int
	lastDecodeErr error
}

func newEvalCtx(params ref.Val) *evalCtx {
	c := &evalCtx{params: params}
	for k := range c.objs {
		c.objs[k] = objVal{k: objKind(k), c: c}
	}
	return c
}

func (c *evalCtx) reset(ev *auditv1.Event) {
	c.ev = ev
	c.req = jsonBody{}
	c.resp = jsonBody{}
	c.written, c.writtenDone = nil, false
	c.annotations = nil
	c.cmd, c.cmdDone = "", false
}

// ResolveName implements interpreter.Activation.
func (c *evalCtx) ResolveName(name string) (any, bool) {
	switch name {
	case "event":
		return &c.objs[kEvent], true
	case "params":
		return c.params, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (c *evalCtx) Parent() interpreter.Activation { return nil }

// jsonBody is a request or response body decoded on first use.
type jsonBody struct {
	done   bool
	native any
	val    ref.Val
}

func (c *evalCtx) body(which *jsonBody, raw []byte) ref.Val {
	if which.done {
		return which.val
	}
	which.done = true
	if len(raw) == 0 {
		which.native = map[string]any{}
	} else {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			c.decodeErrors++
			c.lastDecodeErr = err
			v = map[string]any{}
		}
		which.native = normalizeJSON(v)
	}
	which.val = types.DefaultTypeAdapter.NativeToValue(which.native)
	return which.val
}

// normalizeJSON turns json.Numbers into int64 (or float64) so CEL sees ints.
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeJSON(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeJSON(e)
		}
		return x
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

func (c *evalCtx) requestObject() ref.Val {
	var raw []byte
	if c.ev.RequestObject != nil {
		raw = c.ev.RequestObject.Raw
	}
	return c.body(&c.req, raw)
}

func (c *evalCtx) responseObject() ref.Val {
	var raw []byte
	if c.ev.ResponseObject != nil {
		raw = c.ev.ResponseObject.Raw
	}
	return c.body(&c.resp, raw)
}

// writtenObject: see the package comment.
func (c *evalCtx) writtenObject() ref.Val {
	if c.writtenDone {
		return c.written
	}
	c.writtenDone = true
	c.written = c.requestObject()
	if c.ev.Verb == "patch" && c.ev.ResponseObject != nil {
		resp := c.responseObject()
		if m, ok := c.resp.native.(map[string]any); ok && len(m) > 0 && m["kind"] != "Status" {
			c.written = resp
		}
	}
	return c.written
}

func (c *evalCtx) execCommand() string {
	if !c.cmdDone {
		c.cmdDone = true
		c.cmd = strings.Join(queryValues(c.ev.RequestURI, "command"), " ")
	}
	return c.cmd
}

func queryValues(uri, name string) []string {
	_, q, ok := strings.Cut(uri, "?")
	if !ok {
		return nil
	}
	var out []string
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(kv, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if k != name {
			continue
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		out = append(out, v)
	}
	return out
}

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

// nativeOf returns the Go value behind a JSON-derived CEL value.
func nativeOf(v ref.Val) any {
	if v == nil {
		return nil
	}
	return v.Value()
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m := mapOf(v)
		if m == nil {
			return nil
		}
		v = m[k]
	}
	return v
}

// podSpecsOf collects the pod specs of an object of any workload kind, by
// shape (so merge patches without a kind work too).
func podSpecsOf(obj any) []any {
	var out []any
	add := func(v any) {
		if m := mapOf(v); m != nil {
			out = append(out, m)
		}
	}
	spec := mapOf(dig(obj, "spec"))
	if spec != nil {
		kind, _ := mapOf(obj)["kind"].(string)
		if kind == "Pod" || (kind == "" && (spec["containers"] != nil || spec["initContainers"] != nil || spec["ephemeralContainers"] != nil || spec["volumes"] != nil ||
			spec["hostPID"] != nil || spec["hostNetwork"] != nil || spec["hostIPC"] != nil)) {
			add(spec)
		}
		add(dig(spec, "template", "spec"))
		add(dig(spec, "jobTemplate", "spec", "template", "spec"))
	}
	add(dig(obj, "template", "spec")) // PodTemplate
	return out
}

// objectArg resolves the argument of podSpecs, containers and hostPaths:
// the event stands for its written object.
func objectArg(v ref.Val) any {
	if c, ok := eventArg(v); ok {
		v = c.writtenObject()
	}
	return nativeOf(v)
}

func containersOf(specs []any) []any {
	var out []any
	for _, s := range specs {
		for _, k := range []string{"containers", "initContainers", "ephemeralContainers"} {
			if l, ok := mapOf(s)[k].([]any); ok {
				out = append(out, l...)
			}
		}
	}
	return out
}

func hostPathsOf(specs []any) []string {
	var out []string
	for _, s := range specs {
		vols, _ := mapOf(s)["volumes"].([]any)
		for _, v := range vols {
			if p, ok := dig(v, "hostPath", "path").(string); ok {
				out = append(out, cleanPath(p))
			}
		}
	}
	return out
}

func cleanPath(p string) string {
	if p == "" || isClean(p) {
		return p
	}
	return path.Clean("/" + p)
}

// isClean reports whether path.Clean("/"+p) is p: rooted, without an
// empty, "." or ".." element or a trailing slash (most paths are; no
// allocation then).
func isClean(p string) bool {
	if p == "/" {
		return true
	}
	if len(p) < 2 || p[0] != '/' || p[len(p)-1] == '/' {
		return false
	}
	start := 1
	for i := 1; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			if e := p[start:i]; e == "" || e == "." || e == ".." {
				return false
			}
			start = i + 1
		}
	}
	return true
}

func pathUnder(p string, prefixes []string) bool {
	p = cleanPath(p)
	for _, pre := range prefixes {
		pre = cleanPath(pre)
		// p is pre or below it (p starts with pre+"/").
		if p == pre || (len(p) > len(pre) && p[len(pre)] == '/' && p[:len(pre)] == pre) {
			return true
		}
	}
	return false
}

func ipIn(ip string, cidrs []string) bool {
	return parseCIDRs(cidrs).contains(ip)
}

// cidrSet is a list of CIDRs (and single addresses) as ipIn reads it:
// entries that are neither are ignored.
type cidrSet struct {
	prefixes []netip.Prefix
	addrs    []netip.Addr
}

func parseCIDRs(cidrs []string) cidrSet {
	var cs cidrSet
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			if one, err := netip.ParseAddr(c); err == nil {
				cs.addrs = append(cs.addrs, one.Unmap())
			}
			continue
		}
		cs.prefixes = append(cs.prefixes, p)
	}
	return cs
}

// contains reports whether ip (a string, spaces around it ignored) is in
// one of the CIDRs or is one of the addresses; an invalid ip is in none.
func (cs cidrSet) contains(ip string) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range cs.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	for _, one := range cs.addrs {
		if one == a {
			return true
		}
	}
	return false
}

func stringsOf(v ref.Val) ([]string, bool) {
	switch x := v.Value().(type) {
	case []string:
		return x, true
	}
	l, ok := v.(traits.Lister)
	if !ok {
		return nil, false
	}
	n := int(l.Size().(types.Int))
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		s, ok := l.Get(types.Int(i)).(types.String)
		if !ok {
			return nil, false
		}
		out = append(out, string(s))
	}
	return out, true
}

func listVal(v []any) ref.Val { return types.DefaultTypeAdapter.NativeToValue(v) }

// The functions taking strings and lists of strings check their arguments
// themselves (decls.DisableTypeGuards): cel-go's generic guard allocates
// an iterator per list argument per call. isString and isStringList are
// that guard (types.Type.IsAssignableRuntimeType for string and
// list(string), which looks at a list's first element), errors and
// unknowns failing it; a failure gives the guard's error
// (decls.MaybeNoSuchOverload).
func isString(v ref.Val) bool {
	_, ok := v.(types.String)
	return ok
}

func isStringList(v ref.Val) bool {
	if types.IsUnknownOrError(v) || v.Type().TypeName() != types.ListType.TypeName() {
		return false
	}
	l, ok := v.(traits.Lister)
	if !ok {
		return false
	}
	if l.Size() == types.IntZero {
		return true
	}
	return l.Get(types.IntZero).Type().TypeName() == types.StringType.TypeName()
}

// paramsValue is the params variable: a map of prepared lists (reading
// params.allowCIDRs neither reflects nor converts).
func paramsValue(params map[string][]string) ref.Val {
	m := make(map[ref.Val]ref.Val, len(params))
	for k, v := range params {
		m[types.String(k)] = types.NewStringList(types.DefaultTypeAdapter, v)
	}
	return types.NewRefValMap(types.DefaultTypeAdapter, m)
}

// celEnv builds the environment (once per process).
func celEnv() (*cel.Env, error) {
	eventFn := func(name string, fn func(c *evalCtx) ref.Val, result *cel.Type, doc string) cel.EnvOption {
		return cel.Function(name, cel.FunctionDocs(doc), cel.Overload(name+"_event", []*cel.Type{cel.DynType}, result,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				c, ok := eventArg(v)
				if !ok {
					return errNotEvent
				}
				return fn(c)
			})))
	}
	decision := func(c *evalCtx) string { return c.ev.Annotations["authorization.k8s.io/decision"] }
	return cel.NewEnv(
		cel.Variable("event", cel.DynType),
		cel.Variable("params", cel.MapType(cel.StringType, cel.ListType(cel.StringType))),
		ext.Strings(), ext.Sets(), ext.Lists(), cel.OptionalTypes(), cel.CrossTypeNumericComparisons(true),
		eventFn("allowed", func(c *evalCtx) ref.Val { return types.Bool(decision(c) == "allow") }, cel.BoolType,
			"the authorizer allowed the request"),
		eventFn("forbidden", func(c *evalCtx) ref.Val { return types.Bool(decision(c) == "forbid") }, cel.BoolType,
			"the authorizer denied the request"),
		eventFn("execCommand", func(c *evalCtx) ref.Val { return types.String(c.execCommand()) }, cel.StringType,
			"the decoded command of an exec request"),
		eventFn("writtenObject", func(c *evalCtx) ref.Val { return c.writtenObject() }, cel.DynType,
			"the object a create, update or patch writes"),
		eventFn("peerIP", func(c *evalCtx) ref.Val {
			ips := c.ev.SourceIPs
			if len(ips) == 0 {
				return types.String("")
			}
			return types.String(ips[len(ips)-1])
		}, cel.StringType, "the address that connected (the last of sourceIPs)"),
		eventFn("uriPath", func(c *evalCtx) ref.Val { return types.String(uriPath(c.ev.RequestURI)) }, cel.StringType,
			"the cleaned request path without its query"),
		eventFn("clientName", func(c *evalCtx) ref.Val { return types.String(clientName(c.ev.UserAgent)) }, cel.StringType,
			"the product of the user agent, lower-cased"),
		eventFn("target", func(c *evalCtx) ref.Val { return types.String(c.target()) }, cel.StringType,
			"what the request is about"),
		eventFn("outcome", func(c *evalCtx) ref.Val { return types.String(outcome(c.ev)) }, cel.StringType,
			"the failure of the request, or empty"),
		eventFn("isServiceAccount", func(c *evalCtx) ref.Val {
			return types.Bool(strings.HasPrefix(c.ev.User.Username, saPrefix))
		}, cel.BoolType, "the user is a ServiceAccount"),
		eventFn("saNamespace", func(c *evalCtx) ref.Val {
			ns, _ := saOf(c.ev.User.Username)
			return types.String(ns)
		}, cel.StringType, "the namespace of the ServiceAccount user"),
		eventFn("isNode", func(c *evalCtx) ref.Val { return types.Bool(isNode(&c.ev.User)) }, cel.BoolType,
			"the user is a kubelet"),
		eventFn("controlPlane", func(c *evalCtx) ref.Val { return types.Bool(isControlPlane(c.ev.User.Username)) }, cel.BoolType,
			"the user is a control-plane component"),
		cel.Function("queryParam", cel.Overload("queryParam_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.ListType(cel.StringType),
			cel.BinaryBinding(func(u, n ref.Val) ref.Val {
				if !isString(u) || !isString(n) {
					return decls.MaybeNoSuchOverload("queryParam", u, n)
				}
				return types.NewStringList(types.DefaultTypeAdapter, queryValues(string(u.(types.String)), string(n.(types.String))))
			})), decls.DisableTypeGuards(true)),
		cel.Function("podSpecs", cel.Overload("podSpecs_dyn", []*cel.Type{cel.DynType}, cel.ListType(cel.DynType),
			cel.UnaryBinding(func(v ref.Val) ref.Val { return listVal(podSpecsOf(objectArg(v))) }))),
		cel.Function("containers", cel.Overload("containers_dyn", []*cel.Type{cel.DynType}, cel.ListType(cel.DynType),
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				obj := objectArg(v)
				return listVal(containersOf(podSpecsOf(obj)))
			}))),
		cel.Function("hostPaths", cel.Overload("hostPaths_dyn", []*cel.Type{cel.DynType}, cel.ListType(cel.StringType),
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				return types.NewStringList(types.DefaultTypeAdapter, hostPathsOf(podSpecsOf(objectArg(v))))
			}))),
		cel.Function("pathUnder", cel.Overload("pathUnder_string_list", []*cel.Type{cel.StringType, cel.ListType(cel.StringType)}, cel.BoolType,
			cel.BinaryBinding(func(p, l ref.Val) ref.Val {
				if !isString(p) || !isStringList(l) {
					return decls.MaybeNoSuchOverload("pathUnder", p, l)
				}
				pre, ok := stringsOf(l)
				if !ok {
					return types.NewErr("pathUnder: want a list of strings")
				}
				return types.Bool(pathUnder(string(p.(types.String)), pre))
			})), decls.DisableTypeGuards(true)),
		cel.Function("ipInCIDRs", cel.Overload("ipInCIDRs_string_list", []*cel.Type{cel.StringType, cel.ListType(cel.StringType)}, cel.BoolType,
			cel.BinaryBinding(func(ip, l ref.Val) ref.Val {
				if !isString(ip) || !isStringList(l) {
					return decls.MaybeNoSuchOverload("ipInCIDRs", ip, l)
				}
				cidrs, ok := stringsOf(l)
				if !ok {
					return types.NewErr("ipInCIDRs: want a list of strings")
				}
				return types.Bool(ipIn(string(ip.(types.String)), cidrs))
			})), decls.DisableTypeGuards(true)),
		cel.Function("outsideCIDRs", cel.Overload("outsideCIDRs_list_list", []*cel.Type{cel.ListType(cel.StringType), cel.ListType(cel.StringType)}, cel.BoolType,
			cel.BinaryBinding(func(ipl, l ref.Val) ref.Val {
				if !isStringList(ipl) || !isStringList(l) {
					return decls.MaybeNoSuchOverload("outsideCIDRs", ipl, l)
				}
				ips, ok1 := stringsOf(ipl)
				cidrs, ok2 := stringsOf(l)
				if !ok1 || !ok2 {
					return types.NewErr("outsideCIDRs: want lists of strings")
				}
				for _, ip := range ips {
					if !ipIn(ip, cidrs) {
						return types.True
					}
				}
				return types.False
			})), decls.DisableTypeGuards(true)),
	)
}

const saPrefix = "system:serviceaccount:"

func saOf(user string) (ns, name string) {
	rest, ok := strings.CutPrefix(user, saPrefix)
	if !ok {
		return "", ""
	}
	ns, name, _ = strings.Cut(rest, ":")
	return ns, name
}

func isNode(u *authnv1.UserInfo) bool {
	if !strings.HasPrefix(u.Username, "system:node:") {
		return false
	}
	for _, g := range u.Groups {
		if g == "system:nodes" {
			return true
		}
	}
	return false
}

// controllerSAs are the kube-system ServiceAccounts kube-controller-manager
// uses (--use-service-account-credentials, v1.36) whose names do not end
// in -controller.
var controllerSAs = map[string]bool{
	"bootstrap-signer": true, "controller-discovery": true, "generic-garbage-collector": true,
	"horizontal-pod-autoscaler": true, "kube-apiserver-serving-clustertrustbundle-publisher": true,
	"legacy-service-account-token-cleaner": true, "persistent-volume-binder": true,
	"pod-garbage-collector": true, "podcertificaterequestcleaner": true, "root-ca-cert-publisher": true,
	"shared-informers": true, "storage-version-garbage-collector": true, "token-cleaner": true,
	"cloud-provider": true,
}

func isControlPlane(user string) bool {
	switch user {
	case "system:apiserver", "system:kube-controller-manager", "system:kube-scheduler", "system:cloud-controller-manager":
		return true
	}
	ns, name := saOf(user)
	return ns == "kube-system" && (strings.HasSuffix(name, "-controller") || controllerSAs[name])
}

func uriPath(uri string) string {
	p, _, _ := strings.Cut(uri, "?")
	if p == "" {
		return ""
	}
	return cleanPath(p)
}

func (c *evalCtx) target() string {
	o := c.ev.ObjectRef
	if o == nil {
		return uriPath(c.ev.RequestURI)
	}
	if o.Name == "" && c.ev.RequestObject != nil {
		if name, ok := dig(nativeOf(c.writtenObject()), "metadata", "name").(string); ok {
			r := *o
			r.Name = name
			return objectString(&r)
		}
	}
	return objectString(o)
}

func outcome(ev *auditv1.Event) string {
	st := ev.ResponseStatus
	if st == nil || st.Code < 400 {
		return ""
	}
	msg := fmt.Sprintf(" (failed: %d", st.Code)
	if st.Reason != "" {
		msg += " " + string(st.Reason)
	}
	return msg + ")"
}

func clientName(ua string) string {
	if i := strings.IndexAny(ua, "/ "); i >= 0 {
		ua = ua[:i]
	}
	return strings.ToLower(ua)
}
