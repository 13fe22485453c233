package srctree

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseJSON(t *testing.T) {
	data := "{\n  \"cluster\": {\n    \"name\": \"a\",\n    \"cidrs\": [\"10.0.0.0/8\",\n      1.5],\n    \"on\": true,\n    \"x y\": null,\n    \"name\": \"b\"\n  }\n}\n"
	n, err := ParseJSON("c.json", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	c := n.Get("cluster")
	if c.Line != 2 || c.Path != "cluster" || c.Kind != Mapping {
		t.Errorf("cluster: %+v", c)
	}
	if got := n.Get("cluster", "name"); got.Text != "b" || got.Line != 8 {
		t.Errorf("a key given twice keeps its last value: %+v", got)
	}
	cidr := n.Get("cluster", "cidrs").Items[1]
	if cidr.Line != 5 || cidr.Path != "cluster.cidrs[1]" || cidr.Kind != Number || cidr.Text != "1.5" || cidr.Source() != "c.json:5" {
		t.Errorf("cidrs[1]: %+v", cidr)
	}
	if got := n.Get("cluster", "x y"); !got.IsNull() || got.Path != `cluster["x y"]` {
		t.Errorf("quoted path: %+v", got)
	}
	if got := n.GetFold("CLUSTER", "On"); got == nil || got.Text != "true" {
		t.Errorf("GetFold: %+v", got)
	}
	if err := cidr.TypeError("a string"); err.Error() != "c.json:5: cluster.cidrs[1]: want a string, got a number (1.5)" {
		t.Errorf("TypeError: %v", err)
	}
	if got := n.Get("cluster", "cidrs").Literal(); got != `["10.0.0.0/8", 1.5]` {
		t.Errorf("Literal: %s", got)
	}
	for doc, want := range map[string]string{
		"{\n  \"a\": [1,\n  2,,\n]}":   "c.json:3: not valid JSON: invalid character ',' looking for beginning of value",
		"{\"a\": 1}\n{}":               "c.json:2: unexpected data after the JSON document",
		"{\n\"a\":":                    "c.json:2: not valid JSON: unexpected end of the file",
		strings.Repeat("[", 300) + "1": "c.json:1: JSON nested deeper than 200 levels",
	} {
		if _, err := ParseJSON("c.json", []byte(doc)); err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %s", doc, err, want)
		}
	}
}

func TestParseYAML(t *testing.T) {
	data := "base: &b\n  url: https://a\n  audiences: [x]\njwt:\n- issuer:\n    <<: *b\n    url: https://b\n  claims:\n    user: sub\n"
	n, err := ParseYAML("a.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path []string
		line int
	}{
		{[]string{"jwt"}, 4},
		{[]string{"jwt", "0"}, 5},
		{[]string{"jwt", "0", "issuer", "url"}, 7},
		{[]string{"jwt", "0", "issuer", "audiences"}, 3}, // merged: the anchor's line
		{[]string{"jwt", "0", "claims", "missing"}, 8},   // the deepest part that exists
		{[]string{"jwt", "9"}, 4},
	} {
		if got := n.LineOf(c.path...); got != c.line {
			t.Errorf("LineOf(%v) = %d, want %d", c.path, got, c.line)
		}
	}
	if got := n.Get("jwt").Items[0].Get("issuer", "url"); got.Text != "https://b" || got.Path != "jwt[0].issuer.url" {
		t.Errorf("the mapping's own key wins over a merged one: %+v", got)
	}
	if got := n.FindKey("user"); got != 9 {
		t.Errorf("FindKey = %d", got)
	}
	for doc, want := range map[string]SyntaxError{
		"a: 1\nb: {x: 1\n":  {Line: 2, Msg: "did not find expected ',' or '}'"},
		"a: 1\n\tb: 2\n":    {Line: 2, Msg: "found a tab character that violates indentation"},
		"a: &a [1, [*a]]\n": {Line: 1, Msg: "anchor 'a' value contains itself"},
	} {
		_, err := ParseYAML("e.yaml", []byte(doc))
		var se *SyntaxError
		if !errors.As(err, &se) || se.Line != want.Line || se.Msg != want.Msg {
			t.Errorf("%q: %v, want line %d: %s", doc, err, want.Line, want.Msg)
		}
	}
}

// walkCursor renders everything a cursor reads: kind, line and text of
// each value, in order.
func walkCursor(c Cursor, path string, out *[]string) error {
	k, line := c.Kind(), c.Line()
	rec := func(text string) { *out = append(*out, fmt.Sprintf("%s %v %d %q", path, k, line, text)) }
	switch k {
	case Mapping:
		rec("")
		return c.Object(func(key string) error { return walkCursor(c, childPath(path, key), out) })
	case Sequence:
		rec("")
		return c.Array(func(i int) error { return walkCursor(c, indexPath(path, i), out) })
	case String:
		s, err := c.Str()
		rec(s)
		return err
	case Bool:
		b, err := c.Bool()
		rec(fmt.Sprint(b))
		return err
	default:
		rec("")
		return c.Skip()
	}
}

// walkTree renders a tree as walkCursor renders a cursor (duplicate keys
// as often as they appear).
func walkTree(n *Node, out *[]string) {
	text := ""
	switch n.Kind {
	case String, Bool:
		text = n.Text
	}
	*out = append(*out, fmt.Sprintf("%s %v %d %q", n.Path, n.Kind, n.Line, text))
	for _, f := range n.Fields {
		walkTree(f.Value, out)
	}
	for _, it := range n.Items {
		walkTree(it, out)
	}
}

// sameAsTree fails unless a cursor over data reads what the tree holds.
// Not compared: invalid UTF-8, which encoding/json replaces and the JSON
// scanner keeps (readers refuse binary input before).
func sameAsTree(t *testing.T, data []byte, yaml bool) {
	t.Helper()
	if !utf8.Valid(data) {
		return
	}
	var (
		tree *Node
		c    Cursor
		err  error
	)
	if yaml {
		if tree, err = ParseYAML("f", data); err != nil || hasMerge(tree, map[*Node]bool{}) {
			return
		}
		c, err = NewYAMLDocs(data).Next()
		if err != nil || c == nil {
			t.Fatalf("%q: the tree reads, the cursor: %v", data, err)
		}
	} else {
		if tree, err = ParseJSON("f", data); err != nil {
			return
		}
		jc := NewJSONCursor(data)
		if !jc.More() {
			t.Fatalf("%q: no value for the cursor", data)
		}
		c = jc
	}
	var got, want []string
	if err := walkCursor(c, "", &got); err != nil {
		t.Fatalf("%q: the tree reads, the cursor: %v", data, err)
	}
	walkTree(tree, &want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\ncursor %q\ntree   %q", data, got, want)
	}
}

func hasMerge(n *Node, seen map[*Node]bool) bool {
	if seen[n] {
		return true // an alias: the tree shares the node, the cursor walks it again
	}
	seen[n] = true
	for _, f := range n.Fields {
		if f.merge || hasMerge(f.Value, seen) {
			return true
		}
	}
	for _, it := range n.Items {
		if hasMerge(it, seen) {
			return true
		}
	}
	return false
}

var cursorSeeds = []string{
	"{\"a\": [1, \"x\\u00e9\\n\", true, null, {\"b\": -1.5e3}],\n \"c\": {}, \"d\": []}",
	"[\n  {\"kind\": \"List\",\n   \"items\": [{\"x\": false}]}\n]",
	"{\"a\": 1, \"a\": 2}",
	"a: 1\nb: [x, 'y', \"z\"]\nc:\n  d: |\n    text\n  e: ~\n",
	"- a\n- {b: c}\n- - d\n",
}

func TestCursorReadsWhatTheTreeHolds(t *testing.T) {
	for _, s := range cursorSeeds {
		sameAsTree(t, []byte(s), !strings.HasPrefix(s, "{") && !strings.HasPrefix(s, "["))
	}
}

// FuzzCursor: whatever ParseJSON reads, the JSON cursor reads the same way
// (kinds, lines, strings); likewise the YAML cursor and ParseYAML.
func FuzzCursor(f *testing.F) {
	for _, s := range cursorSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsTree(t, data, false)
		sameAsTree(t, data, true)
	})
}

// FuzzParse: the trees never panic, and every node has a line.
func FuzzParse(f *testing.F) {
	for _, s := range append(cursorSeeds, decodeSeeds...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []func(string, []byte) (*Node, error){ParseJSON, ParseYAML} {
			n, err := parse("f", data)
			if err != nil {
				continue
			}
			var lines []string
			walkTree(n, &lines)
			_ = n.LineOf("a", "0", "b")
			_ = n.FindKey("a")
			_ = n.GetFold("A", "b")
			_ = n.Decode(new(map[string]any), true)
		}
	})
}
