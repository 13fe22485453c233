package rbac

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"unsafe"

	yaml "go.yaml.in/yaml/v3"
)

// A cursor walks one JSON or YAML value tree, so that the extractor
// (extract.go) reads both formats with the same code, keeps the line of
// every field for error messages, and never materialises what it does not
// need: Secret data, pod specs and statuses are skipped, not decoded.
//
// Dumps of large clusters are tens of megabytes; decoding them into
// generic trees and then into typed objects (YAML → JSON → struct, as
// sigs.k8s.io/yaml does) takes seconds. The JSON cursor is a single-pass
// scanner over the file's bytes; the YAML cursor walks go.yaml.in/yaml/v3
// nodes. The extractor's results are checked against sigs.k8s.io/yaml
// decoding into the k8s.io/api types in extract_test.go.
type cursor interface {
	// kind is the kind of the current value.
	kind() vkind
	// line is the 1-based line where the current value starts.
	line() int
	// str consumes a string (kind vString).
	str() (string, error)
	// boolean consumes a bool (kind vBool).
	boolean() (bool, error)
	// object calls fn for each key of an object (kind vObject) with the
	// cursor on the key's value; fn must consume the value (or skip it).
	// key is only valid during fn: clone it to keep it.
	object(fn func(key string) error) error
	// array calls fn for each element of an array (kind vArray).
	array(fn func(i int) error) error
	// skip consumes the current value, whatever it is.
	skip() error
}

type vkind uint8

const (
	vInvalid vkind = iota
	vNull
	vBool
	vNumber
	vString
	vObject
	vArray
)

func (k vkind) String() string {
	switch k {
	case vNull:
		return "null"
	case vBool:
		return "a boolean"
	case vNumber:
		return "a number"
	case vString:
		return "a string"
	case vObject:
		return "a mapping"
	case vArray:
		return "a list"
	default:
		return "nothing"
	}
}

// syntaxError is a JSON syntax error at a line; it ends the file.
type syntaxError struct {
	line int
	msg  string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// maxDepth bounds nesting, so hostile input cannot exhaust the stack.
const maxDepth = 256

// ---- JSON ----

type jsonCursor struct {
	data  []byte
	pos   int
	ln    int
	depth int
	stack []byte // open brackets while skipping
}

func newJSONCursor(data []byte) *jsonCursor { return &jsonCursor{data: data, ln: 1} }

func (c *jsonCursor) errf(format string, a ...any) error {
	return &syntaxError{line: c.ln, msg: fmt.Sprintf(format, a...)}
}

func (c *jsonCursor) ws() {
	for c.pos < len(c.data) {
		switch c.data[c.pos] {
		case ' ', '\t', '\r':
			c.pos++
		case '\n':
			c.ln++
			c.pos = skipSpaces(c.data, c.pos+1)
		default:
			return
		}
	}
}

// skipSpaces returns the index of the first byte at or after i that is not
// a space: the indentation of pretty-printed JSON (kubectl's four spaces a
// level) is most of a dump's bytes, so it is skipped eight at a time.
func skipSpaces(d []byte, i int) int {
	for i+8 <= len(d) && binary.LittleEndian.Uint64(d[i:]) == 0x2020202020202020 {
		i += 8
	}
	for i < len(d) && d[i] == ' ' {
		i++
	}
	return i
}

// more reports whether another top-level value follows.
func (c *jsonCursor) more() bool {
	c.ws()
	return c.pos < len(c.data)
}

func (c *jsonCursor) kind() vkind {
	c.ws()
	if c.pos >= len(c.data) {
		return vInvalid
	}
	switch b := c.data[c.pos]; {
	case b == '{':
		return vObject
	case b == '[':
		return vArray
	case b == '"':
		return vString
	case b == 't' || b == 'f':
		return vBool
	case b == 'n':
		return vNull
	case b == '-' || (b >= '0' && b <= '9'):
		return vNumber
	default:
		return vInvalid
	}
}

func (c *jsonCursor) line() int {
	c.ws()
	return c.ln
}

// rawString consumes a string and returns its bytes without the quotes
// and whether they contain escapes.
func (c *jsonCursor) rawString() ([]byte, bool, error) {
	c.ws()
	if c.pos >= len(c.data) {
		return nil, false, c.errf("unexpected end of input, expected a string")
	}
	if c.data[c.pos] != '"' {
		return nil, false, c.errf("invalid character %q, expected a string", c.data[c.pos])
	}
	start := c.pos + 1
	escaped := false
	for i := start; i < len(c.data); i++ {
		switch b := c.data[i]; {
		case b == '"':
			c.pos = i + 1
			return c.data[start:i], escaped, nil
		case b == '\\':
			escaped = true
			i++
		case b < 0x20:
			if b == '\n' {
				c.ln++
			}
			return nil, false, c.errf("control character in a string")
		}
	}
	return nil, false, c.errf("unterminated string")
}

func unescape(raw []byte) (string, error) {
	var s string
	q := make([]byte, 0, len(raw)+2)
	q = append(append(append(q, '"'), raw...), '"')
	if err := json.Unmarshal(q, &s); err != nil {
		return "", err
	}
	return s, nil
}

func (c *jsonCursor) str() (string, error) {
	raw, escaped, err := c.rawString()
	if err != nil {
		return "", err
	}
	if !escaped {
		return string(raw), nil
	}
	s, err := unescape(raw)
	if err != nil {
		return "", c.errf("bad escape in a string")
	}
	return s, nil
}

func (c *jsonCursor) literal(word string) error {
	if !bytes.HasPrefix(c.data[c.pos:], []byte(word)) {
		return c.errf("invalid character %q", c.data[c.pos])
	}
	c.pos += len(word)
	return nil
}

func (c *jsonCursor) boolean() (bool, error) {
	c.ws()
	if c.pos < len(c.data) && c.data[c.pos] == 't' {
		return true, c.literal("true")
	}
	return false, c.literal("false")
}

func (c *jsonCursor) expect(b byte) error {
	c.ws()
	if c.pos >= len(c.data) {
		return c.errf("unexpected end of input, expected %q", b)
	}
	if c.data[c.pos] != b {
		return c.errf("invalid character %q, expected %q", c.data[c.pos], b)
	}
	c.pos++
	return nil
}

func (c *jsonCursor) object(fn func(key string) error) error {
	if err := c.expect('{'); err != nil {
		return err
	}
	if c.depth++; c.depth > maxDepth {
		return c.errf("nested too deeply")
	}
	defer func() { c.depth-- }()
	c.ws()
	if c.pos < len(c.data) && c.data[c.pos] == '}' {
		c.pos++
		return nil
	}
	for {
		raw, escaped, err := c.rawString()
		if err != nil {
			return err
		}
		var key string
		if escaped {
			if key, err = unescape(raw); err != nil {
				return c.errf("bad escape in a key")
			}
		} else if len(raw) > 0 {
			// The key aliases the input, which is never modified; fn
			// clones it when it keeps it (labels, annotations).
			key = unsafe.String(&raw[0], len(raw))
		}
		if err := c.expect(':'); err != nil {
			return err
		}
		if c.kind() == vInvalid {
			return c.errf("expected a value after %q", key)
		}
		before := c.pos
		if err := fn(key); err != nil {
			return err
		}
		if c.pos == before {
			return c.errf("internal: value of %q not consumed", key)
		}
		c.ws()
		if c.pos >= len(c.data) {
			return c.errf("unexpected end of input in an object")
		}
		switch c.data[c.pos] {
		case ',':
			c.pos++
		case '}':
			c.pos++
			return nil
		default:
			return c.errf("invalid character %q after an object value", c.data[c.pos])
		}
	}
}

func (c *jsonCursor) array(fn func(i int) error) error {
	if err := c.expect('['); err != nil {
		return err
	}
	if c.depth++; c.depth > maxDepth {
		return c.errf("nested too deeply")
	}
	defer func() { c.depth-- }()
	c.ws()
	if c.pos < len(c.data) && c.data[c.pos] == ']' {
		c.pos++
		return nil
	}
	for i := 0; ; i++ {
		if c.kind() == vInvalid {
			return c.errf("expected a value in a list")
		}
		before := c.pos
		if err := fn(i); err != nil {
			return err
		}
		if c.pos == before {
			return c.errf("internal: list element not consumed")
		}
		c.ws()
		if c.pos >= len(c.data) {
			return c.errf("unexpected end of input in a list")
		}
		switch c.data[c.pos] {
		case ',':
			c.pos++
		case ']':
			c.pos++
			return nil
		default:
			return c.errf("invalid character %q after a list element", c.data[c.pos])
		}
	}
}

// skip consumes any value. Objects and arrays are skipped by bracket
// matching (strings honoured), without checking commas and colons inside.
func (c *jsonCursor) skip() error {
	switch c.kind() {
	case vString:
		_, _, err := c.rawString()
		return err
	case vBool:
		_, err := c.boolean()
		return err
	case vNull:
		return c.literal("null")
	case vNumber:
		start := c.pos
		for c.pos < len(c.data) && strings.IndexByte("+-.0123456789eE", c.data[c.pos]) >= 0 {
			c.pos++
		}
		if c.pos == start {
			return c.errf("invalid number")
		}
		return nil
	case vObject, vArray:
		return c.skipContainer()
	default:
		if c.pos >= len(c.data) {
			return c.errf("unexpected end of input")
		}
		return c.errf("invalid character %q looking for a value", c.data[c.pos])
	}
}

func (c *jsonCursor) skipContainer() error {
	c.stack = c.stack[:0]
	d := c.data
	for i := c.pos; i < len(d); i++ {
		switch b := d[i]; b {
		case '"':
			// find the closing quote, honouring backslashes
			j := i + 1
			for {
				k := bytes.IndexByte(d[j:], '"')
				if k < 0 {
					c.pos = len(d)
					return c.errf("unterminated string")
				}
				j += k
				n := 0
				for m := j - 1; m > i && d[m] == '\\'; m-- {
					n++
				}
				if n%2 == 0 {
					break
				}
				j++
			}
			c.ln += bytes.Count(d[i:j], []byte{'\n'})
			i = j
		case '{', '[':
			if len(c.stack) >= maxDepth {
				c.pos = i
				return c.errf("nested too deeply")
			}
			c.stack = append(c.stack, b)
		case '}', ']':
			open := byte('{')
			if b == ']' {
				open = '['
			}
			if n := len(c.stack); n == 0 || c.stack[n-1] != open {
				c.pos = i
				return c.errf("mismatched %q", b)
			}
			c.stack = c.stack[:len(c.stack)-1]
			if len(c.stack) == 0 {
				c.pos = i + 1
				return nil
			}
		case '\n':
			c.ln++
			i = skipSpaces(d, i+1) - 1
		}
	}
	c.pos = len(d)
	return c.errf("unexpected end of input")
}

// ---- YAML ----

type yamlCursor struct {
	cur   *yaml.Node
	depth int
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxDepth; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

func (c *yamlCursor) kind() vkind {
	n := c.cur
	if n == nil {
		return vNull
	}
	switch n.Kind {
	case yaml.MappingNode:
		return vObject
	case yaml.SequenceNode:
		return vArray
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return vNull
		case "!!bool":
			return vBool
		case "!!int", "!!float":
			return vNumber
		default: // !!str, !!timestamp, !!binary and custom tags read as text
			return vString
		}
	}
	return vInvalid
}

func (c *yamlCursor) line() int {
	if c.cur == nil {
		return 0
	}
	return c.cur.Line
}

func (c *yamlCursor) str() (string, error) { return c.cur.Value, nil }

func (c *yamlCursor) boolean() (bool, error) { return strings.EqualFold(c.cur.Value, "true"), nil }

func (c *yamlCursor) object(fn func(key string) error) error {
	n := c.cur
	if c.depth++; c.depth > maxDepth {
		return &syntaxError{line: n.Line, msg: "nested too deeply"}
	}
	defer func() { c.depth--; c.cur = n }()
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode {
			continue // complex keys: not in Kubernetes objects
		}
		c.cur = resolve(n.Content[i+1])
		if err := fn(k.Value); err != nil {
			return err
		}
	}
	return nil
}

func (c *yamlCursor) array(fn func(i int) error) error {
	n := c.cur
	if c.depth++; c.depth > maxDepth {
		return &syntaxError{line: n.Line, msg: "nested too deeply"}
	}
	defer func() { c.depth--; c.cur = n }()
	for i, e := range n.Content {
		c.cur = resolve(e)
		if err := fn(i); err != nil {
			return err
		}
	}
	return nil
}

func (c *yamlCursor) skip() error { return nil }
