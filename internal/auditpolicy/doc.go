package auditpolicy

import (
	"bytes"
	"strconv"

	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/apiguard/apiguard/internal/configfile"
)

// doc is the YAML node tree of a policy, for the lines of its fields.
type doc struct{ root *yamlv3.Node }

func parseDoc(file string, data []byte) (*doc, error) {
	var root yamlv3.Node
	if err := yamlv3.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil {
		line, msg := configfile.YAMLError(err)
		return nil, &configfile.Error{File: file, Line: line, Message: "not valid YAML: " + msg}
	}
	return &doc{root: &root}, nil
}

// Line returns the line of a field given by its path of map keys and list
// indexes ("rules", "0", "resources"): the line of the deepest part of the
// path that exists (as configfile.Doc.Line).
func (d *doc) Line(path ...string) int {
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
