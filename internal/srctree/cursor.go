package srctree

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"unsafe"

	yaml "go.yaml.in/yaml/v3"
)

// A Cursor walks one JSON or YAML value without building a tree of its
// own, so that a reader of big files (kubectl dumps of a whole cluster)
// handles both formats with the same code, keeps the line of every field
// for its messages, and never materialises what it does not need: it skips
// it. The JSON cursor is a single-pass scanner over the file's bytes (tens
// of megabytes a second); the YAML cursor walks go.yaml.in/yaml/v3 nodes.
type Cursor interface {
	// Kind is the kind of the current value.
	Kind() Kind
	// Line is the 1-based line where the current value starts.
	Line() int
	// Str consumes a string (kind String; a YAML number, boolean,
	// timestamp or tagged scalar reads as its text).
	Str() (string, error)
	// Bool consumes a boolean (kind Bool).
	Bool() (bool, error)
	// Object calls fn for each key of a mapping (kind Mapping) with the
	// cursor on the key's value; fn must consume the value (or Skip it).
	// key is only valid during fn: clone it to keep it.
	Object(fn func(key string) error) error
	// Array calls fn for each element of a list (kind Sequence).
	Array(fn func(i int) error) error
	// Skip consumes the current value, whatever it is.
	Skip() error
}

// SyntaxError is a syntax error at a line; it ends the document.
type SyntaxError struct {
	Line int // 0 when unknown
	Msg  string
	// Err is the YAML library's own error, when it found it.
	Err error
}

func (e *SyntaxError) Unwrap() error { return e.Err }

func (e *SyntaxError) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// MaxDepth bounds nesting, so hostile input cannot exhaust the stack.
const MaxDepth = 256

// ---- JSON ----

type JSONCursor struct {
	data  []byte
	pos   int
	ln    int
	depth int
	stack []byte // open brackets while skipping
}

func NewJSONCursor(data []byte) *JSONCursor { return &JSONCursor{data: data, ln: 1} }

func (c *JSONCursor) errf(format string, a ...any) error {
	return &SyntaxError{Line: c.ln, Msg: fmt.Sprintf(format, a...)}
}

func (c *JSONCursor) ws() {
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
func (c *JSONCursor) More() bool {
	c.ws()
	return c.pos < len(c.data)
}

func (c *JSONCursor) Kind() Kind {
	c.ws()
	if c.pos >= len(c.data) {
		return Invalid
	}
	switch b := c.data[c.pos]; {
	case b == '{':
		return Mapping
	case b == '[':
		return Sequence
	case b == '"':
		return String
	case b == 't' || b == 'f':
		return Bool
	case b == 'n':
		return Null
	case b == '-' || (b >= '0' && b <= '9'):
		return Number
	default:
		return Invalid
	}
}

func (c *JSONCursor) Line() int {
	c.ws()
	return c.ln
}

// rawString consumes a string and returns its bytes without the quotes
// and whether they contain escapes.
func (c *JSONCursor) rawString() ([]byte, bool, error) {
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

func (c *JSONCursor) Str() (string, error) {
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

func (c *JSONCursor) literal(word string) error {
	if !bytes.HasPrefix(c.data[c.pos:], []byte(word)) {
		return c.errf("invalid character %q", c.data[c.pos])
	}
	c.pos += len(word)
	return nil
}

func (c *JSONCursor) Bool() (bool, error) {
	c.ws()
	if c.pos < len(c.data) && c.data[c.pos] == 't' {
		return true, c.literal("true")
	}
	return false, c.literal("false")
}

func (c *JSONCursor) expect(b byte) error {
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

func (c *JSONCursor) Object(fn func(key string) error) error {
	if err := c.expect('{'); err != nil {
		return err
	}
	if c.depth++; c.depth > MaxDepth {
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
		if c.Kind() == Invalid {
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

func (c *JSONCursor) Array(fn func(i int) error) error {
	if err := c.expect('['); err != nil {
		return err
	}
	if c.depth++; c.depth > MaxDepth {
		return c.errf("nested too deeply")
	}
	defer func() { c.depth-- }()
	c.ws()
	if c.pos < len(c.data) && c.data[c.pos] == ']' {
		c.pos++
		return nil
	}
	for i := 0; ; i++ {
		if c.Kind() == Invalid {
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
func (c *JSONCursor) Skip() error {
	switch c.Kind() {
	case String:
		_, _, err := c.rawString()
		return err
	case Bool:
		_, err := c.Bool()
		return err
	case Null:
		return c.literal("null")
	case Number:
		start := c.pos
		for c.pos < len(c.data) && strings.IndexByte("+-.0123456789eE", c.data[c.pos]) >= 0 {
			c.pos++
		}
		if c.pos == start {
			return c.errf("invalid number")
		}
		return nil
	case Mapping, Sequence:
		return c.skipContainer()
	default:
		if c.pos >= len(c.data) {
			return c.errf("unexpected end of input")
		}
		return c.errf("invalid character %q looking for a value", c.data[c.pos])
	}
}

func (c *JSONCursor) skipContainer() error {
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
			if len(c.stack) >= MaxDepth {
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
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < MaxDepth; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

func (c *yamlCursor) Kind() Kind {
	n := c.cur
	if n == nil {
		return Null
	}
	switch n.Kind {
	case yaml.MappingNode:
		return Mapping
	case yaml.SequenceNode:
		return Sequence
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return Null
		case "!!bool":
			return Bool
		case "!!int", "!!float":
			return Number
		default: // !!str, !!timestamp, !!binary and custom tags read as text
			return String
		}
	}
	return Invalid
}

func (c *yamlCursor) Line() int {
	if c.cur == nil {
		return 0
	}
	return c.cur.Line
}

func (c *yamlCursor) Str() (string, error) { return c.cur.Value, nil }

func (c *yamlCursor) Bool() (bool, error) { return strings.EqualFold(c.cur.Value, "true"), nil }

func (c *yamlCursor) Object(fn func(key string) error) error {
	n := c.cur
	if c.depth++; c.depth > MaxDepth {
		return &SyntaxError{Line: n.Line, Msg: "nested too deeply"}
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

func (c *yamlCursor) Array(fn func(i int) error) error {
	n := c.cur
	if c.depth++; c.depth > MaxDepth {
		return &SyntaxError{Line: n.Line, Msg: "nested too deeply"}
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

func (c *yamlCursor) Skip() error { return nil }
