package apiserverflags

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/versions"
)

func argv(ss ...string) []Arg {
	out := make([]Arg, len(ss))
	for i, s := range ss {
		out[i] = Arg{Text: s, Source: "m.yaml:" + string(rune('1'+i)), File: "m.yaml", Line: i + 1}
	}
	return out
}

var v136 = versions.MustParse("v1.36.3")

func TestParseForms(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		flag  string
		want  string
		set   bool
		probs int
	}{
		{"equals", []string{"kube-apiserver", "--audit-log-path=/var/log/a.log"}, "audit-log-path", "/var/log/a.log", true, 0},
		{"space separated", []string{"kube-apiserver", "--audit-log-path", "/var/log/a.log"}, "audit-log-path", "/var/log/a.log", true, 0},
		{"bare boolean", []string{"kube-apiserver", "--profiling", "--audit-log-path=/x"}, "profiling", "true", true, 0},
		{"bare boolean does not eat next", []string{"kube-apiserver", "--anonymous-auth", "false"}, "anonymous-auth", "true", true, 1},
		{"explicit false", []string{"--anonymous-auth=false"}, "anonymous-auth", "false", true, 0},
		{"last one wins", []string{"--anonymous-auth=false", "--anonymous-auth=true"}, "anonymous-auth", "true", true, 0},
		{"value with equals", []string{"--oidc-required-claim=a=b"}, "oidc-required-claim", "a=b", true, 0},
		{"empty value", []string{"--token-auth-file="}, "token-auth-file", "", true, 0},
		{"missing value at end", []string{"--audit-log-path"}, "audit-log-path", "", false, 1},
		{"default 1.36", []string{}, "audit-log-maxage", "366", false, 0},
		{"positional", []string{"kube-apiserver", "anonymous-auth=false"}, "anonymous-auth", "true", false, 1},
		{"short v", []string{"-v=2", "--profiling=false"}, "v", "2", true, 0},
		{"double dash ends flags", []string{"--profiling=false", "--", "x"}, "profiling", "false", true, 1},
		{"empty arguments are ignored", []string{"kube-apiserver", "", "--profiling=false", "", "--", ""}, "profiling", "false", true, 0},
		{"empty value consumed", []string{"--audit-log-path", "", "--profiling=false"}, "audit-log-path", "", true, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := Parse(argv(c.args...), v136)
			v := f.Get(c.flag)
			if v.Value != c.want || v.Set != c.set {
				t.Fatalf("Get(%s) = %+v, want %q set=%v", c.flag, v, c.want, c.set)
			}
			if len(f.Problems) != c.probs {
				t.Fatalf("problems = %v, want %d", f.Problems, c.probs)
			}
		})
	}
}

func TestSliceFlagsAccumulate(t *testing.T) {
	f := Parse(argv("--enable-admission-plugins=AlwaysPullImages", "--enable-admission-plugins=NodeRestriction"), v136)
	v := f.Get("enable-admission-plugins")
	if !v.Has("NodeRestriction") || !v.Has("AlwaysPullImages") {
		t.Fatalf("slice flag must accumulate, got %q", v.Value)
	}
	if !strings.Contains(v.Source, "accumulated") {
		t.Fatalf("source should explain accumulation: %q", v.Source)
	}
	if v.Has("Node") {
		t.Fatal("Has must match whole items, not substrings")
	}
	s := Parse(argv("--profiling=false", "--profiling=true"), v136).Get("profiling")
	if !strings.Contains(s.Source, "last of 2") {
		t.Fatalf("scalar source should say last of 2: %q", s.Source)
	}
}

func TestVersionDefaults(t *testing.T) {
	old := Parse(nil, versions.MustParse("v1.35.2")).Get("audit-log-maxage")
	if old.Value != "0" || old.Source != "default for v1.35" {
		t.Fatalf("1.35 default = %+v", old)
	}
	unknown := Parse(nil, versions.Version{}).Get("audit-log-maxbackup")
	if unknown.Value != "100" || !strings.Contains(unknown.Source, "version unknown") {
		t.Fatalf("unknown version default = %+v", unknown)
	}
	if v, ok := DefaultFor("tls-min-version", versions.MustParse("v1.29.0")); !ok || v != "VersionTLS12" {
		t.Fatalf("tls default 1.29 = %q", v)
	}
	none := Parse(nil, v136).Get("token-auth-file")
	if none.Set || none.Value != "" {
		t.Fatalf("no default = %+v", none)
	}
}

func TestEffectiveAdmissionPlugins(t *testing.T) {
	f := Parse(argv("--enable-admission-plugins=NodeRestriction", "--disable-admission-plugins=ServiceAccount"), v136)
	on := EffectiveAdmissionPlugins(f)
	if !on["NodeRestriction"] || on["ServiceAccount"] || !on["NamespaceLifecycle"] || on["AlwaysAdmit"] {
		t.Fatalf("effective = %v", on)
	}
	legacy := EffectiveAdmissionPlugins(Parse(argv("--admission-control=AlwaysAdmit"), v136))
	if len(legacy) != 1 || !legacy["AlwaysAdmit"] {
		t.Fatalf("--admission-control replaces the list: %v", legacy)
	}
}

func TestBinaryAndValueParsing(t *testing.T) {
	f := Parse(argv("/usr/local/bin/kube-apiserver", "--secure-port=6443"), v136)
	if f.Binary != "/usr/local/bin/kube-apiserver" {
		t.Fatalf("binary = %q", f.Binary)
	}
	if n, err := f.Get("secure-port").Int(); err != nil || n != 6443 {
		t.Fatalf("int = %d %v", n, err)
	}
	if _, err := Parse(argv("--profiling=maybe"), v136).Get("profiling").Bool(); err == nil {
		t.Fatal("want bool error")
	}
	if _, ok := RemovedFlag("insecure-port"); !ok {
		t.Fatal("insecure-port is removed")
	}
}

// Every flag the tables model is a flag kube-apiserver has (or had).
func TestKnownCoversTables(t *testing.T) {
	for _, m := range []map[string]bool{boolFlags, accumulatingFlags} {
		for n := range m {
			if !Known(n) {
				t.Errorf("--%s is in a table but not Known", n)
			}
		}
	}
	for n := range defaults {
		if !Known(n) {
			t.Errorf("--%s has a default but is not Known", n)
		}
	}
	for _, r := range RemovedFlags {
		if !Known(r.Flag) {
			t.Errorf("removed --%s is not Known: argvs of older servers hold it", r.Flag)
		}
	}
	for _, n := range []string{"anonymous-auth", "v", "cloud-provider", "insecure-port"} {
		if !Known(n) {
			t.Errorf("--%s must be known", n)
		}
	}
	for _, n := range []string{"anonymous-auht", "", "Restart", "apiVersion"} {
		if Known(n) {
			t.Errorf("%q must not be known", n)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("kube-apiserver --a=b --profiling -v 2 --x y -- z")
	f.Add("--enable-admission-plugins=A,B --enable-admission-plugins=C")
	f.Add("kube-apiserver  --audit-log-path  --profiling -- ")
	f.Fuzz(func(t *testing.T, s string) {
		// Split on single spaces: empty arguments, which kube-apiserver
		// accepts, are part of the input space.
		fl := Parse(argv(strings.Split(s, " ")...), v136)
		for _, p := range fl.Problems {
			if p.Arg.Text == "" {
				t.Fatalf("an empty argument reported: %v", p)
			}
		}
		for _, n := range fl.Names() {
			v := fl.Get(n)
			_ = v.List()
			_, _ = v.Bool()
			_, _ = v.Int()
		}
	})
}

func TestUnderscoreNormalised(t *testing.T) {
	f := Parse(argv("--authorization-mode=Node,RBAC", "--authorization_mode=AlwaysAllow", "--anonymous-auth=false", "--anonymous_auth=true"), v136)
	if v := f.Get("authorization-mode"); !v.Has("AlwaysAllow") || !v.Has("RBAC") {
		t.Fatalf("authorization_mode must accumulate into authorization-mode: %+v", v)
	}
	if v := f.Get("anonymous-auth"); v.Value != "true" {
		t.Fatalf("anonymous_auth must override anonymous-auth: %+v", v)
	}
}
