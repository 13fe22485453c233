package harden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/versions"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func flagsOf(t *testing.T, argv ...string) []Flag {
	t.Helper()
	f, _, err := ParseArgv(argv, apiserverflags.IsBool)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func valueOf(p *Plan, name string) (string, bool) {
	v, ok := "", false
	for _, f := range p.Flags {
		if f.Name == name {
			v, ok = f.Value, true
		}
	}
	return v, ok
}

// TestFixers: each fixer, on the flags that fail its check, writes the
// flags (and files) that pass it, and leaves the other flags alone.
func TestFixers(t *testing.T) {
	v136, v131, v133 := versions.MustParse("v1.36.3"), versions.MustParse("v1.31.4"), versions.MustParse("v1.33.1")
	policy := []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n")
	for _, c := range []struct {
		name    string
		check   string
		version versions.Version
		argv    []string
		exist   map[string][]byte
		want    map[string]string // flag -> value ("-" absent)
		file    string            // a file the plan writes, containing fileHas
		fileHas string
		need    string // in a Need's What
	}{
		{name: "profiling", check: "AG-NET-005", argv: []string{"--profiling=true", "--secure-port=6443"}, want: map[string]string{"profiling": "false", "secure-port": "6443"}},
		{name: "bare boolean profiling", check: "AG-NET-005", argv: []string{"--profiling", "--secure-port", "6443"}, want: map[string]string{"profiling": "false", "secure-port": "6443"}},
		{name: "repeated flag collapses to one", check: "AG-NET-002", argv: []string{"--tls-min-version=VersionTLS10", "--tls-min-version=VersionTLS11"}, want: map[string]string{"tls-min-version": "VersionTLS12"}},
		{name: "token file removed", check: "AG-AUTHN-002", argv: []string{"--token-auth-file=/t.csv"}, want: map[string]string{"token-auth-file": "-"}, need: "static tokens stop working"},
		{name: "AlwaysAllow replaced, Webhook kept", check: "AG-AUTHZ-001", argv: []string{"--authorization-mode=AlwaysAllow,Webhook,ABAC"}, want: map[string]string{"authorization-mode": "Node,RBAC,Webhook"}},
		{name: "authorization config is the operator's", check: "AG-AUTHZ-003", argv: []string{"--authorization-config=/a.yaml"}, want: map[string]string{"authorization-mode": "-"}, need: "--authorization-config"},
		{name: "AlwaysAdmit dropped", check: "AG-AUTHZ-005", argv: []string{"--enable-admission-plugins=AlwaysAdmit,NodeRestriction"}, want: map[string]string{"enable-admission-plugins": "NodeRestriction"}},
		{name: "ServiceAccount out of the disabled list (on by default)", check: "AG-AUTHZ-007", argv: []string{"--disable-admission-plugins=ServiceAccount"}, want: map[string]string{"disable-admission-plugins": "-", "enable-admission-plugins": "-"}},
		{name: "NodeRestriction with the deprecated --admission-control", check: "AG-AUTHZ-006", argv: []string{"--admission-control=NamespaceLifecycle"}, want: map[string]string{"admission-control": "NamespaceLifecycle,NodeRestriction"}},
		{name: "EventRateLimit: new admission config", check: "AG-AUTHZ-009", argv: []string{"--enable-admission-plugins=NodeRestriction"},
			want: map[string]string{"enable-admission-plugins": "NodeRestriction,EventRateLimit", "admission-control-config-file": "/etc/kubernetes/apiguard/admission-config.yaml"},
			file: "admission-config.yaml", fileHas: "name: EventRateLimit"},
		{name: "EventRateLimit merged into the server's admission config", check: "AG-AUTHZ-009", argv: []string{"--admission-control-config-file=/etc/k/adm.yaml"},
			exist: map[string][]byte{"admission-control-config-file": []byte("apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  path: /etc/k/psa.yaml\n")},
			want:  map[string]string{"enable-admission-plugins": "EventRateLimit"}, file: "admission-config.yaml", fileHas: "path: /etc/k/psa.yaml"},
		{name: "EventRateLimit with an unreadable admission config", check: "AG-AUTHZ-009", argv: []string{"--admission-control-config-file=/etc/k/adm.yaml"},
			want: map[string]string{"enable-admission-plugins": "-", "admission-control-config-file": "/etc/k/adm.yaml"}, need: "could not be read"},
		{name: "audit log with retention", check: "AG-AUDIT-001", argv: []string{"--audit-log-maxage=60"},
			want: map[string]string{"audit-log-path": "/var/log/kubernetes/audit/audit.log", "audit-log-maxage": "60", "audit-log-maxbackup": "10", "audit-log-maxsize": "100"}},
		{name: "audit policy, and a log to write to", check: "AG-AUDIT-005", want: map[string]string{"audit-policy-file": "/etc/kubernetes/apiguard/audit-policy.yaml", "audit-log-path": "/var/log/kubernetes/audit/audit.log"},
			file: "audit-policy.yaml", fileHas: "kind: Policy"},
		{name: "audit policy, the webhook is the backend", check: "AG-AUDIT-005", argv: []string{"--audit-webhook-config-file=/w.yaml"}, want: map[string]string{"audit-log-path": "-"}},
		{name: "audit log mode back to blocking", check: "AG-AUDIT-008", argv: []string{"--audit-log-path=/l", "--audit-log-mode=batch", "--audit-log-batch-max-size=5"}, want: map[string]string{"audit-log-mode": "-", "audit-log-batch-max-size": "-", "audit-log-path": "/l"}},
		{name: "anonymous limited with a new AuthenticationConfiguration (v1 from 1.34)", check: "AG-AUTHN-001", version: v136, argv: []string{"--anonymous-auth=true"},
			want: map[string]string{"anonymous-auth": "-", "authentication-config": "/etc/kubernetes/apiguard/authentication-config.yaml"},
			file: "authentication-config.yaml", fileHas: "apiVersion: apiserver.config.k8s.io/v1\n"},
		{name: "anonymous limited, v1beta1 in 1.33", check: "AG-AUTHN-001", version: v133, file: "authentication-config.yaml", fileHas: "apiserver.config.k8s.io/v1beta1",
			want: map[string]string{"authentication-config": "/etc/kubernetes/apiguard/authentication-config.yaml"}},
		{name: "anonymous merged into the server's JWT config", check: "AG-AUTHN-001", version: v136, argv: []string{"--authentication-config=/etc/k/authn.yaml"},
			exist: map[string][]byte{"authentication-config": []byte("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt:\n- issuer:\n    url: https://idp\n    audiences: [k8s]\n  claimMappings:\n    username:\n      claim: sub\n      prefix: 'oidc:'\n")},
			want:  map[string]string{"authentication-config": "/etc/kubernetes/apiguard/authentication-config.yaml"}, file: "authentication-config.yaml", fileHas: "url: https://idp"},
		{name: "anonymous before 1.32: no unsafe change", check: "AG-AUTHN-001", version: v131, argv: []string{"--anonymous-auth=true"}, want: map[string]string{"anonymous-auth": "true", "authentication-config": "-"}, need: "1.32"},
		{name: "anonymous with legacy OIDC flags", check: "AG-AUTHN-001", version: v136, argv: []string{"--oidc-issuer-url=https://idp"}, want: map[string]string{"authentication-config": "-"}, need: "--oidc-*"},
		{name: "encryption at rest with a fresh key", check: "AG-ADMIN-003", want: map[string]string{"encryption-provider-config": "/etc/kubernetes/apiguard/encryption-config.yaml"},
			file: "encryption-config.yaml", fileHas: "- identity: {}", need: "kubectl get secrets --all-namespaces"},
		{name: "stronger provider first, the old ones kept to read old data", check: "AG-ADMIN-004", argv: []string{"--encryption-provider-config=/e.yaml"},
			exist: map[string][]byte{"encryption-provider-config": []byte("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n  - aescbc:\n      keys:\n      - name: k1\n        secret: c2VjcmV0\n")},
			file:  "encryption-config.yaml", fileHas: "name: k1"},
		{name: "request timeout back to its default", check: "AG-NET-010", argv: []string{"--request-timeout=30m"}, want: map[string]string{"request-timeout": "-"}},
		{name: "removed flags dropped for the target version", check: "AG-PATCH-001", version: v136, argv: []string{"--insecure-port=0", "--kubelet-https=true"}, want: map[string]string{"insecure-port": "-", "kubelet-https": "-"}},
		{name: "a check without a fixer changes nothing", check: "AG-NET-006", argv: []string{"--profiling=true"}, want: map[string]string{"profiling": "true"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var flags []Flag
			if len(c.argv) > 0 {
				flags = flagsOf(t, c.argv...)
			}
			p, err := Fix(flags, []string{c.check}, Options{Version: c.version, AuditPolicy: policy, Existing: c.exist, Random: bytes.NewReader(bytes.Repeat([]byte{7}, 64))})
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range c.want {
				got, ok := valueOf(p, name)
				if want == "-" && ok {
					t.Errorf("--%s=%s, want it absent", name, got)
				} else if want != "-" && got != want {
					t.Errorf("--%s=%q (set %v), want %q", name, got, ok, want)
				}
			}
			if c.file != "" {
				found := false
				for _, f := range p.Files {
					if f.Name == c.file {
						found = true
						if !strings.Contains(string(f.Data), c.fileHas) {
							t.Errorf("%s lacks %q:\n%s", f.Name, c.fileHas, f.Data)
						}
					}
				}
				if !found {
					t.Errorf("no file %s in %v", c.file, p.Files)
				}
			}
			if c.need != "" {
				found := false
				for _, n := range p.Needs {
					found = found || strings.Contains(n.What, c.need) || strings.Contains(strings.Join(n.Commands, " "), c.need)
				}
				if !found {
					t.Errorf("no need mentions %q: %+v", c.need, p.Needs)
				}
			}
			for _, ch := range p.Changes {
				if ch.Check == "" || ch.Why == "" {
					t.Errorf("change without check or why: %+v", ch)
				}
			}
		})
	}
}

// TestEncryptionKeyIsFresh: two runs write two different keys, from the
// random source.
func TestEncryptionKeyIsFresh(t *testing.T) {
	key := func() string {
		p, err := Fix(nil, []string{"AG-ADMIN-003"}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !p.Files[0].Secret {
			t.Error("the encryption config is not marked secret")
		}
		return string(p.Files[0].Data)
	}
	if a, b := key(), key(); a == b {
		t.Error("two fixes wrote the same key")
	}
}

func TestParseArgv(t *testing.T) {
	f, elems, err := ParseArgv([]string{"--a=1", "--profiling", "--etcd-servers", "https://e:2379", "--anonymous-auth", "false"}, apiserverflags.IsBool)
	if err == nil {
		t.Fatalf("a bare boolean followed by a word is two flags to pflag, the word is not a flag: %v %v", f, elems)
	}
	f, elems, err = ParseArgv([]string{"--a=1", "--profiling", "--etcd-servers", "https://e:2379"}, apiserverflags.IsBool)
	if err != nil || len(f) != 3 || f[1] != (Flag{"profiling", "true"}) || f[2] != (Flag{"etcd-servers", "https://e:2379"}) || len(elems[2]) != 2 {
		t.Fatalf("%v %v %v", f, elems, err)
	}
	if _, _, err := ParseArgv([]string{"kube-apiserver"}, apiserverflags.IsBool); err == nil || !strings.Contains(err.Error(), `argument 1 "kube-apiserver" is not a flag`) {
		t.Errorf("err = %v", err)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test ./internal/harden -update):\n--- got\n%s", name, got)
	}
}

// manifestArgs finds the argv of testdata manifests as the manifest
// parser does: the items of the command (after the program) or args list.
func manifestArgs(data []byte) []ArgLine {
	var out []ArgLine
	indent := ""
	for i, l := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(l)
		if t == "- command:" || t == "args:" || t == "- args:" {
			indent = "?"
			continue
		}
		if indent == "?" && strings.HasPrefix(t, "- ") {
			indent = l[:strings.Index(l, "-")]
		}
		if indent == "" || indent == "?" || !strings.HasPrefix(l, indent+"- ") {
			if indent != "?" {
				indent = ""
			}
			continue
		}
		v, _, _ := strings.Cut(strings.TrimPrefix(t, "- "), " #")
		v = strings.Trim(v, `"`)
		if v == "kube-apiserver" {
			continue
		}
		out = append(out, ArgLine{Text: v, Line: i + 1})
	}
	return out
}

var weakFailing = []string{"AG-NET-005", "AG-AUTHZ-005", "AG-AUDIT-001", "AG-AUDIT-005", "AG-NET-010", "AG-AUTHN-002"}

// TestPatchManifest: the manifest keeps every other line and comment;
// changed flags are edited in place, removed ones deleted, new ones added
// after the last, and hostPath volumes for the new files and the audit log.
func TestPatchManifest(t *testing.T) {
	for _, name := range []string{"manifest-kubeadm.yaml", "manifest-novolumes.yaml"} {
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			args := manifestArgs(in)
			var texts []string
			for _, a := range args {
				texts = append(texts, a.Text)
			}
			p, err := Fix(flagsOf(t, texts...), weakFailing, Options{Version: versions.MustParse("v1.36.3"), AuditPolicy: []byte("kind: Policy\n")})
			if err != nil {
				t.Fatal(err)
			}
			out, err := PatchManifest(in, args, p, apiserverflags.IsBool)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(name, ".yaml")+".golden", out)
		})
	}
}

func TestPatchManifestRefusesFlowStyle(t *testing.T) {
	in := []byte("spec:\n  containers:\n  - command: [kube-apiserver, --profiling=true, --secure-port=6443]\n")
	p, _ := Fix(flagsOf(t, "--profiling=true", "--secure-port=6443"), []string{"AG-NET-005"}, Options{})
	_, err := PatchManifest(in, []ArgLine{{"--profiling=true", 3}, {"--secure-port=6443", 3}}, p, apiserverflags.IsBool)
	if err == nil || !strings.Contains(err.Error(), "not one per line") {
		t.Fatalf("err = %v", err)
	}
}

// TestPatchKubeadm: set flags go to apiServer.extraArgs in the file's own
// form (v1beta3 map, v1beta4 list), removed ones leave it, and the
// directories become extraVolumes; other documents and comments stay.
func TestPatchKubeadm(t *testing.T) {
	for _, name := range []string{"kubeadm-v1beta3.yaml", "kubeadm-v1beta4.yaml"} {
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			// the flags as kubeadm writes them for this file: its defaults
			// (authorization-mode) and the extraArgs
			flags := flagsOf(t, "--authorization-mode=Node,RBAC", "--profiling=true", "--request-timeout=30m")
			p, err := Fix(flags, []string{"AG-NET-005", "AG-NET-010", "AG-AUDIT-001"}, Options{Version: versions.MustParse("v1.36.3")})
			if err != nil {
				t.Fatal(err)
			}
			out, notes, err := PatchKubeadm(in, p)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(name, ".yaml")+".golden", append(out, []byte("# notes: "+strings.Join(notes, " | ")+"\n")...))
		})
	}
}

func TestRenderArgv(t *testing.T) {
	got := string(RenderArgv([]string{"kube-apiserver"}, []Flag{{"a", "1"}, {"b", "x y"}}))
	if got != "kube-apiserver\n--a=1\n--b=x y\n" {
		t.Errorf("%q", got)
	}
}
