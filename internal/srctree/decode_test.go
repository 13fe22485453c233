package srctree

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"sigs.k8s.io/yaml"
)

// decodeTarget exercises sigs.k8s.io/yaml's rules: strings that take
// numbers and booleans, a field promoted from an embedded struct, a type
// that unmarshals itself, maps, pointers and case-insensitive names.
type decodeTarget struct {
	embedded `json:",inline"`
	Name     string            `json:"name"`
	Count    int32             `json:"count"`
	Ratio    float64           `json:"ratio"`
	On       *bool             `json:"on,omitempty"`
	Labels   map[string]string `json:"labels"`
	Items    []string          `json:"items"`
	Any      any               `json:"any"`
	Nested   *decodeTarget     `json:"nested,omitempty"`
	Raw      rawText           `json:"raw"`
	Skipped  string            `json:"-"`
	NoTag    string
}

type embedded struct {
	Kind string `json:"kind"`
}

type rawText string

func (r *rawText) UnmarshalJSON(b []byte) error { *r = rawText(b); return nil }

var decodeSeeds = []string{
	"name: x\ncount: 3\n",
	"name: 123\ncount: \"3\"\n",
	"name: yes\non: on\nlabels: {a: 1, b: true, c: 1.50, d: 0x1F, e: ~}\n",
	"items: [1, two, 3.0, off, 1_000, 0o17, 017, 0b101, -0b11, .5, .inf, 2001-12-14]\n",
	"Name: case\nNOTAG: x\nnotag: y\n",
	"kind: 7\nname: k\n",
	"raw: [1, {a: b}]\n",
	"unknown: 1\n",
	"name: a\nname: b\n",
	"labels:\n  a: x\n  a: y\nitems: [a]\nitems: [b]\n",
	"base: &b {name: n, count: 1}\nnested:\n  <<: *b\n  count: 2\n",
	"nested:\n  count: 2\n  <<: [{count: 3, name: m}, {name: o, ratio: 2}]\n",
	"any: {1: a, true: b, 1.5: c, ~: d}\n",
	"any: [!!str 1, !!int '2', \"3\", '4', |\n  5\n]\n",
	"count: 1.0\nratio: 1e3\n",
	"count: 99999999999\n",
	"count: .nan\n",
	"name: !!binary aGVsbG8=\n",
	"a: &a [*a]\n",
	"- 1\n- 2\n",
	"just text\n",
	"? [a, b]\n: c\n",
	"apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt:\n- issuer: {url: https://a, audiences: [b, 1]}\n  claimMappings: {username: {claim: sub, prefix: 0}}\n",
	"apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\nanonymous: {enabled: yes, conditions: [{path: /livez}]}\n",
}

func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsSigsYAML(t, data)
	})
}

func TestDecodeLikeSigsYAML(t *testing.T) {
	for _, s := range decodeSeeds {
		sameAsSigsYAML(t, []byte(s))
	}
}

// sameAsSigsYAML fails unless Decode gives what sigs.k8s.io/yaml gives:
// the same error text, or the same value. Inputs go.yaml.in/yaml/v3 reads
// differently from yaml.v2 (under sigs.k8s.io/yaml) are not compared.
func sameAsSigsYAML(t *testing.T, data []byte) {
	t.Helper()
	n, err := ParseYAML("f.yaml", data)
	if err != nil || !comparable(n, map[*Node]bool{}) || nonSpecificTag.Match(data) {
		return
	}
	for _, strict := range []bool{true, false} {
		for _, mk := range []func() any{
			func() any { return new(map[string]any) },
			func() any { return new(decodeTarget) },
			func() any { return new(apiserverv1.AuthenticationConfiguration) },
			func() any { return new(any) },
		} {
			got, want := mk(), mk()
			gerr := n.Decode(got, strict)
			var werr error
			if strict {
				werr = yaml.UnmarshalStrict(data, want)
			} else {
				werr = yaml.Unmarshal(data, want)
			}
			if werr != nil && !strings.Contains(werr.Error(), "error unmarshaling JSON") && !strings.Contains(werr.Error(), "already set in map") {
				continue // yaml.v2 reads it differently (syntax, anchors)
			}
			if (gerr == nil) != (werr == nil) || (gerr != nil && errorText(gerr, data) != errorText(werr, data)) {
				t.Fatalf("%T strict=%v, %q:\n got error %v\nwant error %v", got, strict, data, gerr, werr)
			}
			if gerr == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("%T strict=%v, %q:\n got %#v\nwant %#v", got, strict, data, got, want)
			}
		}
	}
}

// errorText is err's text; its "line N:" positions are left out when the
// document has an empty value ("a:" or "?" with nothing after it): yaml.v2
// places such a value at the next token, past comments and blank lines, and
// go.yaml.in/yaml/v3 where it was expected, so the line of a duplicate key
// with an empty value may differ by the comment lines between them (found
// by FuzzDecode: "?\n?\n#0000").
func errorText(err error, data []byte) string {
	if !hasEmptyValue(data) {
		return err.Error()
	}
	return lineNumber.ReplaceAllString(err.Error(), "line ?:")
}

var lineNumber = regexp.MustCompile(`line \d+:`)

func hasEmptyValue(data []byte) bool {
	var doc yamlv3.Node
	if yamlv3.Unmarshal(data, &doc) != nil {
		return false
	}
	var walk func(*yamlv3.Node) bool
	walk = func(n *yamlv3.Node) bool {
		if n.Kind == yamlv3.ScalarNode && n.ShortTag() == "!!null" && n.Value == "" {
			return true
		}
		for _, c := range n.Content {
			if walk(c) {
				return true
			}
		}
		return false
	}
	return walk(&doc)
}

// nonSpecificTag is YAML's "!" (a string, whatever it looks like), which
// go.yaml.in/yaml/v3's nodes do not keep: "! yes" reads as plain yes.
var nonSpecificTag = regexp.MustCompile(`!([\s,\]}<]|$)`)

// comparable excludes trees whose decoding yaml.v2 leaves to chance (two
// keys that become one JSON key: map order) or reads otherwise.
func comparable(n *Node, seen map[*Node]bool) bool {
	if n == nil || seen[n] {
		return true
	}
	seen[n] = true
	if n.complexKey {
		return false
	}
	keys := map[string]string{}
	for _, f := range n.Fields {
		if f.merge {
			return comparable(f.Value, seen) // merged keys: only compared when the rest is simple
		}
		sk, err := scalar(f.Key, f.key)
		if err != nil {
			return false
		}
		k, typed := fmtKey(sk), fmt.Sprintf("%T %#v", sk, sk)
		if prev, ok := keys[k]; ok && prev != typed {
			return false
		}
		keys[k] = typed
		if !comparable(f.Value, seen) {
			return false
		}
	}
	for _, it := range n.Items {
		if !comparable(it, seen) {
			return false
		}
	}
	return true
}

func fmtKey(k any) string {
	v, err := jsonable(map[any]any{k: nil}, nil)
	if err != nil {
		return "?"
	}
	for s := range v.(map[string]any) {
		return s
	}
	return ""
}
