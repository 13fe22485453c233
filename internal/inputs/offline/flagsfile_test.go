package offline

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/internal/apiserverflags"
	"github.com/apiguard/apiguard/internal/inputs"
)

// TestFlagsFileForms: the argv forms real files come in, each read to the
// same flags, with the line each flag was written on.
func TestFlagsFileForms(t *testing.T) {
	cases := []struct {
		name, data string
		flag, want string
		line       int
		problems   []string // unknown-flag warnings, as "source: message" prefixes
	}{
		{"ps output", "root 1234 5.0 1.2 ? Ssl 10:00 1:23 /usr/local/bin/kube-apiserver --profiling=false --secure-port 6443\n",
			"secure-port", "6443", 1, nil},
		{"ps output with its header", "UID          PID    PPID  C STIME TTY          TIME CMD\nroot         812     700  4 10:00 ?        00:10:00 kube-apiserver --advertise-address=10.0.0.1 --anonymous-auth=false\n",
			"anonymous-auth", "false", 2, nil},
		{"cmdline", "kube-apiserver\x00--profiling=false\x00--anonymous-auth=false\x00", "anonymous-auth", "false", 1, nil},
		{"cmdline with an empty argument", "/usr/local/bin/kube-apiserver\x00\x00--anonymous-auth=false\x00", "anonymous-auth", "false", 1, nil},
		{"one per line", "# flags\n--profiling=false\n--audit-log-path=/var/log/audit.log\n", "audit-log-path", "/var/log/audit.log", 3, nil},
		{"program first, one per line", "/usr/local/bin/kube-apiserver\n--profiling=false\n\n--audit-log-path=/var/log/audit.log\n", "audit-log-path", "/var/log/audit.log", 4, nil},
		{"one line", "kube-apiserver --a-typo=1 --anonymous-auth=false --authorization-mode=Node,RBAC\n", "authorization-mode", "Node,RBAC", 1,
			[]string{"f.txt:1: --a-typo is not a kube-apiserver flag"}},
		{"value on the next line", "--token-auth-file\n/etc/tokens.csv\n--anonymous-auth=false\n", "token-auth-file", "/etc/tokens.csv", 1, nil},
		{"CRLF", "--profiling=false\r\n--anonymous-auth=false\r\n", "anonymous-auth", "false", 2, nil},
		{"shell script", "#!/bin/sh\n# started by the init system\nexec /usr/local/bin/kube-apiserver \\\n  --anonymous-auth=false \\\n  --audit-log-path='/var/log/a b.log' \\\n  --v=2\n",
			"audit-log-path", "/var/log/a b.log", 5, nil},
		{"hyperkube", "/hyperkube apiserver --anonymous-auth=false\n", "anonymous-auth", "false", 1, nil},
		{"systemd unit", "[Unit]\nDescription=Kubernetes API Server\nDocumentation=https://github.com/kubernetes/kubernetes\n\n[Service]\nExecStart=/usr/local/bin/kube-apiserver \\\n  --allow-privileged=true \\\n  --authorization-mode=Node,RBAC \\\n  --runtime-config='api/all=true' \\\n  --v=2\nRestart=on-failure\nRestartSec=5\n\n[Install]\nWantedBy=multi-user.target\n",
			"runtime-config", "api/all=true", 9, nil},
		{"systemd drop-in resetting ExecStart", "[Service]\n# the vendor's command is replaced\nExecStart=\nExecStart=-/usr/bin/kube-apiserver --anonymous-auth=false\nEnvironment=GODEBUG=x509sha1=1\n",
			"anonymous-auth", "false", 4, nil},
		{"an older server's flags", "kube-apiserver --insecure-port=0 --cloud-provider=gce --anonymous-auth=false\n", "insecure-port", "0", 1, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, problems, err := ParseFlagsFile("f.txt", []byte(c.data))
			if err != nil {
				t.Fatal(err)
			}
			v := a.Flags(inputs.Cluster{}).Get(c.flag)
			if v.Value != c.want || v.Line != c.line || v.File != "f.txt" {
				t.Fatalf("%s = %q at line %d of %q, want %q at line %d", c.flag, v.Value, v.Line, v.File, c.want, c.line)
			}
			if len(problems) != len(c.problems) {
				t.Fatalf("problems = %v, want %v", problems, c.problems)
			}
			for i, p := range problems {
				if !strings.HasPrefix(p.String(), c.problems[i]) {
					t.Errorf("problem %q, want %q...", p.String(), c.problems[i])
				}
			}
		})
	}
}

// TestFlagsFileErrors: what is not a kube-apiserver argv is refused with
// the line that shows it.
func TestFlagsFileErrors(t *testing.T) {
	cases := []struct {
		name, data string
		line       int
		want       string
	}{
		{"empty", "", 0, "no kube-apiserver flag found"},
		{"comments only", "\n# nothing\n", 0, "no kube-apiserver flag found"},
		{"program only", "/usr/local/bin/kube-apiserver\n", 0, "no kube-apiserver flag found"},
		{"unknown flags only", "--foo=1\n--bar-baz\n", 0, "no kube-apiserver flag found"},
		{"binary with NUL bytes", "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00>\x00", 0, "binary data, not a kube-apiserver argv (argument 1"},
		{"binary without NUL bytes", "--anonymous-auth=false\n\xff\xfe\xfd garbage\n", 2, "binary data, not a kube-apiserver argv"},
		{"control characters", "--anonymous-auth=false\n\x1b[31mred\n", 2, "binary data"},
		{"YAML manifest", "# the pod\napiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - command:\n    - kube-apiserver\n    - --anonymous-auth=false\n", 2, "a YAML or JSON document, not a kube-apiserver argv: pass manifests with --manifest"},
		{"YAML bomb", "a: &a [\"lol\",\"lol\",\"lol\"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n", 1, "a YAML or JSON document"},
		{"YAML document marker", "---\n- --anonymous-auth=false\n", 1, "a YAML or JSON document"},
		{"JSON", `{"spec": {"containers": [{"command": ["kube-apiserver", "--anonymous-auth=false"]}]}}`, 1, "a YAML or JSON document"},
		{"flag without dashes", "--profiling=false\n# auth\nanonymous-auth=false\n--v=2\n", 3, `positional argument "anonymous-auth=false": kube-apiserver takes none (a flag written without its leading dashes?)`},
		{"prose", "hello --anonymous-auth=false\n", 1, `"hello" is not a flag`},
		{"missing value at the end", "--anonymous-auth=false\n--audit-log-path\n", 2, "flag --audit-log-path needs a value"},
		{"malformed flag", "--anonymous-auth=false\n---x\n", 2, `malformed flag "---x"`},
		{"two processes in ps output", "root 1 0 kube-apiserver --anonymous-auth=false\nroot 2 0 kube-apiserver --anonymous-auth=true\n", 0,
			"not a kube-apiserver argv (4 problems):\n  f.txt:2: positional argument \"root\""},
		{"unexpanded variable", "[Service]\nEnvironmentFile=/etc/kubernetes/apiserver\nExecStart=/usr/bin/kube-apiserver $KUBE_API_ARGS --anonymous-auth=false\n", 3,
			`"$KUBE_API_ARGS" is a variable the shell or systemd expands`},
		{"systemd unit without ExecStart", "[Unit]\nDescription=x\n[Service]\nRestart=always\n", 0, "a systemd unit without a command in ExecStart="},
		{"many problems", "a\nb\nc\nd\ne\nf\ng\n", 0, "not a kube-apiserver argv (7 problems):\n  f.txt:1: \"a\" is not a flag"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, _, err := ParseFlagsFile("f.txt", []byte(c.data))
			var le *LineError
			if err == nil || !errors.As(err, &le) {
				t.Fatalf("got %+v, %v; want a *LineError", a, err)
			}
			if le.Line != c.line || !strings.HasPrefix(le.Message, c.want) {
				t.Fatalf("error at line %d: %q\nwant line %d: %q...", le.Line, le.Message, c.line, c.want)
			}
			if p := problemOf("f.txt", err); c.line > 0 && p.Source != "f.txt:"+strconv.Itoa(c.line) {
				t.Fatalf("problem source = %q", p.Source)
			}
		})
	}
}

// TestFlagsFilesLoad: a flags file that is not an argv is a problem naming
// its line and the other inputs are still read; alone it is an error.
func TestFlagsFilesLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.txt")
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(good, []byte("kube-apiserver --anonymous-auth=false --no-such-flag=1\n"), 0o600)
	os.WriteFile(bad, []byte("--anonymous-auth=false\nRestart=always\n"), 0o600)
	s, err := Load(Options{FlagsFiles: []string{bad, good}})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.APIServers) != 1 || s.APIServers[0].Name != good {
		t.Fatalf("servers = %+v", s.APIServers)
	}
	var got []string
	for _, p := range s.Problems {
		got = append(got, p.String())
	}
	want := []string{
		bad + `:2: positional argument "Restart=always": kube-apiserver takes none (a flag written without its leading dashes?)`,
		good + ":1: --no-such-flag is not a kube-apiserver flag (a typo? kube-apiserver refuses to start with an unknown flag)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := Load(Options{FlagsFiles: []string{bad}}); err == nil || !strings.Contains(err.Error(), bad+":2: ") {
		t.Fatalf("a bad file alone: %v", err)
	}
}

// TestFlagsFileRealWorld reads the argv files of real installations
// (kubernetes-the-hard-way's systemd unit, kube-up's GCE parameters,
// minikube's command line): every one is read, with no unknown flag.
func TestFlagsFileRealWorld(t *testing.T) {
	root := "/work/shared/realworld"
	cases := []struct{ file, flag, want string }{
		{"kubernetes-the-hard-way/kube-apiserver.service", "authorization-mode", "Node,RBAC"},
		{"kubernetes-the-hard-way/apiserver.flags", "encryption-provider-config", "/var/lib/kubernetes/encryption-config.yaml"},
		{"kubernetes/gce-apiserver-params.txt", "audit-log-mode", "batch"},
		{"kubescape-regolibrary/derived/ks_missing_arg.flags", "authorization-mode", "Node,RBAC"},
		{"kubescape-regolibrary/derived/encryption-roots/failed.flags", "allow-privileged", "true"},
		{"kubescape-regolibrary/derived/encryption-roots/passed.flags", "allow-privileged", "true"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			p := filepath.Join(root, c.file)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Skip("real-world file not present:", err)
			}
			a, problems, err := ParseFlagsFile(p, data)
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) > 0 {
				t.Fatalf("problems: %v", problems)
			}
			if v := a.Flags(inputs.Cluster{}).Get(c.flag); v.Value != c.want {
				t.Fatalf("%s = %q, want %q", c.flag, v.Value, c.want)
			}
		})
	}
}

// FuzzParseFlagsFile: never panics; what is accepted has a known flag,
// every argument has its file and a line of the input, and every error
// that names a line names one of the input.
func FuzzParseFlagsFile(f *testing.F) {
	for _, s := range []string{
		"root 1 /usr/bin/kube-apiserver --a=b --c d\n",
		"kube-apiserver\x00--x=1\x00",
		"[Service]\nExecStart=/usr/bin/kube-apiserver \\\n  --anonymous-auth=false \\\n  --v=2\n",
		"UID PID CMD\nroot 1 kube-apiserver --profiling=false\n",
		"apiVersion: v1\nkind: Pod\n",
		"--token-auth-file\n/x\n--anonymous-auth\n",
		"exec kube-apiserver \\\\\n--v=2 $X\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := strings.Count(string(data), "\n") + 1
		a, problems, err := ParseFlagsFile("f", data)
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("error of another type: %T %v", err, err)
			}
			if le.Line < 0 || le.Line > lines {
				t.Fatalf("error names line %d of %d", le.Line, lines)
			}
			return
		}
		fl := a.Flags(inputs.Cluster{})
		for _, p := range fl.Problems {
			// Only an unknown flag, whose need of a value is unknown too,
			// is let through (as a warning).
			name := strings.ReplaceAll(strings.TrimPrefix(p.Arg.Text, "--"), "_", "-")
			if p.Message != "flag --"+name+" needs a value" || apiserverflags.Known(name) {
				t.Fatalf("accepted with a parse problem: %v", p)
			}
		}
		known := 0
		for _, n := range fl.Names() {
			_ = fl.Get(n)
			if apiserverflags.Known(n) {
				known++
			}
		}
		if known == 0 || known+len(problems) != len(fl.Names())+len(fl.Problems) {
			t.Fatalf("accepted with %d known flags of %v, problems %v", known, fl.Names(), problems)
		}
		for _, x := range a.Args {
			if x.File != "f" || x.Line < 1 || x.Line > lines {
				t.Fatalf("argument %+v outside the input", x)
			}
		}
	})
}

// Unknown flags are warnings in the order of their lines, also one whose
// value is unknown because the flag is.
func TestFlagsFileUnknownFlags(t *testing.T) {
	data := "kube-apiserver\n--anonymous-auth=false\n--zz-first=1\n--v=2\n" + strings.Repeat("--profiling=false\n", 7) + "--aa-last\n"
	_, problems, err := ParseFlagsFile("f.txt", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.Source+" "+strings.Fields(p.Message)[0])
	}
	if want := "f.txt:3 --zz-first,f.txt:12 --aa-last"; strings.Join(got, ",") != want {
		t.Fatalf("problems = %v, want %s", got, want)
	}
}
