// Package configfile decodes the configuration files kube-apiserver reads
// (AuthenticationConfiguration, AuthorizationConfiguration,
// EncryptionConfiguration, ...) strictly into the real k8s.io types, and
// keeps the YAML node tree so findings can name the line of a field.
package configfile

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// Error is a decoding error with the file and, when known, the line.
type Error struct {
	File    string
	Line    int
	Message string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message)
	}
	return e.File + ": " + e.Message
}

// ErrorLine returns the line an error from Decode names, or 0.
func ErrorLine(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Line
	}
	return 0
}

// Parse reads only the node tree of data, for callers that decode it
// themselves (the audit policy loader runs kube-apiserver's own decoder).
func Parse(file string, data []byte) (*Doc, error) {
	var root yamlv3.Node
	if err := yamlv3.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil {
		line, msg := YAMLError(err)
		return nil, &Error{File: file, Line: line, Message: "not valid YAML: " + msg}
	}
	return &Doc{File: file, root: &root}, nil
}

// Doc is a decoded file with its node tree.
type Doc struct {
	File string
	root *yamlv3.Node
}

// TypeMeta is apiVersion and kind.
type TypeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// Peek reads apiVersion and kind without strictness.
func Peek(data []byte) (TypeMeta, error) {
	var tm TypeMeta
	err := yaml.Unmarshal(data, &tm)
	return tm, err
}

var unknownField = regexp.MustCompile(`unknown field "([^"]+)"`)

// Decode parses data strictly into into: unknown and duplicate fields are
// errors. kube-apiserver itself decodes the authentication and authorization
// configs strictly (it refuses to start), but only warns on audit policies
// and ignores unknown fields in EncryptionConfiguration, where a misspelled
// field silently changes meaning. Errors name the file and, where it can be found,
// the line.
func Decode(file string, data []byte, into any) (*Doc, error) {
	d := &Doc{File: file}
	if len(bytes.TrimSpace(data)) == 0 {
		return d, &Error{File: file, Message: "the file is empty"}
	}
	var root yamlv3.Node
	if err := yamlv3.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil {
		line, msg := YAMLError(err)
		return d, &Error{File: file, Line: line, Message: "not valid YAML: " + msg}
	}
	d.root = &root
	if err := yaml.UnmarshalStrict(data, into); err != nil {
		msg := OneLine(cleanJSONErr(err))
		line := lineIn(msg)
		if m := unknownField.FindStringSubmatch(msg); m != nil && line == 0 {
			field := m[1]
			if i := strings.LastIndex(field, "."); i >= 0 {
				field = field[i+1:]
			}
			line = d.findKey(d.root, field)
		}
		return d, &Error{File: file, Line: line, Message: msg}
	}
	return d, nil
}

func cleanJSONErr(err error) string {
	s := err.Error()
	for _, p := range []string{"error unmarshaling JSON: ", "while decoding JSON: ", "json: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	return s
}

// YAMLError splits a go.yaml.in/yaml/v3 syntax error into its 1-based line
// (0 if none) and the message. The parser reports the unclosed-flow-collection
// errors ("did not find expected ',' or ']'") at the 0-based line where the
// collection starts; those are shifted so every line is 1-based.
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

func (d *Doc) findKey(n *yamlv3.Node, key string) int {
	if n == nil {
		return 0
	}
	if n.Kind == yamlv3.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i].Line
			}
		}
	}
	for _, c := range n.Content {
		if l := d.findKey(c, key); l > 0 {
			return l
		}
	}
	return 0
}

// Line returns the line of a field given by its path: map keys and list
// indexes ("jwt", "0", "issuer", "url"). It returns the line of the deepest
// part of the path that exists, and 0 if the document is empty.
func (d *Doc) Line(path ...string) int {
	if d == nil || d.root == nil {
		return 0
	}
	n := d.root
	if n.Kind == yamlv3.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, p := range path {
		var next *yamlv3.Node
		switch n.Kind {
		case yamlv3.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					line = n.Content[i].Line
					next = n.Content[i+1]
					break
				}
			}
		case yamlv3.SequenceNode:
			if i, err := strconv.Atoi(p); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

// Source is "file:line" for a field path.
func (d *Doc) Source(path ...string) string {
	if d == nil {
		return ""
	}
	if l := d.Line(path...); l > 0 {
		return fmt.Sprintf("%s:%d", d.File, l)
	}
	return d.File
}

var lineRE = regexp.MustCompile(`line (\d+)`)

// lineIn finds "line N" inside a YAML error (duplicate keys, type errors).
func lineIn(msg string) int {
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// OneLine folds a multi-line error message into one line.
func OneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
