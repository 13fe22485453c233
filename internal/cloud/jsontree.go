package cloud

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// node is a JSON value with the line it starts on, so that every field a
// finding cites can be located ("eks.json:14").
type node struct {
	kind kind
	line int
	str  string // string value, or the literal of a number
	b    bool
	keys []string // object keys in file order
	obj  map[string]*node
	arr  []*node
	path string // JSON path from the root ("cluster.resourcesVpcConfig.publicAccessCidrs[0]")
	file string
}

type kind int

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kObject
	kArray
)

func (k kind) String() string {
	return [...]string{"null", "a boolean", "a number", "a string", "an object", "an array"}[k]
}

// maxDepth bounds nesting (terraform plans are deep, but not this deep).
const maxDepth = 200

// parseJSON decodes one JSON document into a positioned tree. Errors carry
// file and line.
func parseJSON(file string, data []byte) (*node, error) {
	lines := []int{0}
	for i, c := range data {
		if c == '\n' {
			lines = append(lines, i+1)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	p := &jsonParser{dec: dec, data: data, lines: lines, file: file}
	root, err := p.value("", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s:%d: unexpected data after the JSON document", file, p.lineAt(int(dec.InputOffset())))
	}
	return root, nil
}

type jsonParser struct {
	dec   *json.Decoder
	data  []byte
	lines []int
	file  string
}

// lineAt is the 1-based line of a byte offset.
func (p *jsonParser) lineAt(off int) int {
	return sort.Search(len(p.lines), func(i int) bool { return p.lines[i] > off })
}

// nextLine is the line of the next token: the decoder's offset is the end of
// the previous token; skip separators and spaces.
func (p *jsonParser) nextLine() int {
	off := int(p.dec.InputOffset())
	for off < len(p.data) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ':', ',':
			off++
			continue
		}
		break
	}
	return p.lineAt(off)
}

func (p *jsonParser) errorf(line int, format string, a ...any) error {
	return fmt.Errorf("%s:%d: %s", p.file, line, fmt.Sprintf(format, a...))
}

func (p *jsonParser) value(path string, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, p.errorf(p.nextLine(), "JSON nested deeper than %d levels", maxDepth)
	}
	line := p.nextLine()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.syntaxErr(err, line)
	}
	n := &node{line: line, path: path, file: p.file}
	switch t := tok.(type) {
	case nil:
		n.kind = kNull
	case bool:
		n.kind, n.b = kBool, t
	case json.Number:
		n.kind, n.str = kNumber, t.String()
	case string:
		n.kind, n.str = kString, t
	case json.Delim:
		switch t {
		case '{':
			n.kind, n.obj = kObject, map[string]*node{}
			for p.dec.More() {
				kline := p.nextLine()
				kt, err := p.dec.Token()
				if err != nil {
					return nil, p.syntaxErr(err, kline)
				}
				key, ok := kt.(string)
				if !ok {
					return nil, p.errorf(kline, "%s: want an object key", pathOr(path))
				}
				child, err := p.value(joinPath(path, key), depth+1)
				if err != nil {
					return nil, err
				}
				if _, dup := n.obj[key]; !dup {
					n.keys = append(n.keys, key)
				}
				n.obj[key] = child // last one wins, as encoding/json does
			}
			if _, err := p.dec.Token(); err != nil {
				return nil, p.syntaxErr(err, p.nextLine())
			}
		case '[':
			n.kind = kArray
			for i := 0; p.dec.More(); i++ {
				child, err := p.value(fmt.Sprintf("%s[%d]", path, i), depth+1)
				if err != nil {
					return nil, err
				}
				n.arr = append(n.arr, child)
			}
			if _, err := p.dec.Token(); err != nil {
				return nil, p.syntaxErr(err, p.nextLine())
			}
		default:
			return nil, p.errorf(line, "unexpected %q", t)
		}
	}
	return n, nil
}

func (p *jsonParser) syntaxErr(err error, line int) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return p.errorf(p.lineAt(int(se.Offset)), "not valid JSON: %s", strings.TrimPrefix(se.Error(), "json: "))
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return p.errorf(line, "not valid JSON: unexpected end of the file")
	}
	return p.errorf(line, "not valid JSON: %v", err)
}

func joinPath(path, key string) string {
	if key == "" || strings.ContainsAny(key, ".[]\" ") {
		key = strconv.Quote(key)
		return path + "[" + key + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func pathOr(p string) string {
	if p == "" {
		return "(document)"
	}
	return p
}

// get follows keys through objects; nil when any is missing or not an object.
func (n *node) get(keys ...string) *node {
	cur := n
	for _, k := range keys {
		if cur == nil || cur.kind != kObject {
			return nil
		}
		cur = cur.obj[k]
	}
	return cur
}

// getFold is get with case-insensitive keys (ARM and az CLI spell
// "authorizedIPRanges" and "authorizedIpRanges").
func (n *node) getFold(keys ...string) *node {
	cur := n
	for _, k := range keys {
		if cur == nil || cur.kind != kObject {
			return nil
		}
		next := cur.obj[k]
		if next == nil {
			for _, ck := range cur.keys {
				if strings.EqualFold(ck, k) {
					next = cur.obj[ck]
					break
				}
			}
		}
		cur = next
	}
	return cur
}

func (n *node) isNull() bool { return n == nil || n.kind == kNull }

// source is "file:line".
func (n *node) source() string { return fmt.Sprintf("%s:%d", n.file, n.line) }

// typeErr names the file, line, field and what was expected.
func (n *node) typeErr(want string) error {
	got := n.kind.String()
	switch n.kind {
	case kString:
		got = "the string " + strconv.Quote(truncate(n.str, 40))
	case kNumber, kBool:
		got += " (" + n.literal() + ")"
	}
	return fmt.Errorf("%s: %s: want %s, got %s", n.source(), n.path, want, got)
}

// boolean reads a JSON boolean. Terraform and the CLIs never quote booleans;
// the strings "true"/"false" are accepted too (hand-edited files).
func (n *node) boolean() (bool, error) {
	switch n.kind {
	case kBool:
		return n.b, nil
	case kString:
		switch strings.ToLower(n.str) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, n.typeErr("a boolean (true or false)")
}

func (n *node) text() (string, error) {
	if n.kind != kString {
		return "", n.typeErr("a string")
	}
	return n.str, nil
}

// literal renders a scalar as in the file.
func (n *node) literal() string {
	switch n.kind {
	case kNull:
		return "null"
	case kBool:
		return strconv.FormatBool(n.b)
	case kNumber:
		return n.str
	case kString:
		return strconv.Quote(n.str)
	case kArray:
		parts := make([]string, len(n.arr))
		for i, e := range n.arr {
			parts[i] = e.literal()
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
