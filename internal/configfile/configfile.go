// Package configfile decodes the configuration files kube-apiserver reads
// (AuthenticationConfiguration, AuthorizationConfiguration,
// EncryptionConfiguration, ...) strictly into the real k8s.io types, and
// keeps the document's tree (srctree) so findings can name the line of a
// field.
package configfile

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/internal/srctree"
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

// Parse reads only the tree of data, for callers that decode it
// themselves (the audit policy loader runs kube-apiserver's own decoder).
func Parse(file string, data []byte) (*Doc, error) {
	root, err := srctree.ParseYAML(file, data)
	if err != nil {
		return nil, syntaxError(file, err)
	}
	return &Doc{File: file, root: root}, nil
}

func syntaxError(file string, err error) error {
	var se *srctree.SyntaxError
	if errors.As(err, &se) {
		return &Error{File: file, Line: se.Line, Message: "not valid YAML: " + se.Msg}
	}
	return &Error{File: file, Message: "not valid YAML: " + OneLine(err.Error())}
}

// Doc is a decoded file with its tree.
type Doc struct {
	File string
	root *srctree.Node
}

// TypeMeta is apiVersion and kind.
type TypeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// Peek reads apiVersion and kind without strictness.
func Peek(data []byte) (TypeMeta, error) {
	var tm TypeMeta
	root, err := srctree.ParseYAML("", data)
	if err != nil {
		var se *srctree.SyntaxError
		if errors.As(err, &se) && se.Err != nil {
			err = se.Err
		}
		return tm, fmt.Errorf("error converting YAML to JSON: %w", err)
	}
	err = root.Decode(&tm, false)
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
	root, err := srctree.ParseYAML(file, data)
	if err != nil {
		return d, syntaxError(file, err)
	}
	d.root = root
	if err := root.Decode(into, true); err != nil {
		msg := OneLine(cleanJSONErr(err))
		line := lineIn(msg)
		if m := unknownField.FindStringSubmatch(msg); m != nil && line == 0 {
			field := m[1]
			if i := strings.LastIndex(field, "."); i >= 0 {
				field = field[i+1:]
			}
			line = d.root.FindKey(field)
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
// (0 if none) and the message (srctree.YAMLError).
func YAMLError(err error) (int, string) { return srctree.YAMLError(err) }

// Line returns the line of a field given by its path: map keys and list
// indexes ("jwt", "0", "issuer", "url"). It returns the line of the deepest
// part of the path that exists, and 0 if the document is empty.
func (d *Doc) Line(path ...string) int {
	if d == nil || d.root == nil {
		return 0
	}
	return d.root.LineOf(path...)
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
func OneLine(s string) string { return srctree.OneLine(s) }
