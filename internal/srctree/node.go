package srctree

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is the kind of a value.
type Kind uint8

const (
	Invalid Kind = iota
	Null
	Bool
	Number
	String
	Mapping
	Sequence
)

// String names the kind as a YAML reader does: "a mapping", "a list".
func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "a boolean"
	case Number:
		return "a number"
	case String:
		return "a string"
	case Mapping:
		return "a mapping"
	case Sequence:
		return "a list"
	default:
		return "nothing"
	}
}

// JSONString names the kind as a JSON reader does: "an object", "an array".
func (k Kind) JSONString() string {
	switch k {
	case Mapping:
		return "an object"
	case Sequence:
		return "an array"
	}
	return k.String()
}

// Node is a value with its position.
type Node struct {
	Kind Kind
	// Line is the 1-based line where the value starts.
	Line int
	// Text is a scalar's text: the string, a number's literal, "true" or
	// "false"; "" for null.
	Text string
	// Fields are a mapping's entries in file order, duplicates included.
	Fields []Field
	// Items are a sequence's elements.
	Items []*Node
	// Path is the value's field path from the root:
	// "cluster.resourcesVpcConfig.publicAccessCidrs[0]", "" for the root.
	Path string
	// File is the name the document was read under.
	File string

	index      map[string]int // key → index in Fields of its last occurrence
	yaml       *yamlInfo      // how YAML wrote a scalar (Decode)
	complexKey bool           // YAML: a key that is a mapping or a list was skipped
}

// Field is one key of a mapping and its value.
type Field struct {
	Key   string
	Line  int // the key's line
	Value *Node

	valueLine int       // YAML: the line of the value as written (an alias's own)
	key       *yamlInfo // YAML: how the key was written
	merge     bool      // YAML: a merge key ("<<: *base"): Value's entries are merged in
}

// field is the entry of key in a mapping (its last occurrence, the one a
// decoder keeps; else the first merged mapping's), or nil.
func (n *Node) field(key string) *Field {
	if n == nil || n.Kind != Mapping {
		return nil
	}
	if i, ok := n.index[key]; ok {
		return &n.Fields[i]
	}
	for _, f := range n.Fields {
		if !f.merge {
			continue
		}
		for _, m := range append([]*Node{f.Value}, f.Value.Items...) {
			if m.Kind == Mapping && m != n {
				if i, ok := m.index[key]; ok {
					return &m.Fields[i]
				}
			}
		}
	}
	return nil
}

// Get follows keys through mappings; nil when one is missing or a value on
// the way is not a mapping.
func (n *Node) Get(keys ...string) *Node {
	cur := n
	for _, k := range keys {
		f := cur.field(k)
		if f == nil {
			return nil
		}
		cur = f.Value
	}
	return cur
}

// GetFold is Get with keys matched case-insensitively when there is no
// exact match (ARM and the az CLI spell "authorizedIPRanges" and
// "authorizedIpRanges").
func (n *Node) GetFold(keys ...string) *Node {
	cur := n
	for _, k := range keys {
		f := cur.field(k)
		if f == nil && cur != nil && cur.Kind == Mapping {
			for _, e := range cur.Fields {
				if strings.EqualFold(e.Key, k) {
					f = cur.field(e.Key)
					break
				}
			}
		}
		if f == nil {
			return nil
		}
		cur = f.Value
	}
	return cur
}

// LineOf returns the line of a field given by its path: mapping keys and
// list indexes ("jwt", "0", "issuer", "url"); for a key, the key's line. It
// returns the line of the deepest part of the path that exists, and 0 for
// a nil node.
func (n *Node) LineOf(path ...string) int {
	if n == nil {
		return 0
	}
	line := n.Line
	cur := n
	for _, p := range path {
		var next *Node
		switch cur.Kind {
		case Mapping:
			if f := cur.field(p); f != nil {
				line, next = f.Line, f.Value
			}
		case Sequence:
			if i, err := strconv.Atoi(p); err == nil && i >= 0 && i < len(cur.Items) {
				next = cur.Items[i]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		cur = next
	}
	return line
}

// FindKey is the line of the first key named key, depth first in file
// order, or 0 (for a message that names a field but not its place).
func (n *Node) FindKey(key string) int {
	return n.findKey(key, map[*Node]bool{})
}

// findKey visits each node once: aliases share nodes.
func (n *Node) findKey(key string, seen map[*Node]bool) int {
	if n == nil || seen[n] {
		return 0
	}
	seen[n] = true
	for _, f := range n.Fields {
		if f.Key == key && !f.merge {
			return f.Line
		}
	}
	for _, f := range n.Fields {
		if l := f.Value.findKey(key, seen); l > 0 {
			return l
		}
	}
	for _, it := range n.Items {
		if l := it.findKey(key, seen); l > 0 {
			return l
		}
	}
	return 0
}

// IsNull reports whether n is missing or null.
func (n *Node) IsNull() bool { return n == nil || n.Kind == Null }

// Source is "file:line".
func (n *Node) Source() string { return fmt.Sprintf("%s:%d", n.File, n.Line) }

// PathOr is the path, or "(document)" for the root.
func (n *Node) PathOr() string {
	if n.Path == "" {
		return "(document)"
	}
	return n.Path
}

// TypeError names the file, line and field, what was expected and what
// was found: "eks.json:9: cluster.endpoint: want a string, got a number (1)".
func (n *Node) TypeError(want string) error {
	got := n.Kind.JSONString()
	switch n.Kind {
	case String:
		got = "the string " + strconv.Quote(truncate(n.Text, 40))
	case Number, Bool:
		got += " (" + n.Literal() + ")"
	}
	return fmt.Errorf("%s: %s: want %s, got %s", n.Source(), n.Path, want, got)
}

// Literal renders a scalar as JSON writes it (lists of scalars too).
func (n *Node) Literal() string {
	switch n.Kind {
	case Null:
		return "null"
	case Bool, Number:
		return n.Text
	case String:
		return strconv.Quote(n.Text)
	case Sequence:
		parts := make([]string, len(n.Items))
		for i, e := range n.Items {
			parts[i] = e.Literal()
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return "{…}"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// childPath is the path of a mapping value: "a.b", or a["x y"] for keys
// that would be ambiguous.
func childPath(path, key string) string {
	if key == "" || strings.ContainsAny(key, ".[]\" ") {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// addField appends an entry to a mapping.
func (n *Node) addField(f Field) {
	if n.index == nil {
		n.index = map[string]int{}
	}
	n.index[f.Key] = len(n.Fields)
	n.Fields = append(n.Fields, f)
}
