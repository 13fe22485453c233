package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/fileinput"
)

// TestInputErrors: every command refuses inputs that are not what it
// reads (FIFOs, files above their kind's limit, documents of another
// kind, argv files with lines that are not flags, empty audit logs) with
// exit 2 and a message naming the file (and the line), at once: a FIFO
// never blocks. DIR in args and messages is a temporary directory.
func TestInputErrors(t *testing.T) {
	cases := []struct {
		name  string
		setup map[string]string // file name in DIR → content; "FIFO" makes a FIFO, "SPARSE:n" a sparse file of n bytes
		args  string
		want  string // the last line of stderr
	}{
		{"flags file is YAML", map[string]string{"f.txt": "# the pod\napiVersion: v1\nkind: Pod\n"},
			"scan --flags-file DIR/f.txt",
			"apiguard: DIR/f.txt:2: a YAML or JSON document, not a kube-apiserver argv: pass manifests with --manifest"},
		{"flags file with a flag without dashes", map[string]string{"f.txt": "kube-apiserver\n--profiling=false\nanonymous-auth=false\n"},
			"scan --flags-file DIR/f.txt",
			`apiguard: DIR/f.txt:3: positional argument "anonymous-auth=false": kube-apiserver takes none (a flag written without its leading dashes?)`},
		{"flags file of binary data", map[string]string{"f.txt": "\x7fELF\x02\x01\x01\x00\x00\x00\x02\x00>\x00\x01"},
			"scan --flags-file DIR/f.txt",
			"apiguard: DIR/f.txt: binary data, not a kube-apiserver argv (argument 1 of the NUL-separated command line is not text)"},
		{"flags file without a flag", map[string]string{"f.txt": "# nothing yet\n\n"},
			"scan --flags-file DIR/f.txt",
			"apiguard: DIR/f.txt: no kube-apiserver flag found (expected flags such as --anonymous-auth=false, one or more a line, or /proc/PID/cmdline)"},
		{"flags file too large", map[string]string{"f.txt": "SPARSE:4194305"},
			"scan --flags-file DIR/f.txt",
			"apiguard: DIR/f.txt: larger than 4 MiB (limit for kube-apiserver argv files)"},
		{"flags file is a FIFO", map[string]string{"f.txt": "FIFO"},
			"scan --flags-file DIR/f.txt",
			"apiguard: DIR/f.txt: is a named pipe (FIFO), not a regular file"},
		{"manifest is a FIFO", map[string]string{"pod.yaml": "FIFO"},
			"scan --manifest DIR/pod.yaml",
			"apiguard: DIR/pod.yaml: is a named pipe (FIFO), not a regular file"},
		{"snapshot.json too large", map[string]string{"snap/snapshot.json": "SPARSE:67108865", "snap/snapshot.yaml": "apiVersion: apiguard.dev/v1alpha1\nkind: Snapshot\n"},
			"scan --snapshot DIR/snap",
			"apiguard: DIR/snap/snapshot.json: larger than 64 MiB (limit for snapshots)"},
		{"snapshot.json is a FIFO", map[string]string{"snap/snapshot.json": "FIFO"},
			"scan --manifest DIR/snap",
			"apiguard: DIR/snap/snapshot.json: is a named pipe (FIFO), not a regular file"},
		{"rbac dump is a FIFO", map[string]string{"rbac.json": "FIFO"},
			"scan --rbac DIR/rbac.json",
			"apiguard: DIR/rbac.json: is a named pipe (FIFO), not a regular file"},
		{"cloud file is a FIFO", map[string]string{"eks.json": "FIFO"},
			"scan --cloud DIR/eks.json",
			"apiguard: DIR/eks.json: is a named pipe (FIFO), not a regular file"},
		{"versions data is a FIFO", map[string]string{"v.yaml": "FIFO", "f.txt": "kube-apiserver --anonymous-auth=false\n"},
			"scan --flags-file DIR/f.txt --versions-data DIR/v.yaml",
			"apiguard: --versions-data: DIR/v.yaml: is a named pipe (FIFO), not a regular file"},
		{"audit policy too large", map[string]string{"p.yaml": "SPARSE:4194305"},
			"audit policy lint DIR/p.yaml",
			"apiguard: DIR/p.yaml: larger than 4 MiB (limit for audit policies)"},
		{"audit policy is a FIFO", map[string]string{"p.yaml": "FIFO"},
			"audit policy lint DIR/p.yaml",
			"apiguard: DIR/p.yaml: is a named pipe (FIFO), not a regular file"},
		{"audit policy is a List", map[string]string{"p.yaml": "apiVersion: v1\nkind: List\nitems: []\n"},
			"audit policy coverage DIR/p.yaml",
			`apiguard: DIR/p.yaml:2: kind "List" (apiVersion "v1") is not an audit policy: want apiVersion: audit.k8s.io/v1 and kind: Policy (a list of objects is not read: give the policy file itself)`},
		{"events to replay are a FIFO", map[string]string{"p.yaml": "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n", "e.log": "FIFO"},
			"audit policy eval DIR/p.yaml --events DIR/e.log",
			"apiguard: DIR/e.log: is a named pipe (FIFO), not a regular file"},
		{"kubeconfig too large", map[string]string{"k.yaml": "SPARSE:4194305"},
			"kubeconfig audit DIR/k.yaml",
			"apiguard: DIR/k.yaml: larger than 4 MiB (limit for kubeconfigs)"},
		{"kubeconfig is a FIFO", map[string]string{"k.yaml": "FIFO"},
			"kubeconfig audit DIR/k.yaml",
			"apiguard: DIR/k.yaml: is a named pipe (FIFO), not a regular file"},
		{"audit log is empty", map[string]string{"audit.log": ""},
			"audit scan DIR/audit.log -o json",
			"apiguard: no usable input: no audit event in DIR/audit.log"},
		{"audit logs hold only blank lines and empty lists", map[string]string{"a.log": "\n\n", "b.log": `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}` + "\n"},
			"audit scan DIR/a.log DIR/b.log -o json",
			"apiguard: no usable input: no audit event in DIR/a.log, DIR/b.log"},
		{"audit log is a FIFO", map[string]string{"audit.log": "FIFO"},
			"audit scan DIR/audit.log -o json",
			"apiguard: no input could be read"},
		{"rules file is a FIFO", map[string]string{"rules.yaml": "FIFO", "audit.log": "\n"},
			"audit scan DIR/audit.log --rules DIR/rules.yaml",
			"apiguard: DIR/rules.yaml: is a named pipe (FIFO), not a regular file"},
		{"audit scan policy is an Event", map[string]string{"p.yaml": "apiVersion: audit.k8s.io/v1\nkind: Event\n", "audit.log": "\n"},
			"audit scan DIR/audit.log --policy DIR/p.yaml",
			`apiguard: DIR/p.yaml:2: kind "Event" (apiVersion "audit.k8s.io/v1") is not an audit policy: want apiVersion: audit.k8s.io/v1 and kind: Policy`},
		{"probe CA is a FIFO", map[string]string{"ca.crt": "FIFO"},
			"probe https://127.0.0.1:1 --ca-file DIR/ca.crt",
			"apiguard: --ca-file: DIR/ca.crt: is a named pipe (FIFO), not a regular file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range c.setup {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
					t.Fatal(err)
				}
				switch {
				case content == "FIFO":
					if err := mkfifo(p); err != nil {
						t.Skip(err)
					}
				case strings.HasPrefix(content, "SPARSE:"):
					var n int64
					for _, d := range strings.TrimPrefix(content, "SPARSE:") {
						n = 10*n + int64(d-'0')
					}
					if err := os.WriteFile(p, nil, 0o600); err != nil {
						t.Fatal(err)
					}
					if err := os.Truncate(p, n); err != nil {
						t.Fatal(err)
					}
				default:
					if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
			args := append([]string{"apiguard"}, strings.Fields(strings.ReplaceAll(c.args, "DIR", dir))...)
			var stdout, stderr bytes.Buffer
			done := make(chan int, 1)
			go func() { done <- Run(context.Background(), args, &stdout, &stderr) }()
			var code int
			select {
			case code = <-done:
			case <-time.After(60 * time.Second):
				t.Fatal("the command blocked")
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			got := strings.ReplaceAll(lines[len(lines)-1], dir, "DIR")
			if code != ExitUsage || got != c.want {
				t.Fatalf("exit %d, stderr ends with\n  %s\nwant exit 2 and\n  %s\nstderr:\n%s", code, got, c.want, stderr.String())
			}
		})
	}
}

// The limits the messages above quote are the documented ones.
func TestInputLimitsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []fileinput.Kind{
		fileinput.FlagsFile, fileinput.Manifest, fileinput.ConfigFile, fileinput.AuditPolicy, fileinput.Kubeconfig,
		fileinput.Certificate, fileinput.TokenFile, fileinput.RulesFile, fileinput.Snapshot, fileinput.RBACDump,
		fileinput.CloudFile, fileinput.VersionsData,
	} {
		row := "| " + k.Name + " | " + fileinput.Size(k.Limit) + " |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("README.md (Input limits) lacks the row %q", row)
		}
	}
}
