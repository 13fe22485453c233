package configfile

import (
	"strconv"
	"strings"
	"testing"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
)

func TestDecodeStrictNamesLine(t *testing.T) {
	data := []byte("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\nanonymous:\n  enabled: true\n  condition:\n  - path: /livez\n")
	var c apiserverv1.AuthenticationConfiguration
	_, err := Decode("authn.yaml", data, &c)
	if err == nil || !strings.Contains(err.Error(), "authn.yaml:5") || !strings.Contains(err.Error(), `unknown field "condition"`) {
		t.Fatalf("want unknown field error at line 5, got %v", err)
	}
}

func TestLine(t *testing.T) {
	data := []byte("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt:\n- issuer:\n    url: https://a\n    audiences: [x]\n  claimMappings:\n    username:\n      claim: sub\n      prefix: \"\"\n")
	var c apiserverv1.AuthenticationConfiguration
	d, err := Decode("a.yaml", data, &c)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Line("jwt", "0", "issuer", "url"); got != 5 {
		t.Errorf("url line = %d", got)
	}
	if got := d.Source("jwt", "0", "claimMappings", "username", "prefix"); got != "a.yaml:10" {
		t.Errorf("prefix source = %s", got)
	}
	if got := d.Line("jwt", "0", "missing"); got != 4 {
		t.Errorf("missing field falls back to parent line, got %d", got)
	}
}

func TestYAMLErrorLines(t *testing.T) {
	for _, c := range []struct {
		doc  string
		line int
	}{
		{"a: 1\nb: 2\nc:\n  d: [oops\n", 4},
		{"a: 1\nb: {x: 1\n", 2},
		{"a: 1\nb: 2\n  c: 3\n", 3},
		{"a: 1\n\tb: 2\n", 2},
	} {
		var n struct{}
		_, err := Decode("f.yaml", []byte(c.doc), &n)
		if err == nil || !strings.HasPrefix(err.Error(), "f.yaml:"+strconv.Itoa(c.line)+":") {
			t.Errorf("%q: want line %d, got %v", c.doc, c.line, err)
		}
	}
	if _, err := Decode("e.yaml", []byte("  \n"), &struct{}{}); err == nil || err.Error() != "e.yaml: the file is empty" {
		t.Errorf("empty: %v", err)
	}
}
