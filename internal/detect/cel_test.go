package detect

import (
	"fmt"
	"math/rand"
	"path"
	"strings"
	"testing"
)

// TestCleanPath: the allocation-free fast path of cleanPath and pathUnder
// agree with path.Clean and the plain definition.
func TestCleanPath(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	parts := []string{"/", "a", "b", ".", "..", "etc", "/", "//", "x.y", ".a", "..b"}
	prefixes := []string{"/", "/etc", "/var/lib", "etc/", "/a/../b", ""}
	for n := 0; n < 100000; n++ {
		var sb strings.Builder
		for k := rng.Intn(8); k > 0; k-- {
			sb.WriteString(parts[rng.Intn(len(parts))])
		}
		p := sb.String()
		want := p
		if p != "" {
			want = path.Clean("/" + p)
		}
		if got := cleanPath(p); got != want {
			t.Fatalf("cleanPath(%q) = %q, want %q", p, got, want)
		}
		wantUnder := false
		for _, pre := range prefixes {
			cp, cpre := cleanPath(p), cleanPath(pre)
			if cp == cpre || strings.HasPrefix(cp, cpre+"/") {
				wantUnder = true
			}
		}
		if got := pathUnder(p, prefixes); got != wantUnder {
			t.Fatalf("pathUnder(%q) = %v, want %v", p, got, wantUnder)
		}
	}
}

// TestFunctionArgumentChecks: the functions whose cel-go type guards are
// disabled check their arguments as the guards did, with the guards'
// errors.
func TestFunctionArgumentChecks(t *testing.T) {
	env, err := celEnv()
	if err != nil {
		t.Fatal(err)
	}
	params := paramsValue(map[string][]string{"allowCIDRs": {"10.0.0.0/8"}, "podCIDRs": {"10.244.0.0/16"}, "nodeCIDRs": nil})
	for _, c := range []struct{ expr, want string }{
		{`outsideCIDRs(dyn([1]), ["10.0.0.0/8"])`, "no such overload: outsideCIDRs(list, list)"},
		{`outsideCIDRs(dyn("1.2.3.4"), ["10.0.0.0/8"])`, "no such overload: outsideCIDRs(string, list)"},
		{`outsideCIDRs(["1.2.3.4"], dyn(["10.0.0.0/8", 2]))`, "outsideCIDRs: want lists of strings"},
		{`outsideCIDRs(["1.2.3.4"], params.allowCIDRs)`, "true"},
		{`outsideCIDRs(["10.1.2.3"], params.podCIDRs + params.nodeCIDRs + params.allowCIDRs)`, "false"},
		{`outsideCIDRs(dyn([]), params.allowCIDRs)`, "false"},
		{`pathUnder(dyn(1), ["/"])`, "no such overload: pathUnder(int, list)"},
		{`pathUnder("/etc/x", dyn({"a": 1}))`, "no such overload: pathUnder(string, map)"},
		{`pathUnder("/etc/x", ["/etc"])`, "true"},
		{`ipInCIDRs("1.2.3.4", dyn(["1.0.0.0/8", 1]))`, "ipInCIDRs: want a list of strings"},
		{`ipInCIDRs("1.2.3.4", dyn([1]))`, "no such overload: ipInCIDRs(string, list)"},
		{`queryParam(dyn(1), "x")`, "no such overload: queryParam(int, string)"},
		{`queryParam("/a?x=1&x=%20", "x")`, "[1  ]"},
		{`size(params.allowCIDRs) == 1 && params.nodeCIDRs == []`, "true"},
	} {
		ast, iss := env.Compile(c.expr)
		if iss.Err() != nil {
			t.Fatalf("%s: %v", c.expr, iss.Err())
		}
		prg, err := env.Program(ast)
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := prg.Eval(map[string]any{"event": nil, "params": params})
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = fmt.Sprint(out.Value())
		}
		if got != c.want {
			t.Errorf("%s = %s, want %s", c.expr, got, c.want)
		}
	}
}

func TestIPNetwork(t *testing.T) {
	for _, c := range []struct {
		ip   string
		bits int
		want string
	}{
		{"10.244.3.7", 16, "10.244.0.0/16"}, {"10.244.3.7", 24, "10.244.3.0/24"}, {"::ffff:10.244.3.7", 16, "10.244.0.0/16"},
		{"2001:db8:1:2:3::5", 16, "2001:db8:1:2:3::/80"}, {"10.244.3.7", 33, ""}, {"not-an-ip", 16, ""}, {"", 16, ""},
	} {
		if got := ipNetwork(c.ip, c.bits); got != c.want {
			t.Errorf("ipNetwork(%q, %d) = %q, want %q", c.ip, c.bits, got, c.want)
		}
	}
}
