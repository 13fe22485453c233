package srctree

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// yamlInfo is how YAML wrote a scalar, for Decode's YAML-to-JSON rules.
type yamlInfo struct {
	tag    string // resolved tag: !!str, !!int, !!float, !!bool, !!null, !!timestamp, ...
	plain  bool   // unquoted, not a block scalar
	tagged bool   // the tag is written ("!!str 1")
}

func infoOf(y *yaml.Node) *yamlInfo {
	return &yamlInfo{tag: y.ShortTag(), tagged: y.Style&yaml.TaggedStyle != 0,
		plain: y.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0}
}

// ParseYAML reads the first YAML document of data into a tree (an empty
// document is a null root). A syntax error is a *SyntaxError whose Msg
// is go.yaml.in/yaml/v3's message on one line (see YAMLError).
func ParseYAML(file string, data []byte) (*Node, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		line, msg := YAMLError(err)
		return nil, &SyntaxError{Line: line, Msg: msg, Err: err}
	}
	c := &yamlConv{file: file, done: map[*yaml.Node]*Node{}, busy: map[*yaml.Node]bool{}}
	root := &doc
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return &Node{Kind: Null, Line: doc.Line, File: file}, nil
		}
		root = doc.Content[0]
	}
	return c.node(root, "", 0)
}

// YAMLError splits a go.yaml.in/yaml/v3 error into its 1-based line (0 if
// none) and the message on one line. The parser reports the
// unclosed-flow-collection errors ("did not find expected ',' or ']'") at
// the 0-based line where the collection starts; those are shifted so every
// line is 1-based.
func YAMLError(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, e := fmt.Sscanf(msg, "line %d:", &line); e != nil {
		return 0, OneLine(msg)
	}
	if i := strings.Index(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	if strings.HasPrefix(msg, "did not find expected ',' or") {
		line++
	}
	return line, OneLine(msg)
}

// OneLine folds a multi-line message into one line.
func OneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// yamlConv converts yaml.v3 nodes. An alias is the node of its anchor
// (shared, converted once); an anchor that contains an alias to itself is
// an error, as decoding it would be.
type yamlConv struct {
	file string
	done map[*yaml.Node]*Node
	busy map[*yaml.Node]bool
}

func (c *yamlConv) node(y *yaml.Node, path string, depth int) (*Node, error) {
	if depth > MaxDepth {
		return nil, &SyntaxError{Line: y.Line, Msg: "nested too deeply"}
	}
	if y.Kind == yaml.AliasNode {
		a := y.Alias
		if a == nil {
			return &Node{Kind: Null, Line: y.Line, Path: path, File: c.file}, nil
		}
		if c.busy[a] {
			return nil, &SyntaxError{Line: y.Line, Msg: fmt.Sprintf("anchor '%s' value contains itself", y.Value)}
		}
		if n, ok := c.done[a]; ok {
			return n, nil
		}
		return c.node(a, path, depth+1)
	}
	n := &Node{Line: y.Line, Path: path, File: c.file}
	if y.Anchor != "" {
		c.busy[y] = true
		defer func() { delete(c.busy, y); c.done[y] = n }()
	}
	switch y.Kind {
	case yaml.ScalarNode:
		tag := y.ShortTag()
		n.yaml = infoOf(y)
		n.Text = y.Value
		switch tag {
		case "!!null":
			n.Kind, n.Text = Null, ""
		case "!!bool":
			n.Kind, n.Text = Bool, "false"
			if strings.EqualFold(y.Value, "true") {
				n.Text = "true"
			}
		case "!!int", "!!float":
			n.Kind = Number
		default: // !!str, !!timestamp, !!binary and custom tags read as text
			n.Kind = String
		}
	case yaml.SequenceNode:
		n.Kind = Sequence
		for i, e := range y.Content {
			v, err := c.node(e, indexPath(path, i), depth+1)
			if err != nil {
				return nil, err
			}
			n.Items = append(n.Items, v)
		}
	case yaml.MappingNode:
		n.Kind = Mapping
		for i := 0; i+1 < len(y.Content); i += 2 {
			k, vy := y.Content[i], y.Content[i+1]
			if k.Kind == yaml.AliasNode && k.Alias != nil {
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode {
				n.complexKey = true // not in Kubernetes objects: skipped
				continue
			}
			v, err := c.node(vy, childPath(path, k.Value), depth+1)
			if err != nil {
				return nil, err
			}
			f := Field{Key: k.Value, Line: k.Line, Value: v, valueLine: vy.Line, key: infoOf(k)}
			if f.key.tag == "!!merge" {
				f.merge = true
				n.Fields = append(n.Fields, f)
				continue
			}
			n.addField(f)
		}
	default:
		n.Kind = Null
	}
	return n, nil
}

// YAMLDocs reads the documents of a YAML stream one at a time, each
// through a Cursor over go.yaml.in/yaml/v3's nodes.
type YAMLDocs struct{ dec *yaml.Decoder }

// NewYAMLDocs reads data.
func NewYAMLDocs(data []byte) *YAMLDocs {
	return &YAMLDocs{dec: yaml.NewDecoder(bytes.NewReader(data))}
}

// Next returns a cursor on the next non-empty document, (nil, nil) at the
// end, or a *SyntaxError: the reader cannot resynchronise after one.
func (d *YAMLDocs) Next() (Cursor, error) {
	for {
		var doc yaml.Node
		err := d.dec.Decode(&doc)
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			line, msg := YAMLError(err)
			return nil, &SyntaxError{Line: line, Msg: msg, Err: err}
		}
		if len(doc.Content) == 0 {
			continue
		}
		return &yamlCursor{cur: resolve(doc.Content[0])}, nil
	}
}
