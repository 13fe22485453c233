package srctree

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// jsonMaxDepth bounds nesting of a JSON tree (terraform plans are deep,
// but not this deep).
const jsonMaxDepth = 200

// ParseJSON decodes one JSON document into a tree. Errors name the file
// and line ("eks.json:3: not valid JSON: ..."). A key given twice keeps its
// last value, as encoding/json does.
func ParseJSON(file string, data []byte) (*Node, error) {
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

func (p *jsonParser) value(path string, depth int) (*Node, error) {
	if depth > jsonMaxDepth {
		return nil, p.errorf(p.nextLine(), "JSON nested deeper than %d levels", jsonMaxDepth)
	}
	line := p.nextLine()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.syntaxErr(err, line)
	}
	n := &Node{Line: line, Path: path, File: p.file}
	switch t := tok.(type) {
	case nil:
		n.Kind = Null
	case bool:
		n.Kind, n.Text = Bool, "false"
		if t {
			n.Text = "true"
		}
	case json.Number:
		n.Kind, n.Text = Number, t.String()
	case string:
		n.Kind, n.Text = String, t
	case json.Delim:
		switch t {
		case '{':
			n.Kind = Mapping
			for p.dec.More() {
				kline := p.nextLine()
				kt, err := p.dec.Token()
				if err != nil {
					return nil, p.syntaxErr(err, kline)
				}
				key, ok := kt.(string)
				if !ok {
					return nil, p.errorf(kline, "%s: want an object key", n.PathOr())
				}
				child, err := p.value(childPath(path, key), depth+1)
				if err != nil {
					return nil, err
				}
				n.addField(Field{Key: key, Line: kline, Value: child})
			}
			if _, err := p.dec.Token(); err != nil {
				return nil, p.syntaxErr(err, p.nextLine())
			}
		case '[':
			n.Kind = Sequence
			for i := 0; p.dec.More(); i++ {
				child, err := p.value(indexPath(path, i), depth+1)
				if err != nil {
					return nil, err
				}
				n.Items = append(n.Items, child)
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
