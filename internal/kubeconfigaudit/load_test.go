package kubeconfigaudit

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/apiguard/apiguard/internal/fileinput"
)

// TestLoadMergesAsKubectl: several files (as in $KUBECONFIG) merge exactly
// as clientcmd's own loading rules merge them: first definition wins,
// relative paths resolved against their file's directory, missing files
// skipped.
func TestLoadMergesAsKubectl(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "b"), 0o700)
	a := filepath.Join(dir, "a.yaml")
	b := filepath.Join(dir, "b", "b.yaml")
	missing := filepath.Join(dir, "missing.yaml")
	write(t, a, `apiVersion: v1
kind: Config
current-context: ""
clusters:
- name: prod
  cluster: {server: "https://a.example:6443", certificate-authority: ca.crt}
users:
- name: alice
  user: {token: from-a}
contexts:
- name: prod
  context: {cluster: prod, user: alice}
`)
	write(t, b, `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: prod
  cluster: {server: "https://b.example:6443"}
- name: dev
  cluster: {server: "https://dev.example:6443", insecure-skip-tls-verify: true}
users:
- name: alice
  user: {token: from-b}
- name: bob
  user: {client-certificate: certs/bob.crt, client-key: certs/bob.key}
contexts:
- name: dev
  context: {cluster: dev, user: bob}
`)
	files := []string{a, missing, b}
	got, found, err := Load(files, false)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(found, []string{a, b}) {
		t.Fatalf("found = %v", found)
	}
	want, err := (&clientcmd.ClientConfigLoadingRules{Precedence: files}).Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"clusters", got.Clusters, want.Clusters},
		{"users", got.AuthInfos, want.AuthInfos},
		{"contexts", got.Contexts, want.Contexts},
		{"current-context", got.CurrentContext, want.CurrentContext},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s differ from clientcmd's:\n%#v\n%#v", c.name, c.got, c.want)
		}
	}
	if got.AuthInfos["alice"].Token != "from-a" || got.AuthInfos["bob"].ClientCertificate != filepath.Join(dir, "b", "certs", "bob.crt") {
		t.Fatalf("merge: %+v %+v", got.AuthInfos["alice"], got.AuthInfos["bob"])
	}
	if _, _, err := Load([]string{missing}, true); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a missing explicit file: %v", err)
	}
}

// TestLoadErrors: what is not a readable kubeconfig is an error naming the
// file (and line), without reading more than the limit or blocking.
func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	write(t, big, "apiVersion: v1\n")
	if err := os.Truncate(big, fileinput.KubeconfigLimit+1); err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(dir, "list.yaml")
	write(t, list, "apiVersion: v1\nkind: List\nitems: []\n")
	bad := filepath.Join(dir, "bad.yaml")
	write(t, bad, "apiVersion: v1\nclusters: [\n")
	cases := []struct{ path, want string }{
		{big, big + ": larger than 4 MiB (limit for kubeconfigs)"},
		{list, list + `:2: kind "List" (apiVersion "v1") is not a kubeconfig: want apiVersion: v1 and kind: Config`},
		{bad, bad + ":2: not valid YAML: did not find expected node content"},
		{dir, dir + ": is a directory, not a regular file"},
	}
	if fifo := filepath.Join(dir, "fifo"); mkfifo(fifo) == nil {
		cases = append(cases, struct{ path, want string }{fifo, fifo + ": is a named pipe (FIFO), not a regular file"})
	}
	for _, c := range cases {
		done := make(chan error, 1)
		go func() { _, _, err := Load([]string{c.path}, false); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("%s: %v\nwant %s", filepath.Base(c.path), err, c.want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: Load blocked", c.path)
		}
	}
}

func write(t *testing.T, p, data string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
