package offline

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/internal/fileinput"
	"github.com/apiguard/apiguard/internal/inputs"
)

const staticPod = `apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
  namespace: kube-system
  labels:
    component: kube-apiserver
spec:
  containers:
  - name: kube-apiserver
    image: registry.k8s.io/kube-apiserver:v1.36.3
    command:
    - kube-apiserver
    - --anonymous-auth=false
    - --authorization-mode=Node,RBAC
    args:
    - --profiling
`

func flagsOf(t *testing.T, a *inputs.APIServer) map[string]string {
	t.Helper()
	f := a.Flags(inputs.Cluster{})
	out := map[string]string{}
	for _, n := range f.Names() {
		out[n] = f.Get(n).Value
	}
	return out
}

func TestParseStaticPod(t *testing.T) {
	servers, problems, err := ParseManifest("m.yaml", []byte(staticPod))
	if err != nil || len(problems) > 0 || len(servers) != 1 {
		t.Fatalf("err=%v problems=%v servers=%d", err, problems, len(servers))
	}
	a := servers[0]
	if a.Name != "kube-system/kube-apiserver" || a.Version != "v1.36.3" {
		t.Fatalf("apiserver = %+v", a)
	}
	v := a.Flags(inputs.Cluster{}).Get("anonymous-auth")
	if v.Value != "false" || v.Source != "m.yaml:14" || v.Line != 14 {
		t.Fatalf("anonymous-auth = %+v", v)
	}
	if p := a.Flags(inputs.Cluster{}).Get("profiling"); p.Value != "true" || p.Line != 17 {
		t.Fatalf("args are appended to command: %+v", p)
	}
}

func TestParseShapes(t *testing.T) {
	cases := []struct {
		name, doc string
		wantName  string
		wantFlag  string
		wantValue string
	}{
		{"deployment", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: cp}\nspec:\n  template:\n    spec:\n      containers:\n      - name: apiserver\n        image: registry.k8s.io/kube-apiserver:v1.35.0\n        command: [kube-apiserver, --profiling=false]\n", "cp/api", "profiling", "false"},
		{"daemonset by binary", "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      containers:\n      - name: main\n        command: [/usr/local/bin/kube-apiserver, --secure-port=443]\n", "api", "secure-port", "443"},
		{"list from kubectl", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: kube-apiserver-a, namespace: kube-system}\n  spec:\n    containers:\n    - name: kube-apiserver\n      command: [kube-apiserver, --profiling=false]\n", "kube-system/kube-apiserver-a", "profiling", "false"},
		{"json pod", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":[{"name":"kube-apiserver","command":["kube-apiserver","--profiling=false"]}]}}`, "x", "profiling", "false"},
		{"shell wrapper", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - name: kube-apiserver\n    command: [/bin/sh, -c, \"exec kube-apiserver --token-auth-file='/a b.csv' --profiling=false\"]\n", "x", "token-auth-file", "/a b.csv"},
		{"hyperkube", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - name: c\n    image: k8s.gcr.io/hyperkube:v1.18.0\n    command: [/hyperkube, kube-apiserver, --insecure-port=8080]\n", "x", "insecure-port", "8080"},
		{"cronjob", "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: kube-apiserver\n            args: [--profiling=false]\n", "x", "profiling", "false"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			servers, problems, err := ParseManifest("m.yaml", []byte(c.doc))
			if err != nil || len(problems) > 0 || len(servers) != 1 {
				t.Fatalf("err=%v problems=%v servers=%d", err, problems, len(servers))
			}
			if servers[0].Name != c.wantName {
				t.Fatalf("name = %q", servers[0].Name)
			}
			if got := flagsOf(t, servers[0])[c.wantFlag]; got != c.wantValue {
				t.Fatalf("%s = %q, want %q", c.wantFlag, got, c.wantValue)
			}
		})
	}
}

func TestParseKubeadm(t *testing.T) {
	for _, tc := range []struct {
		file  string
		check map[string]string
		line  int
	}{
		{"testdata/kubeadm-v1beta4.yaml", map[string]string{"profiling": "false", "enable-admission-plugins": "NodeRestriction,EventRateLimit", "authorization-mode": "Node,RBAC", "etcd-cafile": "/etc/kubernetes/pki/etcd/ca.crt", "enable-bootstrap-token-auth": "true"}, 11},
		{"testdata/kubeadm-v1beta3.yaml", map[string]string{"authorization-mode": "Node,RBAC,AlwaysAllow", "etcd-servers": "http://10.0.0.5:2379", "client-ca-file": "/srv/pki/ca.crt", "anonymous-auth": "false"}, 0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, _ := os.ReadFile(tc.file)
			servers, problems, err := ParseManifest(tc.file, data)
			if err != nil || len(problems) > 0 || len(servers) != 1 {
				t.Fatalf("err=%v problems=%v servers=%d", err, problems, len(servers))
			}
			got := flagsOf(t, servers[0])
			for k, v := range tc.check {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			f := servers[0].Flags(inputs.Cluster{})
			if tc.line > 0 {
				if p := f.Get("profiling"); p.Line != tc.line {
					t.Errorf("extraArgs line = %d (%s)", p.Line, p.Source)
				}
			}
			if s := f.Get("client-ca-file").Source; !strings.HasPrefix(s, "kubeadm default") {
				t.Errorf("kubeadm default source = %q", s)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name, data, want string
	}{
		{"not yaml", "kind: Pod\n  bad: [unclosed\n", "m.yaml:2"},
		{"binary", "\x00\x01\x02ELF", "binary file"},
		{"no apiserver", "apiVersion: v1\nkind: Pod\nmetadata: {name: etcd}\nspec:\n  containers:\n  - name: etcd\n    command: [etcd]\n", "no kube-apiserver container"},
		{"args not a list", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - name: kube-apiserver\n    command: kube-apiserver --a\n", "m.yaml:7: spec.containers[0].command: expected a list"},
		{"arg not a string", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - name: kube-apiserver\n    command:\n    - kube-apiserver\n    - {a: b}\n", "m.yaml:9: spec.containers[0].command[1]: expected a string"},
		{"scalar document", "just text\n", "expected a Kubernetes object"},
		{"kubeadm extraArgs wrong", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\napiServer:\n  extraArgs:\n  - profiling\n", "m.yaml:5: apiServer.extraArgs[0]: expected {name"},
		{"empty", "", "empty file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, problems, err := ParseManifest("m.yaml", []byte(c.data))
			var msgs []string
			for _, p := range problems {
				msgs = append(msgs, p.String())
			}
			if err != nil {
				msgs = append(msgs, err.Error())
			}
			all := strings.Join(msgs, "\n")
			if !strings.Contains(all, c.want) {
				t.Fatalf("want %q in %q", c.want, all)
			}
		})
	}
}

func TestOtherDocumentsSurviveABadOne(t *testing.T) {
	data := staticPod + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: y}\nspec:\n  containers:\n  - name: kube-apiserver\n    command: 7\n"
	servers, problems, err := ParseManifest("m.yaml", []byte(data))
	if err != nil || len(servers) != 1 || len(problems) != 1 {
		t.Fatalf("err=%v servers=%d problems=%v", err, len(servers), problems)
	}
}

func TestLoadDirectoryAndProblems(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("kube-apiserver.yaml", staticPod)
	write("etcd.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: etcd}\nspec:\n  containers:\n  - name: etcd\n    command: [etcd]\n")
	write("broken.yaml", "kind: [\n")
	write("README", "not scanned")
	s, err := Load(Options{Manifests: []string{dir, filepath.Join(dir, "missing.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.APIServers) != 1 {
		t.Fatalf("servers = %d", len(s.APIServers))
	}
	if len(s.Problems) != 2 {
		t.Fatalf("want problems for broken.yaml and missing.yaml, got %v", s.Problems)
	}
	if m := s.APIServers[0].ManifestFile; m == nil || m.Mode != 0o600 {
		t.Fatalf("manifest file meta = %+v", m)
	}
	// Nothing usable: an error listing every problem.
	_, err = Load(Options{Manifests: []string{filepath.Join(dir, "broken.yaml")}})
	if err == nil || !strings.Contains(err.Error(), "broken.yaml:1") {
		t.Fatalf("want error naming file and line, got %v", err)
	}
}

func TestReferencedFiles(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc/kubernetes"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/kubernetes/tokens.csv"), []byte("s3cr3t-token,admin,1,\"system:masters,dev\"\nother,bob,2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := filepath.Join(root, "apiserver.yaml")
	pod := strings.Replace(staticPod, "    - --profiling\n", "    - --profiling\n    - --token-auth-file=/etc/kubernetes/tokens.csv\n    - --authentication-config=/etc/kubernetes/missing.yaml\n", 1)
	if err := os.WriteFile(m, []byte(pod), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load(Options{Manifests: []string{m}, Root: root})
	if err != nil {
		t.Fatal(err)
	}
	a := s.APIServers[0]
	tok := a.Files["token-auth-file"]
	if tok == nil || !tok.Redacted || strings.Contains(string(tok.Data), "s3cr3t") || !strings.Contains(string(tok.Data), "system:masters") {
		t.Fatalf("token file must be read and redacted: %+v %q", tok, tok.Data)
	}
	if f := a.Files["authentication-config"]; f == nil || !strings.Contains(f.Unavailable, "no such file") {
		t.Fatalf("missing file must be unavailable with reason: %+v", f)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	s := inputs.New("ctx", "live")
	s.Cluster.ServerVersion = "v1.36.3"
	servers, _, _ := ParseManifest("pod kube-system/kube-apiserver-cp1", []byte(staticPod+"    - --audit-policy-file=/etc/kubernetes/audit.yaml\n    - --encryption-provider-config=/etc/kubernetes/enc.yaml\n"))
	a := servers[0]
	a.Name, a.Origin = "kube-system/kube-apiserver-cp1", "pod"
	a.Files = map[string]*inputs.File{
		"audit-policy-file":          {Path: "/etc/kubernetes/audit.yaml", Data: []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\n")},
		"encryption-provider-config": {Path: "/etc/kubernetes/enc.yaml", Unavailable: "on the node"},
	}
	s.APIServers = []*inputs.APIServer{a}
	dir := t.TempDir()
	if err := SaveSnapshot(s, dir, map[string][]byte{a.Name: []byte(staticPod + "    - --audit-policy-file=/etc/kubernetes/audit.yaml\n    - --encryption-provider-config=/etc/kubernetes/enc.yaml\n")}); err != nil {
		t.Fatal(err)
	}
	got, err := LoadSnapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.APIServers) != 1 || got.Cluster.ServerVersion != "v1.36.3" {
		t.Fatalf("round trip lost data: %+v", got)
	}
	b := got.APIServers[0]
	if b.Name != a.Name || b.Origin != "pod" {
		t.Fatalf("identity lost: %+v", b)
	}
	if string(b.Files["audit-policy-file"].Data) != "apiVersion: audit.k8s.io/v1\nkind: Policy\n" {
		t.Fatalf("file content lost: %+v", b.Files["audit-policy-file"])
	}
	if b.Files["encryption-provider-config"].Unavailable != "on the node" {
		t.Fatalf("unavailable reason lost: %+v", b.Files["encryption-provider-config"])
	}
	src := b.Flags(got.Cluster).Get("anonymous-auth").Source
	if !strings.HasPrefix(src, "pod kube-system/kube-apiserver-cp1 (") {
		t.Fatalf("source = %q", src)
	}
}

func TestLoadSnapshotErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadSnapshot(dir); err == nil || !strings.Contains(err.Error(), "not a snapshot directory") {
		t.Fatalf("err = %v", err)
	}
	os.WriteFile(filepath.Join(dir, "snapshot.yaml"), []byte("apiVersion: apiguard.dev/v1alpha1\nkind: Snapshot\napiServers:\n- name: x\n  manifest: ../../etc/passwd\n"), 0o600)
	if _, err := LoadSnapshot(dir); err == nil || !strings.Contains(err.Error(), "inside the snapshot directory") {
		t.Fatalf("path escape must be refused: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "snapshot.yaml"), []byte("apiVersion: apiguard.dev/v1alpha1\nkind: Snapshot\nclustr: {}\n"), 0o600)
	if _, err := LoadSnapshot(dir); err == nil || !strings.Contains(err.Error(), `unknown field "clustr"`) {
		t.Fatalf("unknown field must be refused: %v", err)
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(staticPod))
	for _, p := range []string{"testdata/kubeadm-v1beta4.yaml", "testdata/kubeadm-v1beta3.yaml"} {
		if d, err := os.ReadFile(p); err == nil {
			f.Add(d)
		}
	}
	f.Add([]byte("apiVersion: v1\nkind: List\nitems: [&a {kind: Pod, spec: {containers: [*a]}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		servers, _, _ := ParseManifest("f.yaml", data)
		for _, a := range servers {
			f := a.Flags(inputs.Cluster{})
			for _, n := range f.Names() {
				_ = f.Get(n)
			}
		}
	})
}

func FuzzRedactTokenFile(f *testing.F) {
	f.Add([]byte("tok,user,1,\"a,b\"\n"))
	f.Add([]byte("\"quoted,tok\",u,1\nbare\n,empty,3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := csv.NewReader(bytes.NewReader(RedactTokenFile(data)))
		r.FieldsPerRecord = -1
		for {
			rec, err := r.Read()
			if err != nil {
				break
			}
			if rec[0] != "REDACTED" && rec[0] != "" {
				t.Fatalf("token column survived redaction: %q", rec[0])
			}
		}
	})
}

// FuzzLoadSnapshotJSON: snapshot.json has its own decoder; it never
// panics, and what it loads can be scanned.
func FuzzLoadSnapshotJSON(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"apiguard.dev/v1alpha1","kind":"Snapshot","apiServers":[{"name":"x","args":[{"text":"kube-apiserver"},{"text":"--profiling=false"}]}]}`))
	f.Add([]byte(`{"apiVersion":"apiguard.dev/v1alpha1","kind":"Snapshot","apiServers":[null,{"name":""}],"kind":"x"}`))
	f.Add([]byte("{\n\"apiVersion\": 1,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "snapshot.json"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := LoadSnapshot(dir)
		if err == nil && s != nil {
			for _, a := range s.APIServers {
				_ = a.Flags(s.Cluster).Names()
			}
		}
	})
}

func FuzzLoadSnapshot(f *testing.F) {
	f.Add([]byte("apiVersion: apiguard.dev/v1alpha1\nkind: Snapshot\napiServers:\n- name: x\n  args: [{text: kube-apiserver}, {text: --profiling=false}]\n"))
	f.Add([]byte(`{"apiVersion":"apiguard.dev/v1alpha1","kind":"Snapshot","apiServers":[null,{"name":""}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "snapshot.yaml"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := LoadSnapshot(dir)
		if err == nil && s != nil {
			for _, a := range s.APIServers {
				_ = a.Flags(s.Cluster).Names()
			}
		}
	})
}

// TestLoadSnapshotFileErrors: snapshot.yaml is read only when there is no
// snapshot.json; any other problem of snapshot.json is the error, with its
// real cause.
func TestLoadSnapshotFileErrors(t *testing.T) {
	const yamlSnap = "apiVersion: apiguard.dev/v1alpha1\nkind: Snapshot\napiServers:\n- name: x\n  args: [{text: kube-apiserver}, {text: --profiling=false}]\n"
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string // error suffix after the directory; "" means it loads
	}{
		{"yaml only", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "snapshot.yaml"), yamlSnap)
		}, ""},
		{"json too large", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "snapshot.yaml"), yamlSnap)
			p := filepath.Join(dir, "snapshot.json")
			write(t, p, "{}")
			if err := os.Truncate(p, fileinput.SnapshotLimit+1); err != nil { // sparse: no disk used
				t.Fatal(err)
			}
		}, "/snapshot.json: larger than 64 MiB (limit for snapshots)"},
		{"json invalid", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "snapshot.yaml"), yamlSnap)
			write(t, filepath.Join(dir, "snapshot.json"), `{"apiVersion": "apiguard.dev/v1alpha1", "kind": "Snapshot", "clustr": {}}`)
		}, `/snapshot.json: unknown field "clustr"`},
		{"json syntax error", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "snapshot.json"), "{\n  \"apiVersion\": \"apiguard.dev/v1alpha1\",\n  \"kind\": }\n")
		}, `/snapshot.json:3: not valid JSON: invalid character '}' looking for beginning of value`},
		{"json duplicate field", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "snapshot.json"), `{"apiVersion": "apiguard.dev/v1alpha1", "kind": "Snapshot", "kind": "Snapshot"}`)
		}, `/snapshot.json: duplicate field "kind"`},
		{"json of another kind", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "snapshot.json"), `{"apiVersion": "v1", "kind": "List"}`)
		}, `/snapshot.json: apiVersion/kind is "v1"/"List", want "apiguard.dev/v1alpha1"/"Snapshot"`},
		{"json is a directory", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "snapshot.yaml"), yamlSnap)
			if err := os.Mkdir(filepath.Join(dir, "snapshot.json"), 0o700); err != nil {
				t.Fatal(err)
			}
		}, "/snapshot.json: is a directory, not a regular file"},
		{"neither", func(t *testing.T, dir string) {}, ": not a snapshot directory (no snapshot.json or snapshot.yaml)"},
	}
	if runtime.GOOS != "windows" {
		cases = append(cases, struct {
			name  string
			setup func(t *testing.T, dir string)
			want  string
		}{"json is a FIFO", func(t *testing.T, dir string) {
			if err := mkfifo(filepath.Join(dir, "snapshot.json")); err != nil {
				t.Skip(err)
			}
		}, "/snapshot.json: is a named pipe (FIFO), not a regular file"})
	}
	if os.Geteuid() != 0 && runtime.GOOS != "windows" {
		cases = append(cases, struct {
			name  string
			setup func(t *testing.T, dir string)
			want  string
		}{"json unreadable", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "snapshot.yaml"), yamlSnap)
			p := filepath.Join(dir, "snapshot.json")
			write(t, p, "{}")
			os.Chmod(p, 0)
		}, "/snapshot.json: permission denied"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.setup(t, dir)
			s, err := LoadSnapshot(dir)
			if c.want == "" {
				if err != nil || len(s.APIServers) != 1 {
					t.Fatalf("%v", err)
				}
				return
			}
			if err == nil || err.Error() != dir+c.want {
				t.Fatalf("err = %v\nwant %s", err, dir+c.want)
			}
		})
	}
	if _, err := LoadSnapshot(filepath.Join(t.TempDir(), "nope")); err == nil || !strings.HasSuffix(err.Error(), "/nope: no such file or directory") {
		t.Fatalf("missing directory: %v", err)
	}
	f := filepath.Join(t.TempDir(), "snapshot.json")
	write(t, f, "{}")
	if _, err := LoadSnapshot(f); err == nil || !strings.Contains(err.Error(), "not a snapshot directory: a snapshot is the directory") {
		t.Fatalf("a file: %v", err)
	}
}

func write(t *testing.T, p, data string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestNonRegularInputs: a FIFO as a manifest, in a manifest directory, as
// a flags file or where a flag points is refused at once with the reason,
// and the other inputs are still read.
func TestNonRegularInputs(t *testing.T) {
	root := t.TempDir()
	fifo := filepath.Join(root, "fifo.yaml")
	if err := mkfifo(fifo); err != nil {
		t.Skip(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "etc/kubernetes"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := mkfifo(filepath.Join(root, "etc/kubernetes/audit.yaml")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "manifests")
	os.Mkdir(dir, 0o700)
	write(t, filepath.Join(dir, "kube-apiserver.yaml"), strings.Replace(staticPod, "    - --profiling\n", "    - --profiling\n    - --audit-policy-file=/etc/kubernetes/audit.yaml\n", 1))
	if err := mkfifo(filepath.Join(dir, "other.yaml")); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var (
		s   *inputs.Snapshot
		err error
	)
	go func() {
		defer close(done)
		s, err = Load(Options{Manifests: []string{fifo, dir}, FlagsFiles: []string{fifo}, Root: root})
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Load blocked on a FIFO")
	}
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range s.Problems {
		got = append(got, p.String())
	}
	want := []string{
		fifo + ": is a named pipe (FIFO), not a regular file",
		filepath.Join(dir, "other.yaml") + ": is a named pipe (FIFO), not a regular file",
		fifo + ": is a named pipe (FIFO), not a regular file",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(s.APIServers) != 1 {
		t.Fatalf("servers: %d", len(s.APIServers))
	}
	if f := s.APIServers[0].Files["audit-policy-file"]; f == nil || f.Unavailable != "is a named pipe (FIFO), not a regular file" {
		t.Fatalf("audit policy file: %+v", f)
	}
}

// TestSnapshotScope: the scope of RBAC dumps alone survives a snapshot,
// and a snapshot saved before the scope was gets it from its reason.
func TestSnapshotScope(t *testing.T) {
	s, err := Load(Options{RBAC: []string{"../../cli/testdata/rbac/cluster.yaml"}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Cluster.Scope != inputs.RBACOnly || s.Cluster.ControlPlaneHidden == "" {
		t.Fatalf("RBAC alone: scope %q, reason %q", s.Cluster.Scope, s.Cluster.ControlPlaneHidden)
	}
	dir := t.TempDir()
	if err := SaveSnapshot(s, dir, nil); err != nil {
		t.Fatal(err)
	}
	got, err := LoadSnapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cluster.Scope != inputs.RBACOnly {
		t.Errorf("saved and loaded: scope %q", got.Cluster.Scope)
	}
	for reason, want := range map[string]inputs.Scope{
		"only RBAC objects were given (--rbac): pass --manifest, --flags-file or --snapshot to assess the kube-apiserver configuration": inputs.RBACOnly,
		"only managed-cluster files were given (--cloud): no kube-apiserver configuration was read":                                     inputs.CloudOnly,
		"managed control plane (EKS; server version v1.31.2-eks-1): the kube-apiserver flags and files are not visible":                 inputs.Full,
	} {
		old := filepath.Join(t.TempDir(), "old")
		yaml := "apiVersion: apiguard.dev/v1alpha1\nkind: Snapshot\ntarget: t\ncollector: offline\ncluster:\n  controlPlaneHidden: " + strconv.Quote(reason) + "\napiServers: []\n"
		if err := os.MkdirAll(old, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(old, "snapshot.yaml"), []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := LoadSnapshot(old)
		if err != nil {
			t.Fatal(err)
		}
		if got.Cluster.Scope != want {
			t.Errorf("snapshot saved with reason %q: scope %q, want %q", reason, got.Cluster.Scope, want)
		}
	}
}
