package detect

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// The evaluation state of one event: the activation the conditions run
// in, and what they read of it lazily (bodies, the exec command).

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
	if ops, ok := c.req.native.([]any); ok {
		// A JSON patch: the object its add and replace operations write
		// (what a refused patch tried, too).
		c.written = types.DefaultTypeAdapter.NativeToValue(jsonPatchObject(ops))
	}
	if c.ev.Verb == "patch" && c.ev.ResponseObject != nil {
		resp := c.responseObject()
		if m, ok := c.resp.native.(map[string]any); ok && len(m) > 0 && m["kind"] != "Status" {
			c.written = resp
		}
	}
	return c.written
}

// jsonPatchObject is the partial object the add and replace operations of
// a JSON patch (RFC 6902) write, starting from nothing: {"op": "add",
// "path": "/rules/-", "value": R} gives {"rules": [R]}. Other operations,
// and anything that is not an operation, are left out.
func jsonPatchObject(ops []any) map[string]any {
	var root any = map[string]any{}
	for _, o := range ops {
		op, _ := o.(map[string]any)
		kind, _ := op["op"].(string)
		p, _ := op["path"].(string)
		if (kind != "add" && kind != "replace") || !strings.HasPrefix(p, "/") {
			continue
		}
		parts := strings.Split(p[1:], "/")
		for i := range parts {
			parts[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(parts[i])
		}
		root = setPath(root, parts, op["value"])
	}
	m, _ := root.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

// setPath puts v at parts under cur (a map, a list, or nothing) and
// returns cur: a list index (or "-") appends a new element.
func setPath(cur any, parts []string, v any) any {
	if len(parts) == 0 {
		return v
	}
	if isIndex(parts[0]) {
		l, _ := cur.([]any)
		return append(l, setPath(nil, parts[1:], v))
	}
	m, _ := cur.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	m[parts[0]] = setPath(m[parts[0]], parts[1:], v)
	return m
}

func isIndex(s string) bool {
	if s == "-" {
		return true
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// requestMentions reports whether the raw request body contains one of
// needles, without decoding it.
func (c *evalCtx) requestMentions(needles []string) bool {
	if c.ev.RequestObject == nil {
		return false
	}
	for _, n := range needles {
		if bytes.Contains(c.ev.RequestObject.Raw, []byte(n)) {
			return true
		}
	}
	return false
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
